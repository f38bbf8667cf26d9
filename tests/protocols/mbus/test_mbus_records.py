"""EN 13757-3 records and header: captures, codings, round trips, VIF meanings."""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.mbus.header import (
    FixedHeader,
    Identification,
    Selection,
    decode_manufacturer,
    encode_manufacturer,
)
from k351c.protocols.mbus.records import (
    FIELD_LENGTH,
    DataField,
    DataRecord,
    FunctionField,
    ManufacturerData,
    decode_records,
    encode_records,
    encode_type_f,
    field_range,
)
from k351c.protocols.mbus.vif import describe

EXAMPLE_RECORDS = bytes.fromhex("0313153100DA023B13018B6004371802")


def test_standard_example_records() -> None:
    records = decode_records(EXAMPLE_RECORDS)
    assert records == [
        DataRecord(DataField.INT24, b"\x13", 12565),
        DataRecord(DataField.BCD4, b"\x3b", 113, storage=5, function=FunctionField.MAXIMUM),
        DataRecord(DataField.BCD6, b"\x04", 21837, tariff=2, subunit=1),
    ]
    assert encode_records(records) == EXAMPLE_RECORDS
    assert describe(b"\x13").unit == "m3" and describe(b"\x13").exponent == -3
    assert describe(b"\x04").exponent == 1


def test_manufacturer_kam() -> None:
    assert encode_manufacturer("KAM") == 0x2C2D
    assert decode_manufacturer(0x2C2D) == "KAM"
    assert decode_manufacturer(0x4024) == "PAD"
    header = FixedHeader(Identification(12345678, "KAM", 1, 2), 0x55, 0, 0)
    assert header.to_bytes() == bytes.fromhex("785634122D2C010255000000")
    assert FixedHeader.from_bytes(header.to_bytes()) == header


def test_type_f_and_g_captures() -> None:
    # 2026-01-02 03:04 -> minute 04, hour 03 | HY=1<<5, day 02 | (26&7)<<5, month 01 | (26>>3)<<4
    assert encode_type_f(datetime(2026, 1, 2, 3, 4)) == bytes([0x04, 0x23, 0x42, 0x31])
    rec = decode_records(bytes.fromhex("046D04234231"))[0]
    assert rec.value == datetime(2026, 1, 2, 3, 4)
    rec = decode_records(bytes.fromhex("426C5F2C"))[0]
    assert rec.storage == 1 and rec.value == date(2018, 12, 31)


def test_negative_bcd_and_bad_bcd() -> None:
    assert decode_records(bytes.fromhex("0A0334F1"))[0].value == -134
    with pytest.raises(RemoteProtocolError):
        decode_records(bytes.fromhex("0A033A12"))
    with pytest.raises(LocalProtocolError):
        DataRecord(DataField.BCD2, b"\x03", 100).to_bytes()


def test_manufacturer_data_and_filler() -> None:
    recs = decode_records(bytes.fromhex("2F2F01FD1701") + b"\x1f\x01\x02")
    assert recs[-1] == ManufacturerData(b"\x01\x02", more_records_follow=True)
    assert encode_records(recs) == bytes.fromhex("01FD1701") + b"\x1f\x01\x02"


def test_truncated_is_remote_error() -> None:
    """A cut inside a record is refused; a cut between records is the shorter, valid block."""
    whole = decode_records(EXAMPLE_RECORDS)
    boundaries = {5: whole[:1], 10: whole[:2]}
    for cut in range(1, len(EXAMPLE_RECORDS)):
        if cut in boundaries:
            assert decode_records(EXAMPLE_RECORDS[:cut]) == boundaries[cut]
            continue
        with pytest.raises(RemoteProtocolError, match="truncated"):
            decode_records(EXAMPLE_RECORDS[:cut])


NUMERIC = [f for f in FIELD_LENGTH if FIELD_LENGTH[f] and f is not DataField.REAL32]
vibs = st.sampled_from([b"\x03", b"\x2b", b"\xfd\x48", b"\xfb\x82\x73", b"\x83\x3c", b"\x13"])


@st.composite
def records(draw):
    field = draw(st.sampled_from(NUMERIC))
    low, high = field_range(field)
    value = draw(st.integers(low, high))
    return DataRecord(
        field,
        draw(vibs),
        value,
        storage=draw(st.integers(0, (1 << 41) - 1)),
        tariff=draw(st.integers(0, (1 << 20) - 1)),
        subunit=draw(st.integers(0, (1 << 10) - 1)),
        function=draw(st.sampled_from(FunctionField)),
    )


time_records = st.one_of(
    st.builds(
        lambda d: DataRecord(DataField.INT32, b"\x6d", d),
        st.datetimes(datetime(1981, 1, 1), datetime(2299, 12, 31)).map(
            lambda d: d.replace(second=0, microsecond=0)
        ),
    ),
    st.builds(
        lambda d: DataRecord(DataField.INT16, b"\x6c", d),
        st.dates(date(1981, 1, 1), date(2080, 12, 31)),
    ),
    st.builds(
        lambda s: DataRecord(DataField.VARIABLE_LENGTH, b"\xfd\x0e", s),
        st.text("ABCxyz0123.", max_size=20),
    ),
    st.builds(
        lambda f: DataRecord(DataField.REAL32, b"\x2b", f),
        st.floats(width=32, allow_nan=False),
    ),
)


@given(st.lists(st.one_of(records(), time_records), max_size=8))
def test_records_round_trip(items) -> None:
    assert decode_records(encode_records(items)) == items


@given(st.integers(0, 99999999), st.integers(0, 255), st.integers(0, 255))
def test_header_round_trip(ident, version, medium) -> None:
    identification = Identification(ident, "KAM", version, medium)
    assert Identification.from_bytes(identification.to_bytes()) == identification
    assert Selection.of(identification).matches(identification)
    assert Selection.from_bytes(Selection.of(identification).to_bytes()) == Selection.of(
        identification
    )


def test_selection_wildcards() -> None:
    ident = Identification(12345678, "KAM", 1, 2)
    assert Selection().matches(ident)
    assert Selection("1234FFFF").matches(ident)
    assert not Selection("1235FFFF").matches(ident)
    assert not Selection(manufacturer=encode_manufacturer("ABB")).matches(ident)
    assert not Selection(medium=7).matches(ident)
    assert Selection(version=1, medium=2).matches(ident)
    assert Selection("FFFFFFF8").to_bytes() == bytes.fromhex("F8FFFFFFFFFFFFFF")


@given(st.binary(max_size=300))
def test_random_record_bytes_never_raise_anything_else(data) -> None:
    try:
        decode_records(data)
    except RemoteProtocolError:
        pass


def test_energy_exponent_choice() -> None:
    from k351c.protocols.mbus.electricity import energy_record, reactive_energy_record

    assert energy_record(99999999).vib == b"\x03"
    assert energy_record(100000000).vib == b"\x04"
    assert energy_record(10**12).vib == b"\xfb\x00"
    assert energy_record(1234, field=DataField.INT48).value == 1234
    rec = reactive_energy_record(5678, export=True)
    assert rec.vib == bytes.fromhex("FB82F33C")
    meaning = describe(rec.vib)
    assert (meaning.unit, meaning.exponent, meaning.qualifiers) == (
        "varh",
        0,
        ("negative accumulation",),
    )
    assert describe(reactive_energy_record(10**11).vib).exponent == 4
