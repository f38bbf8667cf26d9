"""The COSEM object list bound to a meter: classes, units, rights, selective access."""

from datetime import UTC, datetime

import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.axdr.codec import encode_data
from k351c.axdr.enums import DataAccessResult
from k351c.axdr.selective import CaptureObject, EntryDescriptor, RangeDescriptor, SelectiveAccess
from k351c.axdr.types import Data, DataType
from k351c.cosem import Level, RequestContext, build_object_list
from k351c.cosem.types import datetime_octets
from k351c.meter.objects import ProfileData, ValueDef
from k351c.obis import Obis

PUBLIC, READING, MANAGEMENT = (RequestContext(level) for level in Level)


def ln(code: str) -> bytes:
    return Obis.parse(code).to_bytes()


@pytest.fixture
def meter():
    m = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    m.set_load(ConstantLoad(current=5.0))
    m.run_for(3600)
    return m


def test_energy_register_value_and_scaler_unit(meter):
    objects = build_object_list(meter)
    assert objects.get(PUBLIC, 3, ln("1-0:1.8.0.255"), 2) == Data(DataType.LONG64_UNSIGNED, 3450)
    scaler_unit = objects.get(PUBLIC, 3, ln("1-0:1.8.0.255"), 3)
    assert scaler_unit.value == (Data(DataType.INTEGER, 0), Data(DataType.ENUM, 30))
    voltage = objects.get(READING, 3, ln("1-0:32.7.0.255"), 2)
    assert voltage == Data(DataType.LONG_UNSIGNED, 2300)


def test_rights_per_level(meter):
    objects = build_object_list(meter)
    assert objects.get(PUBLIC, 3, ln("1-0:32.7.0.255"), 2) == DataAccessResult.READ_WRITE_DENIED
    assert objects.get(PUBLIC, 3, ln("1-0:99.9.9.255"), 2) == DataAccessResult.OBJECT_UNDEFINED
    assert objects.get(PUBLIC, 1, ln("1-0:1.8.0.255"), 2) == DataAccessResult.OBJECT_CLASS_INCONSISTENT
    assert objects.get(PUBLIC, 3, ln("1-0:1.8.0.255"), 9) == DataAccessResult.OBJECT_UNDEFINED


def test_legal_data_is_never_written(meter):
    objects = build_object_list(meter)
    before = meter.read("1.8.0").value
    result = objects.set(MANAGEMENT, 3, ln("1-0:1.8.0.255"), 2, Data(DataType.LONG64_UNSIGNED, 0))
    assert result == DataAccessResult.READ_WRITE_DENIED
    assert meter.read("1.8.0").value == before


def test_ct_ratio_set_by_management_only(meter):
    objects = build_object_list(meter)
    new = Data(DataType.LONG_UNSIGNED, 400)
    assert objects.set(READING, 1, ln("1-0:0.4.2.255"), 2, new) == DataAccessResult.READ_WRITE_DENIED
    assert objects.set(MANAGEMENT, 1, ln("1-0:0.4.2.255"), 2, new) == DataAccessResult.SUCCESS
    assert meter.ct_primary == 400
    bad = Data(DataType.VISIBLE_STRING, "x")
    assert objects.set(MANAGEMENT, 1, ln("1-0:0.4.2.255"), 2, bad) == DataAccessResult.TYPE_UNMATCHED
    assert meter.ct_primary == 400


def test_clock_set_by_reading_client_is_logged(meter):
    objects = build_object_list(meter)
    new = datetime_octets(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    assert objects.set(PUBLIC, 8, ln("0-0:1.0.0.255"), 2, new) == DataAccessResult.READ_WRITE_DENIED
    assert objects.set(READING, 8, ln("0-0:1.0.0.255"), 2, new) == DataAccessResult.SUCCESS
    assert meter.t == datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()
    assert objects.get(PUBLIC, 8, ln("0-0:1.0.0.255"), 3) == Data(DataType.LONG, -60)


def test_object_list_depends_on_level(meter):
    objects = build_object_list(meter)
    public = objects.get(PUBLIC, 15, ln("0-0:40.0.0.255"), 2)
    reading = objects.get(READING, 15, ln("0-0:40.0.0.255"), 2)
    assert 0 < len(public.value) < len(reading.value)
    assert len(encode_data(reading)) > 1000


def test_profile_selective_access(meter):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [(datetime.fromtimestamp(base.timestamp() + 900 * i, UTC), 0, 100 * i) for i in range(10)]
    meter.objects.add(ValueDef(Obis(1, 0, 99, 1, 9), 7, lambda: ProfileData(
        ["0-0:1.0.0.255", "0-0:96.10.1.255", "1-0:1.8.0.255"], rows, 900), capacity=lambda: 100))
    objects = build_object_list(meter)
    code = ln("1-0:99.1.9.255")
    whole = objects.get(READING, 7, code, 2)
    assert len(whole.value) == 10
    clock = CaptureObject(8, ln("0-0:1.0.0.255"), 2, 0)
    by_range = SelectiveAccess.from_descriptor(RangeDescriptor(
        clock, datetime_octets(rows[2][0]), datetime_octets(rows[4][0])))
    part = objects.get(RequestContext(Level.READING, access=by_range), 7, code, 2)
    assert [row.value[2].value for row in part.value] == [200, 300, 400]
    by_entry = SelectiveAccess.from_descriptor(EntryDescriptor(9, 0, 3, 3))
    tail = objects.get(RequestContext(Level.READING, access=by_entry), 7, code, 2)
    assert [tuple(c.value for c in row.value) for row in tail.value] == [(800,), (900,)]
    assert objects.get(READING, 7, code, 7) == Data(DataType.DOUBLE_LONG_UNSIGNED, 10)
    assert objects.get(READING, 7, code, 8) == Data(DataType.DOUBLE_LONG_UNSIGNED, 100)
