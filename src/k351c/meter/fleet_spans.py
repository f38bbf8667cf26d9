"""Demand spans of a fleet's load intervals: where the meters' demand periods cut them.

Demand integrates each period's energy; a period ends where the meters' clock shows a multiple of
the integration period (``Demand._boundary_after``). With an exact clock those ends fall on a grid
of min(period, 15 min) spans inside the load's 15-minute intervals; with a drifting clock
(``fleet_clock.FleetRtc``) they fall inside the intervals, at the true instants the clock shows
them. ``Spans`` describes both alike: the spans of consecutive intervals in time order, the interval
each lies in, the period it adds to and its place there, and whether (and at which meter time) it
ends that period. The meters share one clock, so the spans are the same for every meter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from k351c.meter.fleet_clock import FleetRtc
from k351c.meter.fleet_load import RESOLUTION


@dataclass(frozen=True, slots=True)
class Spans:
    """The demand spans of the intervals k0, k0 + 1, ... in time order (true instants)."""

    k0: int
    begins: np.ndarray
    ends: np.ndarray
    pos: np.ndarray  # the interval of each span, counted from k0
    pid: np.ndarray  # the period each span adds to (non-decreasing)
    rank: np.ndarray  # the span's place in its period (0: its first span here)
    closing: np.ndarray  # whether the span ends its period
    close_t: np.ndarray  # meter time of each span's end
    uniform: int  # spans per interval when every interval has as many (exact clock), else 0

    def __len__(self) -> int:
        return self.begins.size

    def head(self, count: int) -> Spans:
        """The first ``count`` spans."""
        cut = slice(0, count)
        return Spans(
            self.k0,
            self.begins[cut],
            self.ends[cut],
            self.pos[cut],
            self.pid[cut],
            self.rank[cut],
            self.closing[cut],
            self.close_t[cut],
            0,
        )


def grid_spans(k0: int, m: int, subs: int, per: int, grid: float) -> Spans:
    """Spans of an exact clock: ``subs`` per interval, ``per`` per period, each ``grid`` seconds long."""
    numbers = (np.arange(k0, k0 + m, dtype=np.int64)[:, None] * subs + np.arange(subs)).ravel()
    begins = numbers * grid
    ends = begins + grid
    rank = numbers % per
    return Spans(
        k0, begins, ends, np.repeat(np.arange(m), subs), numbers // per, rank, rank == per - 1, ends, subs
    )


def drift_spans(k0: int, m: int, rtc: FleetRtc, period: float, start: float) -> Spans:
    """Spans of a drifting clock: the intervals cut at the true instants of the period ends it shows."""
    low, high = k0 * RESOLUTION, (k0 + m) * RESOLUTION
    first = math.floor(rtc.meter_time(low) / period)
    shown = np.arange(first, math.floor(rtc.meter_time(high) / period) + 2) * period
    shown = shown[shown > start]
    true = np.asarray(rtc.true_time(shown), dtype=np.float64)
    inside = (true > low) & (true <= high)
    shown, true = shown[inside], true[inside]
    grid = np.arange(k0, k0 + m + 1, dtype=np.float64) * RESOLUTION
    edges = np.unique(np.concatenate([grid, true]))
    begins, ends = edges[:-1], edges[1:]
    pid = np.searchsorted(true, begins, side="right")
    closing = np.zeros(begins.size, dtype=bool)
    at = np.searchsorted(ends, true)
    closing[at] = True
    close_t = np.asarray(rtc.meter_time(ends), dtype=np.float64)
    close_t[at] = shown
    rank = np.arange(begins.size) - np.searchsorted(pid, pid, side="left")
    pos = np.floor(begins / RESOLUTION).astype(np.int64) - k0
    return Spans(k0, begins, ends, pos, pid, rank, closing, close_t, 0)
