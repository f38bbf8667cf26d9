"""Bench switches per fleet meter range: each meter's port shows its own quirks and faults."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from bench_harness import eventually
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSRegister

from k351c import MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.meter.fleet import Fleet
from k351c.server.bench import Bench, bench_options
from k351c.server.fleet import FleetServer
from testkit import free_base

START = "2026-03-01T00:00:00Z"
N = 4


@pytest.fixture
def fleet_bench(tmp_path):
    start = parse_instant(START).timestamp()
    fleet = Fleet(MeterConfig.default(), meters=N, start=start)
    clock = SimClock(start + 3600, rate=0)
    options = bench_options(
        trace=tmp_path / "fleet.jsonl", quirks=["no-release@1-2"], faults=["drop=1@3"]
    )
    base = free_base(N, first=41000, step=1400)
    server = FleetServer(
        fleet, clock, dlms_base_port=base, state=tmp_path / "state", test_keys=True, tick=0.2,
        bench=Bench(options, clock.timestamp),
    )
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def main() -> None:
            server.stopping = asyncio.Event()
            server.on_tick.append(lambda fleet: started.set())
            await server.run()

        loop.run_until_complete(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(60)
    yield server, base, tmp_path / "fleet.jsonl"
    loop.call_soon_threadsafe(server.stopping.set)
    thread.join(30)


def session(port: int) -> GuruxSession:
    s = GuruxSession(port)
    s.sock.settimeout(5)
    return s


def test_quirks_and_faults_follow_the_meter_range(fleet_bench):
    server, base, trace = fleet_bench
    plain = session(base + 0)
    plain.connect()
    plain.read(GXDLMSRegister("1.0.1.8.0.255"), 2)
    plain.close()  # meter 0: RLRE comes
    for i in (1, 2):
        quirky = session(base + i)
        quirky.connect()
        quirky.sock.settimeout(1)
        with pytest.raises(TimeoutError):  # meters 1-2: no RLRE
            quirky.request(quirky.client.releaseRequest())
        quirky.sock.close()
    dropped = session(base + 3)
    dropped.sock.settimeout(1)
    with pytest.raises(TimeoutError):  # meter 3: every answer dropped
        dropped.connect()
    dropped.sock.close()
    assert eventually(lambda: server.bench.counters[("drop", f"wrapper:{base + 3}")] == 1)
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    rlre = [r["meter"] for r in records if r["decoded"].get("apdu", {}).get("service") == "RLRE"]
    assert rlre == [0]
    assert {r["meter"] for r in records} == {0, 1, 2, 3}
