"""DLMS/COSEM endpoints and listeners: the IEC 62056-47 wrapper and HDLC (IEC 62056-46) on TCP.

A ``DlmsEndpoint`` (k351c.server.endpoint) is one logical device (one meter), built by ``dlms_endpoint``
for serve, fleet and multidrop alike; its sessions (k351c.server.dlms_peers) run on the one transport layer
(k351c.server.transport), which fleets also use to route many endpoints through one port.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from k351c.codes.server import ServerSettings
from k351c.cosem.model import ObjectList
from k351c.meter.catalog import logical_device_name
from k351c.protocols.dlms.secure import SECURE_CLIENTS, SecureAssociation
from k351c.protocols.hdlc import HdlcParameters
from k351c.server.bench.link import runtime_tap
from k351c.server.dlms_peers import HdlcPeer, WrapperPeer
from k351c.server.endpoint import DlmsEndpoint
from k351c.server.runtime import Runtime
from k351c.server.transport import ConnectionLimit, listen_tcp

if TYPE_CHECKING:
    from k351c.server.bench import Bench
    from k351c.server.security import MeterSecurity

log = logging.getLogger("k351c.dlms")

SERVER_SAP = 1
HDLC_TICK = 1.0  # s between runs of the HDLC link timers


def hdlc_parameters(settings: ServerSettings | Mapping[str, object]) -> HdlcParameters:
    """The HDLC link's window and maximum information field, the values the HDLC setup object shows."""
    settings = ServerSettings.coerce(settings)
    window, info = settings.hdlc_window, settings.hdlc_max_info
    return HdlcParameters(info, info, window, window)


def dlms_endpoint(
    objects: ObjectList,
    serial: str,
    password: Callable[[], str],
    security: Callable[[], MeterSecurity],
    settings: ServerSettings,
    *,
    sync: Callable[[], None] = lambda: None,
    physical_address: int | None = None,
    bench: Bench | None = None,
    meter: int = 0,
) -> DlmsEndpoint:
    """The one DLMS endpoint builder (serve, fleet, multidrop): public, LLS and HLS-GMAC associations.

    ``security`` gives the meter's keeper (keys, policy, invocation counters) when the first secured
    association needs it; the HDLC address is ``physical_address`` or the settings'; the bench's
    quirks of meter ``meter`` apply.
    """
    physical = physical_address or settings.physical_address_for(serial)

    def secure(endpoint: DlmsEndpoint, on_event: Callable) -> SecureAssociation:
        return SecureAssociation(
            endpoint.objects,
            endpoint.authenticate,
            security(),
            endpoint.clients or SECURE_CLIENTS,
            on_event,
            counter_per_dedicated_key="counter-per-dedicated-key" in endpoint.quirks,
        )

    endpoint = DlmsEndpoint(
        objects,
        password,
        sync,
        physical,
        logical_device_name(serial),
        secure=secure,
        hdlc=hdlc_parameters(settings),
    )
    if bench is not None:
        bench.configure(endpoint, meter)
    return endpoint


def endpoint_for(runtime: Runtime) -> DlmsEndpoint:
    """The DLMS endpoint of the runtime's meter (its security keeper and class 64 objects installed)."""
    from k351c.server.security import security_for

    security = security_for(runtime)
    return dlms_endpoint(
        runtime.objects,
        runtime.meter.config.serial,
        lambda: runtime.keys.keys.lls_password,
        lambda: security,
        runtime.settings,
        sync=runtime.sync,
        bench=runtime.bench,
    )


def own_route(endpoint: DlmsEndpoint) -> Callable[[int], DlmsEndpoint | None]:
    """Wrapper routing of a port with one logical device: server wPort 1, or 0x7F (all stations)."""
    return lambda destination: endpoint if destination in (SERVER_SAP, 0x7F) else None


async def wrapper_listener(runtime: Runtime) -> asyncio.AbstractServer | None:
    """Start the wrapper listener on the runtime's DLMS port (0 = off)."""
    settings = runtime.settings
    port = settings.dlms_port
    if not port:
        return None
    route = own_route(endpoint_for(runtime))
    server = await listen_tcp(
        lambda link: WrapperPeer(route),
        "DLMS wrapper",
        runtime.host,
        port,
        idle_timeout=settings.tcp_inactivity,
        limit=ConnectionLimit(settings.max_connections, "DLMS wrapper"),
        tap=runtime_tap(runtime, f"wrapper:{port}", "wrapper"),
    )
    log.info("DLMS wrapper listening on %s:%d", runtime.host, port)
    return server


async def hdlc_listener(runtime: Runtime) -> asyncio.AbstractServer | None:
    """Start the HDLC-over-TCP listener on the runtime's HDLC port (0 = off)."""
    settings = runtime.settings
    port = settings.hdlc_port
    if not port:
        return None
    endpoint = endpoint_for(runtime)
    server = await listen_tcp(
        lambda link: HdlcPeer([endpoint]),
        "DLMS HDLC",
        runtime.host,
        port,
        idle_timeout=settings.hdlc_inactivity,
        limit=ConnectionLimit(settings.max_connections, "DLMS HDLC"),
        tick=HDLC_TICK,
        tap=runtime_tap(runtime, f"hdlc:{port}", "hdlc"),
    )
    log.info(
        "DLMS HDLC listening on %s:%d (physical address %d)",
        runtime.host,
        port,
        endpoint.physical_address,
    )
    return server
