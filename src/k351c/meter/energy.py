"""Energy registers: integer Wh/varh per quantity, phase and tariff, with an explicit remainder carry."""

from __future__ import annotations

import numpy as np

from k351c.meter.metrology import Measurement

QUANTITIES = ("A+", "A-", "R+", "R-")
# OBIS C of each quantity: total, L1, L2, L3 (IEC 62056-6-1).
QUANTITY_C = {"A+": (1, 21, 41, 61), "A-": (2, 22, 42, 62), "R+": (3, 23, 43, 63), "R-": (4, 24, 44, 64)}
SLOTS = 8  # 0 total, 1..3 phases L1..L3, 4..7 tariffs 1..4
TARIFF_SLOT0 = 4


def step_energy_ws(meas: Measurement, durations: np.ndarray, tariff: int) -> np.ndarray:
    """Energy of one step in Ws (var s) as a (4 quantities, 8 slots) array, booked to ``tariff`` 1..4."""
    dt = np.asarray(durations, dtype=float)
    out = np.zeros((4, SLOTS))
    p_tot, q_tot = meas.p_total, meas.q_total
    out[0, 0] = np.dot(np.maximum(p_tot, 0.0), dt)
    out[1, 0] = np.dot(np.maximum(-p_tot, 0.0), dt)
    out[2, 0] = np.dot(np.maximum(q_tot, 0.0), dt)
    out[3, 0] = np.dot(np.maximum(-q_tot, 0.0), dt)
    out[0, 1:4] = dt @ np.maximum(meas.p, 0.0)
    out[1, 1:4] = dt @ np.maximum(-meas.p, 0.0)
    out[2, 1:4] = dt @ np.maximum(meas.q, 0.0)
    out[3, 1:4] = dt @ np.maximum(-meas.q, 0.0)
    out[:, TARIFF_SLOT0 + tariff - 1] = out[:, 0]
    return out


class EnergyBank:
    """One set of registers (secondary or primary): int64 Wh counts plus a float remainder in [0, 1)."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask
        self.counts = np.zeros((4, SLOTS), dtype=np.int64)
        self.remainder = np.zeros((4, SLOTS), dtype=float)

    def add_ws(self, energy_ws: np.ndarray) -> np.ndarray:
        """Add energy in Ws; returns the whole Wh added per register (int64)."""
        exact = self.remainder + np.where(self.mask, energy_ws, 0.0) / 3600.0
        whole = np.floor(exact)
        self.remainder = exact - whole
        delta = whole.astype(np.int64)
        self.counts += delta
        return delta

    def state(self) -> dict:
        """Serialisable state (ints exact, remainders as floats)."""
        return {"counts": self.counts.tolist(), "remainder": self.remainder.tolist()}

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.counts = np.asarray(state["counts"], dtype=np.int64).reshape(4, SLOTS)
        self.remainder = np.asarray(state["remainder"], dtype=float).reshape(4, SLOTS)


def quantity_mask(channels: tuple[str, ...]) -> np.ndarray:
    """Boolean (4, 8) mask of the registers a meter of these energy channels keeps."""
    mask = np.zeros((4, SLOTS), dtype=bool)
    for i, name in enumerate(QUANTITIES):
        if name in channels:
            mask[i, :] = True
    return mask


class PulseCounter:
    """Counts pulses of a constant (imp/kWh) from energy in Ws, carrying the fraction of a pulse."""

    def __init__(self, imp_per_kwh: float) -> None:
        self.ws_per_pulse = 3.6e6 / imp_per_kwh
        self.count = 0
        self._fraction = 0.0

    def add_ws(self, energy_ws: float) -> int:
        """Add energy; returns the pulses emitted by it."""
        exact = self._fraction + energy_ws / self.ws_per_pulse
        whole = int(np.floor(exact))
        self._fraction = exact - whole
        self.count += whole
        return whole

    def state(self) -> dict:
        """Serialisable state."""
        return {"count": self.count, "fraction": self._fraction}

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.count = int(state["count"])
        self._fraction = float(state["fraction"])
