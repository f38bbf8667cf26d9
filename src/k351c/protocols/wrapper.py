"""IEC 62056-47 wrapper (DLMS/COSEM over TCP): an 8-octet header in front of each APDU."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from k351c.errors import LocalProtocolError, RemoteProtocolError

WRAPPER_VERSION = 0x0001
HEADER_LENGTH = 8
DEFAULT_MAX_APDU = 8192
_HEADER = struct.Struct(">HHHH")


class NeedData:
    """Sentinel type: no complete event yet, feed more bytes with receive_data()."""

    _instance: NeedData | None = None

    def __new__(cls) -> NeedData:
        """Return the single instance."""
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        """Name the sentinel."""
        return "NEED_DATA"


NEED_DATA = NeedData()


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The peer closed the byte stream (receive_data(b"") was called)."""


@dataclass(frozen=True, slots=True)
class WrapperFrame:
    """One wrapper PDU: source and destination wPorts (SAPs) and the APDU it carries."""

    source: int
    destination: int
    apdu: bytes

    def __post_init__(self) -> None:
        """Refuse ports or an APDU that do not fit the 16-bit header fields."""
        if not 0 <= self.source <= 0xFFFF or not 0 <= self.destination <= 0xFFFF:
            raise LocalProtocolError(f"wPort out of range: {self.source} -> {self.destination}")
        if len(self.apdu) > 0xFFFF:
            raise LocalProtocolError(
                f"APDU of {len(self.apdu)} octets does not fit a wrapper frame"
            )

    def to_bytes(self) -> bytes:
        """Header (version 1, source, destination, length) followed by the APDU."""
        return (
            _HEADER.pack(WRAPPER_VERSION, self.source, self.destination, len(self.apdu)) + self.apdu
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> WrapperFrame:
        """Decode exactly one complete wrapper frame."""
        consumed, frame = parse_wrapper(data, max_length=0xFFFF)
        if frame is None or consumed != len(data):
            raise RemoteProtocolError(f"not exactly one wrapper frame: {len(data)} octets")
        return frame

    def reply(self, apdu: bytes) -> WrapperFrame:
        """The frame answering this one: ports swapped (already checked), the APDU's length checked."""
        if len(apdu) > 0xFFFF:
            return WrapperFrame(self.destination, self.source, apdu)
        return _frame(self.destination, self.source, apdu)


def parse_wrapper(
    buf: bytes | bytearray, max_length: int = DEFAULT_MAX_APDU
) -> tuple[int, WrapperFrame | None]:
    """Take one frame from the front of buf: (octets consumed, frame) or (0, None) when incomplete.

    Raises RemoteProtocolError on a wrong version or a length above max_length, so that the
    caller can drop the connection: the stream cannot be resynchronised after either.
    """
    if len(buf) < HEADER_LENGTH:
        if len(buf) >= 2 and (buf[0] << 8 | buf[1]) != WRAPPER_VERSION:
            raise RemoteProtocolError(
                f"wrapper version 0x{buf[0]:02X}{buf[1]:02X}, expected 0x0001"
            )
        return 0, None
    version, source, destination, length = _HEADER.unpack_from(buf)
    if version != WRAPPER_VERSION:
        raise RemoteProtocolError(f"wrapper version 0x{version:04X}, expected 0x0001")
    if length > max_length:
        raise RemoteProtocolError(f"wrapper APDU length {length} exceeds the maximum {max_length}")
    end = HEADER_LENGTH + length
    if len(buf) < end:
        return 0, None
    return end, _frame(source, destination, bytes(buf[HEADER_LENGTH:end]))


def _frame(source: int, destination: int, apdu: bytes) -> WrapperFrame:
    """A WrapperFrame from fields already known to fit (16-bit header values), without re-checking."""
    frame = object.__new__(WrapperFrame)
    _set(frame, "source", source)
    _set(frame, "destination", destination)
    _set(frame, "apdu", apdu)
    return frame


_set = object.__setattr__


class WrapperConnection:
    """IEC 62056-47 wrapper framing for one TCP connection (sans-IO)."""

    def __init__(self, max_length: int = DEFAULT_MAX_APDU) -> None:
        self._buffer = bytearray()
        self._max_length = max_length
        self._closed = False
        self._close_reported = False

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the peer; b"" means the peer closed."""
        if self._closed:
            raise LocalProtocolError("receive_data() after the peer closed the connection")
        if not data:
            self._closed = True
        self._buffer += data

    @property
    def pending(self) -> int:
        """Octets of a frame begun but not complete (0 = the stream ends on a frame boundary)."""
        return len(self._buffer)

    def next_event(self) -> WrapperFrame | ConnectionClosed | NeedData:
        """Return the next complete frame, ConnectionClosed (once) after the peer closed, or NEED_DATA."""
        if not self._buffer and not self._closed:
            return NEED_DATA
        consumed, frame = parse_wrapper(self._buffer, self._max_length)
        if frame is not None:
            del self._buffer[:consumed]
            return frame
        if self._closed and not self._close_reported:
            self._close_reported = True
            return ConnectionClosed()
        return NEED_DATA

    def send(self, frame: WrapperFrame) -> bytes:
        """Bytes to put on the wire for this frame."""
        return frame.to_bytes()
