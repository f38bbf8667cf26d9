"""The fleet's load: a seeded BDEW-shaped consumer per meter, computed for many meters at once.

One model, two faces: ``FleetLoadModel.power(params, idx)`` gives P, Q, U (meters, intervals, 3)
for a whole fleet, and ``SeededLoad`` is the same numbers for one meter as an ordinary LoadSource
(so a single ``Meter`` run with ``SeededLoad(model, seed)`` registers exactly what the fleet does).

Per meter, drawn from its seed: a size factor, a phase split, a power factor and a voltage spread
per phase. Per meter and 15-minute interval, one 64-bit counter-based hash gives four 16-bit
uniforms: three for the phases' noise, one for the supply voltage's deviation. The shape is the
BDEW profile (demandlib, cached) in the meter's local standard time, scaled like ``BdewLoad``'s
peak-current mapping. It is cheaper than ``BdewLoad`` (one hash per interval instead of
twenty-one, no transcendental function per phase): that is what lets a year of 10,000 meters run
in about a minute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from k351c.meter.loads import Segments, _splitmix, grid_times, interval_index
from k351c.meter.metrology import NOMINAL_CURRENT, PhaseInputs
from k351c.meter.voltage_events import scaled, split_at

RESOLUTION = 900.0


def seed_keys(seeds: np.ndarray, stream: int) -> np.ndarray:
    """One uint64 hash key per seed and stream (vectorised hash_uniform key)."""
    base = np.asarray(seeds, dtype=np.int64).astype(np.uint64) * np.uint64(1_000_003) + np.uint64(
        stream * 7919
    )
    with np.errstate(over="ignore"):
        return _splitmix(base)


def quad_uniform(keys: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Four 16-bit uniforms in (0, 1) per (key, index) from one 64-bit hash: (len(keys), len(idx), 4)."""
    from k351c.meter import fleet_kernels

    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    return fleet_kernels.quad_uniform(keys, idx, np.empty((keys.size, idx.size, 4)))


def _unit(seeds: np.ndarray, stream: int) -> np.ndarray:
    return quad_uniform(seed_keys(seeds, stream), np.zeros(1, np.int64))[:, 0, :]


@dataclass(frozen=True, slots=True)
class MeterParams:
    """Per-meter constants drawn from the seeds: size (n,), phase weights and voltage spread (n, 3), tan(phi)."""

    seeds: np.ndarray
    size: np.ndarray
    weights: np.ndarray
    tan_phi: np.ndarray
    keys: np.ndarray
    spread: np.ndarray

    def take(self, index: int | slice | np.ndarray) -> MeterParams:
        """The parameters of a subset of meters."""
        if isinstance(index, int):
            index = slice(index, index + 1)
        return MeterParams(
            self.seeds[index],
            self.size[index],
            self.weights[index],
            self.tan_phi[index],
            self.keys[index],
            self.spread[index],
        )


@lru_cache(maxsize=4)
def _shape_year(profile: str, year: int, country: str | None) -> tuple[np.ndarray, float]:
    from k351c.meter.loads_profile import bdew_shares

    shares = bdew_shares(year, country)[profile]
    return shares, float(shares.max())


@dataclass(frozen=True)
class FleetLoadModel:
    """How the fleet's meters draw power: profile, nominal values, noise, imbalance, power factors."""

    profile: str = "h0"
    voltage: float = 230.0
    frequency: float = 50.0
    utc_offset_minutes: int = 60
    country: str | None = "DE"
    peak_current: float = 0.8 * NOMINAL_CURRENT
    size_range: tuple[float, float] = (0.4, 1.0)
    noise: float = 0.3
    imbalance: float = 0.3
    pf_range: tuple[float, float] = (0.88, 0.99)
    voltage_noise: float = 0.01

    @classmethod
    def for_config(cls, config) -> FleetLoadModel:
        """The model matching a MeterConfig's nominal values, time zone and holiday country."""
        voltage = float(config.nominal_voltage) / (np.sqrt(3.0) if config.aron else 1.0)
        return cls(
            voltage=voltage,
            frequency=float(config.nominal_frequency),
            utc_offset_minutes=int(config.utc_offset_minutes),
            country=getattr(config, "holiday_country", None) or "DE",
            imbalance=0.0 if config.aron else 0.3,
        )

    def params(self, seeds: np.ndarray) -> MeterParams:
        """Per-meter constants of these seeds."""
        seeds = np.asarray(seeds, dtype=np.int64)
        u = _unit(seeds, 70)
        lo, hi = self.size_range
        size = lo + (hi - lo) * u[:, 0]
        w = 1.0 + self.imbalance * (2.0 * _unit(seeds, 71)[:, :3] - 1.0)
        weights = w / w.mean(axis=1, keepdims=True)
        spread = 1.0 + self.voltage_noise * (2.0 * _unit(seeds, 73)[:, :3] - 1.0)
        pf = self.pf_range[0] + (self.pf_range[1] - self.pf_range[0]) * u[:, 1]
        tan_phi = np.sqrt(1.0 - pf * pf) / pf
        return MeterParams(
            seeds, size, weights, tan_phi, seed_keys(seeds, 72), self.voltage * spread
        )

    def shape(self, idx: np.ndarray) -> np.ndarray:
        """Total noiseless power (W, secondary) of a full-size meter in the intervals idx (UTC quarter hours)."""
        local = (
            idx.astype(np.float64) * RESOLUTION + RESOLUTION / 2 + 60.0 * self.utc_offset_minutes
        )
        years = local.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
        out = np.empty(idx.shape, dtype=np.float64)
        for year in np.unique(years):
            sel = years == year
            shares, peak = _shape_year(self.profile, int(year), self.country)
            start = float(np.datetime64(f"{int(year):04d}-01-01T00:00:00", "s").astype(np.int64))
            k = ((local[sel] - start) // RESOLUTION).astype(np.int64)
            watts_per_share = 3.0 * self.voltage * self.peak_current * self.pf_range[1] / peak
            out[sel] = shares[np.clip(k, 0, shares.size - 1)] * watts_per_share
        return out

    def power(
        self, params: MeterParams, idx: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """P (W), Q (var), U (V) per meter, interval and phase: arrays (n, len(idx), 3), secondary side."""
        from k351c.meter import fleet_kernels

        idx = np.ascontiguousarray(idx, dtype=np.int64)
        base = _phase_shape(self, idx.tobytes())
        p, q, u = (np.empty((params.keys.size, idx.size, 3)) for _ in range(3))
        fleet_kernels.power(
            params.keys,
            idx,
            base,
            params.size[:, None] * params.weights,
            params.tan_phi,
            params.spread,
            self.noise,
            self.voltage_noise,
            p,
            q,
            u,
        )
        return p, q, u

    def inputs(self, p: np.ndarray, q: np.ndarray, u: np.ndarray) -> PhaseInputs:
        """PhaseInputs (N, 3) carrying measured powers, from arrays of any leading shape (..., 3)."""
        from k351c.meter import fleet_kernels

        p2, q2, u2 = (a.reshape(-1, 3) for a in (p, q, u))
        current = fleet_kernels.current(p2, q2, u2, np.empty(p2.shape))
        angle = np.broadcast_to(np.zeros(1), p2.shape)
        return PhaseInputs(u2, current, angle, np.full(p2.shape[0], self.frequency), p=p2, q=q2)


@lru_cache(maxsize=8)
def _phase_shape(model: FleetLoadModel, idx: bytes) -> np.ndarray:
    """A phase's share of ``model.shape`` of the int64 intervals ``idx`` (every block of a chunk asks)."""
    out = model.shape(np.frombuffer(idx, dtype=np.int64)) / 3.0
    out.flags.writeable = False
    return out


class SeededLoad:
    """One fleet meter's load as a LoadSource: the fleet model's numbers for this seed.

    ``outages`` gives the meter's outage windows [(t0, t1), ...] (or a callable returning them,
    so a load handed out before a fleet adds an outage still sees it): inside a window every
    phase has no voltage and no current, exactly what the fleet's meter sees. ``voltage_events``
    gives its voltage events [(t0, t1, levels), ...] the same way (k351c.meter.voltage_events).
    """

    def __init__(
        self,
        model: FleetLoadModel,
        seed: int,
        outages: Sequence[tuple[float, float]] | Callable[[], Sequence] = (),
        voltage_events: Sequence[tuple] | Callable[[], Sequence] = (),
    ) -> None:
        self.model = model
        self.seed = int(seed)
        self._params = model.params(np.array([self.seed]))
        self._outages = outages
        self._events = voltage_events

    def outages(self) -> list[tuple[float, float]]:
        """The outage windows in force."""
        windows = self._outages() if callable(self._outages) else self._outages
        return [(float(a), float(b)) for a, b in windows]

    def voltage_events(self) -> list[tuple[float, float, np.ndarray]]:
        """The voltage events in force: (t0, t1, per-phase levels)."""
        events = self._events() if callable(self._events) else self._events
        return [(float(a), float(b), np.asarray(levels, dtype=np.float64)) for a, b, levels in events]

    def segments(self, t0: float, t1: float) -> Segments:
        """Intervals on the 15-minute grid (UTC quarter hours), split at outage and voltage-event edges."""
        times = grid_times(t0, t1, RESOLUTION)
        windows = [(a, b) for a, b in self.outages() if a < t1 and b > t0]
        events = [e for e in self.voltage_events() if e[0] < t1 and e[1] > t0]
        times, off, levels = split_at(times, windows, events)
        idx = interval_index(times, RESOLUTION)
        p, q, u = self.model.power(self._params, idx)
        p, q, u = p[0], q[0], u[0]
        if events:
            p, q, u = scaled(p, q, u, levels)
        if windows:
            p, q, u = (np.where(off[:, None], 0.0, x) for x in (p, q, u))
        return Segments(times, self.model.inputs(p, q, u))
