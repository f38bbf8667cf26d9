"""The fleet's real-time clock: one crystal rate shared by every meter, meter time against true time.

A fleet's meters share one configuration and so one ``[rtc] drift_ppm``; they start with the fleet
and none of them can have its clock set (the fleet's clock is shared), so every meter shows the same
meter time. It is the single meter's ``Rtc`` without clock sets or lost time: meter time runs at
(1 + drift) x true time from the start. The load, the outages and the fleet's ``t`` are true time;
what a meter does at an instant of its own clock (a tariff switch, the end of a load-profile
period, a time stamp) happens at the true instant its clock shows it. With no drift both are the
same and nothing here changes a bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from k351c.meter.powerfail import (
    CLOCK_DOUBTFUL,
    CLOCK_DST_ACTIVE,
    CLOCK_INVALID,
    backup_error_s,
    battery_flat,
    is_doubtful,
    on_backup_s,
)
from k351c.meter.tariffs import TariffCalendar

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet


class FleetRtc:
    """Meter time of a fleet's meters against true time, from the fleet's start."""

    def __init__(self, drift_ppm: float, start: float) -> None:
        self.drift = float(drift_ppm) * 1e-6
        self.rate = 1.0 + self.drift
        self.start = float(start)

    @property
    def exact(self) -> bool:
        """Whether meter time is true time."""
        return self.drift == 0.0

    def meter_time(self, t_true):
        """What the meters' clocks show at true time(s) t."""
        return t_true if self.exact else self.start + (t_true - self.start) * self.rate

    def true_time(self, t_meter):
        """The true instant(s) at which the meters' clocks show t_meter."""
        return t_meter if self.exact else self.start + (t_meter - self.start) / self.rate

    def tariff_weights(self, calendar: TariffCalendar, begins: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Share (len(begins), 4) of each true span [begin, end) in tariffs 1..4 by the meters' clock."""
        out = np.zeros((begins.size, 4))
        for row, (begin, end) in enumerate(zip(begins.tolist(), ends.tolist(), strict=True)):
            m, m_end = self.meter_time(begin), self.meter_time(end)
            length = m_end - m
            if length <= 0:
                out[row, calendar.tariff_at(m) - 1] = 1.0
                continue
            while m < m_end:
                tariff, switch = calendar.window(m)
                upto = m_end if switch is None else min(m_end, switch)
                out[row, tariff - 1] += (upto - m) / length
                m = upto
        return out


def clock_status(fleet: Fleet, meters: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Clock status bits (len(meters), len(ends)) of meters at true instants: summer time by their clock,
    doubtful and invalid after the outages before each instant (the powerfail rules of the backup)."""
    shown = fleet.rtc.meter_time(np.asarray(ends, dtype=float))
    dst = np.where(fleet.localtime.is_dst(shown), CLOCK_DST_ACTIVE, 0)
    outages = fleet.outages
    out = np.broadcast_to(dst, (meters.size, ends.size))
    if not is_doubtful(backup_error_s(sum(o.t1 - o.t0 for o in outages))):
        return out  # no meter's backup can have drifted a second yet
    error, invalid = np.zeros(out.shape), np.zeros(out.shape, dtype=bool)
    for outage in outages:  # the RTC's possible error after each failure, at the spec's ppm
        hit = np.isin(meters, outage.meters)
        duration = outage.t1 - outage.t0
        flat = battery_flat(fleet.battery, fleet.start, fleet.rtc.meter_time(outage.t1))
        on_backup = on_backup_s(duration, flat)  # a flat battery: the RTC stands still after 7 days
        after = ends >= outage.t1
        error[hit] += np.where(after, backup_error_s(on_backup), 0.0)
        if duration > on_backup:
            error[hit] += np.where(after, duration - on_backup, 0.0)
            invalid[hit] |= after
    out = out | np.where(is_doubtful(error), CLOCK_DOUBTFUL, 0) | np.where(invalid, CLOCK_INVALID, 0)
    return out
