"""The meter's own measuring error: per-meter error curves over the influence quantities (numpy).

Kinds ([metrology] accuracy): "ideal" measures exactly (no curves at all, the metrology is
untouched); "typical" is a smooth curve well inside the class, the shape of the data sheet's
typical accuracy charts (a gain error rising towards small currents, a phase error that tilts
PF 0.5 inductive and 0.8 capacitive apart, small linear voltage and frequency terms and a
temperature drift around 23 degC); "class-limit" sits at the edge of every limit of the class
(reference error, voltage, frequency, temperature coefficient and 5th-harmonic variation, all
with one sign) and is capped at the composite MPE of rated operating conditions: the worst
meter a utility may legally have; "custom" interpolates a configured table.

Each meter draws its own curve within the kind from a generator seeded by its serial number,
so a fleet has a spread, and a twin of fleet meter i (same serial) errs exactly like it. The
error is applied in ONE place, ``k351c.meter.metrology.measure``, through ``MeterErrors``:
registers, profiles, peaks, instantaneous values, pulses and the fleet all count it.

Errors are in percent: measured = true x (1 + error / 100), for P and Q per element; the
current the meter shows carries the amplitude error so that S and PF stay consistent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from k351c.codes import accuracy_limits as lim
from k351c.codes.metrology import Metrology
from k351c.meter.loads import hash_uniform

STREAM = 22  # seed stream of the error draws (the serial number is the other key)
DRAWS = 12
G0, GLOW, GHIGH, D0, DLOW, GQ, T1, T2, VU, VF, VH, PICK = range(DRAWS)
ROOT3 = math.sqrt(3.0)
TYPICAL = {  # fractions of the class's unit (PF 1 limit from Itr to Imax) or of each limit
    "gain": 0.15,
    "low": 0.25,
    "high": 0.05,
    "phase": 0.10,
    "phase_low": 0.10,
    "reactive": 0.10,
    "temperature": 0.10,
    "temperature_curve": 0.06,
    "voltage": 0.25,
    "frequency": 0.25,
    "harmonic": 0.25,
}
EDGE = (0.97, 1.0)
GRID = 900.0  # temperature is sampled once per 15-minute interval (the fleet's load grid)  # class-limit: each meter at 97..100 % of every limit


def interval_middles(starts: np.ndarray) -> np.ndarray:
    """The middle of the 15-minute interval holding each start time: where temperature is sampled."""
    return np.floor(np.asarray(starts, dtype=float) / GRID) * GRID + GRID / 2.0


def serial_draws(serials: np.ndarray) -> np.ndarray:
    """Uniform draws (n, DRAWS) in (0, 1), a counter-based hash of each serial number (deterministic)."""
    index = np.ravel(np.asarray(serials, dtype=np.int64))
    return np.stack([hash_uniform(STREAM, k, index) for k in range(DRAWS)], axis=1)


@dataclass(frozen=True, slots=True)
class ErrorCurves:
    """The error curves of a set of meters (rows of ``draws``) of one class and accuracy kind."""

    spec: Metrology
    active: lim.ClassLimits
    nominal_frequency: float
    draws: np.ndarray

    @classmethod
    def for_config(cls, config, serials=None) -> ErrorCurves | None:
        """Curves of meters of this configuration (serials default to its own); None if ideal."""
        spec: Metrology = config.metrology
        if spec.ideal:
            return None
        serials = np.atleast_1d(np.asarray(serials if serials is not None else int(config.serial)))
        return cls(
            spec,
            lim.active_limits(config.meter_class),
            float(config.nominal_frequency),
            serial_draws(serials),
        )

    def take(self, rows: np.ndarray) -> ErrorCurves:
        """The curves of these meters (indices into the rows, repeats allowed)."""
        return ErrorCurves(self.spec, self.active, self.nominal_frequency, self.draws[rows])

    def _r(self, k: int) -> np.ndarray:
        """Draw k as -1..1, shaped (rows, 1) to broadcast over the three elements."""
        return 2.0 * self.draws[:, k, None] - 1.0

    # ------------------------------------------------------------------ temperature
    def ambient(self, t: np.ndarray, utc_offset_minutes: int = 0) -> np.ndarray:
        """Ambient temperature (degC) of each row at POSIX times t: mean, per-meter offset, daily cycle."""
        spec = self.spec
        temp = spec.temperature + spec.temperature_spread * (2.0 * self.draws[:, PICK] - 1.0)
        if spec.daily_swing:
            hours = ((np.asarray(t, dtype=float) + 60.0 * utc_offset_minutes) / 3600.0) % 24.0
            temp = temp + spec.daily_swing * np.cos(
                2.0 * np.pi * (hours - spec.hottest_hour) / 24.0
            )
        return np.clip(temp, *lim.TEMPERATURE_RANGE)

    # ----------------------------------------------------------------------- errors
    def errors(self, cond: Conditions) -> tuple[np.ndarray, np.ndarray]:
        """Error in percent of P and of Q per row and element under these conditions."""
        kind = self.spec.accuracy
        if kind == "typical":
            return self._typical(cond)
        if kind == "class-limit":
            return self._edge(cond, self.active), self._edge(cond, lim.REACTIVE_2, reactive=True)
        if kind == "custom":
            return self._custom(cond)
        zero = np.zeros(np.broadcast(cond.x, cond.tan_p).shape)
        return zero, zero

    def _typical(self, c: Conditions) -> tuple[np.ndarray, np.ndarray]:
        f, r, unit = TYPICAL, self._r, self.active.high[0]
        low = np.sqrt(0.01 / np.maximum(c.x, 0.01))
        gain = unit * (f["gain"] * r(G0) + f["low"] * r(GLOW) * low + f["high"] * r(GHIGH) * c.x**2)
        phase_low = np.sqrt(0.02 / np.maximum(c.x, 0.02))
        delta = unit * (f["phase"] * r(D0) + f["phase_low"] * r(DLOW) * phase_low) / ROOT3
        ep = gain - delta * c.tan_p + self._typical_influences(c, self.active, c.fold_p)
        eq = (
            gain
            + lim.REACTIVE_2.high[0] * f["reactive"] * r(GQ)
            + delta * c.tan_q
            + self._typical_influences(c, lim.REACTIVE_2, c.fold_q)
        )
        return ep, eq

    def _typical_influences(self, c: Conditions, limits: lim.ClassLimits, fold) -> np.ndarray:
        f, r = TYPICAL, self._r
        w = lim.reduced_weight(limits, fold)
        k_t = lim.temperature_coefficient(limits, fold)
        d_t = c.temperature - lim.REFERENCE_TEMPERATURE
        temp = k_t * (
            f["temperature"] * r(T1) * d_t + f["temperature_curve"] * r(T2) * d_t**2 / 40.0
        )
        du = np.clip(c.du, *lim.VOLTAGE_RANGE) / lim.RATED_VOLTAGE
        volt = (
            (limits.voltage[0] + w * (limits.voltage[1] - limits.voltage[0]))
            * f["voltage"]
            * r(VU)
            * du
        )
        df = np.clip(c.df, -0.05, 0.05) / lim.RATED_FREQUENCY
        freq = (limits.frequency[0] + w * (limits.frequency[1] - limits.frequency[0])) * f[
            "frequency"
        ]
        harm = (
            limits.harmonic
            * f["harmonic"]
            * r(VH)
            * np.minimum(c.harmonic / lim.HARMONIC_CURRENT, 1.5)
        )
        return temp + volt + freq * r(VF) * df + harm

    def _edge(self, c: Conditions, limits: lim.ClassLimits, reactive: bool = False) -> np.ndarray:
        fold = c.fold_q if reactive else c.fold_p
        w = lim.reduced_weight(limits, fold)
        du = np.abs(c.du)
        volt_share = np.where(
            du <= lim.RATED_VOLTAGE,
            du / lim.RATED_VOLTAGE,
            np.minimum(1.0 + 2.0 * (du - lim.RATED_VOLTAGE) / lim.RATED_VOLTAGE, 3.0),
        )
        k_t = lim.temperature_coefficient(limits, fold)
        total = (
            lim.reference_limit(limits, c.x, fold)
            + (limits.voltage[0] + w * (limits.voltage[1] - limits.voltage[0])) * volt_share
            + (limits.frequency[0] + w * (limits.frequency[1] - limits.frequency[0]))
            * np.minimum(np.abs(c.df) / lim.RATED_FREQUENCY, 2.5)
            + k_t * np.abs(c.temperature - lim.REFERENCE_TEMPERATURE)
            + limits.harmonic * np.minimum(c.harmonic / lim.HARMONIC_CURRENT, 1.0)
        )
        rated = (du <= lim.RATED_VOLTAGE + 1e-12) & (np.abs(c.df) <= lim.RATED_FREQUENCY + 1e-12)
        cap = lim.composite_envelope(limits, c.x, c.temperature, k_t)
        total = np.where(rated, np.minimum(total, cap), total)
        sign = np.where(self.draws[:, PICK, None] < 0.5, -1.0, 1.0)
        edge = EDGE[0] + (EDGE[1] - EDGE[0]) * self.draws[:, G0, None]
        return sign * edge * total

    def _custom(self, c: Conditions) -> tuple[np.ndarray, np.ndarray]:
        table = self.spec.custom
        shift = (
            table.spread * self._r(G0)
            + table.temperature_coefficient * (c.temperature - lim.REFERENCE_TEMPERATURE)
            + table.voltage_coefficient * 100.0 * c.du
            + table.frequency_coefficient * 100.0 * c.df
        )
        ep = table.curve("active", c.x, c.fold_p) + shift
        if not any(p.quantity == "reactive" for p in table.points):
            return ep, np.zeros_like(ep)
        return ep, table.curve("reactive", c.x, c.fold_q) + shift


@dataclass(frozen=True, slots=True)
class Conditions:
    """The influence quantities per row and element, as the error curves take them."""

    x: np.ndarray  # I / In
    du: np.ndarray  # U / Un - 1
    df: np.ndarray  # f / fn - 1, (rows, 1)
    temperature: np.ndarray  # degC, (rows, 1)
    harmonic: np.ndarray  # harmonic current / fundamental current
    fold_p: np.ndarray  # phase angle folded by P (degrees, -90..90)
    fold_q: np.ndarray  # and by Q

    @property
    def tan_p(self) -> np.ndarray:
        """tan(phi) limited to PF 0.5 (the phase error's weight on P)."""
        return np.clip(np.tan(np.radians(self.fold_p)), -ROOT3, ROOT3)

    @property
    def tan_q(self) -> np.ndarray:
        """cot(phi) limited to sin phi 0.5 (the phase error's weight on Q)."""
        return np.clip(np.tan(np.radians(self.fold_q)), -ROOT3, ROOT3)


@dataclass(frozen=True, slots=True)
class MeterErrors:
    """Error curves bound to the rows of one measurement and their temperatures: the metrology's hook."""

    curves: ErrorCurves
    temperature: np.ndarray  # (rows,) degC

    def apply(self, inputs, u, i, p, q, s, nominal_voltage: float):
        """(current, P, Q, S) as this meter measures them: the true values with its error applied.

        ``u`` is each element's voltage at the level of ``nominal_voltage``; the current and S
        carry the amplitude error of (P, Q) so that PF = P/S stays what the meter computes.
        """
        freq = np.asarray(inputs.frequency, dtype=float)[:, None]
        cond = Conditions(
            x=i / lim.NOMINAL_CURRENT,
            du=u / nominal_voltage - 1.0,
            df=freq / self.curves.nominal_frequency - 1.0,
            temperature=np.asarray(self.temperature, dtype=float)[:, None],
            harmonic=_harmonic_ratio(inputs),
            fold_p=lim.fold_angle(p, q),
            fold_q=lim.fold_angle(q, p),
        )
        ep, eq = self.curves.errors(cond)
        p2 = p * (1.0 + ep / 100.0)
        q2 = q * (1.0 + eq / 100.0)
        true = np.hypot(p, q)
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(true > 0, np.hypot(p2, q2) / np.where(true > 0, true, 1.0), 1.0)
        return i * gain, p2, q2, s * gain


def _harmonic_ratio(inputs) -> np.ndarray:
    """Harmonic rms current over the fundamental's per row and phase (0 without harmonics)."""
    h = inputs.harmonics
    if h is None or not h.shape[-2] or inputs.p is not None:
        return np.zeros(np.shape(inputs.current))
    ih = np.sqrt((h[..., 2] ** 2).sum(axis=-1))
    i1 = np.asarray(inputs.current, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(i1 > 0, ih / np.where(i1 > 0, i1, 1.0), 0.0)


def error_at(
    config,
    serials,
    current: float,
    angle: float = 0.0,
    voltage: float | None = None,
    frequency: float | None = None,
    temperature: float = 23.0,
    harmonic: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Error (%) of total P and Q of these meters at one balanced test point, through ``measure``.

    ``voltage`` and ``frequency`` default to nominal; ``harmonic`` adds a 5th-harmonic current of
    that share (with U5 10 % at 0 degrees, the IEC test waveform). What the docs, the charts and
    the tests read, so they check the same code path the meter registers with.
    """
    from k351c.meter.metrology import PhaseInputs, measure

    serials = np.atleast_1d(np.asarray(serials))
    n = serials.size
    curves = ErrorCurves.for_config(config, serials)
    un = float(config.nominal_voltage)
    u = np.full((n, 3), un if voltage is None else float(voltage))
    f = np.full(n, config.nominal_frequency if frequency is None else float(frequency))
    harmonics = None
    if harmonic:
        row = [5.0, 0.1 * un, harmonic * current, 0.0]
        harmonics = np.broadcast_to(np.asarray(row), (n, 3, 1, 4)).copy()
    inputs = PhaseInputs(u, np.full((n, 3), current), np.full((n, 3), angle), f, harmonics)
    true = measure(inputs, un, config.meter_class, config.aron)
    if curves is None:
        return np.zeros(n), np.zeros(n)
    errors = MeterErrors(curves, np.full(n, float(temperature)))
    meas = measure(inputs, un, config.meter_class, config.aron, errors)
    with np.errstate(divide="ignore", invalid="ignore"):
        ep = 100.0 * (meas.p_total / true.p_total - 1.0)
        eq = 100.0 * (meas.q_total / true.q_total - 1.0)
    return np.nan_to_num(ep), np.nan_to_num(eq)
