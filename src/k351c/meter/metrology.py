"""Metrology: per-phase phasors (with optional harmonics) in, P, Q, S, PF and quadrants out (numpy).

Conventions (IEC 62053-23, consumer reference frame): ``angle`` is the degrees by which a
current lags its voltage, so P = U I cos(angle), Q = U I sin(angle); quadrant I is import
inductive, II export with Q > 0, III export with Q < 0, IV import capacitive.

Reactive power is what the meter's DSP computes by the quarter-period delay method: the
voltage is delayed by T/4 of the fundamental and multiplied by the current. For a harmonic
of order h that delay is h x 90 degrees, so

    Q = sum_h U_h I_h cos(h * 90deg - angle_h)

which is the fundamental reactive power Q1 (IEC 62053-24, IEEE 1459) plus the harmonic terms
with the sign pattern +sin for h = 1, 5, 9..., -sin for h = 3, 7, 11..., and +/-cos for even
orders. For sinusoidal signals (the IEC 62053-23 reference condition) it is U I sin(phi).
The waveform path (k351c.meter.waveform) computes exactly the same quantity, sample by sample.

Apparent power follows one definition, the arithmetic one (IEEE 1459 S_A, the per-phase sum that
EN 50470-3 / IEC 62053-24 meters use for VA): per phase S = U_rms I_rms (harmonics included),
total S = S_L1 + S_L2 + S_L3, and every PF = P / S of the same scope. So the total S is always the
sum of the phase values, and the total PF lies between the phase PFs, under harmonics and unbalance.

Aron (two-element, three-wire, X1 = 2) meters measure U12 with I1 and U32 with I3:
P = U12 I1 cos(30deg + phi1) + U32 I3 cos(30deg - phi3) for a symmetric system. Loads for
an Aron meter are given, like every load, as star (phase-to-neutral) phasors; the voltages
are taken at 0, -120 and +120 degrees (positive sequence). When the currents sum to zero
(a three-wire load), the two elements' totals equal the three-phase P and Q exactly.
What it shows per phase: the voltages are the line voltages U12, U31 (derived: U32 - U12) and
U32; the currents I1, I2 = -(I1 + I3) (derived, three-wire) and I3; P, Q, S and PF per phase are
those of the virtual star point (U1 = (2 U12 - U32)/3, U2 = -(U12 + U32)/3, U3 = (2 U32 - U12)/3),
whose sums equal the two elements' totals exactly, so a resistive load reads PF 1 everywhere.

A phase whose voltage is lost (< 50 % Un) registers no power, but its current is still measured
through its CT as long as the meter has supply on another phase; a meter with no supply at all
measures nothing (current 0, frequency 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from k351c.meter.accuracy import MeterErrors

NOMINAL_CURRENT = 5.0
MAXIMUM_CURRENT = 6.0
# Starting current Ist as a fraction of In for transformer-operated meters:
# EN 50470-3 classes B and C, IEC 62053-21 class 1, IEC 62053-22 class 0.5S, IEC 62053-23 class 2.
STARTING_CURRENT_FRACTION: dict[str, float] = {
    "B": 0.002,
    "C": 0.001,
    "1": 0.002,
    "0.5": 0.001,
    "0.5S": 0.001,
    "2": 0.003,
}
# The no-load (anti-creep) threshold sits below Ist so the meter starts at Ist with margin.
NO_LOAD_THRESHOLD_RATIO = 0.8
# Below this voltage (fraction of Un) a phase counts as lost.
VOLTAGE_PRESENT_FRACTION = 0.5
# Voltage angles of the star system L1, L2, L3 (positive sequence), radians.
PHASE_ANGLES = np.radians([0.0, -120.0, 120.0])
SQRT3 = float(np.sqrt(3.0))


def starting_current(meter_class: str, nominal_current: float = NOMINAL_CURRENT) -> float:
    """The standard's starting current Ist (A) of a transformer-operated meter of this class."""
    return STARTING_CURRENT_FRACTION.get(meter_class, 0.002) * nominal_current


def no_load_threshold(meter_class: str, nominal_current: float = NOMINAL_CURRENT) -> float:
    """Current (A) below which a measuring element registers nothing (anti-creep)."""
    return NO_LOAD_THRESHOLD_RATIO * starting_current(meter_class, nominal_current)


@dataclass(frozen=True, slots=True)
class PhaseInputs:
    """Per-phase inputs over n intervals: arrays (n, 3), frequency (n,); optional extras.

    voltage/current/angle are the fundamental's rms phasors. ``harmonics`` (n, 3, H, 4) holds
    (order, U_h, I_h, angle_h) per phase. ``p``/``q`` (n, 3), when given, are powers already
    measured from waveforms (voltage/current are then total rms values) and take precedence;
    ``s`` (n, 3) is then the measured apparent power (default U I), and ``distortion`` (n, 3)
    the harmonic rms current over the fundamental's that the waveform analysis found.
    """

    voltage: np.ndarray
    current: np.ndarray
    angle: np.ndarray
    frequency: np.ndarray
    harmonics: np.ndarray | None = None
    p: np.ndarray | None = None
    q: np.ndarray | None = None
    s: np.ndarray | None = None
    distortion: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of intervals."""
        return int(self.voltage.shape[0])

    def take(self, index: int | slice | np.ndarray) -> PhaseInputs:
        """The inputs of one interval, a slice or an index array of intervals (keeps 2-D shape)."""
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)

        def part(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[index]

        return PhaseInputs(
            self.voltage[index],
            self.current[index],
            self.angle[index],
            self.frequency[index],
            part(self.harmonics),
            part(self.p),
            part(self.q),
            part(self.s),
            part(self.distortion),
        )


@dataclass(frozen=True, slots=True)
class Measurement:
    """What the measuring elements compute, per interval and element (phase, or Aron element)."""

    voltage: np.ndarray
    current: np.ndarray
    p: np.ndarray
    q: np.ndarray
    s: np.ndarray
    frequency: np.ndarray
    powered: np.ndarray

    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def p_total(self) -> np.ndarray:
        """Total active power (sum of the elements), W (computed once, read-only)."""
        total = self._cache.get("p_total")
        if total is None:
            total = self._cache["p_total"] = _frozen(self.p.sum(axis=1))
        return total

    @property
    def q_total(self) -> np.ndarray:
        """Total reactive power, var (computed once, read-only)."""
        total = self._cache.get("q_total")
        if total is None:
            total = self._cache["q_total"] = _frozen(self.q.sum(axis=1))
        return total

    @property
    def s_total(self) -> np.ndarray:
        """Total apparent power, the arithmetic sum of the phases' S, VA (computed once, read-only)."""
        total = self._cache.get("s_total")
        if total is None:
            total = self._cache["s_total"] = _frozen(self.s.sum(axis=1))
        return total

    def last(self) -> dict[str, Any]:
        """The last interval as Python floats: per-element lists and the totals, computed once."""
        values = self._cache.get("last")
        if values is None:
            values = self._cache["last"] = self.row(-1)
        return values

    def row(self, r: int) -> dict[str, Any]:
        """Interval r as Python floats (what ``last`` gives for the last one)."""
        return {
            "voltage": self.voltage[r].tolist(),
            "current": self.current[r].tolist(),
            "p": self.p[r].tolist(),
            "q": self.q[r].tolist(),
            "s": self.s[r].tolist(),
            "frequency": float(self.frequency[r]),
            "p_total": float(self.p_total[r]),
            "q_total": float(self.q_total[r]),
            "s_total": float(self.s_total[r]),
        }

    @property
    def pf(self) -> np.ndarray:
        """Power factor per element with the IEC sign (negative on export)."""
        return power_factor(self.p, self.s)

    @property
    def pf_total(self) -> np.ndarray:
        """Total power factor with the IEC sign."""
        return power_factor(self.p_total, self.s_total)

    @property
    def quadrants(self) -> np.ndarray:
        """Quadrant 1..4 per element (0 without power)."""
        return quadrant(self.p, self.q)

    @property
    def quadrant_total(self) -> np.ndarray:
        """Quadrant 1..4 of the totals (0 without power)."""
        return quadrant(self.p_total, self.q_total)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def power_factor_value(p: float, s: float) -> float:
    """power_factor() of one pair of Python floats (the same IEEE operations, no arrays)."""
    pf = p / s if s > 0 else 1.0
    return min(max(pf, -1.0), 1.0)


def power_factor(p: np.ndarray, s: np.ndarray) -> np.ndarray:
    """IEC sign convention: PF = P/S, negative on export, 1.0 where there is no apparent power."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pf = np.where(s > 0, p / np.where(s > 0, s, 1.0), 1.0)
    return np.clip(pf, -1.0, 1.0)


def quadrant(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """IEC 62053-23 quadrant 1..4 (I import inductive ... IV import capacitive); 0 with no power."""
    quad = np.where(p >= 0, np.where(q >= 0, 1, 4), np.where(q >= 0, 2, 3))
    return np.where((p == 0) & (q == 0), 0, quad)


def _star_terms(inputs: PhaseInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-phase U rms, I rms, P and Q (quarter-period delay) of a four-wire connection (S = U I)."""
    u = np.asarray(inputs.voltage, dtype=float)
    i = np.asarray(inputs.current, dtype=float)
    phi = np.radians(np.asarray(inputs.angle, dtype=float))
    ui = u * i
    p, q = ui * np.cos(phi), ui * np.sin(phi)
    h = inputs.harmonics
    if h is not None and h.shape[-2]:
        order, uh, ih, phih = (h[..., k] for k in range(4))
        uih = uh * ih
        p = p + (uih * np.cos(np.radians(phih))).sum(axis=-1)
        q = q + (uih * np.cos(np.radians(order * 90.0 - phih))).sum(axis=-1)
        u = np.sqrt(u * u + (uh * uh).sum(axis=-1))
        i = np.sqrt(i * i + (ih * ih).sum(axis=-1))
    return u, i, p, q


def _phasors(inputs: PhaseInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Complex star phasors (n, 3, H+1) of voltage and current and the orders (n, 3, H+1)."""
    u = np.asarray(inputs.voltage, dtype=float)[..., None]
    i = np.asarray(inputs.current, dtype=float)[..., None]
    phi = np.asarray(inputs.angle, dtype=float)[..., None]
    order = np.ones_like(u)
    h = inputs.harmonics
    if h is not None and h.shape[-2]:
        order = np.concatenate([order, h[..., 0]], axis=-1)
        u = np.concatenate([u, h[..., 1]], axis=-1)
        i = np.concatenate([i, h[..., 2]], axis=-1)
        phi = np.concatenate([phi, h[..., 3]], axis=-1)
    theta = order * PHASE_ANGLES[None, :, None]
    return u * np.exp(1j * theta), i * np.exp(1j * (theta - np.radians(phi))), order


def _rms(phasors: np.ndarray) -> np.ndarray:
    """Rms value over the harmonic axis of complex phasors (n, H+1)."""
    return np.sqrt((np.abs(phasors) ** 2).sum(axis=-1))


def _aron_terms(
    inputs: PhaseInputs,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What a two-element meter measures (U12, I1; U32, I3) and shows per phase.

    Returns the shown line voltages (U12, U31, U32), the currents (I1, derived I2, I3), P, Q and S
    per phase of the virtual star point, and the star voltages scaled to line level (for the
    voltage-present test against the line-to-line Un).
    """
    uc, ic, order = _phasors(inputs)
    u12, u32 = uc[:, 0] - uc[:, 1], uc[:, 2] - uc[:, 1]
    i1, i3 = ic[:, 0], ic[:, 2]
    star = ((2.0 * u12 - u32) / 3.0, -(u12 + u32) / 3.0, (2.0 * u32 - u12) / 3.0)
    currents = (i1, -(i1 + i3), i3)
    lines = (u12, u32 - u12, u32)
    n = uc.shape[0]
    u, i, p, q, s, star_u = (np.zeros((n, 3)) for _ in range(6))
    delay = np.exp(-1j * np.radians(order[:, 0] * 90.0))
    for k in range(3):
        prod = star[k] * np.conj(currents[k])
        p[:, k] = prod.real.sum(axis=-1)
        q[:, k] = (prod * delay).real.sum(axis=-1)
        u[:, k] = _rms(lines[k])
        i[:, k] = _rms(currents[k])
        star_u[:, k] = _rms(star[k])
        s[:, k] = star_u[:, k] * i[:, k]
    return u, i, p, q, s, star_u * SQRT3


def measure(
    inputs: PhaseInputs,
    nominal_voltage: float = 230.0,
    meter_class: str = "B",
    aron: bool = False,
    errors: MeterErrors | None = None,
) -> Measurement:
    """Measure P, Q, S per element with the starting-current (anti-creep) and voltage-loss rules.

    ``nominal_voltage`` is Un of the element: phase voltage for four-wire meters, line-to-line
    voltage for Aron meters (3x230 V). ``errors`` (k351c.meter.accuracy) applies the meter's own
    error; the starting current and no-load rules look at the true current, so they hold under
    every accuracy kind.
    """
    if inputs.p is not None:
        u = np.asarray(inputs.voltage, dtype=float)
        i = np.asarray(inputs.current, dtype=float)
        p = np.asarray(inputs.p, dtype=float)
        q = np.asarray(inputs.q, dtype=float) if inputs.q is not None else np.zeros_like(p)
        s = u * i if inputs.s is None else np.asarray(inputs.s, dtype=float)
        element_u = u
    elif aron:
        u, i, p, q, s, element_u = _aron_terms(inputs)
    else:
        u, i, p, q = _star_terms(inputs)
        s, element_u = u * i, u
    lost = VOLTAGE_PRESENT_FRACTION * nominal_voltage
    powered = (u[:, 0] >= lost) | (u[:, 1] >= lost) | (u[:, 2] >= lost)
    flowing = (i >= no_load_threshold(meter_class)) & powered[:, None]
    active = flowing & (element_u >= lost)
    if errors is not None:
        i, p, q, s = errors.apply(inputs, element_u, i, p, q, s, nominal_voltage)
    i = np.where(flowing, i, 0.0)
    p = np.where(active, p, 0.0)
    q = np.where(active, q, 0.0)
    s = np.where(active, s, 0.0)
    frequency = np.where(powered, np.asarray(inputs.frequency, dtype=float), 0.0)
    return Measurement(u, i, p, q, s, frequency, powered)


def measure_config(inputs: PhaseInputs, config, errors: MeterErrors | None = None) -> Measurement:
    """measure() with the nominal voltage, class and connection of a MeterConfig."""
    return measure(inputs, config.nominal_voltage, config.meter_class, config.aron, errors)


def aron_voltage(line_to_line: float = 230.0) -> float:
    """The star (phase) voltage of a symmetric three-wire system of this line-to-line voltage."""
    return line_to_line / SQRT3
