"""Power failures: down state, short/long counters, power-failure log, RTC backup, drift and clock status."""

import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.eventlog import EventLogs
from k351c.meter.powerfail import (
    CLOCK_DOUBTFUL,
    CLOCK_DST_ACTIVE,
    CLOCK_INVALID,
    SUPERCAP_SECONDS,
    PowerFail,
)
from k351c.meter.scenario import ScenarioLoad, Window

T0 = 1767225600.0  # 2026-01-01T00:00:00Z


def meter(outages, **kwargs):
    m = Meter(
        MeterConfig.default(),
        clock=SimClock(T0, rate=0),
        functions=[PowerFail(**kwargs), EventLogs()],
    )
    windows = [Window(T0 + a, T0 + b, voltage=0.0) for a, b in outages]
    m.set_load(ScenarioLoad(ConstantLoad(current=5.0), windows))
    return m


def test_outage_stops_registration_and_is_logged():
    m = meter([(3600, 3600 + 7200)])
    m.run_for(1800)
    assert m.powered
    m.run_for(3600)
    assert not m.powered and m.function("powerfail").down
    m.run_for(3 * 3600)
    assert m.powered
    assert m.read("1-1:1.8.0.255").value == 8625  # 4.5 h of time, 2 h of them without supply
    assert m.read("0-0:96.7.0.255").value == 1 and m.read("0-0:96.7.5.255").value == 1
    assert m.read("0-0:96.7.19.255").value == 7200
    log = m.read("1-0:99.97.0.255")
    assert log.columns == ["0-0:1.0.0.255", "0-0:96.7.19.255"]
    assert [(r[0].timestamp(), r[1]) for r in log.rows] == [(T0 + 3600, 7200)]
    assert m.function("eventlog").entries("standard") == [(T0 + 3600, 1), (T0 + 3600 + 7200, 2)]


def test_short_and_long_counts():
    m = meter([(100, 160), (1000, 1179), (2000, 2180), (5000, 9000)])
    m.run_for(20000)
    pf = m.function("powerfail")
    assert (pf.short_count, pf.long_count) == (2, 2)
    assert m.read("0-0:96.7.128.255").value == 2
    assert m.read("0-0:96.7.15.255").value == 180 + 4000
    assert [r[1] for r in pf.log.rows] == [60, 179, 180, 4000]


def test_drift_on_supercap_within_seven_days():
    m = meter([(0 + 60, 60 + 6 * 86400)], battery=False)
    m.run_for(7 * 86400)
    pf = m.function("powerfail")
    assert pf.rtc_error_s == pytest.approx(6 * 86400 * 5e-6)
    assert m.clock_status & CLOCK_DOUBTFUL  # 2.6 s may be off
    assert not m.clock_status & CLOCK_INVALID


def test_without_battery_the_clock_is_invalid_after_the_supercap_until_set():
    m = meter([(60, 60 + 10 * 86400)], battery=False)
    m.run_for(11 * 86400)
    pf = m.function("powerfail")
    assert m.clock_status & CLOCK_INVALID
    assert pf.rtc_error_s == pytest.approx(3 * 86400 + SUPERCAP_SECONDS * 5e-6)
    assert (T0 + 60 + 10 * 86400, 6) in m.function("eventlog").entries("standard")
    m.set_clock(m.t + 1)
    assert m.clock_status & (CLOCK_INVALID | CLOCK_DOUBTFUL) == 0 and pf.rtc_error_s == 0


def test_battery_per_x6_keeps_the_clock_valid():
    m = meter([(60, 60 + 10 * 86400)])
    assert m.function("powerfail").battery is True  # X6 = 2: supercap and battery
    m.run_for(11 * 86400)
    assert not m.clock_status & CLOCK_INVALID


def test_clock_status_dst_bit():
    m = meter([])
    assert m.clock_status == 0
    m.run_for(200 * 86400)
    assert m.clock_status == CLOCK_DST_ACTIVE


def test_state_survives_restart():
    from k351c.store import MemoryStore

    store = MemoryStore()
    m = Meter(
        MeterConfig.default(), clock=SimClock(T0, rate=0), store=store, functions=[PowerFail()]
    )
    m.set_load(ScenarioLoad(ConstantLoad(current=5.0), [Window(T0 + 10, T0 + 1000, voltage=0.0)]))
    m.run_for(500)
    again = Meter(
        MeterConfig.default(),
        clock=SimClock(T0 + 500, rate=0),
        store=store,
        functions=[PowerFail()],
    )
    again.set_load(m.load)
    assert again.function("powerfail").down
    again.run_for(1000)
    assert again.read("0-0:96.7.19.255").value == 990
