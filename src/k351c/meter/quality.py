"""Voltage quality per phase: min/max with time, under/overvoltage with minimum duration, voltage failures."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from k351c.errors import ConfigError
from k351c.meter.function import Event, MeterFunction, Step, bound
from k351c.meter.metrology import VOLTAGE_PRESENT_FRACTION
from k351c.meter.objects import ValueDef
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
    running_seconds,
    shift_time,
)
from k351c.obis import Obis
from k351c.units import Unit

if TYPE_CHECKING:
    from k351c.codes.settings import Thresholds
    from k351c.meter.core import Meter

PHASE_C = (32, 52, 72)
KIND_NAME = {UNDER: "undervoltage", OVER: "overvoltage", MISSING: "voltage failure"}
# IEC 62056-6-1 D codes: occurrence counter and duration of under limit, over limit and missing voltage.
COUNTER_D = {UNDER: (32, 33), OVER: (36, 37), MISSING: (40, 41)}
EXTREMES = ((3, "vmin", "minimum voltage"), (6, "vmax", "maximum voltage"))
THRESHOLDS = ((31, "under_v", "undervoltage threshold"), (35, "over_v", "overvoltage threshold"))
POWER_FAILURES_ANY_PHASE = Obis(0, 0, 96, 7, 21)


class VoltageQuality(MeterFunction):
    """Per phase: minimum and maximum voltage, under/overvoltage and voltage failures with counters and events.

    The rule is ``k351c.meter.quality_rule`` over the state of one meter (arrays of one row).
    """

    name = "quality"

    def attach(self, meter: Meter) -> None:
        """Thresholds from the configuration's [thresholds]; values 1-0:32/52/72.x.0."""
        super().attach(meter)
        self.lost_v = VOLTAGE_PRESENT_FRACTION * meter.config.nominal_voltage
        self._load_thresholds()
        self.arrays = QualityArrays.empty(1)
        self._values(meter)
        meter.subscribe(self._on_event)

    def _load_thresholds(self) -> None:
        """The limits in force: the settings' [thresholds] (percent of Un) as volts."""
        self.limits = limits_of(self.meter.config, 1)

    @property
    def under_v(self) -> float:
        """The undervoltage limit (V)."""
        return float(self.limits.under_v[0])

    @property
    def over_v(self) -> float:
        """The overvoltage limit (V)."""
        return float(self.limits.over_v[0])

    def _on_event(self, event: Event) -> None:
        if event.kind == "configuration_changed":
            self._load_thresholds()

    def set_limits(
        self, under_v: float | None = None, over_v: float | None = None
    ) -> None:
        """Set the under/overvoltage limits (V); validated as [thresholds], persisted, logged (230)."""
        settings = self.meter.config.settings
        thresholds = limits_changed(settings.thresholds, self.meter.config.nominal_voltage, under_v, over_v)
        self.meter.reconfigure(settings=dataclasses.replace(settings, thresholds=thresholds))

    def _limit_setter(self, name: str) -> Callable[[Any], None]:
        """The setter of one voltage limit register (0.1 V), through set_limits."""
        return lambda raw: self.set_limits(**{name: volts_of(raw)})

    def reset_min_max(self, phase: int | None = None, which: str | None = None) -> None:
        """Start a new min/max period: every extreme, or one phase (1..3) and "min"/"max"."""
        reset_extremes(self.arrays, 0, phase, which)
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
                        functools.partial(lambda k, p: int(self.arrays.counts[0, k - 1, p]), kind, p),
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
                    bound(lambda name: limit_register(getattr(self, name)), name),
                    Unit.VOLT,
                    -1,
                    set=self._limit_setter(name),
                    description=f"{description} (settable, 0.1 V)",
                )
            )
        add(
            ValueDef(
                POWER_FAILURES_ANY_PHASE,
                1,
                lambda: int(self.arrays.counts[0, MISSING - 1].sum()),
                description="number of power failures in any phase",
            )
        )

    def _extreme_def(self, c: int, d: int, name: str, description: str, p: int) -> ValueDef:
        """Minimum: a class 3 register; maximum: class 4 with the time it was reached (DESIGN.md's 3/4)."""
        reset = functools.partial(self.reset_min_max, p + 1, name[1:])
        get = functools.partial(lambda name, p: extreme_register(getattr(self.arrays, name)[0, p]), name, p)
        if name == "vmin":
            return ValueDef(
                Obis(1, 0, c, d, 0),
                3,
                get,
                Unit.VOLT,
                -1,
                description=f"{description} L{p + 1} (reset: class 3 method 1)",
                reset=reset,
            )
        return ValueDef(
            Obis(1, 0, c, d, 0),
            4,
            get,
            Unit.VOLT,
            -1,
            capture_time=self._extreme_time(name, p),
            description=f"{description} L{p + 1} (reset: class 4 method 1)",
            reset=reset,
        )

    def _extreme_time(self, name: str, p: int):
        def get():
            if not math.isfinite(getattr(self.arrays, name)[0, p]):
                return None
            return self.meter.localtime.to_local(float(getattr(self.arrays, f"{name}_t")[0, p]))

        return get

    def _duration(self, kind: int, p: int):
        return lambda: int(self.duration(kind, p))

    def duration(self, kind: int, p: int) -> float:
        """Seconds spent in confirmed conditions of a kind on phase p (0-based), the running one included."""
        return float(running_seconds(self.arrays, kind, self.meter.t)[0, p])

    @property
    def supply_indicator(self) -> tuple[bool, bool, bool]:
        """Whether mains voltage is present on L1, L2, L3 now (the display's supply-voltage indicator)."""
        volts = self.meter.instant.voltage[-1]
        l1, l2, l3 = (bool(v >= self.lost_v) for v in volts)
        return (l1, l2, l3)

    # ------------------------------------------------------------------- step
    def on_step(self, step: Step) -> None:
        """The rule over the step's spans; a single span that changes nothing is passed over quickly."""
        volts = step.measurement.voltage
        if volts.shape[0] == 1 and self._unchanged(step.measurement.last()["voltage"]):
            return
        times = step.segments.times[:-1]
        powered = np.asarray(step.measurement.powered, dtype=bool)[None, :]
        advance(self.arrays, self.limits, volts[None], times, powered, step.t1, self._emit)

    def _unchanged(self, volts: list[float]) -> bool:
        """Whether a span of these voltages leaves the state as it is: all normal, no new extreme."""
        a, under, over = self.arrays, self.under_v, self.over_v
        if a.kind.any():
            return False
        vmin, vmax = a.vmin[0], a.vmax[0]
        return all(
            under <= v <= over and vmin[p] <= v <= vmax[p] for p, v in enumerate(volts)
        )

    def _emit(self, rows: np.ndarray, t: np.ndarray, kind: int, p: int, start: bool) -> None:
        code = (START_CODE if start else END_CODE)[kind] + p
        state = "start" if start else "end"
        data = {"phase": p + 1, "condition": KIND_NAME[kind], "state": state}
        for at in t.tolist():
            self.meter.emit(Event(at, "voltage_quality", code, data=data))

    def on_time_set(self, old: float, new: float) -> None:
        """Running conditions continue from the new time (their elapsed part is kept)."""
        shift_time(self.arrays, old, new)

    # ------------------------------------------------------------ persistence
    def state(self) -> dict:
        """Extremes, counters, durations and the running conditions."""
        a = self.arrays
        return {
            "vmin": [x if math.isfinite(x) else None for x in a.vmin[0].tolist()],
            "vmax": [x if math.isfinite(x) else None for x in a.vmax[0].tolist()],
            "vmin_t": a.vmin_t[0].tolist(),
            "vmax_t": a.vmax_t[0].tolist(),
            "counts": {str(k): a.counts[0, k - 1].tolist() for k in KINDS},
            "durations": {str(k): a.durations[0, k - 1].tolist() for k in KINDS},
            "conditions": [
                [int(a.kind[0, p]), float(a.since[0, p]), bool(a.confirmed[0, p])] for p in range(3)
            ],
        }

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self._load_thresholds()
        a = self.arrays
        a.vmin[0] = [math.inf if x is None else x for x in state["vmin"]]
        a.vmax[0] = [-math.inf if x is None else x for x in state["vmax"]]
        a.vmin_t[0] = state["vmin_t"]
        a.vmax_t[0] = state["vmax_t"]
        for k, v in state["counts"].items():
            a.counts[0, int(k) - 1] = [int(x) for x in v]
        for k, v in state["durations"].items():
            a.durations[0, int(k) - 1] = [float(x) for x in v]
        for p, (kind, since, confirmed) in enumerate(state["conditions"]):
            a.kind[0, p], a.since[0, p], a.confirmed[0, p] = int(kind), float(since), bool(confirmed)


def limits_of(config, n: int, under_v: np.ndarray | None = None, over_v: np.ndarray | None = None) -> Limits:  # noqa: ANN001
    """The rule's limits for n meters of a configuration (its [thresholds], or per-meter volts given)."""
    un = config.nominal_voltage
    thresholds = config.settings.thresholds
    return Limits(
        np.full(n, thresholds.undervoltage_v(un)) if under_v is None else under_v,
        np.full(n, thresholds.overvoltage_v(un)) if over_v is None else over_v,
        VOLTAGE_PRESENT_FRACTION * un,
        float(thresholds.min_duration_s),
    )


def limits_changed(
    thresholds: Thresholds, nominal: float, under_v: float | None = None, over_v: float | None = None
) -> Thresholds:
    """[thresholds] with new limits in volts, validated as the settings are (ConfigError naming the field)."""
    changes: dict[str, Any] = {}  # Thresholds fields by name
    for name, volts in (("undervoltage_percent", under_v), ("overvoltage_percent", over_v)):
        if volts is None:
            continue
        if not isinstance(volts, (int, float)) or isinstance(volts, bool):
            raise ConfigError(f"thresholds {name}", volts, "a voltage (V)")
        changes[name] = (float(volts) / nominal - 1.0) * 100.0
    return dataclasses.replace(thresholds, **changes)


def reset_extremes(arrays: QualityArrays, row: int, phase: int | None, which: str | None) -> None:
    """Start a new min/max period of one meter: every extreme, or one phase (1..3) and "min"/"max"."""
    phases = list(range(3)) if phase is None else [_phase(phase)]
    names = ("vmin", "vmax") if which is None else (f"v{_which(which)}",)
    for name in names:
        getattr(arrays, name)[row, phases] = math.inf if name == "vmin" else -math.inf
        getattr(arrays, f"{name}_t")[row, phases] = 0.0


def limit_register(volts: float) -> int:
    """A voltage limit as its register value (0.1 V)."""
    return int(round(volts * 10))


def extreme_register(volts: float) -> int:
    """An extreme as its register value (0.1 V), 0 before the first voltage."""
    return int(round(float(volts) * 10)) if math.isfinite(volts) else 0


def volts_of(raw: object) -> float:
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
