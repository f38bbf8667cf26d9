"""HDLC frame format type 3 (IEC 62056-46): addresses, control field, frame codec and framer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.hdlc.fcs import fcs16_bytes, fcs16_ok

FLAG = 0x7E
FORMAT_TYPE_3 = 0xA0
SEGMENTATION_BIT = 0x08
MAX_FRAME_LENGTH = 0x7FF
LLC_COMMAND = b"\xe6\xe6\x00"
LLC_RESPONSE = b"\xe6\xe7\x00"

ALL_STATION_1 = 0x7F
ALL_STATION_2 = 0x3FFF
NO_STATION = 0x00
CALLING_PHYSICAL_1 = 0x7E
CALLING_PHYSICAL_2 = 0x3FFE


class Command(IntEnum):
    """Control field frame types of IEC 62056-46 (ISO/IEC 13239 names), with P/F and sequence bits cleared."""

    I = 0x00  # noqa: E741 - the standard's name
    RR = 0x01
    RNR = 0x05
    SNRM = 0x83
    DISC = 0x43
    UA = 0x63
    DM = 0x0F
    FRMR = 0x87
    UI = 0x03


_UNNUMBERED = {
    c.value: c
    for c in (Command.SNRM, Command.DISC, Command.UA, Command.DM, Command.FRMR, Command.UI)
}
_SUPERVISORY = {Command.RR.value: Command.RR, Command.RNR.value: Command.RNR}


@dataclass(frozen=True, slots=True)
class Control:
    """A decoded control field: frame type, poll/final bit and the modulo-8 sequence numbers."""

    command: Command
    pf: bool = True
    ns: int = 0
    nr: int = 0

    def to_byte(self) -> int:
        """The control octet."""
        pf = 0x10 if self.pf else 0
        if self.command is Command.I:
            return ((self.nr & 7) << 5) | pf | ((self.ns & 7) << 1)
        if self.command in (Command.RR, Command.RNR):
            return ((self.nr & 7) << 5) | pf | self.command
        return self.command | pf

    @classmethod
    def from_byte(cls, byte: int) -> Control | None:
        """Decode a control octet; None for a value the DLMS profile does not define."""
        pf = bool(byte & 0x10)
        if not byte & 1:
            return cls(Command.I, pf, (byte >> 1) & 7, byte >> 5)
        if byte & 0x0F in _SUPERVISORY:
            return cls(_SUPERVISORY[byte & 0x0F], pf, 0, byte >> 5)
        command = _UNNUMBERED.get(byte & 0xEF)
        return cls(command, pf) if command is not None else None


@dataclass(frozen=True, slots=True)
class Address:
    """An HDLC address: upper (client SAP or server logical device) and optional lower (physical) part.

    size is the encoded length in octets: 1 (upper only), 2 (7 bits each), 4 (14 bits each) or 3
    (7-bit upper, 14-bit lower: what dlms-cosem 21.3 sends for a physical address >= 128).
    """

    upper: int
    lower: int | None = None
    size: int = 1

    def __post_init__(self) -> None:
        """Refuse an address that cannot be encoded in its size."""
        upper_limit = 0x3FFF if self.size == 4 else 0x7F
        lower_limit = 0x3FFF if self.size in (3, 4) else 0x7F
        if self.size not in (1, 2, 3, 4):
            raise LocalProtocolError(f"HDLC address size must be 1, 2, 3 or 4, not {self.size}")
        if (self.lower is None) != (self.size == 1):
            raise LocalProtocolError(
                "an HDLC address has a lower part exactly when its size is 2, 3 or 4"
            )
        if not 0 <= self.upper <= upper_limit or not 0 <= (self.lower or 0) <= lower_limit:
            raise LocalProtocolError(
                f"HDLC address {self.upper}/{self.lower} does not fit in {self.size} octets"
            )

    def to_bytes(self) -> bytes:
        """The address field with extension bits (0 on all but the last octet)."""
        if self.size == 1:
            return bytes([(self.upper << 1) | 1])
        if self.size == 2:
            return bytes([self.upper << 1, ((self.lower or 0) << 1) | 1])
        lower = self.lower or 0
        if self.size == 3:
            return bytes([self.upper << 1, (lower >> 7) << 1, ((lower & 0x7F) << 1) | 1])
        return bytes(
            [
                (self.upper >> 7) << 1,
                (self.upper & 0x7F) << 1,
                (lower >> 7) << 1,
                ((lower & 0x7F) << 1) | 1,
            ]
        )

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Address:
        """Decode a complete address field of 1, 2, 3 or 4 octets."""
        values = [b >> 1 for b in data]
        if len(values) == 1:
            return cls(values[0])
        if len(values) == 2:
            return cls(values[0], values[1], 2)
        if len(values) == 3:
            return cls(values[0], (values[1] << 7) | values[2], 3)
        if len(values) == 4:
            return cls((values[0] << 7) | values[1], (values[2] << 7) | values[3], 4)
        raise RemoteProtocolError(f"HDLC address field of {len(values)} octets")

    @property
    def is_all_station_lower(self) -> bool:
        """True when the physical part is the all-station (broadcast) address."""
        return self.lower == (ALL_STATION_2 if self.size in (3, 4) else ALL_STATION_1)

    @property
    def is_all_station_upper(self) -> bool:
        """True when the logical part is the all-station (broadcast) address."""
        return self.upper == (ALL_STATION_2 if self.size == 4 else ALL_STATION_1)


def client_address_byte(sap: int) -> int:
    """The one-octet HDLC address of a client SAP: (SAP << 1) | 1."""
    if not 0 <= sap <= 0x7F:
        raise LocalProtocolError(f"client SAP {sap} does not fit in 7 bits")
    return (sap << 1) | 1


def server_address(logical: int, physical: int | None = None, size: int = 4) -> Address:
    """The server address for a logical device and physical address, encoded in size octets."""
    return (
        Address(logical)
        if size == 1
        else Address(logical, physical if physical is not None else 0, size)
    )


@dataclass(frozen=True, slots=True)
class HdlcFrame:
    """One HDLC frame of format type 3; info is the information field (LLC header included)."""

    destination: Address
    source: Address
    control: Control
    info: bytes = b""
    segmented: bool = False

    def to_bytes(self) -> bytes:
        """The frame with opening and closing flag, HCS (if info present) and FCS."""
        addresses = (
            self.destination.to_bytes() + self.source.to_bytes() + bytes([self.control.to_byte()])
        )
        length = 2 + len(addresses) + 2 + (len(self.info) + 2 if self.info else 0)
        if length > MAX_FRAME_LENGTH:
            raise LocalProtocolError(f"HDLC frame of {length} octets exceeds {MAX_FRAME_LENGTH}")
        fmt = FORMAT_TYPE_3 | (SEGMENTATION_BIT if self.segmented else 0) | (length >> 8)
        header = bytes([fmt, length & 0xFF]) + addresses
        if self.info:
            header += fcs16_bytes(header)
            body = header + self.info
        else:
            body = header
        return b"\x7e" + body + fcs16_bytes(body) + b"\x7e"

    @classmethod
    def from_bytes(cls, data: bytes) -> HdlcFrame:
        """Decode exactly one frame with its flags; raise RemoteProtocolError otherwise."""
        consumed, result = parse_frame(data)
        if not isinstance(result, HdlcFrame) or consumed != len(data) - 1:
            reason = result.reason if isinstance(result, FrameDropped) else "not exactly one frame"
            raise RemoteProtocolError(f"bad HDLC frame: {reason}")
        return result


@dataclass(frozen=True, slots=True)
class FrameDropped:
    """A frame was discarded (bad HCS/FCS, bad format, not acceptable); for logging only."""

    reason: str
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class UndefinedFrame:
    """A frame with correct checks but a control field the DLMS profile does not define (answered by FRMR)."""

    destination: Address
    source: Address
    control: int
    info: bytes = b""


Parsed = HdlcFrame | UndefinedFrame | FrameDropped


def _address_length(buf: bytearray | bytes, start: int) -> int | None:
    """Length of the address field at start; None if more octets are needed.

    An invalid field (no end within 4 octets) gives minus the number of octets examined.
    """
    for n in range(4):
        if start + n >= len(buf):
            return None
        if buf[start + n] & 1:
            return n + 1
    return -4


def _parse_at(buf: bytearray | bytes, s: int, length: int) -> tuple[int, Parsed | None]:
    """Decode the frame whose opening flag is buf[s]; consumed counts from that flag."""
    dest_len = _address_length(buf, s + 3)
    if dest_len is None:
        return 0, None
    src_len = _address_length(buf, s + 3 + dest_len) if dest_len > 0 else 0
    if src_len is None:
        return 0, None
    if dest_len < 0 or src_len < 0:
        examined = 3 + (-dest_len if dest_len < 0 else dest_len - src_len)
        return 1, FrameDropped("bad address field", bytes(buf[s : s + examined]))
    header_end = 3 + dest_len + src_len + 1
    has_info = length > header_end + 1
    if has_info:
        if len(buf) < s + header_end + 2:
            return 0, None
        if length < header_end + 3 or not fcs16_ok(buf[s + 1 : s + header_end + 2]):
            return 1, FrameDropped("bad HCS", bytes(buf[s : s + header_end + 2]))
    elif length != header_end + 1:
        return 1, FrameDropped("bad frame length", bytes(buf[s : s + header_end]))
    if len(buf) < s + length + 2:
        return 0, None
    raw = bytes(buf[s : s + length + 2])
    if raw[-1] != FLAG:
        return 1, FrameDropped("missing closing flag", raw)
    if not fcs16_ok(raw[1:-1]):
        return (length + 1 if has_info else 1), FrameDropped("bad FCS", raw)
    destination = Address.from_bytes(raw[3 : 3 + dest_len])
    source = Address.from_bytes(raw[3 + dest_len : 3 + dest_len + src_len])
    info = raw[header_end + 2 : -3] if has_info else b""
    control = Control.from_byte(raw[header_end - 1])
    if control is None:
        return length + 1, UndefinedFrame(destination, source, raw[header_end - 1], info)
    return length + 1, HdlcFrame(
        destination, source, control, info, bool(raw[1] & SEGMENTATION_BIT)
    )


def parse_frame(buf: bytearray | bytes) -> tuple[int, Parsed | None]:
    """Scan buf for the next frame: (octets consumed, a frame, a dropped-frame report, or None for more data).

    Garbage before an opening flag is skipped; the closing flag is left in the buffer because
    back-to-back frames may share it. Never raises on any input.
    """
    start = buf.find(b"\x7e")
    if start < 0:
        return len(buf), None
    while True:
        if len(buf) < start + 3:
            return start, None
        if buf[start + 1] & 0xF0 != FORMAT_TYPE_3:
            nxt = buf.find(b"\x7e", start + 1)
            if nxt < 0:
                return len(buf), None
            start = nxt
            continue
        length = ((buf[start + 1] & 0x07) << 8) | buf[start + 2]
        if length < 7:
            return start + 1, FrameDropped("bad frame length", bytes(buf[start : start + 3]))
        used, result = _parse_at(buf, start, length)
        return start + used, result
