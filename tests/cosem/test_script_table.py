"""The end-of-billing-period script table 0-0:10.0.1.255 (class 9): execute = a debiting stop now."""

from __future__ import annotations

import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.axdr.enums import ActionResult
from k351c.axdr.types import Data, DataType
from k351c.cosem import Level, RequestContext, build_object_list
from k351c.obis import Obis

SCRIPT = Obis.parse("0-0:10.0.1.255").to_bytes()
PUBLIC, READING, MANAGEMENT = (RequestContext(level) for level in Level)


def external_meter(config2: str = "001-00-01-1") -> Meter:
    """GG = 00: externally controlled debiting, a 5 A load for 40 days (no scheduled stop)."""
    config = MeterConfig.from_codes(config2=config2)
    meter = Meter(config, clock=SimClock("2026-01-05T00:00:00Z", rate=0))
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(40 * 86400)
    return meter


@pytest.mark.parametrize("config2", ["001-00-01-1", "001-01-00-1"])
def test_execute_script_1_ends_an_externally_controlled_period(config2) -> None:
    meter = external_meter(config2)
    assert meter.read("0-0:0.1.0.255").value == 0
    objects = build_object_list(meter)
    result, _ = objects.action(MANAGEMENT, 9, SCRIPT, 1, Data(DataType.LONG_UNSIGNED, 1))
    assert result == ActionResult.SUCCESS
    assert meter.read("0-0:0.1.0.255").value == 1
    (row,) = meter.read("0-0:98.1.0.255").rows
    assert row[0] == meter.now
    a_plus = meter.read("1-0:1.8.0.255").value
    assert row[meter.read("0-0:98.1.0.255").columns.index("1-0:1.8.0.255")] == pytest.approx(a_plus)
    assert meter.read("1-0:1.6.0.255").value == 0


def test_execute_is_management_only_and_unknown_scripts_are_refused() -> None:
    meter = external_meter()
    objects = build_object_list(meter)
    one = Data(DataType.LONG_UNSIGNED, 1)
    assert objects.action(READING, 9, SCRIPT, 1, one)[0] == ActionResult.READ_WRITE_DENIED
    assert objects.action(PUBLIC, 9, SCRIPT, 1, one)[0] == ActionResult.READ_WRITE_DENIED
    for bad in (Data(DataType.LONG_UNSIGNED, 2), Data(DataType.BOOLEAN, True), None):
        assert objects.action(MANAGEMENT, 9, SCRIPT, 1, bad)[0] != ActionResult.SUCCESS
    assert meter.read("0-0:0.1.0.255").value == 0


def test_scripts_attribute_describes_the_debiting_logger_capture() -> None:
    objects = build_object_list(external_meter())
    (script,) = objects.get(READING, 9, SCRIPT, 2).value
    script_id, actions = script.value
    assert script_id.value == 1
    (action,) = actions.value
    service, class_id, ln, method, _ = action.value
    assert (service.value, class_id.value, method.value) == (2, 7, 2)
    assert bytes(ln.value) == Obis.parse("0-0:98.1.0.255").to_bytes()
    schedule = objects.get(READING, 22, Obis.parse("0-0:15.0.0.255").to_bytes(), 2)
    assert bytes(schedule.value[0].value) == SCRIPT
    assert schedule.value[1].value == 1
