"""Push setup (class 40 version 0): what is pushed, where to, how often retried.

``PushSetup`` is the plain, persistable configuration; ``push_setup_object`` exposes it as a COSEM
object whose destination and timing the management client may change, and whose method 1 (push)
asks the server to send a notification now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Protocol

from k351c.axdr.types import Data, DataType
from k351c.cosem.classes import CLASS_VERSION, logical_name
from k351c.cosem.model import Attribute, CosemObject, Level, Method, RequestContext
from k351c.errors import ConfigError
from k351c.obis import Obis

TRANSPORT_TCP = 0
MESSAGE_AXDR_APDU = 0

ALARM_PUSH = Obis(0, 0, 25, 9, 0)
SCHEDULED_PUSH = Obis(0, 1, 25, 9, 0)
CCC_PUSH = Obis(0, 2, 25, 9, 0)
Capture = tuple[int, str, int]  # class id, OBIS, attribute index
CLOCK: Capture = (8, "0-0:1.0.0.255", 2)
SERIAL: Capture = (1, "0-0:96.1.0.255", 2)


@dataclass
class PushSetup:
    """One push: its objects, destination ("host:port", empty = off), protection and retry timing."""

    name: str
    obis: str
    objects: list[Capture] = field(default_factory=list)
    destination: str = ""
    ciphered: bool = False
    randomisation: int = 0
    retries: int = 3
    repetition_delay: int = 10
    client_sap: int = 102

    def to_dict(self) -> dict:
        """A JSON-able form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PushSetup:
        """Rebuild from to_dict()."""
        data = dict(data)
        data["objects"] = [tuple(o) for o in data.get("objects", [])]
        return cls(**data)


def default_setups() -> dict[str, PushSetup]:
    """The three push setups of a meter with their object lists (destinations off)."""

    def own(obis: Obis) -> Capture:
        return (40, str(obis), 1)

    energy = [(3, f"1-0:{c}.8.0.255", 2) for c in (1, 2, 3, 4)]
    instant = [(3, f"1-0:{c}.7.0.255", 2) for c in (1, 2, 3, 4, 32, 52, 72, 31, 51, 71, 14)]
    return {
        "alarm": PushSetup(
            "alarm",
            str(ALARM_PUSH),
            [own(ALARM_PUSH), SERIAL, CLOCK, (1, "0-0:97.98.0.255", 2), (1, "0-0:97.97.0.255", 2)],
        ),
        "scheduled": PushSetup(
            "scheduled",
            str(SCHEDULED_PUSH),
            [own(SCHEDULED_PUSH), SERIAL, CLOCK, (1, "0-0:0.1.0.255", 2), *energy],
        ),
        "ccc": PushSetup("ccc", str(CCC_PUSH), [own(CCC_PUSH), SERIAL, CLOCK, *instant], retries=0),
    }


class PushPort(Protocol):
    """What the push setup objects need of a meter's push keeper (serve's PushService, a fleet's)."""

    @property
    def setups(self) -> Mapping[str, PushSetup]:
        """The meter's push setups by name (those of ``default_setups``)."""
        ...

    def changed(self, setup: PushSetup) -> None:
        """Persist a written setup."""
        ...

    def trigger(self, setup: PushSetup) -> None:
        """Method 1 (push): send a notification of ``setup`` now."""
        ...


def _u(kind: DataType, value: object) -> Data:
    return Data(kind, value)


def _object_list(setup: PushSetup) -> Data:
    return Data.array(
        [
            Data.structure(
                _u(DataType.LONG_UNSIGNED, cls),
                _u(DataType.OCTET_STRING, Obis.parse(obis).to_bytes()),
                _u(DataType.INTEGER, attr),
                _u(DataType.LONG_UNSIGNED, 0),
            )
            for cls, obis, attr in setup.objects
        ]
    )


def _destination(setup: PushSetup) -> Data:
    return Data.structure(
        _u(DataType.ENUM, TRANSPORT_TCP),
        _u(DataType.OCTET_STRING, setup.destination.encode()),
        _u(DataType.ENUM, MESSAGE_AXDR_APDU),
    )


def _set_destination(setup: PushSetup) -> Callable[[Data, RequestContext], None]:
    def set_(value: Data, ctx: RequestContext) -> None:
        if value.type != DataType.STRUCTURE or len(value.items()) != 3:
            raise ConfigError(
                "send_destination_and_method", value, "structure {transport, destination, message}"
            )
        transport, destination, message = value.items()
        text = destination.as_bytes().decode("ascii", "replace")
        host, _, port = text.rpartition(":")
        if transport.as_int() != TRANSPORT_TCP or (text and (not host or not port.isdigit())):
            raise ConfigError("destination", text, "TCP (0) to 'host:port', or empty to switch off")
        setup.destination = text

    return set_


def _set_int(setup: PushSetup, name: str, high: int) -> Callable[[Data, RequestContext], None]:
    def set_(value: Data, ctx: RequestContext) -> None:
        number = value.as_int()
        if not 0 <= number <= high:
            raise ConfigError(name, number, f"0..{high}")
        setattr(setup, name, number)

    return set_


def push_setup_object(
    setup: PushSetup, changed: Callable[[PushSetup], None], push: Callable[[PushSetup], None]
) -> CosemObject:
    """Class 40 over ``setup``; ``changed`` persists a write, ``push`` sends a notification now."""

    def writes(
        setter: Callable[[Data, RequestContext], None],
    ) -> Callable[[Data, RequestContext], None]:
        def set_(value: Data, ctx: RequestContext) -> None:
            setter(value, ctx)
            changed(setup)

        return set_

    def attr(get, set_=None) -> Attribute:  # noqa: ANN001
        return Attribute(
            get, writes(set_) if set_ else None, Level.READING, Level.MANAGEMENT if set_ else None
        )

    attrs = {
        1: logical_name(Obis.parse(setup.obis)),
        2: attr(lambda ctx: _object_list(setup)),
        3: attr(lambda ctx: _destination(setup), _set_destination(setup)),
        4: attr(lambda ctx: Data.array([])),
        5: attr(
            lambda ctx: _u(DataType.LONG_UNSIGNED, setup.randomisation),
            _set_int(setup, "randomisation", 0xFFFF),
        ),
        6: attr(lambda ctx: _u(DataType.UNSIGNED, setup.retries), _set_int(setup, "retries", 0xFF)),
        7: attr(
            lambda ctx: _u(DataType.LONG_UNSIGNED, setup.repetition_delay),
            _set_int(setup, "repetition_delay", 0xFFFF),
        ),
    }
    methods = {1: Method(lambda params, ctx: push(setup))}
    return CosemObject(
        40,
        CLASS_VERSION[40],
        Obis.parse(setup.obis),
        attrs,
        methods,
        description=f"push setup ({setup.name})",
    )
