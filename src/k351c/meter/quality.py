"""Voltage quality per phase: min/max with time, under/overvoltage with minimum duration, voltage failures."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from k351c.errors import ConfigError
from k351c.meter.eventlog import EventCode
from k351c.meter.function import Event, MeterFunction, Step, bound
from k351c.meter.metrology import VOLTAGE_PRESENT_FRACTION
from k351c.meter.objects import ValueDef
from k351c.obis import Obis
from k351c.units import Unit

if TYPE_CHECKING:
    from k351c.meter.core import Meter

PHASE_C = (32, 52, 72)
NORMAL, UNDER, OVER, MISSING = 0, 1, 2, 3
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
KIND_NAME = {UNDER: "undervoltage", OVER: "overvoltage", MISSING: "voltage failure"}
# IEC 62056-6-1 D codes: occurrence counter and duration of under limit, over limit and missing voltage.
COUNTER_D = {UNDER: (32, 33), OVER: (36, 37), MISSING: (40, 41)}
EXTREMES = ((3, "vmin", "minimum voltage"), (6, "vmax", "maximum voltage"))
THRESHOLDS = ((31, "under_v", "undervoltage threshold"), (35, "over_v", "overvoltage threshold"))


@dataclass(slots=True)
class Condition:
    """The condition a phase is in and since when; counters and durations of each kind."""

    kind: int = NORMAL
    since: float = 0.0
    confirmed: bool = False


class VoltageQuality(MeterFunction):
    """Per phase: minimum and maximum voltage, under/overvoltage and voltage failures with counters and events."""

    name = "quality"

    def attach(self, meter: Meter) -> None:
        """Thresholds from the configuration's [thresholds]; values 1-0:32/52/72.x.0."""
        super().attach(meter)
        self.lost_v = VOLTAGE_PRESENT_FRACTION * meter.config.nominal_voltage
        self._load_thresholds()
        self.conditions = [Condition() for _ in range(3)]
        self.counts = {kind: [0, 0, 0] for kind in COUNTER_D}
        self.durations = {kind: [0.0, 0.0, 0.0] for kind in COUNTER_D}
        self.vmin = np.full(3, math.inf)
        self.vmax = np.full(3, -math.inf)
        self.vmin_t = [0.0, 0.0, 0.0]
        self.vmax_t = [0.0, 0.0, 0.0]
        self._values(meter)
        meter.subscribe(self._on_event)

    def _load_thresholds(self) -> None:
        """The limits in force: the settings' [thresholds] (percent of Un) as volts."""
        un = self.meter.config.nominal_voltage
        thresholds = self.meter.config.settings.thresholds
        self.under_v = thresholds.undervoltage_v(un)
        self.over_v = thresholds.overvoltage_v(un)
        self.min_duration = float(thresholds.min_duration_s)

    def _on_event(self, event: Event) -> None:
        if event.kind == "configuration_changed":
            self._load_thresholds()

    def set_limits(
        self, under_v: float | None = None, over_v: float | None = None
    ) -> None:
        """Set the under/overvoltage limits (V); validated as [thresholds], persisted, logged (230)."""
        un = self.meter.config.nominal_voltage
        settings = self.meter.config.settings
        changes: dict[str, Any] = {}  # Thresholds fields by name
        for name, volts in (("undervoltage_percent", under_v), ("overvoltage_percent", over_v)):
            if volts is None:
                continue
            if not isinstance(volts, (int, float)) or isinstance(volts, bool):
                raise ConfigError(f"thresholds {name}", volts, "a voltage (V)")
            changes[name] = (float(volts) / un - 1.0) * 100.0
        thresholds = dataclasses.replace(settings.thresholds, **changes)
        self.meter.reconfigure(settings=dataclasses.replace(settings, thresholds=thresholds))

    def _limit_setter(self, name: str) -> Callable[[Any], None]:
        """The setter of one voltage limit register (0.1 V), through set_limits."""
        return lambda raw: self.set_limits(**{name: _volts(raw)})

    def reset_min_max(self, phase: int | None = None, which: str | None = None) -> None:
        """Start a new min/max period: every extreme, or one phase (1..3) and "min"/"max"."""
        phases = range(3) if phase is None else [_phase(phase)]
        names = ("vmin", "vmax") if which is None else (f"v{_which(which)}",)
        for name in names:
            for p in phases:
                getattr(self, name)[p] = math.inf if name == "vmin" else -math.inf
                getattr(self, f"{name}_t")[p] = 0.0
        self.meter.commit()

    def _values(self, meter: Meter) -> None:
        add = meter.objects.add
        for p, c in enumerate(PHASE_C):
            for d, name, description in EXTREMES:
                add(self._extreme_def(c, d, name, description, p))
            for kind, (d_count, d_duration) in COUNTER_D.items():
                add(
                    ValueDef(
                        Obis(1, 0, c, d_count, 0),
                        1,
                        self._count(kind, p),
                        description=f"{KIND_NAME[kind]} count L{p + 1}",
                    )
                )
                add(
                    ValueDef(
                        Obis(1, 0, c, d_duration, 0),
                        3,
                        self._duration(kind, p),
                        Unit.SECOND,
                        description=f"{KIND_NAME[kind]} duration L{p + 1}",
                    )
                )
        for d, name, description in THRESHOLDS:
            add(
                ValueDef(
                    Obis(1, 0, 12, d, 0),
                    3,
                    bound(lambda name: int(round(getattr(self, name) * 10)), name),
                    Unit.VOLT,
                    -1,
                    set=self._limit_setter(name),
                    description=f"{description} (settable, 0.1 V)",
                )
            )
        add(
            ValueDef(
                Obis(0, 0, 96, 7, 21),
                1,
                lambda: sum(self.counts[MISSING]),
                description="number of power failures in any phase",
            )
        )

    def _extreme_def(self, c: int, d: int, name: str, description: str, p: int) -> ValueDef:
        """Minimum: a class 3 register; maximum: class 4 with the time it was reached (DESIGN.md's 3/4)."""
        reset = functools.partial(self.reset_min_max, p + 1, name[1:])
        if name == "vmin":
            return ValueDef(
                Obis(1, 0, c, d, 0),
                3,
                self._extreme(name, p),
                Unit.VOLT,
                -1,
                description=f"{description} L{p + 1} (reset: class 3 method 1)",
                reset=reset,
            )
        return ValueDef(
            Obis(1, 0, c, d, 0),
            4,
            self._extreme(name, p),
            Unit.VOLT,
            -1,
            capture_time=self._extreme_time(name, p),
            description=f"{description} L{p + 1} (reset: class 4 method 1)",
            reset=reset,
        )

    def _extreme(self, name: str, p: int):
        def get() -> int:
            value = getattr(self, name)[p]
            return int(round(value * 10)) if math.isfinite(value) else 0

        return get

    def _extreme_time(self, name: str, p: int):
        def get():
            if not math.isfinite(getattr(self, name)[p]):
                return None
            return self.meter.localtime.to_local(getattr(self, f"{name}_t")[p])

        return get

    def _count(self, kind: int, p: int):
        return lambda: self.counts[kind][p]

    def _duration(self, kind: int, p: int):
        return lambda: int(self.duration(kind, p))

    def duration(self, kind: int, p: int) -> float:
        """Seconds spent in confirmed conditions of a kind on phase p (0-based), the running one included."""
        cond = self.conditions[p]
        running = self.meter.t - cond.since if cond.kind == kind and cond.confirmed else 0.0
        return self.durations[kind][p] + running

    @property
    def supply_indicator(self) -> tuple[bool, bool, bool]:
        """Whether mains voltage is present on L1, L2, L3 now (the display's supply-voltage indicator)."""
        volts = self.meter.instant.voltage[-1]
        l1, l2, l3 = (bool(v >= self.lost_v) for v in volts)
        return (l1, l2, l3)

    # ------------------------------------------------------------------- step
    def on_step(self, step: Step) -> None:
        """Update min/max; run the condition machine only when some phase is or was out of band."""
        volts = step.measurement.voltage
        if volts.shape[0] == 1:
            vs = step.measurement.last()["voltage"]
            self._min_max_one(vs, float(step.segments.times[0]))
            low, high = min(vs), max(vs)
        else:
            self._min_max(volts, step.segments.times)
            low, high = volts.min(), volts.max()
        quiet = all(c.kind == NORMAL for c in self.conditions)
        if quiet and low >= self.under_v and high <= self.over_v:
            return
        times = step.segments.times
        powered = step.measurement.powered
        for i in range(volts.shape[0]):
            if not powered[i]:
                continue  # all phases lost: the meter is off; powerfail counts one power failure
            for p in range(3):
                self._classify(p, float(volts[i, p]), float(times[i]), float(times[i + 1]))
        for p, cond in enumerate(self.conditions):
            self._confirm(p, cond, step.t1)

    def _min_max_one(self, volts: list[float], t: float) -> None:
        """_min_max of a single interval given as Python floats."""
        for p, v in enumerate(volts):
            if v < self.lost_v:
                continue
            if v < self.vmin[p]:
                self.vmin[p] = v
                self.vmin_t[p] = t
            if v > self.vmax[p]:
                self.vmax[p] = v
                self.vmax_t[p] = t

    def _min_max(self, volts: np.ndarray, times: np.ndarray) -> None:
        present = volts >= self.lost_v
        low = np.where(present, volts, math.inf)
        high = np.where(present, volts, -math.inf)
        lows, highs = low.min(axis=0), high.max(axis=0)
        for p in np.nonzero(lows < self.vmin)[0]:
            self.vmin[p] = lows[p]
            self.vmin_t[p] = float(times[int(low[:, p].argmin())])
        for p in np.nonzero(highs > self.vmax)[0]:
            self.vmax[p] = highs[p]
            self.vmax_t[p] = float(times[int(high[:, p].argmax())])

    def _kind(self, v: float) -> int:
        if v < self.lost_v:
            return MISSING
        if v < self.under_v:
            return UNDER
        if v > self.over_v:
            return OVER
        return NORMAL

    def _classify(self, p: int, v: float, t0: float, t1: float) -> None:
        cond = self.conditions[p]
        kind = self._kind(v)
        if kind == cond.kind:
            return
        if cond.kind != NORMAL:
            self._end(p, cond, t0)
        cond.kind, cond.since, cond.confirmed = kind, t0, False
        if kind == MISSING:
            self._confirm(p, cond, t0)

    def _confirm(self, p: int, cond: Condition, t: float) -> None:
        """Count a condition once it has lasted its minimum duration (voltage failures at once)."""
        if cond.kind == NORMAL or cond.confirmed:
            return
        wait = 0.0 if cond.kind == MISSING else self.min_duration
        if t - cond.since < wait:
            return
        cond.confirmed = True
        self.counts[cond.kind][p] += 1
        at = cond.since + wait
        self.meter.emit(
            Event(
                at,
                "voltage_quality",
                START_CODE[cond.kind] + p,
                data={"phase": p + 1, "condition": KIND_NAME[cond.kind], "state": "start"},
            )
        )

    def _end(self, p: int, cond: Condition, t: float) -> None:
        self._confirm(p, cond, t)
        if cond.confirmed:
            self.durations[cond.kind][p] += t - cond.since
            self.meter.emit(
                Event(
                    t,
                    "voltage_quality",
                    END_CODE[cond.kind] + p,
                    data={"phase": p + 1, "condition": KIND_NAME[cond.kind], "state": "end"},
                )
            )
        cond.kind, cond.since, cond.confirmed = NORMAL, t, False

    def on_time_set(self, old: float, new: float) -> None:
        """Running conditions continue from the new time (their elapsed part is kept)."""
        for p, cond in enumerate(self.conditions):
            if cond.kind != NORMAL and cond.confirmed:
                self.durations[cond.kind][p] += old - cond.since
                cond.since = new
            elif cond.kind != NORMAL:
                cond.since = new - (old - cond.since)

    # ------------------------------------------------------------ persistence
    def state(self) -> dict:
        """Extremes, counters, durations and the running conditions."""
        return {
            "vmin": [x if math.isfinite(x) else None for x in self.vmin.tolist()],
            "vmax": [x if math.isfinite(x) else None for x in self.vmax.tolist()],
            "vmin_t": list(self.vmin_t),
            "vmax_t": list(self.vmax_t),
            "counts": {str(k): v for k, v in self.counts.items()},
            "durations": {str(k): v for k, v in self.durations.items()},
            "conditions": [[c.kind, c.since, c.confirmed] for c in self.conditions],
        }

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self._load_thresholds()
        self.vmin[:] = [math.inf if x is None else x for x in state["vmin"]]
        self.vmax[:] = [-math.inf if x is None else x for x in state["vmax"]]
        self.vmin_t[:] = state["vmin_t"]
        self.vmax_t[:] = state["vmax_t"]
        for k, v in state["counts"].items():
            self.counts[int(k)][:] = [int(x) for x in v]
        for k, v in state["durations"].items():
            self.durations[int(k)][:] = [float(x) for x in v]
        for cond, (kind, since, confirmed) in zip(
            self.conditions, state["conditions"], strict=True
        ):
            cond.kind, cond.since, cond.confirmed = int(kind), float(since), bool(confirmed)


def _volts(raw: object) -> float:
    """A threshold written as its register value (0.1 V) in volts."""
    if not isinstance(raw, (int, float)) or isinstance(raw, bool):
        raise ConfigError("voltage threshold", raw, "a number of 0.1 V")
    return float(raw) / 10.0


def _phase(phase: int) -> int:
    if phase not in (1, 2, 3):
        raise ConfigError("phase", phase, [1, 2, 3])
    return phase - 1


def _which(which: str) -> str:
    if which not in ("min", "max"):
        raise ConfigError("extreme", which, ["min", "max"])
    return which
