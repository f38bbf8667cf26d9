"""Tamper detection: meter cover, terminal cover, strong magnetic field; error and alarm registers.

The rule is written once over arrays of meters (rows): ``switch`` reports a source on some rows,
``raise_alarms`` latches the alarm bits of event codes, ``error_register`` composes the error
register. The single meter's ``Tamper`` runs it on one row; the fleet (k351c.meter.fleet_tamper)
on all of its meters.
"""

from __future__ import annotations

from enum import IntFlag
from typing import TYPE_CHECKING

import numpy as np

from k351c.errors import ConfigError
from k351c.meter.eventlog import EventCode
from k351c.meter.function import Event, MeterFunction
from k351c.meter.objects import ValueDef
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.core import Meter

ERROR_REGISTER = Obis(0, 0, 97, 97, 0)
ALARM_REGISTER = Obis(0, 0, 97, 98, 0)


class Alarm(IntFlag):
    """Bits of the error register 0-0:97.97.0.255 and the alarm register 0-0:97.98.0.255 (docs/loggers.md)."""

    CLOCK_INVALID = 0x0001
    REPLACE_BATTERY = 0x0002
    POWER_UP = 0x0004
    METER_COVER = 0x0100
    TERMINAL_COVER = 0x0200
    MAGNETIC_FIELD = 0x0400
    ALARM_INPUT = 0x0800


# source -> (code when it starts, code when it ends, bit, state names)
SOURCES: dict[str, tuple[EventCode, EventCode, Alarm, tuple[str, str]]] = {
    "meter_cover": (
        EventCode.METER_COVER_REMOVED,
        EventCode.METER_COVER_CLOSED,
        Alarm.METER_COVER,
        ("opened", "closed"),
    ),
    "terminal_cover": (
        EventCode.TERMINAL_COVER_REMOVED,
        EventCode.TERMINAL_COVER_CLOSED,
        Alarm.TERMINAL_COVER,
        ("opened", "closed"),
    ),
    "magnetic": (
        EventCode.STRONG_DC_FIELD_DETECTED,
        EventCode.NO_STRONG_DC_FIELD_ANYMORE,
        Alarm.MAGNETIC_FIELD,
        ("detected", "removed"),
    ),
}
SOURCE_NAMES = tuple(SOURCES)
"""The sources in the order of the ``active`` arrays' columns."""
ALARM_OF_CODE: dict[int, Alarm] = {
    EventCode.CLOCK_INVALID: Alarm.CLOCK_INVALID,
    EventCode.REPLACE_BATTERY: Alarm.REPLACE_BATTERY,
    EventCode.POWER_UP: Alarm.POWER_UP,
    EventCode.ALARM_INPUT_ACTIVE: Alarm.ALARM_INPUT,
    **{start: bit for start, _, bit, _ in SOURCES.values()},
}
# The error symbol shows critical errors, magnetic influence and an opened meter cover (data sheet).
ERROR_SYMBOL_BITS = Alarm.CLOCK_INVALID | Alarm.METER_COVER | Alarm.MAGNETIC_FIELD


def checked_switch(source: str, opened: bool | None, active: bool | None) -> tuple[int, bool]:
    """The column of ``source`` and the state reported; ConfigError naming what is wrong."""
    if source not in SOURCES:
        raise ConfigError("tamper source", source, sorted(SOURCES))
    state = opened if opened is not None else active
    if not isinstance(state, bool):
        raise ConfigError(f"tamper {source} state", state, "opened=True/False or active=True/False")
    return SOURCE_NAMES.index(source), state


def switch(active: np.ndarray, errors: np.ndarray, column: int, state: bool, rows) -> np.ndarray:  # noqa: ANN001
    """Report source ``column`` as ``state`` on ``rows``: the rows whose switch changed (each logs an event).

    A switch that starts latches its bit in the error register.
    """
    rows = np.asarray(rows, dtype=np.int64)
    changed = rows[active[rows, column] != state]
    active[changed, column] = state
    if state:
        errors[changed] |= int(SOURCES[SOURCE_NAMES[column]][2])
    return changed


def switch_code(column: int, state: bool) -> EventCode:
    """The fraud-log code of a switch of source ``column`` to ``state``."""
    start, end, _, _ = SOURCES[SOURCE_NAMES[column]]
    return start if state else end


def alarm_bit(code: int) -> int:
    """The alarm register bit an event code raises (0: none)."""
    return int(ALARM_OF_CODE.get(code, 0))


def raise_alarms(alarms: np.ndarray, rows, code: int) -> int:  # noqa: ANN001
    """Latch the alarm bit of ``code`` on ``rows`` of the alarm registers; the bit (0: none)."""
    bit = alarm_bit(code)
    if bit:
        alarms[rows] |= bit
    return bit


def cleared_errors(active: np.ndarray) -> np.ndarray:
    """Error registers after a clear: only the bits of switches still active stay set."""
    bits = np.array([int(SOURCES[name][2]) for name in SOURCE_NAMES], dtype=np.int64)
    return np.bitwise_or.reduce(np.where(active, bits, 0), axis=-1)


def error_register(errors, clock_status, replace_battery):  # noqa: ANN001, ANN201
    """Latched tamper errors plus the clock-invalid (clock status bit 0) and replace-battery states."""
    invalid = np.where(np.asarray(clock_status) & 0x01, int(Alarm.CLOCK_INVALID), 0)
    battery = np.where(replace_battery, int(Alarm.REPLACE_BATTERY), 0)
    return errors | invalid | battery


def error_symbol(register) -> bool:  # noqa: ANN001
    """Whether an error register lights the display's error symbol."""
    return bool(int(register) & ERROR_SYMBOL_BITS)


def written_alarms(value: object) -> int:
    """The alarm register after a write of ``value`` (0 clears every alarm); ConfigError if not one."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError("alarm register", value, "an unsigned integer")
    return value


class Tamper(MeterFunction):
    """Cover and magnet switches; every change is logged, latched in the error register and raised as an alarm.

    A single meter is one row of the array rule above.
    """

    name = "tamper"

    def __init__(self) -> None:
        self._active = np.zeros((1, len(SOURCES)), dtype=bool)
        self._errors = np.zeros(1, dtype=np.int64)
        self._alarms = np.zeros(1, dtype=np.int64)

    def attach(self, meter: Meter) -> None:
        """Add the error and alarm registers; listen for events that raise alarm bits."""
        super().attach(meter)
        meter.objects.add(
            ValueDef(
                ERROR_REGISTER,
                1,
                lambda: self.error_register,
                description="error register (bits in docs/loggers.md)",
            )
        )
        meter.objects.add(
            ValueDef(
                ALARM_REGISTER,
                1,
                lambda: self.alarms,
                set=self.write_alarms,
                description="alarm register (write to clear bits)",
            )
        )
        meter.subscribe(self._on_event)

    @property
    def active(self) -> dict[str, bool]:
        """Each source's switch: whether it is active (opened, field present) now."""
        return {name: bool(on) for name, on in zip(SOURCE_NAMES, self._active[0], strict=True)}

    @property
    def errors(self) -> int:
        """The latched tamper bits of the error register."""
        return int(self._errors[0])

    @property
    def alarms(self) -> int:
        """The alarm register."""
        return int(self._alarms[0])

    @property
    def error_register(self) -> int:
        """Latched tamper errors plus the clock-invalid and replace-battery states."""
        meter = self.meter
        return int(error_register(self._errors, meter.clock_status or 0, meter.replace_battery)[0])

    @property
    def error_symbol(self) -> bool:
        """Whether the display's error symbol is lit."""
        return error_symbol(self.error_register)

    def set(self, source: str, opened: bool | None = None, *, active: bool | None = None) -> None:
        """Report a switch: set("meter_cover", opened=True), set("magnetic", active=True)."""
        column, state = checked_switch(source, opened, active)
        meter = self.meter
        if meter.clock.timestamp() > meter.true_t:
            meter.advance_to(meter.clock.timestamp())
        if not switch(self._active, self._errors, column, state, [0]).size:
            return
        names = SOURCES[source][3]
        meter.emit(
            Event(
                meter.t,
                "tamper",
                switch_code(column, state),
                data={"source": source, "state": names[0] if state else names[1]},
            )
        )
        meter.commit()

    def clear_errors(self) -> None:
        """Reset the latched error bits (a service action); switches still active stay set."""
        self._errors[:] = cleared_errors(self._active)

    def write_alarms(self, value: object) -> None:
        """A write sets the alarm register to the value written (0 clears every alarm)."""
        self._alarms[0] = written_alarms(value)

    def _on_event(self, event: Event) -> None:
        if event.kind == "alarm":
            return
        bit = raise_alarms(self._alarms, 0, event.code)
        if not bit:
            return
        self.meter.emit(
            Event(
                event.t,
                "alarm",
                0,
                data={
                    "cause": int(event.code),
                    "bit": bit,
                    "alarm_register": self.alarms,
                    "error_register": self.error_register,
                    **event.data,
                },
            )
        )

    def state(self) -> dict:
        """Switch states and both registers."""
        return {"active": self.active, "errors": self.errors, "alarms": self.alarms}

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        for name, on in state["active"].items():
            self._active[0, SOURCE_NAMES.index(name)] = bool(on)
        self._errors[0] = int(state["errors"])
        self._alarms[0] = int(state["alarms"])
