"""Which meters of a fleet have voltage when: the powered time its feeder outages leave each meter.

``FleetOutages`` is the part of ``Fleet`` that answers it from ``outages`` (each an ``Outage``: t0,
t1 and the fleet indices it takes off all phases): the engine books the powered share of each
interval, billing and quality count powered seconds, the profile and the logs read each meter's
windows and failures. A query looks only at the outages overlapping the span it is asked about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from k351c.meter.fleet_load import RESOLUTION

if TYPE_CHECKING:
    from k351c.meter.fleet_state import Outage


class FleetOutages:
    """Powered time of a fleet's meters under its outages (``Fleet`` inherits it; the outages are its)."""

    outages: list[Outage]
    t: float

    def outage_windows(self, i: int) -> list[tuple[float, float]]:
        """Meter i's outage windows (t0, t1): overlapping outages merged, as the meter sees its voltage."""
        return merged_windows([(o.t0, o.t1) for o in self.outages if np.isin(i, o.meters)])

    def _overlapping(self, lo: float, hi: float) -> list[Outage]:
        """The outages that overlap [lo, hi): the others take no second off any span inside it."""
        return [o for o in self.outages if o.t0 < hi and o.t1 > lo]

    def _off(self, meters: np.ndarray, begins: np.ndarray, ends: np.ndarray, own: bool = False) -> np.ndarray:
        """Seconds without voltage of each meter in each span [begin, end): (len(meters), len(begins)).

        With ``own`` each meter has its own span (begins and ends (len(meters),)) and the result is
        (len(meters),). A meter under two overlapping outages loses each second once: meters are
        grouped by the outages they are under, and each group's windows are merged before they count.
        """
        off = np.zeros(len(meters) if own else (len(meters), begins.size))
        outages = self._overlapping(np.min(begins, initial=np.inf), np.max(ends, initial=-np.inf))
        if not outages:
            return off
        under = np.stack([np.isin(meters, o.meters) for o in outages], axis=1)
        groups, which = np.unique(under, axis=0, return_inverse=True)
        which = which.reshape(-1)
        for g, group in enumerate(groups):
            if not group.any():
                continue
            rows = which == g
            low, high = (begins[rows], ends[rows]) if own else (begins, ends)
            windows = merged_windows([(o.t0, o.t1) for o, on in zip(outages, group, strict=True) if on])
            off[rows] = sum(
                np.clip(np.minimum(high, t1) - np.maximum(low, t0), 0, None) for t0, t1 in windows
            )
        return off

    def powered_fraction(self, meters: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Share (0..1) of each interval that each meter has voltage: (len(meters), len(idx))."""
        if not self.outages:
            return np.ones((len(meters), idx.size))
        starts = (idx * RESOLUTION).astype(np.float64)
        return np.clip(1.0 - self._off(meters, starts, starts + RESOLUTION) / RESOLUTION, 0.0, 1.0)

    def powered_each(self, meters: np.ndarray, begins: np.ndarray, ends) -> np.ndarray:
        """Seconds of each meter's own span [begin, end) that it has voltage: (len(meters),)."""
        begins = np.broadcast_to(np.asarray(begins, dtype=np.float64), (len(meters),))
        ends = np.broadcast_to(np.asarray(ends, dtype=np.float64), (len(meters),))
        return np.maximum(ends - begins - self._off(meters, begins, ends, own=True), 0.0)

    def powered_seconds(self, meters: np.ndarray, begins: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Seconds of each span [begin, end) that each meter has voltage: (len(meters), len(begins))."""
        seconds = np.broadcast_to(np.maximum(ends - begins, 0.0), (len(meters), begins.size)).copy()
        if self.outages:
            seconds -= self._off(meters, begins, ends)
        return np.maximum(seconds, 0.0)

    def failures(self, i: int, until: float | None = None) -> list[tuple[float, float]]:
        """Meter i's power failures so far: (start, duration in s) — the power-failure log."""
        until = self.t if until is None else until
        return [(t0, min(t1, until) - t0) for t0, t1 in self.outage_windows(i) if t0 <= until]


def merged_windows(
    windows: list[tuple[float, float]], *, touching: bool = False
) -> list[tuple[float, float]]:
    """Windows (t0, t1) merged where they overlap, by start; with ``touching`` also where one ends as the next begins.

    Powered time merges overlaps only; the power-failure log counts touching outages as one failure.
    """
    merged: list[tuple[float, float]] = []
    for t0, t1 in sorted(windows):
        if merged and (t0 < merged[-1][1] or (touching and t0 == merged[-1][1])):
            merged[-1] = (merged[-1][0], max(merged[-1][1], t1))
        else:
            merged.append((t0, t1))
    return merged
