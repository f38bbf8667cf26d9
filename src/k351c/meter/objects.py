"""The meter's value table: every readable value by OBIS, with unit, scaler, class and rights."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from k351c.errors import ConfigError
from k351c.meter.readings import Profile, Reading
from k351c.obis import Obis
from k351c.units import Unit, unit_name


@dataclass(frozen=True, slots=True)
class ProfileData:
    """A logger's buffer as stored: capture columns and raw rows (before scalers)."""

    columns: list[str]
    rows: list[tuple]
    capture_period: int = 0


class Access(IntEnum):
    """The association level that may write a value (DESIGN.md: reading = LLS, management = HLS)."""

    READING = 1
    MANAGEMENT = 2


@dataclass(frozen=True, slots=True)
class ValueDef:
    """One value of the meter: a getter of the raw value, how to interpret it and how it may change.

    Rights: ``public`` values are read by the public client, every value by reading and management;
    ``set`` is the domain method every interface writes through, at ``write_access`` or above, and
    never for ``legal`` data. The A-XDR type of an integer follows ``value_range`` (else its unit);
    ``octets`` sends a text as an octet-string. ``status`` is a class 4 register's status (attribute
    4); ``reset`` is method 1 of a register (class 3/4) or a logger (class 7). A logger also has its
    ``capacity`` (attribute 8), ``capture`` (method 2) and may take new capture objects (attribute 3,
    ``set_columns`` with OBIS codes) and capture period (attribute 4, ``set_period`` in seconds).
    """

    obis: Obis
    class_id: int
    get: Callable[[], Any]
    unit: Unit | None = None
    scaler: int = 0
    legal: bool = False
    set: Callable[[Any], None] | None = None
    description: str = ""
    public: bool = False
    capture_time: Callable[[], Any] | None = None
    value_range: tuple[int, int] | None = None
    capacity: Callable[[], int] | None = None
    write_access: Access = Access.MANAGEMENT
    octets: bool = False
    status: Callable[[], int] | None = None
    reset: Callable[[], None] | None = None
    capture: Callable[[], None] | None = None
    set_columns: Callable[[list[str]], None] | None = None
    set_period: Callable[[int], None] | None = None

    def scaled(self, raw: Any) -> Any:
        """Raw value times 10^scaler, exact for integers with scaler >= 0."""
        if self.scaler == 0 or not isinstance(raw, (int, float)) or isinstance(raw, bool):
            return raw
        if self.scaler > 0:
            return raw * 10**self.scaler
        return round(raw * 10.0**self.scaler, -self.scaler)


COUNTER_RANGE = (0, 2**64 - 1)  # a counter only grows: long64-unsigned never changes type
POWER_FACTOR_RANGE = (-1000, 1000)  # power factor in 0.001 with the IEC sign


class ObjectTable:
    """All ValueDefs of a meter, looked up by OBIS."""

    def __init__(self) -> None:
        self._defs: dict[Obis, ValueDef] = {}

    def add(self, value: ValueDef) -> None:
        """Register a value; a second definition of the same OBIS is a bug."""
        if value.obis in self._defs:
            raise ValueError(f"OBIS {value.obis} defined twice")
        self.replace(value)

    def replace(self, value: ValueDef) -> None:
        """Register or redefine a value; a logger without its capacity is a bug."""
        if value.class_id == 7 and value.capacity is None:
            raise ValueError(f"logger {value.obis} defined without its capacity")
        self._defs[value.obis] = value

    def lookup(self, obis: str | Obis) -> ValueDef:
        """The definition of an OBIS code; ConfigError naming it when unknown."""
        code = Obis.parse(obis)
        try:
            return self._defs[code]
        except KeyError:
            raise ConfigError("OBIS", str(code), "a code of this meter (see docs/obis.md)") from None

    def get(self, obis: str | Obis) -> ValueDef | None:
        """The definition or None."""
        return self._defs.get(Obis.parse(obis))

    def __contains__(self, obis: object) -> bool:
        try:
            return isinstance(obis, str | Obis | bytes) and Obis.parse(obis) in self._defs
        except (ConfigError, TypeError):
            return False

    def __iter__(self) -> Iterator[ValueDef]:
        return iter(sorted(self._defs.values(), key=lambda d: d.obis))

    def __len__(self) -> int:
        return len(self._defs)


def read_object(objects: ObjectTable, obis: str | Obis) -> Reading | Profile:
    """The value of an OBIS code of a table as a meter shows it (a Profile for loggers)."""
    definition = objects.lookup(obis)
    raw = definition.get()
    if isinstance(raw, ProfileData):
        defs = [None if c.count(":") > 1 else objects.get(c) for c in raw.columns]
        rows = [
            tuple(d.scaled(v) if d is not None else v for d, v in zip(defs, row, strict=False))
            for row in raw.rows
        ]
        return Profile(str(definition.obis), list(raw.columns), rows, raw.capture_period)
    captured = definition.capture_time() if definition.capture_time else None
    status = None
    if definition.class_id == 4:
        status = int(definition.status()) if definition.status is not None else 0
    return Reading(
        str(definition.obis),
        definition.scaled(raw),
        unit_name(definition.unit),
        definition.scaler,
        captured,
        status,
    )
