"""Voltage-quality limits and min/max extremes: set and reset through the domain methods and DLMS."""

from __future__ import annotations

import pytest

from k351c import ConfigError, ConstantLoad, Meter, MeterConfig, SimClock
from k351c.axdr.enums import ActionResult, DataAccessResult
from k351c.axdr.types import Data, DataType
from k351c.cosem import Level, RequestContext, build_object_list
from k351c.obis import Obis
from k351c.store import MemoryStore

MANAGEMENT = RequestContext(Level.MANAGEMENT)
READING = RequestContext(Level.READING)


def make(store=None) -> Meter:
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-05T00:00:00Z", rate=0), store=store)
    meter.set_load(ConstantLoad(voltage=(230.0, 228.0, 232.0), current=5.0))
    meter.run_for(3600)
    meter.set_load(ConstantLoad(voltage=(215.0, 228.0, 241.0), current=5.0))
    meter.run_for(600)
    return meter


def ln(code: str) -> bytes:
    return Obis.parse(code).to_bytes()


def test_limits_set_through_the_api_count_with_the_new_limits_and_persist() -> None:
    store = MemoryStore()
    meter = make(store)
    assert meter.read("1-0:32.32.0.255").value == 0  # 215 V is above the default 207 V
    meter.function("quality").set_limits(under_v=220.0, over_v=240.0)
    assert meter.read("1-0:12.31.0.255").value == pytest.approx(220.0)
    assert meter.read("1-0:12.35.0.255").value == pytest.approx(240.0)
    assert meter.read("0-0:96.11.0.255").value == 230
    meter.run_for(600)
    assert meter.read("1-0:32.32.0.255").value == 1
    assert meter.read("1-0:72.36.0.255").value == 1
    again = Meter(MeterConfig.default(), clock=SimClock(meter.t, rate=0), store=store)
    assert again.read("1-0:12.31.0.255").value == pytest.approx(220.0)
    for bad in ({"under_v": 231.0}, {"over_v": 229.0}, {"under_v": "x"}):
        with pytest.raises(ConfigError):
            meter.function("quality").set_limits(**bad)
    assert meter.read("1-0:12.31.0.255").value == pytest.approx(220.0)


def test_min_is_class_3_max_class_4_with_status_and_reset_per_register() -> None:
    meter = make()
    low = meter.read("1-0:32.3.0.255")
    assert low.value == pytest.approx(215.0) and low.status is None and low.captured is None
    high = meter.read("1-0:32.6.0.255")
    assert high.status == 0 and high.captured is not None
    assert meter.read("1-0:1.8.0.255").status is None
    assert meter.read("1-0:72.6.0.255").value == pytest.approx(241.0)
    meter.function("quality").reset_min_max(1, "min")
    assert meter.read("1-0:32.3.0.255").value == 0
    assert meter.read("1-0:32.3.0.255").captured is None
    assert meter.read("1-0:32.6.0.255").value == pytest.approx(230.0)
    meter.run_for(60)
    assert meter.read("1-0:32.3.0.255").value == pytest.approx(215.0)
    with pytest.raises(ConfigError):
        meter.function("quality").reset_min_max(4)


def test_dlms_sets_limits_and_resets_extremes_management_only() -> None:
    meter = make()
    objects = build_object_list(meter)
    limit = Data(DataType.LONG_UNSIGNED, 2200)
    assert objects.set(READING, 3, ln("1-0:12.31.0.255"), 2, limit) == DataAccessResult.READ_WRITE_DENIED
    assert objects.set(MANAGEMENT, 3, ln("1-0:12.31.0.255"), 2, limit) == DataAccessResult.SUCCESS
    assert meter.read("1-0:12.31.0.255").value == pytest.approx(220.0)
    too_high = Data(DataType.LONG_UNSIGNED, 2400)
    assert objects.set(MANAGEMENT, 3, ln("1-0:12.31.0.255"), 2, too_high) != DataAccessResult.SUCCESS
    zero = Data(DataType.INTEGER, 0)
    assert objects.action(READING, 4, ln("1-0:72.6.0.255"), 1, zero)[0] == ActionResult.READ_WRITE_DENIED
    assert objects.action(MANAGEMENT, 4, ln("1-0:72.6.0.255"), 1, zero)[0] == ActionResult.SUCCESS
    assert meter.read("1-0:72.6.0.255").value == 0
    assert meter.read("1-0:72.3.0.255").value == pytest.approx(232.0)
    assert objects.action(MANAGEMENT, 3, ln("1-0:72.3.0.255"), 1, zero)[0] == ActionResult.SUCCESS
    assert meter.read("1-0:72.3.0.255").value == 0
    status = objects.get(READING, 4, ln("1-0:32.6.0.255"), 4)
    assert status.type == DataType.UNSIGNED
