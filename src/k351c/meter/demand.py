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
CHANNEL = np.array([PEAKS[n][2] for n in _NAMES])
TARIFF = np.array([PEAKS[n][3] for n in _NAMES])
ACCUMULATED_OF = np.array([_NAMES.index(n) for n in ACCUMULATED])


@dataclass(frozen=True, slots=True)
class Peak:
    """A maximum demand: value (W, var or VA, primary), when its period ended, RTC status then."""

    value: int
    t: float | None
    status: int


@dataclass(slots=True)
class PeakArrays:
    """Peaks, accumulated peaks and threshold counters of N meters (a single meter is N = 1).

    ``values`` (N, 8) in W/var/VA as the peak objects show them, ``times`` (N, 8) POSIX ends of their
    periods (NaN: none since the last stop), ``statuses`` (N, 8) the clock status then,
    ``accumulated`` (N, 4), ``count`` (N,) periods above ``threshold`` (N,) W.
    """

    values: np.ndarray
    times: np.ndarray
    statuses: np.ndarray
    accumulated: np.ndarray
    count: np.ndarray
    threshold: np.ndarray

    @classmethod
    def zeros(cls, n: int, threshold_w: float) -> PeakArrays:
        """N meters with no peak yet and this power threshold."""
        return cls(
            np.zeros((n, len(_NAMES)), dtype=np.int64),
            np.full((n, len(_NAMES)), np.nan),
            np.zeros((n, len(_NAMES)), dtype=np.int64),
            np.zeros((n, len(ACCUMULATED)), dtype=np.int64),
            np.zeros(n, dtype=np.int64),
            np.full(n, float(threshold_w)),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays by name (to persist them)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def close_periods(
    peaks: PeakArrays,
    rows: slice,
    demand: np.ndarray,
    ends: np.ndarray,
    tariffs: np.ndarray,
    statuses: np.ndarray,
) -> None:
    """Close P periods, oldest first, of the meters ``rows``: the peak and threshold rule.

    ``demand`` (nb, P, 4) W of the channels P+ Q+ S+ S-, ``ends`` (P,) POSIX, ``tariffs`` (P,) the
    tariff of each period's last step, ``statuses`` the clock status at each end, (nb, P) or
    broadcastable to it. A peak takes the first period whose rounded demand beats it (a tariff peak
    only in its tariff); the counter counts the periods whose P+ demand is above the threshold.
    """
    nb, count = demand.shape[0], demand.shape[1]
    rounded = np.rint(np.moveaxis(demand, 2, 0))
    tariffs, ends = np.asarray(tariffs), np.asarray(ends, dtype=float)
    statuses = np.broadcast_to(statuses, (nb, count))
    meters = np.arange(peaks.values.shape[0])[rows]
    for j, (channel, tariff) in enumerate(zip(CHANNEL.tolist(), TARIFF.tolist(), strict=True)):
        periods = np.arange(count) if tariff == 0 else np.nonzero(tariffs == tariff)[0]
        if periods.size == 0:
            continue
        values = rounded[channel] if tariff == 0 else rounded[channel][:, periods]
        better = np.nonzero(values.max(axis=1) > peaks.values[meters, j])[0]
        if better.size:
            first = periods[values[better].argmax(axis=1)]  # the first period with the maximum
            winners = meters[better]
            peaks.values[winners, j] = rounded[channel][better, first]
            peaks.times[winners, j] = ends[first]
            peaks.statuses[winners, j] = statuses[better, first]
    peaks.count[meters] += exceeds(demand[:, :, 0], peaks.threshold[meters][:, None]).sum(axis=1)


def exceeds(p_demand, threshold):  # noqa: ANN001, ANN201
    """Whether a period counts for the threshold counter: its P+ demand is above the threshold."""
    return p_demand > threshold


def store_peaks(peaks: PeakArrays, rows: slice | np.ndarray) -> None:
    """At a debiting stop: add P+max (total, T1, T2) and Q+max to the accumulated peaks."""
    peaks.accumulated[rows] += peaks.values[rows][:, ACCUMULATED_OF]


def reset_peaks(peaks: PeakArrays, rows: slice | np.ndarray) -> None:
    """After a debiting stop stored them: no peak since."""
    peaks.values[rows] = 0
    peaks.times[rows] = np.nan
    peaks.statuses[rows] = 0


def threshold_value(watts: object) -> float:
    """A power threshold (primary W) as the counter takes it; refused unless a number >= 0."""
    if not isinstance(watts, int | float | str):
        raise ConfigError("power threshold", watts, "a number of watts >= 0")
    value = float(watts)
    if not math.isfinite(value) or value < 0:
        raise ConfigError("power threshold", watts, "a number of watts >= 0")
    return value


def peak_time(t: float) -> float | None:
    """A peak's capture instant as a POSIX time, None before the first period."""
    return None if math.isnan(t) else float(t)


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
        self._peaks = PeakArrays.zeros(1, meter.config.settings.thresholds.power_threshold_w)
        self._closed: list[tuple[list[float], float, int, int]] = []
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
                    bound(lambda i: int(self.peaks.values[0, i]), i),
                    unit,
                    0,
                    capture_time=bound(lambda i: self._time(i), i),
                    status=bound(lambda i: int(self.peaks.statuses[0, i]), i),
                    description=f"peak demand {name} since the last debiting stop, primary",
                )
            )
        for j, (name, obis) in enumerate(ACCUMULATED.items()):
            add(
                ValueDef(
                    obis,
                    3,
                    bound(lambda j: int(self.peaks.accumulated[0, j]), j),
                    PEAKS[name][1],
                    0,
                    description=f"accumulated peak demand {name} acc (sum over debiting stops)",
                )
            )
        add(
            ValueDef(
                THRESHOLD_COUNTER,
                1,
                lambda: int(self.peaks.count[0]),
                description="power threshold counter (A+): periods with P+ demand above the threshold",
            )
        )
        add(
            ValueDef(
                THRESHOLD,
                3,
                lambda: float(self.peaks.threshold[0]),
                Unit.WATT,
                0,
                set=self.set_threshold,
                description="power threshold for the counter, primary P+ demand",
            )
        )

    def _time(self, i: int):
        t = peak_time(self.peaks.times[0, i])
        return None if t is None else self.meter.localtime.to_local(t)

    @property
    def peaks(self) -> PeakArrays:
        """This meter's peaks (N = 1), every closed period applied."""
        closed = self._closed
        if closed:
            self._closed = []
            close_periods(
                self._peaks,
                slice(None),
                np.array([[c[0] for c in closed]]),
                np.array([c[1] for c in closed]),
                np.array([c[2] for c in closed]),
                np.array([[c[3] for c in closed]]),
            )
        return self._peaks

    @property
    def threshold_w(self) -> float:
        """The power threshold (primary W) the counter compares P+ demand with."""
        return float(self.peaks.threshold[0])

    @property
    def threshold_count(self) -> int:
        """Periods whose P+ demand was above the threshold."""
        return int(self.peaks.count[0])

    @property
    def values(self) -> list[int]:
        """The peaks' values, in the order of PEAKS."""
        return self.peaks.values[0].tolist()

    @property
    def times(self) -> list[float | None]:
        """The peaks' capture instants (POSIX, None before the first period), in the order of PEAKS."""
        return [peak_time(t) for t in self.peaks.times[0].tolist()]

    @property
    def statuses(self) -> list[int]:
        """The clock status at each peak's capture."""
        return self.peaks.statuses[0].tolist()

    @property
    def accumulated(self) -> dict[str, int]:
        """The accumulated peaks by name."""
        return dict(zip(ACCUMULATED, self.peaks.accumulated[0].tolist(), strict=True))

    def set_threshold(self, watts: float) -> None:
        """Change the power threshold (primary W) the counter compares P+ demand with.

        Every interface writes through here: the value is validated, kept in the settings
        ([thresholds] power_threshold_w, so it survives a restart) and logged as a configuration change.
        """
        value = threshold_value(watts)
        settings = self.meter.config.settings
        thresholds = dataclasses.replace(settings.thresholds, power_threshold_w=value)
        self.meter.reconfigure(settings=dataclasses.replace(settings, thresholds=thresholds))
        self.peaks.threshold[0] = value

    def peak(self, name: str) -> Peak:
        """The peak called name ("P+", "P+T1", "P+T2", "Q+", "Q+T1", "Q+T2", "S+", "S-")."""
        i = _NAMES.index(name)
        peaks = self.peaks
        return Peak(int(peaks.values[0, i]), peak_time(peaks.times[0, i]), int(peaks.statuses[0, i]))

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
        self._closed.append((demand, t, self._tariff, status))
        if exceeds(demand[0], self._peaks.threshold[0]):
            self.meter.emit(Event(t, "power_threshold", data={"demand_w": demand[0]}))
        if len(self._closed) >= 256:
            _ = self.peaks  # applied in batches: the rule runs over arrays of periods

    def on_time_set(self, old: float, new: float) -> None:
        """A clock adjustment out of the current period ends it at the old time; a new one starts."""
        if self._end - self.sub <= new < self._end:
            return
        self._close(old)
        self._window = []
        self._end = self._boundary_after(new)

    def accumulate_peaks(self) -> None:
        """Add P+max (total, T1, T2) and Q+max to the accumulated registers (at a debiting stop)."""
        store_peaks(self.peaks, slice(None))

    def reset_peaks(self) -> None:
        """Clear the peaks after a debiting stop stored them."""
        reset_peaks(self.peaks, slice(None))

    def state(self) -> dict:
        """Peaks, accumulated peaks, counter, threshold and the open period's energies."""
        _ = self.peaks
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
        self._closed = []
        peaks = self._peaks
        peaks.values[0] = [int(v) for v in state["values"]]
        peaks.times[0] = [np.nan if t is None else float(t) for t in state["times"]]
        peaks.statuses[0] = [int(s) for s in state["statuses"]]
        peaks.accumulated[0] = [int(state["accumulated"].get(n, 0)) for n in ACCUMULATED]
        peaks.count[0] = int(state["count"])
        peaks.threshold[0] = float(state["threshold"])
        self._energy = [float(x) for x in state["energy"]]
        self._window = [[float(x) for x in row] for row in state["window"]]
        self._end = float(state["end"])
        self._tariff = int(state["tariff"])
