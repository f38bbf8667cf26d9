"""Tariffs: the tariff control table in local time, public holidays, and the module's tariff inputs.

The tariff in force is ``meter.tariff`` (1..4); the core books energy to it. It comes either from
the tariff control table that configuration 3 "000" names (season, week and day profiles like the
DLMS activity calendar, special days, the country's public holidays from the `holidays` library) or,
when the I/O configuration DD has tariff inputs on lines the fitted module (CCC) has, from the levels
of those inputs.
"""

from __future__ import annotations

import bisect
from collections.abc import Container
from datetime import date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from k351c.codes.settings import TariffTable
from k351c.codes.tables import MODULES, IoDirection, IoFunction
from k351c.errors import ConfigError
from k351c.meter.function import Event, MeterFunction, Step, bound
from k351c.meter.localtime import LocalTime
from k351c.meter.objects import COUNTER_RANGE, ValueDef
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.codes import MeterConfig
    from k351c.meter.core import Meter

CURRENT_TARIFF = Obis(0, 0, 96, 14, 0)
PULSE_INPUT = Obis(0, 0, 128, 11, 0)
INPUT_LEVEL = (Obis(0, 0, 128, 12, 1), Obis(0, 0, 128, 12, 2))

_F = IoFunction
TARIFF_4_INPUTS = (_F.TARIFF_4, _F.TARIFF_4_INV)
TARIFF_2_INPUTS = (_F.TARIFF_2, _F.TARIFF_2_INV)
PULSE_INPUTS = (_F.PULSE_IN, _F.PULSE_IN_INV)


@cache
def public_holidays(country: str, subdiv: str | None = None, language: str | None = None):
    """The `holidays` calendar of a country, shared by every meter of that country."""
    import holidays

    try:
        return holidays.country_holidays(country, subdiv=subdiv, language=language)
    except NotImplementedError:
        raise ConfigError(
            "holiday country", country, "a country the holidays library knows"
        ) from None


class TariffCalendar:
    """A tariff control table evaluated in the meter's local time, with the country's public holidays."""

    def __init__(
        self,
        table: TariffTable | None,
        localtime: LocalTime,
        country: str | None = None,
        subdiv: str | None = None,
        language: str | None = None,
    ) -> None:
        self.table = table
        self.localtime = localtime
        self._where = (country, subdiv, language)
        self._holidays: Container[date] | None = None
        self._profiles: dict[date, tuple[list[int], list[int]]] = {}

    @classmethod
    def for_config(cls, config: MeterConfig, localtime: LocalTime) -> TariffCalendar:
        """The calendar of a configuration: its tariff table and holiday country, in this local time."""
        return cls(
            config.tariff_table,
            localtime,
            config.holiday_country,
            config.holiday_subdiv,
            config.holiday_language,
        )

    def is_holiday(self, day: date) -> bool:
        """Whether day is a public holiday of the meter's country (False without a country)."""
        country, subdiv, language = self._where
        if not country:
            return False
        if self._holidays is None:
            self._holidays = public_holidays(country, subdiv, language)
        return day in self._holidays

    def _day(self, day: date) -> tuple[list[int], list[int]]:
        """(switch minutes, tariffs) of the day profile in force on a local date, cached."""
        cached = self._profiles.get(day)
        if cached is None:
            if len(self._profiles) > 64:
                self._profiles.clear()
            assert self.table is not None, "window() answers tariff 1 without a table"
            profile = self.table.day_profile_for(day, self.is_holiday(day))
            minutes = [int(text[:2]) * 60 + int(text[3:]) for text, _ in profile.switches]
            cached = self._profiles[day] = (minutes, [tariff for _, tariff in profile.switches])
        return cached

    def window(self, t: float) -> tuple[int, float | None]:
        """The tariff at POSIX time t and the next instant (> t) where it may change; None = never."""
        if self.table is None:
            return 1, None
        local = self.localtime.to_local(t).replace(tzinfo=None)
        day = local.date()
        minutes, tariffs = self._day(day)
        minute = local.hour * 60 + local.minute
        index = bisect.bisect_right(minutes, minute)
        tariff = tariffs[index - 1]
        midnight = datetime(day.year, day.month, day.day)
        if index < len(minutes):
            wall = midnight + timedelta(minutes=minutes[index])
        else:
            wall = midnight + timedelta(days=1)
        t_next = self.localtime.from_local(wall)
        while t_next <= t:
            t_next += 3600.0
        change = self.localtime.next_change(t)
        if change is not None and change < t_next:
            t_next = change
        return tariff, t_next

    def tariff_at(self, t: float) -> int:
        """The tariff the table gives at POSIX time t."""
        return self.window(t)[0]


def counts_pulse(function: IoFunction, old, new):  # noqa: ANN001, ANN201
    """Whether a level change from ``old`` to ``new`` counts a pulse on this line (scalar or array)."""
    return (function in PULSE_INPUTS) & (new != old) & (new != function.inverted)


def fitted_inputs(config) -> tuple[IoFunction, IoFunction]:  # noqa: ANN001
    """The DD functions of the lines the fitted module (CCC) has as inputs; others do nothing.

    A DD naming tariff inputs on a meter without that module (e.g. CCC 000) selects no tariff: the
    tariff table stays in force. A module "see module data sheet" (no fixed lines) keeps the DD.
    """
    module = MODULES.get(config.module_code, MODULES[0])
    out = []
    for fn, direction in zip(config.io_functions, (module.io1, module.io2), strict=True):
        fits = direction is None or (direction is IoDirection.INPUT and fn.direction is direction)
        out.append(fn if fits or fn.direction is not IoDirection.INPUT else IoFunction.NONE)
    return out[0], out[1]


def external_tariff(functions: tuple[IoFunction, IoFunction], levels: list[bool]) -> int | None:
    """The tariff the module's inputs select, or None when DD has no tariff input.

    4-tariff: the two lines are a binary code, tariff = 1 + I/O 1 + 2 x I/O 2 (active = 1).
    2-tariff: the one tariff line selects tariff 2 when active, tariff 1 otherwise.
    An inverted input is active at low level.
    """
    active = [level != fn.inverted for fn, level in zip(functions, levels, strict=True)]
    if functions[0] in TARIFF_4_INPUTS and functions[1] in TARIFF_4_INPUTS:
        return 1 + int(active[0]) + 2 * int(active[1])
    for fn, on in zip(functions, active, strict=True):
        if fn in TARIFF_2_INPUTS:
            return 2 if on else 1
    return None


class Tariffs(MeterFunction):
    """Sets ``meter.tariff`` from the tariff table or the tariff inputs, and counts the pulse input."""

    name = "tariffs"

    def attach(self, meter: Meter) -> None:
        """Build the calendar, read the I/O roles and register the current tariff and input values."""
        super().attach(meter)
        config = meter.config
        self._build_calendar()
        meter.subscribe(self._on_event)
        self.io_functions: tuple[IoFunction, IoFunction] = config.io_functions
        self.tariff_inputs = fitted_inputs(config)
        self.levels = [False, False]
        self.pulses = 0
        self._next: float | None = None
        self._dirty = True
        meter.tariff = external_tariff(self.tariff_inputs, self.levels) or self.calendar.tariff_at(
            meter.t
        )
        add = meter.objects.add
        add(
            ValueDef(
                CURRENT_TARIFF,
                1,
                lambda: meter.tariff,
                public=True,
                description="current tariff (1-4), the display's tariff indicator",
            )
        )
        add(
            ValueDef(
                PULSE_INPUT,
                3,
                lambda: self.pulses,
                description=f"pulse input counter (pulses; unit {config.pulse_input_unit or 'none'})",
                value_range=COUNTER_RANGE,
            )
        )
        for line, obis in enumerate(INPUT_LEVEL):
            add(
                ValueDef(
                    obis,
                    1,
                    bound(lambda i: int(self.levels[i]), line),
                    description=f"I/O {line + 1} input level ({self.io_functions[line].value})",
                )
            )

    def _build_calendar(self) -> None:
        """The calendar of the configuration now in force, remembered by the settings' identity."""
        config = self.meter.config
        self._settings = config.settings
        self._config = config
        self.calendar = TariffCalendar.for_config(config, self.meter.localtime)

    def _stale(self) -> bool:
        """Whether the configuration changed since the calendar was built (an identity check)."""
        return self.meter.config is not self._config

    def _refresh(self) -> None:
        """Rebuild the calendar when the configuration changed and re-evaluate the tariff at once."""
        config = self.meter.config
        if config.settings is self._settings:
            self._config = config
            return
        self._build_calendar()
        self._switch(self.meter.t)

    def _on_event(self, event: Event) -> None:
        """After meter.reconfigure the tariff follows the new table from the meter's current time."""
        if event.kind == "configuration_changed" and self._stale():
            self._refresh()

    @property
    def external(self) -> bool:
        """Whether the tariff is controlled by the module's tariff inputs (DD) instead of the table."""
        return external_tariff(self.tariff_inputs, self.levels) is not None

    def set_input(self, line: int, level: bool | int) -> None:
        """Set the level of module input ``line`` (1 or 2); takes effect from the meter's current time."""
        if line not in (1, 2):
            raise ConfigError("I/O line", line, [1, 2])
        function = self.io_functions[line - 1]
        new, old = bool(level), self.levels[line - 1]
        self.levels[line - 1] = new
        if counts_pulse(function, old, new):
            self.pulses += 1
        self._dirty = True
        if new != old:
            data = {"line": line, "level": int(new), "function": function.value}
            self.meter.emit(Event(self.meter.t, "input_changed", data=data))

    def pulse(self, count: int = 1) -> None:
        """Count ``count`` pulses on the pulse input (a whole burst between two steps)."""
        if count < 0:
            raise ConfigError("pulse count", count, "an integer >= 0")
        self.pulses += int(count)

    def next_boundary(self, t: float) -> float | None:
        """The next tariff switch of the calendar (None under external control)."""
        return self._next

    def begin_step(self, t0: float) -> None:
        """Re-evaluate the tariff after an input change, a clock adjustment or a new configuration."""
        if self.meter.config is not self._config:
            self._refresh()
        if self._dirty:
            self._switch(t0)

    def on_step(self, step: Step) -> None:
        """At a switch time, change the tariff for the steps that follow (readable at that instant)."""
        if self._next is not None and step.t1 >= self._next:
            self._switch(step.t1)

    def _switch(self, t: float) -> None:
        self._dirty = False
        chosen = external_tariff(self.tariff_inputs, self.levels)
        if chosen is None:
            chosen, self._next = self.calendar.window(t)
        else:
            self._next = None
        if chosen != self.meter.tariff:
            data = {"old": self.meter.tariff, "new": chosen}
            self.meter.tariff = chosen
            self.meter.emit(Event(t, "tariff_changed", data=data))

    def on_time_set(self, old: float, new: float) -> None:
        """After a clock adjustment the calendar is evaluated afresh."""
        self._dirty = True

    def state(self) -> dict:
        """Input levels and the pulse count (the tariff itself is core state)."""
        return {"levels": [int(x) for x in self.levels], "pulses": self.pulses}

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.levels = [bool(x) for x in state.get("levels", [0, 0])]
        self.pulses = int(state.get("pulses", 0))
        self._dirty = True
        if self._stale():
            self._build_calendar()
