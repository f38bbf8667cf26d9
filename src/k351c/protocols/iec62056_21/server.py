"""Meter side of IEC 62056-21 protocol mode C (with mode E handoff and programming mode), sans-IO."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Protocol

from k351c.errors import AccessDenied, ConfigError, LocalProtocolError
from k351c.protocols.iec62056_21.messages import (
    INITIAL_BAUD,
    MAX_ERROR,
    MODE_C_BAUD,
    AckMessage,
    AnswerMessage,
    Command,
    CommandMessage,
    DataLine,
    DataSet,
    ErrorMessage,
    Frame,
    IdentificationMessage,
    InvalidFrame,
    ModeControl,
    NakMessage,
    OptionSelectMessage,
    ReadoutMessage,
    RequestMessage,
    char_for_baud,
    parse_frame,
)
from k351c.protocols.iec62056_21.sevenbit import strip_parity

log = logging.getLogger("k351c.optical")


class State(Enum):
    """Where the meter is in the IEC 62056-21 dialogue."""

    IDLE = "idle"
    OPTION_SELECT = "option select"
    PASSWORD = "password"
    PROGRAMMING = "programming"
    HDLC = "hdlc"


class ErrorText(StrEnum):
    """Error message texts the meter answers with (manufacturer specific, at most 32 characters)."""

    LOCKED = "ERROR: LOCKED"
    NO_ACCESS = "ERROR: NO ACCESS"
    ACCESS_DENIED = "ERROR: ACCESS DENIED"
    BAD_VALUE = "ERROR: BAD VALUE"
    UNKNOWN_ADDRESS = "ERROR: UNKNOWN ADDRESS"
    UNSUPPORTED = "ERROR: UNSUPPORTED"


@dataclass(frozen=True, slots=True)
class Send:
    """Bytes to write to the line (7-bit characters; add parity for a real 7E1 line)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class BaudRateChange:
    """Switch the line to this baud rate after the bytes sent before this event have left."""

    baud: int


@dataclass(frozen=True, slots=True)
class SwitchToHdlc:
    """Mode E: hand the byte stream (8N1) to the HDLC layer, starting with these already received bytes."""

    data: bytes = b""


@dataclass(frozen=True, slots=True)
class Idle:
    """The dialogue ended; the meter waits for a sign-on at the initial 300 baud."""


class NeedData(Enum):
    """Nothing more to do until more bytes arrive or time passes."""

    NEED_DATA = "NEED_DATA"


NEED_DATA = NeedData.NEED_DATA
Event = Send | BaudRateChange | SwitchToHdlc | Idle


@dataclass(frozen=True, slots=True)
class Timing:
    """Time limits in seconds (IEC 62056-21 defaults)."""

    option_select: float = 1.5
    inter_character: float = 1.5
    inactivity: float = 120.0


class OpticalBackend(Protocol):
    """What the meter offers the optical port; implemented by the meter adapter."""

    def identification(self) -> str:
        """Identification text of the identification message (at most 16 characters)."""

    def device_address(self) -> str:
        """Device address (the serial number) a sign-on may name."""

    def readout(self) -> list[DataLine]:
        """Data lines of the data readout."""

    def is_locked(self) -> bool:
        """True while wrong passwords have locked programming mode."""

    def check_password(self, level: int, password: str) -> bool:
        """Check a P<level> password; wrong ones count toward the lockout."""

    def read(self, address: str, params: str) -> DataSet | ErrorMessage:
        """Value of an address; may raise AccessDenied, ConfigError or LookupError."""

    def write(self, address: str, value: str) -> None:
        """Write a value; raises AccessDenied (legal data), ConfigError (bad value) or LookupError."""


Handler = Callable[["Iec62056Server", Frame], State]


class Iec62056Server:
    """One optical-port dialogue: feed bytes and time, collect events (Send, BaudRateChange, ...)."""

    def __init__(
        self,
        backend: OpticalBackend,
        *,
        manufacturer: str = "KAM",
        max_baud: int = 19200,
        mode_e: bool = True,
        timing: Timing = Timing(),
    ) -> None:
        self._backend = backend
        self._ident = IdentificationMessage(
            manufacturer, char_for_baud(max_baud), "", "2" if mode_e else ""
        )
        self._ident.to_bytes()
        self._max_baud = max_baud
        self._mode_e = mode_e
        self._timing = timing
        self._state = State.IDLE
        self._baud = INITIAL_BAUD
        self._raw = bytearray()
        self._buf = bytearray()
        self._events: deque[Event] = deque()
        self._last_sent = b""
        self._since: float | None = None
        self._rx_at: float | None = None
        self._now: float | None = None

    @property
    def state(self) -> State:
        """Current dialogue state."""
        return self._state

    @property
    def baud(self) -> int:
        """Baud rate the line should run at now (after the queued events are applied)."""
        return self._baud

    def receive_data(self, data: bytes, now: float | None = None) -> None:
        """Take bytes from the line (7E1 or 8N1 alike); `now` stamps them for the timeouts."""
        if self._state is State.HDLC:
            raise LocalProtocolError(
                "the line belongs to HDLC now; call reset() when it hands back"
            )
        self._now = now
        self._rx_at = now
        self._raw += data
        self._buf += strip_parity(data)
        self._process()

    def next_event(self) -> Event | NeedData:
        """Next event to act on, or NEED_DATA."""
        return self._events.popleft() if self._events else NEED_DATA

    def data_to_send(self) -> bytes:
        """Bytes of the queued Send events up to the next control event (which stays queued)."""
        out = bytearray()
        while self._events and isinstance(event := self._events[0], Send):
            self._events.popleft()
            out += event.data
        return bytes(out)

    def check_timeout(self, now: float) -> None:
        """Apply the time limits at time `now` (seconds, any epoch, monotonic)."""
        self._now = now
        if self._buf:
            if self._rx_at is None:
                self._rx_at = now
            elif now - self._rx_at >= self._timing.inter_character:
                self._raw.clear()
                self._buf.clear()
        limit = _LIMITS.get(self._state)
        if limit is None:
            return
        if self._since is None:
            self._since = now
        elif now - self._since >= getattr(self._timing, limit):
            if self._state is State.OPTION_SELECT:
                self._send(ReadoutMessage(tuple(self._backend.readout())).to_bytes())
            self._enter(self._to_idle())

    def reset(self) -> None:
        """Back to idle at 300 baud without events, e.g. when the HDLC layer hands the line back."""
        self._state = State.IDLE
        self._baud = INITIAL_BAUD
        self._raw.clear()
        self._buf.clear()
        self._since = None

    def _process(self) -> None:
        """Parse and handle every complete message in the buffer."""
        while self._buf and self._state is not State.HDLC:
            option = self._state is State.OPTION_SELECT
            consumed, frame = parse_frame(self._buf, option_select=option)
            if consumed == 0:
                return
            del self._buf[:consumed]
            del self._raw[:consumed]
            if frame is not None:
                self._handle(frame)

    def _handle(self, frame: Frame) -> None:
        """Look the (state, message kind) up in the table and run its handler."""
        key = (self._state, _kind(frame))
        handler = TRANSITIONS.get(key, _DEFAULTS[self._state])
        state = handler(self, frame)
        if handler is not Iec62056Server._ignore:
            self._enter(state)

    def _enter(self, state: State) -> None:
        """Move to a state and restart its timer."""
        self._state = state
        self._since = self._now if state is not State.IDLE else None

    def _send(self, data: bytes) -> None:
        """Queue bytes and remember them for a repeat request."""
        self._last_sent = data
        self._events.append(Send(data))

    def _set_baud(self, baud: int) -> None:
        """Queue a baud rate change if the rate differs."""
        if baud != self._baud:
            self._baud = baud
            self._events.append(BaudRateChange(baud))

    def _to_idle(self) -> State:
        """Queue the return to the initial baud rate and Idle."""
        self._set_baud(INITIAL_BAUD)
        self._events.append(Idle())
        return State.IDLE

    def _addressed(self, address: str) -> bool:
        """True if a sign-on address names this meter (empty names any; leading zeros do not count)."""
        own = self._backend.device_address()
        return not address or address == own or address.lstrip("0") == own.lstrip("0")

    def _sign_on(self, frame: Frame) -> State:
        """Answer a sign-on addressed to us with the identification message at 300 baud."""
        assert isinstance(frame, RequestMessage)
        if not self._addressed(frame.address):
            return self._to_idle() if self._state is not State.IDLE else State.IDLE
        self._set_baud(INITIAL_BAUD)
        ident = IdentificationMessage(
            self._ident.manufacturer,
            self._ident.baud_char,
            self._backend.identification(),
            self._ident.enhanced,
        )
        self._send(ident.to_bytes())
        return State.OPTION_SELECT

    def _option_select(self, frame: Frame) -> State:
        """Switch speed and start data readout, programming mode or the mode E handoff."""
        assert isinstance(frame, OptionSelectMessage)
        baud = MODE_C_BAUD.get(frame.baud_char, self._max_baud + 1)
        hdlc = frame.mode is ModeControl.BINARY_HDLC
        if baud > self._max_baud or (hdlc and not self._mode_e):
            return State.OPTION_SELECT
        self._set_baud(baud)
        if hdlc:
            self._send(frame.to_bytes())
            self._events.append(SwitchToHdlc(bytes(self._raw)))
            self._raw.clear()
            self._buf.clear()
            return State.HDLC
        if frame.mode is ModeControl.PROGRAMMING:
            operand = DataLine("", self._backend.device_address())
            self._send(CommandMessage(Command.PASSWORD, 0, operand).to_bytes())
            return State.PASSWORD
        self._send(ReadoutMessage(tuple(_printable_lines(self._backend.readout()))).to_bytes())
        return self._to_idle()

    def _password(self, frame: Frame) -> State:
        """P1/P2: ACK a right password, NAK a wrong one, refuse while locked."""
        assert isinstance(frame, CommandMessage)
        if self._backend.is_locked():
            self._send(ErrorMessage(ErrorText.LOCKED).to_bytes())
            return State.PASSWORD
        password = frame.data.value if frame.data else ""
        if self._backend.check_password(frame.command_type, password):
            self._send(AckMessage().to_bytes())
            return State.PROGRAMMING
        self._send(NakMessage().to_bytes())
        return State.PASSWORD

    def _read(self, frame: Frame) -> State:
        """R1/R2: answer the value or an error message."""
        assert isinstance(frame, CommandMessage)
        if frame.data is None or not frame.data.address:
            return self._refuse(ErrorText.UNKNOWN_ADDRESS)
        try:
            result = self._backend.read(frame.data.address, frame.data.value)
        except (AccessDenied, ConfigError, LookupError) as exc:
            return self._refuse(_error_text(exc))
        reply = result if isinstance(result, ErrorMessage) else AnswerMessage((result,))
        try:
            self._send(reply.to_bytes())
        except LocalProtocolError as exc:
            log.warning("R: the answer for %s cannot be sent: %s", frame.data.address, exc)
            return self._refuse(ErrorText.UNSUPPORTED)
        return State.PROGRAMMING

    def _write(self, frame: Frame) -> State:
        """W1/W2: ACK a write, or answer the error message."""
        assert isinstance(frame, CommandMessage)
        if frame.data is None or not frame.data.address:
            return self._refuse(ErrorText.UNKNOWN_ADDRESS)
        try:
            self._backend.write(frame.data.address, frame.data.value)
        except (AccessDenied, ConfigError, LookupError) as exc:
            return self._refuse(_error_text(exc))
        self._send(AckMessage().to_bytes())
        return State.PROGRAMMING

    def _refuse(self, text: str) -> State:
        """Answer an error message and stay."""
        self._send(ErrorMessage(text).to_bytes())
        return self._state

    def _no_access(self, frame: Frame) -> State:
        """A read or write before the password was accepted."""
        return self._refuse(ErrorText.NO_ACCESS)

    def _unsupported(self, frame: Frame) -> State:
        """A command this meter does not offer."""
        return self._refuse(ErrorText.UNSUPPORTED)

    def _break(self, frame: Frame) -> State:
        """B0: end the dialogue without an answer."""
        return self._to_idle()

    def _repeat(self, frame: Frame) -> State:
        """NAK from the client: send the last message again."""
        if self._last_sent:
            self._events.append(Send(self._last_sent))
        return self._state

    def _nak(self, frame: Frame) -> State:
        """A garbled message (bad BCC, bad syntax): ask for a repeat."""
        self._events.append(Send(NakMessage().to_bytes()))
        return self._state

    def _ignore(self, frame: Frame) -> State:
        """A message that has no meaning here."""
        return self._state


def _printable_lines(lines: list[DataLine]) -> list[DataLine]:
    """The readout's data lines that the standard's character rules allow; the others logged, left out."""
    kept = []
    for line in lines:
        try:
            line.to_text()
        except LocalProtocolError as exc:
            log.warning("readout: data set %s left out: %s", line.address, exc)
            continue
        kept.append(line)
    return kept


def _kind(frame: Frame) -> str:
    """Table key of a message: "request", "option", "NAK", "ACK", "invalid", or a command like "R1"."""
    if isinstance(frame, CommandMessage):
        return frame.kind
    return _KINDS.get(type(frame), "other")


def _error_text(exc: Exception) -> str:
    """Error message text for a refused read or write."""
    if isinstance(exc, AccessDenied):
        detail = str(exc).upper()
        text = f"ERROR: {detail}" if detail and not detail.startswith("ERROR") else detail
        ok = (
            text
            and len(text) <= MAX_ERROR
            and all(" " <= c <= "~" and c not in "()*/!" for c in text)
        )
        return text if ok else ErrorText.ACCESS_DENIED
    if isinstance(exc, ConfigError):
        return ErrorText.BAD_VALUE
    return ErrorText.UNKNOWN_ADDRESS


_KINDS: dict[type, str] = {
    RequestMessage: "request",
    OptionSelectMessage: "option",
    NakMessage: "NAK",
    AckMessage: "ACK",
    InvalidFrame: "invalid",
}
_LIMITS = {
    State.OPTION_SELECT: "option_select",
    State.PASSWORD: "inactivity",
    State.PROGRAMMING: "inactivity",
}

S, H = State, Iec62056Server
_SESSION: dict[str, Handler] = {
    "request": H._sign_on,
    "NAK": H._repeat,
    "ACK": H._ignore,
    "invalid": H._nak,
    "B0": H._break,
    "B1": H._break,
    "P1": H._password,
    "P2": H._password,
}
TRANSITIONS: dict[tuple[State, str], Handler] = {
    (S.IDLE, "request"): H._sign_on,
    (S.OPTION_SELECT, "request"): H._sign_on,
    (S.OPTION_SELECT, "option"): H._option_select,
    (S.OPTION_SELECT, "NAK"): H._repeat,
    (S.OPTION_SELECT, "B0"): H._break,
    **{(S.PASSWORD, kind): handler for kind, handler in _SESSION.items()},
    **{(S.PASSWORD, kind): H._no_access for kind in ("R1", "R2", "W1", "W2")},
    **{(S.PROGRAMMING, kind): handler for kind, handler in _SESSION.items()},
    (S.PROGRAMMING, "R1"): H._read,
    (S.PROGRAMMING, "R2"): H._read,
    (S.PROGRAMMING, "W1"): H._write,
    (S.PROGRAMMING, "W2"): H._write,
}
"""(state, message kind) -> handler returning the next state; the dialogue of IEC 62056-21 clause 6."""

_DEFAULTS: dict[State, Handler] = {
    S.IDLE: H._ignore,
    S.OPTION_SELECT: H._ignore,
    S.PASSWORD: H._unsupported,
    S.PROGRAMMING: H._unsupported,
    S.HDLC: H._ignore,
}
del S, H
