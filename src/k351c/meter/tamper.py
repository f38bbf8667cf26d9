"""Tamper detection: meter cover, terminal cover, strong magnetic field; error and alarm registers."""

from __future__ import annotations

from enum import IntFlag
from typing import TYPE_CHECKING

from k351c.errors import ConfigError
from k351c.meter.eventlog import EventCode
from k351c.meter.function import Event, MeterFunction
from k351c.meter.objects import ValueDef
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.core import Meter


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
ALARM_OF_CODE: dict[int, Alarm] = {
    EventCode.CLOCK_INVALID: Alarm.CLOCK_INVALID,
    EventCode.REPLACE_BATTERY: Alarm.REPLACE_BATTERY,
    EventCode.POWER_UP: Alarm.POWER_UP,
    EventCode.ALARM_INPUT_ACTIVE: Alarm.ALARM_INPUT,
    **{start: bit for start, _, bit, _ in SOURCES.values()},
}
# The error symbol shows critical errors, magnetic influence and an opened meter cover (data sheet).
ERROR_SYMBOL_BITS = Alarm.CLOCK_INVALID | Alarm.METER_COVER | Alarm.MAGNETIC_FIELD


class Tamper(MeterFunction):
    """Cover and magnet switches; every change is logged, latched in the error register and raised as an alarm."""

    name = "tamper"

    def __init__(self) -> None:
        self.active = {source: False for source in SOURCES}
        self.errors = 0
        self.alarms = 0

    def attach(self, meter: Meter) -> None:
        """Add the error and alarm registers; listen for events that raise alarm bits."""
        super().attach(meter)
        meter.objects.add(
            ValueDef(
                Obis(0, 0, 97, 97, 0),
                1,
                lambda: self.error_register,
                description="error register (bits in docs/loggers.md)",
            )
        )
        meter.objects.add(
            ValueDef(
                Obis(0, 0, 97, 98, 0),
                1,
                lambda: self.alarms,
                set=self.write_alarms,
                description="alarm register (write to clear bits)",
            )
        )
        meter.subscribe(self._on_event)

    @property
    def error_register(self) -> int:
        """Latched tamper errors plus the clock-invalid and replace-battery states."""
        invalid = Alarm.CLOCK_INVALID if (self.meter.clock_status or 0) & 0x01 else 0
        battery = Alarm.REPLACE_BATTERY if self.meter.replace_battery else 0
        return self.errors | int(invalid) | int(battery)

    @property
    def error_symbol(self) -> bool:
        """Whether the display's error symbol is lit."""
        return bool(self.error_register & ERROR_SYMBOL_BITS)

    def set(self, source: str, opened: bool | None = None, *, active: bool | None = None) -> None:
        """Report a switch: set("meter_cover", opened=True), set("magnetic", active=True)."""
        if source not in SOURCES:
            raise ConfigError("tamper source", source, sorted(SOURCES))
        state = opened if opened is not None else active
        if not isinstance(state, bool):
            raise ConfigError(
                f"tamper {source} state", state, "opened=True/False or active=True/False"
            )
        meter = self.meter
        if meter.clock.timestamp() > meter.true_t:
            meter.advance_to(meter.clock.timestamp())
        if self.active[source] == state:
            return
        self.active[source] = state
        start, end, bit, names = SOURCES[source]
        if state:
            self.errors |= int(bit)
        meter.emit(
            Event(
                meter.t,
                "tamper",
                start if state else end,
                data={"source": source, "state": names[0] if state else names[1]},
            )
        )
        meter.commit()

    def clear_errors(self) -> None:
        """Reset the latched error bits (a service action); switches still active stay set."""
        self.errors = 0
        for source, on in self.active.items():
            if on:
                self.errors |= int(SOURCES[source][2])

    def write_alarms(self, value: object) -> None:
        """A write sets the alarm register to the value written (0 clears every alarm)."""
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError("alarm register", value, "an unsigned integer")
        self.alarms = value

    def _on_event(self, event: Event) -> None:
        bit = ALARM_OF_CODE.get(event.code)
        if bit is None or event.kind == "alarm":
            return
        self.alarms |= int(bit)
        self.meter.emit(
            Event(
                event.t,
                "alarm",
                0,
                data={
                    "cause": int(event.code),
                    "bit": int(bit),
                    "alarm_register": self.alarms,
                    "error_register": self.error_register,
                    **event.data,
                },
            )
        )

    def state(self) -> dict:
        """Switch states and both registers."""
        return {"active": dict(self.active), "errors": self.errors, "alarms": self.alarms}

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.active.update({k: bool(v) for k, v in state["active"].items()})
        self.errors = int(state["errors"])
        self.alarms = int(state["alarms"])
