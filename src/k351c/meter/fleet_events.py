"""The fleet's event store: the standard, fraud and power-quality logs of every meter, kept compactly.

An event is one record ``(time, code, meters)``: an event all meters live through (a summer-time
change, a scheduled debiting stop) is ONE record, a feeder outage one record per edge for the meters
it hits. Each code goes to the log ``eventlog.LOGS`` files it under (the single meter's rule,
``eventlog.log_of``), each log keeps the single meter's depth per meter; a reset is a marker record,
a capture a record of the code it captured. Times are the meters' clock time (what the logs show;
the fleet's true time moved by ``FleetRtc``). A meter's rows are its records up to now ordered by
time, at one instant in record order, after its last reset, the newest ``depth`` of them; records
no meter can show any more are dropped (their codes stay as the meters' last codes).

What the fleet lives through is recorded here as the single meter records it: power down/up at the
edges of each meter's outages (overlapping outages are one failure), clock invalid (6) after a
failure that emptied the RTC's backup and replace battery (7) once the battery is past its life
(``powerfail`` rules), summer-time changes (3), CT changes (231, ``Fleet.set_ct``) and debiting stops
(232, ``FleetBilling.stop``); other functions and the fleet server record theirs with ``record``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from k351c.errors import LocalProtocolError
from k351c.meter.eventlog import LOGS, EventCode, event_code, log_of
from k351c.meter.fleet_function import FleetFunction
from k351c.meter.fleet_load import RESOLUTION
from k351c.meter.powerfail import BATTERY_LIFE_S, battery_flat, on_backup_s

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet
    from k351c.meter.fleet_state import Outage
    from k351c.meter.function import Event

EVENT, RESET, CAPTURE = 0, 1, 2  # record kinds
ALL = -1  # a record's meter count meaning every meter of the fleet
PRUNE_AFTER = 512  # records a log holds before the ones no meter can show are dropped


@dataclass
class _Log:
    """One log's records (time, record number, code, kind, meters: None = all) and dropped last codes."""

    depth: int
    t: list[float] = field(default_factory=list)
    seq: list[int] = field(default_factory=list)
    code: list[int] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    meters: list[np.ndarray | None] = field(default_factory=list)
    limit: int = PRUNE_AFTER

    def __len__(self) -> int:
        return len(self.t)

    def covers(self, j: int, i: int) -> bool:
        """Whether record j concerns meter i."""
        meters = self.meters[j]
        if meters is None:
            return True
        at = int(np.searchsorted(meters, i))
        return at < meters.size and int(meters[at]) == i

    def order(self, now: float) -> list[int]:
        """Indices of the records up to ``now``, by time, at one instant in record order."""
        return sorted((j for j in range(len(self.t)) if self.t[j] <= now), key=lambda j: (self.t[j], self.seq[j]))


class FleetEvents(FleetFunction):
    """Standard, fraud and power-quality logs of a fleet's meters as one compact record store."""

    name = "events"

    until: float  # true time up to which the scheduled events are filed
    next_dst: float | None  # meter time of the next summer-time change

    def __init__(self, fleet: Fleet) -> None:
        super().__init__(fleet)
        self.logs = {spec.name: _Log(spec.depth) for spec in LOGS}
        self.names = [spec.name for spec in LOGS]
        n = fleet.n
        self.dropped_code = np.zeros((n, len(LOGS)), dtype=np.int64)
        self.dropped_at = np.full((n, len(LOGS), 2), -np.inf)  # (time, seq) of the last dropped event
        self.seq = 0
        self.begin(fleet.start)

    # ------------------------------------------------------------ the API
    def record(self, t, code: int, meters=None) -> None:  # noqa: ANN001
        """File event ``code`` at meter time(s) t for these meters (fleet indices; None = all).

        ``t`` is one instant or an array aligned with ``meters``; a code no log takes is ignored.
        """
        name = log_of(int(code))
        if name is None:
            return
        self._append(name, t, int(code), EVENT, meters)

    def record_event(self, event: Event, meters=None) -> None:  # noqa: ANN001
        """File a single meter's event (a twin's, the server's) for these meters, with the code the meter logs it under."""
        code = event_code(event)
        if code is not None:
            self.record(event.t, code, meters)

    def rows(self, i: int, name: str) -> list[tuple[float, int]]:
        """Meter i's rows of log ``name``: (meter time, code), oldest first, at most the log's depth."""
        log = self.logs[name]
        self.catch_up(self.fleet.t)
        found: list[tuple[float, int]] = []
        for j in log.order(self.now()):
            if not log.covers(j, i):
                continue
            if log.kind[j] == RESET:
                found.clear()
            else:
                found.append((log.t[j], log.code[j]))
        return found[-log.depth :]

    def last_code(self, i: int, name: str) -> int:
        """The code of meter i's last event filed in log ``name`` (0 before any; a reset keeps it)."""
        log = self.logs[name]
        self.catch_up(self.fleet.t)
        at = self.names.index(name)
        best = (tuple(self.dropped_at[i, at]), int(self.dropped_code[i, at]))
        for j in log.order(self.now()):
            if log.kind[j] == EVENT and log.covers(j, i) and (log.t[j], log.seq[j]) > best[0]:
                best = ((log.t[j], log.seq[j]), log.code[j])
        return best[1]

    def reset(self, i: int, name: str) -> None:
        """Empty meter i's log ``name`` now (the class 7 reset method)."""
        self._append(name, self.now(), 0, RESET, [i])

    def capture(self, i: int, name: str) -> None:
        """Add a row to meter i's log ``name`` now holding its last code (the class 7 capture method)."""
        self._append(name, self.now(), self.last_code(i, name), CAPTURE, [i])

    def since(self, cursor: int) -> tuple[list[tuple[int, np.ndarray | None]], int]:
        """Events filed since ``cursor`` (a record number): [(code, meters or None = all)] in filing order,
        and the cursor to pass next time (push follows the logs this way)."""
        found: list[tuple[int, int, np.ndarray | None]] = []
        for log in self.logs.values():
            j = len(log.seq)
            while j > 0 and log.seq[j - 1] >= cursor:
                j -= 1
            found += [(log.seq[k], log.code[k], log.meters[k]) for k in range(j, len(log.seq)) if log.kind[k] == EVENT]
        return [(code, meters) for _, code, meters in sorted(found, key=lambda r: r[0])], self.seq

    def depth(self, name: str) -> int:
        """The log's capacity (entries per meter): the single meter's."""
        return self.logs[name].depth

    # ------------------------------------------------------------ filing
    def now(self) -> float:
        """The meters' clock time now (the fleet's time as their clock shows it): when an event happens now."""
        return float(self.fleet.rtc.meter_time(self.fleet.t))

    def _append(self, name: str, t, code: int, kind: int, meters) -> None:  # noqa: ANN001
        log = self.logs[name]
        if meters is not None:
            meters = np.asarray(meters, dtype=np.int64).reshape(-1)
        times = np.asarray(t, dtype=np.float64)
        if times.size > 1:  # one instant per meter: a record per instant
            meters = np.arange(self.fleet.n) if meters is None else meters
            if times.size != meters.size:
                raise LocalProtocolError(f"{times.size} event times for {meters.size} meters")
            order = np.argsort(times, kind="stable")
            times, meters = times[order], meters[order]
            edges = np.flatnonzero(np.diff(times)) + 1
            groups = zip(np.split(times, edges), np.split(meters, edges), strict=True)
            for when, who in groups:
                self._append(name, float(when[0]), code, kind, who)
            return
        if meters is not None:
            meters = np.unique(meters)
            if meters.size == 0:
                return
            if meters.size == self.fleet.n:
                meters = None
        log.t.append(float(times.reshape(-1)[0]))
        log.seq.append(self.seq)
        log.code.append(int(code))
        log.kind.append(kind)
        log.meters.append(meters)
        self.seq += 1
        if len(log) > log.limit:
            self._prune(name)

    def _prune(self, name: str) -> None:
        """Drop the records no meter can show any more (beyond its depth or before its reset)."""
        log, at = self.logs[name], self.names.index(name)
        n = self.fleet.n
        shown = np.zeros(n, dtype=np.int64)
        cut = np.zeros(n, dtype=bool)
        keep = set(j for j in range(len(log)) if log.t[j] > self.now())
        for j in reversed(log.order(self.now())):
            who = slice(None) if log.meters[j] is None else log.meters[j]
            if ((shown[who] < log.depth) & ~cut[who]).any():
                keep.add(j)
            if log.kind[j] == RESET:
                cut[who] = True
            else:
                shown[who] += 1
        dropped = [j for j in log.order(self.now()) if j not in keep]
        for j in dropped:
            if log.kind[j] == EVENT:
                who = slice(None) if log.meters[j] is None else log.meters[j]
                self.dropped_code[who, at] = log.code[j]
                self.dropped_at[who, at] = (log.t[j], log.seq[j])
        kept = sorted(keep)
        for column in ("t", "seq", "code", "kind", "meters"):
            values = getattr(log, column)
            setattr(log, column, [values[j] for j in kept])
        log.limit = max(PRUNE_AFTER, 2 * len(log))

    # --------------------------------------------------- what the fleet lives through
    def catch_up(self, t_true: float) -> None:
        """Record the scheduled events (outage edges, summer-time changes, the battery's end of
        life) whose true time is up to ``t_true``, once each (FleetBilling records every stop).

        An outage edge at ``t_true`` itself waits: a single meter stopped at an instant sees its
        voltage change there in its next step (after what is done at that instant, a CT change).
        """
        if t_true <= self.until:
            return
        lo, self.until = self.until, float(t_true)
        self._outage_edges(lo, self.until)
        rtc = self.fleet.rtc
        lt = self.fleet.localtime
        while self.next_dst is not None and rtc.true_time(self.next_dst) <= self.until:
            self.record(self.next_dst, EventCode.DAYLIGHT_SAVING_CHANGED)
            self.next_dst = lt.next_change(self.next_dst)
        flat = self.fleet.start + BATTERY_LIFE_S
        if self.fleet.battery and lo < rtc.true_time(flat) <= self.until:
            self.record(flat, EventCode.REPLACE_BATTERY)

    def _outage_edges(self, lo: float, hi: float, outages: list[Outage] | None = None) -> None:
        """Power down/up (and clock invalid) at the outage edges in [lo, hi): each meter's failures
        are the union of its outages (it sees its voltage), as ``fleet_powerfail.failures``."""
        meter_time = self.fleet.rtc.meter_time
        for outage in self.fleet.outages if outages is None else outages:
            if lo <= outage.t0 < hi:
                down = outage.meters[~self._down_by_other(outage, outage.t0, start=True)]
                self.record(meter_time(outage.t0), EventCode.POWER_DOWN, down)
            if lo <= outage.t1 < hi:
                up = outage.meters[~self._down_by_other(outage, outage.t1, start=False)]
                self.record(meter_time(outage.t1), EventCode.POWER_UP, up)
                self.record(meter_time(outage.t1), EventCode.CLOCK_INVALID, up[self._invalid(up, outage.t1)])

    def _down_by_other(self, this: Outage, t: float, start: bool) -> np.ndarray:
        """Whether each of this outage's meters is already (at its start) or still (at its end) down by another."""
        outages = self.fleet.outages
        mine = next(j for j, o in enumerate(outages) if o is this)
        out = np.zeros(this.meters.size, dtype=bool)
        for j, other in enumerate(outages):
            if j == mine:
                continue
            if start:  # an outage begun before (or listed first at the same instant) holds it down
                inside = other.t0 < t <= other.t1 or (other.t0 == t and j < mine)
            else:  # one still on past t, or ending at t and listed later, brings the voltage back
                inside = other.t0 <= t < other.t1 or (other.t1 == t and j > mine)
            if inside:
                out |= np.isin(this.meters, other.meters)
        return out

    def _invalid(self, meters: np.ndarray, t: float) -> np.ndarray:
        """Whether each meter's RTC stood still in a failure ended by t (its status stays invalid)."""
        out = np.zeros(meters.size, dtype=bool)
        rtc, battery = self.fleet.rtc, self.fleet.battery
        for outage in self.fleet.outages:
            if outage.t1 <= t:
                duration = outage.t1 - outage.t0
                flat = battery_flat(battery, self.fleet.start, rtc.meter_time(outage.t1))
                if duration > on_backup_s(duration, flat):
                    out |= np.isin(meters, outage.meters)
        return out

    # --------------------------------------------------------------- hooks
    def reached(self, k: int) -> None:
        """Record what happened up to interval k's start."""
        self.catch_up(k * RESOLUTION)

    def outage_added(self, outage: Outage) -> None:
        """An outage whose edges lie in the recorded past has them recorded now (the others as time reaches them)."""
        for edge in (outage.t0, outage.t1):
            if edge < self.until:
                self._outage_edges(edge, math.nextafter(edge, math.inf), [outage])

    def totals(self) -> dict[str, int]:
        """Events each log holds now, summed over the meters (records dropped as no meter shows them excluded)."""
        n = self.fleet.n
        return {
            f"{name} log events held": sum(
                n if meters is None else meters.size
                for meters, kind in zip(log.meters, log.kind, strict=True)
                if kind == EVENT
            )
            for name, log in self.logs.items()
        }

    # ---------------------------------------------------------- persistence
    def arrays(self) -> dict[str, np.ndarray]:
        """Each log's records as flat arrays, the dropped last codes and the schedule."""
        out: dict[str, np.ndarray] = {
            "dropped_code": self.dropped_code,
            "dropped_at": self.dropped_at,
            "schedule": np.array(
                [self.until, _or_nan(self.next_dst), float(self.seq)]
            ),
        }
        for name, log in self.logs.items():
            sizes = [ALL if m is None else m.size for m in log.meters]
            out[f"{name}_t"] = np.array(log.t, dtype=np.float64)
            out[f"{name}_seq"] = np.array(log.seq, dtype=np.int64)
            out[f"{name}_code"] = np.array(log.code, dtype=np.int64)
            out[f"{name}_kind"] = np.array(log.kind, dtype=np.int8)
            out[f"{name}_sizes"] = np.array(sizes, dtype=np.int64)
            parts = [m for m in log.meters if m is not None]
            out[f"{name}_meters"] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return out

    def restore(self, arrays: dict[str, np.ndarray], t: float) -> None:
        """Load arrays written by arrays()."""
        self.dropped_code = arrays["dropped_code"].copy()
        self.dropped_at = arrays["dropped_at"].copy()
        schedule = arrays["schedule"].tolist()
        if len(schedule) == 4:  # written before FleetBilling filed a drifting fleet's stops (5 Dec 2026)
            del schedule[2]
        until, next_dst, seq = schedule
        self.until, self.seq = until, int(seq)
        self.next_dst = None if math.isnan(next_dst) else next_dst
        for name, log in self.logs.items():
            log.t = arrays[f"{name}_t"].tolist()
            log.seq = arrays[f"{name}_seq"].tolist()
            log.code = arrays[f"{name}_code"].tolist()
            log.kind = arrays[f"{name}_kind"].tolist()
            flat, at = arrays[f"{name}_meters"], 0
            log.meters = []
            for size in arrays[f"{name}_sizes"].tolist():
                log.meters.append(None if size == ALL else flat[at : at + size].copy())
                at += max(size, 0)
            log.limit = max(PRUNE_AFTER, 2 * len(log))

    def begin(self, t: float) -> None:
        """Empty logs from t on (a state written before the store existed)."""
        self.until = float(t)
        lt, meter_t = self.fleet.localtime, float(self.fleet.rtc.meter_time(t))
        self.next_dst = lt.next_change(meter_t)


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)
