"""Per-connection DLMS sessions (k351c.server.transport.Session): wrapper and HDLC peers turning
received bytes into answered bytes. An HDLC peer serves a fixed set of links (a meter, a multidrop
bus) or creates a link for each physical address a frame calls (a fleet's shared port)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from k351c.axdr.enums import ServiceError, StateError
from k351c.errors import K351CError
from k351c.protocols.dlms.apdu_misc import ExceptionResponse
from k351c.protocols.dlms.association import Association
from k351c.protocols.hdlc import (
    NEED_DATA,
    ApduReceived,
    Disconnected,
    HdlcServerConnection,
    parse_frame,
)
from k351c.protocols.hdlc.frame import HdlcFrame
from k351c.protocols.wrapper import WrapperConnection, WrapperFrame

if TYPE_CHECKING:
    from k351c.server.endpoint import DlmsEndpoint

log = logging.getLogger("k351c.dlms")

# what a request that fails inside the server gets instead of silence: exception-response, other-reason
REFUSAL = ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.OTHER_REASON).to_bytes()


class WrapperPeer:
    """The wrapper side of one TCP connection: codec, associations by (wPort pair), bytes in -> bytes out."""

    __slots__ = ("codec", "route", "associations")

    def __init__(self, route: Callable[[int], DlmsEndpoint | None]) -> None:
        self.codec = WrapperConnection()
        self.route = route
        self.associations: dict[tuple[int, int], Association] = {}

    def feed(self, data: bytes, now: float = 0.0) -> bytes:
        """Answer every complete frame in ``data`` (b"" = peer closed); RemoteProtocolError on garbage."""
        codec = self.codec
        codec.receive_data(data)
        out = b""
        while True:
            event = codec.next_event()
            if not isinstance(event, WrapperFrame):  # NEED_DATA or ConnectionClosed
                return out
            reply = self.answer(event)
            if reply is not None:
                out += codec.send(reply)

    def poll(self, now: float) -> bytes:
        """The wrapper has no timers."""
        return b""

    @property
    def partial(self) -> bool:
        """True while a frame is half received."""
        return bool(self.codec.pending)

    def answer(self, frame: WrapperFrame) -> WrapperFrame | None:
        """The reply to one frame from the endpoint its destination routes to (None = no answer)."""
        endpoint = self.route(frame.destination)
        if endpoint is None:
            return None
        key = (frame.destination, frame.source)
        association = self.associations.get(key)
        if association is None:
            association = self.associations[key] = endpoint.association()
        endpoint.sync()
        try:
            response = association.handle(frame.source, frame.apdu)
            return frame.reply(response) if response is not None else None
        except K351CError as exc:
            log.warning(
                "wrapper request from %d failed, answering a refusal: %s", frame.source, exc
            )
            return frame.reply(REFUSAL)

    def release(self) -> None:
        """Drop every association of this connection."""
        for association in self.associations.values():
            association.release()
        self.associations.clear()


class HdlcPeer:
    """The HDLC side of one byte stream: a link and an association per endpoint listening on it.

    With ``route`` the endpoints are not known up front: a link is created for each physical
    address a complete frame calls that ``route`` resolves (always multidrop: no all-station answer).
    """

    __slots__ = ("links", "point_to_point", "route", "scan")

    def __init__(
        self,
        endpoints: Sequence[DlmsEndpoint] = (),
        point_to_point: bool = True,
        route: Callable[[int], DlmsEndpoint | None] | None = None,
    ) -> None:
        self.point_to_point = point_to_point and route is None
        self.route = route
        self.scan = bytearray()
        self.links: dict[int, tuple[DlmsEndpoint, HdlcServerConnection, Association]] = {}
        for endpoint in endpoints:
            self._link(endpoint)

    def _link(self, endpoint: DlmsEndpoint) -> None:
        link = HdlcServerConnection(
            endpoint.physical_address, point_to_point=self.point_to_point, params=endpoint.hdlc
        )
        self.links[endpoint.physical_address] = (endpoint, link, endpoint.association())

    def feed(self, data: bytes, now: float) -> bytes:
        """Give ``data`` (b"" = none, just time passing) to every link; the octets they answer."""
        if self.route is not None and data:
            self._route(data)
        out = b""
        for endpoint, link, association in self.links.values():
            if data:
                link.receive_data(data)
            pump_hdlc(endpoint, link, association)
            if link.check_timeout(now) is not None:
                association.release()
            sent = link.data_to_send()
            if sent:
                out += sent
        return out

    def _route(self, data: bytes) -> None:
        """Create the links of the physical addresses the complete frames in ``data`` call."""
        scan = self.scan
        scan += data
        while True:
            used, frame = parse_frame(scan)
            del scan[:used]
            if frame is None and used == 0:
                return
            if isinstance(frame, HdlcFrame) and frame.destination.lower is not None:
                self._open(frame.destination.lower)

    def _open(self, physical: int) -> None:
        """The link of ``physical`` if the route knows the address and it has none yet."""
        if physical in self.links or self.route is None:
            return
        endpoint = self.route(physical)
        if endpoint is not None:
            self._link(endpoint)

    def poll(self, now: float) -> bytes:
        """Run the links' timers."""
        return self.feed(b"", now)

    @property
    def partial(self) -> bool:
        """Any octet on an HDLC line counts as activity."""
        return False

    def release(self) -> None:
        """Drop every association on this stream."""
        for _, _, association in self.links.values():
            association.release()


def pump_hdlc(
    endpoint: DlmsEndpoint, link: HdlcServerConnection, association: Association
) -> None:
    """Hand every APDU the link has received to the association; queue the answers on the link."""
    while True:
        event = link.next_event()
        if event is NEED_DATA:
            return
        if isinstance(event, ApduReceived):
            endpoint.sync()
            try:
                response = association.handle(event.client, event.apdu)
            except K351CError as exc:
                log.warning(
                    "HDLC request from %d failed, answering a refusal: %s", event.client, exc
                )
                response = REFUSAL
            if response is not None and not event.unnumbered and link.connected:
                link.send_apdu(response)
        elif isinstance(event, Disconnected):
            association.release()
