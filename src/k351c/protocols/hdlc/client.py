"""HDLC primary station (the client side of IEC 62056-46), sans-IO, for the configuration tool and tests."""

from __future__ import annotations

from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.hdlc.connection import (
    DEFAULT_MAX_APDU,
    ApduReceived,
    Connected,
    Disconnected,
    LinkState,
    _FrameReject,
    _Link,
    _strip_llc,
)
from k351c.protocols.hdlc.frame import (
    LLC_COMMAND,
    LLC_RESPONSE,
    Address,
    Command,
    Control,
    FrameDropped,
    HdlcFrame,
    UndefinedFrame,
)
from k351c.protocols.hdlc.params import HdlcParameters

_CLIENT_TABLE: dict[tuple[LinkState, Command], str] = {
    (LinkState.CONNECTING, Command.UA): "_on_ua",
    (LinkState.CONNECTING, Command.DM): "_on_dm",
    (LinkState.NRM, Command.I): "_on_i",
    (LinkState.NRM, Command.RR): "_on_rr",
    (LinkState.NRM, Command.RNR): "_on_rr",
    (LinkState.NRM, Command.UI): "_on_ui",
    (LinkState.NRM, Command.DM): "_on_dm",
    (LinkState.NRM, Command.FRMR): "_on_frmr",
    (LinkState.DISCONNECTING, Command.UA): "_on_dm",
    (LinkState.DISCONNECTING, Command.DM): "_on_dm",
}
"""Client reactions by (state, received response); anything else is reported as FrameDropped."""


class HdlcClientConnection(_Link):
    """The primary station: SNRM/UA, segmented I frames with RR polling, DISC; sans-IO.

    connect(), disconnect() and poll() return the bytes to write; send_apdu() queues them
    (read with data_to_send()). Call next_event() until NEED_DATA after each receive_data(),
    then write data_to_send(): RR polls for segmented responses are queued automatically.
    """

    _llc_out = LLC_COMMAND
    _llc_in = LLC_RESPONSE

    def __init__(
        self,
        client_sap: int,
        server: Address,
        params: HdlcParameters | None = None,
        max_apdu: int = DEFAULT_MAX_APDU,
    ) -> None:
        super().__init__(max_apdu)
        self.client_sap = client_sap
        self.server = server
        self.proposal = params or HdlcParameters()
        self._poll = False

    def connect(self) -> bytes:
        """Send SNRM with our proposed parameters; the UA brings Connected."""
        self._reset_link()
        self.state = LinkState.CONNECTING
        self._emit(Control(Command.SNRM), self.proposal.to_bytes())
        return self.data_to_send()

    def disconnect(self) -> bytes:
        """Send DISC; the UA (or DM) brings Disconnected."""
        self.state = LinkState.DISCONNECTING
        self._emit(Control(Command.DISC))
        return self.data_to_send()

    def poll(self) -> bytes:
        """Send RR with the poll bit, e.g. to recover after a lost response."""
        if self.state is not LinkState.NRM:
            raise LocalProtocolError(f"poll() in {self.state.value}")
        self._poll = False
        self._emit(Control(Command.RR, True, 0, self._vr))
        return self.data_to_send()

    def send_apdu(self, apdu: bytes) -> None:
        """Queue a request APDU, segmented to the negotiated size; sent as soon as we hold the poll."""
        if self.state is not LinkState.NRM:
            raise LocalProtocolError(f"send_apdu() in {self.state.value}")
        self._queue_apdu(apdu)
        if self._poll and self._send_window():
            self._poll = False

    def _own_address(self) -> Address:
        """Our one-octet client address."""
        return Address(self.client_sap)

    def _peer_address(self) -> Address:
        """The server we call."""
        return self.server

    def _from_our_server(self, source: Address) -> bool:
        """Whether a frame comes from the server we address (any, if we called the all-station address)."""
        if self.server.is_all_station_upper or (
            self.server.size > 1 and self.server.is_all_station_lower
        ):
            return True
        return source.upper == self.server.upper and (
            source.size == 1 or self.server.size == 1 or source.lower == self.server.lower
        )

    def _handle(self, parsed: HdlcFrame | UndefinedFrame) -> None:
        """Filter by address, then dispatch through the client table."""
        if parsed.destination != Address(self.client_sap) or not self._from_our_server(
            parsed.source
        ):
            return
        if isinstance(parsed, UndefinedFrame):
            self._events.append(FrameDropped(f"undefined control field 0x{parsed.control:02X}"))
            return
        handler = _CLIENT_TABLE.get((self.state, parsed.control.command))
        if handler is None:
            self._events.append(
                FrameDropped(f"{parsed.control.command.name} in {self.state.value}")
            )
            return
        try:
            getattr(self, handler)(parsed)
        except _FrameReject as reject:
            self._events.append(FrameDropped(reject.reason))

    def _on_ua(self, frame: HdlcFrame) -> None:
        """UA to our SNRM: adopt the server's parameters (mirrored to our view, never above our proposal)."""
        try:
            answer = HdlcParameters.from_bytes(frame.info).mirrored()
        except RemoteProtocolError as exc:
            self._events.append(FrameDropped(f"bad UA parameters: {exc}", frame.to_bytes()))
            return
        ours = self.proposal
        self.params = HdlcParameters(
            min(answer.max_info_tx, ours.max_info_tx),
            min(answer.max_info_rx, ours.max_info_rx),
            min(answer.window_tx, ours.window_tx),
            min(answer.window_rx, ours.window_rx),
        )
        self.state = LinkState.NRM
        self._poll = True
        self._events.append(Connected(self.client_sap, frame.source, self.params))

    def _on_dm(self, frame: HdlcFrame) -> None:
        """DM, or UA to our DISC: the link is down."""
        reason = "DISC acknowledged" if self.state is LinkState.DISCONNECTING else "DM from server"
        self.state = LinkState.NDM
        self._reset_link()
        self._events.append(Disconnected(reason))

    def _on_frmr(self, frame: HdlcFrame) -> None:
        """The server rejected a frame; the link must be set up again."""
        self.state = LinkState.NDM
        self._reset_link()
        self._events.append(Disconnected(f"FRMR {frame.info.hex()}"))

    def _on_ui(self, frame: HdlcFrame) -> None:
        """Unnumbered information from the server (e.g. a push)."""
        self._events.append(
            ApduReceived(_strip_llc(frame.info, self._llc_in), self.client_sap, unnumbered=True)
        )

    def _on_i(self, frame: HdlcFrame) -> None:
        """Response I frame: acknowledge, reassemble, poll for the next segment with RR."""
        self._acknowledge(frame.control.nr, frame.control.to_byte())
        if frame.control.ns != self._vr:
            self._events.append(
                FrameDropped(f"N(S) {frame.control.ns} out of sequence, V(R) is {self._vr}")
            )
            if frame.control.pf:
                self._emit(Control(Command.RR, True, 0, self._vr))
            return
        complete = self._receive_i(frame, self.client_sap)
        if not frame.control.pf:
            return
        if not complete:
            self._emit(Control(Command.RR, True, 0, self._vr))
        elif not self._send_window():
            self._poll = True

    def _on_rr(self, frame: HdlcFrame) -> None:
        """RR / RNR: acknowledge; with the final bit we hold the poll and send what is pending."""
        self._acknowledge(frame.control.nr, frame.control.to_byte())
        self._remote_busy = frame.control.command is Command.RNR
        if frame.control.pf:
            self._poll = not self._send_window()
