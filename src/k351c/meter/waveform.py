"""Sampled-waveform metrology: u(t), i(t) per phase in, rms, P, Q (quarter-period delay), PF out.

This is the meter's DSP path: U and I are true rms, P = mean(u i) over a whole number of
fundamental periods found from the voltage's zero crossings, Q = mean(u(t - T/4) i(t)) with the
voltage delayed by a quarter of the measured fundamental period (see k351c.meter.metrology for
what that gives with harmonics: Q1 plus the harmonic terms with the h x 90 degree sign pattern).
A window converts to PhaseInputs carrying the measured P and Q, so the meter registers it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from k351c.meter.loads import Segments, grid_times
from k351c.meter.metrology import PHASE_ANGLES, PhaseInputs, power_factor, quadrant

SQRT2 = float(np.sqrt(2.0))


@dataclass(frozen=True, slots=True)
class WaveformMeasurement:
    """Per-element results of one window: arrays of shape (3,), frequency in Hz."""

    voltage: np.ndarray
    current: np.ndarray
    p: np.ndarray
    q: np.ndarray
    s: np.ndarray
    frequency: float
    distortion: np.ndarray | None = None  # harmonic rms current / fundamental rms current

    @property
    def p_total(self) -> float:
        """Total active power, W."""
        return float(self.p.sum())

    @property
    def q_total(self) -> float:
        """Total reactive power, var."""
        return float(self.q.sum())

    @property
    def pf(self) -> np.ndarray:
        """Power factor per element, IEC sign."""
        return power_factor(self.p, self.s)

    @property
    def s_total(self) -> float:
        """Total apparent power, the arithmetic sum of the phases' S (k351c.meter.metrology)."""
        return float(self.s.sum())

    @property
    def pf_total(self) -> float:
        """Total power factor P/S of the totals, IEC sign."""
        return float(power_factor(np.array(self.p_total), np.array(self.s_total)))

    @property
    def quadrants(self) -> np.ndarray:
        """Quadrant per element."""
        return quadrant(self.p, self.q)

    @property
    def quadrant_total(self) -> int:
        """Quadrant of the totals."""
        return int(quadrant(np.array(self.p_total), np.array(self.q_total)))

    def to_phase_inputs(self) -> PhaseInputs:
        """One interval of PhaseInputs carrying the measured rms, P and Q."""
        angle = np.degrees(np.arctan2(self.q, self.p))
        return PhaseInputs(
            self.voltage[None, :],
            self.current[None, :],
            angle[None, :],
            np.array([self.frequency]),
            p=self.p[None, :],
            q=self.q[None, :],
            s=self.s[None, :],
            distortion=None if self.distortion is None else self.distortion[None, :],
        )


def synthesize(
    inputs: PhaseInputs, sample_rate: float, duration: float, t0: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Star waveforms u, i of shape (3, N) of the first interval's phasors and harmonics."""
    t = t0 + np.arange(int(round(duration * sample_rate))) / sample_rate
    w = 2 * np.pi * float(inputs.frequency[0])
    rows = [(1.0, inputs.voltage[0], inputs.current[0], inputs.angle[0])]
    if inputs.harmonics is not None:
        h = inputs.harmonics[0]
        rows += [(h[0, k, 0], h[:, k, 1], h[:, k, 2], h[:, k, 3]) for k in range(h.shape[1])]
    u = np.zeros((3, t.size))
    i = np.zeros((3, t.size))
    for order, uh, ih, phih in rows:
        theta = order * (w * t[None, :] + PHASE_ANGLES[:, None])
        u += SQRT2 * np.asarray(uh)[:, None] * np.cos(theta)
        i += SQRT2 * np.asarray(ih)[:, None] * np.cos(theta - np.radians(np.asarray(phih))[:, None])
    return u, i


def rising_zero_crossings(
    x: np.ndarray, sample_rate: float, hysteresis: float = 0.25
) -> np.ndarray:
    """Instants (s) of the rising zero crossings, linearly interpolated.

    A crossing counts only after the signal has been below -hysteresis x peak since the last
    one, so harmonic wiggles around zero do not add crossings.
    """
    k = np.nonzero((x[:-1] < 0) & (x[1:] >= 0))[0]
    if k.size == 0:
        return np.zeros(0)
    armed = x < -hysteresis * float(np.max(np.abs(x)))
    last_armed = np.maximum.accumulate(np.where(armed, np.arange(x.size), -1))
    k = k[last_armed[k] > np.concatenate(([-1], k[:-1]))]
    frac = -x[k] / (x[k + 1] - x[k])
    return (k + frac) / sample_rate


def zero_crossing_frequency(x: np.ndarray, sample_rate: float) -> float:
    """Fundamental frequency from the rising zero crossings (0.0 if fewer than two)."""
    tc = rising_zero_crossings(x, sample_rate)
    if tc.size < 2:
        return 0.0
    return (tc.size - 1) / (tc[-1] - tc[0])


def _elements(
    u: np.ndarray, i: np.ndarray, aron: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shown voltages, the voltages powers are taken with, and the currents, per phase.

    Four-wire: the star signals. Aron: the line voltages U12, U31, U32 are shown; powers use the
    virtual star point of U12 and U32 and the currents I1, I2 = -(I1 + I3), I3 (metrology docs).
    """
    if not aron:
        return u, u, i
    u12, u32 = u[0] - u[1], u[2] - u[1]
    star = np.stack([(2 * u12 - u32) / 3, -(u12 + u32) / 3, (2 * u32 - u12) / 3])
    return np.stack([u12, u32 - u12, u32]), star, np.stack([i[0], -(i[0] + i[2]), i[2]])


def analyse(
    u: np.ndarray, i: np.ndarray, sample_rate: float, aron: bool = False
) -> WaveformMeasurement:
    """Measure one window of star waveforms (3, N) over whole periods of the fundamental."""
    shown, ue, ie = _elements(np.asarray(u, dtype=float), np.asarray(i, dtype=float), aron)
    ref = shown[int(np.argmax(np.abs(shown).max(axis=1)))]
    tc = rising_zero_crossings(ref, sample_rate)
    freq = (tc.size - 1) / (tc[-1] - tc[0]) if tc.size >= 2 else 0.0
    if freq <= 0:
        return _no_signal(shown, ie)
    quarter = 0.25 / freq
    starts = tc[tc >= quarter]
    if starts.size < 2:
        raise ValueError("the window must hold at least a quarter period plus one whole period")
    t = np.arange(ue.shape[1]) / sample_rate
    weight = _window_weights(t, starts[0], starts[-1], 1.0 / sample_rate)
    k = np.nonzero(weight)[0]
    w = weight[k] / weight[k].sum()
    delayed = np.stack([np.interp(t[k] - quarter, t, row) for row in ue])
    uw, iw, sw = ue[:, k], ie[:, k], shown[:, k]
    urms = np.sqrt((uw * uw) @ w)
    irms = np.sqrt((iw * iw) @ w)
    p = (uw * iw) @ w
    q = (delayed * iw) @ w
    fundamental = SQRT2 * np.abs((iw * np.exp(-2j * np.pi * freq * t[k])) @ w)
    harmonic = np.sqrt(np.maximum(irms * irms - fundamental * fundamental, 0.0))
    distortion = np.divide(harmonic, fundamental, out=np.zeros(3), where=fundamental > 0)
    shown_rms = np.sqrt((sw * sw) @ w)
    return WaveformMeasurement(shown_rms, irms, p, q, urms * irms, float(freq), distortion)


def _window_weights(t: np.ndarray, start: float, end: float, h: float) -> np.ndarray:
    """Midpoint-rule weights of each sample's cell inside [start, end] (fractional at the ends)."""
    return np.clip(np.minimum(t + h / 2, end) - np.maximum(t - h / 2, start), 0.0, None)


def _no_signal(ue: np.ndarray, ie: np.ndarray) -> WaveformMeasurement:
    urms = np.sqrt(np.mean(ue * ue, axis=1))
    irms = np.sqrt(np.mean(ie * ie, axis=1))
    zero = np.zeros(3)
    return WaveformMeasurement(urms, irms, zero, zero.copy(), urms * irms, 0.0)


def stack_inputs(parts: list[PhaseInputs]) -> PhaseInputs:
    """Concatenate single- or multi-interval PhaseInputs that carry measured P and Q."""
    return PhaseInputs(
        np.concatenate([x.voltage for x in parts]),
        np.concatenate([x.current for x in parts]),
        np.concatenate([x.angle for x in parts]),
        np.concatenate([x.frequency for x in parts]),
        p=np.concatenate([x.p for x in parts]),
        q=np.concatenate([x.q for x in parts]),
        s=None if any(x.s is None for x in parts) else np.concatenate([x.s for x in parts]),
        distortion=None
        if any(x.distortion is None for x in parts)
        else np.concatenate([x.distortion for x in parts]),
    )


class WaveformLoad:
    """A sampled record (3, N) repeated from ``origin``; each ``window`` seconds analysed once."""

    def __init__(
        self,
        u: np.ndarray,
        i: np.ndarray,
        sample_rate: float,
        window: float | None = None,
        origin: float = 0.0,
        aron: bool = False,
    ) -> None:
        u = np.asarray(u, dtype=float)
        i = np.asarray(i, dtype=float)
        self.sample_rate = float(sample_rate)
        self.origin = float(origin)
        self.period = u.shape[1] / self.sample_rate
        self.window = self.period if window is None else float(window)
        per = int(round(self.window * self.sample_rate))
        count = max(1, u.shape[1] // per)
        self.window = self.period / count
        results = [
            analyse(u[:, k * per : (k + 1) * per], i[:, k * per : (k + 1) * per], sample_rate, aron)
            for k in range(count)
        ]
        self.measurements = results
        self.inputs = stack_inputs([m.to_phase_inputs() for m in results])

    def segments(self, t0: float, t1: float) -> Segments:
        """Intervals on the window grid; the record repeats with its own period."""
        n = self.inputs.n
        if n == 1:
            return Segments(np.array([t0, t1], dtype=float), self.inputs)
        times = grid_times(t0, t1, self.window, self.origin)
        mid = (times[:-1] + times[1:]) / 2
        index = np.floor((mid - self.origin) / self.window).astype(np.int64) % n
        return Segments(times, self.inputs.take(index))
