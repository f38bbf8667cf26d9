"""Load on one meter: many concurrent wrapper connections, idle and slowloris clients, reconnect storms."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import time

import pytest
from reliability_harness import (
    AARQ,
    GET_ENERGY,
    answered,
    associate_and_get,
    raise_nofile,
    read_frame,
)

pytestmark = pytest.mark.timeout(120)


def open_fds() -> int:
    """Open file descriptors of this process (the server runs in a thread of it)."""
    return len(os.listdir("/proc/self/fd"))


async def _concurrent(port: int, n: int, hold: float) -> tuple[int, float]:
    """n clients at once, each associating and reading; (how many answered, wall seconds)."""
    start = time.perf_counter()
    results = await asyncio.gather(
        *(associate_and_get(port, 2, hold) for _ in range(n)), return_exceptions=True
    )
    ok = sum(1 for r in results if not isinstance(r, BaseException) and answered(r))
    return ok, time.perf_counter() - start


@pytest.mark.parametrize("n", [200, pytest.param(1000, marks=pytest.mark.slow)])
def test_concurrent_wrapper_connections_all_answer(served, n: int) -> None:
    raise_nofile(4 * n + 256)
    meter = served(max_connections=n + 10)
    ok, seconds = asyncio.run(_concurrent(meter.settings.dlms_port, n, hold=0.5))
    print(f"{n} connections: {ok} answered in {seconds:.2f} s")
    assert ok == n


def test_connection_limit_refuses_clearly_and_recovers(served, caplog) -> None:
    meter = served(max_connections=20)
    port = meter.settings.dlms_port

    async def scenario() -> tuple[int, bytes]:
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
        await asyncio.sleep(0.2)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(AARQ)
        try:
            refused = await asyncio.wait_for(reader.read(100), 5)
        except ConnectionResetError:
            refused = b""
        writer.close()
        for _, w in held:
            w.close()
        await asyncio.sleep(0.3)
        return len(held), refused

    with caplog.at_level("WARNING", logger="k351c.dlms"):
        _, refused = asyncio.run(scenario())
    assert refused == b"", "a connection beyond the limit is closed without an answer"
    assert any("max_connections=20" in r.getMessage() for r in caplog.records)
    assert answered(asyncio.run(associate_and_get(port)))


def test_idle_clients_are_closed_after_the_inactivity_time(served) -> None:
    meter = served(tcp_inactivity=0.5, hdlc_inactivity=0.5)

    async def closed_after(port: int) -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        start = time.perf_counter()
        assert await asyncio.wait_for(reader.read(10), 5) == b""
        writer.close()
        return time.perf_counter() - start

    for port in (meter.settings.dlms_port, meter.settings.hdlc_port):
        assert 0.4 <= asyncio.run(closed_after(port)) < 3.0


def test_idle_and_slowloris_clients_do_not_block_others(served) -> None:
    meter = served(max_connections=200)
    port = meter.settings.dlms_port

    async def slowloris(stop: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        partial = GET_ENERGY[:-1]
        i = 0
        while not stop.is_set():
            writer.write(partial[i % len(partial) : i % len(partial) + 1])
            i += 1
            await asyncio.sleep(1.0)
        writer.close()

    async def scenario() -> list[float]:
        stop = asyncio.Event()
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(50)]
        slow = [asyncio.create_task(slowloris(stop)) for _ in range(50)]
        await asyncio.sleep(1.5)
        latencies = []
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(AARQ)
        await read_frame(reader)
        for _ in range(100):
            t0 = time.perf_counter()
            writer.write(GET_ENERGY)
            assert (await read_frame(reader))[:4] == bytes.fromhex("c401c100")
            latencies.append(time.perf_counter() - t0)
        writer.close()
        stop.set()
        await asyncio.gather(*slow)
        for _, w in idle:
            w.close()
        return latencies

    latencies = sorted(asyncio.run(scenario()))
    print(f"GET latency with 50 idle + 50 slowloris clients: median {latencies[50] * 1000:.1f} ms")
    assert latencies[95] < 0.5


def test_reconnect_storm_leaves_no_leak(served) -> None:
    meter = served(max_connections=100)
    port = meter.settings.dlms_port
    baseline = open_fds()

    def storm(n: int) -> None:
        for i in range(n):
            sock = socket.create_connection(("127.0.0.1", port))
            if i % 3 == 1:
                sock.sendall(AARQ[: 5 + i % 20])
            elif i % 3 == 2:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()

    storm(600)
    time.sleep(1.0)
    assert answered(asyncio.run(associate_and_get(port)))
    assert open_fds() <= baseline + 10


def test_reset_hdlc_connection_does_not_spin(served) -> None:
    meter = served(hdlc_inactivity=30)
    sock = socket.create_connection(("127.0.0.1", meter.settings.hdlc_port))
    sock.sendall(bytes.fromhex("7EA0070321930F017E"))
    time.sleep(0.3)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    time.sleep(0.3)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    time.sleep(1.5)
    share = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    assert share < 0.5, f"server used {share:.0%} CPU with no client"


def test_slowloris_partial_frame_is_dropped_after_the_inactivity_time(served) -> None:
    meter = served(tcp_inactivity=1.0)

    async def scenario() -> bool:
        reader, writer = await asyncio.open_connection("127.0.0.1", meter.settings.dlms_port)
        for octet in GET_ENERGY[:12]:
            writer.write(bytes([octet]))
            await asyncio.sleep(0.3)
            if reader.at_eof():
                break
        try:
            closed = reader.at_eof() or await asyncio.wait_for(reader.read(1), 0.5) == b""
        except TimeoutError:
            closed = False
        writer.close()
        return closed

    assert asyncio.run(scenario()), "a client trickling one frame forever holds a connection slot"
