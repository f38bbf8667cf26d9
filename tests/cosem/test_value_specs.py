"""Typed value specifications bound to COSEM: status, reset, capture, logger setters and write access."""

import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.axdr.enums import ActionResult, DataAccessResult
from k351c.axdr.selective import CaptureObject
from k351c.axdr.types import Data, DataType
from k351c.cosem import Level, RequestContext, build_object_list
from k351c.meter.objects import Access
from k351c.obis import Obis

PUBLIC, READING, MANAGEMENT = (RequestContext(level) for level in Level)
ANALYSIS = "1-0:99.2.0.255"
MANUAL_LIST = "0-0:21.0.2.255"


def ln(code: str) -> bytes:
    return Obis.parse(code).to_bytes()


def capture_array(*columns: tuple[int, str, int]) -> Data:
    items = (CaptureObject(c, Obis.parse(o).to_bytes(), a, 0).to_data() for c, o, a in columns)
    return Data(DataType.ARRAY, tuple(items))


@pytest.fixture
def meter():
    m = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    m.set_load(ConstantLoad(current=5.0))
    m.run_for(3 * 3600)
    return m


def test_every_extended_register_answers_the_status_of_its_spec(meter):
    objects = build_object_list(meter)
    extended = [d for d in meter.objects if d.class_id == 4]
    assert len(extended) >= 8
    for definition in extended:
        expected = int(definition.status()) if definition.status is not None else 0
        got = objects.get(READING, 4, definition.obis.to_bytes(), 4)
        assert got == Data(DataType.UNSIGNED, expected), definition.obis
        assert meter.read(definition.obis).status == expected


def test_logger_methods_exist_exactly_where_the_spec_has_the_hook(meter):
    objects = build_object_list(meter)
    for definition in (d for d in meter.objects if d.class_id == 7):
        for method, hook in ((1, definition.reset), (2, definition.capture)):
            result, _ = objects.action(MANAGEMENT, 7, definition.obis.to_bytes(), method, Data(DataType.INTEGER, 0))
            if hook is None:
                assert result == ActionResult.READ_WRITE_DENIED, (definition.obis, method)


def test_register_reset_runs_the_specs_reset(meter):
    objects = build_object_list(meter)
    resettable = [d for d in meter.objects if d.class_id in (3, 4) and d.reset is not None]
    assert resettable, "the min/max voltages reset by method 1"
    for definition in resettable:
        result, _ = objects.action(MANAGEMENT, definition.class_id, definition.obis.to_bytes(), 1,
                                   Data(DataType.INTEGER, 0))
        assert result == ActionResult.SUCCESS, definition.obis


def test_analysis_capture_period_goes_through_the_logger(meter):
    objects = build_object_list(meter)
    result = objects.set(MANAGEMENT, 7, ln(ANALYSIS), 4, Data(DataType.DOUBLE_LONG_UNSIGNED, 600))
    assert result == DataAccessResult.SUCCESS
    assert meter.read(ANALYSIS).capture_period == 600


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        (Data(DataType.VISIBLE_STRING, "600"), DataAccessResult.TYPE_UNMATCHED),
        (Data(DataType.BOOLEAN, True), DataAccessResult.TYPE_UNMATCHED),
        (Data(DataType.DOUBLE_LONG_UNSIGNED, 700), DataAccessResult.OTHER_REASON),
    ],
)
def test_a_bad_capture_period_is_refused_and_changes_nothing(meter, value, refusal):
    objects = build_object_list(meter)
    before = meter.read(ANALYSIS).capture_period
    assert objects.set(MANAGEMENT, 7, ln(ANALYSIS), 4, value) == refusal
    assert meter.read(ANALYSIS).capture_period == before


def test_display_list_capture_objects_are_written_at_the_reading_level(meter):
    objects = build_object_list(meter)
    assert meter.objects.lookup(MANUAL_LIST).write_access == Access.READING
    wanted = capture_array((3, "1-0:1.8.0.255", 2), (3, "1-0:2.8.0.255", 2))
    assert objects.set(PUBLIC, 7, ln(MANUAL_LIST), 3, wanted) == DataAccessResult.READ_WRITE_DENIED
    assert objects.set(READING, 7, ln(MANUAL_LIST), 3, wanted) == DataAccessResult.SUCCESS
    assert meter.read(MANUAL_LIST).columns[:2] == ["1-0:1.8.0.255", "1-0:2.8.0.255"]


def test_a_capture_object_other_than_the_value_is_refused_and_changes_nothing(meter):
    objects = build_object_list(meter)
    before = meter.read(MANUAL_LIST).columns
    wrong = capture_array((3, "1-0:1.8.0.255", 3))
    assert objects.set(READING, 7, ln(MANUAL_LIST), 3, wrong) == DataAccessResult.OTHER_REASON
    assert meter.read(MANUAL_LIST).columns == before


def test_logical_device_name_is_an_octet_string_by_its_spec(meter):
    objects = build_object_list(meter)
    assert meter.objects.lookup("0-0:42.0.0.255").octets
    got = objects.get(PUBLIC, 1, ln("0-0:42.0.0.255"), 2)
    assert got == Data(DataType.OCTET_STRING, f"KAM{meter.config.serial}".encode())
