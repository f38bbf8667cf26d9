"""Demand, peaks, hour counters, debiting stops and both debiting loggers of every meter of a fleet.

The rules are the single meter's, over arrays with a meter axis: the peak and threshold rule
(``k351c.meter.demand.close_periods``), the accumulation at a stop (``store_peaks``, ``reset_peaks``),
the stop and logger-2 schedules (``next_debiting_stop``, ``next_logger2_time``) and the loggers' column
plans (``debiting_columns``, ``logger2_columns``). The fleet's vectorised advance hands each block of
meters' measured intervals to ``intervals``; whole periods close there, and at a scheduled stop or a
logger-2 instant (always on the 15-minute grid) every meter's row is written at once. State per meter:
8 peaks with time and status, 4 accumulated peaks, counters, the open period's energies, the
debiting logger (36 rows) and debiting logger 2 (its depth), all as arrays persisted with the fleet.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from k351c.errors import ConfigError
from k351c.meter.billing import (
    DEBITING_DEPTH,
    LOGGER2_DEPTH,
    LOGGER2_PERIOD,
    debiting_columns,
    debiting_plan,
    logger2_columns,
    next_debiting_stop,
    next_logger2_time,
)
from k351c.meter.demand import PeakArrays, close_periods, reset_peaks, store_peaks
from k351c.meter.energy import QUANTITIES, QUANTITY_C, TARIFF_SLOT0
from k351c.meter.eventlog import EventCode
from k351c.meter.fleet_clock import clock_status
from k351c.meter.fleet_function import NEVER, FleetFunction
from k351c.meter.fleet_load import RESOLUTION
from k351c.meter.fleet_spans import Spans, drift_spans, grid_spans
from k351c.meter.function import bound
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet
    from k351c.meter.metrology import Measurement

HOURS, COUNTER, THRESHOLD_COUNT, PULSES, CT = (
    "0-0:96.8.0.255",
    "0-0:0.1.0.255",
    "0-0:128.10.0.255",
    "0-0:128.11.0.255",
    "1-0:0.4.2.255",
)
ACCUMULATED_CODES = ("1-0:1.2.0.255", "1-0:1.2.1.255", "1-0:1.2.2.255", "1-0:3.2.0.255")
STATE_ARRAYS = ("open", "pre", "pre_done", "closed", "seconds", "counter", "log", "log_total", "log2", "log2_total")


class FleetBilling(FleetFunction):
    """Demand and billing of N meters: peaks, counters and loggers as arrays, advanced with the fleet."""

    name = "billing"

    def __init__(self, fleet: Fleet) -> None:
        super().__init__(fleet)
        config, n = fleet.config, fleet.n
        self.period = config.integration_minutes * 60.0
        gg, months, minute = debiting_plan(config)
        if minute % 15 or config.utc_offset_minutes % 15:
            raise ConfigError(
                "debiting minute and UTC offset",
                (minute, config.utc_offset_minutes),
                "multiples of 15 minutes in a fleet (its stops fall on interval ends)",
            )
        self._plan = (gg, months, minute)
        self.kind = config.debiting_logger2
        template = fleet.twins.template()
        has = lambda code: template.get(code) is not None  # noqa: E731
        self.columns = debiting_columns(has, True)
        self.columns2 = logger2_columns(has)
        self.peaks = PeakArrays.zeros(n, config.settings.thresholds.power_threshold_w)
        self.grid = min(self.period, RESOLUTION)  # demand spans: periods and load intervals divide them
        self.subs, self.per = int(RESOLUTION // self.grid), int(self.period // self.grid)
        self.exact = fleet.rtc.exact  # else periods and stops fall inside the load's intervals
        slots = self.subs if self.exact else self.subs + 1  # spans of one interval
        self.open = np.zeros((n, 4))  # the open period's primary Ws of P+, Q+, S+, S-
        self.pre = np.zeros((n, slots, 4))  # the running interval's Ws added at a CT change
        self.pre_done = np.zeros(n)  # seconds of the running interval in ``pre``
        self.closed = np.zeros(n)  # seconds of the running interval whose periods closed (a stop)
        self.pre_k = -1
        self.seconds = np.zeros(n)  # seconds with supply in booked intervals
        self.counter = np.zeros(n, dtype=np.int64)
        self.log = np.full((n, DEBITING_DEPTH, len(self.columns)), np.nan)
        self.log_total = np.zeros(n, dtype=np.int64)
        self.log2 = np.full((n, LOGGER2_DEPTH[self.kind], len(self.columns2)), np.nan)
        self.log2_total = np.zeros(n, dtype=np.int64)
        self.commands: list[tuple[float, int, str]] = []
        self._spans: tuple[int, int, Spans, np.ndarray] | None = None
        self.schedule(fleet.start)

    # ---------------------------------------------------------------- schedule
    def schedule(self, t: float) -> None:
        """Next scheduled stop and logger-2 instant after t (as a Meter's Schedule starting at t)."""
        lt, (gg, months, minute) = self.fleet.localtime, self._plan
        self.next_stop = next_debiting_stop(lt, gg, months, t, minute)
        self.next_log2 = next_logger2_time(lt, self.kind, t)

    def next_k(self) -> int:
        """The interval index at whose start the next scheduled row is due (chunks end there)."""
        if not self.exact:
            return NEVER
        due = self.next_log2 if self.next_stop is None else min(self.next_stop, self.next_log2)
        return int(math.ceil(due / RESOLUTION))

    def reached(self, k: int) -> None:
        """Every interval before k is booked: write the rows that are due at its start."""
        if not self.exact:
            return
        t = k * RESOLUTION
        if self.next_stop is not None and t >= self.next_stop:
            self.stop(slice(None), t)
            self.next_stop = next_debiting_stop(
                self.fleet.localtime, *self._plan[:2], t, self._plan[2]
            )
        if t >= self.next_log2:
            self._log2(t)
            self.next_log2 = next_logger2_time(self.fleet.localtime, self.kind, t)

    def next_t(self) -> float:
        """A drifting clock's next scheduled row: the true instant its meters' clock shows it."""
        if self.exact:
            return math.inf
        due = self.next_log2 if self.next_stop is None else min(self.next_stop, self.next_log2)
        return float(self.fleet.rtc.true_time(due))

    def at(self, t: float) -> None:
        """A drifting clock's scheduled rows due at t (inside a load interval booked up to t)."""
        if self.exact:
            return
        fleet, true_time = self.fleet, self.fleet.rtc.true_time
        stop = self.next_stop is not None and true_time(self.next_stop) <= t
        log2 = true_time(self.next_log2) <= t
        if not (stop or log2):
            return
        if t > fleet.k * RESOLUTION:  # periods that ended in the running interval close first
            self.command_close(np.arange(fleet.n))
        lt, (gg, months, minute) = fleet.localtime, self._plan
        if stop and self.next_stop is not None:
            shown = float(self.next_stop)
            self.stop(slice(None), t, shown)
            self.next_stop = next_debiting_stop(lt, gg, months, shown, minute)
        if log2:
            shown = float(self.next_log2)
            self._log2(t, shown)
            self.next_log2 = next_logger2_time(lt, self.kind, shown)

    # ----------------------------------------------------------------- demand
    def spans(self, k0: int, m: int) -> tuple[Spans, np.ndarray]:
        """The demand spans of intervals k0..k0+m-1 and the tariff of each closing one (the last kept)."""
        kept = self._spans
        if kept is not None and kept[:2] == (k0, m):
            return kept[2], kept[3]
        fleet = self.fleet
        if self.exact:
            spans = grid_spans(k0, m, self.subs, self.per, self.grid)
            tariffs = np.repeat(fleet.tariffs(k0, k0 + m), self.subs)
        else:
            spans = drift_spans(k0, m, fleet.rtc, self.period, fleet.start)
            tariffs = np.zeros(len(spans), dtype=np.int64)
            for j in np.nonzero(spans.closing)[0].tolist():  # the tariff of the period's last step
                tariffs[j] = fleet.calendar.tariff_at(float(spans.close_t[j]) - 0.5)
        self._spans = (k0, m, spans, tariffs)
        return spans, tariffs

    def intervals(
        self, meters: np.ndarray, idx: np.ndarray, meas: Measurement, tariffs: np.ndarray
    ) -> None:
        """Add the measured intervals idx of a block of meters; close the periods that end in them."""
        rows = slice(int(meters[0]), int(meters[-1]) + 1)
        begins = np.maximum(idx * RESOLUTION, self.fleet.start)
        self.seconds[rows] += self.fleet.powered_seconds(meters, begins, (idx + 1) * RESOLUTION).sum(
            axis=1
        )
        spans, closing_tariffs = self.spans(int(idx[0]), idx.size)
        energy = self._energy(meters, meas, spans, self._seconds(meters, spans))
        self.open[rows] = self._periods(
            meters, rows, self.peaks, self.open[rows], energy, spans, closing_tariffs
        )
        self.pre_done[rows] = 0.0
        self.pre[rows] = 0.0
        self.closed[rows] = 0.0

    def _seconds(self, meters: np.ndarray, spans: Spans, until: float | None = None) -> np.ndarray:
        """Powered seconds (len(meters), len(spans)) of each demand span not yet added."""
        fleet = self.fleet
        ends = spans.ends if until is None else np.minimum(spans.ends, until)
        begins = np.maximum(spans.begins, fleet.start)
        seconds = fleet.powered_seconds(meters, begins, ends)
        first = spans.k0 * RESOLUTION
        if spans.k0 == self.pre_k:  # the running interval's part already added (CT, temperature)
            for r in np.nonzero(self.pre_done[meters] > 0)[0].tolist():
                done = first + self.pre_done[meters[r]]
                seconds[r] = fleet.powered_seconds(
                    meters[r : r + 1], np.maximum(begins, done), np.maximum(ends, done)
                )[0]
        return seconds

    def _energy(
        self, meters: np.ndarray, meas: Measurement, spans: Spans, seconds: np.ndarray, added: bool = True
    ) -> np.ndarray:
        """Primary Ws (len(meters), len(spans), 4) of P+ Q+ S+ S- per demand span."""
        m = int(spans.pos[-1]) + 1
        power = _demand_power(meas, meters.size, m)
        ratio = self.fleet.ct_ratio()[meters][:, None, None]
        if spans.uniform == 1:
            energy = (power * seconds[:, :, None]) * ratio
        else:
            energy = (power[:, spans.pos, :] * seconds[:, :, None]) * ratio
        if added and spans.k0 == self.pre_k:  # with the part added at a CT or temperature change
            first = int(np.searchsorted(spans.pos, 1))  # the spans of the running interval
            energy[:, :first] += self.pre[meters][:, :first]
        return energy

    def _periods(self, meters, rows, peaks, carry, energy, spans: Spans, tariffs):  # noqa: ANN001, ANN202
        """Sum the demand spans of ``meters`` into periods from ``carry``; close whole ones into ``peaks``.

        ``rows`` are those meters' rows of ``peaks``, ``tariffs`` the tariff of each closing span.
        Returns the open period's sums. Each period's sum adds its spans in time order, as a meter
        adds its steps.
        """
        local = spans.pid - spans.pid[0]
        every = spans.uniform > 0 and self.per == 1  # every span is a period
        if every:
            sums = energy
            if np.any(carry):
                sums = energy.copy()
                sums[:, 0] += carry
        else:
            sums = np.zeros((energy.shape[0], int(local[-1]) + 1, 4))
            sums[:, 0] = carry
            for r in range(int(spans.rank.max()) + 1):
                at = np.nonzero(spans.rank == r)[0]
                if at.size:
                    sums[:, local[at]] += energy[:, at]
        closes = np.nonzero(spans.closing)[0]
        if closes.size:
            ends = spans.ends[closes]
            demand = (sums if every else sums[:, local[closes]]) / self.period
            if spans.k0 == self.pre_k:  # periods a commanded stop closed already
                done = self.pre_k * RESOLUTION + self.closed[meters]
                demand[ends[None, :] <= done[:, None]] = -np.inf
            statuses = clock_status(self.fleet, meters, ends)
            close_periods(peaks, rows, demand, spans.close_t[closes], tariffs[closes], statuses)
        return 0.0 if spans.closing[-1] else sums[:, -1]

    def book_running(self, meters: np.ndarray, until: float) -> None:
        """The running interval of these meters up to ``until`` seconds into it, at the inputs in force.

        A CT ratio or temperature change: the part before it is added now, the rest at the boundary.
        """
        fleet, k = self.fleet, self.fleet.k
        self._running(k)
        idx = np.array([k])
        frac = fleet.powered_fraction(meters, idx)
        meas = fleet.measurement(meters, idx, frac > 0)
        spans, _ = self.spans(k, 1)
        seconds = self._seconds(meters, spans, k * RESOLUTION + until)
        self.pre[meters, : len(spans)] += self._energy(meters, meas, spans, seconds, added=False)
        self.pre_done[meters] = until

    def _running(self, k: int) -> None:
        """What was added or closed early belongs to interval k (a new one starts empty)."""
        if self.pre_k != k:
            self.pre_k = k
            self.pre[:] = 0.0
            self.pre_done[:] = 0.0
            self.closed[:] = 0.0

    def peaks_at(self, meters: np.ndarray, t: float) -> PeakArrays:
        """These meters' peaks at t: with the demand spans of the running interval ended by t.

        Periods shorter than the 15-minute load grid (5 minutes), or ending where a drifting clock
        shows them, close inside the running interval.
        """
        fleet, k = self.fleet, self.fleet.k
        one = PeakArrays(**{name: a[meters].copy() for name, a in self.peaks.arrays().items()})
        spans, tariffs = self.spans(k, 1)
        whole = int(np.searchsorted(spans.ends, t, side="right"))
        if whole < 1:
            return one
        idx = np.array([k])
        frac = fleet.powered_fraction(meters, idx)
        meas = fleet.measurement(meters, idx, frac > 0)
        energy = self._energy(meters, meas, spans, self._seconds(meters, spans))[:, :whole]
        rows = np.arange(meters.size)
        self._periods(meters, rows, one, self.open[meters], energy, spans.head(whole), tariffs)
        return one

    def set_threshold(self, i: int, watts: float) -> None:
        """Meter i's power threshold from now on (periods closed before now keep the old one)."""
        fleet = self.fleet
        if self._closes_inside():
            self.command_close(np.array([int(i)]))
        self.peaks.threshold[i] = watts
        fleet.events.record(fleet.rtc.meter_time(fleet.t), EventCode.CONFIGURATION_CHANGED, [i])  # as reconfigure

    def _closes_inside(self) -> bool:
        """Whether periods may have ended in the running interval before now (5 min, a drifting clock)."""
        fleet = self.fleet
        return (self.subs > 1 or not self.exact) and fleet.t > fleet.k * RESOLUTION

    def command_close(self, meters: np.ndarray) -> None:
        """Close these meters' periods that ended in the running interval now (before a stop or a new threshold)."""
        fleet = self.fleet
        one = self.peaks_at(meters, fleet.t)
        for name, array in self.peaks.arrays().items():
            array[meters] = getattr(one, name)
        self._running(fleet.k)
        spans, _ = self.spans(fleet.k, 1)
        ended = spans.ends[spans.ends <= fleet.t]
        begin = fleet.k * RESOLUTION
        self.closed[meters] = (float(ended[-1]) if ended.size else begin) - begin

    # ------------------------------------------------------------------ stops
    def stop(self, rows: slice | np.ndarray, t: float, shown: float | None = None) -> None:
        """A debiting stop of these meters at t (their clock showing ``shown``): count, accumulate the
        peaks, log the row, clear them."""
        store_peaks(self.peaks, rows)
        self.counter[rows] += 1
        shown = float(self.fleet.rtc.meter_time(t)) if shown is None else shown
        row = self._row(self.columns, rows, t, shown)
        slot = self.log_total[rows] % DEBITING_DEPTH
        meters = np.arange(self.fleet.n)[rows]
        self.log[meters, slot] = row
        self.log_total[rows] += 1
        reset_peaks(self.peaks, rows)
        self.fleet.events.record(shown, EventCode.END_OF_BILLING_PERIOD, None if isinstance(rows, slice) else rows)

    def command(self, i: int, source: str = "command") -> None:
        """End meter i's debiting period now (script, web, optical: an external stop); kept for its twin."""
        fleet = self.fleet
        if self._closes_inside():  # periods closed in the running interval
            self.command_close(np.array([int(i)]))
        self.stop(np.array([int(i)]), fleet.t)
        self.commands.append((self.fleet.t, int(i), str(source)))

    def _log2(self, t: float, shown: float | None = None) -> None:
        slot = int(self.log2_total[0] % self.log2.shape[1])
        shown = float(self.fleet.rtc.meter_time(t)) if shown is None else shown
        self.log2[:, slot] = self._row(self.columns2, slice(None), t, shown)
        self.log2_total += 1

    def _row(self, columns, rows, t: float, shown: float) -> np.ndarray:  # noqa: ANN001
        meters = np.arange(self.fleet.n)[rows]
        out = np.empty((meters.size, len(columns)))
        values = self.values(meters, t, shown)
        for c, (name, source, key) in enumerate(columns):
            if source == "clock":
                out[:, c] = shown
            elif source == "status":
                out[:, c] = clock_status(self.fleet, meters, np.array([t]))[:, 0]
            elif source == "object":
                out[:, c] = values[name]()
            else:
                i, field = key
                array = {"value": self.peaks.values, "time": self.peaks.times}.get(
                    field, self.peaks.statuses
                )
                out[:, c] = array[meters, i]
        return out

    def values(self, meters: np.ndarray, t: float, shown: float | None = None) -> dict:
        """The registers a logger row can take, for these meters at t (their clock showing ``shown``)."""
        fleet, peaks = self.fleet, self.peaks
        out = {
            HOURS: lambda: self.hours(meters, t, shown),
            COUNTER: lambda: self.counter[meters],
            THRESHOLD_COUNT: lambda: peaks.count[meters],
            PULSES: lambda: fleet.io.pulses[meters],  # inputs are given at the fleet's time: none after t
            CT: lambda: fleet.ct_primary[meters],
        }
        for j, code in enumerate(ACCUMULATED_CODES):
            out[code] = bound(lambda j: peaks.accumulated[meters, j], j)
        energy: list[np.ndarray] = []

        def registers() -> np.ndarray:
            if not energy:
                at_boundary = t <= fleet.k * RESOLUTION + fleet.booked[meters].min()  # all booked
                energy.append(
                    fleet.counts[0][meters]
                    if at_boundary
                    else np.stack([fleet.registers(int(i), 0, t) for i in meters])
                )
            return energy[0]

        for qi, name in enumerate(QUANTITIES):
            for e in range(5):
                slot = 0 if e == 0 else TARIFF_SLOT0 + e - 1
                code = str(Obis(1, 0, QUANTITY_C[name][0], 8, e))
                out[code] = bound(lambda at: registers()[:, at[0], at[1]], (qi, slot))
        return out

    def hours(self, meters: np.ndarray, t: float, shown: float | None = None) -> np.ndarray:
        """Whole hours with supply of these meters at t (the running interval's powered part included).

        A drifting meter counts them by its clock (``shown`` at t): the time it ran less its outages.
        """
        fleet = self.fleet
        if not self.exact:
            shown = float(fleet.rtc.meter_time(t)) if shown is None else shown
            start = np.array([fleet.start])
            lost = (t - fleet.start) - fleet.powered_seconds(meters, start, np.array([t]))[:, 0]
            return ((shown - fleet.start) - lost * fleet.rtc.rate) // 3600
        k0 = fleet.k * RESOLUTION
        seconds = self.seconds[meters].copy()
        if t > k0:
            seconds += fleet.powered_seconds(meters, np.array([max(k0, fleet.start)]), np.array([t]))[:, 0]
        return seconds // 3600

    # ------------------------------------------------------------------ reads
    def rows(self, i: int, logger2: bool = False) -> list[list]:
        """Meter i's logger rows, oldest first, as raw floats (NaN = none)."""
        log, total = (
            (self.log2, int(self.log2_total[i])) if logger2 else (self.log, int(self.log_total[i]))
        )
        depth = log.shape[1]
        return [log[i, j % depth].tolist() for j in range(max(0, total - depth), total)]

    def logger2_period(self) -> int:
        """Debiting logger 2's capture period in seconds (0 = monthly, irregular)."""
        return LOGGER2_PERIOD[self.kind]

    def totals(self) -> dict[str, int]:
        """Debiting stops, rows of both loggers and demand periods over the threshold, over all meters."""
        return {
            "debiting stops": int(self.counter.sum()),
            "debiting logger rows": int(self.log_total.sum()),
            "debiting logger 2 rows": int(self.log2_total.sum()),
            "periods over the power threshold": int(self.peaks.count.sum()),
        }

    # ------------------------------------------------------------ persistence
    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the state, by name (``peaks_*`` and the rest), and the schedule."""
        out = {f"peaks_{k}": v for k, v in self.peaks.arrays().items()}
        out.update({name: getattr(self, name) for name in STATE_ARRAYS})
        out["pre_k"] = np.array([self.pre_k])
        return out

    def begin(self, t: float) -> None:
        """Empty peaks, counters and loggers from t on (a state written before they were kept)."""
        self._resume(t)

    def restore(self, arrays: dict[str, np.ndarray], t: float) -> None:
        """Load arrays written by arrays() and resume both schedules after t."""
        for name in self.peaks.arrays():
            setattr(self.peaks, name, arrays[f"peaks_{name}"].copy())
        for name in STATE_ARRAYS:
            setattr(self, name, arrays[name].copy())
        self.pre_k = int(arrays["pre_k"][0])
        self._resume(t)

    def _resume(self, t: float) -> None:
        """Both schedules after what the meters' clock showed when the state was written.

        Everything due up to the fleet's time was done (a drifting clock's rows fall inside intervals).
        """
        self.schedule(float(self.fleet.rtc.meter_time(max(t, self.fleet.t))))


def _demand_power(meas: Measurement, nb: int, m: int) -> np.ndarray:
    """P+, Q+, S+ (P not exporting), S- (P exporting) per interval (nb, m, 4) W/var/VA, as Demand splits them."""
    p, q, s = meas.p, meas.q, meas.s
    p_tot = p[:, 0] + p[:, 1] + p[:, 2]
    q_tot = q[:, 0] + q[:, 1] + q[:, 2]
    s_tot = s[:, 0] + s[:, 1] + s[:, 2]
    exporting = p_tot < 0.0
    out = np.empty((p_tot.size, 4))
    out[:, 0] = np.maximum(p_tot, 0.0)
    out[:, 1] = np.maximum(q_tot, 0.0)
    out[:, 2] = np.where(exporting, 0.0, s_tot)
    out[:, 3] = np.where(exporting, s_tot, 0.0)
    return out.reshape(nb, m, 4)
