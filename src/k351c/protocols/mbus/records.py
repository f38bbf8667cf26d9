"""EN 13757-3 variable data records: DIF/DIFE/VIF/VIFE and the data field codings."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum

from k351c.errors import LocalProtocolError, RemoteProtocolError

EXTENSION = 0x80
MAX_DIFE = 10
MAX_VIFE = 10
PLAIN_TEXT_VIF = 0x7C


class DataField(IntEnum):
    """Data field (low nibble of the DIF), EN 13757-3 table 4."""

    NO_DATA = 0x0
    INT8 = 0x1
    INT16 = 0x2
    INT24 = 0x3
    INT32 = 0x4
    REAL32 = 0x5
    INT48 = 0x6
    INT64 = 0x7
    SELECTION_FOR_READOUT = 0x8
    BCD2 = 0x9
    BCD4 = 0xA
    BCD6 = 0xB
    BCD8 = 0xC
    VARIABLE_LENGTH = 0xD
    BCD12 = 0xE
    SPECIAL_FUNCTIONS = 0xF


FIELD_LENGTH: dict[DataField, int] = {
    DataField.NO_DATA: 0,
    DataField.INT8: 1,
    DataField.INT16: 2,
    DataField.INT24: 3,
    DataField.INT32: 4,
    DataField.REAL32: 4,
    DataField.INT48: 6,
    DataField.INT64: 8,
    DataField.SELECTION_FOR_READOUT: 0,
    DataField.BCD2: 1,
    DataField.BCD4: 2,
    DataField.BCD6: 3,
    DataField.BCD8: 4,
    DataField.BCD12: 6,
}
INTEGER_FIELDS = frozenset({DataField.INT8, DataField.INT16, DataField.INT24, DataField.INT32,
                            DataField.INT48, DataField.INT64})  # fmt: skip
BCD_FIELDS = frozenset({DataField.BCD2, DataField.BCD4, DataField.BCD6, DataField.BCD8,
                        DataField.BCD12})  # fmt: skip


class FunctionField(IntEnum):
    """Function field (DIF bits 4-5)."""

    INSTANTANEOUS = 0
    MAXIMUM = 1
    MINIMUM = 2
    VALUE_DURING_ERROR = 3


class SpecialFunction(IntEnum):
    """DIF values with data field Fh, EN 13757-3 table 6."""

    MANUFACTURER_SPECIFIC = 0x0F
    MORE_RECORDS_FOLLOW = 0x1F
    IDLE_FILLER = 0x2F
    GLOBAL_READOUT_REQUEST = 0x7F


Value = int | float | str | datetime | date | None


def field_range(field: DataField) -> tuple[int, int]:
    """Smallest and largest integer mantissa a numeric data field can carry."""
    n = FIELD_LENGTH[field]
    if field in BCD_FIELDS:
        return -(10 ** (2 * n - 1) - 1), 10 ** (2 * n) - 1
    if field in INTEGER_FIELDS:
        return -(1 << (8 * n - 1)), (1 << (8 * n - 1)) - 1
    raise LocalProtocolError(f"{field.name} is not an integer field")


@dataclass(frozen=True, slots=True)
class DataRecord:
    """One data record: value with its VIB (unit and scale), storage, tariff, subunit, function."""

    field: DataField
    vib: bytes
    value: Value
    storage: int = 0
    tariff: int = 0
    subunit: int = 0
    function: FunctionField = FunctionField.INSTANTANEOUS

    def to_bytes(self) -> bytes:
        """DIF, DIFEs, VIB and data field as on the wire."""
        if self.field is DataField.SPECIAL_FUNCTIONS:
            raise LocalProtocolError("special functions are ManufacturerData, not DataRecord")
        return _encode_dib(self) + bytes(self.vib) + encode_value(self.field, self.vib, self.value)

    @property
    def vif(self) -> int:
        """The primary VIF without its extension bit."""
        return self.vib[0] & 0x7F


@dataclass(frozen=True, slots=True)
class ManufacturerData:
    """DIF 0Fh/1Fh and the manufacturer specific bytes to the end of the user data."""

    data: bytes = b""
    more_records_follow: bool = False

    def to_bytes(self) -> bytes:
        """DIF and data as on the wire."""
        dif = (
            SpecialFunction.MORE_RECORDS_FOLLOW
            if self.more_records_follow
            else SpecialFunction.MANUFACTURER_SPECIFIC
        )
        return bytes([dif]) + bytes(self.data)


Record = DataRecord | ManufacturerData


def _encode_dib(record: DataRecord) -> bytes:
    storage, tariff, subunit = record.storage, record.tariff, record.subunit
    if min(storage, tariff, subunit) < 0:
        raise LocalProtocolError("storage, tariff and subunit are non-negative")
    rest = storage >> 1
    count = max((rest.bit_length() + 3) // 4, (tariff.bit_length() + 1) // 2, subunit.bit_length())
    if count > MAX_DIFE:
        raise LocalProtocolError(
            f"storage {storage}/tariff {tariff}/subunit {subunit} need > 10 DIFEs"
        )
    dif = (storage & 1) << 6 | int(record.function) << 4 | int(record.field)
    out = bytearray([dif | (EXTENSION if count else 0)])
    for i in range(count):
        dife = (rest >> (4 * i)) & 0x0F | ((tariff >> (2 * i)) & 3) << 4 | ((subunit >> i) & 1) << 6
        out.append(dife | (EXTENSION if i < count - 1 else 0))
    return bytes(out)


def _decode_dib(data: bytes, pos: int) -> tuple[int, int, int, int, int]:
    """Return (dif, storage, tariff, subunit, position after the DIB)."""
    dif = data[pos]
    storage, tariff, subunit = (dif >> 6) & 1, 0, 0
    pos += 1
    more, i = dif & EXTENSION, 0
    while more:
        if i >= MAX_DIFE:
            raise RemoteProtocolError("more than 10 DIFEs")
        dife = data[pos]
        storage |= (dife & 0x0F) << (1 + 4 * i)
        tariff |= ((dife >> 4) & 3) << (2 * i)
        subunit |= ((dife >> 6) & 1) << i
        more, i, pos = dife & EXTENSION, i + 1, pos + 1
    return dif, storage, tariff, subunit, pos


def split_vib(data: bytes, pos: int) -> tuple[bytes, int]:
    """Return (VIF and VIFEs incl. a plain text unit, position after the VIB)."""
    start = pos
    first = data[pos]
    pos += 1
    if first & 0x7F == PLAIN_TEXT_VIF:
        pos += 1 + data[pos]
    more, count = first & EXTENSION, 0
    while more:
        if count >= MAX_VIFE:
            raise RemoteProtocolError("more than 10 VIFEs")
        more, count, pos = data[pos] & EXTENSION, count + 1, pos + 1
    if pos > len(data):
        raise RemoteProtocolError("truncated VIB")
    return bytes(data[start:pos]), pos


def _time_kind(field: DataField, vib: bytes) -> str | None:
    if vib[0] in (0xFB, 0xFD) or vib[0] & 0x7F == PLAIN_TEXT_VIF:
        return None
    vif = vib[0] & 0x7F
    if vif == 0x6D and field is DataField.INT32:
        return "F"
    if vif == 0x6C and field is DataField.INT16:
        return "G"
    return None


def encode_value(field: DataField, vib: bytes, value: Value) -> bytes:
    """Encode a value for the data field (types A, B, F, G, H and ASCII text)."""
    if field in (DataField.NO_DATA, DataField.SELECTION_FOR_READOUT):
        if value is not None:
            raise LocalProtocolError(f"{field.name} carries no value")
        return b""
    if isinstance(value, datetime):
        if _time_kind(field, vib) != "F":
            raise LocalProtocolError("a datetime needs VIF 6Dh with a 32-bit field (type F)")
        return encode_type_f(value)
    if isinstance(value, date):
        if _time_kind(field, vib) != "G":
            raise LocalProtocolError("a date needs VIF 6Ch with a 16-bit field (type G)")
        return encode_type_g(value)
    if field is DataField.REAL32:
        if not isinstance(value, float | int):
            raise LocalProtocolError("REAL32 needs a number")
        return struct.pack("<f", value)
    if field is DataField.VARIABLE_LENGTH:
        return _encode_text(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise LocalProtocolError(f"{field.name} needs an int, got {value!r}")
    if field in BCD_FIELDS:
        return encode_signed_bcd(value, FIELD_LENGTH[field])
    low, high = field_range(field)
    if not low <= value <= high:
        raise LocalProtocolError(f"{value} does not fit {field.name}")
    return value.to_bytes(FIELD_LENGTH[field], "little", signed=True)


def _encode_text(value: Value) -> bytes:
    if not isinstance(value, str):
        raise LocalProtocolError("variable length data is ASCII text here")
    raw = value.encode("ascii")
    if len(raw) > 0xBF:
        raise LocalProtocolError("text longer than 191 characters")
    return bytes([len(raw)]) + raw[::-1]


def encode_signed_bcd(value: int, length: int) -> bytes:
    """Type A BCD, least significant byte first; negative values carry Fh in the top nibble."""
    digits = 2 * length
    if value < 0:
        if -value >= 10 ** (digits - 1):
            raise LocalProtocolError(f"{value} does not fit {digits} BCD digits")
        text = "F" + str(-value).rjust(digits - 1, "0")
    else:
        if value >= 10**digits:
            raise LocalProtocolError(f"{value} does not fit {digits} BCD digits")
        text = str(value).rjust(digits, "0")
    return bytes.fromhex(text)[::-1]


def decode_signed_bcd(data: bytes) -> int:
    """Inverse of encode_signed_bcd; nibbles A-E (and F below the top) are a peer error."""
    text = data[::-1].hex()
    negative = text[:1] == "f"
    if negative:
        text = text[1:]
    if not text.isdigit():
        raise RemoteProtocolError(f"invalid BCD {data.hex()}")
    return -int(text) if negative else int(text)


def decode_value(field: DataField, vib: bytes, raw: bytes) -> Value:
    """Decode the data field bytes (the LVAR byte already removed for text)."""
    if field in (DataField.NO_DATA, DataField.SELECTION_FOR_READOUT):
        return None
    kind = _time_kind(field, vib)
    if kind == "F":
        return decode_type_f(raw)
    if kind == "G":
        return decode_type_g(raw)
    if field is DataField.REAL32:
        return struct.unpack("<f", raw)[0]
    if field is DataField.VARIABLE_LENGTH:
        return raw[::-1].decode("ascii", errors="replace")
    if field in BCD_FIELDS:
        return decode_signed_bcd(raw)
    return int.from_bytes(raw, "little", signed=True)


def _year_from(yy: int, hundred: int) -> int:
    if hundred:
        return 1900 + 100 * hundred + yy
    return 2000 + yy if yy < 81 else 1900 + yy


def encode_type_f(value: datetime) -> bytes:
    """CP32 date and time (type F): minute, hour, day, month, year with hundred-year bits."""
    if not 1981 <= value.year <= 2299:
        raise LocalProtocolError(f"type F covers 1981..2299, got {value.year}")
    hundred, yy = divmod(value.year - 1900, 100)
    if value.year < 2000:
        hundred = 0
    return bytes(
        [
            value.minute & 0x3F,
            (value.hour & 0x1F) | hundred << 5,
            (value.day & 0x1F) | (yy & 0x07) << 5,
            (value.month & 0x0F) | (yy >> 3) << 4,
        ]
    )


def decode_type_f(raw: bytes) -> datetime | int:
    """Inverse of encode_type_f; an invalid (IV) or impossible time stays the raw integer."""
    minute, hour, day, month = raw[0] & 0x3F, raw[1] & 0x1F, raw[2] & 0x1F, raw[3] & 0x0F
    yy = (raw[2] >> 5) | (raw[3] >> 4) << 3
    if raw[0] & 0x80:
        return int.from_bytes(raw, "little", signed=True)
    try:
        return datetime(_year_from(yy, (raw[1] >> 5) & 3), month, day, hour, minute)
    except ValueError:
        return int.from_bytes(raw, "little", signed=True)


def encode_type_g(value: date) -> bytes:
    """CP16 date (type G): day and month with the two-digit year spread over both bytes."""
    if not 1981 <= value.year <= 2080:
        raise LocalProtocolError(f"type G covers 1981..2080, got {value.year}")
    yy = value.year % 100
    return bytes([(value.day & 0x1F) | (yy & 0x07) << 5, (value.month & 0x0F) | (yy >> 3) << 4])


def decode_type_g(raw: bytes) -> date | int:
    """Inverse of encode_type_g; an impossible date stays the raw integer."""
    yy = (raw[0] >> 5) | (raw[1] >> 4) << 3
    try:
        return date(_year_from(yy, 0), raw[1] & 0x0F, raw[0] & 0x1F)
    except ValueError:
        return int.from_bytes(raw, "little", signed=True)


def _decode_one(data: bytes, pos: int) -> tuple[DataRecord, int]:
    dif, storage, tariff, subunit, pos = _decode_dib(data, pos)
    field = DataField(dif & 0x0F)
    vib, pos = split_vib(data, pos)
    if field is DataField.VARIABLE_LENGTH:
        lvar = data[pos]
        if lvar > 0xBF:
            raise RemoteProtocolError(f"LVAR {lvar:#04x} is not supported")
        pos += 1
        length = lvar
    else:
        length = FIELD_LENGTH[field]
    raw = data[pos : pos + length]
    if len(raw) != length:
        raise RemoteProtocolError("truncated data field")
    value = decode_value(field, vib, raw)
    function = FunctionField((dif >> 4) & 3)
    return DataRecord(field, vib, value, storage, tariff, subunit, function), pos + length


def decode_records(data: bytes) -> list[Record]:
    """Parse the variable data blocks of a telegram; malformed input raises RemoteProtocolError."""
    out: list[Record] = []
    pos = 0
    try:
        while pos < len(data):
            dif = data[pos]
            if dif == SpecialFunction.IDLE_FILLER:
                pos += 1
                continue
            if dif in (SpecialFunction.MANUFACTURER_SPECIFIC, SpecialFunction.MORE_RECORDS_FOLLOW):
                out.append(ManufacturerData(bytes(data[pos + 1 :]), dif == 0x1F))
                break
            if dif & 0x0F == 0x0F:
                raise RemoteProtocolError(f"unsupported special function DIF {dif:#04x}")
            record, pos = _decode_one(data, pos)
            out.append(record)
    except IndexError as exc:
        raise RemoteProtocolError("truncated data record") from exc
    return out


def encode_records(records: list[Record] | tuple[Record, ...]) -> bytes:
    """Concatenate records; manufacturer data, if any, must come last."""
    for record in records[:-1]:
        if isinstance(record, ManufacturerData):
            raise LocalProtocolError("manufacturer specific data must be the last record")
    return b"".join(r.to_bytes() for r in records)
