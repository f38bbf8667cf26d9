"""The COSEM object model: objects with attributes and methods, rights per association level."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from k351c.axdr.enums import ActionResult, Conformance, DataAccessResult
from k351c.axdr.selective import SelectiveAccess
from k351c.axdr.types import Data, DataType
from k351c.errors import AccessDenied, ConfigError, K351CError
from k351c.obis import Obis


class Level(IntEnum):
    """Association levels of DESIGN.md: public (SAP 16), reading (32, LLS), management (1, HLS)."""

    PUBLIC = 0
    READING = 1
    MANAGEMENT = 2


class AttributeAccessMode(IntEnum):
    """attribute_access_mode of the association's object list (class 15)."""

    NO_ACCESS = 0
    READ_ONLY = 1
    WRITE_ONLY = 2
    READ_AND_WRITE = 3


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who asks and how: the association level, client SAP, selective access, association info."""

    level: Level
    client_sap: int = 16
    access: SelectiveAccess | None = None
    association: dict[str, Any] = field(default_factory=dict)


Getter = Callable[[RequestContext], Data]
Setter = Callable[[Data, RequestContext], None]
Caller = Callable[[Data | None, RequestContext], Data | None]


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute: how to read and write it, and the lowest level allowed to."""

    get: Getter | None
    set: Setter | None = None
    read_level: Level = Level.READING
    write_level: Level | None = None
    selective: bool = False

    def mode(self, level: Level) -> AttributeAccessMode:
        """The access mode this attribute shows to an association of ``level``."""
        readable = self.get is not None and level >= self.read_level
        writable = self.set is not None and self.write_level is not None and level >= self.write_level
        return AttributeAccessMode(int(readable) | (int(writable) << 1))


@dataclass(frozen=True, slots=True)
class Method:
    """One method and the lowest level allowed to invoke it."""

    call: Caller
    level: Level = Level.MANAGEMENT
    shown: Callable[[RequestContext], bool] | None = None

    def allowed(self, ctx: RequestContext) -> bool:
        """Whether the object list shows this method as accessible to the association ``ctx``."""
        return ctx.level >= self.level and (self.shown is None or self.shown(ctx))


@dataclass(slots=True)
class CosemObject:
    """An instance of an interface class, addressed by class id and logical name."""

    class_id: int
    version: int
    obis: Obis
    attributes: dict[int, Attribute]
    methods: dict[int, Method] = field(default_factory=dict)
    description: str = ""

    def visible_to(self, level: Level) -> bool:
        """Whether the object appears in the object list of an association of ``level``."""
        return any(
            a.mode(level) != AttributeAccessMode.NO_ACCESS for i, a in self.attributes.items() if i != 1
        )


def _refusal(exc: Exception) -> DataAccessResult:
    if isinstance(exc, AccessDenied):
        return DataAccessResult.READ_WRITE_DENIED
    if isinstance(exc, (TypeError, ValueError, IndexError)) and not isinstance(exc, ConfigError):
        return DataAccessResult.TYPE_UNMATCHED
    return DataAccessResult.OTHER_REASON


class ObjectList:
    """All COSEM objects of a logical device, with the GET/SET/ACTION semantics of IEC 62056-5-3."""

    def __init__(self, objects: Iterable[CosemObject] = ()) -> None:
        self._objects: dict[tuple[int, bytes], CosemObject] = {}
        self._by_ln: dict[bytes, CosemObject] = {}
        self.on_change: list[Callable[[CosemObject, int, RequestContext], None]] = []
        for obj in objects:
            self.add(obj)

    def add(self, obj: CosemObject) -> None:
        """Add (or replace) an object."""
        ln = obj.obis.to_bytes()
        self._objects[(obj.class_id, ln)] = obj
        self._by_ln[ln] = obj

    def __iter__(self):
        return iter(sorted(self._objects.values(), key=lambda o: (o.obis, o.class_id)))

    def __len__(self) -> int:
        return len(self._objects)

    def catalog(self) -> Iterator[CosemObject]:
        """The objects as the association's object_list shows them: class, version, name and rights."""
        return iter(self)

    def find(self, class_id: int, ln: bytes | Obis | str) -> CosemObject | None:
        """The object with this class id and logical name, or None."""
        key = ln if isinstance(ln, bytes) else Obis.parse(ln).to_bytes()
        return self._objects.get((class_id, key))

    def _locate(self, class_id: int, ln: bytes) -> CosemObject | DataAccessResult:
        obj = self._objects.get((class_id, bytes(ln)))
        if obj is not None:
            return obj
        if bytes(ln) in self._by_ln:
            return DataAccessResult.OBJECT_CLASS_INCONSISTENT
        return DataAccessResult.OBJECT_UNDEFINED

    def get(self, ctx: RequestContext, class_id: int, ln: bytes, attribute_id: int) -> Data | DataAccessResult:
        """Read an attribute, or the standard's reason why not."""
        obj = self._locate(class_id, ln)
        if isinstance(obj, DataAccessResult):
            return obj
        if attribute_id == 0:
            return self._whole(ctx, obj)
        attr = obj.attributes.get(attribute_id)
        if attr is None:
            return DataAccessResult.OBJECT_UNDEFINED
        if attr.get is None or ctx.level < attr.read_level:
            return DataAccessResult.READ_WRITE_DENIED
        if ctx.access is not None and not attr.selective:
            return DataAccessResult.OTHER_REASON
        try:
            return attr.get(ctx)
        except K351CError as exc:
            return _refusal(exc)
        except (TypeError, ValueError, IndexError, KeyError):
            return DataAccessResult.OTHER_REASON

    def _whole(self, ctx: RequestContext, obj: CosemObject) -> Data | DataAccessResult:
        """Attribute 0 (Blue Book): every attribute in order; one the client may not read is null-data."""
        negotiated = int(ctx.association.get("conformance", Conformance.ATTRIBUTE0_SUPPORTED_WITH_GET))
        if not negotiated & Conformance.ATTRIBUTE0_SUPPORTED_WITH_GET:
            return DataAccessResult.OBJECT_UNDEFINED
        if ctx.access is not None:
            return DataAccessResult.OTHER_REASON
        values = []
        for attribute_id in range(1, max(obj.attributes) + 1):
            found = self.get(ctx, obj.class_id, obj.obis.to_bytes(), attribute_id)
            values.append(found if isinstance(found, Data) else Data(DataType.NULL_DATA, None))
        return Data(DataType.STRUCTURE, tuple(values))

    def set(self, ctx: RequestContext, class_id: int, ln: bytes, attribute_id: int, value: Data) -> DataAccessResult:
        """Write an attribute; on any refusal nothing changes."""
        obj = self._locate(class_id, ln)
        if isinstance(obj, DataAccessResult):
            return obj
        attr = obj.attributes.get(attribute_id)
        if attr is None:
            return DataAccessResult.OBJECT_UNDEFINED
        writable = (AttributeAccessMode.WRITE_ONLY, AttributeAccessMode.READ_AND_WRITE)
        if attr.set is None or attr.mode(ctx.level) not in writable:
            return DataAccessResult.READ_WRITE_DENIED
        try:
            attr.set(value, ctx)
        except (K351CError, TypeError, ValueError, IndexError, KeyError) as exc:
            return _refusal(exc)
        for listener in self.on_change:
            listener(obj, attribute_id, ctx)
        return DataAccessResult.SUCCESS

    def action(
        self, ctx: RequestContext, class_id: int, ln: bytes, method_id: int, params: Data | None
    ) -> tuple[ActionResult, Data | None]:
        """Invoke a method; returns the result and the optional return parameters."""
        obj = self._locate(class_id, ln)
        if isinstance(obj, DataAccessResult):
            return ActionResult(int(obj)), None
        method = obj.methods.get(method_id)
        if method is None:
            return ActionResult.OBJECT_UNDEFINED, None
        if ctx.level < method.level:
            return ActionResult.READ_WRITE_DENIED, None
        try:
            return ActionResult.SUCCESS, method.call(params, ctx)
        except (K351CError, TypeError, ValueError, IndexError, KeyError) as exc:
            return ActionResult(int(_refusal(exc))), None
