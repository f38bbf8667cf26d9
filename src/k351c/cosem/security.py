"""Security setup (class 64 version 0) and the invocation counter object, over a security port.

The object holds no secrets itself: a ``SecurityPort`` (the server's key and counter keeper) does the
work, so the COSEM layer stays free of cryptography and storage.
"""

from __future__ import annotations

from typing import Protocol

from k351c.axdr.types import Data, DataType
from k351c.cosem.classes import CLASS_VERSION, logical_name
from k351c.cosem.model import Attribute, CosemObject, Level, Method, RequestContext
from k351c.errors import ConfigError
from k351c.obis import Obis

SECURITY_SETUP = Obis(0, 0, 43, 0, 0)
INVOCATION_COUNTER = Obis(0, 0, 43, 1, 0)
POLICIES = (0, 1, 2, 3)
KEY_IDS = (0, 1, 2, 3)


class SecurityPort(Protocol):
    """What class 64 needs from the meter's security keeper."""

    @property
    def server_title(self) -> bytes:
        """The meter's system title."""

    def policy(self) -> int:
        """The security policy in force."""

    def activate(self, policy: int) -> None:
        """security_activate: raise the policy (never lower it)."""

    def transfer(self, key_id: int, wrapped: bytes) -> None:
        """key_transfer of one key, wrapped with the master key (RFC 3394)."""

    def client_counter(self) -> int:
        """The last client invocation counter accepted."""


def _security_activate(port: SecurityPort):
    def call(params: Data | None, ctx: RequestContext) -> None:
        if params is None or params.type not in (DataType.ENUM, DataType.UNSIGNED):
            raise ConfigError("security_policy", params, "an enum 0..3")
        policy = params.as_int()
        if policy not in POLICIES or policy < port.policy():
            raise ConfigError(
                "security_policy", policy, f"{port.policy()}..3 (a policy can only be raised)"
            )
        port.activate(policy)

    return call


def _key_transfer(port: SecurityPort):
    def call(params: Data | None, ctx: RequestContext) -> None:
        if params is None or params.type != DataType.ARRAY or not params.value:
            raise ConfigError("key_transfer", params, "an array of {key_id, key_wrapped}")
        items = []
        for item in params.items():
            if item.type != DataType.STRUCTURE or len(item.items()) != 2:
                raise ConfigError(
                    "key_transfer", item, "a structure {enum key_id, octet-string key_wrapped}"
                )
            raw_id, raw_key = item.items()
            if raw_id.as_int() not in KEY_IDS or raw_key.type != DataType.OCTET_STRING:
                raise ConfigError("key_id", raw_id.value, "0..3 with an octet-string key")
            items.append((raw_id.as_int(), raw_key.as_bytes()))
        for key_id, wrapped in items:
            port.transfer(key_id, wrapped)

    return call


def security_setup(port: SecurityPort, obis: Obis = SECURITY_SETUP) -> CosemObject:
    """Class 64: policy, suite 0, client and server system titles; security_activate and key_transfer."""

    def client_title(ctx: RequestContext) -> Data:
        return Data(DataType.OCTET_STRING, bytes(ctx.association.get("client_system_title", b"")))

    attrs = {
        1: logical_name(obis),
        2: Attribute(lambda ctx: Data(DataType.ENUM, port.policy()), read_level=Level.PUBLIC),
        3: Attribute(lambda ctx: Data(DataType.ENUM, 0), read_level=Level.PUBLIC),
        4: Attribute(client_title, read_level=Level.PUBLIC),
        5: Attribute(
            lambda ctx: Data(DataType.OCTET_STRING, port.server_title), read_level=Level.PUBLIC
        ),
    }
    methods = {1: Method(_security_activate(port)), 2: Method(_key_transfer(port))}
    return CosemObject(64, CLASS_VERSION[64], obis, attrs, methods, description="security setup")


def invocation_counter(port: SecurityPort, obis: Obis = INVOCATION_COUNTER) -> CosemObject:
    """Class 1: the last client invocation counter accepted (clients start above it)."""
    value = Attribute(
        lambda ctx: Data(DataType.DOUBLE_LONG_UNSIGNED, port.client_counter()),
        read_level=Level.PUBLIC,
    )
    return CosemObject(
        1,
        0,
        obis,
        {1: logical_name(obis), 2: value},
        description="invocation counter of the management client",
    )
