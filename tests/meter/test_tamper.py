"""Tamper: covers and magnet in the fraud log, error and alarm registers, alarm events for push."""

import pytest

from k351c import ConfigError, ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.eventlog import EventLogs
from k351c.meter.powerfail import PowerFail
from k351c.meter.tamper import Alarm, Tamper
from k351c.store import MemoryStore

T0 = 1767225600.0


def meter(store=None):
    m = Meter(
        MeterConfig.default(),
        clock=SimClock(T0, rate=0),
        store=store or MemoryStore(),
        functions=[PowerFail(), Tamper(), EventLogs()],
    )
    m.set_load(ConstantLoad(current=1.0))
    return m


def test_covers_and_magnet_logged_with_standard_codes():
    m = meter()
    alarms = []
    m.subscribe(lambda e: alarms.append(e) if e.kind == "alarm" else None)
    tamper = m.function("tamper")
    m.run_for(60)
    tamper.set("meter_cover", opened=True)
    m.run_for(60)
    tamper.set("meter_cover", opened=False)
    tamper.set("terminal_cover", opened=True)
    tamper.set("terminal_cover", opened=True)  # no change, no event
    m.run_for(60)
    tamper.set("magnetic", active=True)
    tamper.set("magnetic", active=False)
    log = m.read("0-0:99.98.1.255")
    assert log.columns == ["0-0:1.0.0.255", "0-0:96.11.1.255"]
    assert [(r[0].timestamp() - T0, r[1]) for r in log.rows] == [
        (60, 44),
        (120, 45),
        (120, 40),
        (180, 42),
        (180, 43),
    ]
    assert m.read("0-0:96.11.1.255").value == 43
    assert [a.data["cause"] for a in alarms] == [44, 40, 42]
    assert alarms[0].data["source"] == "meter_cover" and alarms[0].t == T0 + 60


def test_error_and_alarm_registers():
    m = meter()
    tamper = m.function("tamper")
    tamper.set("terminal_cover", opened=True)
    assert m.read("0-0:97.97.0.255").value == Alarm.TERMINAL_COVER
    assert not tamper.error_symbol
    tamper.set("meter_cover", opened=True)
    tamper.set("meter_cover", opened=False)
    assert tamper.error_symbol  # latched until cleared
    assert m.read("0-0:97.98.0.255").value == Alarm.TERMINAL_COVER | Alarm.METER_COVER
    m.write("0-0:97.98.0.255", 0)
    assert m.read("0-0:97.98.0.255").value == 0
    tamper.clear_errors()
    assert m.read("0-0:97.97.0.255").value == Alarm.TERMINAL_COVER  # still open
    tamper.set("magnetic", active=True)
    assert tamper.error_symbol


def test_bad_source_or_state():
    m = meter()
    with pytest.raises(ConfigError):
        m.function("tamper").set("door", opened=True)
    with pytest.raises(ConfigError):
        m.function("tamper").set("meter_cover")


def test_tamper_log_and_registers_persist():
    store = MemoryStore()
    m = meter(store)
    m.function("tamper").set("meter_cover", opened=True)
    again = meter(store)
    assert again.function("eventlog").entries("fraud") == [(T0, 44)]
    assert again.function("tamper").active["meter_cover"]
    assert again.read("0-0:97.98.0.255").value == Alarm.METER_COVER
