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
        """Meter i's outage windows (t0, t1)."""
        return [(o.t0, o.t1) for o in self.outages if np.isin(i, o.meters)]

    def _overlapping(self, lo: float, hi: float) -> list[Outage]:
        """The outages that overlap [lo, hi): the others take no second off any span inside it."""
        return [o for o in self.outages if o.t0 < hi and o.t1 > lo]

    def powered_fraction(self, meters: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Share (0..1) of each interval that each meter has voltage: (len(meters), len(idx))."""
        frac = np.ones((len(meters), idx.size))
        if not self.outages:
            return frac
        starts = idx * RESOLUTION
        for outage in self._overlapping(starts.min(initial=np.inf), starts.max(initial=-np.inf) + RESOLUTION):
            overlap = np.clip(
                np.minimum(starts + RESOLUTION, outage.t1) - np.maximum(starts, outage.t0), 0, None
            )
            if not overlap.any():
                continue
            hit = np.isin(meters, outage.meters)
            frac[hit] -= overlap / RESOLUTION
        return np.clip(frac, 0.0, 1.0)

    def powered_each(self, meters: np.ndarray, begins: np.ndarray, ends) -> np.ndarray:
        """Seconds of each meter's own span [begin, end) that it has voltage: (len(meters),)."""
        seconds = np.broadcast_to(ends - begins, begins.shape).astype(np.float64)
        for outage in self._overlapping(np.min(begins, initial=np.inf), np.max(ends, initial=-np.inf)):
            hit = np.isin(meters, outage.meters)
            if hit.any():
                low, high = np.broadcast_to(begins, hit.shape)[hit], np.broadcast_to(ends, hit.shape)[hit]
                seconds[hit] -= np.clip(np.minimum(high, outage.t1) - np.maximum(low, outage.t0), 0, None)
        return np.maximum(seconds, 0.0)

    def powered_seconds(self, meters: np.ndarray, begins: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Seconds of each span [begin, end) that each meter has voltage: (len(meters), len(begins))."""
        seconds = np.broadcast_to(np.maximum(ends - begins, 0.0), (len(meters), begins.size)).copy()
        for outage in self._overlapping(np.min(begins, initial=np.inf), np.max(ends, initial=-np.inf)):
            overlap = np.clip(np.minimum(ends, outage.t1) - np.maximum(begins, outage.t0), 0, None)
            if overlap.any():
                seconds[np.isin(meters, outage.meters)] -= overlap
        return np.maximum(seconds, 0.0)

    def failures(self, i: int, until: float | None = None) -> list[tuple[float, float]]:
        """Meter i's power failures so far: (start, duration in s) — the power-failure log."""
        until = self.t if until is None else until
        return [
            (o.t0, min(o.t1, until) - o.t0)
            for o in self.outages
            if o.t0 <= until and np.isin(i, o.meters)
        ]
