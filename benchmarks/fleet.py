"""Fleet benchmark: meters per process and RSS with every meter answering a DLMS GET, meter-days/s, backfill time.

1. serve: N meters (default 10,000) in one process, a wrapper port each; then every meter (or --sample)
   is asked over TCP: AARQ (public client) + GET 1-0:1.8.0.255 attribute 2, pre-encoded by gurux, then close.
   Reported: start time, resident memory after start and after all answered, answered count, GET/s.
2. simulate: CPU time of the vectorised engine for N meters x 7 days -> simulated meter-days per second.
3. backfill: wall time to create a year of 15-min profile for N meters, shards in --processes processes
   (with --quick: 30 days, extrapolated to a year and marked so).

    python benchmarks/fleet.py [--meters 10000] [--processes 2] [--quick] [--serve-only]
                               [--parts serve,simulate,backfill] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from gurux_dlms import GXDLMSClient
from gurux_dlms.enums import Authentication, InterfaceType
from gurux_dlms.objects import GXDLMSRegister

from k351c import MeterConfig, SimClock
from k351c.cli.fleet_backfill import keep_heap
from k351c.clock import parse_instant
from k351c.meter.fleet import Fleet
from k351c.server.fleet import FleetServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from testkit import free_base  # noqa: E402

START = parse_instant("2025-01-01T00:00:00Z").timestamp()
YEAR = 365 * 86400.0


def request_bytes() -> list[bytes]:
    """AARQ and GET of 1-0:1.8.0.255 attribute 2 as a public gurux client sends them (wrapper); closing releases."""
    client = GXDLMSClient(True, 16, 1, Authentication.NONE, None, InterfaceType.WRAPPER)
    aarq = bytes(client.aarqRequest()[0])
    get = bytes(client.read(GXDLMSRegister("1.0.1.8.0.255"), 2)[0])
    return [aarq, get]


async def ask(port: int, frames: list[bytes], sem: asyncio.Semaphore) -> bool:
    """One meter: associate, GET, close; True when the GET answered with data."""
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
        except (OSError, TimeoutError):
            return False
        ok = False
        try:
            for n, frame in enumerate(frames):
                writer.write(frame)
                await writer.drain()
                header = await asyncio.wait_for(reader.readexactly(8), 10)
                body = await reader.readexactly(int.from_bytes(header[6:8], "big"))
                if n == 1:
                    ok = body[:2] == b"\xc4\x01" and body[3] == 0
            return ok
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            return False
        finally:
            writer.close()


def _serve_process(meters: int, base: int, ready) -> None:  # noqa: ANN001
    """The fleet server in its own process (so the client does not share its GIL)."""
    fleet = Fleet(MeterConfig.default(), meters=meters, start=START)
    fleet.advance_to(START + 86400)
    server = FleetServer(
        fleet, SimClock(START + 86400, rate=0), dlms_base_port=base, test_keys=True, tick=1.0
    )
    server.on_tick.append(lambda _: ready.set())

    async def run() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, server.stopping.set)
        await server.run()

    asyncio.run(run())


def process_rss_mib(pid: int) -> float:
    """Resident set size (MiB) of a process, from /proc."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bench_serve(meters: int, sample: int | None) -> dict:
    """Start N meters in one server process and ask each (or a sample) for its energy over DLMS."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    base = free_base(meters, first=1024, step=997, reuse_address=True)  # below the ephemeral range first
    t0 = time.perf_counter()
    proc = ctx.Process(target=_serve_process, args=(meters, base, ready), daemon=True)
    proc.start()
    if not ready.wait(600):
        raise RuntimeError("the fleet did not start")
    start_s = time.perf_counter() - t0
    rss_start = process_rss_mib(proc.pid)
    step = max(1, meters // sample) if sample else 1
    ports = [base + i for i in range(0, meters, step)]
    frames = request_bytes()

    async def everyone() -> list[bool]:
        sem = asyncio.Semaphore(64)
        return await asyncio.gather(*(ask(p, frames, sem) for p in ports))

    t1 = time.perf_counter()
    answers = asyncio.run(everyone())
    elapsed = time.perf_counter() - t1
    rss_end = process_rss_mib(proc.pid)
    proc.terminate()
    proc.join(60)
    return {
        "meters_in_process": meters,
        "start_s": round(start_s, 2),
        "rss_after_start_mib": round(rss_start, 1),
        "rss_after_all_answered_mib": round(rss_end, 1),
        "asked": len(ports),
        "answered": int(sum(answers)),
        "associate_get_per_s": round(len(ports) / elapsed, 1),
    }


def bench_simulate(meters: int, days: int) -> dict:
    """CPU time of the engine for ``days`` of ``meters`` meters."""
    fleet = Fleet(MeterConfig.default(), meters=meters, start=START)
    fleet.advance_to(START + 900)
    t0 = time.process_time()
    fleet.advance_to(START + days * 86400.0)
    cpu = time.process_time() - t0
    return {"simulated_meter_days_per_s_per_core": round(meters * days / cpu, 1)}


def _shard(args: tuple[int, int, float]) -> float:
    count, first, seconds = args
    fleet = Fleet(MeterConfig.default(), meters=count, start=START, first_serial=first)
    fleet.advance_to(START + seconds)
    with tempfile.TemporaryDirectory() as tmp:
        fleet.save(os.path.join(tmp, "fleet.npz"))
    return fleet.t


def bench_backfill(meters: int, processes: int, seconds: float) -> dict:
    """Wall time to backfill ``seconds`` for ``meters`` meters over ``processes`` shards (state saved)."""
    sizes = [meters // processes + (1 if k < meters % processes else 0) for k in range(processes)]
    firsts = [12345678 + sum(sizes[:k]) for k in range(processes)]
    with ProcessPoolExecutor(processes, initializer=keep_heap) as pool:  # as k351c backfill's
        list(pool.map(_shard, [(1, 1, 900.0)] * processes))  # warm the BDEW cache and imports
        t0 = time.perf_counter()
        list(pool.map(_shard, [(s, f, seconds) for s, f in zip(sizes, firsts, strict=True)]))
        wall = time.perf_counter() - t0
    year = wall * YEAR / seconds
    return {
        "backfill_days": round(seconds / 86400),
        "backfill_processes": processes,
        "backfill_wall_s": round(wall, 1),
        "backfill_year_s": round(year, 1),
        "backfill_year_extrapolated": seconds < YEAR,
    }


def main(argv: list[str] | None = None) -> dict:
    """Run the three fleet benchmarks, print a table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=10000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--sample", type=int, default=None, help="ask only this many meters (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="30 days of backfill, extrapolated")
    parser.add_argument("--json", default=None, help="write the results here as JSON")
    parser.add_argument(
        "--serve-only", action="store_true", help="only the serve benchmark (same as --parts serve)"
    )
    parser.add_argument(
        "--parts", default="serve,simulate,backfill", help="which benchmarks, comma-separated"
    )
    args = parser.parse_args(argv)
    parts = {"serve"} if args.serve_only else set(args.parts.split(","))
    results: dict = {"meters": args.meters, "processes": args.processes}
    if "serve" in parts:
        results.update(bench_serve(args.meters, args.sample))
    if "simulate" in parts:
        results.update(bench_simulate(min(args.meters, 10000), 3 if args.quick else 7))
    if "backfill" in parts:
        results.update(
            bench_backfill(args.meters, args.processes, (30 if args.quick else 365) * 86400.0)
        )
    print("| metric | value |")
    print("| --- | ---: |")
    for key, value in results.items():
        print(f"| {key} | {value} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2)
    return results


if __name__ == "__main__":
    main()
