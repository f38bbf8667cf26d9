"""Energy registers sampled by fleet meters' analysis loggers: register checkpoints, stepped forward.

A single meter's analysis logger samples an energy register at each capture (``analysis.channel_kind``
"sample"). A fleet meter whose channels are written to include one is *watched*: from the write on,
the fleet keeps that meter's registers exactly (whole units and carried remainder, both banks) at
the write's boundary and at every UTC day boundary since. Registers the configuration's [analysis]
samples are kept so for every meter from the start, in a ring of days as deep as the log reaches. A register's value at a capture instant is then the
checkpoint's whole units plus the floor of its remainder and the energy of every piece since: the
load's 15-minute intervals split at CT changes, temperature settings and the capture instants, each
booked with the ratio in force when it began and the tariff of the meters' clock (``Fleet.energy_wh``,
the rule the registers are booked by), so no history of the register is stored.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from k351c.meter.analysis import DEFAULT_CHANNELS, DEFAULT_INTERVAL_MIN, depth_for, wanted
from k351c.meter.energy import SLOTS, TARIFF_SLOT0
from k351c.meter.fleet_analysis import analysis_settings, voltage_edges, voltage_touched
from k351c.meter.fleet_function import FleetFunction
from k351c.meter.fleet_load import RESOLUTION
from k351c.meter.fleet_profile import PER_DAY
from k351c.meter.registers import Register, energy_register

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet


class AnalysisSamples(FleetFunction):
    """Exact register checkpoints of the meters whose analysis logger samples an energy register."""

    name = "analysis_samples"

    def __init__(self, fleet: Fleet) -> None:
        super().__init__(fleet)
        self.checkpoints: dict[int, list[tuple[float, np.ndarray, np.ndarray]]] = {}
        analysis = fleet.config.settings.analysis
        channels, minutes = wanted(analysis, DEFAULT_CHANNELS, DEFAULT_INTERVAL_MIN)
        found = (energy_register(c) for c in channels)
        self.configured: list[Register] = [r for r in found if r is not None]
        days = math.ceil(depth_for(len(channels)) * minutes / 1440) + 2 if self.configured else 0
        self.daily_t = np.full(days, np.nan)
        self.daily_counts = np.zeros((fleet.n, days, len(self.configured)), dtype=np.int64)
        self.daily_remainder = np.zeros((fleet.n, days, len(self.configured)))
        if self.configured:
            self._keep_daily(fleet.start)  # nothing registered yet

    def begin(self, t: float) -> None:
        """Keep the configured registers from t (a fleet's start, or a state without them)."""
        if self.configured and not self.fleet.booked.any():  # the registers hold whole intervals
            self._keep_daily(self.fleet.k * RESOLUTION)

    def _keep_daily(self, t: float) -> None:
        fleet, slot = self.fleet, int(t // 86400.0) % self.daily_t.size
        self.daily_t[slot] = t
        for r, (b, q, s) in enumerate(self.configured):
            self.daily_counts[:, slot, r] = fleet.counts[b, :, q, s]
            self.daily_remainder[:, slot, r] = fleet.remainder[b, :, q, s]

    def kept(self, i: int, registers: list[Register]) -> bool:
        """Whether meter i's samples of these registers can be recomputed."""
        return i in self.checkpoints or all(r in self.configured for r in registers)

    def watch(self, i: int) -> None:
        """Keep meter i's registers from now on (its channels now sample an energy register)."""
        if i not in self.checkpoints:
            self.checkpoints[i] = [self._checkpoint(i)]

    def _checkpoint(self, i: int) -> tuple[float, np.ndarray, np.ndarray]:
        fleet = self.fleet
        t = fleet.k * RESOLUTION + float(
            fleet.booked[i]
        )  # the registers hold what was booked up to t
        return t, fleet.counts[:, i].copy(), fleet.remainder[:, i].copy()

    def reached(self, k: int) -> None:
        """A day boundary: a checkpoint per watched meter; those older than a log can reach are dropped."""
        if k % PER_DAY:
            return
        if self.configured:
            self._keep_daily(k * RESOLUTION)
        for i, kept in self.checkpoints.items():
            settings = analysis_settings(self.fleet, i)
            keep = k * RESOLUTION - settings.depth * settings.minutes * 60.0 - 86400.0
            kept.append(self._checkpoint(i))
            while len(kept) > 1 and kept[1][0] <= keep:
                kept.pop(0)

    def values(self, i: int, registers: list[Register], true_t: np.ndarray) -> np.ndarray:
        """The registers' whole units at each true instant (sorted, after the watch began): (len(t), n)."""
        out = np.zeros((true_t.size, len(registers)), dtype=np.int64)
        kept = self._kept(i, registers)
        starts = np.array([t for t, _, _ in kept])
        which = np.searchsorted(starts, true_t, side="right") - 1
        if which.size and which.min() < 0:
            raise ValueError(f"meter {i}: a sample before its registers were kept")
        for c in np.unique(which).tolist():
            rows = np.flatnonzero(which == c)
            t0, whole, remainder = kept[c]
            out[rows] = self._forward(i, t0, whole, remainder, true_t[rows], registers)
        return out

    def _kept(
        self, i: int, registers: list[Register]
    ) -> list[tuple[float, np.ndarray, np.ndarray]]:
        """Meter i's checkpoints (instant, whole units, remainders of these registers), oldest first."""
        if i in self.checkpoints:
            return [
                (t, np.array([c[r] for r in registers]), np.array([m[r] for r in registers]))
                for t, c, m in self.checkpoints[i]
            ]
        cols = [self.configured.index(r) for r in registers]
        slots = [int(d) for d in np.argsort(self.daily_t) if not math.isnan(self.daily_t[d])]
        return [
            (
                float(self.daily_t[d]),
                self.daily_counts[i, d, cols],
                self.daily_remainder[i, d, cols],
            )
            for d in slots
        ]

    def _forward(
        self,
        i: int,
        t0: float,
        whole: np.ndarray,
        remainder: np.ndarray,
        ends: np.ndarray,
        registers: list[Register],
    ) -> np.ndarray:
        """Whole units at each of ``ends`` from a checkpoint at t0 and the energy booked since."""
        fleet = self.fleet
        splits = [t for t, j, _ in fleet.ct_changes if j == i]
        splits += [t for t, _ in fleet.temperatures.of_meter(i)] + voltage_edges(fleet, i)
        grid = (
            np.arange(math.floor(t0 / RESOLUTION) + 1, math.ceil(ends[-1] / RESOLUTION))
            * RESOLUTION
        )
        edges = np.unique(np.concatenate([grid, [t0], ends, splits]))
        edges = edges[(edges >= t0) & (edges <= ends[-1])]
        if edges.size < 2:  # every instant is the checkpoint's own
            return np.repeat(whole[None, :], ends.size, axis=0)
        lows, highs = edges[:-1], edges[1:]
        powered = fleet.powered_seconds(np.array([i]), lows, highs)[0]
        idx = np.floor(lows / RESOLUTION).astype(np.int64)
        ratio = self._ratio(i, lows)[None, :]
        wh = fleet.energy_wh(np.array([i]), idx, powered, True, lows, ratio)
        for j in voltage_touched(fleet, i, idx):  # booked over the piece alone, not its interval
            one = slice(j, j + 1)
            window = (lows[one], highs[one])
            wh[:, :, one] = fleet.energy_wh(
                np.array([i]), idx[one], powered[one], True, lows[one], ratio[:, one], window
            )
        slots = np.zeros((2, lows.size, 4, SLOTS))
        slots[..., :4] = wh[:, 0]
        slots[..., TARIFF_SLOT0:] = (
            wh[:, 0, :, :, :1] * self._tariffs(idx, lows, highs)[None, :, None, :]
        )
        columns = [slots[b, :, q, s] for b, q, s in registers]
        floors = np.floor(remainder[None, :] + np.cumsum(np.stack(columns, axis=1), axis=0))
        at = np.searchsorted(highs, ends)  # the piece ending at each instant
        taken = floors[np.minimum(at, len(floors) - 1)].astype(np.int64)
        return whole[None, :] + np.where((ends <= t0)[:, None], 0, taken)  # at t0: what it held

    def _ratio(self, i: int, since: np.ndarray) -> np.ndarray:
        """The CT ratio in force at each instant (a change counts from its instant on)."""
        changes = [(t, p) for t, j, p in self.fleet.ct_changes if j == i]
        times = np.array([t for t, _ in changes], dtype=np.float64)
        primaries = np.array(
            [int(self.fleet.start_ct[i]), *(p for _, p in changes)], dtype=np.float64
        )
        return primaries[np.searchsorted(times, since, side="right")] / float(
            self.fleet.ct_secondary
        )

    def _tariffs(self, idx: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
        """Share (pieces, 4) of each piece in tariffs 1..4, as the fleet books them."""
        fleet = self.fleet
        if not fleet.rtc.exact:
            return fleet.rtc.tariff_weights(fleet.calendar, lows, highs)
        shares = np.zeros((idx.size, 4))
        shares[np.arange(idx.size), [fleet.tariff(int(k)) - 1 for k in idx.tolist()]] = 1.0
        return shares

    def arrays(self) -> dict[str, np.ndarray]:
        """Every checkpoint: its meter, instant, whole units and remainders."""
        rows = [(i, t, c, r) for i, kept in self.checkpoints.items() for t, c, r in kept]
        return {
            "daily_t": self.daily_t,
            "daily_counts": self.daily_counts,
            "daily_remainder": self.daily_remainder,
            "meter": np.array([row[0] for row in rows], dtype=np.int64),
            "t": np.array([row[1] for row in rows], dtype=np.float64),
            "counts": np.array([row[2] for row in rows], dtype=np.int64).reshape(-1, 2, 4, SLOTS),
            "remainder": np.array([row[3] for row in rows]).reshape(-1, 2, 4, SLOTS),
        }

    def restore(self, arrays: dict[str, np.ndarray], t: float) -> None:
        """Load what ``arrays`` wrote."""
        if "daily_t" in arrays and arrays["daily_counts"].shape == self.daily_counts.shape:
            self.daily_t = np.asarray(arrays["daily_t"], dtype=np.float64).copy()
            self.daily_counts = np.asarray(arrays["daily_counts"], dtype=np.int64).copy()
            self.daily_remainder = np.asarray(arrays["daily_remainder"], dtype=np.float64).copy()
        self.checkpoints = {}
        for i, at, counts, remainder in zip(
            arrays["meter"].tolist(),
            arrays["t"].tolist(),
            arrays["counts"],
            arrays["remainder"],
            strict=True,
        ):
            self.checkpoints.setdefault(i, []).append((at, counts.copy(), remainder.copy()))
