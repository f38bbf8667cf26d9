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
PRIMARY, SECONDARY = 0, 1  # the two register banks: primary (CT ratio applied) and secondary values
TARIFF_SLOT0 = 4


def step_energy_ws(meas: Measurement, durations: np.ndarray, tariff: int) -> np.ndarray:
    """Energy of one step in Ws (var s) as a (4 quantities, 8 slots) array, booked to ``tariff`` 1..4."""
    dt = np.asarray(durations, dtype=float)
    if dt.shape == (1,) and meas.p.shape == (1, 3):
        return np.array(energy_rows(meas, float(dt[0]), tariff))
    out = np.zeros((4, SLOTS))
    for qi, (total, phases) in enumerate(signed_parts(meas, 1, dt.size, skip_zero=False)):
        out[qi, 0] = np.dot(total[0], dt)
        out[qi, 1:4] = dt @ phases[0]
    out[:, TARIFF_SLOT0 + tariff - 1] = out[:, 0]
    return out


def energy_rows(meas: Measurement, dt: float, tariff: int) -> list[list[float]]:
    """step_energy_ws of a single interval of length dt as nested Python floats (the same IEEE operations).

    The single meter's hot path: signed_parts' rule on Python floats (tests/meter/test_energy_rule.py
    checks it gives the array rule's bits).
    """
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


class EnergyBanks:
    """The energy registers of n meters, the one booking rule for a single meter and a fleet alike.

    ``counts`` (2 banks, n meters, 4 quantities, 8 slots) are whole Wh/varh (int64) and
    ``remainder`` the fraction of a unit carried per register, in [0, 1). Bank 0 is primary energy
    (the secondary energy times the CT ratio), bank 1 secondary. A single ``Meter`` is a fleet of one.
    """

    def __init__(self, n: int, mask: np.ndarray) -> None:
        self.mask = np.asarray(mask, dtype=bool)
        self.counts = np.zeros((2, n, 4, SLOTS), dtype=np.int64)
        self.remainder = np.zeros((2, n, 4, SLOTS), dtype=np.float64)

    @staticmethod
    def wh(ws: np.ndarray, ratio: float | np.ndarray) -> np.ndarray:
        """Energy in Ws (..., 4, 8) as Wh per bank (2, ..., 4, 8): primary (x CT ratio), secondary."""
        out = np.empty((2, *np.shape(ws)))
        np.multiply(ws, ratio, out=out[PRIMARY])
        out[PRIMARY] /= 3600.0
        np.divide(ws, 3600.0, out=out[SECONDARY])
        return out

    def _exact(self, remainder: np.ndarray, wh: np.ndarray) -> np.ndarray:
        """The carried remainder plus the energy of the registers the meter keeps (the channel mask)."""
        exact = np.where(self.mask, wh, 0.0)
        exact += remainder
        return exact

    def book(self, wh: np.ndarray, meters: np.ndarray | None = None) -> np.ndarray:
        """Add energy in Wh/varh (2, m, 4, 8) to these meters' registers (default all); the whole units added.

        The carry rule: the whole part of remainder + energy goes to the int64 count, the fraction
        stays as the remainder.
        """
        if meters is None:
            exact = self._exact(self.remainder, wh)
            whole = np.floor(exact)
            np.subtract(exact, whole, out=self.remainder)
            added = whole.astype(np.int64)
            self.counts += added
            return added
        exact = self._exact(self.remainder[:, meters], wh)
        whole = np.floor(exact)
        self.remainder[:, meters] = exact - whole
        added = whole.astype(np.int64)
        self.counts[:, meters] += added
        return added

    def registers_with(self, wh: np.ndarray, meter: int, bank: int) -> np.ndarray:
        """Meter's registers (4, 8) of a bank as they read with ``wh`` (4, 8) more, booking nothing."""
        exact = self._exact(self.remainder[bank, meter], wh)
        return self.counts[bank, meter] + np.floor(exact).astype(np.int64)

    def exact_with(self, wh: np.ndarray, meter: int, bank: int) -> np.ndarray:
        """Meter's registers (4, 8) of a bank with ``wh`` more, as whole units plus the carried fraction."""
        return self.counts[bank, meter] + self._exact(self.remainder[bank, meter], wh)


class EnergyBank:
    """One bank (primary or secondary) of one meter of ``EnergyBanks``: what functions read."""

    def __init__(self, banks: EnergyBanks, bank: int, meter: int = 0) -> None:
        self.banks, self.bank, self.meter = banks, bank, meter

    @property
    def mask(self) -> np.ndarray:
        """The registers this meter keeps (its energy channels)."""
        return self.banks.mask

    @property
    def counts(self) -> np.ndarray:
        """Whole Wh/varh per (quantity, slot), int64 (read-only view of the current counts)."""
        view = self.banks.counts[self.bank, self.meter].view()
        view.flags.writeable = False
        return view

    @property
    def remainder(self) -> np.ndarray:
        """The fraction of a Wh carried per register, in [0, 1) (read-only)."""
        view = self.banks.remainder[self.bank, self.meter].view()
        view.flags.writeable = False
        return view

    def totals(self, quantities: list[int]) -> list[int]:
        """Whole Wh/varh of the total slot of these quantity rows, as Python ints."""
        totals = self.banks.counts[self.bank, self.meter, :, 0].tolist()
        return [totals[q] for q in quantities]

    def state(self) -> dict:
        """Serialisable state (ints exact, remainders as floats)."""
        return {"counts": self.counts.tolist(), "remainder": self.remainder.tolist()}

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        banks, key = self.banks, (self.bank, self.meter)
        banks.counts[key] = np.asarray(state["counts"], dtype=np.int64).reshape(4, SLOTS)
        banks.remainder[key] = np.asarray(state["remainder"], dtype=float).reshape(4, SLOTS)


def signed_parts(meas: Measurement, n: int, m: int, skip_zero: bool = True) -> list[tuple]:
    """(total (n, m), phases (n, m, 3)) of P+, P-, Q+, Q-, each >= 0: the quadrant rule of the registers.

    The measurement's rows are n meters x m intervals (a single meter's steps: n = 1).

    With ``skip_zero`` a direction no element ever takes (export, mostly) is (None, None): it adds nothing.
    """
    out = []
    for values in (meas.p, meas.q):
        total = (values[:, 0] + values[:, 1] + values[:, 2]).reshape(n, m)
        phases = values.reshape(n, m, 3)
        low, high = phases.min(), phases.max()
        out.append(
            (np.maximum(total, 0.0), np.maximum(phases, 0.0))
            if high > 0 or not skip_zero
            else (None, None)
        )
        out.append(
            (np.maximum(-total, 0.0), np.maximum(-phases, 0.0))
            if low < 0 or not skip_zero
            else (None, None)
        )
    return [out[0], out[1], out[2], out[3]]


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
