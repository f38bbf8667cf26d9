"""The A-XDR value model: Data CHOICE tags, typed ``Data`` values and compact-array values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from k351c.axdr.cosem_datetime import CosemDateTime

MAX_DEPTH = 32


class DataType(IntEnum):
    """A-XDR Data CHOICE tags (Blue Book table 2)."""

    NULL_DATA = 0
    ARRAY = 1
    STRUCTURE = 2
    BOOLEAN = 3
    BIT_STRING = 4
    DOUBLE_LONG = 5
    DOUBLE_LONG_UNSIGNED = 6
    OCTET_STRING = 9
    VISIBLE_STRING = 10
    UTF8_STRING = 12
    BCD = 13
    INTEGER = 15
    LONG = 16
    UNSIGNED = 17
    LONG_UNSIGNED = 18
    COMPACT_ARRAY = 19
    LONG64 = 20
    LONG64_UNSIGNED = 21
    ENUM = 22
    FLOAT32 = 23
    FLOAT64 = 24
    DATE_TIME = 25
    DATE = 26
    TIME = 27
    DONT_CARE = 255


@dataclass(frozen=True, slots=True)
class Data:
    """One typed COSEM value."""

    type: DataType
    value: object = None

    @classmethod
    def null(cls) -> Data:
        """null-data."""
        return NULL

    @classmethod
    def boolean(cls, value: bool) -> Data:
        """boolean."""
        return cls(DataType.BOOLEAN, bool(value))

    @classmethod
    def octet_string(cls, value: bytes) -> Data:
        """octet-string."""
        return cls(DataType.OCTET_STRING, bytes(value))

    @classmethod
    def visible_string(cls, value: str) -> Data:
        """visible-string."""
        return cls(DataType.VISIBLE_STRING, value)

    @classmethod
    def integer(cls, value: int) -> Data:
        """integer (int8)."""
        return cls(DataType.INTEGER, value)

    @classmethod
    def long(cls, value: int) -> Data:
        """long (int16)."""
        return cls(DataType.LONG, value)

    @classmethod
    def unsigned(cls, value: int) -> Data:
        """unsigned (uint8)."""
        return cls(DataType.UNSIGNED, value)

    @classmethod
    def long_unsigned(cls, value: int) -> Data:
        """long-unsigned (uint16)."""
        return cls(DataType.LONG_UNSIGNED, value)

    @classmethod
    def double_long(cls, value: int) -> Data:
        """double-long (int32)."""
        return cls(DataType.DOUBLE_LONG, value)

    @classmethod
    def double_long_unsigned(cls, value: int) -> Data:
        """double-long-unsigned (uint32)."""
        return cls(DataType.DOUBLE_LONG_UNSIGNED, value)

    @classmethod
    def long64(cls, value: int) -> Data:
        """long64 (int64)."""
        return cls(DataType.LONG64, value)

    @classmethod
    def long64_unsigned(cls, value: int) -> Data:
        """long64-unsigned (uint64)."""
        return cls(DataType.LONG64_UNSIGNED, value)

    @classmethod
    def enum(cls, value: int) -> Data:
        """enum (uint8)."""
        return cls(DataType.ENUM, int(value))

    @classmethod
    def float32(cls, value: float) -> Data:
        """float32."""
        return cls(DataType.FLOAT32, float(value))

    @classmethod
    def float64(cls, value: float) -> Data:
        """float64."""
        return cls(DataType.FLOAT64, float(value))

    @classmethod
    def utf8_string(cls, value: str) -> Data:
        """utf8-string."""
        return cls(DataType.UTF8_STRING, value)

    @classmethod
    def array(cls, items: Iterable[Data]) -> Data:
        """array of Data (all of one type, not checked)."""
        return cls(DataType.ARRAY, tuple(items))

    @classmethod
    def structure(cls, *items: Data) -> Data:
        """structure of the given Data."""
        return cls(DataType.STRUCTURE, items)

    @classmethod
    def date_time(cls, value: CosemDateTime | datetime) -> Data:
        """date-time (a datetime is converted with its UTC offset as deviation)."""
        if isinstance(value, datetime):
            value = CosemDateTime.from_datetime(value)
        return cls(DataType.DATE_TIME, value)

    # typed views of the value, for values a peer sent: TypeError (type-unmatched) if not that kind
    def items(self) -> Sequence[Data]:
        """The elements of an array or structure (a compact array's decoded elements)."""
        value = self.value
        if isinstance(value, CompactArray):
            return value.elements
        if self.type in _SEQUENCES and isinstance(value, tuple | list):
            return value
        raise TypeError(f"expected an array or structure, got {self.type.name}")

    def fields(self, count: int) -> Sequence[Data]:
        """The elements of a structure of exactly ``count`` fields."""
        if self.type is not DataType.STRUCTURE or len(items := self.items()) != count:
            raise TypeError(f"expected a structure of {count} elements")
        return items

    def as_int(self) -> int:
        """The value of an integer, enum or boolean type."""
        if self.type in _NUMBERS and isinstance(self.value, int):
            return int(self.value)
        raise TypeError(f"expected an integer, got {self.type.name}")

    def as_bytes(self) -> bytes:
        """The octets of an octet-string."""
        if isinstance(self.value, bytes | bytearray):
            return bytes(self.value)
        raise TypeError(f"expected an octet-string, got {self.type.name}")

    def as_str(self) -> str:
        """The text of a visible-string or utf8-string."""
        if isinstance(self.value, str):
            return self.value
        raise TypeError(f"expected a string, got {self.type.name}")


NULL = Data(DataType.NULL_DATA, None)
_SEQUENCES = frozenset({DataType.ARRAY, DataType.STRUCTURE})
_NUMBERS = frozenset(
    {
        DataType.BOOLEAN,
        DataType.DOUBLE_LONG,
        DataType.DOUBLE_LONG_UNSIGNED,
        DataType.BCD,
        DataType.INTEGER,
        DataType.LONG,
        DataType.UNSIGNED,
        DataType.LONG_UNSIGNED,
        DataType.LONG64,
        DataType.LONG64_UNSIGNED,
        DataType.ENUM,
    }
)


# a compact-array type description: a simple type, (ARRAY, count, element), (STRUCTURE, fields)
Description = DataType | tuple[DataType, int, "Description"] | tuple[DataType, tuple["Description", ...]]


@dataclass(frozen=True, slots=True)
class CompactArray:
    """compact-array value: a type description and the elements it describes.

    A description is a DataType for simple types, ``(DataType.ARRAY, count, description)`` or
    ``(DataType.STRUCTURE, (description, ...))``.
    """

    description: Description
    elements: tuple[Data, ...]
