"""The module slot and the S0 output over a fleet's arrays: input levels, pulses, alarm inputs, outputs.

The rules are the single meter's (k351c.meter.io: ``checked_input``, ``checked_pulses``,
``output_level``, ``pulse_value``, ``checked_weight``, ``checked_load_tariffs``; tariffs'
``counts_pulse``). Inputs are given with ``fleet.io.set_input(line, level, meters)`` and
``fleet.io.pulse(count, meters)`` at the fleet's time and kept with their instants (a single meter
gets the same ones through ``IoModule``); an alarm input raises the alarm register's bit through the
fleet's tamper arrays, as the single meter's alarm event does.

Pulse outputs are derived from the energy registers they count (the S0 output: secondary A+ at 5000
imp/kWh; the module's A+/A-/R+ lines: secondary or primary energy at the module's constant): the
pulses are the whole pulses of the register's energy less those the output's rate could not emit,
which ``intervals`` counts per load interval with ``PulseCounter``'s rate (1 / (2 x pulse length)).
A line counting primary energy keeps its pulses at a CT change and carries the fraction of one into
the new constant (``ct_changing``). Lines driven by relays follow the fleet's relays (k351c.meter.fleet_loadcontrol);
with a tariff-sync relay configuration they are left to the twin.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from k351c.codes.tables import IoFunction
from k351c.errors import ConfigError
from k351c.meter.core import S0_CONSTANT, S0_PULSE_MS
from k351c.meter.energy import PRIMARY, SECONDARY, SLOTS
from k351c.meter.eventlog import EventCode
from k351c.meter.fleet_function import FleetFunction
from k351c.meter.fleet_load import RESOLUTION
from k351c.meter.io import (
    ALARM_INPUTS,
    ALARM_STATUS,
    DEFAULT_WEIGHT,
    INPUT_LEVEL,
    IO_CODE,
    LOAD_TARIFF_SYNC,
    LOAD_TARIFFS,
    MODULE_CODE,
    OUTPUT_LEVEL,
    PULSE_COUNT,
    PULSE_OUT_CONSTANT,
    PULSE_OUT_COUNT,
    PULSE_OUT_OVERRUN,
    PULSE_OUTPUTS,
    PULSE_VALUE,
    PULSE_WEIGHT,
    RELAY_OF_OUTPUT,
    SECONDARY_CONSTANT,
    TARIFF_SYNC,
    checked_input,
    checked_load_tariffs,
    checked_pulses,
    checked_weight,
    output_level,
    primary_constant,
    pulse_value,
)
from k351c.meter.loadcontrol import ControlState
from k351c.meter.tamper import raise_alarms
from k351c.meter.tariffs import counts_pulse, fitted_inputs
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet
    from k351c.meter.fleet_view import MeterView
    from k351c.meter.metrology import Measurement

S0_COUNT, S0_OVERRUN = Obis(0, 0, 128, 14, 0), Obis(0, 0, 128, 14, 5)
LEVEL_OUTPUTS = LOAD_TARIFF_SYNC | TARIFF_SYNC
KEPT_LEVEL = {IoFunction.NONE, IoFunction.DEBITING_STOP_OUT, *PULSE_OUTPUTS}
"""Output functions whose level no input changes: it stays low."""
LEVEL, PULSES = 0, 1  # kinds of input rows
CONNECTED = int(ControlState.CONNECTED)


class FleetIo(FleetFunction):
    """Every meter's module inputs and settings as arrays; pulse outputs from the registers."""

    name = "io"

    def __init__(self, fleet: Fleet) -> None:
        super().__init__(fleet)
        config, n = fleet.config, fleet.n
        self.functions = config.io_functions
        self.unit, self.primary = config.pulse_input_unit, config.pulse_output_primary
        self.levels = np.zeros((n, 2), dtype=bool)
        self.alarms = np.zeros((n, 2), dtype=bool)
        self.pulses = np.zeros(n, dtype=np.int64)
        self.weight = np.full(n, DEFAULT_WEIGHT.get(self.unit, 1.0))
        self.load_tariffs = np.full(n, 0b0010, dtype=np.int64)
        self.dropped = np.zeros((n, 3), dtype=np.int64)  # pulses the rate refused: S0, I/O 1, I/O 2
        self.base = np.zeros((n, 2))  # whole pulses of each line counted under earlier CT ratios' constants
        self.base_wh = np.zeros((n, 2))  # the line's energy then, less the fraction of a pulse carried
        self.inputs = np.empty((0, 5))  # (instant, meter, kind, line or 0, level or count)
        tariff_lines = [f is not IoFunction.NONE for f in fitted_inputs(config)]
        self._refused = {
            i + 1 for i, f in enumerate(self.functions) if tariff_lines[i] and f.name.startswith("TARIFF")
        }

    # ------------------------------------------------------------- inputs
    def set_input(self, line: int, level: bool | int, meters=None) -> np.ndarray:  # noqa: ANN001
        """Set input ``line`` of ``meters`` (default all) to ``level`` now; the meters whose level changed."""
        function = checked_input(self.functions, line)
        if line in self._refused:
            raise ConfigError(
                f"I/O {line} ({function.value})", "a fleet input", "pulse and alarm inputs"
            )
        fleet = self.fleet
        rows = fleet.chosen(meters, "I/O meters")
        new, old = bool(level), self.levels[rows, line - 1]
        self.levels[rows, line - 1] = new
        self.pulses[rows] += counts_pulse(function, old, new)
        changed = rows[old != new]
        if function in ALARM_INPUTS and fleet.config.alarm_input and changed.size:
            on = new != function.inverted
            self.alarms[changed, line - 1] = on
            code = EventCode.ALARM_INPUT_ACTIVE if on else EventCode.ALARM_INPUT_INACTIVE
            raise_alarms(fleet.tamper.alarms, changed, code)
            fleet.events.record(fleet.rtc.meter_time(fleet.t), code, changed)
        if function is IoFunction.LOAD_CONTROL_IN:
            for i in changed.tolist():  # the module input drives relay 1 locally, as IoModule's
                fleet.load_control.local(i, new == function.inverted, 1)
        self._keep(rows, LEVEL, line, int(new))
        return changed

    def pulse(self, count: int = 1, meters=None) -> None:  # noqa: ANN001
        """Count a burst of ``count`` pulses on the pulse input of ``meters`` (default all) now."""
        count = checked_pulses(self.functions, count, self.fleet.config.config1.dd)
        rows = self.fleet.chosen(meters, "I/O meters")
        self.pulses[rows] += count
        self._keep(rows, PULSES, 0, count)

    def _keep(self, rows: np.ndarray, kind: int, line: int, value: int) -> None:
        block = np.empty((rows.size, 5))
        block[:, 0], block[:, 1], block[:, 2], block[:, 3], block[:, 4] = (
            self.fleet.t, rows, kind, line, value
        )
        self.inputs = np.concatenate([self.inputs, block])

    def inputs_of(self, i: int) -> list[tuple[float, str, int, int]]:
        """Meter i's inputs (instant, "level" or "pulses", line, level or count), in the order given."""
        rows = self.inputs[self.inputs[:, 1] == i]
        kinds = ("level", "pulses")
        return [(float(t), kinds[int(k)], int(line), int(v)) for t, _, k, line, v in rows]

    def set_load_tariffs(self, i: int, mask: object) -> None:
        """Meter i's load tariffs (bit t-1 = tariff t) of the load tariff sync output."""
        self.load_tariffs[i] = checked_load_tariffs(mask)

    def set_weight(self, i: int, value: object) -> None:
        """Meter i's pulse input weight (NN units per pulse)."""
        self.weight[i] = checked_weight(value)

    # ------------------------------------------------------------ outputs
    def _lines(self) -> list[tuple[int, int, float, int]]:
        """Rate-limited outputs: (dropped column, quantity row, pulse length ms, line or 0 for S0)."""
        out: list[tuple[int, int, float, int]] = [(0, 0, S0_PULSE_MS, 0)]
        for line, function in enumerate(self.functions, start=1):
            row = PULSE_OUTPUTS.get(function)
            if row is not None:
                out.append((line, row, self.fleet.config.pulse_length_ms, line))
        return out

    def constant(self, ct_ratio: float) -> int:
        """The module's pulse constant (imp/kWh) for a CT ratio."""
        return primary_constant(ct_ratio) if self.primary else SECONDARY_CONSTANT

    def ct_changing(self, i: int) -> None:
        """Meter i's CT ratio changes now (its energy booked up to now): primary lines keep their
        pulses and carry the fraction of one into the new constant, as ``PulseCounter.set_constant``."""
        if not self.primary:
            return
        fleet = self.fleet
        wh = fleet.banks.exact_with(np.zeros((4, SLOTS)), i, PRIMARY)
        constant = self.constant(fleet.ct_primary[i] / float(fleet.ct_secondary))
        for line, function in enumerate(self.functions):
            row = PULSE_OUTPUTS.get(function)
            if row is None:
                continue
            exact = self.base[i, line] + _pulses(wh[row, 0] - self.base_wh[i, line], constant)
            whole = math.floor(exact)
            self.base[i, line] = whole
            self.base_wh[i, line] = wh[row, 0] - (exact - whole) * (3.6e6 / constant) / 3600.0

    def intervals(
        self, meters: np.ndarray, idx: np.ndarray, meas: Measurement, tariffs: np.ndarray
    ) -> None:
        """Count the pulses each output's rate refuses in these whole intervals (none below its rate)."""
        ratio = self.fleet.ct_ratio()[meters][:, None]
        for column, row, pulse_ms, line in self._lines():
            primary = bool(line) and self.primary
            imp_per_kwh: int | np.ndarray = S0_CONSTANT if not line else SECONDARY_CONSTANT
            if primary:
                ratios, which = np.unique(ratio, return_inverse=True)
                imp_per_kwh = np.array([primary_constant(r) for r in ratios.tolist()])[which]
            ws_per_pulse = 3.6e6 / np.asarray(imp_per_kwh, dtype=float).reshape(-1, 1)
            allowed = math.floor(RESOLUTION * 1000.0 / (2.0 * pulse_ms)) + 1  # one pulse of credit
            limit = allowed * ws_per_pulse / RESOLUTION
            values = meas.q if row == 2 else meas.p
            extreme = -float(values.min()) if row == 1 else float(values.max())
            bound = values.shape[1] * max(extreme, 0.0)  # no interval's total exceeds it
            if bound * (float(ratio.max()) if primary else 1.0) < float(limit.min()):
                continue
            total = (meas.p_total, -meas.p_total, meas.q_total)[row].reshape(meters.size, idx.size)
            power = np.maximum(total, 0.0) * (ratio if primary else 1.0)
            pulses = np.floor(power * RESOLUTION / ws_per_pulse)
            self.dropped[meters, column] += np.maximum(pulses - allowed, 0).sum(axis=1).astype(np.int64)

    def output_count(self, view: MeterView, line: int) -> int | None:
        """Pulses output ``line`` (0: the S0 output) has given meter ``view.i``; None if not derived here."""
        fleet, i = self.fleet, view.i
        if line == 0:
            wh = fleet.exact_wh(i, SECONDARY)[0, 0]
            return math.floor(_pulses(wh, S0_CONSTANT)) - int(self.dropped[i, 0])
        function = self.functions[line - 1]
        row = PULSE_OUTPUTS.get(function)
        if row is None:
            return int(fleet.billing.counter[i]) if function is IoFunction.DEBITING_STOP_OUT else 0
        if not fleet.mask[row, 0]:
            return None
        wh = fleet.exact_wh(i, PRIMARY if self.primary else SECONDARY)[row, 0]
        exact = self.base[i, line - 1] + _pulses(wh - self.base_wh[i, line - 1], self.constant(view.ct_ratio))
        return math.floor(exact) - int(self.dropped[i, line])

    def output_level(self, view: MeterView, line: int) -> int | None:
        """Output ``line``'s level on meter ``view.i``; None when relays drive it (not derived here)."""
        function = self.functions[line - 1]
        if function in LEVEL_OUTPUTS:
            if self.fleet.t <= self.fleet.start:
                return 0  # the outputs are refreshed when the first step begins
            mask = self.load_tariffs[view.i]
            return int(output_level(function, line, np.int64(view.tariff), mask, False))
        control = self.fleet.load_control
        if function in RELAY_OF_OUTPUT or function is IoFunction.TOGGLE_LOAD_CONTROL_OUT:
            if not control.supported:
                return None
            if self.fleet.t <= self.fleet.start and not control.changes[view.i]:
                return 0
            if function is IoFunction.TOGGLE_LOAD_CONTROL_OUT:
                return int(control.changes[view.i] % 2)  # it toggles on every relay change
            relay = RELAY_OF_OUTPUT[function]
            return int(control.count >= relay and control.state[view.i, relay - 1] == CONNECTED)
        return 0 if function in KEPT_LEVEL or function.direction.name != "OUTPUT" else None

    # -------------------------------------------------------- persistence
    def arrays(self) -> dict[str, np.ndarray]:
        """Levels, alarm inputs, pulses, settings, refused pulses and the inputs given."""
        return {
            "levels": self.levels,
            "alarms": self.alarms,
            "pulses": self.pulses,
            "weight": self.weight,
            "load_tariffs": self.load_tariffs,
            "dropped": self.dropped,
            "inputs": self.inputs,
            "base": self.base,
            "base_wh": self.base_wh,
        }

    def restore(self, arrays: dict[str, np.ndarray], t: float) -> None:
        """Load arrays written by ``arrays``."""
        for name, dtype in (
            ("levels", bool), ("alarms", bool), ("pulses", np.int64), ("weight", np.float64),
            ("load_tariffs", np.int64), ("dropped", np.int64), ("inputs", np.float64),
            ("base", np.float64), ("base_wh", np.float64),
        ):
            setattr(self, name, np.asarray(arrays[name], dtype=dtype).copy())

    def begin(self, t: float) -> None:
        """A state before the I/O arrays: settings written on twins are taken over."""
        setters = {str(PULSE_WEIGHT): self.weight, str(LOAD_TARIFFS): self.load_tariffs}
        for write in self.fleet.writes.writes:
            target = setters.get(write.obis)
            if target is not None and write.target == "set":
                target[write.meter] = write.args[0]


def _pulses(wh: float, imp_per_kwh: float) -> float:
    """Pulses (with the fraction of one) of ``wh`` at a constant, in PulseCounter's arithmetic (Ws / Ws per pulse)."""
    return wh * 3600.0 / (3.6e6 / imp_per_kwh)


def add_io_values(view: MeterView) -> None:
    """Add meter ``view.i``'s module, I/O and S0 values derived from the I/O arrays and its registers."""
    io, template, i = view.fleet.io, view.fleet.twins.template(), view.i

    def add(obis: Obis, get, **changes) -> None:  # noqa: ANN001
        definition = template.get(obis)
        if definition is not None:
            view.objects.add(dataclasses.replace(definition, get=get, **changes))

    add(PULSE_COUNT, lambda: int(io.pulses[i]))
    add(PULSE_VALUE, lambda: pulse_value(int(io.pulses[i]), float(io.weight[i]), io.unit))
    add(PULSE_WEIGHT, lambda: float(io.weight[i]), set=lambda v: io.set_weight(i, v))
    add(LOAD_TARIFFS, lambda: int(io.load_tariffs[i]), set=lambda v: io.set_load_tariffs(i, v))
    add(MODULE_CODE, lambda: view.config.module_code)
    add(IO_CODE, lambda: view.config.config1.dd)
    add(ALARM_STATUS, lambda: int(io.alarms[i, 0]) | int(io.alarms[i, 1]) << 1)
    add(PULSE_OUT_CONSTANT, lambda: io.constant(view.ct_ratio))
    add(PULSE_OUT_OVERRUN, lambda: int(io.dropped[i, 1:].sum()))
    add(S0_COUNT, lambda: io.output_count(view, 0))
    add(S0_OVERRUN, lambda: int(io.dropped[i, 0]))
    for line in (1, 2):
        add(INPUT_LEVEL[line - 1], lambda line=line: int(io.levels[i, line - 1]))
        if io.output_level(view, line) is not None:
            add(OUTPUT_LEVEL[line - 1], lambda line=line: io.output_level(view, line))
        if io.output_count(view, line) is not None:
            add(PULSE_OUT_COUNT[line - 1], lambda line=line: io.output_count(view, line))
