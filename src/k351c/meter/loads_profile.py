"""Realistic deterministic loads: BDEW standard load profiles (demandlib) with seeded noise and PV.

The BDEW profiles (H0 household, G0..G6 commercial, L0..L2 agriculture) are 15-minute shares
of the annual energy in local standard time; demandlib computes them once per year and they
are cached. On top: a per-phase split, multiplicative noise per interval and phase, a power
factor drawn per interval, a small voltage variation and optional PV export with a clear-sky
daylight curve and seeded cloudiness. Every random number is a counter-based hash of
(seed, stream, interval index), so any interval is computable on its own.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from unittest import mock

import numpy as np

from k351c.meter.loads import Segments, grid_times, hash_normal, hash_uniform, phasors_from_power
from k351c.meter.metrology import NOMINAL_CURRENT, PhaseInputs

RESOLUTION = 900.0
PER_BLOCK = 96 * 16  # intervals computed (and cached) together: 16 days
PROFILES = ("h0", "h0_dyn", "g0", "g1", "g2", "g3", "g4", "g5", "g6", "l0", "l1", "l2")


def _cache_file(year: int, country: str | None) -> Path:
    root = Path(os.environ.get("K351C_CACHE", Path.home() / ".cache" / "k351c"))
    return root / f"bdew-{year}-{country or 'none'}-v1.npz"


@lru_cache(maxsize=8)
def bdew_shares(year: int, country: str | None = "DE") -> dict[str, np.ndarray]:
    """Every BDEW profile of ``year`` as 15-min shares of the annual energy (cached in memory and on disk)."""
    path = _cache_file(year, country)
    try:
        with np.load(path) as cached:
            return {name: cached[name] for name in cached.files}
    except (OSError, ValueError, KeyError):
        pass
    shares = _compute_bdew_shares(year, country)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, allow_pickle=False, **shares)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs the recomputation next time
    return shares


def _compute_bdew_shares(year: int, country: str | None) -> dict[str, np.ndarray]:
    from demandlib import bdew

    days = None
    if country:
        import holidays

        days = dict(holidays.country_holidays(country, years=year))
    # demandlib 0.2 switches all warnings to errors inside; keep that from leaking out.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mock.patch.object(warnings, "simplefilter", lambda *a, **k: None):
            frame = bdew.ElecSlp(year, holidays=days).get_profiles()
    return {name: frame[name].to_numpy(dtype=float) for name in frame.columns}


def _year_start(year: np.ndarray) -> np.ndarray:
    """POSIX seconds of 1 January 00:00 (naive) of each year."""
    return (
        (year - 1970).astype("datetime64[Y]").astype("datetime64[s]").astype(np.int64).astype(float)
    )


def clear_sky(t: np.ndarray, latitude: float, longitude: float) -> np.ndarray:
    """Relative clear-sky PV output 0..1 at POSIX instants t (solar elevation model)."""
    day = np.floor(t / 86400.0)
    doy = (day - np.floor((day + 0.5) / 365.2425) * 365.2425) + 1
    decl = np.radians(23.45) * np.sin(2 * np.pi * (284 + doy) / 365.0)
    solar_hours = (t % 86400.0) / 3600.0 + longitude / 15.0
    hour_angle = np.radians(15.0 * (solar_hours - 12.0))
    lat = np.radians(latitude)
    sin_el = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
    return np.maximum(sin_el, 0.0) ** 1.3


class BdewLoad:
    """A BDEW standard-load-profile consumer on the meter's secondary side, optionally with PV.

    Scale: ``annual_kwh`` (primary side, all phases; divided by ``ct_ratio``) or, if None, the
    year's highest profile value maps to ``peak_current`` per phase. ``pv_peak`` is the PV
    inverter's peak output (W, secondary side); ``pv_var_per_w`` its reactive power per watt in
    the meter's (consumer) frame: negative supplies vars, so export lands in quadrant III when
    PV dominates and in II when the household's inductive load dominates. ``balanced`` draws
    the same numbers for all phases (a three-wire load, as an Aron meter needs).
    """

    def __init__(
        self,
        profile: str = "h0",
        seed: int = 0,
        annual_kwh: float | None = None,
        ct_ratio: float = 1.0,
        peak_current: float = 0.8 * NOMINAL_CURRENT,
        voltage: float = 230.0,
        frequency: float = 50.0,
        utc_offset_minutes: int = 60,
        country: str | None = "DE",
        noise: float = 0.15,
        imbalance: float = 0.3,
        pf_mean: float = 0.95,
        pf_spread: float = 0.03,
        capacitive_share: float = 0.1,
        voltage_noise: float = 0.01,
        pv_peak: float = 0.0,
        pv_var_per_w: float = -0.33,
        latitude: float = 56.0,
        longitude: float = 10.0,
        balanced: bool = False,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown BDEW profile {profile!r}; one of {', '.join(PROFILES)}")
        self.profile, self.seed = profile, int(seed)
        self.annual_kwh, self.ct_ratio, self.peak_current = (
            annual_kwh,
            float(ct_ratio),
            peak_current,
        )
        self.voltage, self.frequency = float(voltage), float(frequency)
        self.offset = 60.0 * utc_offset_minutes
        self.country = country
        self.noise, self.imbalance, self.voltage_noise = noise, imbalance, voltage_noise
        self.pf_mean, self.pf_spread, self.capacitive_share = pf_mean, pf_spread, capacitive_share
        self.pv_peak, self.pv_var_per_w = float(pv_peak), float(pv_var_per_w)
        self.latitude, self.longitude = latitude, longitude
        self.balanced = balanced
        w = 1.0 + self.imbalance * (2.0 * hash_uniform(self.seed, 1, np.arange(3)) - 1.0)
        self.phase_weights = np.ones(3) if balanced else w / w.mean()
        self._days: OrderedDict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
        self._phasors: OrderedDict[int, PhaseInputs] = OrderedDict()
        self._frequency1 = np.full(1, self.frequency)
        self._frequency1.flags.writeable = False

    def base_power(self, t: np.ndarray) -> np.ndarray:
        """Total active power (W, secondary) of the noiseless profile at instants t."""
        local = np.asarray(t, dtype=float) + self.offset
        years = local.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
        out = np.empty_like(local)
        for year in np.unique(years):
            sel = years == year
            shares = bdew_shares(int(year), self.country)[self.profile]
            k = ((local[sel] - _year_start(np.array([year]))[0]) // RESOLUTION).astype(np.int64)
            out[sel] = shares[np.clip(k, 0, shares.size - 1)] * self._scale(shares)
        return out

    def _scale(self, shares: np.ndarray) -> float:
        """Watts per unit share: annual energy over 15 min, or the peak-current mapping."""
        if self.annual_kwh is not None:
            return self.annual_kwh * 1000.0 / self.ct_ratio * 3600.0 / RESOLUTION
        return 3.0 * self.voltage * self.peak_current * self.pf_mean / float(shares.max())

    def _block(self, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """P, Q, U (PER_BLOCK, 3) of one block of intervals, computed once and kept in a small cache."""
        hit = self._days.get(block)
        if hit is not None:
            return hit
        idx = block * PER_BLOCK + np.arange(PER_BLOCK)
        mid = idx * RESOLUTION + RESOLUTION / 2
        k3 = idx[:, None] * 3 + (np.zeros(3, np.int64) if self.balanced else np.arange(3))[None, :]
        sigma = self.noise
        factor = np.exp(sigma * hash_normal(self.seed, 10, k3) - sigma * sigma / 2)
        p = self.base_power(mid)[:, None] / 3.0 * self.phase_weights[None, :] * factor
        pf = np.clip(self.pf_mean + self.pf_spread * hash_normal(self.seed, 11, k3), 0.5, 1.0)
        sign = np.where(hash_uniform(self.seed, 24, k3) < self.capacitive_share, -1.0, 1.0)
        q = sign * p * np.sqrt(1.0 - pf * pf) / pf
        if self.pv_peak > 0:
            pv = self.pv_power(mid)[:, None] / 3.0
            p = p - pv
            q = q + self.pv_var_per_w * pv
        u = self.voltage * (1.0 + self.voltage_noise * hash_normal(self.seed, 13, k3))
        self._days[block] = (p, q, u)
        if len(self._days) > 8:
            self._days.popitem(last=False)
        return p, q, u

    def pv_power(self, t: np.ndarray) -> np.ndarray:
        """PV output (W, secondary, all phases) at instants t: clear sky times seeded cloudiness."""
        t = np.asarray(t, dtype=float)
        day = np.floor(t / 86400.0).astype(np.int64)
        interval = np.floor(t / RESOLUTION).astype(np.int64)
        cloudy = hash_uniform(self.seed, 50, day) ** 0.7
        passing = hash_uniform(self.seed, 51, interval)
        return (
            self.pv_peak
            * clear_sky(t, self.latitude, self.longitude)
            * (1.0 - 0.8 * cloudy * passing)
        )

    def power(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-phase P, Q and U (n, 3) of the 15-min intervals holding the instants t."""
        k = np.floor(np.asarray(t, dtype=float) / RESOLUTION).astype(np.int64)
        days, slot = np.divmod(k, PER_BLOCK)
        if days.size and days.min() == days.max():
            p, q, u = self._block(int(days[0]))
            return p[slot], q[slot], u[slot]
        out = (np.empty((k.size, 3)), np.empty((k.size, 3)), np.empty((k.size, 3)))
        for d in np.unique(days):
            sel = days == d
            for dst, src in zip(out, self._block(int(d)), strict=True):
                dst[sel] = src[slot[sel]]
        return out

    def _block_inputs(self, block: int) -> PhaseInputs:
        """The phasors of one block (read-only), computed once from its P, Q and U."""
        hit = self._phasors.get(block)
        if hit is None:
            hit = phasors_from_power(*self._block(block), np.array([self.frequency]))
            for array in (hit.voltage, hit.current, hit.angle):
                array.flags.writeable = False
            self._phasors[block] = hit
            if len(self._phasors) > 8:
                self._phasors.popitem(last=False)
        return hit

    def _single(self, t0: float, t1: float) -> Segments | None:
        """[t0, t1] as one interval when no grid instant lies inside (as grid_times splits), else None."""
        first = math.floor(t0 / RESOLUTION) + 1
        inner = first * RESOLUTION
        if not (t0 < inner and (inner >= t1 or math.ceil(t1 / RESOLUTION) - 1 < first)):
            return None
        block, slot = divmod(math.floor((t0 + t1) / 2 / RESOLUTION), PER_BLOCK)
        inp = self._block_inputs(block)
        row = slice(slot, slot + 1)
        one = PhaseInputs(inp.voltage[row], inp.current[row], inp.angle[row], self._frequency1)
        return Segments(np.array([t0, t1]), one, np.array([t1 - t0]))

    def segments(self, t0: float, t1: float) -> Segments:
        """Intervals on the 15-minute grid (UTC quarter hours)."""
        single = self._single(t0, t1)
        if single is not None:
            return single
        times = grid_times(t0, t1, RESOLUTION)
        p, q, u = self.power((times[:-1] + times[1:]) / 2)
        return Segments(times, phasors_from_power(p, q, u, np.array([self.frequency])))

    def inputs_at(self, t: np.ndarray) -> PhaseInputs:
        """The phasors of the intervals holding instants t."""
        p, q, u = self.power(t)
        return phasors_from_power(p, q, u, np.array([self.frequency]))


def household_load(config, seed: int = 0) -> BdewLoad:
    """The default load of a meter: an H0 household scaled to 80 % of In at its yearly peak."""
    country = getattr(config, "holiday_country", None) or "DE"
    try:
        import holidays

        holidays.country_holidays(country)
    except (NotImplementedError, KeyError, AttributeError):
        country = "DE"
    return BdewLoad(
        "h0",
        seed=seed,
        frequency=float(config.nominal_frequency),
        voltage=float(config.nominal_voltage) / (np.sqrt(3.0) if config.aron else 1.0),
        utc_offset_minutes=int(getattr(config, "utc_offset_minutes", 60)),
        country=country,
        balanced=bool(config.aron),
    )
