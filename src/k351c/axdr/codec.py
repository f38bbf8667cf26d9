"""A-XDR encoding of COSEM Data (IEC 62056-6-2 / Blue Book 4.1.5, Green Book 9.5).

A value is a ``Data(type, value)``; the Python value per type is:

* null-data, dont-care: ``None``; boolean: ``bool``; bit-string: ``str`` of "0"/"1" digits
* integer types, enum, bcd: ``int``; float32/float64: ``float``
* octet-string: ``bytes``; visible-string: ``str`` (latin-1 octets); utf8-string: ``str``
* array, structure: ``tuple[Data, ...]``
* date-time, date, time: ``CosemDateTime`` / ``CosemDate`` / ``CosemTime``
* compact-array: ``CompactArray(description, elements)``

``decode_data`` raises only ``RemoteProtocolError`` on truncated or malformed input; declared
lengths and element counts are checked against the bytes left, and nesting is limited.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, cast

from k351c.axdr.compact_array import decode_compact, encode_compact
from k351c.axdr.cosem_datetime import CosemDate, CosemDateTime, CosemTime
from k351c.axdr.length import (
    Buffer,
    decode_length,
    encode_length,
    take,
    take_octet_string,
)
from k351c.axdr.types import MAX_DEPTH, NULL, Data, DataType
from k351c.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "decode_data",
    "encode_data",
    "from_python",
    "to_python",
]

_T = DataType
_ARRAY = _T.ARRAY
_BIT_STRING = _T.BIT_STRING
_BOOLEAN = _T.BOOLEAN
_COMPACT_ARRAY = _T.COMPACT_ARRAY
_DATE = _T.DATE
_DATE_TIME = _T.DATE_TIME
_DONT_CARE = _T.DONT_CARE
_DOUBLE_LONG = _T.DOUBLE_LONG
_DOUBLE_LONG_UNSIGNED = _T.DOUBLE_LONG_UNSIGNED
_FLOAT64 = _T.FLOAT64
_LONG64 = _T.LONG64
_LONG64_UNSIGNED = _T.LONG64_UNSIGNED
_NULL_DATA = _T.NULL_DATA
_OCTET_STRING = _T.OCTET_STRING
_STRUCTURE = _T.STRUCTURE
_TIME = _T.TIME
_UTF8_STRING = _T.UTF8_STRING
_VISIBLE_STRING = _T.VISIBLE_STRING


# ---- value codecs (no tag) ----------------------------------------------------------------

_FIXED: dict[DataType, struct.Struct] = {
    _T.BOOLEAN: struct.Struct(">B"),
    _T.DOUBLE_LONG: struct.Struct(">i"),
    _T.DOUBLE_LONG_UNSIGNED: struct.Struct(">I"),
    _T.BCD: struct.Struct(">B"),
    _T.INTEGER: struct.Struct(">b"),
    _T.LONG: struct.Struct(">h"),
    _T.UNSIGNED: struct.Struct(">B"),
    _T.LONG_UNSIGNED: struct.Struct(">H"),
    _T.LONG64: struct.Struct(">q"),
    _T.LONG64_UNSIGNED: struct.Struct(">Q"),
    _T.ENUM: struct.Struct(">B"),
    _T.FLOAT32: struct.Struct(">f"),
    _T.FLOAT64: struct.Struct(">d"),
}
_BY_TAG: tuple[DataType | None, ...] = tuple(
    _T(i) if i in _T._value2member_map_ else None for i in range(256)
)
_TimeClass = type[CosemDateTime] | type[CosemDate] | type[CosemTime]
_TIME_TYPES: dict[DataType, tuple[_TimeClass, int]] = {
    _T.DATE_TIME: (CosemDateTime, 12),
    _T.DATE: (CosemDate, 5),
    _T.TIME: (CosemTime, 4),
}
# Tables indexed by the tag octet: IntEnum hashing is slow, tuple indexing is not.
_PACK: tuple[struct.Struct | None, ...] = tuple(
    _FIXED.get(t) if t is not None else None
    for t in _BY_TAG
)
_IS_TIME = tuple(t in _TIME_TYPES for t in _BY_TAG)


def _enc_value(data: Data, out: bytearray, depth: int) -> None:
    kind = data.type
    value: Any = data.value  # its Python type is the one the tag names (checked by the codec)
    packer = _PACK[kind]
    if packer is not None:
        if kind is _BOOLEAN:
            value = 1 if value else 0
        out += packer.pack(value)
    elif kind is _OCTET_STRING:
        out += encode_length(len(value))
        out += value
    elif kind is _VISIBLE_STRING or kind is _UTF8_STRING:
        raw = value.encode("latin-1" if kind is _VISIBLE_STRING else "utf-8")
        out += encode_length(len(raw))
        out += raw
    elif kind is _ARRAY or kind is _STRUCTURE:
        if depth >= MAX_DEPTH:
            raise LocalProtocolError("Data nested too deeply")
        out += encode_length(len(value))
        for item in value:
            out.append(item.type)
            _enc_value(item, out, depth + 1)
    elif _IS_TIME[kind]:
        out += value.to_bytes()
    elif kind is _BIT_STRING:
        _enc_bits(value, out)
    elif kind is _COMPACT_ARRAY:
        encode_compact(value, out, _enc_value)
    elif kind is not _NULL_DATA and kind is not _DONT_CARE:
        raise LocalProtocolError(f"cannot encode Data type {kind!r}")


def _enc_bits(bits: str, out: bytearray) -> None:
    out += encode_length(len(bits))
    if bits:
        padded = bits.ljust((len(bits) + 7) // 8 * 8, "0")
        out += int(padded, 2).to_bytes(len(padded) // 8, "big")


def encode_data(data: Data) -> bytes:
    """The A-XDR octets of one Data (tag, length where needed, contents)."""
    out = bytearray((data.type,))
    try:
        _enc_value(data, out, 0)
    except (struct.error, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise LocalProtocolError(f"cannot encode {data!r}: {exc}") from exc
    return bytes(out)


def _dec_value(kind: int, buf: Buffer, pos: int, depth: int) -> tuple[object, int]:
    """Decode the contents of a value whose tag is kind (tag already consumed)."""
    unpacker = _PACK[kind]
    if unpacker is not None:
        end = pos + unpacker.size
        if end > len(buf):
            raise RemoteProtocolError(f"truncated Data of type {kind}")
        (value,) = unpacker.unpack_from(buf, pos)
        return (value != 0 if kind == 3 else value), end
    decoder = _DECODER_TABLE[kind]
    if decoder is None:
        if _BY_TAG[kind] is None:
            raise RemoteProtocolError(f"unknown Data tag {kind}")
        return None, pos
    return decoder(buf, pos, depth)


def _dec_items(buf: Buffer, pos: int, depth: int) -> tuple[tuple[Data, ...], int]:
    if depth >= MAX_DEPTH:
        raise RemoteProtocolError("Data nested too deeply")
    count, pos = decode_length(buf, pos)
    if count > len(buf) - pos:
        raise RemoteProtocolError(f"{count} elements declared, {len(buf) - pos} octets left")
    items = []
    for _ in range(count):
        item, pos = _decode(buf, pos, depth + 1)
        items.append(item)
    return tuple(items), pos


def _dec_string(encoding: str) -> Callable[[Buffer, int, int], tuple[object, int]]:
    def decode(buf: Buffer, pos: int, depth: int) -> tuple[object, int]:
        raw, pos = take_octet_string(buf, pos)
        try:
            return raw.decode(encoding), pos
        except UnicodeDecodeError:
            raise RemoteProtocolError(f"bad {encoding} string") from None

    return decode


def _dec_bits(buf: Buffer, pos: int, depth: int) -> tuple[object, int]:
    nbits, pos = decode_length(buf, pos)
    raw, pos = take(buf, pos, (nbits + 7) // 8)
    if not nbits:
        return "", pos
    return format(int.from_bytes(raw, "big"), f"0{len(raw) * 8}b")[:nbits], pos


def _dec_time(dtype: DataType) -> Callable[[Buffer, int, int], tuple[object, int]]:
    cls, size = _TIME_TYPES[dtype]

    def decode(buf: Buffer, pos: int, depth: int) -> tuple[object, int]:
        raw, pos = take(buf, pos, size)
        return cls.from_bytes(raw), pos

    return decode


def _decode(buf: Buffer, pos: int, depth: int) -> tuple[Data, int]:
    try:
        kind = buf[pos]
    except IndexError:
        raise RemoteProtocolError("truncated: Data tag expected") from None
    value, pos = _dec_value(kind, buf, pos + 1, depth)
    return Data(cast(DataType, _BY_TAG[kind]), value), pos  # _dec_value refused unknown tags


def decode_data(buf: Buffer, offset: int = 0) -> tuple[Data, int]:
    """Decode one Data at offset; returns (Data, offset after it). RemoteProtocolError if bad."""
    return _decode(buf, offset, 0)


# ---- plain Python values ------------------------------------------------------------------


def to_python(data: Data) -> object:
    """Plain Python: arrays become lists, structures tuples, compact-arrays lists; others as is."""
    kind = data.type
    if kind is _ARRAY:
        return [to_python(item) for item in data.items()]
    if kind is _STRUCTURE:
        return tuple(to_python(item) for item in data.items())
    if kind is _COMPACT_ARRAY:
        return [to_python(item) for item in data.items()]
    return data.value


def from_python(value: object) -> Data:
    """Infer a Data: None, bool, int (smallest of double-long/-unsigned/long64/-unsigned),
    float (float64), bytes, str (visible or utf8), list (array), tuple (structure), datetimes."""
    if isinstance(value, Data):
        return value
    if value is None:
        return NULL
    if isinstance(value, bool):
        return Data(_BOOLEAN, value)
    if isinstance(value, int):
        for kind, low, high in _INT_RANGES:
            if low <= value <= high:
                return Data(kind, int(value))
        raise LocalProtocolError(f"integer {value} does not fit in 64 bits")
    if isinstance(value, float):
        return Data(_FLOAT64, value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Data(_OCTET_STRING, bytes(value))
    if isinstance(value, str):
        return Data(_VISIBLE_STRING if value.isascii() else _UTF8_STRING, value)
    if isinstance(value, list):
        return Data(_ARRAY, tuple(from_python(item) for item in value))
    if isinstance(value, tuple):
        return Data(_STRUCTURE, tuple(from_python(item) for item in value))
    return _from_time(value)


_INT_RANGES = (
    (_DOUBLE_LONG, -(2**31), 2**31 - 1),
    (_DOUBLE_LONG_UNSIGNED, 0, 2**32 - 1),
    (_LONG64, -(2**63), 2**63 - 1),
    (_LONG64_UNSIGNED, 0, 2**64 - 1),
)


def _from_time(value: object) -> Data:
    if isinstance(value, datetime):
        return Data(_DATE_TIME, CosemDateTime.from_datetime(value))
    if isinstance(value, date):
        return Data(_DATE, CosemDate.from_date(value))
    if isinstance(value, time):
        return Data(_TIME, CosemTime.from_time(value))
    for kind, (cls, _size) in _TIME_TYPES.items():
        if isinstance(value, cls):
            return Data(kind, value)
    raise LocalProtocolError(f"no COSEM type for {type(value).__name__}")


_DECODERS: dict[DataType, Callable[[Buffer, int, int], tuple[object, int]]] = {
    _T.ARRAY: _dec_items,
    _T.STRUCTURE: _dec_items,
    _T.BIT_STRING: _dec_bits,
    _T.OCTET_STRING: lambda buf, pos, depth: take_octet_string(buf, pos),
    _T.VISIBLE_STRING: _dec_string("latin-1"),
    _T.UTF8_STRING: _dec_string("utf-8"),
    _T.DATE_TIME: _dec_time(_T.DATE_TIME),
    _T.DATE: _dec_time(_T.DATE),
    _T.TIME: _dec_time(_T.TIME),
    _T.COMPACT_ARRAY: lambda buf, pos, depth: decode_compact(buf, pos, depth, _dec_value),
}
_DECODER_TABLE = tuple(_DECODERS.get(t) if t is not None else None for t in _BY_TAG)
