"""Activity calendar (class 20 version 0) over the meter's tariff table, with a passive calendar.

The active calendar is the tariff control table that configuration 3 names (``meter.config.tariff_table``);
day ids are the positions of its day profiles (1..n) and each switch runs the tariffication script
0-0:10.0.100.255 with the tariff as selector. The passive calendar and its activation time live in a
``CalendarKeeper`` (a meter function, so they persist with the meter's state and the activation happens
at its instant in simulated time); activation replaces the active table through ``meter.reconfigure``.
"""

from __future__ import annotations

import copy
import dataclasses
from types import EllipsisType
from typing import Any

from k351c.axdr.codec import Data, DataType
from k351c.axdr.cosem_datetime import (
    DEVIATION_NOT_SPECIFIED,
    NOT_SPECIFIED,
    YEAR_NOT_SPECIFIED,
    CosemDateTime,
    CosemTime,
)
from k351c.codes.settings import DayProfile, PassiveCalendar, Season, TariffTable, WeekProfile
from k351c.cosem.classes import CLASS_VERSION, logical_name
from k351c.cosem.model import Attribute, CosemObject, Level, Method, RequestContext
from k351c.errors import AccessDenied, ConfigError
from k351c.meter.function import Event, MeterFunction
from k351c.obis import Obis

ACTIVITY_CALENDAR = Obis(0, 0, 13, 0, 0)
TARIFF_SCRIPT = Obis(0, 0, 10, 0, 100)
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


# ------------------------------------------------------------------------ A-XDR encoding
def _text(value: str) -> Data:
    return Data(DataType.OCTET_STRING, value.encode())


def _name(data: Data) -> str:
    raw = data.as_bytes() if data.type == DataType.OCTET_STRING else str(data.value).encode()
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _season_start(mmdd: str) -> Data:
    month, day = int(mmdd[:2]), int(mmdd[3:])
    start = CosemDateTime(
        YEAR_NOT_SPECIFIED, month, day, NOT_SPECIFIED, 0, 0, 0, 0, DEVIATION_NOT_SPECIFIED, 0
    )
    return Data(DataType.OCTET_STRING, start.to_bytes())


def _u8(value: int) -> Data:
    return Data(DataType.UNSIGNED, int(value))


def seasons_data(parts: dict) -> Data:
    """season_profile: {season_profile_name, season_start, week_name} per season."""
    return Data.array(
        [Data.structure(_text(n), _season_start(s), _text(w)) for n, s, w in parts["seasons"]]
    )


def weeks_data(parts: dict) -> Data:
    """week_profile_table: {week_profile_name, day id Monday..Sunday} per week."""
    return Data.array(
        [Data.structure(_text(n), *(_u8(i) for i in ids)) for n, ids in parts["weeks"]]
    )


def days_data(parts: dict) -> Data:
    """day_profile_table: {day_id, [{start_time, script_logical_name, script_selector}]} per day."""
    script = Data(DataType.OCTET_STRING, TARIFF_SCRIPT.to_bytes())

    def action(hhmm: str, tariff: int) -> Data:
        start = CosemTime(int(hhmm[:2]), int(hhmm[3:]), 0, 0).to_bytes()
        return Data.structure(
            Data(DataType.OCTET_STRING, start), script, Data(DataType.LONG_UNSIGNED, int(tariff))
        )

    return Data.array(
        [
            Data.structure(_u8(i), Data.array([action(t, k) for t, k in switches]))
            for i, switches in parts["days"]
        ]
    )


def _items(value: Data, what: str, width: int) -> list[tuple[Data, ...]]:
    if value.type != DataType.ARRAY:
        raise ConfigError(what, value.type.name, "an array")
    out = []
    for item in value.items():
        if item.type != DataType.STRUCTURE or len(fields := item.items()) != width:
            raise ConfigError(what, item, f"structures of {width} elements")
        out.append(tuple(fields))
    return out


def _octets(data: Data, size: int, what: str) -> bytes:
    if data.type != DataType.OCTET_STRING or len(data.as_bytes()) != size:
        raise ConfigError(what, data, f"an octet-string of {size} octets")
    return data.as_bytes()


def parse_seasons(value: Data) -> list[list]:
    """season_profile written by a client -> [[name, "MM-DD", week name], ...]."""
    out = []
    for name, start, week in _items(value, "season_profile", 3):
        when = CosemDateTime.from_bytes(_octets(start, 12, "season_start"))
        if not (1 <= when.month <= 12 and 1 <= when.day <= 31):
            raise ConfigError("season_start", when, "a date-time with month and day specified")
        out.append([_name(name), f"{when.month:02d}-{when.day:02d}", _name(week)])
    if not out:
        raise ConfigError("season_profile", [], "at least one season")
    return out


def parse_weeks(value: Data) -> list[list]:
    """week_profile_table written by a client -> [[name, [7 day ids]], ...]."""
    return [
        [_name(e[0]), [d.as_int() for d in e[1:]]] for e in _items(value, "week_profile_table", 8)
    ]


def parse_days(value: Data) -> list[list]:
    """day_profile_table written by a client -> [[day id, [["HH:MM", tariff], ...]], ...]."""
    out = []
    for day_id, schedule in _items(value, "day_profile_table", 2):
        switches: list[tuple[str, int]] = []
        for start, _script, selector in _items(schedule, "day_schedule", 3):
            time = CosemTime.from_bytes(_octets(start, 4, "start_time"))
            if not (0 <= time.hour <= 23 and 0 <= time.minute <= 59):
                raise ConfigError("start_time", time, "hour and minute specified")
            if selector.as_int() not in (1, 2, 3, 4):
                raise ConfigError("script_selector", selector.value, "the tariff, 1..4")
            switches.append((f"{time.hour:02d}:{time.minute:02d}", selector.as_int()))
        DayProfile(f"day {day_id.value}", tuple(switches))
        out.append([day_id.as_int(), [list(switch) for switch in switches]])
    return out


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


def calendar_keeper(meter) -> CalendarKeeper | None:  # noqa: ANN001
    """The meter's calendar keeper, added on first use; None for meters without functions (fleet views)."""
    functions = getattr(meter, "functions", None)
    if not isinstance(functions, list) or getattr(meter, "store", None) is None:
        return None
    for function in functions:
        if isinstance(function, CalendarKeeper):
            return function
    keeper = CalendarKeeper()
    keeper.attach(meter)
    functions.append(keeper)
    return keeper


# ---------------------------------------------------------------------------- class 20
def _activation_data(meter, keeper: CalendarKeeper | None) -> Data:  # noqa: ANN001
    if keeper is None or keeper.activation is None:
        return Data(DataType.OCTET_STRING, CosemDateTime().to_bytes())
    local = meter.localtime.to_local(keeper.activation)
    return Data(DataType.OCTET_STRING, CosemDateTime.from_datetime(local).to_bytes())


def parse_activation(meter, value: Data) -> float | None:  # noqa: ANN001
    """activate_passive_calendar_time -> POSIX time; all fields unspecified -> None (no activation)."""
    when = CosemDateTime.from_bytes(_octets(value, 12, "activate_passive_calendar_time"))
    if (
        when.year == YEAR_NOT_SPECIFIED
        and when.month == NOT_SPECIFIED
        and when.day == NOT_SPECIFIED
    ):
        return None
    moment = when.to_datetime()
    if moment.tzinfo is None:
        return meter.localtime.from_local(moment)
    return moment.timestamp()


def activity_calendar(meter, keeper: CalendarKeeper | None = None) -> CosemObject:  # noqa: ANN001
    """Class 20 0-0:13.0.0.255: active calendar = the tariff table; passive settable by management."""

    def active() -> dict:
        return table_parts(meter.config.tariff_table)

    def passive() -> dict:
        return keeper.parts() if keeper is not None else active()

    def writer(key: str, parse):  # noqa: ANN001, ANN202
        def set_(value: Data, ctx: RequestContext) -> None:
            if keeper is None:
                raise AccessDenied("this meter's calendar is not settable")
            parts = keeper.parts()
            parsed = parse(value)
            parts[key] = parsed
            if key == "days":
                known = parts.get("names", {})
                parts["names"] = {str(i): known.get(str(i), f"day {i}") for i, _ in parsed}
            keeper.store_passive(parts)

        return set_

    def set_activation(value: Data, ctx: RequestContext) -> None:
        if keeper is None:
            raise AccessDenied("this meter's calendar is not settable")
        keeper.store_passive(activation=parse_activation(meter, value))

    def activate(params: Data | None, ctx: RequestContext) -> None:
        if keeper is None:
            raise AccessDenied("this meter's calendar is not settable")
        keeper.activate(meter.t, "command")

    def get(fn):  # noqa: ANN001, ANN202
        return lambda ctx: fn()

    read, write = Level.READING, Level.MANAGEMENT
    attrs = {
        1: logical_name(ACTIVITY_CALENDAR),
        2: Attribute(get(lambda: _text(active()["name"])), read_level=read),
        3: Attribute(get(lambda: seasons_data(active())), read_level=read),
        4: Attribute(get(lambda: weeks_data(active())), read_level=read),
        5: Attribute(get(lambda: days_data(active())), read_level=read),
        6: Attribute(get(lambda: _text(passive()["name"])), writer("name", _name), read, write),
        7: Attribute(
            get(lambda: seasons_data(passive())), writer("seasons", parse_seasons), read, write
        ),
        8: Attribute(get(lambda: weeks_data(passive())), writer("weeks", parse_weeks), read, write),
        9: Attribute(get(lambda: days_data(passive())), writer("days", parse_days), read, write),
        10: Attribute(lambda ctx: _activation_data(meter, keeper), set_activation, read, write),
    }
    methods = {1: Method(activate, Level.MANAGEMENT)}
    return CosemObject(
        20,
        CLASS_VERSION[20],
        ACTIVITY_CALENDAR,
        attrs,
        methods,
        description="activity calendar: the tariff table (active) and a passive one",
    )
