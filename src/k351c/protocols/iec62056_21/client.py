"""Client (HHU / configuration tool) side of IEC 62056-21 mode C and E, sans-IO, on the shared codecs."""

from __future__ import annotations

from collections import deque
from enum import Enum

from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.iec62056_21.messages import (
    INITIAL_BAUD,
    Command,
    CommandMessage,
    DataLine,
    Frame,
    IdentificationMessage,
    InvalidFrame,
    ModeControl,
    NakMessage,
    OptionSelectMessage,
    ProtocolControl,
    ReadoutMessage,
    RequestMessage,
    baud_for_char,
    parse_frame,
)
from k351c.protocols.iec62056_21.server import NEED_DATA, NeedData, SwitchToHdlc
from k351c.protocols.iec62056_21.sevenbit import strip_parity


class ClientState(Enum):
    """Where the client is in the dialogue."""

    IDLE = "idle"
    IDENTIFICATION = "identification"
    READOUT = "readout"
    PROGRAMMING = "programming"
    MODE_E = "mode e"
    HDLC = "hdlc"


class Iec62056Client:
    """Builds requests and parses a meter's answers; the caller moves the bytes and switches the baud rate."""

    def __init__(self, *, max_frame: int = 1 << 20) -> None:
        self._max_frame = max_frame
        self._state = ClientState.IDLE
        self._buf = bytearray()
        self._raw = bytearray()
        self._events: deque[Frame | SwitchToHdlc] = deque()
        self.identification: IdentificationMessage | None = None
        self.baud = INITIAL_BAUD

    @property
    def state(self) -> ClientState:
        """Current dialogue state."""
        return self._state

    def sign_on(self, address: str = "") -> bytes:
        """Request message `/?address!\\r\\n`, sent at 300 baud."""
        self._state = ClientState.IDENTIFICATION
        self.baud = INITIAL_BAUD
        self.identification = None
        return RequestMessage(address).to_bytes()

    def option_select(
        self,
        mode: ModeControl = ModeControl.DATA_READOUT,
        baud_char: str | None = None,
        protocol: ProtocolControl | None = None,
    ) -> bytes:
        """Acknowledgement/option select; afterwards switch the line to `self.baud`."""
        if self.identification is None:
            raise LocalProtocolError("option select needs the identification message first")
        char = baud_char if baud_char is not None else self.identification.baud_char
        if protocol is None:
            protocol = (
                ProtocolControl.HDLC if mode is ModeControl.BINARY_HDLC else ProtocolControl.NORMAL
            )
        message = OptionSelectMessage(protocol, char, mode)
        data = message.to_bytes()
        self.baud = baud_for_char(char)
        self._state = {
            ModeControl.DATA_READOUT: ClientState.READOUT,
            ModeControl.PROGRAMMING: ClientState.PROGRAMMING,
            ModeControl.BINARY_HDLC: ClientState.MODE_E,
        }[mode]
        return data

    def p1(self, password: str, level: int = 1) -> bytes:
        """Password command `SOH P1 STX (password) ETX BCC`."""
        return self._command(Command.PASSWORD, level, DataLine("", password))

    def r1(self, address: str, params: str = "", command_type: int = 1) -> bytes:
        """Read command `SOH R1 STX address(params) ETX BCC`."""
        return self._command(Command.READ, command_type, DataLine(address, params))

    def w1(self, address: str, value: str, command_type: int = 1) -> bytes:
        """Write command `SOH W1 STX address(value) ETX BCC`."""
        return self._command(Command.WRITE, command_type, DataLine(address, value))

    def b0(self) -> bytes:
        """Break `SOH B0 ETX BCC`: end the dialogue; switch the line back to 300 baud."""
        self._state = ClientState.IDLE
        self.baud = INITIAL_BAUD
        return CommandMessage(Command.BREAK, 0).to_bytes()

    def nak(self) -> bytes:
        """Repeat request after a garbled answer."""
        return NakMessage().to_bytes()

    def _command(self, command: Command, command_type: int, data: DataLine) -> bytes:
        """A programming command, checked against the state."""
        if self._state is not ClientState.PROGRAMMING:
            raise LocalProtocolError(
                f"{command.name} needs programming mode, not {self._state.value}"
            )
        return CommandMessage(command, command_type, data).to_bytes()

    def receive_data(self, data: bytes) -> None:
        """Take bytes from the meter (parity bits are ignored)."""
        if self._state is ClientState.HDLC:
            raise LocalProtocolError("the line belongs to HDLC now")
        self._raw += data
        self._buf += strip_parity(data)
        self._process()

    def next_event(self) -> Frame | SwitchToHdlc | NeedData:
        """Next message from the meter (or SwitchToHdlc after the mode E confirmation), or NEED_DATA."""
        return self._events.popleft() if self._events else NEED_DATA

    def _process(self) -> None:
        """Parse every complete message in the buffer."""
        while self._buf and self._state is not ClientState.HDLC:
            option = self._state is ClientState.MODE_E
            consumed, frame = parse_frame(
                self._buf, option_select=option, max_frame=self._max_frame
            )
            if consumed == 0:
                return
            del self._buf[:consumed]
            del self._raw[:consumed]
            if frame is not None:
                self._on_frame(frame)

    def _on_frame(self, frame: Frame) -> None:
        """Record what the frame changes and queue it."""
        self._events.append(frame)
        if isinstance(frame, IdentificationMessage) and self._state is ClientState.IDENTIFICATION:
            self.identification = frame
        elif isinstance(frame, ReadoutMessage):
            self._state = ClientState.IDLE
            self.baud = INITIAL_BAUD
        elif isinstance(frame, OptionSelectMessage) and self._state is ClientState.MODE_E:
            self._state = ClientState.HDLC
            self._events.append(SwitchToHdlc(bytes(self._raw)))
            self._raw.clear()
            self._buf.clear()


def parse_readout(data: bytes) -> list[DataLine]:
    """Data lines of one complete data readout message (parity bits ignored)."""
    _, frame = parse_frame(strip_parity(data), max_frame=len(data))
    if not isinstance(frame, ReadoutMessage):
        reason = frame.reason if isinstance(frame, InvalidFrame) else "not a data readout"
        raise RemoteProtocolError(f"cannot parse readout: {reason}")
    return list(frame.lines)
