"""Demand, peaks, debiting stops, both debiting loggers and power failures of a drifting fleet, on arrays.

With ``[rtc] drift_ppm`` the meters' clock closes demand periods and ends debiting periods inside the
load's 15-minute intervals, at the true instants it shows them (``fleet_spans.drift_spans``, the
engine's ``next_t``/``at``). Every such object of a fleet meter equals a single ``Meter`` run on its
inputs, read from the fleet's arrays: no twin is built.
"""

from __future__ import annotations

import dataclasses

import pytest

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes import RtcSettings, Settings
from k351c.codes.settings import Thresholds
from k351c.meter.billing import DEBITING_LOGGER, DEBITING_LOGGER_2, STOP_COUNTER
from k351c.meter.demand import ACCUMULATED, PEAKS, THRESHOLD_COUNTER
from k351c.meter.fleet_powerfail import COUNTERS, POWER_FAILURE_LOG
from k351c.meter.hours import HOUR_COUNTER

T0 = parse_instant("2026-02-26T00:00:00Z").timestamp()
CODES = [
    *(str(obis) for obis, *_ in PEAKS.values()),
    *(str(obis) for obis in ACCUMULATED.values()),
    *(str(o) for o in (THRESHOLD_COUNTER, HOUR_COUNTER, STOP_COUNTER, DEBITING_LOGGER, DEBITING_LOGGER_2)),
    *COUNTERS,
    POWER_FAILURE_LOG,
]


@pytest.mark.parametrize(("ppm", "period"), [(1000.0, "2"), (-900.0, "1")], ids=["fast-15min", "slow-5min"])
def test_drifting_fleet_bills_on_arrays_as_a_single_meter(ppm, period):
    low = Thresholds(power_threshold_w=10.0)  # every period counts: the one a stop ends is seen
    settings = dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=ppm), thresholds=low)
    config = MeterConfig.from_codes(settings=settings, config1=f"3-1-000-00-{period}", config2="001-28-01-1")
    fleet = Fleet(config, meters=3, clock=SimClock(T0, rate=0))
    fleet.add_outage(T0 + 86400.0 + 5000.0, T0 + 86400.0 + 5000.0 + 4 * 3600.0, [1])
    fleet.run_for(3.5 * 86400.0 + 333.0)  # past the 28 Feb stop, inside an interval by meter time
    for i in range(3):
        view = fleet.meter(i)
        single = Meter(view.config, clock=SimClock(T0, rate=0), load=view.load)
        single.run_for(fleet.t - T0)
        assert [view.read(c) for c in CODES] == [single.read(c) for c in CODES]
    assert fleet.meter(0).read(str(STOP_COUNTER)).value == 1
    assert len(fleet.twins) == 0


def test_a_restored_drifting_fleet_stops_where_an_uninterrupted_one_does(tmp_path):
    settings = dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=1000.0))
    config = MeterConfig.from_codes(settings=settings, config2="001-28-01-1")
    whole = Fleet(config, meters=2, clock=SimClock(T0, rate=0))
    whole.run_for(3 * 86400.0)
    part = Fleet(config, meters=2, clock=SimClock(T0, rate=0))
    part.run_for(169100.0)  # just after the 28 Feb stop by the fast clock, before it in true time
    part.save(tmp_path / "fleet.npz")
    again = Fleet.load(tmp_path / "fleet.npz", config)
    again.run_for(whole.t - again.t)
    for code in (str(DEBITING_LOGGER), str(DEBITING_LOGGER_2), str(STOP_COUNTER)):
        assert again.meter(1).read(code) == whole.meter(1).read(code)
