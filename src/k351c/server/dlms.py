"""DLMS/COSEM listeners: the IEC 62056-47 wrapper on TCP and HDLC (IEC 62056-46) on TCP or a serial line.

Each adapter is thin: bytes in -> sans-IO codec -> AssociationServer -> bytes out. A ``DlmsEndpoint`` is one
logical device (one meter); fleets route many endpoints through one port by wrapper or HDLC address.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from k351c.cosem.model import ObjectList
from k351c.errors import K351CError, RemoteProtocolError
from k351c.protocols.dlms.association import AssociationServer, ClientRule
from k351c.protocols.dlms.enums import AuthenticationMechanism
from k351c.protocols.hdlc import (
    NEED_DATA,
    ApduReceived,
    Disconnected,
    HdlcServerConnection,
    default_physical_address,
)
from k351c.protocols.wrapper import ConnectionClosed, WrapperConnection, WrapperFrame
from k351c.server.runtime import Runtime

log = logging.getLogger("k351c.dlms")

SERVER_SAP = 1
READ_SIZE = 65536
IDLE_TIMEOUT = 300.0


@dataclass
class DlmsEndpoint:
    """One logical device reachable over DLMS: its object list, secrets and the sync before requests."""

    objects: ObjectList
    password: Callable[[], str]
    sync: Callable[[], None] = lambda: None
    physical_address: int = 0
    name: str = ""
    clients: dict[int, ClientRule] | None = None
    failures: int = field(default=0)
    secure: Callable | None = (
        None  # security hook (k351c.server.security): builds a SecureAssociation
    )

    def authenticate(
        self, client_sap: int, mechanism: AuthenticationMechanism, value: bytes | None
    ) -> bool:
        """LLS: the calling authentication value must equal the meter's password."""
        if mechanism != AuthenticationMechanism.LOW or value is None:
            return False
        ok = hmac.compare_digest(value, self.password().encode())
        if not ok:
            self.failures += 1
        return ok

    def association(self) -> AssociationServer:
        """A fresh association state machine for one connection."""

        def on_event(kind: str, data: dict) -> None:
            log.info("%s %s %s", self.name or "meter", kind, data)

        if self.secure is not None:
            return self.secure(self, on_event)
        return AssociationServer(self.objects, self.authenticate, self.clients, on_event)


def endpoint_for(runtime: Runtime) -> DlmsEndpoint:
    """The DLMS endpoint of the runtime's meter."""
    serial = runtime.meter.config.serial
    physical = int(
        runtime.settings.get("physical_address") or default_physical_address(int(serial))
    )
    endpoint = DlmsEndpoint(
        runtime.objects,
        lambda: runtime.keys.keys.lls_password,
        runtime.sync,
        physical,
        f"KAM{serial}",
    )
    from k351c.server.security import install_security  # security hook (issue 7)

    install_security(runtime, endpoint)
    return endpoint


async def _read(reader: asyncio.StreamReader, timeout: float) -> bytes:
    try:
        return await asyncio.wait_for(reader.read(READ_SIZE), timeout)
    except (TimeoutError, ConnectionError):
        return b""


def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()


class IdleTimer:
    """Close a connection after ``timeout`` seconds without data (a loop timer, no task per read)."""

    def __init__(self, writer: asyncio.StreamWriter, timeout: float, what: str) -> None:
        self.writer = writer
        self.timeout = timeout
        self.what = what
        self.loop = asyncio.get_running_loop()
        self.handle: asyncio.TimerHandle | None = None

    def arm(self) -> None:
        """Restart the countdown (call before each read)."""
        if self.handle is not None:
            self.handle.cancel()
        self.handle = self.loop.call_later(self.timeout, self._expire)

    def cancel(self) -> None:
        """Stop the countdown."""
        if self.handle is not None:
            self.handle.cancel()

    def _expire(self) -> None:
        log.info("%s idle for %.1f s; closing", self.what, self.timeout)
        _close(self.writer)


class WrapperPeer:
    """The wrapper side of one TCP connection: codec, associations by (wPort pair), bytes in -> bytes out."""

    __slots__ = ("codec", "route", "associations")

    def __init__(self, route: Callable[[int], DlmsEndpoint | None]) -> None:
        self.codec = WrapperConnection()
        self.route = route
        self.associations: dict[tuple[int, int], AssociationServer] = {}

    def feed(self, data: bytes) -> bytes:
        """Answer every complete frame in ``data`` (b"" = peer closed); RemoteProtocolError on garbage."""
        codec = self.codec
        codec.receive_data(data)
        out = b""
        while True:
            event = codec.next_event()
            if event is NEED_DATA or event.__class__ is ConnectionClosed:
                return out
            reply = self.answer(event)
            if reply is not None:
                out += codec.send(reply)

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
        except K351CError as exc:
            log.warning("request failed: %s", exc)
            return None
        return frame.reply(response) if response is not None else None

    def release(self) -> None:
        """Drop every association of this connection."""
        for association in self.associations.values():
            association.release()
        self.associations.clear()


async def wrapper_session(
    reader, writer, route: Callable[[int], DlmsEndpoint | None], idle_timeout: float = IDLE_TIMEOUT
) -> None:
    """Serve one TCP connection with wrapper framing over streams; ``route`` picks the endpoint by wPort."""
    peer_state = WrapperPeer(route)
    peer = writer.get_extra_info("peername")
    idle = IdleTimer(writer, idle_timeout, f"wrapper peer {peer}")
    try:
        while True:
            idle.arm()
            try:
                data = await reader.read(READ_SIZE)
            except ConnectionError:
                data = b""
            try:
                out = peer_state.feed(data)
            except RemoteProtocolError as exc:
                log.info("wrapper peer %s sent garbage: %s; closing", peer, exc)
                return
            if out:
                writer.write(out)
            if not data:
                return
            await writer.drain()
    except ConnectionError:
        return
    finally:
        idle.cancel()
        peer_state.release()
        _close(writer)


class _Connection(asyncio.Protocol):
    """What both DLMS stream protocols share: the connection limit, back-pressure, close and release."""

    def __init__(self, idle_timeout: float, limit: ConnectionLimit | None) -> None:
        self.idle_timeout = idle_timeout
        self.limit = limit
        self.admitted = False
        self.peer_state: WrapperPeer | HdlcPeer | None = None
        self.transport: asyncio.Transport | None = None
        self.peer = None
        self.timer: asyncio.TimerHandle | None = None
        self.clock = asyncio.get_running_loop().time
        self.last = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Admit the connection (or refuse it beyond the limit) and start its timer."""
        self.transport = transport  # type: ignore[assignment]
        self.peer = transport.get_extra_info("peername")
        if self.limit is not None and not self.limit.admit(self.peer):
            transport.close()
            return
        self.admitted = True
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.last = self.clock()
        self.start()

    def start(self) -> None:
        """Set up the admitted connection's state and timer."""
        raise NotImplementedError

    def eof_received(self) -> bool:
        """The peer closed its side: close ours."""
        return False

    def pause_writing(self) -> None:
        """The peer does not read its answers: stop reading its requests until it does."""
        self.transport.pause_reading()  # type: ignore[union-attr]

    def resume_writing(self) -> None:
        """The peer caught up: read again."""
        self.transport.resume_reading()  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        """Release the associations and the connection slot."""
        if self.timer is not None:
            self.timer.cancel()
        if self.peer_state is not None:
            self.peer_state.release()
        if self.admitted and self.limit is not None:
            self.limit.leave()
        self.admitted = False


class WrapperProtocol(_Connection):
    """One wrapper TCP connection served in ``data_received``: no task and no await per request.

    The idle time-out is one loop timer that compares the last arrival with the deadline when it
    fires (and re-arms for the remainder), so a request costs a clock read, not a timer reschedule.
    """

    def __init__(
        self,
        route: Callable[[int], DlmsEndpoint | None],
        idle_timeout: float = IDLE_TIMEOUT,
        limit: ConnectionLimit | None = None,
    ) -> None:
        super().__init__(idle_timeout, limit)
        self.route = route

    def start(self) -> None:
        """A wrapper peer and the idle timer."""
        self.peer_state = WrapperPeer(self.route)
        self.timer = asyncio.get_running_loop().call_later(self.idle_timeout, self._check_idle)

    def data_received(self, data: bytes) -> None:
        """Answer every complete frame at once; garbage closes the connection.

        Only a stream that ends on a frame boundary counts as activity: a client trickling one frame
        byte by byte is closed after the idle time-out like a silent one.
        """
        try:
            out = self.peer_state.feed(data)  # type: ignore[union-attr]
            if not self.peer_state.codec.pending:  # type: ignore[union-attr]
                self.last = self.clock()
        except RemoteProtocolError as exc:
            log.info("wrapper peer %s sent garbage: %s; closing", self.peer, exc)
            self.transport.close()  # type: ignore[union-attr]
            return
        if out:
            self.transport.write(out)  # type: ignore[union-attr]

    def _check_idle(self) -> None:
        remaining = self.last + self.idle_timeout - self.clock()
        if remaining > 0:
            self.timer = asyncio.get_running_loop().call_later(remaining, self._check_idle)
            return
        self.timer = None
        log.info("wrapper peer %s idle for %.1f s; closing", self.peer, self.idle_timeout)
        self.transport.close()  # type: ignore[union-attr]


class HdlcPeer:
    """The HDLC side of one byte stream: a link and an association per endpoint listening on it."""

    __slots__ = ("links",)

    def __init__(self, endpoints: list[DlmsEndpoint], point_to_point: bool = True) -> None:
        self.links = [
            (
                ep,
                HdlcServerConnection(ep.physical_address, point_to_point=point_to_point),
                ep.association(),
            )
            for ep in endpoints
        ]

    def feed(self, data: bytes, now: float) -> bytes:
        """Give ``data`` (b"" = none, just time passing) to every link; the octets they answer."""
        out = b""
        for endpoint, link, association in self.links:
            if data:
                link.receive_data(data)
            _pump_hdlc(endpoint, link, association)
            if link.check_timeout(now) is not None:
                association.release()
            sent = link.data_to_send()
            if sent:
                out += sent
        return out

    def release(self) -> None:
        """Drop every association on this stream."""
        for _, _, association in self.links:
            association.release()


async def hdlc_session(
    reader,
    writer,
    endpoints: list[DlmsEndpoint],
    point_to_point: bool = True,
    idle_timeout: float = IDLE_TIMEOUT,
    monotonic: Callable[[], float] | None = None,
) -> None:
    """Serve one HDLC byte stream; every endpoint listens to it and answers only its own address."""
    loop = asyncio.get_running_loop()
    now = monotonic or loop.time
    peer = HdlcPeer(endpoints, point_to_point)
    last = now()
    try:
        while True:
            data = await _read(reader, min(1.0, idle_timeout))
            if not data and reader.at_eof():
                return
            if data:
                last = now()
            elif now() - last >= idle_timeout:
                log.info(
                    "HDLC peer %s idle for %.0f s; closing",
                    writer.get_extra_info("peername"),
                    idle_timeout,
                )
                return
            out = peer.feed(data, now())
            if out:
                writer.write(out)
            await writer.drain()
    except ConnectionError:
        return
    finally:
        peer.release()
        _close(writer)


class HdlcProtocol(_Connection):
    """One HDLC-over-TCP connection served in ``data_received``; a 1 s loop timer runs the link timers."""

    def __init__(
        self,
        endpoints: list[DlmsEndpoint],
        idle_timeout: float = IDLE_TIMEOUT,
        limit: ConnectionLimit | None = None,
        point_to_point: bool = True,
    ) -> None:
        super().__init__(idle_timeout, limit)
        self.endpoints = endpoints
        self.point_to_point = point_to_point

    def start(self) -> None:
        """An HDLC peer for the endpoints and the link timer."""
        self.peer_state = HdlcPeer(self.endpoints, self.point_to_point)
        self._schedule()

    def data_received(self, data: bytes) -> None:
        """Feed every link; write what they answer."""
        self.last = now = self.clock()
        out = self.peer_state.feed(data, now)  # type: ignore[union-attr, call-arg]
        if out:
            self.transport.write(out)  # type: ignore[union-attr]

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(min(1.0, self.idle_timeout), self._tick)

    def _tick(self) -> None:
        now = self.clock()
        if now - self.last >= self.idle_timeout:
            self.timer = None
            log.info("HDLC peer %s idle for %.0f s; closing", self.peer, self.idle_timeout)
            self.transport.close()  # type: ignore[union-attr]
            return
        out = self.peer_state.feed(b"", now)  # type: ignore[union-attr, call-arg]
        if out:
            self.transport.write(out)  # type: ignore[union-attr]
        self._schedule()


def _pump_hdlc(
    endpoint: DlmsEndpoint, link: HdlcServerConnection, association: AssociationServer
) -> None:
    while True:
        event = link.next_event()
        if event is NEED_DATA:
            return
        if isinstance(event, ApduReceived):
            endpoint.sync()
            try:
                response = association.handle(event.client, event.apdu)
            except K351CError as exc:
                log.warning("request failed: %s", exc)
                response = None
            if response is not None and not event.unnumbered:
                link.send_apdu(response)
        elif isinstance(event, Disconnected):
            association.release()


class ConnectionLimit:
    """At most ``limit`` simultaneous connections on one listener; the next is closed at once and logged."""

    def __init__(self, limit: int, what: str) -> None:
        self.limit = limit
        self.what = what
        self.active = 0

    def admit(self, peer: object) -> bool:
        """Take a slot for a new connection from ``peer``; False (logged) when all are taken."""
        if self.active >= self.limit:
            log.warning(
                "%s: refusing %s, %d connections already open (max_connections=%d)",
                self.what,
                peer,
                self.active,
                self.limit,
            )
            return False
        self.active += 1
        log.info("%s: connection from %s", self.what, peer)
        return True

    def leave(self) -> None:
        """Give a connection's slot back."""
        self.active -= 1

    def wrap(self, session: Callable) -> Callable:
        """A stream connection handler that refuses beyond the limit, else runs ``session``."""

        async def handler(reader, writer) -> None:
            if not self.admit(writer.get_extra_info("peername")):
                _close(writer)
                return
            try:
                await session(reader, writer)
            finally:
                self.leave()

        return handler


def _limits(runtime: Runtime, kind: str) -> tuple[ConnectionLimit, float]:
    settings = runtime.settings
    limit = ConnectionLimit(int(settings.get("max_connections", 64)), f"DLMS {kind}")
    idle = float(
        settings.get("tcp_inactivity" if kind == "wrapper" else "hdlc_inactivity", IDLE_TIMEOUT)
    )
    return limit, idle


async def wrapper_listener(runtime: Runtime) -> asyncio.AbstractServer | None:
    """Start the wrapper listener on the runtime's DLMS port (0 = off)."""
    port = int(runtime.settings.get("dlms_port", 4059))
    if not port:
        return None
    endpoint = endpoint_for(runtime)
    route = lambda destination: endpoint if destination in (SERVER_SAP, 0x7F) else None  # noqa: E731
    limit, idle = _limits(runtime, "wrapper")
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: WrapperProtocol(route, idle, limit), runtime.host, port
    )
    log.info("DLMS wrapper listening on %s:%d", runtime.host, port)
    return server


async def hdlc_listener(runtime: Runtime) -> asyncio.AbstractServer | None:
    """Start the HDLC-over-TCP listener on the runtime's HDLC port (0 = off)."""
    port = int(runtime.settings.get("hdlc_port", 4060))
    if not port:
        return None
    endpoint = endpoint_for(runtime)
    limit, idle = _limits(runtime, "HDLC")
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HdlcProtocol([endpoint], idle, limit), runtime.host, port
    )
    log.info(
        "DLMS HDLC listening on %s:%d (physical address %d)",
        runtime.host,
        port,
        endpoint.physical_address,
    )
    return server
