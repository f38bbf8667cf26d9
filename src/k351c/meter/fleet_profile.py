"""A fleet meter's load profile, recomputed from a daily register checkpoint and the seeded load.

Entries are not stored. At each UTC day boundary the fleet keeps the load-profile bank's total
registers (count + remainder) per meter and channel; entry *k* of meter *i* is the difference of
whole register units between two period ends, from that day's checkpoint plus the energy of every
step since. The steps are the load's 15-minute intervals split at the period ends the meters' clock
shows (a 5-minute period closes three entries per load interval; a drifting clock closes them off
the load grid), so every period a single meter accepts works in a fleet. An entry still open at a
day boundary is carried into the next day. The entry's status is ``loadprofile.entry_status``, the
single meter's rule.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from k351c.meter.fleet_load import RESOLUTION
from k351c.meter.loadprofile import entry_status

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet

PER_DAY = 96


def profile_rows(fleet: Fleet, i: int, until: float | None = None) -> list[tuple]:
    """Meter i's load profile entries (meter-time end, status, energy per channel), oldest first."""
    until = fleet.t if until is None else min(until, fleet.t)
    period = fleet.config.integration_minutes * 60.0
    k_end = math.ceil(until / RESOLUTION)
    first_day = max(fleet.start_k, k_end - int(fleet.depth * period // RESOLUTION) - PER_DAY)
    rows: list[tuple] = []
    carry: _Open | None = None
    for day in range(first_day // PER_DAY, k_end // PER_DAY + 1):
        k0 = max(day * PER_DAY, fleet.start_k)
        slot = (k0 // PER_DAY) % fleet.days
        begin, end = k0 * RESOLUTION, min((day + 1) * PER_DAY * RESOLUTION, until)
        if end <= begin or fleet.ckpt_k[slot] != k0:
            carry = None
            continue
        carry = _day_rows(fleet, i, begin, end, fleet.ckpt[i, slot], carry, rows)
    return rows[-fleet.depth :]


class _Open:
    """The entry running at a day boundary: whole units at its start, whether power failed in it."""

    __slots__ = ("floors", "down")

    def __init__(self, floors: np.ndarray, down: bool) -> None:
        self.floors, self.down = floors, down


def _edges(fleet: Fleet, begin: float, end: float) -> tuple[np.ndarray, np.ndarray]:
    """Step edges in true time from begin to end (load intervals and period ends) and the period ends."""
    config = fleet.config
    period = config.integration_minutes * 60.0
    offset = config.utc_offset_minutes * 60.0
    rtc = fleet.rtc
    m0, m1 = rtc.meter_time(begin), rtc.meter_time(end)
    first = math.floor((m0 + offset) / period) + 1
    closes = np.arange(first, math.floor((m1 + offset) / period) + 1) * period - offset
    closes = closes[closes > fleet.start]  # meter time; a meter closes no period before it started
    grid = np.arange(math.floor(begin / RESOLUTION), math.ceil(end / RESOLUTION) + 1) * RESOLUTION
    true_closes = rtc.true_time(closes)
    edges = np.unique(np.concatenate([grid, true_closes, [begin, end]]))
    return edges[(edges >= begin) & (edges <= end)], closes


def _day_rows(
    fleet: Fleet, i: int, begin: float, end: float, start: np.ndarray, carry, rows: list
) -> _Open:
    """Append the entries closing in [begin, end] (true time) from the day's checkpoint ``start``.

    ``carry`` is the entry still open at ``begin`` (None: the first day looked at, whose first
    entry began before it and is left out unless the meter started in it). Returns the entry open at end.
    """
    edges, closes = _edges(fleet, begin, end)
    lows, highs = np.maximum(edges[:-1], fleet.start), edges[1:]  # the first step counts from the start
    powered = fleet.powered_seconds(np.array([i]), lows, np.maximum(highs, lows))[0]
    idx = (edges[:-1] // RESOLUTION).astype(np.int64)
    wh = fleet.bank_wh(i, idx, powered, fleet.lp_bank)[:, fleet.lp_q]
    floors = np.floor(np.vstack([start[None, :], start[None, :] + np.cumsum(wh, axis=0)]))
    floors = floors.astype(np.int64)
    down = powered < np.maximum(highs - lows, 0.0)
    at = np.searchsorted(edges, fleet.rtc.true_time(closes))
    known = carry is not None or begin <= fleet.start
    opened = carry if carry is not None else _Open(floors[0], False)
    period = fleet.config.integration_minutes * 60.0
    last = 0
    for close, j in zip(closes.tolist(), at.tolist(), strict=True):
        failed = opened.down or bool(down[last:j].any())
        if known:
            status = entry_status(
                power_down=failed,
                dst=fleet.localtime.is_dst(close),
                partial=close - fleet.start < period,  # the period began before the meter started
            )
            rows.append((close, status, *(int(x) for x in floors[j] - opened.floors)))
        opened, last, known = _Open(floors[j], False), j, True
    return _Open(opened.floors, opened.down or bool(down[last:].any()))
