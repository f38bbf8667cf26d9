"""Voltage events: a sag, a swell or a phase loss on some phases of some meters over [t0, t1).

A voltage event is an input of the load, as an outage is: over its window the listed phases run at
``level`` times the voltage the load would have (0 is a phase loss), and a phase's active and
reactive power follow the voltage (a constant-current load: the current stays, P = U I cos phi).
The fleet's load (``SeededLoad``) and the fleet's engine apply the same ``scaled`` so a single
``Meter`` on a fleet meter's load sees exactly what the fleet's meter sees.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from k351c.errors import ConfigError
from k351c.meter.metrology import Measurement

# A voltage event keeps the meter supplied: at least one phase stays above this share of its
# voltage (the metrology's voltage-present limit is half of Un; the load's voltages lie within a
# few percent of Un). Losing every phase is an outage (Fleet.add_outage).
SUPPLIED_LEVEL = 0.6
MAX_LEVEL = 2.0


@dataclass(frozen=True, slots=True)
class VoltageEvent:
    """Phases of ``meters`` (fleet indices) run at ``levels`` (3,) times their voltage from t0 to t1."""

    t0: float
    t1: float
    meters: np.ndarray
    levels: np.ndarray

    def window(self) -> tuple[float, float, np.ndarray]:
        """(t0, t1, levels) as a load reads it."""
        return (self.t0, self.t1, self.levels)


def phase_levels(phases: Iterable[int], level: float) -> np.ndarray:
    """The per-phase factors (3,) of an event at ``level`` on ``phases`` (1..3); ConfigError naming the field."""
    chosen = sorted(set(phases)) if not isinstance(phases, (str, bytes)) else None
    if not chosen or any(
        isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p not in (1, 2, 3)
        for p in chosen
    ):
        raise ConfigError("voltage event phases", phases, "one or more of 1, 2, 3")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not math.isfinite(level):
        raise ConfigError("voltage event level", level, f"a factor 0..{MAX_LEVEL} of the voltage")
    if not 0.0 <= level <= MAX_LEVEL:
        raise ConfigError("voltage event level", level, f"a factor 0..{MAX_LEVEL} of the voltage")
    if len(chosen) == 3 and level < SUPPLIED_LEVEL:
        raise ConfigError(
            "voltage event level",
            level,
            f">= {SUPPLIED_LEVEL} on all three phases (losing every phase is an outage)",
        )
    levels = np.ones(3)
    levels[[p - 1 for p in chosen]] = float(level)
    return levels


def scaled(
    p: np.ndarray, q: np.ndarray, u: np.ndarray, levels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P, Q, U (..., 3) of a constant-current load whose voltages run at ``levels`` (..., 3) of theirs."""
    return p * levels, q * levels, u * levels


def split_at(
    times: np.ndarray,
    outages: list[tuple[float, float]],
    events: list[tuple[float, float, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boundary times split at the windows' edges; per segment whether it is off and its levels (n, 3)."""
    if not outages and not events:
        return times, np.zeros(times.size - 1, dtype=bool), np.ones((times.size - 1, 3))
    t0, t1 = times[0], times[-1]
    windows = [(a, b) for a, b in outages] + [(a, b) for a, b, _ in events]
    edges = np.array([e for w in windows for e in w], dtype=np.float64)
    edges = edges[(edges > t0) & (edges < t1)]
    if edges.size:
        times = np.unique(np.concatenate([times, edges]))
    mid = (times[:-1] + times[1:]) / 2
    off = np.zeros(mid.size, dtype=bool)
    for a, b in outages:
        off |= (mid > a) & (mid < b)
    levels = np.ones((mid.size, 3))
    for a, b, factor in events:
        inside = (mid > a) & (mid < b)
        levels[inside] = factor
    return times, off, levels


class VoltageEvents:
    """A fleet's voltage events, validated as they are added; saved as arrays with the fleet's state."""

    def __init__(self) -> None:
        self.events: list[VoltageEvent] = []

    def add(
        self, n: int, now: float, t0: float, t1: float, meters, phases: Iterable[int], level: float
    ) -> VoltageEvent:
        """A new event of a fleet of n meters whose time is ``now``; ConfigError naming a bad field."""
        levels = phase_levels(phases, level)
        for name, value in (("t0", t0), ("t1", t1)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"voltage event {name}", value, "a POSIX time (s)")
        if t1 <= t0:
            raise ConfigError("voltage event", (t0, t1), "an end after the start")
        chosen = np.unique(np.asarray(meters, dtype=np.int64).reshape(-1))
        if not chosen.size or chosen.min() < 0 or chosen.max() >= n:
            raise ConfigError("voltage event meters", meters, f"fleet indices 0..{n - 1}")
        for other in self.events:  # the same event again (a restart with the same flags) is kept once
            same = (other.t0, other.t1) == (float(t0), float(t1)) and np.array_equal(other.meters, chosen)
            if same and np.array_equal(other.levels, levels):
                return other
        if t0 < now:
            raise ConfigError("voltage event t0", t0, f"the fleet's time {now} or later")
        for other in self.events:
            if other.t0 < t1 and t0 < other.t1 and np.isin(chosen, other.meters).any():
                raise ConfigError(
                    "voltage event", (t0, t1), "no overlap with another event on the same meter"
                )
        event = VoltageEvent(float(t0), float(t1), chosen, levels)
        self.events.append(event)
        return event

    def of(self, i: int) -> list[tuple[float, float, np.ndarray]]:
        """Meter i's events as (t0, t1, levels), in time order."""
        return sorted(
            (e.window() for e in self.events if np.isin(i, e.meters)), key=lambda w: w[0]
        )

    def touching(self, lo: float, hi: float) -> list[VoltageEvent]:
        """The events overlapping [lo, hi)."""
        return [e for e in self.events if e.t0 < hi and e.t1 > lo]

    def arrays(self) -> dict[str, np.ndarray]:
        """The events as arrays: windows, levels, and the meters flat with each event's count."""
        events = self.events
        return {
            "event_window": np.array([[e.t0, e.t1] for e in events]).reshape(-1, 2),
            "event_levels": np.array([e.levels for e in events]).reshape(-1, 3),
            "event_count": np.array([e.meters.size for e in events], dtype=np.int64),
            "event_meters": np.concatenate([e.meters for e in events] or [np.zeros(0, np.int64)]),
        }

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        """Events written by ``arrays`` (none when the arrays lack them)."""
        if "event_window" not in arrays:
            self.events = []
            return
        ends = np.cumsum(arrays["event_count"])
        meters = np.split(arrays["event_meters"].astype(np.int64), ends[:-1]) if ends.size else []
        self.events = [
            VoltageEvent(float(t0), float(t1), m, np.array(levels, dtype=np.float64))
            for (t0, t1), levels, m in zip(
                arrays["event_window"], arrays["event_levels"], meters, strict=True
            )
        ]

MeasureCells = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], Measurement]
PoweredSeconds = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def blend(
    events: list[VoltageEvent],
    meters: np.ndarray,
    base: Measurement,
    pqu: tuple[np.ndarray, np.ndarray, np.ndarray],
    measure_cells: MeasureCells,
    powered_seconds: PoweredSeconds,
    lo: np.ndarray,
    hi: np.ndarray,
) -> Measurement:
    """The measurement of intervals over spans [lo, hi) (nb, m) with the events inside them.

    ``measure_cells(meters, columns, p, q, u)`` measures loads of some meters in some of the
    intervals (their columns). Each interval's current and powers are the time-weighted mean of what the meter measures in
    and outside its events over its supplied seconds, so booking them for the interval books the
    energy of its parts. The voltage stays the load's (the quality rule cuts the spans itself), but
    for a point window (``begin == end``: the instantaneous values) whatever holds at that instant.
    """
    nb, m = lo.shape[0], lo.shape[1]
    first, last = lo.min(initial=np.inf), hi.max(initial=-np.inf)
    events = [e for e in events if e.t0 < last and e.t1 > first]
    if not events:  # none touches these spans: nothing to weigh
        return base
    point = bool(np.all(lo == hi))
    supplied = np.zeros(lo.shape) if point else _seconds(powered_seconds, meters, lo, hi)
    names = ("voltage", "current", "p", "q", "s")
    weight = np.zeros((nb, m))
    acc = {name: np.zeros((nb, m, 3)) for name in names}
    for event in events:
        rows = np.isin(meters, event.meters)[:, None]
        if point:
            w = (rows & (lo > event.t0) & (lo < event.t1)).astype(np.float64)
        else:
            a, b = np.maximum(lo, event.t0), np.minimum(hi, event.t1)
            inside = np.where(rows & (b > a), _seconds(powered_seconds, meters, a, np.maximum(a, b)), 0.0)
            w = np.divide(inside, supplied, out=np.zeros_like(inside), where=supplied > 0)
        r_sel, c_sel = (np.unique(x) for x in np.nonzero(w))
        if not r_sel.size:
            continue
        p, q, u = (x[r_sel][:, c_sel] for x in pqu)
        measured = measure_cells(meters[r_sel], c_sel, *scaled(p, q, u, event.levels))
        cell = np.ix_(r_sel, c_sel)
        for name in names:
            acc[name][cell] += w[cell][..., None] * getattr(measured, name).reshape(r_sel.size, c_sel.size, 3)
        weight += w
    if not weight.any():
        return base
    fields = {}
    for name in names:
        values = getattr(base, name).reshape(nb, m, 3) * (1.0 - weight[..., None]) + acc[name]
        fields[name] = values.reshape(-1, 3)
    return Measurement(frequency=base.frequency, powered=base.powered, **fields)


def _seconds(powered_seconds: PoweredSeconds, meters: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Supplied seconds of each meter's spans [lo, hi) (nb, m)."""
    nb, m = lo.shape
    flat = powered_seconds(np.repeat(meters, m), lo.reshape(-1), hi.reshape(-1))
    return flat.reshape(nb, m)
