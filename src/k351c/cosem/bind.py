"""COSEM objects over a meter's values (classes 1, 3, 4, 7, 8); k351c.cosem.device assembles the list."""

from __future__ import annotations

from collections.abc import Callable

from k351c.axdr.cosem_datetime import NOT_SPECIFIED, YEAR_NOT_SPECIFIED, CosemDateTime
from k351c.axdr.types import Data, DataType
from k351c.cosem.classes import CLASS_VERSION, logical_name
from k351c.cosem.clock_methods import clock_methods
from k351c.cosem.model import Attribute, CosemObject, Level, Method, RequestContext
from k351c.cosem.profile import profile_object
from k351c.cosem.types import datetime_octets, python_value, scaler_unit, value_data
from k351c.errors import AccessDenied
from k351c.meter.core import Meter
from k351c.meter.objects import Access, ProfileData, ValueDef

WRITE_LEVELS = {Access.READING: Level.READING, Access.MANAGEMENT: Level.MANAGEMENT}


def _const(fn: Callable[[], Data]) -> Callable[[RequestContext], Data]:
    return lambda ctx: fn()


def _levels(definition: ValueDef) -> tuple[Level, Level | None]:
    read = Level.PUBLIC if definition.public else Level.READING
    if definition.legal or definition.set is None:
        return read, None
    return read, WRITE_LEVELS[definition.write_access]


def _value_attribute(definition: ValueDef, read: Level, write: Level | None) -> Attribute:
    def get(ctx: RequestContext) -> Data:
        return value_data(definition, definition.get())

    setter = definition.set

    def set_(value: Data, ctx: RequestContext) -> None:
        if setter is None:
            raise AccessDenied(f"{definition.obis} cannot be written")
        setter(python_value(value, definition.get()))

    return Attribute(get, set_ if write is not None else None, read, write)


def register_object(definition: ValueDef) -> CosemObject:
    """Class 1 (data), 3 (register) or 4 (extended register) over one meter value."""
    read, write = _levels(definition)
    attrs = {1: logical_name(definition.obis), 2: _value_attribute(definition, read, write)}
    if definition.class_id in (3, 4):
        su = scaler_unit(definition)
        attrs[3] = Attribute(lambda ctx: su, read_level=read)
    if definition.class_id == 4:
        status = definition.status or (lambda: 0)
        attrs[4] = Attribute(lambda ctx: Data(DataType.UNSIGNED, int(status())), read_level=read)
        capture = definition.capture_time or (lambda: None)
        attrs[5] = Attribute(lambda ctx: datetime_octets(capture()), read_level=read)
    methods = {}
    reset = definition.reset
    if reset is not None and definition.class_id in (3, 4):
        methods[1] = Method(lambda params, ctx: reset())
    return CosemObject(definition.class_id, CLASS_VERSION[definition.class_id], definition.obis, attrs, methods,
                       definition.description)


def _dst_edge(month: int, hour: int) -> Data:
    edge = CosemDateTime(YEAR_NOT_SPECIFIED, month, 0xFE, 7, hour, 0, 0, 0, -0x8000, NOT_SPECIFIED)
    return Data(DataType.OCTET_STRING, edge.to_bytes())


def clock_object(meter: Meter, definition: ValueDef) -> CosemObject:
    """Class 8: time (settable by reading and management), time zone, status and the DST rule."""
    local = meter.localtime
    eu = local.dst_rule == "eu"

    def status() -> int:
        base = (meter.clock_status or 0) & 0x7F
        return base | (0x80 if local.is_dst(meter.t) else 0)

    def set_time(value: Data, ctx: RequestContext) -> None:
        meter.set_clock(python_value(value, meter.now, local))

    attrs = {
        1: logical_name(definition.obis),
        2: Attribute(lambda ctx: datetime_octets(meter.now, status()), set_time, Level.PUBLIC, Level.READING),
        3: Attribute(lambda ctx: Data(DataType.LONG, -local.utc_offset_minutes), read_level=Level.PUBLIC),
        4: Attribute(lambda ctx: Data(DataType.UNSIGNED, status()), read_level=Level.PUBLIC),
        5: Attribute(lambda ctx: _dst_edge(3, (local.utc_offset_minutes // 60) + 1), read_level=Level.PUBLIC),
        6: Attribute(lambda ctx: _dst_edge(10, (local.utc_offset_minutes // 60) + 2), read_level=Level.PUBLIC),
        7: Attribute(lambda ctx: Data(DataType.INTEGER, 60 if eu else 0), read_level=Level.PUBLIC),
        8: Attribute(lambda ctx: Data(DataType.BOOLEAN, eu), read_level=Level.PUBLIC),
        9: Attribute(lambda ctx: Data(DataType.ENUM, 1), read_level=Level.PUBLIC),
    }
    return CosemObject(8, 0, definition.obis, attrs, clock_methods(meter), description="clock")


def value_object(meter: Meter, definition: ValueDef) -> CosemObject | None:
    """The COSEM object over one value of a meter (classes 1, 3, 4, 7, 8); None for a value of another class."""
    if definition.class_id == 8:
        return clock_object(meter, definition)
    if definition.class_id == 7:
        read = Level.PUBLIC if definition.public else Level.READING
        return profile_object(definition, meter.objects, read, WRITE_LEVELS[definition.write_access], meter.localtime)
    if definition.class_id in (1, 3, 4):
        return register_object(definition)
    return None


def is_profile(definition: ValueDef) -> bool:
    """Whether a value is a logger (class 7)."""
    return definition.class_id == 7 or isinstance(definition.get(), ProfileData)
