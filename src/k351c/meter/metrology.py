"""Metrology: per-phase voltage and current phasors in, P, Q, S, PF and quadrants out (numpy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Starting current as a fraction of the nominal current In (5 A) per accuracy class:
# EN 50470-3 (B, C) and IEC 62053-21/22 (1, 0.5) for transformer-operated meters.
STARTING_CURRENT_FRACTION: dict[str, float] = {"B": 0.002, "C": 0.001, "1": 0.002, "0.5": 0.001}
NOMINAL_CURRENT = 5.0
# Below this voltage (fraction of Un) a phase counts as lost.
VOLTAGE_PRESENT_FRACTION = 0.5


@dataclass(frozen=True, slots=True)
class PhaseInputs:
    """Per-phase rms values over n intervals: arrays of shape (n, 3); frequency shape (n,)."""

    voltage: np.ndarray
    current: np.ndarray
    angle: np.ndarray
    frequency: np.ndarray

    @property
    def n(self) -> int:
        """Number of intervals."""
        return int(self.voltage.shape[0])

    def take(self, index: int | slice) -> PhaseInputs:
        """The inputs of one interval or a slice of intervals (keeps 2-D shape)."""
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        return PhaseInputs(
            self.voltage[index], self.current[index], self.angle[index], self.frequency[index]
        )


@dataclass(frozen=True, slots=True)
class Measurement:
    """What the measuring systems compute from PhaseInputs, per interval and phase."""

    voltage: np.ndarray
    current: np.ndarray
    p: np.ndarray
    q: np.ndarray
    s: np.ndarray
    frequency: np.ndarray
    powered: np.ndarray

    @property
    def p_total(self) -> np.ndarray:
        """Total active power (vector sum of the phases), W."""
        return self.p.sum(axis=1)

    @property
    def q_total(self) -> np.ndarray:
        """Total reactive power, var."""
        return self.q.sum(axis=1)

    @property
    def s_total(self) -> np.ndarray:
        """Total apparent power as sqrt(P^2 + Q^2) of the totals, VA."""
        return np.hypot(self.p_total, self.q_total)


def power_factor(p: np.ndarray, s: np.ndarray) -> np.ndarray:
    """IEC sign convention: PF = P/S, negative on export, 1.0 where there is no apparent power."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pf = np.where(s > 0, p / np.where(s > 0, s, 1.0), 1.0)
    return np.clip(pf, -1.0, 1.0)


def quadrant(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """IEC 62053-23 quadrant 1..4 (I import inductive ... IV import capacitive); 0 with no power."""
    quad = np.where(p >= 0, np.where(q >= 0, 1, 4), np.where(q >= 0, 2, 3))
    return np.where((p == 0) & (q == 0), 0, quad)


def measure(
    inputs: PhaseInputs,
    nominal_voltage: float = 230.0,
    meter_class: str = "B",
    aron: bool = False,
) -> Measurement:
    """Compute per-phase P = U I cos(phi), Q = U I sin(phi), S = U I with starting current and creep rules."""
    voltage = np.asarray(inputs.voltage, dtype=float)
    current = np.asarray(inputs.current, dtype=float)
    powered_phase = voltage >= VOLTAGE_PRESENT_FRACTION * nominal_voltage
    starting = STARTING_CURRENT_FRACTION.get(meter_class, 0.002) * NOMINAL_CURRENT
    current = np.where(powered_phase & (current >= starting), current, 0.0)
    phi = np.radians(np.asarray(inputs.angle, dtype=float))
    s = voltage * current
    p = s * np.cos(phi)
    q = s * np.sin(phi)
    if aron:
        # Aron (two-wattmeter) connection: phase L2 carries no measuring element.
        p[:, 1] = 0.0
        q[:, 1] = 0.0
        s[:, 1] = 0.0
    powered = powered_phase.any(axis=1)
    return Measurement(voltage, current, p, q, s, np.asarray(inputs.frequency, float), powered)
