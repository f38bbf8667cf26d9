"""The voltage-quality rule written once over arrays of meters (a single meter is a fleet of one).

State per meter and phase (``QualityArrays``): minimum and maximum voltage with the instant each
was reached, the condition running (normal, under, over, missing) since when and whether it has
lasted its minimum duration yet, and per kind the count and the seconds of confirmed conditions.

``advance`` takes spans of constant voltage (rows x spans x 3 phases, the spans' start times and
whether the meter had supply) and updates the extremes and runs the condition machine; an
under/overvoltage counts once it has lasted the minimum duration (its start event is dated at that
instant), a voltage failure counts at once. Spans without supply (all phases lost: the meter is
off) leave the conditions running, as the meter sees nothing. Events come out through ``emit`` in
the order the machine meets them, per meter the order of a single meter's log. The single meter's
``VoltageQuality`` and the fleet's ``FleetQuality`` both call it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from k351c.meter.eventlog import EventCode

NORMAL, UNDER, OVER, MISSING = 0, 1, 2, 3
KINDS = (UNDER, OVER, MISSING)
START_CODE = {
    UNDER: EventCode.UNDER_VOLTAGE_L1,
    OVER: EventCode.OVER_VOLTAGE_L1,
    MISSING: EventCode.PHASE_OUTAGE_L1,
}
END_CODE = {
    UNDER: EventCode.VOLTAGE_L1_NORMAL,
    OVER: EventCode.VOLTAGE_L1_NORMAL,
    MISSING: EventCode.PHASE_RETURNED_L1,
}

# emit(rows, t, kind, phase, start): rows (indices into the state), their event instants (same
# length), the condition kind, the phase (0-based) and whether the condition starts or ends.
Emit = Callable[[np.ndarray, np.ndarray, int, int, bool], None]


@dataclass(slots=True)
class QualityArrays:
    """The voltage-quality state of n meters: (n, 3) per phase, (n, 3 kinds, 3 phases) per kind."""

    vmin: np.ndarray
    vmax: np.ndarray
    vmin_t: np.ndarray
    vmax_t: np.ndarray
    kind: np.ndarray
    since: np.ndarray
    confirmed: np.ndarray
    counts: np.ndarray
    durations: np.ndarray

    @classmethod
    def empty(cls, n: int, t: float = 0.0) -> QualityArrays:
        """No extremes yet, every phase normal since t, no counts."""
        return cls(
            np.full((n, 3), math.inf),
            np.full((n, 3), -math.inf),
            np.zeros((n, 3)),
            np.zeros((n, 3)),
            np.zeros((n, 3), dtype=np.int8),
            np.full((n, 3), float(t)),
            np.zeros((n, 3), dtype=bool),
            np.zeros((n, 3, 3), dtype=np.int64),
            np.zeros((n, 3, 3)),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """The state as named arrays (the fleet's state file)."""
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> QualityArrays:
        """Arrays written by ``arrays``."""
        return cls(**{name: np.array(arrays[name]) for name in cls.__slots__})

    def take(self, rows: np.ndarray | slice) -> QualityArrays:
        """Some meters' state: a copy for an index array, the rows in place for a slice."""
        return QualityArrays(*(getattr(self, name)[rows] for name in self.__slots__))

    def put(self, rows: np.ndarray, part: QualityArrays) -> None:
        """Write back the state of some meters taken with ``take``."""
        for name in self.__slots__:
            getattr(self, name)[rows] = getattr(part, name)


@dataclass(frozen=True, slots=True)
class Limits:
    """The thresholds the rule compares with: per meter (n,) under/over limits (V), shared rest."""

    under_v: np.ndarray
    over_v: np.ndarray
    lost_v: float
    min_duration: float

    def take(self, rows: np.ndarray | slice) -> Limits:
        """The limits of some meters."""
        return Limits(self.under_v[rows], self.over_v[rows], self.lost_v, self.min_duration)

    def kinds(self, volts: np.ndarray) -> np.ndarray:
        """The condition each voltage (rows, ..., 3) puts its phase in."""
        shape = (-1,) + (1,) * (volts.ndim - 1)
        under, over = self.under_v.reshape(shape), self.over_v.reshape(shape)
        kind = np.where(volts > over, OVER, NORMAL)
        kind = np.where(volts < under, UNDER, kind)
        return np.where(volts < self.lost_v, MISSING, kind).astype(np.int8)


def phase_ranges(volts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each meter's lowest and highest voltage per phase (n, 3) over its spans (n, m, 3)."""
    n, m = volts.shape[:2]
    rows = volts.reshape(n * m, 3)
    starts = np.arange(0, n * m, m)  # reduceat over each meter's rows: fast with three columns
    return np.minimum.reduceat(rows, starts, axis=0), np.maximum.reduceat(rows, starts, axis=0)


def update_extremes(
    state: QualityArrays,
    volts: np.ndarray,
    times: np.ndarray,
    lost_v: float,
    ranges: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Minimum and maximum of the present voltages (n, m, 3) of spans starting at times (n, m) or (m,).

    ``ranges`` are ``phase_ranges(volts)`` when the caller has them: only meters with a phase
    whose range leaves its extremes (or holds a lost voltage) are looked at span by span.
    """
    low, high = phase_ranges(volts) if ranges is None else ranges
    maybe = ((low < state.vmin) | (high > state.vmax)).any(axis=1)
    if not maybe.any():
        return
    rows = np.nonzero(maybe)[0]
    sub = volts[rows]
    present = sub >= lost_v  # lost voltages are no extremes
    for extreme, extreme_t, pick, better, blank in (
        (state.vmin, state.vmin_t, np.argmin, np.less, math.inf),
        (state.vmax, state.vmax_t, np.argmax, np.greater, -math.inf),
    ):
        values = np.where(present, sub, blank)
        at = pick(values, axis=1)  # (rows, 3): the first span reaching the extreme
        best = np.take_along_axis(values, at[:, None, :], axis=1)[:, 0, :]
        hit = better(best, extreme[rows])
        if not hit.any():
            continue
        r, p = np.nonzero(hit)
        extreme[rows[r], p] = best[r, p]
        extreme_t[rows[r], p] = times[rows[r], at[r, p]] if times.ndim == 2 else times[at[r, p]]


def advance(
    state: QualityArrays,
    limits: Limits,
    volts: np.ndarray,
    times: np.ndarray,
    powered: np.ndarray,
    t_end: float | np.ndarray,
    emit: Emit,
) -> None:
    """Spans (n, m, 3) starting at times (n, m) or (m,), supplied or not (n, m), up to t_end.

    Updates the extremes; runs the condition machine on the meters out of band or with a
    condition running (the others stay as they are), then confirms what has lasted by t_end.
    """
    low, high = phase_ranges(volts)
    update_extremes(state, volts, times, limits.lost_v, (low, high))
    busy = (
        (low.min(axis=1) < limits.under_v)
        | (high.max(axis=1) > limits.over_v)
        | state.kind.any(axis=1)
    )
    if not busy.any():
        return
    rows = np.nonzero(busy)[0]
    times = np.broadcast_to(times if times.ndim == 2 else times[None, :], volts.shape[:2])
    t_end = np.broadcast_to(np.asarray(t_end, dtype=np.float64), (volts.shape[0],))
    part = state if rows.size == volts.shape[0] else state.take(rows)
    sub_kinds = limits.take(rows).kinds(volts[rows])
    sub_times, sub_on = times[rows], powered[rows]
    wait = _waits(limits.min_duration)
    for j in range(volts.shape[1]):
        on = sub_on[:, j]
        for p in range(3):
            _classify(part, rows, p, sub_kinds[:, j, p], sub_times[:, j], on, wait, emit)
    for p in range(3):
        _confirm(part, rows, p, np.ones(rows.size, dtype=bool), t_end[rows], wait, emit)
    if part is not state:
        state.put(rows, part)


def running_seconds(state: QualityArrays, kind: int, t: float | np.ndarray) -> np.ndarray:
    """Seconds (n, 3) in confirmed conditions of a kind by t, the running one included."""
    running = (state.kind == kind) & state.confirmed
    t = np.asarray(t, dtype=np.float64).reshape(-1, 1) if np.ndim(t) else t
    extra = np.where(running, t - state.since, 0.0)
    return state.durations[:, kind - 1, :] + extra


def confirm_all(state: QualityArrays, limits: Limits, t: float | np.ndarray, emit: Emit) -> None:
    """Count every condition that has lasted its minimum duration by t (a step ending at t)."""
    t = np.broadcast_to(np.asarray(t, dtype=np.float64), (state.kind.shape[0],))
    rows = np.arange(state.kind.shape[0])
    for p in range(3):
        _confirm(state, rows, p, np.ones(rows.size, dtype=bool), t, _waits(limits.min_duration), emit)


def shift_time(state: QualityArrays, old: float, new: float) -> None:
    """The clock was set from old to new: running conditions continue, their elapsed part kept."""
    running = state.kind != NORMAL
    confirmed = running & state.confirmed
    for kind in KINDS:
        hit = confirmed & (state.kind == kind)
        state.durations[:, kind - 1, :] += np.where(hit, old - state.since, 0.0)
    state.since = np.where(confirmed, new, np.where(running, new - (old - state.since), state.since))


def _waits(min_duration: float) -> np.ndarray:
    """The minimum duration of each condition kind (index = kind): voltage failures count at once."""
    return np.array([0.0, min_duration, min_duration, 0.0])


def _classify(
    s: QualityArrays,
    rows: np.ndarray,
    p: int,
    kind: np.ndarray,
    t0: np.ndarray,
    on: np.ndarray,
    wait: np.ndarray,
    emit: Emit,
) -> None:
    """A span of these kinds from t0 on phase p: end what ran, start the new condition."""
    change = on & (kind != s.kind[:, p])
    if not change.any():
        return
    ending = change & (s.kind[:, p] != NORMAL)
    if ending.any():
        _confirm(s, rows, p, ending, t0, wait, emit)
        done = ending & s.confirmed[:, p]
        for k in KINDS:
            sel = done & (s.kind[:, p] == k)
            if sel.any():
                s.durations[sel, k - 1, p] += t0[sel] - s.since[sel, p]
                emit(rows[sel], t0[sel], k, p, False)
    s.kind[change, p] = kind[change]
    s.since[change, p] = t0[change]
    s.confirmed[change, p] = False
    missing = change & (kind == MISSING)
    if missing.any():
        _confirm(s, rows, p, missing, t0, wait, emit)


def _confirm(
    s: QualityArrays,
    rows: np.ndarray,
    p: int,
    sel: np.ndarray,
    t: np.ndarray,
    wait: np.ndarray,
    emit: Emit,
) -> None:
    """Count the conditions of ``sel`` on phase p that have lasted their minimum duration by t."""
    kind = s.kind[:, p]
    need = wait[kind]
    due = sel & (kind != NORMAL) & ~s.confirmed[:, p] & (t - s.since[:, p] >= need)
    if not due.any():
        return
    s.confirmed[due, p] = True
    for k in KINDS:
        hit = due & (kind == k)
        if hit.any():
            s.counts[hit, k - 1, p] += 1
            emit(rows[hit], s.since[hit, p] + need[hit], k, p, True)
