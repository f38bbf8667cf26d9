"""Profile generic (class 7): buffer with selective access by range and by entry, capture objects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from k351c.axdr.codec import from_python, to_python
from k351c.axdr.selective import CaptureObject
from k351c.axdr.types import Data, DataType
from k351c.cosem.model import Attribute, CosemObject, Level, Method, RequestContext
from k351c.cosem.types import INTEGER_TYPES, datetime_octets, octets_datetime, value_data
from k351c.errors import AccessDenied, ConfigError
from k351c.meter.localtime import LocalTime
from k351c.meter.objects import ObjectTable, ProfileData, ValueDef
from k351c.obis import Obis


def _shown(shown: bool) -> Callable[[RequestContext], bool]:
    """Whether a method is listed, fixed when the object list is built."""
    return lambda ctx: shown


def parse_column(column: str, table: ObjectTable) -> tuple[int, Obis, int, ValueDef | None]:
    """A capture column "A-B:C.D.E.F[:attr]" -> (class id, OBIS, attribute, definition or None)."""
    parts = column.split(":")
    attr = int(parts[2]) if len(parts) > 2 else 2
    obis = Obis.parse(":".join(parts[:2]))
    definition = table.get(obis)
    class_id = definition.class_id if definition is not None else 1
    return class_id, obis, attr, definition


def capture_objects(data: ProfileData, table: ObjectTable) -> list[CaptureObject]:
    """The capture object definitions of a profile's columns."""
    out = []
    for column in data.columns:
        class_id, obis, attr, _ = parse_column(column, table)
        out.append(CaptureObject(class_id, obis.to_bytes(), attr, 0))
    return out


# A-XDR type of captured attributes other than a value (class id, attribute): what the object itself answers.
ATTRIBUTE_TYPES: dict[tuple[int, int], DataType] = {
    (4, 4): DataType.UNSIGNED,  # extended register status
    (8, 4): DataType.UNSIGNED,  # clock status
    (8, 3): DataType.LONG,  # time zone
}
DATE_TIME_ATTRIBUTES = frozenset({(4, 5), (8, 2)})


def _cell(definition: ValueDef | None, class_id: int, attr: int, value: object) -> Data:
    if isinstance(value, datetime):
        return datetime_octets(value)
    if value is None:
        if (class_id, attr) in DATE_TIME_ATTRIBUTES:
            return datetime_octets(None)
        return Data(DataType.NULL_DATA, None)
    kind = ATTRIBUTE_TYPES.get((class_id, attr))
    if kind is not None and isinstance(value, int):
        return Data(kind, value)
    if definition is not None and attr == 2:
        return value_data(definition, value)
    if isinstance(value, int) and value >= 0 and not isinstance(value, bool):
        return Data(DataType.DOUBLE_LONG_UNSIGNED if value < 2**32 else DataType.LONG64_UNSIGNED, value)
    return from_python(value)


def _restricting_column(data: ProfileData, restricting: CaptureObject, table: ObjectTable) -> int:
    """The column the range's restricting object names (ValueError if the profile does not capture it)."""
    for i, column in enumerate(data.columns):
        _, obis, attr, _ = parse_column(column, table)
        if obis.to_bytes() == bytes(restricting.logical_name) and attr == restricting.attribute_index:
            return i
    raise ValueError(f"restricting object {bytes(restricting.logical_name).hex()} is not captured")


def _bound(value: Data, rows: list, index: int, local: LocalTime | None) -> object:
    """A range bound in the restricting column's terms: a datetime for the clock, else a number."""
    if value.type in (DataType.OCTET_STRING, DataType.DATE_TIME) and (
        not rows or isinstance(rows[0][index], datetime)
    ):
        return octets_datetime(value, local)
    bound = to_python(value)
    if not isinstance(bound, (int, float)) or isinstance(bound, bool):
        raise TypeError(f"range bound {value.type.name} does not compare with the restricting column")
    return bound


def _comparable(cell: object, bound: object) -> bool:
    if isinstance(bound, datetime):
        return isinstance(cell, datetime)
    return isinstance(cell, (int, float)) and not isinstance(cell, bool)


def _select_rows(data: ProfileData, ctx: RequestContext, table: ObjectTable,
                 local: LocalTime | None = None) -> tuple[list, slice | list[tuple[bytes, int]]]:
    """The rows a selective access asks for, and its columns: a slice, or (name, attribute) pairs."""
    rows, columns = data.rows, slice(None)
    access = ctx.access
    if access is None:
        return rows, columns
    if access.selector == 1:
        descriptor = access.range_descriptor()
        index = _restricting_column(data, descriptor.restricting_object, table)
        low, high = (_bound(descriptor.from_value, rows, index, local),
                     _bound(descriptor.to_value, rows, index, local))
        rows = [r for r in rows if _comparable(r[index], low) and low <= r[index] <= high]
        if descriptor.selected_values:
            wanted = [(c.logical_name, c.attribute_index) for c in descriptor.selected_values]
            return rows, wanted
        return rows, columns
    if access.selector == 2:
        entry = access.entry_descriptor()
        start = max(entry.from_entry, 1) - 1
        stop = entry.to_entry if entry.to_entry else len(rows)
        first = max(entry.from_selected_value, 1) - 1
        last = entry.to_selected_value if entry.to_selected_value else None
        return rows[start:stop], slice(first, last)
    raise ValueError(f"selective access selector {access.selector} is not supported")


def buffer_getter(definition: ValueDef, table: ObjectTable,
                  local: LocalTime | None = None) -> Callable[[RequestContext], Data]:
    """attribute 2 (buffer): array of structures, filtered by the request's selective access."""

    def get(ctx: RequestContext) -> Data:
        data: ProfileData = definition.get()
        parsed = [parse_column(c, table) for c in data.columns]
        rows, columns = _select_rows(data, ctx, table, local)
        indices = list(range(len(parsed)))
        if isinstance(columns, slice):
            indices = indices[columns]
        else:
            keys = [(p[1].to_bytes(), p[2]) for p in parsed]
            indices = [keys.index(w) for w in columns if w in keys]
        out = []
        for row in rows:
            cells = tuple(_cell(parsed[i][3], parsed[i][0], parsed[i][2], row[i]) for i in indices)
            out.append(Data(DataType.STRUCTURE, cells))
        return Data(DataType.ARRAY, tuple(out))

    return get


def capture_codes(value: Data) -> list[str]:
    """OBIS codes from a written capture_objects array (structures of class, logical name, attribute, index)."""
    items = value.value
    if value.type != DataType.ARRAY or not isinstance(items, (tuple, list)):
        raise TypeError("capture objects must be an array of structures")
    out = []
    for item in items:
        fields = item.value
        if not isinstance(fields, (tuple, list)) or len(fields) != 4:
            raise TypeError("a capture object is a structure of four")
        ln, attribute = fields[1].value, fields[2].value
        if not isinstance(ln, (bytes, bytearray)) or len(ln) != 6:
            raise TypeError("a capture object's logical name is 6 octets")
        if attribute != 2:
            raise ConfigError("capture object attribute", attribute, "2 (the value)")
        out.append(str(Obis.parse(bytes(ln))))
    return out


def _setters(definition: ValueDef) -> dict[int, Callable[[Data, RequestContext], None]]:
    """Attribute 3 (capture objects) and 4 (capture period) writers through the logger's own methods."""
    setters: dict[int, Callable[[Data, RequestContext], None]] = {}
    set_columns, set_period = definition.set_columns, definition.set_period
    if set_columns is not None:
        setters[3] = lambda value, ctx: set_columns(capture_codes(value))
    if set_period is not None:
        setters[4] = lambda value, ctx: set_period(_integer(value))
    return setters


def _integer(value: Data) -> int:
    """The integer a client wrote (TypeError, type-unmatched, for any other type)."""
    raw = value.value
    if value.type not in INTEGER_TYPES or not isinstance(raw, int) or isinstance(raw, bool):
        raise TypeError(f"expected an integer, got {value.type.name}")
    return raw


def profile_object(definition: ValueDef, table: ObjectTable, read_level: Level,
                   write_level: Level = Level.MANAGEMENT, local: LocalTime | None = None) -> CosemObject:
    """A class 7 object over a meter logger; its ``set_columns``/``set_period`` make attributes 3/4 writable.

    ``local`` is the meter's local time: range bounds without a deviation are read in it.
    """
    setters = _setters(definition)

    def data() -> ProfileData:
        return definition.get()

    def constant(fn: Callable[[], Data]) -> Callable[[RequestContext], Data]:
        return lambda ctx: fn()

    capacity = definition.capacity
    if capacity is None:
        raise ValueError(f"logger {definition.obis} has no capacity")
    attrs = {
        1: Attribute(constant(lambda: Data(DataType.OCTET_STRING, definition.obis.to_bytes())),
                     read_level=read_level),
        2: Attribute(buffer_getter(definition, table, local), read_level=read_level, selective=True),
        3: Attribute(constant(lambda: Data(DataType.ARRAY, tuple(c.to_data() for c in capture_objects(data(), table)))),
                     setters.get(3), read_level, write_level if 3 in setters else None),
        4: Attribute(constant(lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, int(data().capture_period))),
                     setters.get(4), read_level, write_level if 4 in setters else None),
        5: Attribute(constant(lambda: Data(DataType.ENUM, 1)), read_level=read_level),
        6: Attribute(constant(lambda: CaptureObject(0, bytes(6), 0, 0).to_data()), read_level=read_level),
        7: Attribute(constant(lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, len(data().rows))), read_level=read_level),
        8: Attribute(constant(lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, int(capacity()))),
                     read_level=read_level),
    }
    return CosemObject(7, 1, definition.obis, attrs, profile_methods(definition), description=definition.description)


def profile_methods(definition: ValueDef) -> dict[int, Method]:
    """Methods 1 reset and 2 capture (management); a logger without the hook refuses with read-write-denied."""
    methods = {}
    for number, name, hook in ((1, "reset", definition.reset), (2, "capture", definition.capture)):

        def call(params: Data | None, ctx: RequestContext, hook=hook, name=name) -> None:
            if params is None or params.type not in (DataType.INTEGER, DataType.NULL_DATA):
                raise TypeError(f"{name} takes integer 0")
            if hook is None:
                raise AccessDenied(f"{definition.obis} cannot be {name} by a client")
            hook()

        methods[number] = Method(call, Level.MANAGEMENT, _shown(hook is not None))
    return methods
