"""The RS-485 multidrop module (072): several meters on one HDLC bus, each answering only its physical address.

The bus is one TCP port (as behind a serial server) or one serial line. Every meter hears every
frame; the HDLC codec of each meter drops frames for other physical addresses, so a head-end polls
the meters in turn over the same connection. Sessions are the DLMS server's: ``DlmsEndpoint`` per
meter, run by ``k351c.server.dlms.hdlc_session`` with point-to-point behaviour off (no answer to
the all-station address, which would collide on a shared bus).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from k351c.meter.catalog import logical_device_name
from k351c.meter.core import Meter
from k351c.server.dlms import DlmsEndpoint, endpoint_for, hdlc_session

log = logging.getLogger("k351c.server.multidrop")

RS485_MODULE = 72
SERIAL_BAUD = 9600
_TASKS: set[asyncio.Task] = set()


def meter_endpoint(
    meter: Meter, password: str, physical_address: int | None = None
) -> DlmsEndpoint:
    """A DLMS endpoint for a bare meter (fleets and tests): its own object list and the LLS password."""
    from k351c.cosem import build_object_list
    from k351c.protocols.hdlc import default_physical_address

    physical = physical_address or default_physical_address(int(meter.config.serial))
    return DlmsEndpoint(
        build_object_list(meter),
        lambda: password,
        meter.sync,
        physical,
        logical_device_name(meter.config.serial),
    )


async def serve_multidrop(
    endpoints: Sequence[DlmsEndpoint], host: str, port: int
) -> asyncio.AbstractServer:
    """One TCP port as the RS-485 bus: every connection reaches every endpoint by its physical address."""
    addresses = [e.physical_address for e in endpoints]
    if len(set(addresses)) != len(addresses):
        from k351c.errors import ConfigError

        raise ConfigError("physical addresses", addresses, "distinct addresses on one bus")
    server = await asyncio.start_server(
        lambda r, w: hdlc_session(r, w, list(endpoints), point_to_point=False), host, port
    )
    log.info("RS-485 multidrop bus on %s:%d with %d meters", host, port, len(endpoints))
    return server


class _SerialWriter:
    """The writer half of a serial line as hdlc_session expects it."""

    def __init__(self, port) -> None:
        self.port = port

    def write(self, data: bytes) -> None:
        """Queue bytes on the line."""
        self.port.write(data)

    async def drain(self) -> None:
        """pyserial writes synchronously; nothing to wait for."""

    def close(self) -> None:
        """The line stays open until the bus stops."""


async def serve_multidrop_serial(
    endpoints: Sequence[DlmsEndpoint],
    device: str,
    stopping: asyncio.Event,
    baudrate: int = SERIAL_BAUD,
) -> None:
    """Serve the endpoints on a serial line (8N1) until ``stopping`` is set."""
    import serial

    port = serial.serial_for_url(device, baudrate=baudrate, timeout=0.1)
    reader = asyncio.StreamReader()
    session = asyncio.create_task(
        hdlc_session(reader, _SerialWriter(port), list(endpoints), point_to_point=False)
    )
    try:
        while not stopping.is_set() and not session.done():
            data = await asyncio.to_thread(port.read, 256)
            if data:
                reader.feed_data(data)
    finally:
        reader.feed_eof()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(session, 2)
        port.close()


def multidrop_serial_listener(device: str | None):
    """A Runtime listener factory: the meter on an RS-485 serial line when module 072 is fitted."""

    async def factory(runtime) -> asyncio.AbstractServer | None:
        if device and runtime.meter.config.module_code == RS485_MODULE:
            task = asyncio.create_task(
                serve_multidrop_serial([endpoint_for(runtime)], device, runtime.stopping)
            )
            _TASKS.add(task)
            task.add_done_callback(_TASKS.discard)
        return None

    return factory
