"""Demand: mean power over the integration period E, its peaks, accumulated peaks, threshold counter.

Block demand: periods aligned to the clock (every E minutes from the full hour); the demand of a
period is its energy divided by E. Sliding window (``Demand(subperiods=n)``): every E/n minutes the
demand over the last n sub-periods. Values are primary (CT ratio applied), like 1-0:1.7.0.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from k351c.errors import ConfigError
from k351c.meter.function import Event, MeterFunction, Step, bound
from k351c.meter.objects import ValueDef
from k351c.obis import Obis
from k351c.units import Unit

if TYPE_CHECKING:
    from k351c.meter.core import Meter

# Peak name -> (OBIS, unit, demand channel, tariff or 0 for all tariffs).
# Channels: 0 = P+ (A+ energy), 1 = Q+ (R+ energy), 2 = S+ (apparent, import), 3 = S- (export).
PEAKS: dict[str, tuple[Obis, Unit, int, int]] = {
    "P+": (Obis(1, 0, 1, 6, 0), Unit.WATT, 0, 0),
    "P+T1": (Obis(1, 0, 1, 6, 1), Unit.WATT, 0, 1),
    "P+T2": (Obis(1, 0, 1, 6, 2), Unit.WATT, 0, 2),
    "Q+": (Obis(1, 0, 3, 6, 0), Unit.VAR, 1, 0),
    "Q+T1": (Obis(1, 0, 3, 6, 1), Unit.VAR, 1, 1),
    "Q+T2": (Obis(1, 0, 3, 6, 2), Unit.VAR, 1, 2),
    "S+": (Obis(1, 0, 9, 6, 0), Unit.VOLT_AMPERE, 2, 0),
    "S-": (Obis(1, 0, 10, 6, 0), Unit.VOLT_AMPERE, 3, 0),
}
ACCUMULATED: dict[str, Obis] = {
    "P+": Obis(1, 0, 1, 2, 0),
    "P+T1": Obis(1, 0, 1, 2, 1),
    "P+T2": Obis(1, 0, 1, 2, 2),
    "Q+": Obis(1, 0, 3, 2, 0),
}
THRESHOLD_COUNTER = Obis(0, 0, 128, 10, 0)
THRESHOLD = Obis(0, 0, 128, 10, 1)
_NAMES = tuple(PEAKS)
_PLAN = tuple((i, PEAKS[n][2], PEAKS[n][3]) for i, n in enumerate(_NAMES))


@dataclass(frozen=True, slots=True)
class Peak:
    """A maximum demand: value (W, var or VA, primary), when its period ended, RTC status then."""

    value: int
    t: float | None
    status: int


class Demand(MeterFunction):
    """Integrates P+, Q+, S+, S- per period and keeps the peaks since the last debiting stop."""

    name = "demand"

    def __init__(self, subperiods: int = 1) -> None:
        if not isinstance(subperiods, int) or subperiods < 1:
            raise ConfigError(
                "demand sub-periods", subperiods, "an integer >= 1 (1 = block demand)"
            )
        self.subperiods = subperiods

    def attach(self, meter: Meter) -> None:
        """Set up the period clock and register peaks, accumulated peaks and the threshold counter."""
        super().attach(meter)
        self.period = meter.config.integration_minutes * 60.0
        self.sub = self.period / self.subperiods
        self.threshold_w = float(meter.config.settings.thresholds.power_threshold_w)
        self.threshold_count = 0
        self.values = [0] * len(_NAMES)
        self.times: list[float | None] = [None] * len(_NAMES)
        self.statuses = [0] * len(_NAMES)
        self.accumulated = dict.fromkeys(ACCUMULATED, 0)
        self.last: list[float] = [0.0] * 4
        self._energy = [0.0] * 4
        self._window: list[list[float]] = []
        self._end = self._boundary_after(meter.t)
        self._tariff = meter.tariff
        self._register(meter)

    def _register(self, meter: Meter) -> None:
        add = meter.objects.add
        for i, (name, (obis, unit, _, _)) in enumerate(PEAKS.items()):
            add(
                ValueDef(
                    obis,
                    4,
                    bound(lambda i: self.values[i], i),
                    unit,
                    0,
                    capture_time=bound(lambda i: self._time(i), i),
                    status=bound(lambda i: self.statuses[i], i),
                    description=f"peak demand {name} since the last debiting stop, primary",
                )
            )
        for name, obis in ACCUMULATED.items():
            add(
                ValueDef(
                    obis,
                    3,
                    bound(lambda n: self.accumulated[n], name),
                    PEAKS[name][1],
                    0,
                    description=f"accumulated peak demand {name} acc (sum over debiting stops)",
                )
            )
        add(
            ValueDef(
                THRESHOLD_COUNTER,
                1,
                lambda: self.threshold_count,
                description="power threshold counter (A+): periods with P+ demand above the threshold",
            )
        )
        add(
            ValueDef(
                THRESHOLD,
                3,
                lambda: self.threshold_w,
                Unit.WATT,
                0,
                set=self.set_threshold,
                description="power threshold for the counter, primary P+ demand",
            )
        )

    def _time(self, i: int):
        t = self.times[i]
        return None if t is None else self.meter.localtime.to_local(t)

    def set_threshold(self, watts: float) -> None:
        """Change the power threshold (primary W) the counter compares P+ demand with.

        Every interface writes through here: the value is validated, kept in the settings
        ([thresholds] power_threshold_w, so it survives a restart) and logged as a configuration change.
        """
        value = float(watts)
        if not math.isfinite(value) or value < 0:
            raise ConfigError("power threshold", watts, "a number of watts >= 0")
        settings = self.meter.config.settings
        thresholds = dataclasses.replace(settings.thresholds, power_threshold_w=value)
        self.meter.reconfigure(settings=dataclasses.replace(settings, thresholds=thresholds))
        self.threshold_w = value

    def peak(self, name: str) -> Peak:
        """The peak called name ("P+", "P+T1", "P+T2", "Q+", "Q+T1", "Q+T2", "S+", "S-")."""
        i = _NAMES.index(name)
        return Peak(self.values[i], self.times[i], self.statuses[i])

    def _boundary_after(self, t: float) -> float:
        return (math.floor(t / self.sub) + 1) * self.sub

    def next_boundary(self, t: float) -> float | None:
        """The end of the current (sub-)period."""
        return self._end

    def on_step(self, step: Step) -> None:
        """Add the step's primary energies; close the period when the step reaches its end."""
        k = self.meter.ct_ratio
        e = step.energy_ws
        energy = self._energy
        energy[0] += float(e[0, 0]) * k
        energy[1] += float(e[2, 0]) * k
        m = step.measurement
        dt = step.segments.durations
        if dt.shape == (1,):
            self._add_apparent(m.last()["p_total"], m.last()["s_total"], float(dt[0]), k)
        else:
            self._add_apparent_intervals(m.p_total, m.s_total, dt, k)
        self._tariff = step.tariff
        if step.t1 >= self._end:
            self._close(step.t1)
            self._end = self._boundary_after(step.t1)

    def _add_apparent(self, p: float, s: float, dt: float, k: float) -> None:
        """S+ / S- energy of one interval (the arithmetic of the array path on floats)."""
        if p >= 0.0:
            self._energy[2] += s * dt * k
        elif p < 0.0:
            self._energy[2] += 0.0 * dt * k
            self._energy[3] += s * dt * k
        else:
            self._energy[2] += s * dt * k
            self._energy[3] += 0.0 * dt * k

    def _add_apparent_intervals(
        self, p: np.ndarray, s: np.ndarray, dt: np.ndarray, k: float
    ) -> None:
        """S+ / S- energy of several intervals, split by the sign of P."""
        energy = self._energy
        if p.min() >= 0.0:
            energy[2] += float(np.dot(s, dt)) * k
        else:
            exporting = p < 0.0
            energy[2] += float(np.dot(np.where(exporting, 0.0, s), dt)) * k
            energy[3] += float(np.dot(np.where(exporting, s, 0.0), dt)) * k

    def _close(self, t: float) -> None:
        """End a (sub-)period at t: demand over the window, peaks and the threshold counter."""
        self._window.append(self._energy)
        del self._window[: -self.subperiods]
        self._energy = [0.0] * 4
        demand = [sum(col) / self.period for col in zip(*self._window, strict=True)]
        self.last = demand
        status = self.meter.clock_status or 0
        for i, channel, tariff in _PLAN:
            value = int(round(demand[channel]))
            if value > self.values[i] and (tariff == 0 or tariff == self._tariff):
                self.values[i], self.times[i], self.statuses[i] = value, t, status
        if demand[0] > self.threshold_w:
            self.threshold_count += 1
            self.meter.emit(Event(t, "power_threshold", data={"demand_w": demand[0]}))

    def on_time_set(self, old: float, new: float) -> None:
        """A clock adjustment out of the current period ends it at the old time; a new one starts."""
        if self._end - self.sub <= new < self._end:
            return
        self._close(old)
        self._window = []
        self._end = self._boundary_after(new)

    def accumulate_peaks(self) -> None:
        """Add P+max (total, T1, T2) and Q+max to the accumulated registers (at a debiting stop)."""
        for name in ACCUMULATED:
            self.accumulated[name] += self.values[_NAMES.index(name)]

    def reset_peaks(self) -> None:
        """Clear the peaks after a debiting stop stored them."""
        self.values = [0] * len(_NAMES)
        self.times = [None] * len(_NAMES)
        self.statuses = [0] * len(_NAMES)

    def state(self) -> dict:
        """Peaks, accumulated peaks, counter, threshold and the open period's energies."""
        return {
            "values": self.values,
            "times": self.times,
            "statuses": self.statuses,
            "accumulated": self.accumulated,
            "count": self.threshold_count,
            "threshold": self.threshold_w,
            "energy": self._energy,
            "window": self._window,
            "end": self._end,
            "tariff": self._tariff,
        }

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.values = [int(v) for v in state["values"]]
        self.times = [None if t is None else float(t) for t in state["times"]]
        self.statuses = [int(s) for s in state["statuses"]]
        self.accumulated = {name: int(state["accumulated"].get(name, 0)) for name in ACCUMULATED}
        self.threshold_count = int(state["count"])
        self.threshold_w = float(state["threshold"])
        self._energy = [float(x) for x in state["energy"]]
        self._window = [[float(x) for x in row] for row in state["window"]]
        self._end = float(state["end"])
        self._tariff = int(state["tariff"])
