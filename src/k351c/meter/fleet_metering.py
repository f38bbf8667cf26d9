"""What each meter of a fleet measures from its load: the metrology with its errors and inputs.

``FleetMetering`` is the part of ``Fleet`` that turns the seeded load of meters and intervals into
a ``Measurement`` through the single meter's ``metrology.measure``: no supply during outages, each
meter's accuracy curves at its ambient (or set) temperature, voltage events blended in
(``voltage_events.blend``); and from it the energy the registers would book (``energy_wh``) and a
meter's instantaneous values (``instant``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from k351c.meter.accuracy import MeterErrors, interval_middles
from k351c.meter.energy import EnergyBanks, signed_parts
from k351c.meter.fleet_load import RESOLUTION
from k351c.meter.fleet_outages import FleetOutages
from k351c.meter.metrology import Measurement, measure
from k351c.meter.voltage_events import blend

if TYPE_CHECKING:
    from k351c.codes import MeterConfig
    from k351c.meter.accuracy import ErrorCurves
    from k351c.meter.fleet_load import FleetLoadModel, MeterParams
    from k351c.meter.fleet_quality import FleetQuality
    from k351c.meter.fleet_temperature import TemperatureHistory


class FleetMetering(FleetOutages):
    """Measurements and energy of a fleet's meters (``Fleet`` inherits it; the load and inputs are its)."""

    config: MeterConfig
    model: FleetLoadModel
    params: MeterParams
    curves: ErrorCurves | None
    temperatures: TemperatureHistory
    quality: FleetQuality
    ct_primary: np.ndarray
    ct_secondary: int
    start: float

    def ct_ratio(self) -> np.ndarray:
        """CT ratios primary/secondary of all meters (n,)."""
        return self.ct_primary / float(self.ct_secondary)

    def measurement(
        self,
        meters: np.ndarray,
        idx: np.ndarray,
        powered: np.ndarray | None = None,
        since: np.ndarray | None = None,
        window: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Measurement:
        """What the meters measure in the intervals idx: arrays (len(meters) * len(idx), 3).

        ``since``: the instant each interval's part begins (the temperatures set by then count).
        With voltage events, over the whole intervals or a ``window`` (begins, ends) per meter and
        interval part (begin == end: at that instant), k351c.meter.voltage_events.blend.
        """
        p, q, u = self.model.power(self.params.take(meters), idx)
        if powered is None:
            powered = self.powered_fraction(meters, idx) > 0
        if not powered.all():
            off = ~powered[..., None]
            p, q, u = (np.where(off, 0.0, a) for a in (p, q, u))
        meas = self._measure(meters, idx, p, q, u, since)
        events = self.quality.voltage_events.events
        if not events:
            return meas
        if window is None:
            lo = np.broadcast_to(idx.astype(np.float64) * RESOLUTION, (len(meters), idx.size))
            hi = lo + RESOLUTION
        else:
            lo, hi = (np.asarray(w, dtype=np.float64).reshape(len(meters), -1) for w in window)

        def cells(sub: np.ndarray, cols: np.ndarray, p, q, u) -> Measurement:  # noqa: ANN001
            part = None if since is None else np.asarray(since)[cols]
            return self._measure(sub, idx[cols], p, q, u, part)

        return blend(events, meters, meas, (p, q, u), cells, self.powered_each, lo, hi)

    def _measure(
        self,
        meters: np.ndarray,
        idx: np.ndarray,
        p: np.ndarray,
        q: np.ndarray,
        u: np.ndarray,
        since: np.ndarray | None = None,
    ) -> Measurement:
        """The metrology of loads (len(meters), len(idx), 3) with each meter's errors and temperature."""
        cfg = self.config
        errors = None
        if self.curves is not None:
            rows = np.repeat(np.asarray(meters), idx.size)
            curves = self.curves.take(rows)
            middles = np.tile(interval_middles(idx * float(RESOLUTION)), len(meters))
            ambient = curves.ambient(middles, cfg.utc_offset_minutes)
            overrides = self.temperatures.overrides(meters, idx, since)
            if overrides is not None:
                ambient = np.where(np.isnan(overrides.reshape(-1)), ambient, overrides.reshape(-1))
            errors = MeterErrors(curves, ambient)
        inputs = self.model.inputs(p, q, u)
        return measure(inputs, cfg.nominal_voltage, cfg.meter_class, cfg.aron, errors)

    def energy_wh(
        self,
        meters: np.ndarray,
        idx: np.ndarray,
        seconds: np.ndarray,
        whole: bool = False,
        since: np.ndarray | None = None,
        ratio: np.ndarray | None = None,
        window: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Energy (Wh, varh) booked per bank, meter, interval, quantity and slot 0..3: (2, n, m, 4, 4).

        ``seconds`` is how much of each interval counts (900 for whole ones); outages reduce it
        unless ``whole`` says the seconds are powered ones already. ``since`` and ``ratio`` are the
        start of each interval's part and the CT ratio then (default: whole intervals, the ratio now).
        """
        frac = self.powered_fraction(meters, idx)
        meas = self.measurement(meters, idx, frac > 0, since, window)
        seconds = np.broadcast_to(seconds, frac.shape)  # per interval (m,) or per meter and interval
        dt = (np.ones_like(frac) * seconds if whole else frac * seconds).reshape(-1)
        ws = np.empty((dt.size, 4, 4))
        for qi, (tot, phases) in enumerate(signed_parts(meas, 1, dt.size, skip_zero=False)):
            ws[:, qi, 0] = tot[0] * dt
            ws[:, qi, 1:4] = phases[0] * dt[:, None]
        ws = ws.reshape(len(meters), idx.size, 4, 4)
        if ratio is None:
            ratio = self.ct_ratio()[meters][:, None]
        return EnergyBanks.wh(ws, ratio[..., None, None])

    def instant(self, i: int, t: float | None = None) -> Measurement:
        """Meter i's instantaneous values at t: the measurement a ``Meter`` last made.

        That is the interval ending at t (the one holding t before the first step), with no
        voltage when t falls in one of the meter's outages.
        """
        t = self.t if t is None else t
        if t > self.start:
            k, probe = int(math.ceil(t / RESOLUTION)) - 1, t - 1e-6
        else:
            k, probe = int(math.floor(t / RESOLUTION)), t + 0.5
        powered = not any(t0 < probe < t1 for t0, t1 in self.outage_windows(i))
        at = (np.array([probe]), np.array([probe]))
        return self.measurement(np.array([i]), np.array([k]), np.array([[powered]]), window=at)
