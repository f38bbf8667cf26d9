"""A fleet meter's load profile, recomputed from a daily register checkpoint and the seeded load.

Entries are not stored. At each UTC day boundary the fleet keeps the load-profile bank's total
registers (count + remainder) per meter and channel; entry *k* of meter *i* is the difference of
whole register units between two period ends, from that day's checkpoint plus the energy of every
step since. The steps are the load's 15-minute intervals split at the period ends the meters' clock
shows (a 5-minute period closes three entries per load interval; a drifting clock closes them off
the load grid) and at meter i's own inputs: a CT change or a temperature setting splits its interval
there, and each part is booked with the ratio and the temperature in force when it began, as the
fleet booked it (``Fleet._book_running``) and as a single meter steps. The load profile's class 7
methods, journaled with their instants (k351c.meter.fleet_writes), are inputs too: a capture closes
a partial entry, a reset empties the profile. An entry still open at a day boundary is carried into
the next day. The entry's status is ``loadprofile.entry_status``, the single meter's rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from k351c.meter.fleet_clock import clock_status
from k351c.meter.fleet_load import RESOLUTION
from k351c.meter.fleet_writes import LOAD_PROFILE
from k351c.meter.loadprofile import aligned_after, entry_status
from k351c.meter.powerfail import CLOCK_INVALID

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet

PER_DAY = 96
CAPTURE, RESET = "capture", "reset"


@dataclass(frozen=True, slots=True)
class Recomputed:
    """Meter i's profile up to an instant: its entries, the last entry closed, the open entry's flags."""

    rows: list[tuple]  # (meter-time end, status, energy per channel), oldest first, at most the depth
    last: tuple[int, ...]  # energy per channel of the last entry closed (0s before the first)
    running: int  # entry_status flags the open entry has gathered (power down, a first partial period)


def profile_rows(fleet: Fleet, i: int, until: float | None = None) -> list[tuple]:
    """Meter i's load profile entries (meter-time end, status, energy per channel), oldest first."""
    return recompute(fleet, i, until).rows


def recompute(fleet: Fleet, i: int, until: float | None = None, days: int | None = None) -> Recomputed:
    """Meter i's profile recomputed up to ``until`` (default now), over the last ``days`` UTC days
    (default: as many as its depth needs; the open entry needs two)."""
    until = fleet.t if until is None else min(until, fleet.t)
    period = fleet.config.integration_minutes * 60.0
    k_end = math.ceil(until / RESOLUTION)
    if days is None:
        first_day = max(fleet.start_k, k_end - int(fleet.depth * period // RESOLUTION) - PER_DAY)
    else:
        first_day = max(fleet.start_k, (k_end // PER_DAY - days + 1) * PER_DAY)
    inputs = _Inputs(fleet, i)
    book = _Book(len(fleet.lp_q))
    carry: _Open | None = None
    for day in range(first_day // PER_DAY, k_end // PER_DAY + 1):
        k0 = max(day * PER_DAY, fleet.start_k)
        slot = (k0 // PER_DAY) % fleet.days
        begin, end = k0 * RESOLUTION, min((day + 1) * PER_DAY * RESOLUTION, until)
        if end <= begin or fleet.ckpt_k[slot] != k0:
            carry = None
            continue
        carry = _day_rows(fleet, i, begin, end, fleet.ckpt[i, slot], carry, book, inputs)
    running = 0 if carry is None else entry_status(power_down=carry.down, partial=carry.partial)
    return Recomputed(book.rows[book.cut :][-fleet.depth :], book.last, running)


class _Inputs:
    """Meter i's own inputs: CT ratios over time, instants that split an interval, profile methods."""

    def __init__(self, fleet: Fleet, i: int) -> None:
        changes = [(t, p) for t, j, p in fleet.ct_changes if j == i]
        self.ct_times = np.array([t for t, _ in changes], dtype=np.float64)
        self.primaries = np.array([int(fleet.start_ct[i]), *(p for _, p in changes)], dtype=np.int64)
        self.secondary = float(fleet.ct_secondary)
        temperatures = [t for t, _ in fleet.temperatures.of_meter(i)]
        self.methods = [
            (w.t, w.target) for w in fleet.writes.of(i) if w.obis == str(LOAD_PROFILE)
        ]
        self.splits = np.array(
            [*self.ct_times.tolist(), *temperatures, *(t for t, _ in self.methods)], dtype=np.float64
        )

    def ratio(self, since: np.ndarray) -> np.ndarray:
        """The CT ratio in force at each instant (a change counts from its instant on)."""
        return self.primaries[np.searchsorted(self.ct_times, since, side="right")] / self.secondary


class _Book:
    """The entries recomputed so far, where the last reset cut them, and the last entry's energies."""

    def __init__(self, channels: int) -> None:
        self.rows: list[tuple] = []
        self.cut = 0
        self.last: tuple[int, ...] = (0,) * channels

    def close(self, row: tuple) -> None:
        """Append a closed entry."""
        self.rows.append(row)
        self.last = tuple(row[2:])


class _Open:
    """The entry running: whole units at its start, whether power failed in it, whether it is partial."""

    __slots__ = ("floors", "down", "partial")

    def __init__(self, floors: np.ndarray, down: bool, partial: bool = False) -> None:
        self.floors, self.down, self.partial = floors, down, partial


def _edges(
    fleet: Fleet, begin: float, end: float, splits: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Step edges in true time from begin to end (load intervals, period ends, meter i's inputs) and the period ends."""
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
    edges = np.unique(np.concatenate([grid, true_closes, [begin, end], splits]))
    return edges[(edges >= begin) & (edges <= end)], closes


def _events(fleet: Fleet, closes: np.ndarray, methods: list, begin: float, end: float) -> list:
    """Period closes and profile methods in (begin, end], in the order the meter saw them.

    Each is (true instant, order, meter-time instant, what): at one instant the period closes
    first (the meter stepped to it), then the methods in the order they were made.
    """
    out = [
        (float(t), -1, float(m), "close")
        for t, m in zip(np.atleast_1d(fleet.rtc.true_time(closes)).tolist(), closes.tolist(), strict=True)
    ]
    out += [
        (t, j, float(fleet.rtc.meter_time(t)), what)
        for j, (t, what) in enumerate(methods)
        if begin < t <= end
    ]
    return sorted(out, key=lambda e: e[:2])


def _day_rows(
    fleet: Fleet,
    i: int,
    begin: float,
    end: float,
    start: np.ndarray,
    carry: _Open | None,
    book: _Book,
    inputs: _Inputs,
) -> _Open:
    """Close the entries of (begin, end] (true time) from the day's checkpoint ``start`` into ``book``.

    ``carry`` is the entry still open at ``begin`` (None: the first day looked at, whose first
    entry began before it and is left out unless the meter started in it). Returns the entry open at end.
    """
    edges, closes = _edges(fleet, begin, end, inputs.splits)
    lows, highs = np.maximum(edges[:-1], fleet.start), edges[1:]  # the first step counts from the start
    powered = fleet.powered_seconds(np.array([i]), lows, np.maximum(highs, lows))[0]
    idx = (edges[:-1] // RESOLUTION).astype(np.int64)
    parts = np.stack([lows, np.maximum(highs, lows)])
    wh = fleet.bank_wh(i, idx, powered, fleet.lp_bank, parts, inputs.ratio(lows))[:, fleet.lp_q]
    floors = np.floor(np.vstack([start[None, :], start[None, :] + np.cumsum(wh, axis=0)]))
    floors = floors.astype(np.int64)
    down = powered < np.maximum(highs - lows, 0.0)
    period = fleet.config.integration_minutes * 60.0
    known = carry is not None or begin <= fleet.start
    if carry is None:
        first = aligned_after(fleet.start, period, fleet.config.utc_offset_minutes * 60.0)
        carry = _Open(floors[0], False, partial=known and first - fleet.start != period)
    opened, last = carry, 0
    events = _events(fleet, closes, inputs.methods, begin, end)
    clock = clock_status(fleet, np.array([i]), np.array([e[0] for e in events], dtype=np.float64))[0]
    for (true_t, _, meter_t, what), bits in zip(events, clock.tolist(), strict=True):
        if what == RESET:
            book.cut = len(book.rows)
            continue
        j = int(np.searchsorted(edges, true_t))
        failed = opened.down or bool(down[last:j].any())
        if known:
            status = entry_status(
                power_down=failed,
                dst=fleet.localtime.is_dst(meter_t),
                clock_invalid=bool(bits & CLOCK_INVALID),
                partial=opened.partial or what == CAPTURE,
            )
            book.close((meter_t, status, *(int(x) for x in floors[j] - opened.floors)))
        opened, last, known = _Open(floors[j], False), j, True
    return _Open(opened.floors, opened.down or bool(down[last:].any()), opened.partial)
