"""The configuration file's [metrology] section: accuracy kind, custom error table, temperature.

    [metrology]
    accuracy = "typical"        # "ideal" (default) | "typical" | "class-limit" | "custom"
    temperature = 23.0          # ambient temperature (degC) when none is set
    daily_swing = 0.0           # amplitude (K) of a daily temperature cycle, 0 = none
    hottest_hour = 15.0         # local standard time of the cycle's maximum (0..24)
    temperature_spread = 0.0    # +- K per meter (seeded by serial): meters in sun and shade

    [metrology.custom]          # accuracy = "custom" only
    spread = 0.0                # +- % per meter around the table (seeded by serial)
    temperature_coefficient = 0.0   # % per K away from 23 degC
    voltage_coefficient = 0.0       # % per % of Un
    frequency_coefficient = 0.0     # % per % of fn
    points = [ { current = 0.25, angle = 0, error = 0.2 }, ... ]   # A, degrees, %

A point's ``quantity`` is "active" (default) or "reactive"; ``angle`` is the degrees by which the
current lags the voltage (0 = PF 1, 60 = PF 0.5L, -36.87 = PF 0.8C; reactive 90 = sin phi 1).
The table is interpolated in log(current) and, between the angles given, linearly in angle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike

from k351c.codes import accuracy_limits as lim
from k351c.errors import ConfigError

AccuracyKind = Literal["ideal", "typical", "class-limit", "custom"]
KINDS: tuple[str, ...] = get_args(AccuracyKind)
QUANTITIES = ("active", "reactive")
MAXIMUM_CURRENT = 6.0
MIN_POINTS = 2
_TOP_KEYS = {
    "accuracy",
    "temperature",
    "daily_swing",
    "hottest_hour",
    "temperature_spread",
    "custom",
}
_CUSTOM_KEYS = {
    "spread",
    "temperature_coefficient",
    "voltage_coefficient",
    "frequency_coefficient",
    "points",
}


def _number(where: str, value: object, low: float, high: float) -> float:
    """A real number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(where, value, f"a number {low:g}..{high:g}")
    return float(value)


@dataclass(frozen=True, slots=True)
class ErrorPoint:
    """One point of a custom error table: the error (%) at a current (A) and angle (degrees)."""

    current: float
    error: float
    angle: float = 0.0
    quantity: str = "active"

    def to_dict(self) -> dict[str, Any]:
        """The point as the configuration file writes it."""
        out: dict[str, Any] = {"current": self.current, "angle": self.angle, "error": self.error}
        if self.quantity != "active":
            out["quantity"] = self.quantity
        return out


def _point(where: str, data: object) -> ErrorPoint:
    if not isinstance(data, Mapping):
        raise ConfigError(where, data, "a table {current, angle, error[, quantity]}")
    unknown = set(data) - {"current", "angle", "error", "quantity"}
    if unknown or "current" not in data or "error" not in data:
        raise ConfigError(where, dict(data), "keys current, error, angle, quantity")
    quantity = data.get("quantity", "active")
    if quantity not in QUANTITIES:
        raise ConfigError(f"{where}.quantity", quantity, list(QUANTITIES))
    return ErrorPoint(
        _number(f"{where}.current", data["current"], 0.001, MAXIMUM_CURRENT),
        _number(f"{where}.error", data["error"], -100.0, 100.0),
        _number(
            f"{where}.angle", data.get("angle", 0.0 if quantity == "active" else 90.0), -180, 180
        ),
        quantity,
    )


@dataclass(frozen=True, slots=True)
class CustomTable:
    """A measured (or wished-for) error table with its influence coefficients and per-meter spread."""

    points: tuple[ErrorPoint, ...] = ()
    spread: float = 0.0
    temperature_coefficient: float = 0.0
    voltage_coefficient: float = 0.0
    frequency_coefficient: float = 0.0

    @classmethod
    def from_dict(cls, data: Mapping) -> CustomTable:
        """Build from [metrology.custom]; every field is checked and named in errors."""
        if not isinstance(data, Mapping):
            raise ConfigError("metrology.custom", data, "a table")
        unknown = set(data) - _CUSTOM_KEYS
        if unknown:
            raise ConfigError("metrology.custom", sorted(unknown), sorted(_CUSTOM_KEYS))
        raw = data.get("points", [])
        if not isinstance(raw, list):
            raise ConfigError("metrology.custom.points", raw, "an array of tables")
        points = tuple(_point(f"metrology.custom.points[{j}]", p) for j, p in enumerate(raw))
        return cls(
            points,
            _number("metrology.custom.spread", data.get("spread", 0.0), 0.0, 10.0),
            _number(
                "metrology.custom.temperature_coefficient",
                data.get("temperature_coefficient", 0.0),
                -1.0,
                1.0,
            ),
            _number(
                "metrology.custom.voltage_coefficient", data.get("voltage_coefficient", 0.0), -1, 1
            ),
            _number(
                "metrology.custom.frequency_coefficient",
                data.get("frequency_coefficient", 0.0),
                -2.0,
                2.0,
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The table as the configuration file writes it."""
        return {
            "spread": self.spread,
            "temperature_coefficient": self.temperature_coefficient,
            "voltage_coefficient": self.voltage_coefficient,
            "frequency_coefficient": self.frequency_coefficient,
            "points": [p.to_dict() for p in self.points],
        }

    def curve(self, quantity: str, x: ArrayLike, folded_deg: ArrayLike) -> np.ndarray:
        """The table's error (%) at currents x = I/In and folded angles: log-current, then angle."""
        pts = [p for p in self.points if p.quantity == quantity]
        shape = np.broadcast(np.asarray(x), np.asarray(folded_deg)).shape
        if not pts:
            return np.zeros(shape)
        logx = np.log(np.maximum(np.broadcast_to(x, shape), 1e-6))
        groups: dict[float, list[ErrorPoint]] = {}
        for p in pts:
            groups.setdefault(round(_fold_point(p), 6), []).append(p)
        angles = np.array(sorted(groups))
        curves = np.stack([_log_interp(groups[a], logx) for a in angles])
        if angles.size == 1:
            return curves[0]
        a = np.clip(np.broadcast_to(folded_deg, shape), angles[0], angles[-1])
        j = np.clip(np.searchsorted(angles, a, side="right") - 1, 0, angles.size - 2)
        w = (a - angles[j]) / (angles[j + 1] - angles[j])
        lo = np.take_along_axis(curves, j[None], axis=0)[0]
        hi = np.take_along_axis(curves, (j + 1)[None], axis=0)[0]
        return lo + w * (hi - lo)

    def check(self, meter_class: str) -> None:
        """ConfigError unless the table has enough points and stays inside the class limits."""
        active = [p for p in self.points if p.quantity == "active"]
        if len({p.current for p in active}) < MIN_POINTS:
            raise ConfigError(
                "metrology.custom.points",
                len(active),
                f"at least {MIN_POINTS} active points at different currents",
            )
        reactive = [p for p in self.points if p.quantity == "reactive"]
        if reactive and len({p.current for p in reactive}) < MIN_POINTS:
            raise ConfigError(
                "metrology.custom.points",
                len(reactive),
                f"no reactive point, or at least {MIN_POINTS} at different currents",
            )
        for quantity, limits in (
            ("active", lim.active_limits(meter_class)),
            ("reactive", lim.REACTIVE_2),
        ):
            self._check_quantity(quantity, limits)
        self._check_coefficients(lim.active_limits(meter_class))

    def _check_quantity(self, quantity: str, limits: lim.ClassLimits) -> None:
        for j, p in enumerate(self.points):
            if p.quantity != quantity:
                continue
            folded = _fold_point(p)
            allowed = float(lim.reference_limit(limits, p.current / lim.NOMINAL_CURRENT, folded))
            if abs(p.error) + self.spread > allowed + 1e-9:
                raise ConfigError(
                    f"metrology.custom.points[{j}].error",
                    p.error,
                    f"|error| + spread <= {allowed:g} % (class {limits.name} at {p.current:g} A, "
                    f"angle {p.angle:g} deg)",
                )
        x = np.union1d(
            np.geomspace(0.01, MAXIMUM_CURRENT / lim.NOMINAL_CURRENT, 121),
            [p.current / lim.NOMINAL_CURRENT for p in self.points] + list(limits.breakpoint),
        )[:, None]
        angles = (-36.87, 0.0, 60.0) if quantity == "active" else (30.0, 90.0, 150.0)
        grid = np.array([_fold(a, quantity) for a in angles])[None, :]
        worst = np.abs(self.curve(quantity, x, grid)) + self.spread
        over = worst > lim.reference_limit(limits, x, grid) + 1e-9
        if over.any():
            k, m = np.argwhere(over)[0]
            raise ConfigError(
                "metrology.custom.points",
                f"{float(worst[k, m]):.3f} % at {float(x[k, 0]) * lim.NOMINAL_CURRENT:.3f} A",
                f"an interpolated curve inside class {limits.name}",
            )

    def _check_coefficients(self, limits: lim.ClassLimits) -> None:
        checks = (
            ("temperature_coefficient", self.temperature_coefficient, limits.temperature[0]),
            (
                "voltage_coefficient",
                self.voltage_coefficient * 100 * lim.RATED_VOLTAGE,
                limits.voltage[0],
            ),
            (
                "frequency_coefficient",
                self.frequency_coefficient * 100 * lim.RATED_FREQUENCY,
                limits.frequency[0],
            ),
        )
        for name, value, allowed in checks:
            if abs(value) > allowed + 1e-9:
                raise ConfigError(
                    f"metrology.custom.{name}",
                    getattr(self, name),
                    f"within class {limits.name}'s limit ({allowed:g} % over the test range)",
                )


def _fold(angle: float, quantity: str) -> float:
    """A point's angle folded as the metrology folds an element's (tangent of P/Q or Q/P)."""
    rad = math.radians(angle)
    c, s = (
        (math.cos(rad), math.sin(rad)) if quantity == "active" else (math.sin(rad), math.cos(rad))
    )
    return float(lim.fold_angle(np.asarray(c), np.asarray(s)))


def _fold_point(p: ErrorPoint) -> float:
    return _fold(p.angle, p.quantity)


def _log_interp(points: list[ErrorPoint], logx: np.ndarray) -> np.ndarray:
    order = sorted(points, key=lambda p: p.current)
    xs = np.log([p.current / lim.NOMINAL_CURRENT for p in order])
    return np.interp(logx, xs, [p.error for p in order])


@dataclass(frozen=True, slots=True)
class Metrology:
    """The [metrology] section: how the meter errs and the ambient temperature it sees."""

    accuracy: str = "ideal"
    temperature: float = lim.REFERENCE_TEMPERATURE
    daily_swing: float = 0.0
    hottest_hour: float = 15.0
    temperature_spread: float = 0.0
    custom: CustomTable = field(default_factory=CustomTable)

    def __post_init__(self) -> None:
        if self.accuracy not in KINDS:
            raise ConfigError("metrology.accuracy", self.accuracy, list(KINDS))
        low, high = lim.TEMPERATURE_RANGE
        _number("metrology.temperature", self.temperature, low, high)
        _number("metrology.daily_swing", self.daily_swing, 0.0, 40.0)
        _number("metrology.hottest_hour", self.hottest_hour, 0.0, 24.0)
        _number("metrology.temperature_spread", self.temperature_spread, 0.0, 30.0)

    @property
    def ideal(self) -> bool:
        """Whether the meter measures without error (the default)."""
        return self.accuracy == "ideal"

    def check(self, meter_class: str) -> None:
        """ConfigError if the custom table does not fit the meter's class (custom kind only)."""
        if self.accuracy == "custom":
            self.custom.check(meter_class)

    @classmethod
    def from_dict(cls, data: Mapping | None) -> Metrology:
        """Build from the parsed [metrology] table (None or {} gives the ideal default)."""
        if not data:
            return cls()
        if not isinstance(data, Mapping):
            raise ConfigError("metrology", data, "a table")
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise ConfigError("metrology", sorted(unknown), sorted(_TOP_KEYS))
        custom = CustomTable.from_dict(data.get("custom", {}))
        defaults = cls()
        return cls(
            accuracy=data.get("accuracy", defaults.accuracy),
            temperature=data.get("temperature", defaults.temperature),
            daily_swing=data.get("daily_swing", defaults.daily_swing),
            hottest_hour=data.get("hottest_hour", defaults.hottest_hour),
            temperature_spread=data.get("temperature_spread", defaults.temperature_spread),
            custom=custom,
        )

    def to_dict(self) -> dict[str, Any]:
        """The section as the configuration file writes it ({} for the default)."""
        if self == Metrology():
            return {}
        out: dict[str, Any] = {
            "accuracy": self.accuracy,
            "temperature": self.temperature,
            "daily_swing": self.daily_swing,
            "hottest_hour": self.hottest_hour,
            "temperature_spread": self.temperature_spread,
        }
        if self.custom != CustomTable():
            out["custom"] = self.custom.to_dict()
        return out
