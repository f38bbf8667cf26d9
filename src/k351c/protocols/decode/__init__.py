"""Our own decoder of what passes on the meter's wires, for traces and `k351c trace decode`."""

from k351c.protocols.decode.apdu import ApduDecoder, KeySource, readable, service_name
from k351c.protocols.decode.frames import KINDS, StreamDecoder, describe_mbus, describe_optical

__all__ = [
    "KINDS",
    "ApduDecoder",
    "KeySource",
    "StreamDecoder",
    "describe_mbus",
    "describe_optical",
    "readable",
    "service_name",
]
