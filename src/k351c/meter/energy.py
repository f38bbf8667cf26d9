"""Energy registers: integer Wh/varh per quantity, phase and tariff, with an explicit remainder carry."""

from __future__ import annotations

import math

import numpy as np

from k351c.meter.metrology import Measurement

QUANTITIES = ("A+", "A-", "R+", "R-")
# OBIS C of each quantity: total, L1, L2, L3 (IEC 62056-6-1).
QUANTITY_C = {
    "A+": (1, 21, 41, 61),
    "A-": (2, 22, 42, 62),
    "R+": (3, 23, 43, 63),
    "R-": (4, 24, 44, 64),
}
SLOTS = 8  # 0 total, 1..3 phases L1..L3, 4..7 tariffs 1..4
TARIFF_SLOT0 = 4


def step_energy_ws(meas: Measurement, durations: np.ndarray, tariff: int) -> np.ndarray:
    """Energy of one step in Ws (var s) as a (4 quantities, 8 slots) array, booked to ``tariff`` 1..4."""
    dt = np.asarray(durations, dtype=float)
    if dt.shape == (1,) and meas.p.shape == (1, 3):
        return np.array(energy_rows(meas, float(dt[0]), tariff))
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


def energy_rows(meas: Measurement, dt: float, tariff: int) -> list[list[float]]:
    """step_energy_ws of a single interval of length dt as nested Python floats (the same IEEE operations)."""
    p, q = meas.p[0].tolist(), meas.q[0].tolist()
    p_tot, q_tot = float(meas.p_total[0]), float(meas.q_total[0])
    rows = []
    for total, phases, sign in (
        (p_tot, p, 1.0),
        (p_tot, p, -1.0),
        (q_tot, q, 1.0),
        (q_tot, q, -1.0),
    ):
        if sign < 0:
            total, phases = -total, [-x for x in phases]
        whole = max(total, 0.0) * dt
        row = [
            whole,
            max(phases[0], 0.0) * dt,
            max(phases[1], 0.0) * dt,
            max(phases[2], 0.0) * dt,
            0.0,
            0.0,
            0.0,
            0.0,
        ]
        row[TARIFF_SLOT0 + tariff - 1] = whole
        rows.append(row)
    return rows


class EnergyBank:
    """One set of registers (secondary or primary): int64 Wh counts plus a float remainder in [0, 1)."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask
        self._kept = np.asarray(mask, dtype=bool).tolist()
        self._kept_cols = [
            (i, [j for j, keep in enumerate(row) if keep]) for i, row in enumerate(self._kept)
        ]
        self._counts = [[0] * SLOTS for _ in range(4)]
        self._remainder = [[0.0] * SLOTS for _ in range(4)]
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def counts(self) -> np.ndarray:
        """Whole Wh/varh per (quantity, slot), int64 (read-only view of the current counts)."""
        return self._views()[0]

    @property
    def remainder(self) -> np.ndarray:
        """The fraction of a Wh carried per register, in [0, 1) (read-only)."""
        return self._views()[1]

    def _views(self) -> tuple[np.ndarray, np.ndarray]:
        if self._arrays is None:
            counts = np.array(self._counts, dtype=np.int64)
            remainder = np.array(self._remainder, dtype=float)
            counts.flags.writeable = remainder.flags.writeable = False
            self._arrays = (counts, remainder)
        return self._arrays

    def totals(self, quantities: list[int]) -> list[int]:
        """Whole Wh/varh of the total slot of these quantity rows, as Python ints."""
        counts = self._counts
        return [counts[q][0] for q in quantities]

    def add_ws(self, energy_ws: np.ndarray) -> np.ndarray:
        """Add energy in Ws; returns the whole Wh added per register (int64)."""
        return np.array(self.add_rows(np.asarray(energy_ws, dtype=float).tolist()), dtype=np.int64)

    def add_rows(self, rows: list[list[float]]) -> list[list[int]]:
        """add_ws of nested Python floats (4 x 8): remainder + Ws / 3600, whole Wh to the count."""
        delta = [[0] * SLOTS for _ in range(4)]
        remainders, all_counts = self._remainder, self._counts
        for i, cols in self._kept_cols:
            row, rem, counts, added = rows[i], remainders[i], all_counts[i], delta[i]
            for j in cols:
                ws = row[j]
                if ws == 0.0:
                    continue  # r + 0.0 == r and floor(r) == 0: nothing changes
                exact = rem[j] + ws / 3600.0
                whole = math.floor(exact)
                rem[j] = exact - whole
                if whole:
                    counts[j] += whole
                    added[j] = whole
        self._arrays = None
        return delta

    def state(self) -> dict:
        """Serialisable state (ints exact, remainders as floats)."""
        return {
            "counts": [list(row) for row in self._counts],
            "remainder": [list(row) for row in self._remainder],
        }

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        counts = np.asarray(state["counts"], dtype=np.int64).reshape(4, SLOTS)
        remainder = np.asarray(state["remainder"], dtype=float).reshape(4, SLOTS)
        self._counts, self._remainder = counts.tolist(), remainder.tolist()
        self._arrays = None


def quantity_mask(channels: tuple[str, ...]) -> np.ndarray:
    """Boolean (4, 8) mask of the registers a meter of these energy channels keeps."""
    mask = np.zeros((4, SLOTS), dtype=bool)
    for i, name in enumerate(QUANTITIES):
        if name in channels:
            mask[i, :] = True
    return mask


class PulseCounter:
    """Counts pulses of a constant (imp/kWh) from energy in Ws, carrying the fraction of a pulse.

    With ``pulse_ms`` the output is a real pulse output: each pulse lasts pulse_ms and needs as long
    a pause, so at most 1 / (2 pulse_ms) pulses per second leave it. Pulses beyond that rate are not
    emitted: they are counted in ``dropped`` (the overrun flag) and never sent later.
    """

    def __init__(self, imp_per_kwh: float, pulse_ms: float | None = None) -> None:
        self.ws_per_pulse = 3.6e6 / imp_per_kwh
        self.count = 0
        self.dropped = 0
        self._fraction = 0.0
        self.max_hz = None if pulse_ms is None else 1000.0 / (2.0 * pulse_ms)
        self._credit = 1.0

    @property
    def imp_per_kwh(self) -> float:
        """The pulse constant in force."""
        return 3.6e6 / self.ws_per_pulse

    def set_constant(self, imp_per_kwh: float) -> None:
        """Change the constant; the energy of the fraction of a pulse already counted is kept."""
        carried_ws = self._fraction * self.ws_per_pulse
        self.ws_per_pulse = 3.6e6 / imp_per_kwh
        self._fraction = carried_ws / self.ws_per_pulse

    def add_ws(self, energy_ws: float, seconds: float | None = None) -> int:
        """Add energy measured over ``seconds``; returns the pulses emitted (within the output's rate)."""
        exact = self._fraction + energy_ws / self.ws_per_pulse
        whole = math.floor(exact)
        self._fraction = exact - whole
        if self.max_hz is not None and seconds is not None:
            self._credit += seconds * self.max_hz
            allowed = math.floor(self._credit)
            if whole > allowed:
                self.dropped += whole - allowed
                whole = allowed
            self._credit = min(self._credit - whole, 1.0)
        self.count += whole
        return whole

    def state(self) -> dict:
        """Serialisable state."""
        state: dict = {"count": self.count, "fraction": self._fraction}
        if self.dropped:
            state["dropped"] = self.dropped
        return state

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.count = int(state["count"])
        self._fraction = float(state["fraction"])
        self.dropped = int(state.get("dropped", 0))
