"""The passive calendar and its activation: a meter function the meter's catalog always installs.

The active calendar is the tariff control table that configuration 3 names
(``meter.config.tariff_table``). The passive calendar and its activation time are kept in the
settings; at the activation instant (in simulated time) the passive calendar replaces the active
table through ``meter.reconfigure``. The COSEM activity calendar (class 20, ``cosem.calendar``) and
the special days table (class 11) are views over this function and ``replace_table``.
"""

from __future__ import annotations

import copy
import dataclasses
from types import EllipsisType
from typing import Any

from k351c.codes.settings import DayProfile, PassiveCalendar, Season, TariffTable, WeekProfile
from k351c.errors import ConfigError
from k351c.meter.function import Event, MeterFunction

KEEPER = "activity_calendar"
TARIFF_1_ONLY = {
    "name": "tariff 1 only",
    "seasons": [["all year", "01-01", "all days"]],
    "weeks": [["all days", [1] * 7]],
    "days": [[1, [["00:00", 1]]]],
    "names": {"1": "tariff 1"},
}


# ---------------------------------------------------------------- table <-> calendar parts
def table_parts(table: TariffTable | None) -> dict:
    """A tariff table as calendar parts (JSON-able): name, seasons, weeks by day id, days by id."""
    if table is None:
        return copy.deepcopy(TARIFF_1_ONLY)
    ids = {p.name: i + 1 for i, p in enumerate(table.day_profiles)}
    return {
        "name": table.name,
        "seasons": [[s.name, s.start, s.week] for s in table.seasons],
        "weeks": [[w.name, [ids[d] for d in w.days]] for w in table.week_profiles],
        "days": [[ids[p.name], [list(s) for s in p.switches]] for p in table.day_profiles],
        "names": {str(i): name for name, i in ids.items()},
    }


def parts_table(parts: dict, active: TariffTable) -> TariffTable:
    """The tariff table the parts describe, replacing ``active`` (same id).

    The non-working day and the special days keep their day ids; those whose id the new table lacks
    are dropped, as a DLMS special day whose day_id is not in the day profile table does nothing.
    """
    names = {int(i): n for i, n in parts.get("names", {}).items()}
    day_ids = [int(i) for i, _ in parts["days"]]
    names = {i: names.get(i, f"day {i}") for i in day_ids}
    old_ids = {p.name: i + 1 for i, p in enumerate(active.day_profiles)}

    def day_name(day_id: int) -> str:
        if day_id not in names:
            raise ConfigError("passive week profile day id", day_id, sorted(names))
        return names[day_id]

    def follow(name: str | None) -> str | None:
        """The new name of an old day profile by its day id; None when the id is gone (DLMS: inert)."""
        return None if name is None else names.get(old_ids.get(name, -1))

    return TariffTable(
        id=active.id,
        name=str(parts["name"]),
        day_profiles=tuple(
            DayProfile(names[int(i)], tuple((t, int(k)) for t, k in switches))
            for i, switches in parts["days"]
        ),
        week_profiles=tuple(
            WeekProfile(n, tuple(day_name(int(i)) for i in ids)) for n, ids in parts["weeks"]
        ),
        seasons=tuple(Season(n, start, week) for n, start, week in parts["seasons"]),
        public_holidays=active.public_holidays,
        non_working=follow(active.non_working),
        special_days=tuple(
            (when, name) for when, p in active.special_days if (name := follow(p)) is not None
        ),
    )


# ---------------------------------------------------------------------------- the keeper
def replace_table(meter, table: TariffTable) -> None:  # noqa: ANN001
    """Put ``table`` in place of the active tariff table in the settings (persisted, logged)."""
    settings = meter.config.settings
    tables = tuple(table if t.id == table.id else t for t in settings.tariff_tables)
    meter.reconfigure(settings=dataclasses.replace(settings, tariff_tables=tables))


class CalendarKeeper(MeterFunction):
    """The passive calendar and its activation time (kept in the settings); activates it at that instant.

    Older meters kept both in this function's persisted state; that state is still read and moves into
    the settings with the first change.
    """

    name = KEEPER

    def __init__(self) -> None:
        self.legacy: dict[str, Any] | None = None  # as persisted (JSON)

    def attach(self, meter) -> None:  # noqa: ANN001
        """Keep the meter and read an old persisted passive calendar, if any."""
        super().attach(meter)
        saved = meter.store.get(f"f:{KEEPER}")
        if saved is not None:
            self.restore(saved)

    def _legacy(self, key: str) -> Any:
        settings = self.meter.config.settings
        if self.legacy is None or settings.passive_calendar or settings.calendar_activation:
            return None
        return self.legacy.get(key)

    @property
    def activation(self) -> float | None:
        """The scheduled activation (POSIX time) or None."""
        settings = self.meter.config.settings
        if settings.calendar_activation is not None:
            return settings.calendar_activation
        legacy = self._legacy("activation")
        return None if legacy is None else float(legacy)

    def parts(self) -> dict:
        """The passive calendar (a copy of the active one until a client writes it)."""
        passive = self.meter.config.settings.passive_calendar
        if passive is not None:
            return passive.to_dict()
        legacy = self._legacy("passive")
        return copy.deepcopy(legacy) if legacy else table_parts(self.meter.config.tariff_table)

    def store_passive(
        self, parts: dict | None = None, activation: float | None | EllipsisType = ...
    ) -> None:
        """Validate and persist the passive calendar and/or activation time in the settings."""
        settings = self.meter.config.settings
        passive = PassiveCalendar.from_dict(self.parts() if parts is None else parts)
        when = self.activation if isinstance(activation, EllipsisType) else activation
        self.legacy = None
        self.meter.reconfigure(
            settings=dataclasses.replace(
                settings, passive_calendar=passive, calendar_activation=when
            )
        )

    def activate(self, t: float, source: str) -> None:
        """Copy the passive calendar into the active tariff table (ConfigError if it is inconsistent)."""
        active = self.meter.config.tariff_table
        if active is None:
            raise ConfigError(
                "config3 000 tariff control table",
                "000",
                "a tariff table id: without one there is no calendar to replace",
            )
        parts = self.parts()
        table = parts_table(parts, active)
        settings = self.meter.config.settings
        tables = tuple(table if x.id == table.id else x for x in settings.tariff_tables)
        self.legacy = None
        new = dataclasses.replace(
            settings,
            tariff_tables=tables,
            passive_calendar=PassiveCalendar.from_dict(parts),
            calendar_activation=None,
        )
        self.meter.reconfigure(settings=new)
        self.meter.emit(Event(t, "calendar_activated", data={"name": table.name, "source": source}))

    def next_boundary(self, t: float) -> float | None:
        """The scheduled activation, if any."""
        when = self.activation
        return when if when is not None and when > t else None

    def begin_step(self, t0: float) -> None:
        """Activate a due passive calendar before the step (the state is complete up to t0)."""
        when = self.activation
        if when is None or t0 < when:
            return
        try:
            self.activate(t0, "schedule")
        except ConfigError as exc:
            self.store_passive(activation=None)
            data = {"fields": ["activity_calendar"], "refused": str(exc)}
            self.meter.emit(Event(t0, "configuration_refused", log="standard", data=data))

    def state(self) -> dict | None:
        """An old persisted calendar not yet moved into the settings (None otherwise)."""
        return self.legacy if self.legacy else None

    def restore(self, state: dict) -> None:
        """Load a state written by older versions ({"passive": parts, "activation": POSIX time})."""
        self.legacy = dict(state) if state and any(state.values()) else None
