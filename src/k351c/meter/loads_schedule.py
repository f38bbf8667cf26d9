"""Scripted loads: a list of (time, phasors) held as steps or ramped linearly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from k351c.clock import parse_instant
from k351c.meter.loads import ConstantLoad, Segments, grid_times
from k351c.meter.metrology import PhaseInputs

Instant = float | str | datetime


def _seconds(t: Instant) -> float:
    """POSIX seconds of a number (taken as is), ISO string or datetime."""
    if isinstance(t, int | float):
        return float(t)
    return parse_instant(t).timestamp()


class ScheduleLoad:
    """Phasors scripted at instants: held until the next point (``ramp=False``) or ramped linearly.

    ``points`` are (instant, ConstantLoad); numbers are POSIX seconds plus ``origin``. Before the
    first point the first load holds, after the last the last. A ramp is piecewise constant at
    ``resolution`` seconds with the value at each piece's midpoint, so energy is exact for a
    current ramp at constant angle.
    """

    def __init__(
        self,
        points: Sequence[tuple[Instant, ConstantLoad]],
        ramp: bool = False,
        resolution: float = 60.0,
        origin: float = 0.0,
    ) -> None:
        if not points:
            raise ValueError("a schedule needs at least one point")
        ordered = sorted(
            (
                (_seconds(t) + (origin if isinstance(t, int | float) else 0.0), load)
                for t, load in points
            ),
            key=lambda x: x[0],
        )
        self.times = np.array([t for t, _ in ordered])
        stacked = [load.inputs(1) for _, load in ordered]
        self.voltage = np.concatenate([x.voltage for x in stacked])
        self.current = np.concatenate([x.current for x in stacked])
        self.angle = np.concatenate([x.angle for x in stacked])
        self.frequency = np.concatenate([x.frequency for x in stacked])
        self.ramp = ramp
        self.resolution = float(resolution)

    def _boundaries(self, t0: float, t1: float) -> np.ndarray:
        inside = self.times[(self.times > t0) & (self.times < t1)]
        if not self.ramp:
            return np.concatenate(([t0], inside, [t1]))
        lo, hi = self.times[0], self.times[-1]
        grid = (
            grid_times(max(t0, lo), min(t1, hi), self.resolution, lo)
            if t1 > lo and t0 < hi
            else np.empty(0)
        )
        return np.unique(np.concatenate(([t0, t1], inside, grid)))

    def inputs_at(self, t: np.ndarray) -> PhaseInputs:
        """The phasors at instants t (held steps or linear interpolation)."""
        t = np.asarray(t, dtype=float)
        if not self.ramp:
            k = np.clip(np.searchsorted(self.times, t, side="right") - 1, 0, len(self.times) - 1)
            return PhaseInputs(self.voltage[k], self.current[k], self.angle[k], self.frequency[k])

        def lerp(a: np.ndarray) -> np.ndarray:
            if a.ndim == 1:
                return np.interp(t, self.times, a)
            return np.stack([np.interp(t, self.times, a[:, j]) for j in range(a.shape[1])], axis=1)

        return PhaseInputs(
            lerp(self.voltage), lerp(self.current), lerp(self.angle), lerp(self.frequency)
        )

    def segments(self, t0: float, t1: float) -> Segments:
        """Intervals split at the schedule's points (and at the ramp resolution while ramping)."""
        times = self._boundaries(t0, t1)
        return Segments(times, self.inputs_at((times[:-1] + times[1:]) / 2))


@dataclass(frozen=True)
class StepLoad:
    """``before`` until instant ``at``, then ``after``: the simplest scripted change."""

    at: float
    before: ConstantLoad
    after: ConstantLoad

    def segments(self, t0: float, t1: float) -> Segments:
        """One or two intervals, split at the step."""
        loads = [self.before, self.after]
        if t0 < self.at < t1:
            times = np.array([t0, self.at, t1])
            parts = [x.inputs(1) for x in loads]
        else:
            times = np.array([t0, t1])
            parts = [loads[int(t0 >= self.at)].inputs(1)]
        return Segments(
            times,
            PhaseInputs(
                np.concatenate([x.voltage for x in parts]),
                np.concatenate([x.current for x in parts]),
                np.concatenate([x.angle for x in parts]),
                np.concatenate([x.frequency for x in parts]),
            ),
        )
