"""A fleet's RTC drift: one crystal rate for all its meters, meter time against true time as ``Rtc``.

A drifting fleet meter reads every object equal to a single ``Meter`` of the same configuration
run for the same true time: its clock, the tariff registers (the tariff switches by the meter's
clock, inside the load's 15-minute intervals), the load profile closing at the meter's period ends,
across the spring DST change, at 5, 15 and 60 minutes, fast and slow.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes import RtcSettings, Settings
from k351c.meter.fleet_clock import FleetRtc
from k351c.meter.tariffs import TariffCalendar

T0 = parse_instant("2026-03-26T00:00:00Z").timestamp()  # the spring DST change inside
DAY = 86400.0


def drifting(ppm: float, period_code: int = 2) -> MeterConfig:
    """The default configuration with an RTC ``ppm`` fast and the integration period of E."""
    settings = dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=ppm))
    return MeterConfig.from_codes(settings=settings, config1=f"3-1-000-00-{period_code}")


@pytest.mark.parametrize(("ppm", "period_code"), [(1000.0, 2), (-700.0, 1), (250.0, 4)])
def test_a_drifting_fleet_meter_equals_a_drifting_single_meter(ppm, period_code):
    fleet = Fleet(drifting(ppm, period_code), meters=2, clock=SimClock(T0, rate=0))
    fleet.add_outage(T0 + 2 * DAY + 100.0, T0 + 2 * DAY + 4000.0, [1])
    fleet.run_for(5 * DAY + 333.0)
    for i in range(2):
        view = fleet.meter(i)
        twin = Meter(view.config, clock=SimClock(T0, rate=0), load=view.load)
        twin.run_for(5 * DAY + 333.0)
        differ = [str(d.obis) for d in twin.objects if twin.read(d.obis) != view.read(d.obis)]
        assert differ == []
    offset = fleet.meter(0).read("0-0:1.0.0.255").value.timestamp() - fleet.t
    assert offset == pytest.approx((5 * DAY + 333.0) * ppm * 1e-6)


def test_the_tariff_switches_by_the_meters_clock():
    config = drifting(1000.0)
    rtc = FleetRtc(1000.0, T0)
    calendar = TariffCalendar(config.tariff_table, Fleet(config, clock=SimClock(T0, rate=0)).localtime)
    switch = parse_instant("2026-03-30T06:00:00+02:00").timestamp()  # a workday's 06:00 (meter time)
    at = rtc.true_time(switch)
    assert switch - at == pytest.approx((at - T0) * 1e-3)  # about 6 minutes earlier in true time
    k = np.floor(at / 900.0)
    shares = rtc.tariff_weights(calendar, np.array([k * 900.0]), np.array([k * 900.0 + 900.0]))
    assert shares[0, 1] == pytest.approx((at - k * 900.0) / 900.0)  # night tariff 2 up to the switch
    assert shares[0].sum() == pytest.approx(1.0) and shares[0, 0] > 0


def test_without_drift_meter_time_is_true_time_to_the_bit():
    rtc = FleetRtc(0.0, T0)
    t = np.array([T0 + 0.1, T0 + 1e7 / 3])
    assert rtc.exact and rtc.meter_time(t) is t and rtc.true_time(t) is t
