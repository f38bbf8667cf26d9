"""The wireless M-Bus module (064): periodic OMS telegrams (mode 5 encrypted) to a sink.

The radio is simulated by a sink: ``udp://HOST:PORT`` sends each telegram (frame format A, with
CRCs) as one datagram; any other text is a file path to which each telegram is appended as one
line of hex. The AES key is the meter's encryption key from its key file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path

from k351c.meter.core import Meter
from k351c.protocols.mbus.records import DataRecord
from k351c.protocols.wmbus import WirelessTelegram
from k351c.server.mbus import MeterBackend

log = logging.getLogger("k351c.server.wmbus")

WMBUS_MODULE = 64
_TASKS: set[asyncio.Task] = set()


def send_to_sink(sink: str, data: bytes) -> None:
    """Deliver one telegram to a UDP address or append it as hex to a file."""
    if sink.startswith("udp://"):
        host, _, port = sink[len("udp://") :].rpartition(":")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(data, (host or "127.0.0.1", int(port)))
        return
    with Path(sink).open("a", encoding="ascii") as out:
        out.write(data.hex().upper() + "\n")


class WirelessSender:
    """Builds the meter's telegrams: energy totals and tariffs, power, date/time (fits one telegram)."""

    def __init__(self, meter: Meter, key: bytes | None) -> None:
        self.meter = meter
        self.key = key
        self.backend = MeterBackend(meter)
        self.access_number = 0

    def records(self) -> list[DataRecord]:
        """The records sent over the air (voltages and currents are left to the wired channels)."""
        b = self.backend
        return b.energy_records() + b.instantaneous_records()[:1] + b.identity_records()[:1]

    def telegram(self) -> bytes:
        """The next telegram (the access number counts up by one per telegram)."""
        self.meter.sync()
        self.access_number = (self.access_number + 1) & 0xFF
        frame = WirelessTelegram(
            self.backend.ident,
            tuple(self.records()),
            self.access_number,
            self.backend.status_byte(),
        )
        return frame.to_bytes(self.key)

    async def run(self, sink: str, interval: float, stopping: asyncio.Event) -> None:
        """Send a telegram every ``interval`` seconds until stopping is set."""
        while not stopping.is_set():
            try:
                send_to_sink(sink, self.telegram())
            except OSError as exc:
                log.warning("wM-Bus sink %s: %s", sink, exc)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stopping.wait(), interval)


async def wmbus_listener(runtime) -> None:
    """A Runtime listener factory: starts the sender when module 064 is fitted (settings wmbus_sink/interval)."""
    if runtime.meter.config.module_code != WMBUS_MODULE:
        return None
    sink = runtime.settings.wmbus_sink
    interval = runtime.settings.wmbus_interval
    sender = WirelessSender(runtime.meter, bytes.fromhex(runtime.keys.keys.encryption_key))
    task = asyncio.create_task(sender.run(sink, interval, runtime.stopping))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    log.info("wM-Bus telegrams every %.0f s to %s", interval, sink)
    return None
