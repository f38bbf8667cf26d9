"""Audit trail: CT, configuration, clock, alarm-input and debiting-stop events in the event logs by OBIS."""

from __future__ import annotations

import dataclasses

import pytest

from k351c import ConfigError, ConstantLoad, Meter, MeterConfig, SimClock
from k351c.axdr.enums import DataAccessResult
from k351c.axdr.types import Data, DataType
from k351c.cosem import Level, RequestContext, build_object_list
from k351c.meter.eventlog import EventCode
from k351c.obis import Obis
from k351c.store import MemoryStore

STANDARD = "0-0:99.98.0.255"
MANAGEMENT = RequestContext(Level.MANAGEMENT)


def make(config1: str = "3-1-000-00-2", config2: str = "001-01-01-1", store=None) -> Meter:
    config = MeterConfig.from_codes(config1=config1, config2=config2)
    meter = Meter(config, clock=SimClock("2026-01-05T00:00:00Z", rate=0), store=store)
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(3600)
    return meter


def codes(meter: Meter, log: str = STANDARD) -> list[int]:
    return [row[1] for row in meter.read(log).rows]


def test_ct_ratio_change_is_logged_and_config5_sss_follows() -> None:
    store = MemoryStore()
    meter = make(store=store)
    meter.set_ct_ratio(400)
    assert codes(meter)[-1] == EventCode.CT_RATIO_CHANGED == 231
    assert meter.read("0-0:96.11.0.255").value == 231
    assert str(meter.config.config5) == "000-080-1-1"
    assert meter.config.ct_primary == 400
    again = Meter(MeterConfig.default(), clock=SimClock(meter.t, rate=0), store=store)
    assert str(again.config.config5) == "000-080-1-1"
    assert codes(again)[-1] == 231


@pytest.mark.parametrize("primary", [42, 150, 3005, 0])
def test_a_ratio_sss_cannot_encode_is_refused_everywhere(primary: int) -> None:
    meter = make()
    before = codes(meter)
    with pytest.raises(ConfigError, match="SSS"):
        meter.set_ct_ratio(primary)
    objects = build_object_list(meter)
    ln = Obis.parse("1-0:0.4.2.255").to_bytes()
    value = Data(DataType.LONG_UNSIGNED, primary)
    assert objects.set(MANAGEMENT, 1, ln, 2, value) == DataAccessResult.OTHER_REASON
    assert meter.ct_primary == 5 and str(meter.config.config5) == "000-001-1-1"
    assert codes(meter) == before


def test_configuration_and_clock_changes_are_logged() -> None:
    meter = make()
    settings = meter.config.settings
    meter.reconfigure(settings=dataclasses.replace(settings))
    assert codes(meter)[-1] == EventCode.CONFIGURATION_CHANGED == 230
    meter.set_clock("2026-01-05T03:00:00Z")
    assert codes(meter)[-2:] == [4, 5]


def test_debiting_stops_scheduled_and_commanded_are_logged() -> None:
    meter = make()
    meter.run_for(30 * 86400)
    meter.function("billing").debiting_stop()
    stops = [row for row in meter.read(STANDARD).rows if row[1] == 232]
    assert [r[0].isoformat() for r in stops] == [
        "2026-02-01T00:00:00+01:00",
        meter.now.isoformat(),
    ]


@pytest.mark.parametrize(("dd", "active_level"), [("03", 1), ("04", 0)])
def test_alarm_input_is_logged_and_sets_the_alarm_register(dd: str, active_level: int) -> None:
    meter = make(config1=f"3-1-068-{dd}-2", config2="001-01-01-2")
    io = meter.function("io")
    io.set_input(2, 1 - active_level)
    assert meter.read("0-0:97.98.0.255").value & 0x0800 == 0
    io.set_input(2, active_level)
    assert codes(meter)[-1] == EventCode.ALARM_INPUT_ACTIVE == 233
    assert meter.read("0-0:97.98.0.255").value & 0x0800
    io.set_input(2, 1 - active_level)
    assert codes(meter)[-1] == EventCode.ALARM_INPUT_INACTIVE == 234
    assert meter.read("0-0:97.98.0.255").value & 0x0800, "the alarm stays until the register is written"
    meter.write("0-0:97.98.0.255", 0)
    assert meter.read("0-0:97.98.0.255").value == 0
