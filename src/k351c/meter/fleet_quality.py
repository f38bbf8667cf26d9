"""Voltage quality of every fleet meter over arrays: the single meter's rule (k351c.meter.quality_rule).

Each block of measured intervals is cut into the spans a single meter sees (the 15-minute grid
split at its outages' and voltage events' edges, k351c.meter.voltage_events) and handed to the
rule; meters with the same windows in a chunk share one call. A read adds the running interval on
a copy of the meter's state, as a single meter's step up to now would. A threshold write or a
min/max reset first books the meter's running interval up to now (the single meter has stepped to
the write), so what follows is judged by the new setting from that instant on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from k351c.meter.eventlog import EventCode
from k351c.meter.fleet_function import FleetFunction
from k351c.meter.fleet_load import RESOLUTION
from k351c.meter.loads import interval_index
from k351c.meter.quality import (
    COUNTER_D,
    EXTREMES,
    PHASE_C,
    POWER_FAILURES_ANY_PHASE,
    THRESHOLDS,
    extreme_register,
    limit_register,
    limits_changed,
    limits_of,
    reset_extremes,
    volts_of,
)
from k351c.meter.quality_rule import (
    END_CODE,
    KINDS,
    MISSING,
    OVER,
    START_CODE,
    UNDER,
    Limits,
    QualityArrays,
    advance,
    confirm_all,
    running_seconds,
)
from k351c.meter.voltage_events import VoltageEvents, split_at
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet
    from k351c.meter.fleet_view import MeterView
    from k351c.meter.metrology import Measurement
    from k351c.meter.quality_rule import Emit

LIMITS = ("under_pct", "over_pct")


class FleetQuality(FleetFunction):
    """Extremes, conditions, counters and durations of every meter's phases; per-meter voltage limits."""

    name = "quality"

    def __init__(self, fleet: Fleet) -> None:
        super().__init__(fleet)
        thresholds = fleet.config.settings.thresholds
        self.voltage_events = VoltageEvents()
        self.under_pct = np.full(fleet.n, float(thresholds.undervoltage_percent))
        self.over_pct = np.full(fleet.n, float(thresholds.overvoltage_percent))
        self.version = 0  # bumped by every write: a read's cached copy is stale after one
        self._limits: tuple[int, Limits] | None = None
        self._now: dict[tuple, QualityArrays] = {}
        self.begin(fleet.start)

    @property
    def limits(self) -> Limits:
        """Every meter's limits in volts, from its percent settings by the settings' own conversion."""
        if self._limits is None or self._limits[0] != self.version:
            config = self.fleet.config
            un, base = config.nominal_voltage, config.settings.thresholds
            pairs = np.stack([self.under_pct, self.over_pct], axis=1)
            unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
            volts = np.array(
                [
                    (t.undervoltage_v(un), t.overvoltage_v(un))
                    for t in (
                        dataclasses.replace(base, undervoltage_percent=u, overvoltage_percent=o)
                        for u, o in unique.tolist()
                    )
                ]
            )[inverse.reshape(-1)]
            self._limits = (self.version, limits_of(config, self.fleet.n, volts[:, 0], volts[:, 1]))
        return self._limits[1]

    # ------------------------------------------------------------- hooks
    def intervals(
        self, meters: np.ndarray, idx: np.ndarray, meas: Measurement, tariffs: np.ndarray
    ) -> None:
        """Run the rule over the spans of these meters' intervals."""
        self._advance(meters, idx, meas, float(idx[-1] + 1) * RESOLUTION)

    def advanced(self, t: float) -> None:
        """Every meter's running interval up to t: its events are in the logs when they are read."""
        fleet = self.fleet
        lo = fleet.k * RESOLUTION
        if t <= lo or (self.floor >= t).all():
            return
        meters, k = np.arange(fleet.n), np.array([fleet.k])
        self._advance(meters, k, fleet.measurement(meters, k, np.ones((fleet.n, 1), bool)), t)

    def _advance(self, meters: np.ndarray, idx: np.ndarray, meas: Measurement, hi: float) -> None:
        """Run the rule over the spans of these meters' intervals up to hi (consecutive meters)."""
        nb, m = meters.size, idx.size
        volts = meas.voltage.reshape(nb, m, 3)
        powered = np.asarray(meas.powered, dtype=bool).reshape(nb, m)
        limits, shown = self.limits, self.fleet.rtc.meter_time  # the rule runs on the meters' clock
        for rows, times, span_volts, span_on in self._spans(meters, idx, volts, powered, hi):
            chosen = meters[rows]
            whole = rows.size == meters.size  # consecutive meters: the state's rows in place
            at = slice(int(chosen[0]), int(chosen[-1]) + 1) if whole else chosen
            part = self.state.take(at)
            advance(part, limits.take(at), span_volts, shown(times), span_on, shown(hi), self._emit(chosen))
            if not whole:
                self.state.put(chosen, part)
        self.floor[meters] = hi

    KIND_NAMES = {UNDER: "undervoltage", OVER: "overvoltage", MISSING: "missing voltage"}

    def totals(self) -> dict[str, int]:
        """Confirmed under-, overvoltage and missing-voltage conditions counted over every meter's phases."""
        counts = self.state.counts.sum(axis=(0, 2))
        return {f"{self.KIND_NAMES[k]} conditions": int(counts[k - 1]) for k in KINDS}

    def arrays(self) -> dict[str, np.ndarray]:
        """The rule's state, the per-meter limits, the booked floors and the voltage events."""
        out = {f"state_{k}": v for k, v in self.state.arrays().items()}
        out |= {name: getattr(self, name) for name in LIMITS}
        out["floor"] = self.floor
        return out | self.voltage_events.arrays()

    def restore(self, arrays: dict[str, np.ndarray], t: float) -> None:
        """Load arrays written by ``arrays``."""
        self.state = QualityArrays.from_arrays(
            {k[len("state_") :]: v for k, v in arrays.items() if k.startswith("state_")}
        )
        for name in LIMITS:
            setattr(self, name, np.array(arrays[name], dtype=np.float64))
        self.floor = np.array(arrays["floor"], dtype=np.float64)
        self.voltage_events.restore(arrays)

    def begin(self, t: float) -> None:
        """No extremes, every phase normal from t."""
        self.state = QualityArrays.empty(self.fleet.n, float(self.fleet.rtc.meter_time(t)))
        self.floor = np.full(self.fleet.n, float(t))

    # ------------------------------------------------------------- reads
    def now(self, i: int) -> QualityArrays:
        """Meter i's state (one row) at the fleet's time: its running interval added on a copy."""
        key = (i, self.fleet.t, self.fleet.k, self.version)
        hit = self._now.get(key)
        if hit is None:
            if len(self._now) > 16:
                self._now.clear()
            hit = self._now[key] = self.state.take(np.array([i]))
            self._running(i, hit, lambda *_: None)
        return hit

    def _running(self, i: int, part: QualityArrays, emit: Emit) -> None:
        """Advance one meter's state over its running interval up to the fleet's time."""
        fleet, meters, shown = self.fleet, np.array([i]), self.fleet.rtc.meter_time
        t, lo = fleet.t, max(fleet.k * RESOLUTION, float(self.floor[i]))
        limits = self.limits.take(meters)
        if t > lo:
            k = np.array([fleet.k])
            meas = fleet.measurement(meters, k, np.ones((1, 1), dtype=bool))
            volts = self._load_volts(meters, k)
            on = np.asarray(meas.powered, dtype=bool).reshape(1, 1)
            times, off, levels = split_at(
                np.array([lo, t]), fleet.outage_windows(i), self.voltage_events.of(i)
            )
            span_on = on[:, np.zeros(off.size, dtype=np.int64)] & ~off[None]
            span_volts = np.where(span_on[..., None], volts[:, [0] * off.size] * levels[None], 0.0)
            advance(part, limits, span_volts, shown(times[:-1]), span_on, shown(t), emit)
        else:
            confirm_all(part, limits, shown(t), emit)

    # ------------------------------------------------------------ writes
    def book(self, i: int) -> None:
        """Book meter i's running interval up to now into its state (a setting changes now)."""
        part = self.state.take(np.array([i]))
        self._running(i, part, self._emit(np.array([i])))
        self.state.put(np.array([i]), part)
        self.floor[i] = max(float(self.floor[i]), self.fleet.t)

    def set_limit(self, i: int, name: str, volts: float) -> None:
        """Set meter i's under ("under_v") or over ("over_v") limit (V), validated as the single meter's."""
        config = self.fleet.config
        current = dataclasses.replace(
            config.settings.thresholds,
            undervoltage_percent=float(self.under_pct[i]),
            overvoltage_percent=float(self.over_pct[i]),
        )
        changed = limits_changed(current, config.nominal_voltage, **{name: volts})
        self.book(i)
        self.under_pct[i] = changed.undervoltage_percent
        self.over_pct[i] = changed.overvoltage_percent
        self.version += 1
        at = self.fleet.rtc.meter_time(self.fleet.t)  # logged as the single meter's reconfigure does
        self.fleet.events.record(at, EventCode.CONFIGURATION_CHANGED, [i])

    def reset_extremes(self, i: int, phase: int | None = None, which: str | None = None) -> None:
        """Start a new min/max period of meter i (every extreme, or one phase 1..3 and "min"/"max")."""
        self.book(i)
        reset_extremes(self.state, i, phase, which)
        self.version += 1

    def add_voltage_event(self, t0: float, t1: float, meters, phases, level: float) -> None:  # noqa: ANN001
        """A voltage event ahead of the fleet's time (k351c.meter.voltage_events); ConfigError naming a bad field."""
        fleet = self.fleet
        event = self.voltage_events.add(fleet.n, fleet.t, t0, t1, meters, phases, level)
        fleet.twins.forget(event.meters)
        self.version += 1

    # ------------------------------------------------------------- spans
    def _spans(
        self, meters: np.ndarray, idx: np.ndarray, volts: np.ndarray, powered: np.ndarray, hi: float
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """(rows, span start times, span voltages, supplied) per group of meters with the same windows."""
        fleet = self.fleet
        lo = float(idx[0]) * RESOLUTION
        outages = [o for o in fleet.outages if o.t0 < hi and o.t1 > lo]
        events = self.voltage_events.touching(lo, hi)
        grid = idx.astype(np.float64) * RESOLUTION
        if not outages and not events and (self.floor[meters] <= lo).all():
            yield np.arange(meters.size), grid, volts, powered
            return
        keys = np.empty((meters.size, len(outages) + len(events) + 1))
        for j, hit in enumerate([o.meters for o in outages] + [e.meters for e in events]):
            keys[:, j] = np.isin(meters, hit)
        keys[:, -1] = np.maximum(self.floor[meters], lo)
        groups, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        for g, key in enumerate(groups):
            rows = np.nonzero(inverse == g)[0] if groups.shape[0] > 1 else np.arange(meters.size)
            bounds = np.concatenate([[key[-1]], grid[1:], [hi]])
            hit = key[:-1].astype(bool)
            windows = [(o.t0, o.t1) for o, h in zip(outages, hit, strict=False) if h]
            levels_of = [e.window() for e, h in zip(events, hit[len(outages) :], strict=True) if h]
            if not windows and not levels_of:
                yield rows, bounds[:-1], volts[rows], powered[rows]
                continue
            times, off, levels = split_at(bounds, windows, levels_of)
            col = interval_index(times, RESOLUTION) - idx[0]
            base = self._load_volts(meters[rows], idx) if levels_of else volts[rows]
            span_on = powered[rows][:, col] & ~off[None]
            span_volts = np.where(span_on[..., None], base[:, col, :] * levels[None], 0.0)
            yield rows, times[:-1], span_volts, span_on  # a span without supply shows no voltage

    def _load_volts(self, meters: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """The load's voltages (len(meters), len(idx), 3) before its voltage events."""
        fleet = self.fleet
        return fleet.model.power(fleet.params.take(meters), idx)[2]

    def _emit(self, meters: np.ndarray) -> Emit:
        """The rule's events of these meters into the fleet's event logs (k351c.meter.fleet_events)."""
        events = self.fleet.events

        def emit(rows: np.ndarray, t: np.ndarray, kind: int, p: int, start: bool) -> None:
            events.record(t, (START_CODE if start else END_CODE)[kind] + p, meters[rows])

        return emit


def add_quality_values(view: MeterView) -> None:
    """Add meter ``view.i``'s extremes, counters, durations, voltage limits and failures in any phase.

    Each is the single meter's definition (k351c.meter.quality) with its callables pointed at the
    fleet's arrays.
    """
    quality, i = view.fleet.quality, view.i
    template = view.fleet.twins.template()

    def now() -> QualityArrays:
        return quality.now(i)

    def add(obis: Obis, get: Callable, **changes: Any) -> None:  # ValueDef fields
        view.objects.add(dataclasses.replace(template.lookup(obis), get=get, **changes))

    for p, c in enumerate(PHASE_C):
        for d, name, _ in EXTREMES:
            add(
                Obis(1, 0, c, d, 0),
                partial(lambda name, p: extreme_register(getattr(now(), name)[0, p]), name, p),
                reset=partial(quality.reset_extremes, i, p + 1, name[1:]),
                **({"capture_time": partial(_reached, view, now, name, p)} if d == 6 else {}),
            )
        for kind, (d_count, d_duration) in COUNTER_D.items():
            add(Obis(1, 0, c, d_count, 0), partial(lambda k, p: int(now().counts[0, k - 1, p]), kind, p))
            add(
                Obis(1, 0, c, d_duration, 0),
                partial(lambda k, p: int(running_seconds(now(), k, view.t)[0, p]), kind, p),
            )
    limits = {"under_v": lambda: quality.limits.under_v[i], "over_v": lambda: quality.limits.over_v[i]}
    for d, name, _ in THRESHOLDS:
        add(
            Obis(1, 0, 12, d, 0),
            partial(lambda name: limit_register(float(limits[name]())), name),
            set=partial(_set_limit, view, name),
        )
    add(POWER_FAILURES_ANY_PHASE, lambda: int(now().counts[0, MISSING - 1].sum()))


def _reached(view: MeterView, now: Callable[[], QualityArrays], name: str, p: int) -> object:
    """When an extreme was reached (local time), None before the first voltage."""
    state = now()
    if not np.isfinite(getattr(state, name)[0, p]):
        return None
    return view.localtime.to_local(float(getattr(state, f"{name}_t")[0, p]))


def _set_limit(view: MeterView, name: str, raw: object) -> None:
    """A voltage limit written (0.1 V): kept in the quality arrays, judged with from now, logged (230)."""
    view.fleet.quality.set_limit(view.i, name, volts_of(raw))
