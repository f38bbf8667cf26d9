"""Load sources: pure functions of (seed, time) giving per-phase phasors on the secondary side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from k351c.meter.metrology import PhaseInputs

Triple = float | tuple[float, float, float]


def _triple(value: Triple) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(3, float(arr))
    if arr.shape != (3,):
        raise ValueError(f"expected a number or a 3-tuple (L1, L2, L3), got {value!r}")
    return arr


@dataclass(frozen=True, slots=True)
class Segments:
    """Piecewise-constant load over [t0, t1]: n+1 boundary times and the n intervals' inputs."""

    times: np.ndarray
    inputs: PhaseInputs

    @property
    def durations(self) -> np.ndarray:
        """Length of each interval in seconds."""
        return np.diff(self.times)


class LoadSource(Protocol):
    """A load as a pure function of time: the same interval always gives the same phasors."""

    def segments(self, t0: float, t1: float) -> Segments:
        """Split [t0, t1] (POSIX seconds) into intervals of constant phasors."""
        ...


@dataclass(frozen=True)
class ConstantLoad:
    """A constant load; angle is the degrees by which the current lags its voltage."""

    voltage: Triple = 230.0
    current: Triple = 5.0
    angle: Triple = 0.0
    frequency: float = 50.0

    def inputs(self, n: int) -> PhaseInputs:
        """The same phasors for n intervals."""
        return PhaseInputs(
            np.tile(_triple(self.voltage), (n, 1)),
            np.tile(_triple(self.current), (n, 1)),
            np.tile(_triple(self.angle), (n, 1)),
            np.full(n, float(self.frequency)),
        )

    def segments(self, t0: float, t1: float) -> Segments:
        """One interval: the load never changes."""
        return Segments(np.array([t0, t1], dtype=float), self.inputs(1))


NO_LOAD = ConstantLoad(voltage=230.0, current=0.0)


@dataclass(frozen=True)
class DailyShapeLoad:
    """A deterministic daily load shape (base + morning/evening peaks) at a fixed resolution."""

    peak_current: float = 4.0
    base_current: float = 0.4
    angle: float = 20.0
    voltage: float = 230.0
    frequency: float = 50.0
    resolution: float = 60.0

    def segments(self, t0: float, t1: float) -> Segments:
        """Intervals on the resolution grid between t0 and t1."""
        start = np.floor(t0 / self.resolution) * self.resolution
        grid = np.arange(start + self.resolution, t1, self.resolution)
        times = np.concatenate(([t0], grid[grid > t0], [t1]))
        mid = (times[:-1] + times[1:]) / 2
        hour = (mid % 86400) / 3600.0
        shape = np.exp(-((hour - 7.5) ** 2) / 2.0) * 0.6 + np.exp(-((hour - 19.0) ** 2) / 4.0)
        current = self.base_current + (self.peak_current - self.base_current) * shape
        n = len(mid)
        return Segments(times, PhaseInputs(
            np.full((n, 3), self.voltage), np.repeat(current[:, None], 3, axis=1),
            np.full((n, 3), self.angle), np.full(n, self.frequency),
        ))


def default_load(config, seed: int = 0) -> LoadSource:
    """The deterministic load `k351c serve` runs with by default."""
    return DailyShapeLoad(frequency=config.nominal_frequency)
