"""Helpers of the reliability tests: a served meter in a background loop, a raw wrapper client."""

from __future__ import annotations

import asyncio
import resource
import socket
import threading

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime

H = bytes.fromhex
# Green Book AARQ (public client, lowest security) and GET 1-0:1.8.0.255 attribute 2, in wrapper frames.
AARQ = H("000100100001001F601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0")
GET_ENERGY = H("000100100001000DC001C100030100010800FF0200")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raise_nofile(wanted: int = 4096) -> None:
    """Raise this process's open-file limit toward `wanted` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Served:
    """A Runtime serving in a thread; `stop()` ends it."""

    def __init__(self, settings: dict, listeners: list) -> None:
        clock = SimClock("2026-03-01T00:00:00Z", rate=0)
        self.meter = Meter(MeterConfig.default(), clock=clock)
        self.meter.set_load(ConstantLoad(current=5.0))
        self.meter.run_for(3600)
        self.runtime = Runtime(
            self.meter, keys=KeyStore(None, test_keys=True), settings=settings, tick=0.2
        )
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(listeners,), daemon=True)
        self.thread.start()
        assert self.ready.wait(10), "listeners did not start"

    def _run(self, listeners: list) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self.runtime.stopping = asyncio.Event()
            self.runtime.on_tick.append(lambda meter: self.ready.set())
            await self.runtime.run(listeners)

        self.loop.run_until_complete(main())

    def stop(self) -> None:
        """Stop the runtime and wait for its thread."""
        self.loop.call_soon_threadsafe(self.runtime.stopping.set)
        self.thread.join(10)


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """One wrapper frame's APDU."""
    header = await reader.readexactly(8)
    return await reader.readexactly(int.from_bytes(header[6:8], "big"))


async def associate_and_get(port: int, gets: int = 1, hold: float = 0.0) -> list[bytes]:
    """Open a wrapper connection, associate as the public client, GET the energy `gets` times."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(AARQ)
        answers = [await read_frame(reader)]
        for _ in range(gets):
            writer.write(GET_ENERGY)
            answers.append(await read_frame(reader))
        if hold:
            await asyncio.sleep(hold)
        return answers
    finally:
        writer.close()


def answered(answers: list[bytes]) -> bool:
    """An accepted AARE followed by successful GET responses."""
    aare, *gets = answers
    return (
        aare[0] == 0x61
        and b"\xa2\x03\x02\x01\x00" in aare
        and all(g[:4] == H("c401c100") for g in gets)
    )
