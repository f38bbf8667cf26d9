"""Communication objects of the logical device: association LN (15), SAP assignment (17), HDLC (23), TCP (41)."""

from __future__ import annotations

import ipaddress
from typing import Any

from k351c.axdr.types import Data, DataType
from k351c.codes.server import ServerSettings
from k351c.cosem.classes import CLASS_VERSION, logical_name
from k351c.cosem.model import (
    Attribute,
    CosemObject,
    Getter,
    Level,
    Method,
    ObjectList,
    RequestContext,
)
from k351c.errors import AccessDenied
from k351c.meter.catalog import logical_device_name
from k351c.meter.core import Meter
from k351c.obis import Obis

ASSOCIATION_LN = Obis(0, 0, 40, 0, 0)
SAP_ASSIGNMENT = Obis(0, 0, 41, 0, 0)
HDLC_SETUP = Obis(0, 0, 22, 0, 0)
TCP_UDP_SETUP = Obis(0, 0, 25, 0, 0)
SECURITY_SETUP = Obis(0, 0, 43, 0, 0)
IPV4_SETUP = Obis(0, 0, 25, 1, 0)
MAC_SETUP = Obis(0, 0, 25, 2, 0)
LN_CONTEXT_OID = bytes.fromhex("60857405080101")
LLS_OID = bytes.fromhex("60857405080201")
LOWEST_OID = bytes.fromhex("60857405080200")


def _constant(value: Data) -> Getter:
    """A getter of a value fixed when the object list is built."""
    return lambda ctx: value


def _u(kind: DataType, value: object) -> Data:
    return Data(kind, value)


def object_list_entry(obj: CosemObject, level: Level, ctx: RequestContext | None = None) -> Data:
    """One element of object_list: class, version, logical name and the access rights at ``level``."""
    ctx = ctx if ctx is not None else RequestContext(level)
    attribute_access = tuple(
        Data.structure(_u(DataType.INTEGER, attr_id), _u(DataType.ENUM, int(attr.mode(level))),
                       Data.array([_u(DataType.INTEGER, 1), _u(DataType.INTEGER, 2)]) if attr.selective
                       else Data(DataType.NULL_DATA, None))
        for attr_id, attr in sorted(obj.attributes.items())
    )
    method_access = tuple(
        Data.structure(_u(DataType.INTEGER, method_id), _u(DataType.ENUM, int(method.allowed(ctx))))
        for method_id, method in sorted(obj.methods.items())
    )
    return Data.structure(
        _u(DataType.LONG_UNSIGNED, obj.class_id), _u(DataType.UNSIGNED, obj.version),
        _u(DataType.OCTET_STRING, obj.obis.to_bytes()),
        Data.structure(Data(DataType.ARRAY, attribute_access), Data(DataType.ARRAY, method_access)),
    )


def association_ln(objects: ObjectList) -> CosemObject:
    """Class 15 "current association": what the asking client sees and may do."""

    def object_list(ctx: RequestContext) -> Data:
        return Data(DataType.ARRAY, tuple(object_list_entry(o, ctx.level, ctx) for o in objects.catalog()
                                          if o.visible_to(ctx.level)))

    def info(ctx: RequestContext, key: str, default: object) -> Any:
        return ctx.association.get(key, default)

    def xdlms(ctx: RequestContext) -> Data:
        conformance = int(info(ctx, "conformance", 0))
        return Data.structure(
            _u(DataType.BIT_STRING, format(conformance, "024b")),
            _u(DataType.LONG_UNSIGNED, int(info(ctx, "max_receive_pdu", 0xFFFF))),
            _u(DataType.LONG_UNSIGNED, int(info(ctx, "max_send_pdu", 0xFFFF))),
            _u(DataType.UNSIGNED, 6), _u(DataType.INTEGER, 0), _u(DataType.OCTET_STRING, b""),
        )

    attrs = {
        1: logical_name(ASSOCIATION_LN),
        2: Attribute(object_list, read_level=Level.PUBLIC),
        3: Attribute(lambda ctx: Data.structure(_u(DataType.INTEGER, ctx.client_sap),
                                                _u(DataType.LONG_UNSIGNED, 1)), read_level=Level.PUBLIC),
        4: Attribute(lambda ctx: _u(DataType.OCTET_STRING, bytes(info(ctx, "context_name", LN_CONTEXT_OID))),
                     read_level=Level.PUBLIC),
        5: Attribute(xdlms, read_level=Level.PUBLIC),
        6: Attribute(lambda ctx: _u(DataType.OCTET_STRING, bytes(info(ctx, "mechanism_name", LOWEST_OID))),
                     read_level=Level.PUBLIC),
        7: Attribute(None),
        8: Attribute(lambda ctx: _u(DataType.ENUM, 2), read_level=Level.PUBLIC),
        9: Attribute(lambda ctx: _u(DataType.OCTET_STRING, SECURITY_SETUP.to_bytes()), read_level=Level.PUBLIC),
    }
    methods = {1: Method(_reply_to_hls, Level.MANAGEMENT, is_hls)}
    return CosemObject(15, CLASS_VERSION[15], ASSOCIATION_LN, attrs, methods, description="current association")


def is_hls(ctx: RequestContext) -> bool:
    """Whether the association authenticated with HLS (mechanism id 2 or more)."""
    mechanism = bytes(ctx.association.get("mechanism_name", b""))
    return len(mechanism) == 7 and mechanism[:6] == LLS_OID[:6] and mechanism[6] >= 2


def _reply_to_hls(params: Data | None, ctx: RequestContext) -> None:
    """Method 1 reply_to_HLS_authentication: the secure layer answers it during HLS pass 3/4; later, refused."""
    raise AccessDenied("no HLS authentication is pending on this association")


def sap_assignment(meter: Meter) -> CosemObject:
    """Class 17: the one logical device (SAP 1) and its name, which follows the serial number."""

    def assignment(ctx: RequestContext) -> Data:
        name = logical_device_name(meter.config.serial).encode()
        return Data.array([Data.structure(_u(DataType.LONG_UNSIGNED, 1), _u(DataType.OCTET_STRING, name))])

    attrs = {1: logical_name(SAP_ASSIGNMENT), 2: Attribute(assignment, read_level=Level.PUBLIC)}
    return CosemObject(17, 0, SAP_ASSIGNMENT, attrs, description="SAP assignment")


def hdlc_setup(meter: Meter, settings: ServerSettings) -> CosemObject:
    """Class 23: the HDLC link's parameters, the values the listener runs with (one ServerSettings).

    Attribute 9 is the physical address the link answers at, computed from the current serial
    number unless the settings fix it.
    """
    values = {
        2: _u(DataType.ENUM, 5),
        3: _u(DataType.UNSIGNED, settings.hdlc_window),
        4: _u(DataType.UNSIGNED, settings.hdlc_window),
        5: _u(DataType.LONG_UNSIGNED, settings.hdlc_max_info),
        6: _u(DataType.LONG_UNSIGNED, settings.hdlc_max_info),
        7: _u(DataType.LONG_UNSIGNED, 25),
        8: _u(DataType.LONG_UNSIGNED, round(settings.hdlc_inactivity)),
    }
    attrs = {1: logical_name(HDLC_SETUP)}
    attrs.update({k: Attribute(_constant(v), read_level=Level.READING) for k, v in values.items()})

    def device_address(ctx: RequestContext) -> Data:
        return _u(DataType.LONG_UNSIGNED, settings.physical_address_for(meter.config.serial))

    attrs[9] = Attribute(device_address, read_level=Level.READING)
    return CosemObject(23, CLASS_VERSION[23], HDLC_SETUP, attrs, description="IEC HDLC setup")


def tcp_udp_setup(settings: ServerSettings) -> CosemObject:
    """Class 41: the wrapper port, MSS, simultaneous connections and inactivity time-out (as served)."""
    values = {
        2: _u(DataType.LONG_UNSIGNED, settings.dlms_port),
        3: _u(DataType.OCTET_STRING, IPV4_SETUP.to_bytes()),
        4: _u(DataType.LONG_UNSIGNED, 1460),
        5: _u(DataType.UNSIGNED, settings.max_connections),
        6: _u(DataType.LONG_UNSIGNED, round(settings.tcp_inactivity)),
    }
    attrs = {1: logical_name(TCP_UDP_SETUP)}
    attrs.update({k: Attribute(_constant(v), read_level=Level.READING) for k, v in values.items()})
    return CosemObject(41, 0, TCP_UDP_SETUP, attrs, description="TCP-UDP setup")


def ipv4_setup(settings: ServerSettings) -> CosemObject:
    """Class 42: the address the TCP-UDP setup runs on (the listener's host), static, over the MAC setup."""
    host = ipaddress.IPv4Address(_ipv4_host(settings))
    values = {
        2: _u(DataType.OCTET_STRING, MAC_SETUP.to_bytes()),
        3: _u(DataType.DOUBLE_LONG_UNSIGNED, int(host)),
        4: Data.array([]),
        5: Data.array([]),
        6: _u(DataType.DOUBLE_LONG_UNSIGNED, 0xFFFFFF00),
        7: _u(DataType.DOUBLE_LONG_UNSIGNED, 0),
        8: _u(DataType.BOOLEAN, False),
        9: _u(DataType.DOUBLE_LONG_UNSIGNED, 0),
        10: _u(DataType.DOUBLE_LONG_UNSIGNED, 0),
    }
    attrs = {1: logical_name(IPV4_SETUP)}
    attrs.update({k: Attribute(_constant(v), read_level=Level.READING) for k, v in values.items()})
    return CosemObject(42, 0, IPV4_SETUP, attrs, description="IPv4 setup")


def _ipv4_host(settings: ServerSettings) -> str:
    try:
        return str(ipaddress.IPv4Address(settings.host))
    except ValueError:
        return "0.0.0.0"


def mac_setup(meter: Meter) -> CosemObject:
    """Class 43: a locally administered MAC address derived from the serial number (the data link of IPv4)."""

    def address(ctx: RequestContext) -> Data:
        serial = int("".join(ch for ch in str(meter.config.serial) if ch.isdigit()) or "0")
        return _u(DataType.OCTET_STRING, b"\x02" + (serial % (1 << 40)).to_bytes(5, "big"))

    attrs = {1: logical_name(MAC_SETUP), 2: Attribute(address, read_level=Level.READING)}
    return CosemObject(43, 0, MAC_SETUP, attrs, description="MAC address setup")

