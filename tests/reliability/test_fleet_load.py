"""Load on a fleet: 200 concurrent wrapper connections over 120 meters in one process, one register each."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from reliability_harness import AARQ, GET_ENERGY, answered, raise_nofile, read_frame

from k351c.codes.tables import CT_PRIMARY
from k351c.server.fleet import FleetServer
from testkit import ServedFleet, bound_block

CT_RATIOS = np.array(sorted(CT_PRIMARY.values()))  # every ratio configuration 5 SSS encodes

pytestmark = pytest.mark.timeout(60)

N = 120
CONNECTIONS = 200
START = 1772323200.0  # 2026-03-01T00:00:00Z


@pytest.fixture(
    scope="module",
    params=[256, pytest.param(64, marks=pytest.mark.slow)],
    ids=["all-views-cached", "lru-churn"],
)
def fleet_server(request):
    """120 meters with their own wrapper ports and one shared wrapper port, frozen clock.

    With a view cache of 64 (fewer than the meters) views are rebuilt under load: ~3.5x slower.
    """
    from k351c import MeterConfig, SimClock
    from k351c.meter.fleet import Fleet

    raise_nofile(4096)
    fleet = Fleet(MeterConfig.default(), meters=N, start=START, ct_primary=CT_RATIOS[np.arange(N) % CT_RATIOS.size])
    sockets = bound_block(N + 1)
    base = min(sockets)
    server = FleetServer(
        fleet,
        SimClock(START + 86400, rate=0),
        dlms_base_port=base,
        shared_port=base + N,
        test_keys=True,
        tick=0.2,
        cache=request.param,
    )
    running = ServedFleet(server, sockets)
    yield running, base
    running.stop()


def addressed(frame: bytes, destination: int) -> bytes:
    """A wrapper frame with its destination wPort replaced."""
    return frame[:4] + destination.to_bytes(2, "big") + frame[6:]


async def read_one(port: int, destination: int) -> list[bytes]:
    """Associate as the public client on `port` / wPort `destination` and GET 1-0:1.8.0.255."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(addressed(AARQ, destination))
        answers = [await asyncio.wait_for(read_frame(reader), 30)]
        writer.write(addressed(GET_ENERGY, destination))
        answers.append(await asyncio.wait_for(read_frame(reader), 30))
        await asyncio.sleep(0.2)  # hold the connection so all 200 are open together
        return answers
    finally:
        writer.close()


def energy(answer: bytes) -> int:
    """The double-long-unsigned (06) or long64-unsigned (15) of a GET-Response-Normal."""
    assert answer[:4] == bytes.fromhex("c401c100") and answer[4] in (0x06, 0x15), answer.hex()
    return int.from_bytes(answer[5 : 9 if answer[4] == 0x06 else 13], "big")


def test_200_concurrent_connections_over_120_meters(fleet_server) -> None:
    from k351c.meter.energy import PRIMARY

    running, base = fleet_server
    fleet = running.server.fleet
    shared = running.server.ports[2]
    targets = []
    for k in range(CONNECTIONS):
        i = (k * 7) % N
        targets.append((i, (shared, i + 1) if k % 2 else (base + i, 1)))

    async def storm() -> list:
        return await asyncio.gather(*(read_one(*where) for _, where in targets))

    t0 = time.perf_counter()
    results = asyncio.run(storm())
    seconds = time.perf_counter() - t0
    ok = [answered(r) for r in results]
    print(f"{sum(ok)}/{CONNECTIONS} answered over {N} meters in {seconds:.2f} s")
    assert all(ok)
    meters = {i for i, _ in targets}
    assert len(meters) >= 100
    for (i, _), answers in zip(targets, results, strict=True):
        assert energy(answers[1]) == int(fleet.registers(i, PRIMARY)[0, 0]), i
