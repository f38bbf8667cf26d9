"""The module slot: the fitted module (configuration 1 CCC) and its two I/O lines (DD).

Inputs are driven through ``meter.function("io").set_input(line, level)`` (scenario files, the web
page, tests); outputs are observable as events (``output_changed``, ``pulse_output``) and as values:

| OBIS | what |
| --- | --- |
| 0-0:128.11.0.255 | pulse input, pulses counted (kept by the tariffs function when present) |
| 0-0:128.11.1.255 | pulse input value = pulses x weight, unit per NN: Wh (for kWh), m3 or l |
| 0-0:128.11.2.255 | pulse input weight: NN units per pulse (settable) |
| 0-0:128.12.1/2.255 | I/O 1/2 input level (kept by the tariffs function when present) |
| 0-0:128.13.1/2.255 | I/O 1/2 output level |
| 0-0:128.14.1/2.255 | I/O 1/2 pulse output count |
| 0-0:128.14.3.255 | module pulse output constant, imp/kWh (kvarh) of secondary or primary energy |
| 0-0:128.15.0.255 / .1 | fitted module (CCC) / I/O configuration (DD) |
| 0-0:128.16.0.255 | alarm inputs active (bit 0 = I/O 1, bit 1 = I/O 2) |
| 0-0:128.17.0.255 | load tariffs: bit t-1 set = the load tariff sync output is active in tariff t |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import numpy as np

from k351c.codes.tables import MODULES, IoDirection, IoFunction, Module
from k351c.errors import ConfigError
from k351c.meter.energy import PulseCounter
from k351c.meter.eventlog import EventCode
from k351c.meter.function import Event, MeterFunction, Step, bound
from k351c.meter.loadcontrol import LoadControl
from k351c.meter.objects import COUNTER_RANGE, ValueDef
from k351c.meter.tariffs import PULSE_INPUTS, Tariffs, counts_pulse
from k351c.obis import Obis
from k351c.units import Unit

if TYPE_CHECKING:
    from collections.abc import Callable

    from k351c.meter.core import Meter

_F = IoFunction
F = TypeVar("F", bound=MeterFunction)
PULSE_COUNT = Obis(0, 0, 128, 11, 0)
PULSE_VALUE = Obis(0, 0, 128, 11, 1)
PULSE_WEIGHT = Obis(0, 0, 128, 11, 2)
INPUT_LEVEL = (Obis(0, 0, 128, 12, 1), Obis(0, 0, 128, 12, 2))
OUTPUT_LEVEL = (Obis(0, 0, 128, 13, 1), Obis(0, 0, 128, 13, 2))
PULSE_OUT_COUNT = (Obis(0, 0, 128, 14, 1), Obis(0, 0, 128, 14, 2))
PULSE_OUT_CONSTANT = Obis(0, 0, 128, 14, 3)
PULSE_OUT_OVERRUN = Obis(0, 0, 128, 14, 4)
MODULE_CODE = Obis(0, 0, 128, 15, 0)
IO_CODE = Obis(0, 0, 128, 15, 1)
ALARM_STATUS = Obis(0, 0, 128, 16, 0)
LOAD_TARIFFS = Obis(0, 0, 128, 17, 0)

SECONDARY_CONSTANT = 5000
"""Module pulse outputs of secondary energy: 5000 imp/kWh like the S0 output."""
PRIMARY_CONSTANTS = (5000, 1000, 500, 100, 50, 10, 5, 1)
"""Primary energy: the largest of these with constant x CT ratio <= 5000, so pulses stay as frequent."""

PULSE_UNITS = {"kWh": Unit.WATT_HOUR, "m3": Unit.CUBIC_METRE, "L": Unit.LITRE}
DEFAULT_WEIGHT = {"kWh": 0.001, "m3": 0.01, "L": 1.0, "": 1.0}
"""NN units per input pulse by default: 1 Wh (1000 imp/kWh), 10 L (100 imp/m3), 1 L."""

TARIFF_INPUTS = {_F.TARIFF_4, _F.TARIFF_4_INV, _F.TARIFF_2, _F.TARIFF_2_INV}
ALARM_INPUTS = {_F.ALARM_IN, _F.ALARM_IN_INV}
PULSE_OUTPUTS = {_F.A_PLUS_OUT: 0, _F.A_MINUS_OUT: 1, _F.R_PLUS_OUT: 2}
"""Pulse output function -> row of the step's energy array (A+, A-, R+)."""
RELAY_OF_OUTPUT = {
    _F.LOAD_CONTROL_OUT: 1,
    _F.LOAD_CONTROL_1_OUT: 1,
    _F.LOAD_CONTROL_2_OUT: 2,
    _F.LOAD_CONTROL_STATUS_OUT: 1,
}
TARIFF_SYNC = {_F.TARIFF_SYNC_LOAD_CONTROL_OUT, _F.TARIFF_SYNC_LOAD_CONTROL_INV_OUT}
LOAD_TARIFF_SYNC = {_F.LOAD_TARIFF_SYNC_OUT, _F.LOAD_TARIFF_SYNC_INV_OUT}


def checked_input(functions: tuple[IoFunction, IoFunction], line: int) -> IoFunction:
    """The function of input ``line`` (1 or 2); ConfigError when it is no input line."""
    if line not in (1, 2):
        raise ConfigError("I/O line", line, [1, 2])
    function = functions[line - 1]
    if function.direction is not IoDirection.INPUT:
        inputs = [i + 1 for i, f in enumerate(functions) if f.direction is IoDirection.INPUT]
        raise ConfigError(
            f"I/O {line} ({function.value})", "input", f"input lines: {inputs or 'none'}"
        )
    return function


def checked_pulses(functions: tuple[IoFunction, IoFunction], count: object, dd: object) -> int:
    """A burst of ``count`` pulses on the pulse input; ConfigError without one or for a bad count."""
    if not isinstance(count, int) or count < 0:
        raise ConfigError("pulse count", count, "an integer >= 0")
    if not any(f in PULSE_INPUTS for f in functions):
        raise ConfigError("pulse input", dd, "a DD with a pulse input")
    return count


def output_level(function: IoFunction, line: int, tariff, load_tariffs, current):  # noqa: ANN001, ANN201
    """The level an output line follows from the tariff and the load tariffs (scalar or array).

    Outputs driven by relays or pulses keep ``current`` (the caller knows them).
    """
    if function in LOAD_TARIFF_SYNC:
        return ((load_tariffs >> (tariff - 1)) & 1).astype(bool) != function.inverted
    if function in TARIFF_SYNC:
        return (((tariff - 1) >> (line - 1)) & 1).astype(bool) != function.inverted
    return current


def pulse_value(pulses, weight, unit: str):  # noqa: ANN001, ANN201
    """The pulse input in its DLMS unit (a kWh input is reported in Wh)."""
    factor = 1000.0 if unit == "kWh" else 1.0
    return round(pulses * (weight or 1.0) * factor, 6)


def checked_weight(value: object) -> float:
    """A pulse input weight (NN units per pulse, > 0); ConfigError otherwise."""
    if not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError("pulse input weight", value, "a number > 0 (units per pulse)")
    return float(value)


def checked_load_tariffs(mask: object) -> int:
    """A load-tariff mask (bit t-1 = tariff t); ConfigError otherwise."""
    if not isinstance(mask, int) or not 0 <= mask <= 0b1111:
        raise ConfigError("load tariffs", mask, "a bit mask 0..15 (bit t-1 = tariff t)")
    return mask


def primary_constant(ct_ratio: float) -> int:
    """Pulse constant (imp/kWh of primary energy) for a CT ratio."""
    for constant in PRIMARY_CONSTANTS:
        if constant * ct_ratio <= SECONDARY_CONSTANT:
            return constant
    return PRIMARY_CONSTANTS[-1]


class IoModule(MeterFunction):
    """The module slot: which module is fitted, what its I/O lines do, their levels and pulses."""

    name = "io"

    def __init__(self) -> None:
        self.levels = [False, False]
        self.outputs = [False, False]
        self.alarms = [False, False]
        self.own_pulses = 0
        self.weight: float | None = None
        self.load_tariffs = 0b0010
        self.toggle = False

    # ----------------------------------------------------------------- setup
    def attach(self, meter: Meter) -> None:
        """Read CCC/DD, set up pulse outputs and register the module's values."""
        super().attach(meter)
        config = meter.config
        self.module_code = config.module_code
        self.module: Module = MODULES.get(self.module_code, MODULES[0])
        self.functions: tuple[IoFunction, IoFunction] = config.io_functions
        self.unit = config.pulse_input_unit
        if self.weight is None:
            self.weight = DEFAULT_WEIGHT.get(self.unit, 1.0)
        self.primary = config.pulse_output_primary
        self.constant = primary_constant(meter.ct_ratio) if self.primary else SECONDARY_CONSTANT
        self.counters = [PulseCounter(self.constant, config.pulse_length_ms) for _ in range(2)]
        self._has_outputs = any(f.direction is IoDirection.OUTPUT for f in self.functions)
        self._refreshed: tuple | None = None
        self._register(meter)
        meter.subscribe(self._on_event)

    def _register(self, meter: Meter) -> None:
        self._register_inputs(meter)
        self._register_outputs(meter.objects.add)
        self._register_module(meter.objects.add)

    def _register_inputs(self, meter: Meter) -> None:
        add, objects = meter.objects.add, meter.objects
        if PULSE_COUNT not in objects:
            add(
                ValueDef(
                    PULSE_COUNT,
                    3,
                    lambda: self.pulses,
                    description="pulse input counter (pulses)",
                    value_range=COUNTER_RANGE,
                )
            )
        for i, obis in enumerate(INPUT_LEVEL):
            if obis not in objects:
                add(
                    ValueDef(
                        obis,
                        1,
                        bound(lambda i: int(self.levels[i]), i),
                        description=f"I/O {i + 1} input level",
                    )
                )
        add(
            ValueDef(
                PULSE_VALUE,
                3,
                lambda: self.pulse_value,
                PULSE_UNITS.get(self.unit, Unit.COUNT),
                description=f"pulse input value ({self.unit or 'no unit'}, NN)",
            )
        )
        add(
            ValueDef(
                PULSE_WEIGHT,
                1,
                lambda: self.weight,
                set=self.set_weight,
                description="pulse input weight (NN units per pulse)",
            )
        )

    def _register_outputs(self, add: Callable[[ValueDef], object]) -> None:
        for i in range(2):
            add(
                ValueDef(
                    OUTPUT_LEVEL[i],
                    1,
                    bound(lambda i: int(self.outputs[i]), i),
                    description=f"I/O {i + 1} output level ({self.functions[i].value})",
                )
            )
            add(
                ValueDef(
                    PULSE_OUT_COUNT[i],
                    3,
                    bound(lambda i: self.counters[i].count, i),
                    description=f"I/O {i + 1} pulse output count",
                    value_range=COUNTER_RANGE,
                )
            )

    def _register_module(self, add: Callable[[ValueDef], object]) -> None:
        energy = "primary" if self.primary else "secondary"
        read_only = (
            (
                PULSE_OUT_CONSTANT,
                lambda: self.constant,
                f"module pulse output constant, imp/kWh of {energy} energy",
            ),
            (MODULE_CODE, lambda: self.module_code, f"fitted module: {self.module.name}"),
            (IO_CODE, lambda: self.meter.config.config1.dd, "I/O configuration (DD)"),
            (
                ALARM_STATUS,
                lambda: int(self.alarms[0]) | int(self.alarms[1]) << 1,
                "alarm inputs active",
            ),
        )
        for obis, get, description in read_only:
            add(ValueDef(obis, 1, get, description=description))
        add(
            ValueDef(
                PULSE_OUT_OVERRUN,
                1,
                lambda: sum(c.dropped for c in self.counters),
                description="module pulse outputs overrun: pulses not emitted (above 1/(2 x length))",
            )
        )
        add(
            ValueDef(
                LOAD_TARIFFS,
                1,
                lambda: self.load_tariffs,
                set=self.set_load_tariffs,
                description="load tariffs of the load tariff sync output (bit t-1 = tariff t)",
            )
        )

    # -------------------------------------------------------------- helpers
    def _function(self, kind: type[F]) -> F | None:
        try:
            return self.meter.function(kind)
        except KeyError:
            return None

    @property
    def pulses(self) -> int:
        """Pulses counted on the pulse input."""
        tariffs = self._function(Tariffs)
        return tariffs.pulses if tariffs is not None else self.own_pulses

    @property
    def pulse_value(self) -> float:
        """The pulse input in its DLMS unit (a kWh input is reported in Wh)."""
        return pulse_value(self.pulses, self.weight, self.unit)

    def set_weight(self, value: float) -> None:
        """Set the NN units per pulse (> 0)."""
        self.weight = checked_weight(value)

    def set_load_tariffs(self, mask: int) -> None:
        """Set which tariffs (bit t-1) make the load tariff sync output active."""
        self.load_tariffs = checked_load_tariffs(mask)
        self._refresh(self.meter.t)

    # ---------------------------------------------------------------- inputs
    def set_input(self, line: int, level: bool | int) -> None:
        """Set the level of input ``line`` (1 or 2) now: tariff, pulse, alarm or load control input."""
        function = checked_input(self.functions, line)
        new, old = bool(level), self.levels[line - 1]
        self.levels[line - 1] = new
        tariffs = self._function(Tariffs)
        if tariffs is not None:
            tariffs.set_input(line, new)
        elif new != old:
            if counts_pulse(function, old, new):
                self.own_pulses += 1
            data = {"line": line, "level": int(new), "function": function.value}
            self.meter.emit(Event(self.meter.t, "input_changed", data=data))
        if new != old:
            self._input_effect(line, function, new != function.inverted)

    def pulse(self, count: int = 1) -> None:
        """Count a burst of ``count`` pulses on the pulse input."""
        count = checked_pulses(self.functions, count, self.meter.config.config1.dd)
        tariffs = self._function(Tariffs)
        if tariffs is not None:
            tariffs.pulse(count)
        else:
            self.own_pulses += count

    def _input_effect(self, line: int, function: IoFunction, active: bool) -> None:
        t = self.meter.t
        if function in ALARM_INPUTS and self.meter.config.alarm_input:
            self.alarms[line - 1] = active
            data = {"line": line, "active": active, "inverted": function.inverted}
            code = EventCode.ALARM_INPUT_ACTIVE if active else EventCode.ALARM_INPUT_INACTIVE
            self.meter.emit(Event(t, "alarm_input", code, log="standard", data=data))
        elif function is _F.LOAD_CONTROL_IN:
            control = self._function(LoadControl)
            if control is not None and control.relays:
                control.local(not active, 1, f"input {line}")
        self.meter.commit()

    # --------------------------------------------------------------- outputs
    def begin_step(self, t0: float) -> None:
        """Bring level outputs up to date when the tariff, load tariffs or load-control state changed."""
        if not self._has_outputs:
            return
        key = self._levels_key()
        if key != self._refreshed:
            self._refresh(t0)
            self._refreshed = self._levels_key()

    def _levels_key(self) -> tuple:
        """Everything the output levels follow: tariff, load tariffs, toggle and the relays."""
        control = self._function(LoadControl)
        relays = control.relays if control is not None else []
        return (
            self.meter.tariff,
            self.load_tariffs,
            self.toggle,
            tuple(r.output_state for r in relays),
        )

    def on_step(self, step: Step) -> None:
        """Turn the step's energy into pulses on the A+/A-/R+ output lines."""
        factor = self.meter.ct_ratio if self.primary else 1.0
        for i, function in enumerate(self.functions):
            row = PULSE_OUTPUTS.get(function)
            if row is None:
                continue
            counter = self.counters[i]
            dropped = counter.dropped
            count = counter.add_ws(float(step.energy_ws[row, 0]) * factor, step.duration)
            if count:
                self._pulse_event(step.t1, i + 1, function, count)
            if counter.dropped != dropped:
                data = {"output": f"I/O {i + 1}", "dropped": counter.dropped - dropped}
                self.meter.emit(
                    Event(step.t1, "pulse_overrun", data={**data, "max_hz": counter.max_hz})
                )

    def follow_ct_ratio(self) -> None:
        """Primary pulse outputs take the constant that fits the CT ratio in force (secondary: fixed)."""
        if not self.primary:
            return
        self.constant = primary_constant(self.meter.ct_ratio)
        for counter in self.counters:
            counter.set_constant(self.constant)

    def _pulse_event(self, t: float, line: int, function: IoFunction, count: int) -> None:
        data = {
            "line": line,
            "function": function.value,
            "count": count,
            "length_ms": self.meter.config.pulse_length_ms,
            "constant": self.constant,
            "energy": "primary" if self.primary else "secondary",
        }
        self.meter.emit(Event(t, "pulse_output", data=data))

    def _wanted(self, function: IoFunction, line: int, current: bool) -> bool:
        if function in LOAD_TARIFF_SYNC or function in TARIFF_SYNC:
            tariff, mask = np.int64(self.meter.tariff), np.int64(self.load_tariffs)
            return bool(output_level(function, line, tariff, mask, current))
        relay = RELAY_OF_OUTPUT.get(function)
        if relay is not None:
            return self._relay_connected(relay)
        if function is _F.TOGGLE_LOAD_CONTROL_OUT:
            return self.toggle
        return current

    def _relay_connected(self, number: int) -> bool:
        control = self._function(LoadControl)
        relays = control.relays if control is not None else []
        return len(relays) >= number and bool(relays[number - 1].output_state)

    def _refresh(self, t: float) -> None:
        for i, function in enumerate(self.functions):
            if function.direction is not IoDirection.OUTPUT:
                continue
            level = self._wanted(function, i + 1, self.outputs[i])
            if level != self.outputs[i]:
                self.outputs[i] = level
                data = {"line": i + 1, "level": int(level), "function": function.value}
                self.meter.emit(Event(t, "output_changed", data=data))
        self._sync_relays()

    def _sync_relays(self) -> None:
        """4-tariff sync load control: the module's relays follow the tariff-coded outputs."""
        control = self._function(LoadControl)
        relays = control.relays if control is not None else []
        for i, function in enumerate(self.functions):
            if (
                function in TARIFF_SYNC
                and i < len(relays)
                and relays[i].output_state != self.outputs[i]
                and control is not None
            ):
                control.local(self.outputs[i], i + 1, "tariff sync")

    def _on_event(self, event: Event) -> None:
        if event.kind == "ct_ratio_changed":
            self.follow_ct_ratio()
        elif event.kind == "debiting_stop":
            for i, function in enumerate(self.functions):
                if function is _F.DEBITING_STOP_OUT:
                    self.counters[i].count += 1
                    self._pulse_event(event.t, i + 1, function, 1)
        elif event.kind == "disconnect_control":
            if _F.TOGGLE_LOAD_CONTROL_OUT in self.functions:
                self.toggle = not self.toggle
            self._refresh(event.t)

    # ----------------------------------------------------------- persistence
    def state(self) -> dict:
        """Levels, own pulse count, pulse output counters and settings."""
        return {
            "levels": [int(x) for x in self.levels],
            "outputs": [int(x) for x in self.outputs],
            "alarms": [int(x) for x in self.alarms],
            "pulses": self.own_pulses,
            "weight": self.weight,
            "load_tariffs": self.load_tariffs,
            "toggle": self.toggle,
            "counters": [c.state() for c in self.counters],
        }

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.levels = [bool(x) for x in state.get("levels", [0, 0])]
        self.outputs = [bool(x) for x in state.get("outputs", [0, 0])]
        self.alarms = [bool(x) for x in state.get("alarms", [0, 0])]
        self.own_pulses = int(state.get("pulses", 0))
        self.weight = float(state.get("weight") or self.weight or 1.0)
        self.load_tariffs = int(state.get("load_tariffs", self.load_tariffs))
        self.toggle = bool(state.get("toggle", False))
        self._refreshed = None
        self.follow_ct_ratio()  # the constant of the restored CT ratio, before the saved fractions
        for counter, saved in zip(self.counters, state.get("counters", []), strict=False):
            counter.restore(saved)
