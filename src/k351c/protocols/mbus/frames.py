"""EN 13757-2 link layer: single character, short, control and long frames, and a byte framer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from k351c.errors import LocalProtocolError

ACK = 0xE5
START_SHORT = 0x10
START_LONG = 0x68
STOP = 0x16
MAX_USER_DATA = 252
MAX_PRIMARY_ADDRESS = 250

FCB = 0x20
FCV = 0x10
ACD = 0x20
DFC = 0x10
PRM = 0x40


class Function(IntEnum):
    """C-field values with the FCB/FCV (ACD/DFC) bits cleared, EN 13757-2 table 3."""

    SND_NKE = 0x40
    SND_UD = 0x43
    REQ_UD2 = 0x4B
    REQ_UD1 = 0x4A
    RSP_UD = 0x08


class Control(IntEnum):
    """The C-field bytes as masters commonly send them (FCV set where the standard says)."""

    SND_NKE = 0x40
    SND_UD = 0x53
    SND_UD_FCB = 0x73
    REQ_UD2 = 0x5B
    REQ_UD2_FCB = 0x7B
    REQ_UD1 = 0x5A
    REQ_UD1_FCB = 0x7A
    RSP_UD = 0x08


class Address(IntEnum):
    """Special A-field values."""

    UNCONFIGURED = 0
    NETWORK_LAYER = 253
    BROADCAST_REPLY = 254
    BROADCAST_NO_REPLY = 255


class CI(IntEnum):
    """CI-field values used on wired M-Bus (EN 13757-3 table 2)."""

    APPLICATION_RESET = 0x50
    DATA_SEND = 0x51
    SELECTION = 0x52
    SYNCHRONIZE_ACTION = 0x54
    DATA_SEND_MSB = 0x55
    SELECTION_MSB = 0x56
    RSP_VARIABLE = 0x72
    RSP_FIXED = 0x73
    RSP_VARIABLE_MSB = 0x76
    RSP_FIXED_MSB = 0x77
    SET_BAUD_300 = 0xB8
    SET_BAUD_600 = 0xB9
    SET_BAUD_1200 = 0xBA
    SET_BAUD_2400 = 0xBB
    SET_BAUD_4800 = 0xBC
    SET_BAUD_9600 = 0xBD
    SET_BAUD_19200 = 0xBE
    SET_BAUD_38400 = 0xBF


def checksum(data: bytes) -> int:
    """Arithmetic sum modulo 256, the M-Bus frame check sequence."""
    return sum(data) & 0xFF


def _check_byte(name: str, value: int) -> None:
    if not 0 <= value <= 0xFF:
        raise LocalProtocolError(f"{name} must be one byte, got {value}")


class _ControlBits:
    """Accessors for the bits of a C-field shared by short, control and long frames."""

    __slots__ = ()
    control: int

    @property
    def function(self) -> int:
        """The C-field with FCB/FCV cleared; compare with Function."""
        return self.control & ~(FCB | FCV) & 0xFF

    @property
    def fcb(self) -> bool:
        """Frame count bit (master to slave) or ACD (slave to master)."""
        return bool(self.control & FCB)

    @property
    def fcv(self) -> bool:
        """Frame count bit valid (master to slave) or DFC (slave to master)."""
        return bool(self.control & FCV)

    @property
    def from_master(self) -> bool:
        """True when the PRM bit says the frame goes master to slave."""
        return bool(self.control & PRM)


@dataclass(frozen=True, slots=True)
class SingleCharacter:
    """The single character E5h acknowledging a frame."""

    def to_bytes(self) -> bytes:
        """The one byte E5h."""
        return bytes([ACK])


@dataclass(frozen=True, slots=True)
class ShortFrame(_ControlBits):
    """10h C A CS 16h: SND_NKE, REQ_UD1, REQ_UD2."""

    control: int
    address: int

    def to_bytes(self) -> bytes:
        """Bytes on the wire."""
        _check_byte("control", self.control)
        _check_byte("address", self.address)
        return bytes(
            [
                START_SHORT,
                self.control,
                self.address,
                checksum(bytes([self.control, self.address])),
                STOP,
            ]
        )


@dataclass(frozen=True, slots=True)
class ControlFrame(_ControlBits):
    """68h 03h 03h 68h C A CI CS 16h: a long frame without user data."""

    control: int
    address: int
    ci: int

    def to_bytes(self) -> bytes:
        """Bytes on the wire."""
        return _long_bytes(self.control, self.address, self.ci, b"")


@dataclass(frozen=True, slots=True)
class LongFrame(_ControlBits):
    """68h L L 68h C A CI data CS 16h."""

    control: int
    address: int
    ci: int
    data: bytes

    def to_bytes(self) -> bytes:
        """Bytes on the wire."""
        if not self.data:
            raise LocalProtocolError("a long frame needs user data; use ControlFrame")
        return _long_bytes(self.control, self.address, self.ci, self.data)


Frame = SingleCharacter | ShortFrame | ControlFrame | LongFrame
Addressed = ShortFrame | ControlFrame | LongFrame  # a frame with an A-field


def _long_bytes(control: int, address: int, ci: int, data: bytes) -> bytes:
    for name, value in (("control", control), ("address", address), ("ci", ci)):
        _check_byte(name, value)
    if len(data) > MAX_USER_DATA:
        raise LocalProtocolError(f"user data of {len(data)} bytes exceeds {MAX_USER_DATA}")
    body = bytes([control, address, ci]) + bytes(data)
    length = len(body)
    return bytes([START_LONG, length, length, START_LONG]) + body + bytes([checksum(body), STOP])


def parse_frame(buffer: bytes | bytearray) -> tuple[int, Frame | None]:
    """Parse one frame at the start of buffer.

    Returns (consumed, frame). (0, None) means more bytes are needed; (n, None) with n > 0
    means n bytes were garbage (bad start, checksum, length or stop) and must be dropped.
    """
    if not buffer:
        return 0, None
    start = buffer[0]
    if start == ACK:
        return 1, SingleCharacter()
    if start == START_SHORT:
        return _parse_short(buffer)
    if start == START_LONG:
        return _parse_long(buffer)
    return 1, None


def _parse_short(buffer: bytes | bytearray) -> tuple[int, Frame | None]:
    if len(buffer) < 5:
        return 0, None
    control, address, cs, stop = buffer[1], buffer[2], buffer[3], buffer[4]
    if stop != STOP or cs != checksum(bytes([control, address])):
        return 1, None
    return 5, ShortFrame(control, address)


def _parse_long(buffer: bytes | bytearray) -> tuple[int, Frame | None]:
    if len(buffer) < 4:
        return 0, None
    length = buffer[1]
    if buffer[2] != length or buffer[3] != START_LONG or length < 3:
        return 1, None
    total = length + 6
    if len(buffer) < total:
        return 0, None
    body = bytes(buffer[4 : 4 + length])
    if buffer[total - 2] != checksum(body) or buffer[total - 1] != STOP:
        return total, None
    control, address, ci = body[0], body[1], body[2]
    if length == 3:
        return total, ControlFrame(control, address, ci)
    return total, LongFrame(control, address, ci, body[3:])


class NeedData:
    """Sentinel type: the framer needs more bytes."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = NeedData()


class Framer:
    """Sans-IO M-Bus framer for one byte stream: bytes in, frames out, garbage dropped."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.discarded = 0

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the line."""
        self._buffer += data

    def next_event(self) -> Frame | NeedData:
        """Return the next complete valid frame, or NEED_DATA."""
        while True:
            consumed, frame = parse_frame(self._buffer)
            if consumed == 0:
                return NEED_DATA
            del self._buffer[:consumed]
            if frame is not None:
                return frame
            self.discarded += consumed

    def send(self, frame: Frame) -> bytes:
        """Bytes to put on the line for this frame."""
        return frame.to_bytes()

    def clear(self) -> None:
        """Drop buffered bytes (a line idle time or a reset)."""
        self._buffer.clear()
