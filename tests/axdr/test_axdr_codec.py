"""A-XDR Data codec: round trips per type, Blue Book / Green Book byte examples, garbage input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlms_strategies import LEAVES, data
from k351c.axdr.codec import decode_data, encode_data, from_python, to_python
from k351c.axdr.cosem_datetime import CosemDate, CosemDateTime, CosemTime
from k351c.axdr.length import decode_length, encode_length
from k351c.axdr.types import CompactArray, Data, DataType
from k351c.errors import LocalProtocolError, RemoteProtocolError

T = DataType


@pytest.mark.parametrize("kind", list(LEAVES))
@given(st.data())
def test_every_simple_type_round_trips(kind: DataType, draw: st.DataObject) -> None:
    value = Data(kind, draw.draw(LEAVES[kind]))
    encoded = encode_data(value)
    assert encoded[0] == kind
    assert decode_data(encoded) == (value, len(encoded))


@given(data, st.binary(max_size=4))
def test_nested_data_round_trips_and_reports_its_end(value: Data, tail: bytes) -> None:
    encoded = encode_data(value)
    assert decode_data(b"\xaa" + encoded + tail, 1) == (value, 1 + len(encoded))
    assert decode_data(memoryview(encoded)) == (value, len(encoded))


@given(st.integers(0, 0xFFFFFFFF))
def test_length_round_trips(length: int) -> None:
    encoded = encode_length(length)
    assert decode_length(encoded, 0) == (length, len(encoded))


@pytest.mark.parametrize(
    ("length", "hexed"),
    [(0, "00"), (127, "7f"), (128, "8180"), (255, "81ff"), (256, "820100"), (65536, "83010000")],
)
def test_length_forms(length: int, hexed: str) -> None:
    assert encode_length(length).hex() == hexed


# Examples from the Blue Book / Green Book and common captures (Data as it appears on the wire).
VECTORS = [
    ("00", Data(T.NULL_DATA)),
    ("0301", Data.boolean(True)),
    ("0300", Data.boolean(False)),
    ("0f7f", Data.integer(127)),
    ("0fff", Data.integer(-1)),
    ("10fffe", Data.long(-2)),
    ("1100", Data.unsigned(0)),
    ("120100", Data.long_unsigned(256)),
    ("0500000064", Data.double_long(100)),
    ("06000003e8", Data.double_long_unsigned(1000)),
    ("1400000000000000ff", Data.long64(255)),
    ("15ffffffffffffffff", Data.long64_unsigned(2**64 - 1)),
    ("161e", Data.enum(30)),
    ("173f800000", Data(T.FLOAT32, 1.0)),
    ("183ff0000000000000", Data(T.FLOAT64, 1.0)),
    ("09060000600100ff", Data.octet_string(bytes.fromhex("0000600100ff"))),
    ("0a084b414d3132333435", Data.visible_string("KAM12345")),
    ("0c02c3a9", Data(T.UTF8_STRING, "é")),
    ("0d12", Data(T.BCD, 0x12)),
    ("040ba0a0", Data(T.BIT_STRING, "10100000101")),
    ("0400", Data(T.BIT_STRING, "")),
    (
        "02020f00161e",
        Data.structure(Data.integer(0), Data.enum(30)),
    ),
    ("0102120001120002", Data.array([Data.long_unsigned(1), Data.long_unsigned(2)])),
    (
        "1907e6010106000000ff800000",
        Data(T.DATE_TIME, CosemDateTime(2022, 1, 1, 6, 0, 0, 0, 0xFF, -0x8000, 0)),
    ),
    ("1a07e60101ff", Data(T.DATE, CosemDate(2022, 1, 1, 0xFF))),
    ("1bffffffff", Data(T.TIME, CosemTime())),
    ("ff", Data(T.DONT_CARE)),
]


@pytest.mark.parametrize(("hexed", "value"), VECTORS)
def test_known_encodings(hexed: str, value: Data) -> None:
    raw = bytes.fromhex(hexed)
    assert encode_data(value) == raw
    assert decode_data(raw) == (value, len(raw))


def test_long_octet_string_uses_two_octet_length() -> None:
    value = Data.octet_string(bytes(300))
    assert encode_data(value)[:4] == bytes.fromhex("0982012c")


def test_compact_array_of_structures() -> None:
    desc = (T.STRUCTURE, (T.UNSIGNED, T.OCTET_STRING))
    value = Data(
        T.COMPACT_ARRAY,
        CompactArray(
            desc,
            (
                Data.structure(Data.unsigned(1), Data.octet_string(b"ab")),
                Data.structure(Data.unsigned(2), Data.octet_string(b"")),
            ),
        ),
    )
    raw = bytes.fromhex("1302021109" + "06" + "01026162" + "0200")
    assert encode_data(value) == raw
    assert decode_data(raw) == (value, len(raw))
    assert to_python(value) == [(1, b"ab"), (2, b"")]


def test_compact_array_of_fixed_arrays() -> None:
    desc = (T.ARRAY, 2, T.LONG_UNSIGNED)
    element = Data.array([Data.long_unsigned(1), Data.long_unsigned(2)])
    value = Data(T.COMPACT_ARRAY, CompactArray(desc, (element,)))
    raw = encode_data(value)
    assert raw.hex() == "1301000212" + "04" + "00010002"
    assert decode_data(raw)[0] == value


@pytest.mark.parametrize(
    "hexed",
    [
        "130001000000",  # null element type
        "1301fff0020000",  # array of 65520 empty structures
        "13020106",  # truncated contents
        "1310" + "03" + "010203",  # contents end inside a long
    ],
)
def test_bad_compact_arrays_are_remote_errors(hexed: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_data(bytes.fromhex(hexed))


@pytest.mark.parametrize(
    "hexed",
    [
        "",
        "07",  # unknown tag
        "05000000",  # truncated double-long
        "0905aabb",  # octet string shorter than declared
        "0985ffffffffff",  # 5-octet length form
        "0980",  # indefinite length
        "01840fffffff00",  # huge array count
        "0a02ffff00"[:6],
        "0c02c328",  # invalid utf-8
        "0401",  # bit-string without its octet
        "1907e6",  # truncated date-time
    ],
)
def test_malformed_data_is_a_remote_error(hexed: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_data(bytes.fromhex(hexed))


def test_deep_nesting_is_refused() -> None:
    raw = b"\x01\x01" * 200 + b"\x00"
    with pytest.raises(RemoteProtocolError):
        decode_data(raw)


@given(st.binary(max_size=64))
def test_random_bytes_only_raise_remote_protocol_error(raw: bytes) -> None:
    try:
        value, end = decode_data(raw)
    except RemoteProtocolError:
        return
    assert 0 < end <= len(raw)
    assert encode_data(value) == raw[:end] or value.type in (T.BOOLEAN, T.BIT_STRING)


@pytest.mark.parametrize(
    "value",
    [
        Data.unsigned(256),
        Data.integer(-129),
        Data.long_unsigned(-1),
        Data(T.FLOAT32, 1e300),
        Data.visible_string("€"),
        Data(T.ARRAY, (1, 2)),
        Data(99, None),  # type: ignore[arg-type]
    ],
)
def test_unencodable_values_are_local_errors(value: Data) -> None:
    with pytest.raises(LocalProtocolError):
        encode_data(value)


def test_python_conversions() -> None:
    stamp = datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=1)))
    value = from_python([1, -5, 2**40, "KAM", "é", b"\x01", 1.5, None, True, (stamp, 3)])
    kinds = [item.type for item in value.value]
    assert kinds == [
        T.DOUBLE_LONG,
        T.DOUBLE_LONG,
        T.LONG64,
        T.VISIBLE_STRING,
        T.UTF8_STRING,
        T.OCTET_STRING,
        T.FLOAT64,
        T.NULL_DATA,
        T.BOOLEAN,
        T.STRUCTURE,
    ]
    back = to_python(value)
    assert back[:9] == [1, -5, 2**40, "KAM", "é", b"\x01", 1.5, None, True]
    assert back[9][0].to_datetime() == stamp
    assert from_python(2**32 - 1).type is T.DOUBLE_LONG_UNSIGNED
    assert from_python(datetime(2026, 1, 1, tzinfo=UTC).date()).type is T.DATE
    with pytest.raises(LocalProtocolError):
        from_python(2**64)
    with pytest.raises(LocalProtocolError):
        from_python(object())
