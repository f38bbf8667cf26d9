"""The meter's own measuring error: per-meter error curves over the influence quantities (numpy).

Kinds ([metrology] accuracy): "ideal" measures exactly (no curves at all, the metrology is
untouched); "typical" is a smooth curve well inside the class, the shape of the data sheet's
typical accuracy charts (a gain error rising towards small currents, a phase error that tilts
PF 0.5 inductive and 0.8 capacitive apart, small linear voltage and frequency terms and a
temperature drift around 23 degC); "class-limit" sits at the edge of every limit of the class
(reference error, voltage, frequency, temperature coefficient and 5th-harmonic variation, all
with one sign) and is capped at the composite MPE of rated operating conditions: the worst
meter a utility may legally have; "custom" interpolates a configured table.

Each meter draws its own curve within the kind from a counter-based hash of its serial number,
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
from k351c.errors import ConfigError
from k351c.meter.loads import hash_uniform

STREAM = 22  # seed stream of the error draws (the serial number is the other key)
DRAWS = 13
G0, GLOW, GHIGH, D0, DLOW, GQ, T1, T2, VU, VF, VH, PICK, AMBIENT = range(DRAWS)
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
EDGE = (0.97, 1.0)  # class-limit: each meter at 97..100 % of every limit
GRID = 900.0  # temperature is sampled once per 15-minute interval (the fleet's load grid)


def checked_temperature(celsius: float | None) -> float | None:
    """A temperature the meter can be set to (degC, the data sheet's operating range), or None."""
    if celsius is None:
        return None
    low, high = lim.TEMPERATURE_RANGE
    if isinstance(celsius, bool) or not isinstance(celsius, (int, float, np.integer, np.floating)):
        raise ConfigError("temperature", celsius, f"a number {low:g}..{high:g} (degC)")
    if not low <= celsius <= high:
        raise ConfigError("temperature", celsius, f"{low:g}..{high:g} (degC)")
    return float(celsius)


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

    # ------------------------------------------------------------------ temperature
    def ambient(self, t: np.ndarray, utc_offset_minutes: int = 0) -> np.ndarray:
        """Ambient temperature (degC) of each row at POSIX times t: mean, per-meter offset, daily cycle."""
        spec = self.spec
        temp = spec.temperature + spec.temperature_spread * (2.0 * self.draws[:, AMBIENT] - 1.0)
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
            return self._edge(cond, self.active, cond.w_p), self._edge(
                cond, lim.REACTIVE_2, cond.w_q
            )
        if kind == "custom":
            return self._custom(cond)
        zero = np.zeros(np.shape(cond.tan_p))
        return zero, zero

    def _col(self, k: int, scale: float) -> np.ndarray | float:
        """Draw k as -scale..scale, shaped (rows, 1) to broadcast over the three elements.

        One meter's draw is a Python float: a single meter steps with tiny arrays, where each
        numpy call costs more than its arithmetic.
        """
        if self.draws.shape[0] == 1:
            return scale * (2.0 * float(self.draws[0, k]) - 1.0)
        return scale * (2.0 * self.draws[:, k, None] - 1.0)

    def _typical(self, c: Conditions) -> tuple[np.ndarray, np.ndarray]:
        """Gain error (rising towards small currents) and phase error (P: -delta tan, Q: +delta cot)."""
        f, col, unit = TYPICAL, self._col, self.active.high[0]
        x = c.x
        low = np.sqrt(0.01 / np.maximum(x, 0.01))
        phase_low = np.sqrt(0.02 / np.maximum(x, 0.02))
        gain = col(G0, unit * f["gain"]) + col(GLOW, unit * f["low"]) * low
        gain += col(GHIGH, unit * f["high"]) * (x * x)
        delta = (
            col(D0, unit * f["phase"] / ROOT3)
            + col(DLOW, unit * f["phase_low"] / ROOT3) * phase_low
        )
        ep = gain - delta * c.tan_p + self._influences(c, self.active, c.w_p)
        eq = gain + delta * c.tan_q + col(GQ, lim.REACTIVE_2.high[0] * f["reactive"])
        eq += self._influences(c, lim.REACTIVE_2, c.w_q)
        return ep, eq

    def _influences(self, c: Conditions, limits: lim.ClassLimits, w: np.ndarray) -> np.ndarray:
        """Typical temperature, voltage, frequency and harmonic terms, fractions of their limits."""
        f, col = TYPICAL, self._col
        d_t = c.temperature - lim.REFERENCE_TEMPERATURE
        temp = col(T1, f["temperature"]) * d_t + col(T2, f["temperature_curve"] / 40.0) * d_t * d_t
        freq = col(VF, f["frequency"] / lim.RATED_FREQUENCY) * np.clip(c.df, -0.05, 0.05)
        volt = col(VU, f["voltage"] / lim.RATED_VOLTAGE) * np.clip(c.du, *lim.VOLTAGE_RANGE)
        out = lim.pair(limits.temperature, w) * temp + lim.pair(limits.voltage, w) * volt
        out += lim.pair(limits.frequency, w) * freq
        if limits.harmonic and c.harmonic is not None:
            share = np.minimum(c.harmonic / lim.HARMONIC_CURRENT, 1.5)
            out += col(VH, limits.harmonic * f["harmonic"]) * share
        return out

    def _edge(self, c: Conditions, limits: lim.ClassLimits, w: np.ndarray) -> np.ndarray:
        """Every limit at once with the meter's sign, capped by the composite MPE where it applies."""
        du = np.abs(c.du)
        volt_share = np.where(
            du <= lim.RATED_VOLTAGE,
            du / lim.RATED_VOLTAGE,
            np.minimum(1.0 + 2.0 * (du - lim.RATED_VOLTAGE) / lim.RATED_VOLTAGE, 3.0),
        )
        k_t = lim.pair(limits.temperature, w)
        df = np.abs(c.df)
        total = (
            lim.reference_limit_w(limits, c.x, w)
            + lim.pair(limits.voltage, w) * volt_share
            + lim.pair(limits.frequency, w) * np.minimum(df / lim.RATED_FREQUENCY, 2.5)
            + k_t * np.abs(c.temperature - lim.REFERENCE_TEMPERATURE)
        )
        if limits.harmonic and c.harmonic is not None:
            total += limits.harmonic * np.minimum(c.harmonic / lim.HARMONIC_CURRENT, 1.0)
        rated = (du <= lim.RATED_VOLTAGE + 1e-12) & (df <= lim.RATED_FREQUENCY + 1e-12)
        cap = lim.composite_envelope(limits, c.x, c.temperature, k_t)
        total = np.where(rated, np.minimum(total, cap), total)
        sign = np.sign(self._col(PICK, 1.0))
        return (sign * (EDGE[0] + (EDGE[1] - EDGE[0]) * (self._col(G0, 0.5) + 0.5))) * total

    def _custom(self, c: Conditions) -> tuple[np.ndarray, np.ndarray]:
        """The configured table, its coefficients and the meter's offset within the spread."""
        table = self.spec.custom
        shift = (
            self._col(G0, table.spread)
            + table.temperature_coefficient * (c.temperature - lim.REFERENCE_TEMPERATURE)
            + table.voltage_coefficient * 100.0 * c.du
            + table.frequency_coefficient * 100.0 * c.df
        )
        ep = table.curve("active", c.x, lim.fold_angle(c.p, c.q)) + shift
        if not any(p.quantity == "reactive" for p in table.points):
            return ep, np.zeros_like(ep)
        return ep, table.curve("reactive", c.x, lim.fold_angle(c.q, c.p)) + shift


@dataclass(frozen=True, slots=True)
class Conditions:
    """The influence quantities per row and element, as the error curves take them."""

    x: np.ndarray  # I / In
    du: np.ndarray  # U / Un - 1
    df: np.ndarray  # f / fn - 1, (rows, 1)
    temperature: np.ndarray  # degC, (rows, 1)
    harmonic: np.ndarray | None  # harmonic current / fundamental current; None without
    p: np.ndarray
    q: np.ndarray
    w_p: np.ndarray  # reduced-PF weight of the active limits (0 at PF 1, 1 at PF 0.5L / 0.8C)
    w_q: np.ndarray  # and of the reactive limits (0 at sin phi 1, 1 at sin phi 0.5)
    tan_p: np.ndarray  # tan(phi) = Q/P, limited to PF 0.5: the phase error's weight on P
    tan_q: np.ndarray  # cot(phi) = P/Q, limited to sin phi 0.5: its weight on Q

    @classmethod
    def of(cls, x, du, df, temperature, harmonic, p, q, s_vector, active) -> Conditions:
        """Conditions of elements with powers p, q (s_vector = hypot(p, q))."""
        safe = np.where(s_vector > 0, s_vector, 1.0)
        lagging = p * q >= 0
        w_p = lim.weight(active, np.abs(p) / safe, lagging)
        w_q = lim.weight(lim.REACTIVE_2, np.abs(q) / safe, lagging)
        tan_p = np.clip(np.divide(q, p, out=np.zeros_like(q), where=p != 0), -ROOT3, ROOT3)
        tan_q = np.clip(np.divide(p, q, out=np.zeros_like(p), where=q != 0), -ROOT3, ROOT3)
        return cls(x, du, df, temperature, harmonic, p, q, w_p, w_q, tan_p, tan_q)


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
        curves = self.curves
        true = np.hypot(p, q)
        cond = Conditions.of(
            i / lim.NOMINAL_CURRENT,
            u / nominal_voltage - 1.0,
            np.asarray(inputs.frequency, dtype=float)[:, None] / curves.nominal_frequency - 1.0,
            np.asarray(self.temperature, dtype=float)[:, None],
            _harmonic_ratio(inputs),
            p,
            q,
            true,
            curves.active,
        )
        ep, eq = curves.errors(cond)
        p2 = p * (1.0 + ep / 100.0)
        q2 = q * (1.0 + eq / 100.0)
        gain = np.divide(np.hypot(p2, q2), true, out=np.ones_like(true), where=true > 0)
        return i * gain, p2, q2, s * gain


def _harmonic_ratio(inputs) -> np.ndarray | None:
    """Harmonic rms current over the fundamental's per row and phase (None without harmonics)."""
    if inputs.p is not None:
        return inputs.distortion
    h = inputs.harmonics
    if h is None or not h.shape[-2]:
        return None
    ih = np.sqrt((h[..., 2] ** 2).sum(axis=-1))
    i1 = np.asarray(inputs.current, dtype=float)
    return np.divide(ih, i1, out=np.zeros_like(ih), where=i1 > 0)


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
