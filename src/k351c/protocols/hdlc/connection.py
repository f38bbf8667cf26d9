"""HDLC link state machines (IEC 62056-46, DLMS profile): shared link mechanics and the server side."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.hdlc.frame import (
    LLC_COMMAND,
    LLC_RESPONSE,
    Address,
    Command,
    Control,
    FrameDropped,
    HdlcFrame,
    UndefinedFrame,
    parse_frame,
)
from k351c.protocols.hdlc.params import HdlcParameters, negotiate
from k351c.protocols.wrapper import NEED_DATA, ConnectionClosed, NeedData

INACTIVITY_TIMEOUT = 120.0
DEFAULT_MAX_APDU = 0xFFFF
SERVER_PARAMETERS = HdlcParameters(max_info_tx=1024, max_info_rx=1024, window_tx=1, window_rx=1)


@dataclass(frozen=True, slots=True)
class Connected:
    """The link entered normal response mode; params are seen from this station."""

    client: int
    server: Address
    params: HdlcParameters


@dataclass(frozen=True, slots=True)
class ApduReceived:
    """A complete APDU (LLC header removed); unnumbered for a UI frame, which gets no answer."""

    apdu: bytes
    client: int
    unnumbered: bool = False


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The link went back to disconnected mode (DISC, DM, reset, FRMR or inactivity time-out)."""

    reason: str


Event = Connected | ApduReceived | Disconnected | FrameDropped | ConnectionClosed


class LinkState(Enum):
    """Link states: the server's NDM/NRM/frame-reject condition and the client's transitional states."""

    NDM = "normal disconnected mode"
    NRM = "normal response mode"
    FRAME_REJECT = "frame reject condition"
    CONNECTING = "SNRM sent"
    DISCONNECTING = "DISC sent"


class _FrameReject(Exception):
    """Internal: the frame being handled must be answered with FRMR (W, X, Y, Z = bits 0..3)."""

    def __init__(self, control: int, bits: int, reason: str) -> None:
        super().__init__(reason)
        self.control = control
        self.bits = bits
        self.reason = reason


class _Link:
    """Mechanics both stations share: framing, sequence variables, windows, segmentation, reassembly."""

    _llc_out = LLC_COMMAND
    _llc_in = LLC_RESPONSE

    def __init__(self, max_apdu: int) -> None:
        self._buffer = bytearray()
        self._out = bytearray()
        self._events: deque[Event] = deque()
        self._closed = False
        self._close_reported = False
        self._max_apdu = max_apdu
        self.state = LinkState.NDM
        self.params = HdlcParameters()
        self._reset_link()

    def _reset_link(self) -> None:
        """Clear sequence variables and all queues, as SNRM, DISC and FRMR recovery require."""
        self._vs = 0
        self._vr = 0
        self._rx = bytearray()
        self._tx: deque[tuple[bytes, bool]] = deque()
        self._unacked: list[HdlcFrame] = []
        self._remote_busy = False

    @property
    def connected(self) -> bool:
        """True in normal response mode."""
        return self.state is LinkState.NRM

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the line; b"" means the byte stream was closed."""
        if self._closed:
            raise LocalProtocolError("receive_data() after the byte stream was closed")
        if not data:
            self._closed = True
        self._buffer += data

    def next_event(self) -> Event | NeedData:
        """Process buffered frames until one yields an event; NEED_DATA when the buffer is exhausted."""
        while not self._events:
            consumed, parsed = parse_frame(self._buffer)
            del self._buffer[:consumed]
            if parsed is None:
                if self._closed and not self._close_reported:
                    self._close_reported = True
                    return ConnectionClosed()
                return NEED_DATA
            if isinstance(parsed, FrameDropped):
                self._events.append(parsed)
            else:
                self._handle(parsed)
        return self._events.popleft()

    def data_to_send(self) -> bytes:
        """Bytes queued for the line since the last call."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def _handle(self, parsed: HdlcFrame | UndefinedFrame) -> None:
        """Act on one well-formed frame."""
        raise NotImplementedError

    def _own_address(self) -> Address:
        """Our address as put in the source field."""
        raise NotImplementedError

    def _peer_address(self) -> Address:
        """The peer's address as put in the destination field."""
        raise NotImplementedError

    def _emit(self, control: Control, info: bytes = b"", segmented: bool = False) -> HdlcFrame:
        """Queue one frame to the peer."""
        frame = HdlcFrame(self._peer_address(), self._own_address(), control, info, segmented)
        self._out += frame.to_bytes()
        return frame

    def _queue_apdu(self, apdu: bytes) -> None:
        """Split LLC header + APDU into information fields of at most max_info_tx octets."""
        data = self._llc_out + apdu
        size = self.params.max_info_tx
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        for n, chunk in enumerate(chunks):
            self._tx.append((chunk, n < len(chunks) - 1))

    def _acknowledge(self, nr: int, control: int) -> None:
        """Drop our I frames the peer has acknowledged with N(R); FRMR (Z) for an impossible N(R)."""
        valid = {f.control.ns for f in self._unacked} | {self._vs}
        if nr not in valid:
            raise _FrameReject(control, 0b1000, f"invalid N(R) {nr}, V(S) is {self._vs}")
        while self._unacked and self._unacked[0].control.ns != nr:
            self._unacked.pop(0)

    def _send_window(self) -> bool:
        """Retransmit unacknowledged frames, then send new ones up to the window; last with P/F set.

        Returns False when there was nothing to send.
        """
        if self._remote_busy:
            return False
        resend = [(f.info, f.segmented) for f in self._unacked]
        if resend:
            self._vs = self._unacked[0].control.ns
            self._unacked = []
        items = resend + [
            self._tx.popleft()
            for _ in range(min(len(self._tx), self.params.window_tx - len(resend)))
        ]
        if not items:
            return False
        for n, (info, segmented) in enumerate(items):
            control = Control(Command.I, n == len(items) - 1, self._vs, self._vr)
            self._unacked.append(self._emit(control, info, segmented))
            self._vs = (self._vs + 1) % 8
        return True

    def _receive_i(self, frame: HdlcFrame, client: int) -> bool:
        """Take an in-sequence I frame into reassembly; True when it completed an APDU."""
        if len(frame.info) > self.params.max_info_rx:
            raise _FrameReject(
                frame.control.to_byte(), 0b0100, f"information field of {len(frame.info)} octets"
            )
        if len(self._rx) + len(frame.info) > self._max_apdu + len(self._llc_in):
            self._rx.clear()
            raise _FrameReject(
                frame.control.to_byte(), 0b0100, f"APDU longer than {self._max_apdu} octets"
            )
        self._vr = (self._vr + 1) % 8
        self._rx += frame.info
        if frame.segmented:
            return False
        apdu = bytes(self._rx)
        self._rx.clear()
        self._events.append(ApduReceived(_strip_llc(apdu, self._llc_in), client))
        return True


def _strip_llc(info: bytes, llc: bytes) -> bytes:
    """Remove the LLC header when present (lenient: no xDLMS APDU tag starts with 0xE6)."""
    return info[len(llc) :] if info.startswith(llc) else info


_SERVER_TABLE: dict[tuple[LinkState, Command], str] = {
    (LinkState.NDM, Command.SNRM): "_on_snrm",
    (LinkState.NDM, Command.DISC): "_reply_dm",
    (LinkState.NDM, Command.I): "_reply_dm",
    (LinkState.NDM, Command.RR): "_reply_dm",
    (LinkState.NDM, Command.RNR): "_reply_dm",
    (LinkState.NDM, Command.UI): "_on_ui",
    (LinkState.NRM, Command.SNRM): "_on_snrm",
    (LinkState.NRM, Command.DISC): "_on_disc",
    (LinkState.NRM, Command.I): "_on_i",
    (LinkState.NRM, Command.RR): "_on_rr",
    (LinkState.NRM, Command.RNR): "_on_rr",
    (LinkState.NRM, Command.UI): "_on_ui",
    (LinkState.FRAME_REJECT, Command.SNRM): "_on_snrm",
    (LinkState.FRAME_REJECT, Command.DISC): "_on_disc",
    (LinkState.FRAME_REJECT, Command.UI): "_on_ui",
}
"""Server reactions by (state, received command); a missing pair is answered by the state's default:
NDM ignores it, NRM answers FRMR (W: undefined or not implemented), frame-reject repeats the FRMR."""

_NO_INFO = frozenset({Command.RR, Command.RNR, Command.DISC})


class HdlcServerConnection(_Link):
    """The secondary station of one meter on a point-to-point or multidrop (RS-485) line, sans-IO.

    Feed every byte of the line to receive_data(); frames for other physical addresses are ignored,
    so several of these can share one byte stream. Call next_event() until NEED_DATA, then write
    data_to_send(). Answer every ApduReceived that is not unnumbered with exactly one send_apdu().
    """

    _llc_out = LLC_RESPONSE
    _llc_in = LLC_COMMAND

    def __init__(
        self,
        physical: int,
        logical: int = 1,
        *,
        point_to_point: bool = True,
        params: HdlcParameters = SERVER_PARAMETERS,
        max_apdu: int = DEFAULT_MAX_APDU,
        inactivity_timeout: float = INACTIVITY_TIMEOUT,
    ) -> None:
        super().__init__(max_apdu)
        self.physical = physical
        self.logical = logical
        self.point_to_point = point_to_point
        self.our_params = params
        self.inactivity_timeout = inactivity_timeout
        self.client: int | None = None
        self._source = Address(logical)
        self._poll = False
        self._frmr: HdlcFrame | None = None
        self._active = False
        self._last_activity: float | None = None

    def send_apdu(self, apdu: bytes) -> None:
        """Queue a response APDU; it goes out now if we hold the poll, else at the client's next RR."""
        if self.state is not LinkState.NRM:
            raise LocalProtocolError(f"send_apdu() in {self.state.value}")
        self._queue_apdu(apdu)
        if self._poll:
            self._respond()

    def check_timeout(self, now: float) -> Disconnected | None:
        """Call periodically with the current time; after the inactivity time-out the link drops to NDM."""
        if self.state is LinkState.NDM or self._active or self._last_activity is None:
            self._last_activity = now
            self._active = False
            return None
        if now - self._last_activity < self.inactivity_timeout:
            return None
        self._go_ndm()
        return Disconnected("inactivity time-out")

    def _own_address(self) -> Address:
        """Our address in the form the client used."""
        return self._source

    def _peer_address(self) -> Address:
        """The connected (or calling) client."""
        return Address(self.client or 0)

    def _accepts(self, destination: Address, command: Command | None) -> bool:
        """Whether a frame to destination is for this server (logical device and physical address)."""
        if destination.upper != self.logical and not destination.is_all_station_upper:
            return False
        if destination.size == 1:
            return self.point_to_point
        if destination.lower == self.physical:
            return True
        return destination.is_all_station_lower and (self.point_to_point or command is Command.UI)

    def _reply_source(self, destination: Address) -> Address:
        """Our address in the size the client used, with our own logical and physical numbers."""
        if destination.size == 1:
            return Address(self.logical)
        try:
            return Address(self.logical, self.physical, destination.size)
        except LocalProtocolError:
            return destination

    def _handle(self, parsed: HdlcFrame | UndefinedFrame) -> None:
        """Filter by address and client, then dispatch through the state table."""
        command = parsed.control.command if isinstance(parsed, HdlcFrame) else None
        if not self._accepts(parsed.destination, command):
            return
        if parsed.source.size != 1 or parsed.source.upper in (0, 0x7F):
            self._events.append(FrameDropped(f"bad client address {parsed.source}"))
            return
        client = parsed.source.upper
        if self.state is not LinkState.NDM and client != self.client:
            if command is Command.SNRM:
                self._emit_to(client, parsed.destination, Control(Command.DM))
            self._events.append(
                FrameDropped(f"frame from client {client} while linked to {self.client}")
            )
            return
        self._active = True
        try:
            self._dispatch(parsed, client)
        except _FrameReject as reject:
            self._frame_reject(reject)

    def _dispatch(self, parsed: HdlcFrame | UndefinedFrame, client: int) -> None:
        """Run the table entry for (state, command), or the state's default."""
        if isinstance(parsed, UndefinedFrame):
            if self.state is LinkState.NDM:
                self._events.append(FrameDropped(f"undefined control field 0x{parsed.control:02X}"))
                return
            raise _FrameReject(
                parsed.control, 0b0001, f"undefined control field 0x{parsed.control:02X}"
            )
        handler = _SERVER_TABLE.get((self.state, parsed.control.command))
        if handler is not None:
            if (
                parsed.info
                and parsed.control.command in _NO_INFO
                and self.state is not LinkState.NDM
            ):
                raise _FrameReject(
                    parsed.control.to_byte(),
                    0b0011,
                    f"{parsed.control.command.name} with information",
                )
            getattr(self, handler)(parsed, client)
        elif self.state is LinkState.NRM:
            reason = f"{parsed.control.command.name} not allowed in NRM"
            raise _FrameReject(parsed.control.to_byte(), 0b0001, reason)
        elif self.state is LinkState.FRAME_REJECT and parsed.control.pf and self._frmr is not None:
            self._out += self._frmr.to_bytes()
        else:
            self._events.append(
                FrameDropped(f"{parsed.control.command.name} in {self.state.value}")
            )

    def _emit_to(
        self, client: int, destination: Address, control: Control, info: bytes = b""
    ) -> None:
        """Queue a frame to a client that is not (yet) the linked one."""
        frame = HdlcFrame(Address(client), self._reply_source(destination), control, info)
        self._out += frame.to_bytes()

    def _on_snrm(self, frame: HdlcFrame, client: int) -> None:
        """Set normal response mode: negotiate, reset the link, answer UA with our parameters."""
        try:
            proposed = HdlcParameters.from_bytes(frame.info)
        except RemoteProtocolError as exc:
            self._emit_to(client, frame.destination, Control(Command.DM))
            self._events.append(FrameDropped(f"SNRM refused: {exc}", frame.to_bytes()))
            if self.state is not LinkState.NDM:
                self._go_ndm()
                self._events.append(Disconnected("bad SNRM"))
            return
        if self.state is not LinkState.NDM:
            self._events.append(Disconnected("reset by SNRM"))
        self._reset_link()
        self._poll = False
        self._frmr = None
        self.client = client
        self._source = self._reply_source(frame.destination)
        self.params = negotiate(proposed, self.our_params)
        self.state = LinkState.NRM
        self._emit(Control(Command.UA), self.params.to_bytes())
        self._events.append(Connected(client, frame.destination, self.params))

    def _on_disc(self, frame: HdlcFrame, client: int) -> None:
        """Disconnect: answer UA and go to NDM."""
        self._emit(Control(Command.UA))
        self._go_ndm()
        self._events.append(Disconnected("DISC"))

    def _reply_dm(self, frame: HdlcFrame, client: int) -> None:
        """In NDM every command with the poll bit gets DM (disconnected mode)."""
        if frame.control.pf:
            self._emit_to(client, frame.destination, Control(Command.DM))

    def _on_ui(self, frame: HdlcFrame, client: int) -> None:
        """Deliver an unnumbered information APDU (no answer is expected at the DLMS level)."""
        if frame.info:
            self._events.append(
                ApduReceived(_strip_llc(frame.info, self._llc_in), client, unnumbered=True)
            )
        if frame.control.pf and self.state is LinkState.NRM:
            self._poll = True
            self._respond()

    def _on_i(self, frame: HdlcFrame, client: int) -> None:
        """Numbered information: acknowledge, reassemble, deliver; answer a poll unless an APDU awaits its reply."""
        self._acknowledge(frame.control.nr, frame.control.to_byte())
        self._poll = self._poll or frame.control.pf
        if frame.control.ns != self._vr:
            self._events.append(
                FrameDropped(f"N(S) {frame.control.ns} out of sequence, V(R) is {self._vr}")
            )
        elif self._receive_i(frame, client):
            return
        if self._poll:
            self._respond()

    def _on_rr(self, frame: HdlcFrame, client: int) -> None:
        """RR / RNR: acknowledge up to N(R), note whether the client is busy, answer the poll."""
        self._acknowledge(frame.control.nr, frame.control.to_byte())
        self._remote_busy = frame.control.command is Command.RNR
        if frame.control.pf:
            self._poll = True
            self._respond()

    def _respond(self) -> None:
        """Answer the poll: I frames if any are pending, otherwise RR with our V(R); final bit set."""
        self._poll = False
        if not self._send_window():
            self._emit(Control(Command.RR, True, 0, self._vr))

    def _frame_reject(self, reject: _FrameReject) -> None:
        """Answer FRMR (control, V(S)/V(R), W X Y Z) and enter the frame reject condition."""
        info = bytes([reject.control, (self._vr << 5) | (self._vs << 1), reject.bits])
        self._frmr = self._emit(Control(Command.FRMR), info)
        self.state = LinkState.FRAME_REJECT
        self._events.append(FrameDropped(f"FRMR: {reject.reason}"))

    def _go_ndm(self) -> None:
        """Back to disconnected mode with nothing pending."""
        self.state = LinkState.NDM
        self._reset_link()
        self._poll = False
        self._frmr = None
