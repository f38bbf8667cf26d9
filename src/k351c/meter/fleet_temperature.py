"""Ambient temperatures set on a fleet's meters over time (``Fleet.set_temperature``).

A temperature is an input like the load: a single ``Meter`` takes it from ``set_temperature`` on,
its metrology errs by it until it is set again (None: back to the configured ambient). The fleet
keeps every setting (instant, meters, degC) so that the registers, the recomputed profile, the
instantaneous values and meter i's twin all see the same temperature in every 15-minute interval:
a setting counts in each interval that ends after it. One made inside an interval splits it; the
fleet books the part before it at the old temperature (as it does for a CT change), and the
recomputed profile splits that interval at the setting (k351c.meter.fleet_profile).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from k351c.meter.fleet_load import RESOLUTION


@dataclass(frozen=True, slots=True)
class TemperatureSetting:
    """From ``t`` on, ``meters`` (fleet indices) see ``celsius`` (None: the configured ambient)."""

    t: float
    meters: np.ndarray
    celsius: float | None


class TemperatureHistory:
    """Every temperature setting of a fleet, oldest first."""

    def __init__(self) -> None:
        self.settings: list[TemperatureSetting] = []

    def add(self, t: float, meters: np.ndarray, celsius: float | None) -> None:
        """Record a setting made at t."""
        self.settings.append(TemperatureSetting(float(t), np.asarray(meters, np.int64), celsius))

    def overrides(
        self, meters: np.ndarray, idx: np.ndarray, since: np.ndarray | None = None
    ) -> np.ndarray | None:
        """degC set per (meter, interval), NaN where none is in force; None when none ever was.

        A setting counts in an interval that ends after it, or, given ``since`` (the instant each
        interval's part begins, for an interval split at a setting), in a part that begins at or after it.
        """
        if not self.settings:
            return None
        out = np.full((len(meters), idx.size), np.nan)
        ends = (np.asarray(idx, dtype=np.float64) + 1.0) * RESOLUTION
        for setting in self.settings:
            rows = np.isin(meters, setting.meters)
            cols = ends > setting.t if since is None else np.asarray(since) >= setting.t
            if rows.any() and cols.any():
                out[np.ix_(rows, cols)] = np.nan if setting.celsius is None else setting.celsius
        return out

    def of_meter(self, i: int) -> list[tuple[float, float | None]]:
        """Meter i's settings (t, degC or None), oldest first."""
        return [(s.t, s.celsius) for s in self.settings if np.isin(i, s.meters)]

    def to_meta(self) -> tuple[list, dict[str, np.ndarray]]:
        """(JSON list of [t, degC], arrays of meters) to persist."""
        meta = [[s.t, s.celsius] for s in self.settings]
        return meta, {f"temperature{j}": s.meters for j, s in enumerate(self.settings)}

    def restore(self, meta: list, arrays) -> None:
        """Load what to_meta wrote."""
        self.settings = [
            TemperatureSetting(float(t), np.asarray(arrays[f"temperature{j}"], np.int64), c)
            for j, (t, c) in enumerate(meta)
        ]
