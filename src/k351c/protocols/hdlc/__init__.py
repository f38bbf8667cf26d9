"""DLMS/COSEM over HDLC (IEC 62056-46): frame codec, parameter negotiation and link state machines."""

from k351c.codes.server import default_physical_address  # the one addressing rule (codes layer)
from k351c.protocols.hdlc.client import HdlcClientConnection
from k351c.protocols.hdlc.connection import (
    INACTIVITY_TIMEOUT,
    ApduReceived,
    Connected,
    Disconnected,
    HdlcServerConnection,
    LinkState,
)
from k351c.protocols.hdlc.fcs import fcs16, fcs16_bytes, fcs16_ok
from k351c.protocols.hdlc.frame import (
    Address,
    Command,
    Control,
    FrameDropped,
    HdlcFrame,
    UndefinedFrame,
    client_address_byte,
    parse_frame,
    server_address,
)
from k351c.protocols.hdlc.params import HdlcParameters, ParameterId, negotiate
from k351c.protocols.wrapper import NEED_DATA, ConnectionClosed, NeedData

__all__ = [
    "INACTIVITY_TIMEOUT",
    "NEED_DATA",
    "Address",
    "ApduReceived",
    "Command",
    "Connected",
    "ConnectionClosed",
    "Control",
    "Disconnected",
    "FrameDropped",
    "HdlcClientConnection",
    "HdlcFrame",
    "HdlcParameters",
    "HdlcServerConnection",
    "LinkState",
    "NeedData",
    "ParameterId",
    "UndefinedFrame",
    "client_address_byte",
    "default_physical_address",
    "fcs16",
    "fcs16_bytes",
    "fcs16_ok",
    "negotiate",
    "parse_frame",
    "server_address",
]
