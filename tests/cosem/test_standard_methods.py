"""Standard behaviour of issue #18 item 8: clock and profile methods, attribute 0, association, setups."""

from datetime import UTC, datetime, timedelta

import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.axdr.enums import ActionResult, Conformance, DataAccessResult
from k351c.axdr.selective import CaptureObject, RangeDescriptor, SelectiveAccess
from k351c.axdr.types import Data, DataType
from k351c.cosem import Level, RequestContext, build_object_list
from k351c.cosem.types import datetime_octets
from k351c.obis import Obis

PUBLIC, READING, MANAGEMENT = (RequestContext(level) for level in Level)
ZERO = Data(DataType.INTEGER, 0)
CLOCK = Obis.parse("0-0:1.0.0.255").to_bytes()


def ln(code: str) -> bytes:
    return Obis.parse(code).to_bytes()


@pytest.fixture
def meter():
    m = Meter(MeterConfig.default(), clock=SimClock("2026-01-10T10:07:31Z", rate=0))
    m.set_load(ConstantLoad(current=5.0))
    m.run_for(3 * 86400)
    return m


def utc(meter) -> datetime:
    return datetime.fromtimestamp(meter.t, UTC)


@pytest.mark.parametrize(
    ("method", "start", "expected"),
    [
        (1, "10:07:31", "10:15:00"),  # adjust_to_quarter: 7.5 min and more rounds up
        (1, "10:07:29", "10:00:00"),
        (2, "10:07:31", "10:15:00"),  # adjust_to_measuring_period: the load profile's 15 min
        (3, "10:07:31", "10:08:00"),  # adjust_to_minute
        (3, "10:07:29", "10:07:00"),
    ],
)
def test_clock_adjust_methods_round_to_the_nearest_boundary(meter, method, start, expected):
    objects = build_object_list(meter)
    meter.set_clock(f"2026-01-13T{start}Z")
    assert objects.action(READING, 8, CLOCK, method, ZERO) == (ActionResult.SUCCESS, None)
    assert utc(meter) == datetime.fromisoformat(f"2026-01-13T{expected}+00:00")


def test_clock_methods_need_the_clock_setting_right_and_an_integer(meter):
    objects = build_object_list(meter)
    before = meter.t
    assert objects.action(PUBLIC, 8, CLOCK, 3, ZERO)[0] == ActionResult.READ_WRITE_DENIED
    wrong = Data(DataType.OCTET_STRING, b"x")
    assert objects.action(READING, 8, CLOCK, 3, wrong)[0] == ActionResult.TYPE_UNMATCHED
    assert meter.t == before


def test_shift_time_moves_the_clock_within_900_seconds(meter):
    objects = build_object_list(meter)
    before = meter.t
    shift = Data(DataType.LONG, -600)
    assert objects.action(READING, 8, CLOCK, 6, shift)[0] == ActionResult.SUCCESS
    assert meter.t == before - 600
    too_far = Data(DataType.LONG, 901)
    assert objects.action(READING, 8, CLOCK, 6, too_far)[0] == ActionResult.OTHER_REASON
    assert meter.t == before - 600
    events = [row[1] for row in meter.read("0-0:99.98.0.255").rows]
    assert events[-2:] == [4, 5]  # clock adjusted: old time, new time


def test_preset_time_applies_only_inside_its_validity_interval(meter):
    objects = build_object_list(meter)
    now = meter.now
    target = now + timedelta(hours=2)
    assert objects.action(READING, 8, CLOCK, 4, ZERO)[0] == ActionResult.READ_WRITE_DENIED  # nothing preset
    late = Data.structure(datetime_octets(target), datetime_octets(now + timedelta(minutes=5)),
                          datetime_octets(now + timedelta(minutes=10)))
    assert objects.action(READING, 8, CLOCK, 5, late)[0] == ActionResult.SUCCESS
    assert objects.action(READING, 8, CLOCK, 4, ZERO)[0] == ActionResult.READ_WRITE_DENIED
    valid = Data.structure(datetime_octets(target), datetime_octets(now - timedelta(minutes=1)),
                           datetime_octets(now + timedelta(minutes=1)))
    assert objects.action(READING, 8, CLOCK, 5, valid)[0] == ActionResult.SUCCESS
    assert objects.action(READING, 8, CLOCK, 4, ZERO)[0] == ActionResult.SUCCESS
    assert meter.now == target


def test_profile_capture_then_reset(meter):
    objects = build_object_list(meter)
    log = ln("0-0:99.98.0.255")
    rows = len(meter.read(log).rows)
    assert objects.action(READING, 7, log, 2, ZERO)[0] == ActionResult.READ_WRITE_DENIED
    assert objects.action(MANAGEMENT, 7, log, 2, ZERO)[0] == ActionResult.SUCCESS
    assert len(meter.read(log).rows) == rows + 1
    assert objects.action(MANAGEMENT, 7, log, 1, ZERO)[0] == ActionResult.SUCCESS
    assert meter.read(log).rows == []
    assert objects.get(MANAGEMENT, 7, log, 7) == Data(DataType.DOUBLE_LONG_UNSIGNED, 0)


def test_load_profile_capture_closes_a_partial_interval(meter):
    objects = build_object_list(meter)
    profile = ln("1-0:99.1.0.255")
    meter.run_for(300)
    before = meter.read(profile).rows
    assert objects.action(MANAGEMENT, 7, profile, 2, ZERO)[0] == ActionResult.SUCCESS
    after = meter.read(profile).rows
    assert len(after) == len(before) + 1
    assert after[-1][0] == meter.now
    assert after[-1][1] & 0x04  # data not valid: a short interval
    since_boundary = (after[-1][0] - after[-2][0]).total_seconds()
    assert 0 < since_boundary < 900
    assert after[-1][2] == pytest.approx(3 * 230 * 5 * since_boundary / 3600, abs=1)  # Wh of A+


def test_debiting_logger_is_not_reset_by_a_client(meter):
    objects = build_object_list(meter)
    logger = ln("0-0:98.1.0.255")
    assert objects.action(MANAGEMENT, 7, logger, 1, ZERO)[0] == ActionResult.READ_WRITE_DENIED


def test_range_selection_uses_the_restricting_object(meter):
    objects = build_object_list(meter)
    profile = ln("1-0:99.1.0.255")
    first, last = meter.now - timedelta(hours=2), meter.now

    def read(restricting: CaptureObject):
        access = SelectiveAccess(1, RangeDescriptor(restricting, datetime_octets(first),
                                                    datetime_octets(last)).to_data())
        return objects.get(RequestContext(Level.READING, access=access), 7, profile, 2)

    by_clock = read(CaptureObject(8, CLOCK, 2, 0))
    assert len(by_clock.value) == 8
    unknown = read(CaptureObject(3, ln("1-0:1.8.0.255"), 2, 0))
    assert unknown == DataAccessResult.OTHER_REASON
    status = CaptureObject(1, ln("0-0:96.10.1.255"), 2, 0)
    access = SelectiveAccess(1, RangeDescriptor(status, Data(DataType.UNSIGNED, 0),
                                                Data(DataType.UNSIGNED, 0)).to_data())
    clean = objects.get(RequestContext(Level.READING, access=access), 7, profile, 2)
    assert all(row.value[1].value == 0 for row in clean.value)


def test_status_columns_have_the_captured_objects_type(meter):
    objects = build_object_list(meter)
    meter.run_for(40 * 86400)
    logger = ln("0-0:98.1.0.255")
    captures = objects.get(READING, 7, logger, 3).value
    row = objects.get(READING, 7, logger, 2).value[-1].value
    for capture, cell in zip(captures, row, strict=True):
        class_id, name, attribute, _ = (item.value for item in capture.value)
        own = objects.get(READING, class_id, name, attribute)
        assert cell.type == own.type, (bytes(name).hex(), attribute)


def test_attribute_0_is_the_whole_object_when_negotiated(meter):
    objects = build_object_list(meter)
    register = ln("1-0:1.8.0.255")
    whole = objects.get(PUBLIC, 3, register, 0)
    assert whole.type == DataType.STRUCTURE
    assert list(whole.value) == [objects.get(PUBLIC, 3, register, i) for i in (1, 2, 3)]
    without = RequestContext(Level.PUBLIC, association={"conformance": int(Conformance.GET)})
    assert objects.get(without, 3, register, 0) == DataAccessResult.OBJECT_UNDEFINED
    denied = objects.get(PUBLIC, 3, ln("1-0:32.7.0.255"), 0)
    assert denied.value[1] == Data(DataType.NULL_DATA, None)


def test_association_attributes_6_and_7(meter):
    objects = build_object_list(meter)
    association = ln("0-0:40.0.0.255")
    assert objects.get(PUBLIC, 15, association, 6) == Data(DataType.OCTET_STRING, bytes.fromhex("60857405080200"))
    assert objects.get(PUBLIC, 15, association, 7) == DataAccessResult.READ_WRITE_DENIED
    listing = objects.get(PUBLIC, 15, association, 2).value
    entry = next(e for e in listing if e.value[2].value == association)
    rights = {a.value[0].value: a.value[1].value for a in entry.value[3].value[0].value}
    assert rights[7] == 0  # no access: the secret is never read


def test_tcp_udp_setup_points_to_an_existing_ipv4_setup(meter):
    objects = build_object_list(meter, {"host": "192.168.1.20"})
    reference = objects.get(READING, 41, ln("0-0:25.0.0.255"), 3).value
    assert objects.get(READING, 42, reference, 1) == Data(DataType.OCTET_STRING, reference)
    address = objects.get(READING, 42, reference, 3)
    assert address == Data(DataType.DOUBLE_LONG_UNSIGNED, 0xC0A80114)
    link = objects.get(READING, 42, reference, 2).value
    assert len(objects.get(READING, 43, link, 2).value) == 6


def test_firmware_identifier_is_legal_read_only(meter):
    objects = build_object_list(meter)
    firmware = ln("1-0:0.2.0.255")
    value = objects.get(READING, 1, firmware, 2)
    assert value.type == DataType.OCTET_STRING and value.value
    refused = objects.set(MANAGEMENT, 1, firmware, 2, Data(DataType.OCTET_STRING, b"hacked"))
    assert refused == DataAccessResult.READ_WRITE_DENIED
    assert objects.get(READING, 1, firmware, 2) == value


def test_sap_assignment_follows_the_serial_number(meter):
    objects = build_object_list(meter)
    serial = ln("0-0:96.1.0.255")
    assert objects.set(MANAGEMENT, 1, serial, 2, Data(DataType.OCTET_STRING, b"87654321")) == 0
    sap = objects.get(PUBLIC, 17, ln("0-0:41.0.0.255"), 2).value[0]
    assert sap.value[1] == Data(DataType.OCTET_STRING, b"KAM87654321")
