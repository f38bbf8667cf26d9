"""A fleet meter's load profile, recomputed from a daily register checkpoint and the seeded load.

Entries are not stored. At each UTC day boundary the fleet keeps the load-profile bank's total
registers (count + remainder) per meter and channel; entry *k* of meter *i* is the difference of
whole register units between two period ends, from that day's checkpoint plus the energy of every
step since. The steps are the profile grid: the integration period when it is a multiple of the
load's 15-minute resolution, 5 minutes otherwise (a 5-minute period closes three entries per load
interval, each a third of its energy), so every period a single meter accepts works in a fleet.
The entry's status is ``loadprofile.entry_status``, the single meter's rule.
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


def profile_grid(period: float) -> float:
    """Seconds of the recomputation step: the largest divisor of both the period and 15 minutes."""
    return float(math.gcd(int(period), int(RESOLUTION)))


def profile_rows(fleet: Fleet, i: int, until: float | None = None) -> list[tuple]:
    """Meter i's load profile entries (POSIX end, status, energy per channel), oldest first."""
    until = fleet.t if until is None else min(until, fleet.t)
    period = fleet.config.integration_minutes * 60.0
    grid = profile_grid(period)
    per_k = int(RESOLUTION // grid)
    j_end = int(math.floor(until / grid))
    k_end = -(-j_end // per_k)
    first_day = max(fleet.start_k, k_end - int(fleet.depth * period // RESOLUTION) - PER_DAY)
    rows: list[tuple] = []
    for day in range(first_day // PER_DAY, k_end // PER_DAY + 1):
        k0 = max(day * PER_DAY, fleet.start_k)
        slot = (k0 // PER_DAY) % fleet.days
        j0, j1 = k0 * per_k, min((day + 1) * PER_DAY * per_k, j_end)
        if j1 <= j0 or fleet.ckpt_k[slot] != k0:
            continue
        rows.extend(_day_rows(fleet, i, np.arange(j0, j1, dtype=np.int64), grid, fleet.ckpt[i, slot]))
    return rows[-fleet.depth :]


def _day_rows(fleet: Fleet, i: int, steps: np.ndarray, grid: float, start: np.ndarray) -> list:
    """The entries closing in these grid steps of one day, from the day's checkpoint ``start``."""
    config = fleet.config
    period = config.integration_minutes * 60.0
    offset = config.utc_offset_minutes * 60.0
    begins = np.maximum(steps * grid, fleet.start)  # the first step counts from the start
    ends = (steps + 1) * grid
    powered = fleet.powered_seconds(np.array([i]), begins, ends)[0]
    idx = (steps * grid // RESOLUTION).astype(np.int64)
    wh = fleet.bank_wh(i, idx, powered, fleet.lp_bank)[:, fleet.lp_q]
    cum = start[None, :] + np.cumsum(wh, axis=0)
    floors = np.floor(np.vstack([start[None, :], cum])).astype(np.int64)
    down = powered < ends - begins
    closes = np.nonzero((((ends + offset) % period) == 0) & (ends > fleet.start))[0]
    rows, last = [], 0
    for j in closes.tolist():
        end = float(ends[j])
        status = entry_status(
            power_down=bool(down[last : j + 1].any()),
            dst=fleet.localtime.is_dst(end),
            partial=end - fleet.start < period,  # the period began before the meter started
        )
        delta = floors[j + 1] - floors[last]
        rows.append((end, status, *(int(x) for x in delta)))
        last = j + 1
    return rows
