"""COSEM date/time: octets, deviation sign (local to UTC), wildcards, and two independent oracles."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import dlms_cosem.time as dlms_time
import pytest
from gurux_dlms import GXByteBuffer, GXDateTime, GXDLMSSettings
from gurux_dlms.enums import DataType as GxType
from gurux_dlms.internal._GXCommon import _GXCommon
from gurux_dlms.internal._GXDataInfo import _GXDataInfo
from hypothesis import given, settings
from hypothesis import strategies as st

from dlms_strategies import cosem_dates, cosem_datetimes, cosem_times
from k351c.axdr.cosem_datetime import (
    ClockStatus,
    CosemDate,
    CosemDateTime,
    CosemTime,
    InvalidCosemTime,
)
from k351c.errors import LocalProtocolError, RemoteProtocolError

CET = timezone(timedelta(hours=1))
aware = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2150, 1, 1),
    timezones=st.sampled_from(
        [UTC, CET, timezone(timedelta(hours=-5)), timezone(timedelta(hours=14))]
    ),
).map(lambda d: d.replace(microsecond=d.microsecond // 10000 * 10000))


@given(cosem_datetimes)
def test_datetime_octets_round_trip(value: CosemDateTime) -> None:
    assert CosemDateTime.from_bytes(value.to_bytes()) == value


@given(cosem_dates, cosem_times)
def test_date_and_time_octets_round_trip(d: CosemDate, t: CosemTime) -> None:
    assert CosemDate.from_bytes(d.to_bytes()) == d
    assert CosemTime.from_bytes(t.to_bytes()) == t


@given(aware)
def test_aware_datetimes_round_trip(value: datetime) -> None:
    cosem = CosemDateTime.from_datetime(value)
    assert cosem.to_datetime() == value
    assert cosem.to_datetime().utcoffset() == value.utcoffset()
    assert cosem.weekday == value.isoweekday()


def test_cet_deviation_is_minus_sixty() -> None:
    cosem = CosemDateTime.from_datetime(
        datetime(2026, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        ClockStatus.DAYLIGHT_SAVING_ACTIVE,
    )
    assert cosem.deviation == -120
    assert cosem.to_bytes().hex() == "07ea0701030e000000ff8880"
    assert cosem.clock_status is ClockStatus.DAYLIGHT_SAVING_ACTIVE


def test_blue_book_example_bytes() -> None:
    raw = bytes.fromhex("07d20c04030a060bff007800")
    cosem = CosemDateTime.from_bytes(raw)
    assert (cosem.year, cosem.month, cosem.day, cosem.weekday) == (2002, 12, 4, 3)
    assert cosem.deviation == 120
    assert cosem.to_datetime() == datetime(
        2002, 12, 4, 10, 6, 11, tzinfo=timezone(-timedelta(hours=2))
    )


def test_unspecified_fields() -> None:
    cosem = CosemDateTime.from_bytes(bytes.fromhex("ffffffffffffffffff800000"))
    assert cosem == CosemDateTime()
    with pytest.raises(InvalidCosemTime):
        cosem.to_datetime()
    with pytest.raises(RemoteProtocolError):
        cosem.to_datetime()
    naive = CosemDateTime.from_datetime(datetime(2026, 1, 2, 3, 4, 5))
    assert naive.deviation == -0x8000
    assert naive.to_datetime() == datetime(2026, 1, 2, 3, 4, 5)
    assert naive.to_datetime(UTC) == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert CosemTime(12, 0, 0).to_time() == time(12)
    assert CosemTime(12, 30, 0xFF, 0xFF).to_time() == time(12, 30)  # a minute: seconds unspecified
    with pytest.raises(InvalidCosemTime):
        CosemTime(12, 0xFF, 0, 0).to_time()
    assert CosemDate.from_date(date(2026, 1, 5)) == CosemDate(2026, 1, 5, 1)


@pytest.mark.parametrize("raw", [b"", bytes(11), bytes(13)])
def test_wrong_lengths_are_remote_errors(raw: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        CosemDateTime.from_bytes(raw)


def test_out_of_range_fields_are_local_errors() -> None:
    with pytest.raises(LocalProtocolError):
        CosemDateTime(month=256).to_bytes()
    with pytest.raises(LocalProtocolError):
        CosemTime(hour=300).to_bytes()
    with pytest.raises(InvalidCosemTime):
        CosemDateTime(2026, 2, 30, 0xFF, 0, 0, 0, 0, 0).to_datetime()


@settings(deadline=None)
@given(aware)
def test_dlms_cosem_oracle_agrees_on_the_deviation(value: datetime) -> None:
    theirs = dlms_time.datetime_to_bytes(value)
    ours = CosemDateTime.from_datetime(value, with_weekday=False).to_bytes()
    assert ours == theirs
    decoded, _status = dlms_time.datetime_from_bytes(ours)
    if value.utcoffset():
        assert decoded == value


@settings(deadline=None)
@given(aware)
def test_gurux_oracle_agrees_on_the_deviation(value: datetime) -> None:
    gx_settings = GXDLMSSettings(False, None)
    ours = CosemDateTime.from_datetime(value).to_bytes()
    decoded = _GXCommon.getData(gx_settings, GXByteBuffer(b"\x19" + ours), _GXDataInfo())
    assert decoded.value == value
    assert decoded.value.utcoffset() == value.utcoffset()
    buffer = GXByteBuffer()
    _GXCommon.setData(gx_settings, buffer, GxType.DATETIME, GXDateTime(value))
    theirs = CosemDateTime.from_bytes(bytes(buffer.array())[1:])
    assert theirs.to_datetime() == value
