"""The RTC: drift_ppm while running, its deviation in time stamps, a clock set, time lost, battery."""

from __future__ import annotations

import dataclasses

import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.codes import RtcSettings, Settings
from k351c.errors import ConfigError
from k351c.meter.eventlog import EventLogs
from k351c.meter.powerfail import BATTERY_LIFE_S, CLOCK_INVALID, SUPERCAP_SECONDS, PowerFail
from k351c.meter.scenario import ScenarioLoad, Window
from k351c.meter.tamper import Tamper
from k351c.store import MemoryStore

T0 = 1767225600.0  # 2026-01-01T00:00:00Z
DAY = 86400.0


def drifting(ppm: float, **kwargs) -> Meter:
    """A default meter whose RTC runs ``ppm`` fast, under a constant 5 A load."""
    settings = dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=ppm))
    meter = Meter(MeterConfig.from_codes(settings=settings), clock=SimClock(T0, rate=0), **kwargs)
    meter.set_load(ConstantLoad(current=5.0))
    return meter


def test_default_drift_is_zero_and_time_is_exact():
    meter = Meter(MeterConfig.default(), clock=SimClock(T0, rate=0))
    assert MeterConfig.default().settings.rtc.drift_ppm == 0.0
    meter.run_for(30 * DAY)
    assert meter.t == meter.clock.timestamp() == T0 + 30 * DAY


@pytest.mark.parametrize("ppm", [100.0, -50.0, 5.0])
def test_drift_shows_in_the_meters_time(ppm):
    meter = drifting(ppm)
    meter.run_for(10 * DAY)
    shown = meter.read("0-0:1.0.0.255").value.timestamp()
    assert meter.clock.timestamp() == T0 + 10 * DAY  # true time
    assert shown - (T0 + 10 * DAY) == pytest.approx(10 * DAY * ppm * 1e-6, abs=1e-3)


def test_time_stamps_are_in_meter_time_and_energy_in_true_time():
    meter = drifting(1000.0)  # 86.4 s a day, to see it in a day
    meter.run_for(DAY)
    rows = meter.read("1-0:99.1.0.255").rows
    stamps = [r[0].timestamp() for r in rows]
    assert all(s % 900 == 0 for s in stamps)  # intervals close on the meter's own quarter hours
    assert stamps[-1] == T0 + DAY  # its 96th quarter hour came 86.4 s before true midnight
    assert meter.t - (T0 + DAY) == pytest.approx(86.4, abs=1e-6)
    # energy is measured, not timed: a true day of 3 x 230 V x 5 A, whatever the RTC says
    assert meter.read("1-1:1.8.0.255").value == pytest.approx(3 * 230 * 5 * 24, abs=1)


def test_a_clock_set_corrects_the_deviation_and_drift_goes_on():
    meter = drifting(200.0)
    meter.run_for(5 * DAY)
    assert meter.t - meter.clock.timestamp() == pytest.approx(86.4, abs=1e-6)
    meter.set_clock(meter.clock.timestamp())
    assert meter.t == meter.clock.timestamp()
    meter.run_for(DAY)
    assert meter.t - meter.clock.timestamp() == pytest.approx(17.28, abs=1e-6)
    codes = [c for _, c in meter.function("eventlog").entries("standard")]
    assert codes[-2:] == [4, 5]  # clock adjusted: old time, new time


def test_the_deviation_survives_a_restart():
    store = MemoryStore()
    meter = drifting(300.0, store=store)
    meter.run_for(2 * DAY)
    again = drifting(300.0, store=store)
    again.clock.set(meter.clock.timestamp())
    assert again.t - again.clock.timestamp() == pytest.approx(2 * 86400 * 300e-6, abs=1e-6)
    again.run_for(DAY)
    assert again.t - again.clock.timestamp() == pytest.approx(3 * 86400 * 300e-6, abs=1e-6)


def test_drift_ppm_is_checked():
    with pytest.raises(ConfigError):
        RtcSettings(drift_ppm=5000.0)
    with pytest.raises(ConfigError):
        Settings.from_dict({"rtc": {"drift": 5}})
    assert Settings.from_dict({"rtc": {"drift_ppm": 12.5}}).rtc.drift_ppm == 12.5


def outage_meter(battery: bool | None, outage_days: float) -> Meter:
    meter = Meter(
        MeterConfig.default(),
        clock=SimClock(T0, rate=0),
        functions=[PowerFail(battery=battery), Tamper(), EventLogs()],
    )
    windows = [Window(T0 + 3600, T0 + 3600 + outage_days * DAY, voltage=0.0)]
    meter.set_load(ScenarioLoad(ConstantLoad(current=5.0), windows))
    return meter


def test_supercap_only_rtc_loses_the_time_beyond_seven_days():
    meter = outage_meter(battery=False, outage_days=10)
    meter.run_for(11 * DAY)
    lost = 10 * DAY - SUPERCAP_SECONDS
    assert meter.clock.timestamp() - meter.t == pytest.approx(lost, abs=1e-6)
    assert meter.read("0-0:1.0.0.255").value.timestamp() == pytest.approx(T0 + 11 * DAY - lost)
    assert meter.clock_status & CLOCK_INVALID
    assert meter.read("0-0:97.97.0.255").value & 0x0003 == 0x0003  # clock invalid, replace battery
    standard = meter.function("eventlog").entries("standard")
    assert [c for _, c in standard] == [7, 1, 2, 6]
    meter.set_clock(meter.clock.timestamp())
    assert not meter.clock_status & CLOCK_INVALID and meter.t == meter.clock.timestamp()
    assert meter.read("0-0:97.97.0.255").value & 0x0003 == 0x0002  # the battery is still flat


def test_within_seven_days_the_supercap_keeps_the_time():
    meter = outage_meter(battery=False, outage_days=6)
    meter.run_for(7 * DAY)
    assert meter.t == meter.clock.timestamp()
    assert not meter.clock_status & CLOCK_INVALID


def test_the_battery_keeps_the_clock_and_asks_for_replacement_after_its_life():
    meter = outage_meter(battery=None, outage_days=10)  # X6 = 2: supercap and battery
    meter.run_for(11 * DAY)
    assert meter.t == meter.clock.timestamp() and not meter.clock_status & CLOCK_INVALID
    assert meter.read("0-0:97.97.0.255").value & 0x0002 == 0
    meter.run_for(BATTERY_LIFE_S - 11 * DAY - DAY)
    assert not meter.replace_battery
    meter.run_for(2 * DAY)
    assert meter.replace_battery
    assert meter.read("0-0:97.97.0.255").value & 0x0002
    assert meter.read("0-0:97.98.0.255").value & 0x0002  # the alarm register too
    assert [c for _, c in meter.function("eventlog").entries("standard")][-1] == 7


def test_a_fleet_drifts_as_one_crystal():
    """A fleet's meters share the configuration's drift (tests/meter/test_fleet_rtc.py for all objects)."""
    from k351c.meter.fleet import Fleet

    settings = dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=5.0))
    fleet = Fleet(MeterConfig.from_codes(settings=settings), meters=2, start=T0)
    fleet.advance_to(T0 + 10 * DAY)
    meter = drifting(5.0)
    meter.run_for(10 * DAY)
    for i in range(2):
        assert fleet.meter(i).read("0-0:1.0.0.255").value == meter.read("0-0:1.0.0.255").value
    assert fleet.meter(0).t - fleet.t == pytest.approx(4.32)
