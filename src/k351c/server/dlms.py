"""DLMS/COSEM listeners: the IEC 62056-47 wrapper on TCP and HDLC (IEC 62056-46) on TCP or a serial line.

Each adapter is thin: bytes in -> sans-IO codec -> AssociationServer -> bytes out. A ``DlmsEndpoint`` is one
logical device (one meter); fleets route many endpoints through one port by wrapper or HDLC address.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from k351c.axdr.enums import AuthenticationMechanism
from k351c.codes.server import ServerSettings
from k351c.cosem.model import ObjectList
from k351c.errors import RemoteProtocolError
from k351c.meter.catalog import logical_device_name
from k351c.protocols.dlms.association import AssociationServer, ClientRule
from k351c.protocols.hdlc import HdlcParameters
from k351c.server.bench import tapped_protocol
from k351c.server.bench.link import runtime_tap
from k351c.server.dlms_connections import (
    IDLE_TIMEOUT,
    ConnectionLimit,
    HdlcProtocol,
    WrapperProtocol,
    close_quietly,
)
from k351c.server.dlms_peers import HdlcPeer, WrapperPeer, pump_hdlc
from k351c.server.runtime import Runtime

__all__ = [
    "IDLE_TIMEOUT",
    "READ_SIZE",
    "SERVER_SAP",
    "ConnectionLimit",
    "DlmsEndpoint",
    "HdlcPeer",
    "HdlcProtocol",
    "IdleTimer",
    "WrapperPeer",
    "WrapperProtocol",
    "endpoint_for",
    "hdlc_listener",
    "hdlc_session",
    "pump_hdlc",
    "wrapper_listener",
    "wrapper_session",
]

log = logging.getLogger("k351c.dlms")

SERVER_SAP = 1
READ_SIZE = 65536


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
    quirks: frozenset[str] = frozenset()  # bench quirks (k351c.server.bench.quirks)
    open_associations: set = field(default_factory=set)
    hdlc: HdlcParameters = field(default_factory=HdlcParameters)  # the link's limits (setup 3-6)

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
            association = self.secure(self, on_event)
        else:
            association = AssociationServer(self.objects, self.authenticate, self.clients, on_event)
        if self.quirks:
            from k351c.server.bench.quirks import WRAPPING_QUIRKS, QuirkyAssociation

            if self.quirks & WRAPPING_QUIRKS:
                return QuirkyAssociation(association, self.quirks, self.open_associations)
        return association


def hdlc_parameters(settings: ServerSettings | Mapping[str, object]) -> HdlcParameters:
    """The HDLC link's window and maximum information field, the values the HDLC setup object shows."""
    settings = ServerSettings.coerce(settings)
    window, info = settings.hdlc_window, settings.hdlc_max_info
    return HdlcParameters(info, info, window, window)


def endpoint_for(runtime: Runtime) -> DlmsEndpoint:
    """The DLMS endpoint of the runtime's meter."""
    serial = runtime.meter.config.serial
    physical = runtime.settings.physical_address_for(serial)
    endpoint = DlmsEndpoint(
        runtime.objects,
        lambda: runtime.keys.keys.lls_password,
        runtime.sync,
        physical,
        logical_device_name(serial),
        hdlc=hdlc_parameters(runtime.settings),
    )
    from k351c.server.security import install_security  # security hook (issue 7)

    install_security(runtime, endpoint)
    if runtime.bench is not None:
        runtime.bench.configure(endpoint, 0)
    return endpoint


async def _read(reader: asyncio.StreamReader, timeout: float) -> bytes:
    try:
        return await asyncio.wait_for(reader.read(READ_SIZE), timeout)
    except (TimeoutError, ConnectionError):
        return b""


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
        close_quietly(self.writer)


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
        close_quietly(writer)


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
        close_quietly(writer)


def _limits(runtime: Runtime, kind: str) -> tuple[ConnectionLimit, float]:
    settings = runtime.settings
    limit = ConnectionLimit(settings.max_connections, f"DLMS {kind}")
    idle = settings.tcp_inactivity if kind == "wrapper" else settings.hdlc_inactivity
    return limit, idle


async def wrapper_listener(runtime: Runtime) -> asyncio.AbstractServer | None:
    """Start the wrapper listener on the runtime's DLMS port (0 = off)."""
    port = runtime.settings.dlms_port
    if not port:
        return None
    endpoint = endpoint_for(runtime)
    route = lambda destination: endpoint if destination in (SERVER_SAP, 0x7F) else None  # noqa: E731
    limit, idle = _limits(runtime, "wrapper")
    loop = asyncio.get_running_loop()
    tap = runtime_tap(runtime, f"wrapper:{port}", "wrapper")
    server = await loop.create_server(
        tapped_protocol(tap, lambda: WrapperProtocol(route, idle, limit)), runtime.host, port
    )
    log.info("DLMS wrapper listening on %s:%d", runtime.host, port)
    return server


async def hdlc_listener(runtime: Runtime) -> asyncio.AbstractServer | None:
    """Start the HDLC-over-TCP listener on the runtime's HDLC port (0 = off)."""
    port = runtime.settings.hdlc_port
    if not port:
        return None
    endpoint = endpoint_for(runtime)
    limit, idle = _limits(runtime, "HDLC")
    loop = asyncio.get_running_loop()
    tap = runtime_tap(runtime, f"hdlc:{port}", "hdlc")
    server = await loop.create_server(
        tapped_protocol(tap, lambda: HdlcProtocol([endpoint], idle, limit)), runtime.host, port
    )
    log.info(
        "DLMS HDLC listening on %s:%d (physical address %d)",
        runtime.host,
        port,
        endpoint.physical_address,
    )
    return server
