"""Debiting periods: scheduled and commanded debiting stops, the debiting logger and debiting logger 2.

At each debiting stop the meter counts the stop (0-0:0.1.0.255), adds the peaks to the accumulated
peaks, stores exactly the data sheet's list in the debiting logger 0-0:98.1.0.255 (the last
``DEBITING_DEPTH`` periods) and clears the peaks. Debiting logger 2 0-0:98.2.0.255 stores the energy
registers at every local midnight, Monday midnight or first of the month (configuration 5 U).
Both loggers live in the store's append-only logs, written in the same transaction as the state.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from k351c.codes.tables import DEBITING_INTERVALS
from k351c.meter.demand import PEAKS, Demand, peak_time
from k351c.meter.function import Event, MeterFunction, Step, bound
from k351c.meter.localtime import LocalTime
from k351c.meter.objects import ProfileData, ValueDef
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.core import Meter

DEBITING_LOGGER = Obis(0, 0, 98, 1, 0)
DEBITING_LOGGER_2 = Obis(0, 0, 98, 2, 0)
STOP_COUNTER = Obis(0, 0, 0, 1, 0)
DEBITING_LOG = "debiting"
DEBITING_LOG_2 = "debiting2"
DEBITING_DEPTH = 36
LOGGER2_DEPTH = {"daily": 120, "weekly": 104, "monthly": 36}
LOGGER2_PERIOD = {"daily": 86400, "weekly": 7 * 86400, "monthly": 0}
CLOCK = "0-0:1.0.0.255"
CLOCK_STATUS = "0-0:1.0.0.255:4"

# The data sheet's list, in its order: various, energy registers, power registers.
VARIOUS = (
    CLOCK,
    CLOCK_STATUS,
    "0-0:96.8.0.255",
    "0-0:0.1.0.255",
    "0-0:128.10.0.255",
    "0-0:128.11.0.255",
    "1-0:0.4.2.255",
)
ENERGY = (
    "1-0:1.8.0.255",
    "1-0:2.8.0.255",
    "1-0:3.8.0.255",
    "1-0:4.8.0.255",
    *(f"1-0:1.8.{k}.255" for k in range(1, 5)),
    *(f"1-0:3.8.{k}.255" for k in range(1, 5)),
)
# (peak name, with its capture time) or an accumulated register's OBIS.
POWER = (
    ("P+", True),
    "1-0:1.2.0.255",
    "1-0:1.2.1.255",
    "1-0:1.2.2.255",
    ("Q+", True),
    "1-0:3.2.0.255",
    ("P+T1", True),
    ("P+T2", True),
    ("Q+T1", True),
    ("Q+T2", True),
    ("S+", False),
    ("S-", False),
)
LAST_PERIOD_F = 101
"""OBIS F of the values of the last debiting period (IEC 62056-6-1: the most recent billing period)."""
LOGGER2_COLUMNS = (
    CLOCK,
    CLOCK_STATUS,
    "1-0:1.8.0.255",
    "1-0:2.8.0.255",
    "1-0:3.8.0.255",
    "1-0:4.8.0.255",
    *(f"1-0:1.8.{k}.255" for k in range(1, 5)),
)


Column = tuple[str, str, tuple[int, str] | None]
"""(column name, source: "clock", "status", "object" or "peak", peak (index, field) or None)."""


def debiting_columns(has: Callable[[str], bool], peaks: bool) -> list[Column]:
    """The debiting logger's columns: the data sheet's list, of the objects this meter ``has``."""
    out: list[Column] = []
    for name in VARIOUS + ENERGY:
        if name == CLOCK:
            out.append((name, "clock", None))
        elif name == CLOCK_STATUS:
            out.append((name, "status", None))
        elif has(name):
            out.append((name, "object", None))
    if not peaks:
        return out
    names = list(PEAKS)
    for item in POWER:
        if isinstance(item, str):
            if has(item):
                out.append((item, "object", None))
            continue
        name, timed = item
        i, code = names.index(name), str(PEAKS[name][0])
        out.append((code, "peak", (i, "value")))
        if timed:
            out.append((f"{code}:5", "peak", (i, "time")))
        out.append((f"{code}:4", "peak", (i, "status")))
    return out


def logger2_columns(has: Callable[[str], bool]) -> list[Column]:
    """Debiting logger 2's columns: clock, its status and the energy registers this meter ``has``."""
    out: list[Column] = [(CLOCK, "clock", None), (CLOCK_STATUS, "status", None)]
    return out + [(n, "object", None) for n in LOGGER2_COLUMNS[2:] if has(n)]


def _peak_getter(demand: Demand, i: int, field: str) -> Callable[[], object]:
    if field == "value":
        return lambda: int(demand.peaks.values[0, i])
    if field == "time":
        return lambda: peak_time(demand.peaks.times[0, i])
    return lambda: int(demand.peaks.statuses[0, i])


def debiting_plan(config) -> tuple[int, tuple[int, int] | None, int]:  # noqa: ANN001
    """(target day, (interval, first month) or None, minute of day): GG/HH overridden by the settings."""
    override = config.settings.debiting
    gg = config.target_day if override.target_day is None else override.target_day
    months = config.debiting_months
    if override.interval is not None:
        months = DEBITING_INTERVALS[override.interval]
    return gg, months, override.minute


def next_debiting_stop(
    localtime: LocalTime,
    target_day: int,
    months: tuple[int, int] | None,
    t: float,
    minute: int = 0,
) -> float | None:
    """The first scheduled stop after t: local time ``minute`` on day GG of every debiting month."""
    if not target_day or months is None:
        return None
    interval, first = months
    local = localtime.to_local(t)
    year, month = local.year, local.month
    for _ in range(26):
        if (month - first) % interval == 0:
            day = datetime(year, month, target_day, minute // 60, minute % 60)
            stop = localtime.from_local(day)
            if stop > t:
                return stop
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def next_logger2_time(localtime: LocalTime, kind: str, t: float) -> float:
    """The next local midnight (daily), Monday midnight (weekly) or first of a month (monthly) after t."""
    day = localtime.to_local(t).date()
    if kind == "daily":
        due = day + timedelta(days=1)
    elif kind == "weekly":
        due = day + timedelta(days=7 - day.weekday())
    else:
        due = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return localtime.from_local(datetime(due.year, due.month, due.day))


class Schedule:
    """Due instants of a periodic action; a clock adjustment never repeats or loses one silently."""

    def __init__(self, next_after: Callable[[float], float | None], t: float) -> None:
        self.next_after = next_after
        self.last = -math.inf
        self.next = next_after(t)

    def due(self, t: float) -> bool:
        """Whether the action is due at t."""
        return self.next is not None and t >= self.next

    def done(self, t: float) -> None:
        """The action ran at t; schedule the next one."""
        self.last = t
        self.next = self.next_after(t)

    def time_set(self, old: float, new: float) -> bool:
        """Reschedule after a jump old -> new; True when a forward jump skipped a due instant."""
        missed = self.next is not None and old < self.next <= new
        self.next = self.next_after(max(new, self.last))
        return missed

    def restore(self, last: float | None, t: float) -> None:
        """Resume after a restart at t with the last instant the action ran."""
        self.last = -math.inf if last is None else float(last)
        self.next = self.next_after(max(t, self.last))


class Billing(MeterFunction):
    """Debiting stops (scheduled per GG/HH, or by command), the stop counter and both loggers."""

    name = "billing"

    def attach(self, meter: Meter) -> None:
        """Set up both schedules and register the stop counter and the two loggers."""
        super().attach(meter)
        config, lt = meter.config, meter.localtime
        self.counter = 0
        self.logger2 = config.debiting_logger2
        self._plan = debiting_plan(config)
        self.stops = Schedule(
            lambda t: next_debiting_stop(lt, *self._plan[:2], t, self._plan[2]), meter.t
        )
        meter.subscribe(self._on_event)
        self.days = Schedule(lambda t: next_logger2_time(lt, self.logger2, t), meter.t)
        self._columns: list[tuple[str, Callable[[], object], bool]] | None = None
        self._columns2: list[tuple[str, Callable[[], object], bool]] | None = None
        self._now = meter.t
        add = meter.objects.add
        add(ValueDef(STOP_COUNTER, 1, lambda: self.counter, description="debiting stop counter"))
        add(
            ValueDef(
                DEBITING_LOGGER,
                7,
                lambda: self.profile(DEBITING_LOG),
                capacity=lambda: DEBITING_DEPTH,
                description=f"debiting logger: the data sheet's list at each debiting stop, "
                f"last {DEBITING_DEPTH} periods",
            )
        )
        self._last_row: list | None = None
        add(
            ValueDef(
                DEBITING_LOGGER_2,
                7,
                lambda: self.profile(DEBITING_LOG_2),
                capacity=lambda: LOGGER2_DEPTH[self.logger2],
                description=f"debiting logger 2: {self.logger2} energy registers",
            )
        )
        self._add_historical()

    # ------------------------------------------------------------- historical
    def _add_historical(self) -> None:
        """F = 101 of every register the debiting logger keeps: its value at the last stop."""
        objects = self.meter.objects
        codes = [c for c in VARIOUS + ENERGY if c not in (CLOCK, CLOCK_STATUS)]
        for item in POWER:
            codes.append(str(PEAKS[item[0]][0]) if isinstance(item, tuple) else item)
        for code in codes:
            definition = objects.get(code)
            if definition is None or definition.class_id not in (1, 3, 4):
                continue
            historical = dataclasses.replace(definition.obis, f=LAST_PERIOD_F)
            timed = definition.class_id == 4
            objects.add(
                ValueDef(
                    historical,
                    definition.class_id,
                    bound(lambda c: self.last_value(c, 0), code),
                    definition.unit,
                    definition.scaler,
                    legal=definition.legal,
                    capture_time=(bound(lambda c: self._last_time(f"{c}:5"), code)) if timed else None,
                    description=f"{definition.description or code}, at the last debiting stop",
                    status=(bound(lambda c: int(self.last_value(f"{c}:4", 0) or 0), code)) if timed else None,
                )
            )

    def last_value(self, column: str, default: Any = None) -> Any:
        """A column of the last debiting logger entry (``default`` before the first stop)."""
        if self._last_row is None:
            entries = self.meter.store.entries(DEBITING_LOG)
            self._last_row = list(entries[-1].data) if entries else []
        names = [name for name, _, _ in self.columns()]
        if column not in names or names.index(column) >= len(self._last_row):
            return default
        value = self._last_row[names.index(column)]
        return default if value is None else value

    def _last_time(self, column: str):  # noqa: ANN202
        t = self.last_value(column)
        return None if t is None else self.meter.localtime.to_local(float(t))

    # ------------------------------------------------------------------ columns
    def _demand(self) -> Demand | None:
        try:
            function = self.meter.function("demand")
        except KeyError:
            return None
        return function if isinstance(function, Demand) else None

    def columns(self) -> list[tuple[str, Callable[[], object], bool]]:
        """(column, raw getter, is a POSIX time) of the debiting logger, resolved once."""
        if self._columns is None:
            self._columns = self._getters(debiting_columns(self._has, self._demand() is not None))
        return self._columns

    def _has(self, code: str) -> bool:
        return self.meter.objects.get(code) is not None

    def _getters(self, plan: list[Column]) -> list[tuple[str, Callable[[], object], bool]]:
        meter = self.meter
        demand = self._demand()
        out: list[tuple[str, Callable[[], object], bool]] = []
        for name, source, key in plan:
            if source == "clock":
                out.append((name, lambda: self._now, True))
            elif source == "status":
                out.append((name, lambda: meter.clock_status or 0, False))
            elif source == "object":
                out.append((name, meter.objects.lookup(name).get, False))
            else:
                assert demand is not None and key is not None, "peak columns come with Demand"
                i, field = key
                out.append((name, _peak_getter(demand, i, field), field == "time"))
        return out

    def columns2(self) -> list[tuple[str, Callable[[], object], bool]]:
        """(column, raw getter, is a POSIX time) of debiting logger 2."""
        if self._columns2 is None:
            self._columns2 = self._getters(logger2_columns(self._has))
        return self._columns2

    # ------------------------------------------------------------------- stops
    def _on_event(self, event: Event) -> None:
        """A new GG/HH/execution time in the settings reschedules the next stop from now."""
        if event.kind == "configuration_changed":
            plan = debiting_plan(self.meter.config)
            if plan != self._plan:
                self._plan = plan
                self.stops.next = self.stops.next_after(max(self.meter.t, self.stops.last))

    def next_boundary(self, t: float) -> float | None:
        """The next scheduled debiting stop or logger-2 entry."""
        a, b = self.stops.next, self.days.next
        return b if a is None else a if b is None else min(a, b)

    def on_step(self, step: Step) -> None:
        """Run a due debiting stop and logger-2 entry at the end of the step (registers complete)."""
        if self.stops.due(step.t1):
            self._stop(step.t1, "schedule")
            self.stops.done(step.t1)
        if self.days.due(step.t1):
            self._log2(step.t1)
            self.days.done(step.t1)

    def debiting_stop(self, source: str = "command") -> None:
        """End the debiting period now (command or external input), whatever GG/HH say."""
        meter = self.meter
        now = meter.clock.timestamp()
        if now > meter.true_t:
            meter.advance_to(now)
        self._stop(meter.t, source)
        meter.commit()

    def _stop(self, t: float, source: str) -> None:
        demand = self._demand()
        if demand is not None:
            demand.accumulate_peaks()
        self.counter += 1
        self._now = t
        row = [_plain(getter()) for _, getter, _ in self.columns()]
        self.meter.log_append(DEBITING_LOG, t, row, depth=DEBITING_DEPTH)
        self._last_row = row
        if demand is not None:
            demand.reset_peaks()
        self.meter.emit(Event(t, "debiting_stop", data={"counter": self.counter, "source": source}))

    def _log2(self, t: float) -> None:
        self._now = t
        row = [_plain(getter()) for _, getter, _ in self.columns2()]
        self.meter.log_append(DEBITING_LOG_2, t, row, depth=LOGGER2_DEPTH[self.logger2])

    def on_time_set(self, old: float, new: float) -> None:
        """A forward adjustment over a due stop runs it once at the new time; backwards never repeats."""
        if self.stops.time_set(old, new):
            self._stop(new, "clock adjusted")
            self.stops.done(new)
        if self.days.time_set(old, new):
            self._log2(new)
            self.days.done(new)

    # -------------------------------------------------------------------- reads
    def profile(self, log: str) -> ProfileData:
        """A logger's rows from permanent memory, times as local datetimes."""
        columns = self.columns() if log == DEBITING_LOG else self.columns2()
        times = [i for i, (_, _, is_time) in enumerate(columns) if is_time]
        to_local = self.meter.localtime.to_local
        rows = []
        for entry in self.meter.store.entries(log):
            row = list(entry.data)
            for i in times:
                if i < len(row) and row[i] is not None:
                    row[i] = to_local(row[i])
            rows.append(tuple(row))
        period = 0 if log == DEBITING_LOG else LOGGER2_PERIOD[self.logger2]
        return ProfileData([name for name, _, _ in columns], rows, period)

    # ------------------------------------------------------------- persistence
    def state(self) -> dict:
        """Stop counter and when each schedule last ran."""
        return {
            "counter": self.counter,
            "last_stop": _finite(self.stops.last),
            "last_log2": _finite(self.days.last),
        }

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.counter = int(state["counter"])
        self._plan = debiting_plan(self.meter.config)
        self.stops.restore(state.get("last_stop"), self.meter.t)
        self.days.restore(state.get("last_log2"), self.meter.t)


def _finite(t: float) -> float | None:
    return t if math.isfinite(t) else None


def _plain(value: object) -> object:
    """A JSON-safe copy of a raw value (numpy scalars to Python numbers)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value
