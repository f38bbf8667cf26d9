"""Load sources: pure functions of (seed, time) giving per-phase phasors on the secondary side.

Every source answers ``segments(t0, t1)``: [t0, t1] split at the source's own resolution into
intervals of constant phasors. The value at any instant is recomputable on its own (no state),
so a meter that restarts, or a fleet that skips ahead, sees the same load.

More sources: k351c.meter.loads_schedule (StepLoad, ScheduleLoad), k351c.meter.loads_profile
(BdewLoad: H0/G0..G6 with noise, PF and PV), k351c.meter.loads_replay (ReplayLoad) and
k351c.meter.waveform (WaveformLoad).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    _durations: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def durations(self) -> np.ndarray:
        """Length of each interval in seconds (computed once)."""
        durations = self._durations
        if durations is None:
            durations = np.diff(self.times)
            object.__setattr__(self, "_durations", durations)
        return durations


class LoadSource(Protocol):
    """A load as a pure function of time: the same interval always gives the same phasors."""

    def segments(self, t0: float, t1: float) -> Segments:
        """Split [t0, t1] (POSIX seconds) into intervals of constant phasors."""
        ...


def grid_times(t0: float, t1: float, resolution: float, origin: float = 0.0) -> np.ndarray:
    """Boundary times t0, every grid instant origin + k*resolution strictly inside, t1."""
    first = np.floor((t0 - origin) / resolution) + 1
    last = np.ceil((t1 - origin) / resolution) - 1
    inner = origin + np.arange(first, last + 1) * resolution
    inner = inner[(inner > t0) & (inner < t1)]
    return np.concatenate(([t0], inner, [t1]))


def interval_index(times: np.ndarray, resolution: float, origin: float = 0.0) -> np.ndarray:
    """The grid interval (int64) each segment of ``times`` falls in (by its midpoint)."""
    mid = (times[:-1] + times[1:]) / 2
    return np.floor((mid - origin) / resolution).astype(np.int64)


def _splitmix(x: np.ndarray) -> np.ndarray:
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash_uniform(seed: int, stream: int, index: np.ndarray) -> np.ndarray:
    """Counter-based uniform numbers in (0, 1): one per (seed, stream, index), independently computable."""
    base = np.array([(seed * 1_000_003 + stream * 7919) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)
    with np.errstate(over="ignore"):
        key = _splitmix(base)
        z = _splitmix(np.asarray(index, dtype=np.int64).astype(np.uint64) ^ key)
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def hash_normal(seed: int, stream: int, index: np.ndarray) -> np.ndarray:
    """Counter-based standard normal numbers (Box-Muller over two hash streams)."""
    u1 = hash_uniform(seed, 2 * stream, index)
    u2 = hash_uniform(seed, 2 * stream + 1, index)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2 * np.pi * u2)


def phasors_from_power(
    p: np.ndarray, q: np.ndarray, voltage: np.ndarray, frequency: np.ndarray
) -> PhaseInputs:
    """PhaseInputs (n, 3) whose U I cos/sin give the per-phase P and Q (W, var) at these voltages."""
    voltage = np.broadcast_to(np.asarray(voltage, dtype=float), p.shape)
    current = np.hypot(p, q) / np.where(voltage > 0, voltage, 1.0)
    angle = np.degrees(np.arctan2(q, p))
    return PhaseInputs(
        np.array(voltage), current, angle, np.broadcast_to(frequency, p.shape[:1]).astype(float)
    )


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


def idle_load(config) -> ConstantLoad:
    """Nominal supply of this meter (star voltage, nominal frequency) and no current: no load attached."""
    voltage = float(config.nominal_voltage) / (np.sqrt(3.0) if config.aron else 1.0)
    return ConstantLoad(voltage=voltage, current=0.0, frequency=float(config.nominal_frequency))


@dataclass(frozen=True)
class HarmonicLoad:
    """A constant load with harmonics: ``harmonics`` is ((order, U_h, I_h, angle_h), ...) for every phase."""

    base: ConstantLoad
    harmonics: tuple[tuple[float, float, float, float], ...] = ()

    def inputs(self, n: int) -> PhaseInputs:
        """The fundamental of ``base`` plus the harmonics, for n intervals."""
        inp = self.base.inputs(n)
        h = np.asarray(self.harmonics, dtype=float).reshape(-1, 4)
        arr = np.broadcast_to(h[None, None, :, :], (n, 3, h.shape[0], 4)).copy()
        return PhaseInputs(inp.voltage, inp.current, inp.angle, inp.frequency, harmonics=arr)

    def segments(self, t0: float, t1: float) -> Segments:
        """One interval: the load never changes."""
        return Segments(np.array([t0, t1], dtype=float), self.inputs(1))
