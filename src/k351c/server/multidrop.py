"""The RS-485 multidrop module (072): several meters on one HDLC bus, each answering only its physical address.

The bus is one TCP port (as behind a serial server) or one serial line. Every meter hears every
frame; the HDLC codec of each meter drops frames for other physical addresses, so a head-end polls
the meters in turn over the same connection. Each meter is a ``DlmsEndpoint`` built like a served
meter's (public, LLS, HLS-GMAC); the bus is one ``HdlcPeer`` with point-to-point behaviour off (no
answer to the all-station address, which would collide on a shared bus) on the one transport layer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from k351c.codes.server import ServerSettings
from k351c.errors import ConfigError
from k351c.meter.core import Meter
from k351c.server.bench.link import Tap, runtime_tap
from k351c.server.dlms import HDLC_TICK, endpoint_for
from k351c.server.dlms_peers import HdlcPeer
from k351c.server.endpoint import DlmsEndpoint
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime
from k351c.server.transport import (
    ConnectionLimit,
    SerialListener,
    listen_tcp,
    serve_serial,
)

log = logging.getLogger("k351c.server.multidrop")

RS485_MODULE = 72
SERIAL_BAUD = 9600


def meter_endpoint(
    meter: Meter, keys: KeyStore, physical_address: int | None = None
) -> DlmsEndpoint:
    """The DLMS endpoint of a meter on a bus, built as ``k351c serve`` builds its own (HLS included)."""
    settings = ServerSettings.coerce(
        {} if physical_address is None else {"physical_address": physical_address}
    )
    return endpoint_for(Runtime(meter, keys=keys, settings=settings))


def _distinct(endpoints: Sequence[DlmsEndpoint]) -> list[DlmsEndpoint]:
    addresses = [e.physical_address for e in endpoints]
    if len(set(addresses)) != len(addresses):
        raise ConfigError("physical addresses", addresses, "distinct addresses on one bus")
    return list(endpoints)


async def serve_multidrop(
    endpoints: Sequence[DlmsEndpoint],
    host: str,
    port: int,
    settings: ServerSettings | None = None,
) -> asyncio.AbstractServer:
    """One TCP port as the RS-485 bus: every connection reaches every endpoint by its physical address."""
    bus = _distinct(endpoints)
    settings = settings or ServerSettings()
    server = await listen_tcp(
        lambda link: HdlcPeer(bus, point_to_point=False),
        "RS-485 bus",
        host,
        port,
        idle_timeout=settings.hdlc_inactivity,
        limit=ConnectionLimit(settings.max_connections, f"RS-485 bus {port}"),
        tick=HDLC_TICK,
    )
    log.info("RS-485 multidrop bus on %s:%d with %d meters", host, port, len(bus))
    return server


async def serve_multidrop_serial(
    endpoints: Sequence[DlmsEndpoint], device: str, baudrate: int = SERIAL_BAUD, tap: Tap | None = None
) -> SerialListener:
    """Serve the endpoints on a serial line (8N1) until the returned listener is closed."""
    bus = _distinct(endpoints)
    return await serve_serial(
        lambda link: HdlcPeer(bus, point_to_point=False),
        "RS-485 bus",
        device,
        tick=HDLC_TICK,
        tap=tap,
        baudrate=baudrate,
    )


def multidrop_serial_listener(device: str | None):
    """A Runtime listener factory: the meter on an RS-485 serial line when module 072 is fitted."""

    async def factory(runtime: Runtime) -> SerialListener | None:
        if not device or runtime.meter.config.module_code != RS485_MODULE:
            return None
        tap = runtime_tap(runtime, f"hdlc:{device}", "hdlc")
        return await serve_multidrop_serial([endpoint_for(runtime)], device, tap=tap)

    return factory
