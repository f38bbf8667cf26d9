"""How meter values become A-XDR data: value types per unit, scaler_unit, date-time octet strings."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import cache
from typing import Any

from k351c.axdr.codec import from_python, to_python
from k351c.axdr.cosem_datetime import CosemDateTime
from k351c.axdr.types import Data, DataType
from k351c.meter.localtime import LocalTime
from k351c.meter.objects import ValueDef
from k351c.units import Unit

# The A-XDR type of a register value by its unit: energy never changes type as it grows.
TYPE_BY_UNIT: dict[Unit | None, DataType] = {
    Unit.WATT_HOUR: DataType.LONG64_UNSIGNED,
    Unit.VAR_HOUR: DataType.LONG64_UNSIGNED,
    Unit.VOLT_AMPERE_HOUR: DataType.LONG64_UNSIGNED,
    Unit.WATT: DataType.DOUBLE_LONG,
    Unit.VAR: DataType.DOUBLE_LONG,
    Unit.VOLT_AMPERE: DataType.DOUBLE_LONG,
    Unit.VOLT: DataType.LONG_UNSIGNED,
    Unit.AMPERE: DataType.DOUBLE_LONG_UNSIGNED,
    Unit.HERTZ: DataType.LONG_UNSIGNED,
    None: DataType.DOUBLE_LONG,
}
# The A-XDR integer types, narrowest first, with their (low, high) bounds.
INTEGER_RANGES: tuple[tuple[DataType, int, int], ...] = (
    (DataType.UNSIGNED, 0, 2**8 - 1),
    (DataType.INTEGER, -(2**7), 2**7 - 1),
    (DataType.LONG_UNSIGNED, 0, 2**16 - 1),
    (DataType.LONG, -(2**15), 2**15 - 1),
    (DataType.DOUBLE_LONG_UNSIGNED, 0, 2**32 - 1),
    (DataType.DOUBLE_LONG, -(2**31), 2**31 - 1),
    (DataType.LONG64_UNSIGNED, 0, 2**64 - 1),
    (DataType.LONG64, -(2**63), 2**63 - 1),
)
INTEGER_TYPES = {
    DataType.INTEGER, DataType.LONG, DataType.UNSIGNED, DataType.LONG_UNSIGNED, DataType.DOUBLE_LONG,
    DataType.DOUBLE_LONG_UNSIGNED, DataType.LONG64, DataType.LONG64_UNSIGNED, DataType.ENUM,
}


def datetime_octets(moment: datetime | None, status: int = 0) -> Data:
    """A date-time as the 12-octet octet-string that COSEM attributes carry (null-data if unknown)."""
    if moment is None:
        return Data(DataType.OCTET_STRING, bytes(CosemDateTime().to_bytes()))
    return Data(DataType.OCTET_STRING, CosemDateTime.from_datetime(moment, status).to_bytes())


def octets_datetime(data: Data, local: LocalTime | tzinfo | None = None) -> datetime:
    """The aware datetime of a date-time octet-string or date-time value.

    A deviation "not specified" (0x8000) means the meter's local time (IEC 62056-6-2): the wall time
    is placed with the meter's ``local`` rules (summer time included), or in a fixed zone; without
    either it is a TypeError. Unspecified weekday, hundredths and clock status are ignored.
    """
    if isinstance(data.value, CosemDateTime):
        value = data.value
    elif data.type == DataType.OCTET_STRING and len(octets := data.as_bytes()) == 12:
        value = CosemDateTime.from_bytes(octets)
    else:
        raise TypeError("expected a 12-octet date-time")
    moment = value.to_datetime()
    if moment.tzinfo is not None:
        return moment
    if isinstance(local, LocalTime):
        return local.to_local(local.from_local(moment))
    if local is None:
        raise TypeError("a date-time without deviation needs the meter's local time")
    return moment.replace(tzinfo=local)


@cache
def integer_type(low: int, high: int) -> DataType:
    """The narrowest A-XDR integer type that holds every value from ``low`` to ``high``."""
    for kind, lowest, highest in INTEGER_RANGES:
        if lowest <= low and high <= highest:
            return kind
    raise ValueError(f"no A-XDR integer type holds {low}..{high}")


def value_data(definition: ValueDef, raw: Any) -> Data:
    """The A-XDR value of a meter value (attribute 2 of classes 1, 3, 4)."""
    if isinstance(raw, datetime):
        return datetime_octets(raw)
    if isinstance(raw, Data):
        return raw
    if definition.octets:
        return Data(DataType.OCTET_STRING, raw.encode() if isinstance(raw, str) else raw)
    if isinstance(raw, bool):
        return Data(DataType.BOOLEAN, raw)
    if isinstance(raw, int) and definition.value_range is not None:
        return Data(integer_type(*definition.value_range), raw)
    if isinstance(raw, int) and definition.class_id in (3, 4):
        return Data(TYPE_BY_UNIT.get(definition.unit, DataType.DOUBLE_LONG), raw)
    if isinstance(raw, int) and raw >= 0:
        return Data(DataType.DOUBLE_LONG_UNSIGNED if raw < 2**32 else DataType.LONG64_UNSIGNED, raw)
    if isinstance(raw, float):
        return Data(DataType.FLOAT64, raw)
    return from_python(raw)


def scaler_unit(definition: ValueDef) -> Data:
    """The scaler_unit structure {integer scaler, enum unit} (unit 255 = count/unitless)."""
    unit = int(definition.unit) if definition.unit is not None else int(Unit.COUNT)
    return Data.structure(Data(DataType.INTEGER, definition.scaler), Data(DataType.ENUM, unit))


def python_value(data: Data, like: Any, local: LocalTime | None = None) -> Any:
    """Convert written data to the Python type of the current value ``like`` (TypeError if it cannot).

    A date-time without deviation is the meter's ``local`` time (else in the zone of ``like``).
    """
    if isinstance(like, datetime):
        return octets_datetime(data, local or like.tzinfo)
    value = to_python(data)
    if isinstance(like, bool):
        if data.type != DataType.BOOLEAN:
            raise TypeError("expected boolean")
        return value
    if isinstance(like, int):
        if data.type not in INTEGER_TYPES:
            raise TypeError("expected an integer type")
        return data.as_int()
    if isinstance(like, str):
        if isinstance(value, bytes):
            return value.decode("ascii")
        if not isinstance(value, str):
            raise TypeError("expected a string")
        return value
    return value
