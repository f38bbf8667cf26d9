"""IEC 62056-21 messages as values, their byte codecs, the BCC and a framer shared by both sides."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import reduce
from typing import Protocol

from k351c.errors import LocalProtocolError, RemoteProtocolError

SOH, STX, ETX, EOT = 0x01, 0x02, 0x03, 0x04
ACK, NAK = 0x06, 0x15
CRLF = b"\r\n"

MODE_C_BAUD = {"0": 300, "1": 600, "2": 1200, "3": 2400, "4": 4800, "5": 9600, "6": 19200}
INITIAL_BAUD = 300
MAX_ADDRESS = 32
MAX_IDENTIFICATION = 16
MAX_SET_ADDRESS = 16
MAX_VALUE = 128
MAX_UNIT = 16
MAX_ERROR = 32


class ProtocolControl(IntEnum):
    """V, the protocol control character of the acknowledgement/option select message."""

    NORMAL = 0
    SECONDARY = 1
    HDLC = 2


class ModeControl(IntEnum):
    """Y, the mode control character of the acknowledgement/option select message."""

    DATA_READOUT = 0
    PROGRAMMING = 1
    BINARY_HDLC = 2


class Command(StrEnum):
    """C, the command message identifier of programming mode."""

    PASSWORD = "P"
    WRITE = "W"
    READ = "R"
    EXECUTE = "E"
    BREAK = "B"


def bcc(body: bytes | bytearray) -> int:
    """Block check character: XOR of the 7-bit characters after the first SOH/STX up to and including ETX."""
    return reduce(lambda acc, b: acc ^ (b & 0x7F), body, 0)


def baud_for_char(char: str) -> int:
    """Baud rate of a mode C baud rate identification character ('0'..'6')."""
    try:
        return MODE_C_BAUD[char]
    except KeyError:
        raise RemoteProtocolError(f"baud rate character {char!r} is not a mode C rate") from None


def char_for_baud(baud: int) -> str:
    """Mode C baud rate identification character of a baud rate."""
    for char, rate in MODE_C_BAUD.items():
        if rate == baud:
            return char
    raise LocalProtocolError(
        f"{baud} baud is not a mode C rate; allowed: {sorted(MODE_C_BAUD.values())}"
    )


def _printable(text: str, forbidden: str, limit: int, what: str, error: type[Exception]) -> str:
    """Check a field is printable ISO 646 without the forbidden characters and not too long."""
    if len(text) > limit or any(not (" " <= ch <= "~") or ch in forbidden for ch in text):
        raise error(f"{what} {text!r}: at most {limit} printable characters without {forbidden!r}")
    return text


def _ascii(message: str) -> bytes:
    """Encode a checked message as ASCII."""
    return message.encode("ascii")


def _with_bcc(start: int, body: str) -> bytes:
    """Frame body after SOH/STX (ending in ETX) plus its BCC."""
    raw = _ascii(body)
    return bytes((start,)) + raw + bytes((bcc(raw),))


class DataSet(Protocol):
    """What an answer carries: one data line, or several (a logger) that check themselves alike."""

    def to_text(self, error: type[Exception] = LocalProtocolError) -> str:
        """The data set(s) as text; ``error`` is raised for a value that cannot be sent."""
        ...


@dataclass(frozen=True, slots=True)
class DataLine:
    """A data set `address(value*unit)` with optional further address-less values `(v*u)`."""

    address: str
    value: str = ""
    unit: str = ""
    more: tuple[tuple[str, str], ...] = ()

    def to_text(self, error: type[Exception] = LocalProtocolError) -> str:
        """The data sets as text, checked against the standard's character rules."""
        _printable(self.address, "()/!", MAX_SET_ADDRESS, "address", error)
        parts = [self.address]
        for value, unit in ((self.value, self.unit), *self.more):
            _printable(value, "()*/!", MAX_VALUE, "value", error)
            _printable(unit, "()*/!", MAX_UNIT, "unit", error)
            parts.append(f"({value}*{unit})" if unit else f"({value})")
        return "".join(parts)


def unit_field(unit: str) -> str:
    """A unit as a data set may carry it: no ``(``, ``)``, ``/``, ``!`` (IEC 62056-21 6.5), at most 16.

    A quotient takes a negative exponent (``imp/kWh`` -> ``imp kWh-1``); other forbidden characters
    are dropped.
    """
    numerator, slash, denominator = unit.partition("/")
    text = f"{numerator} {denominator}-1" if slash and denominator else numerator
    return "".join(ch for ch in text if " " <= ch <= "~" and ch not in "()/!*")[:MAX_UNIT]


_SET = re.compile(r"([^()]*)\(([^()]*)\)")


def parse_data_sets(line: str) -> list[DataLine]:
    """Parse one text line of data sets; a set without address joins the previous one."""
    sets: list[DataLine] = []
    pos = 0
    while pos < len(line):
        match = _SET.match(line, pos)
        if match is None:
            raise RemoteProtocolError(f"not a data set at {line[pos:]!r}")
        address, inner = match.groups()
        value, _, unit = inner.partition("*")
        if not address and sets:
            last = sets[-1]
            sets[-1] = DataLine(last.address, last.value, last.unit, (*last.more, (value, unit)))
        else:
            sets.append(DataLine(address, value, unit))
        pos = match.end()
    for data_set in sets:
        data_set.to_text(RemoteProtocolError)
    return sets


def _parse_block(text: str) -> tuple[DataLine, ...]:
    """Parse CR LF separated data lines."""
    lines: list[DataLine] = []
    for line in text.split("\r\n"):
        lines.extend(parse_data_sets(line))
    return tuple(lines)


def _block_text(lines: tuple[DataLine, ...]) -> str:
    """Data lines as text, each ended with CR LF."""
    return "".join(line.to_text() + "\r\n" for line in lines)


@dataclass(frozen=True, slots=True)
class RequestMessage:
    """Sign-on `/? device address ! CR LF`; an empty address addresses any meter."""

    address: str = ""

    def to_bytes(self) -> bytes:
        """Wire form."""
        _printable(self.address, "/!?", MAX_ADDRESS, "device address", LocalProtocolError)
        return _ascii(f"/?{self.address}!\r\n")

    @classmethod
    def from_text(cls, text: str) -> RequestMessage:
        """Parse `/?...!\\r\\n`."""
        if not (text.startswith("/?") and text.endswith("!\r\n")):
            raise RemoteProtocolError(f"not a request message: {text!r}")
        address = _printable(text[2:-3], "/!?", MAX_ADDRESS, "device address", RemoteProtocolError)
        return cls(address)


@dataclass(frozen=True, slots=True)
class IdentificationMessage:
    """`/XXXZ\\W...Ident CR LF`: manufacturer, baud character, enhanced-id characters W, identification."""

    manufacturer: str
    baud_char: str
    identification: str
    enhanced: str = ""

    @property
    def mode_e(self) -> bool:
        """True when the meter offers protocol mode E (binary HDLC), escape sequence `\\2`."""
        return "2" in self.enhanced

    @property
    def min_reaction_time(self) -> float:
        """Minimum reaction time in seconds: 20 ms if the third letter is lower case, else 200 ms."""
        return 0.02 if self.manufacturer[2:3].islower() else 0.2

    def to_bytes(self) -> bytes:
        """Wire form."""
        if (
            len(self.manufacturer) != 3
            or not self.manufacturer.isascii()
            or not self.manufacturer.isalpha()
        ):
            raise LocalProtocolError(f"manufacturer {self.manufacturer!r}: three letters")
        _printable(self.baud_char, "/!\\", 1, "baud character", LocalProtocolError)
        _printable(
            self.identification, "/!", MAX_IDENTIFICATION, "identification", LocalProtocolError
        )
        if len(self.baud_char) != 1 or self.identification.startswith("\\"):
            raise LocalProtocolError(
                "baud character must be one character; identification must not start with \\"
            )
        escapes = "".join(
            f"\\{w}" for w in _printable(self.enhanced, "/!\\", 8, "enhanced", LocalProtocolError)
        )
        return _ascii(f"/{self.manufacturer}{self.baud_char}{escapes}{self.identification}\r\n")

    @classmethod
    def from_text(cls, text: str) -> IdentificationMessage:
        """Parse `/XXXZ...\\r\\n`."""
        if len(text) < 7 or text[0] != "/" or not text.endswith("\r\n") or not text[1:4].isalpha():
            raise RemoteProtocolError(f"not an identification message: {text!r}")
        pos, enhanced, body = 5, "", text[:-2]
        while body.startswith("\\", pos) and pos + 1 < len(body):
            enhanced += body[pos + 1]
            pos += 2
        ident = _printable(
            body[pos:], "/!", 2 * MAX_IDENTIFICATION, "identification", RemoteProtocolError
        )
        return cls(text[1:4], text[4], ident, enhanced)


@dataclass(frozen=True, slots=True)
class OptionSelectMessage:
    """Acknowledgement/option select `ACK V Z Y CR LF` (also the mode E switch confirmation)."""

    protocol: ProtocolControl
    baud_char: str
    mode: ModeControl

    def to_bytes(self) -> bytes:
        """Wire form."""
        if self.baud_char not in MODE_C_BAUD:
            raise LocalProtocolError(
                f"baud character {self.baud_char!r}: one of {''.join(MODE_C_BAUD)}"
            )
        return bytes((ACK,)) + _ascii(f"{int(self.protocol)}{self.baud_char}{int(self.mode)}\r\n")

    @classmethod
    def from_bytes(cls, data: bytes) -> OptionSelectMessage:
        """Parse the six bytes."""
        if len(data) != 6 or data[0] != ACK or data[4:] != CRLF:
            raise RemoteProtocolError(f"not an option select message: {data!r}")
        v, z, y = (chr(b) for b in data[1:4])
        try:
            return cls(ProtocolControl(int(v)), z, ModeControl(int(y)))
        except ValueError:
            raise RemoteProtocolError(f"unsupported option select {data!r}") from None


@dataclass(frozen=True, slots=True)
class AckMessage:
    """A lone ACK: the last message was accepted."""

    def to_bytes(self) -> bytes:
        """Wire form."""
        return bytes((ACK,))


@dataclass(frozen=True, slots=True)
class NakMessage:
    """A lone NAK: the last message was garbled (or refused); repeat it."""

    def to_bytes(self) -> bytes:
        """Wire form."""
        return bytes((NAK,))


@dataclass(frozen=True, slots=True)
class ReadoutMessage:
    """Data readout `STX data-block ! CR LF ETX BCC`."""

    lines: tuple[DataLine, ...] = ()

    def to_bytes(self) -> bytes:
        """Wire form."""
        return _with_bcc(STX, _block_text(self.lines) + "!\r\n\x03")


@dataclass(frozen=True, slots=True)
class AnswerMessage:
    """Programming mode data message `STX data-set(s) ETX BCC`, the answer to R1/R2."""

    lines: tuple[DataSet, ...]

    def to_bytes(self) -> bytes:
        """Wire form."""
        return _with_bcc(STX, "\r\n".join(line.to_text() for line in self.lines) + "\x03")


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    """Error message `STX (error text) ETX BCC`."""

    text: str

    def to_bytes(self) -> bytes:
        """Wire form."""
        _printable(self.text, "()*/!", MAX_ERROR, "error text", LocalProtocolError)
        return _with_bcc(STX, f"({self.text})\x03")


@dataclass(frozen=True, slots=True)
class CommandMessage:
    """Programming command `SOH C D STX data-set ETX BCC`, or `SOH C D ETX BCC` without data (B0)."""

    command: Command
    command_type: int
    data: DataLine | None = None

    @property
    def kind(self) -> str:
        """Command identifier and type as the standard writes them, e.g. "P1", "R1", "B0"."""
        return f"{self.command.value}{self.command_type}"

    def to_bytes(self) -> bytes:
        """Wire form."""
        if not 0 <= self.command_type <= 9:
            raise LocalProtocolError(f"command type {self.command_type}: 0..9")
        head = f"{self.command.value}{self.command_type}"
        if self.data is None:
            return _with_bcc(SOH, head + "\x03")
        return _with_bcc(SOH, f"{head}\x02{self.data.to_text()}\x03")

    @classmethod
    def from_body(cls, body: str) -> CommandMessage:
        """Parse the text between SOH and the BCC (ending in ETX)."""
        if len(body) < 3 or body[-1] != "\x03" or not body[1].isdigit():
            raise RemoteProtocolError(f"not a command message: {body!r}")
        try:
            command = Command(body[0])
        except ValueError:
            raise RemoteProtocolError(f"unknown command {body[0]!r}") from None
        if len(body) == 3:
            return cls(command, int(body[1]))
        if body[2] != "\x02":
            raise RemoteProtocolError(f"command without STX: {body!r}")
        sets = parse_data_sets(body[3:-1])
        if len(sets) != 1:
            raise RemoteProtocolError(f"a command carries one data set: {body!r}")
        return cls(command, int(body[1]), sets[0])


@dataclass(frozen=True, slots=True)
class InvalidFrame:
    """Bytes that are no valid message (bad BCC, bad syntax, too long); the receiver NAKs or ignores them."""

    data: bytes
    reason: str


Frame = (
    RequestMessage
    | IdentificationMessage
    | OptionSelectMessage
    | AckMessage
    | NakMessage
    | ReadoutMessage
    | AnswerMessage
    | ErrorMessage
    | CommandMessage
    | InvalidFrame
)

_STARTS = b"/\x01\x02\x06\x15"
_MAX_LINE = 64


def _parse_line(buf: bytes) -> tuple[int, Frame | None]:
    """A `/`-message up to LF: request or identification."""
    end = buf.find(b"\n")
    if end < 0:
        return (
            (len(buf), InvalidFrame(bytes(buf), "line too long"))
            if len(buf) > _MAX_LINE
            else (0, None)
        )
    raw = bytes(buf[: end + 1])
    try:
        text = raw.decode("ascii")
        if text.startswith("/?"):
            return len(raw), RequestMessage.from_text(text)
        return len(raw), IdentificationMessage.from_text(text)
    except (RemoteProtocolError, UnicodeDecodeError) as exc:
        return len(raw), InvalidFrame(raw, str(exc))


def _decode_block(start: int, body: str) -> Frame:
    """Decode the text after SOH/STX (ending in ETX) into its message."""
    if start == SOH:
        return CommandMessage.from_body(body)
    text = body[:-1]
    if text.endswith("!\r\n"):
        return ReadoutMessage(_parse_block(text[:-3].removesuffix("\r\n")))
    lines = _parse_block(text.removesuffix("\r\n"))
    if len(lines) == 1 and not lines[0].address and not lines[0].unit and not lines[0].more:
        return ErrorMessage(lines[0].value)
    return AnswerMessage(lines)


def _parse_block_frame(buf: bytes, max_frame: int) -> tuple[int, Frame | None]:
    """An SOH or STX message up to ETX and its BCC."""
    for i in range(1, len(buf)):
        byte = buf[i]
        if byte in (ETX, EOT):
            if i + 1 >= len(buf):
                return 0, None
            raw = bytes(buf[: i + 2])
            if byte == EOT:
                return len(raw), InvalidFrame(raw, "partial blocks are not supported")
            if bcc(raw[1 : i + 1]) != raw[i + 1] & 0x7F:
                return len(raw), InvalidFrame(raw, "BCC")
            try:
                return len(raw), _decode_block(buf[0], raw[1 : i + 1].decode("ascii"))
            except (RemoteProtocolError, UnicodeDecodeError) as exc:
                return len(raw), InvalidFrame(raw, str(exc))
        stx_allowed = buf[0] == SOH and i == 3 and byte == STX
        if (byte in (SOH, STX) and not stx_allowed) or byte == ord("/"):
            return i, InvalidFrame(bytes(buf[:i]), "message cut short")
    if len(buf) > max_frame:
        return len(buf), InvalidFrame(bytes(buf), "message too long")
    return 0, None


def parse_frame(
    buf: bytes | bytearray, *, option_select: bool = False, max_frame: int = 512
) -> tuple[int, Frame | None]:
    """Parse one message from 7-bit bytes: (consumed, frame); (0, None) needs data; (n, None) skips noise.

    With option_select an ACK starts `ACK V Z Y CR LF`; otherwise it is a lone acknowledgement.
    """
    if not buf:
        return 0, None
    first = buf[0]
    if first not in _STARTS:
        skip = next((i for i, b in enumerate(buf) if b in _STARTS), len(buf))
        return skip, None
    if first == ord("/"):
        return _parse_line(bytes(buf))
    if first == NAK:
        return 1, NakMessage()
    if first == ACK and not option_select:
        return 1, AckMessage()
    if first == ACK:
        if any(not chr(b).isdigit() for b in buf[1:4]):
            return 1, InvalidFrame(bytes(buf[:1]), "not an option select message")
        if len(buf) < 6:
            return 0, None
        try:
            return 6, OptionSelectMessage.from_bytes(bytes(buf[:6]))
        except RemoteProtocolError as exc:
            return 1, InvalidFrame(bytes(buf[:1]), str(exc))
    return _parse_block_frame(bytes(buf), max_frame)
