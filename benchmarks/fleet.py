"""Fleet benchmark: start, RSS, a head-end's HLS sweep, ciphered against plain GET/s, meter-days/s, backfill.

The fleet server runs in its own process, started at ``SERVED_AT - --history-days`` and served at
``SERVED_AT`` (1 February 2025, 06:00 UTC: one debiting stop, 1 February, is in every meter's logger);
the clients run in this process. CPU time of the server is read from /proc, so every rate is given per
wall second and per CPU second of the core that did the work.

1. serve: N meters (default 10,000) in one process, a wrapper port each. Then every meter (or --sample)
   is asked, 64 connections at a time, with a reading (LLS) association: the object list, A+, one day of
   load profile (range selection), the last debiting entry (entry selection) and the standard event
   log, block transfer followed; frames pre-encoded by gurux. Reported: start time, RSS after start
   and after every meter was asked, how many answered every read with data (every logger with rows).
2. sweep: a head-end's sweep with gurux-dlms (benchmarks/fleet_headend.py): HLS-GMAC management
   association with each meter's own keys, clock, A+, a day of profile, the last debiting entry,
   release; --rounds rounds, --threads sessions in flight; meters/s (wall) and per core (server and
   client CPU seconds).
3. cipher: ciphered (HLS, authenticated and encrypted) against plain (public) GET/s on one connection,
   a single meter and a fleet meter, in the same rounds (benchmarks/fleet_cipher.py).
4. storm: a feeder outage over every meter makes each push its alarm notification twice (power down, up);
   notifications built per CPU second, beside a sample built over full views as before (benchmarks/fleet_storm.py).
4b. simulate: CPU time of the vectorised engine for N meters x 7 days -> simulated meter-days per second.
5. backfill: wall time to create a year of history for N meters with every function of the fleet
   (registers, profile, demand and peaks, debiting stops and loggers, events, quality, tamper, ...) on
   a seeded scenario of feeder outages, voltage sags, swells and phase losses and tamper switches, shards in --processes processes, median of
   --backfill-rounds; reported with what each function booked across the fleet (with --quick: 30
   days, extrapolated to a year and marked so).

    python benchmarks/fleet.py [--meters 10000] [--sample K] [--sweep-sample K] [--rounds 3] [--threads 8]
                               [--history-days 1.25] [--processes 2] [--quick] [--backfill-rounds 1]
                               [--parts serve,sweep,cipher,storm,simulate,backfill] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gurux_dlms import GXDLMSClient
from gurux_dlms.enums import Authentication, InterfaceType
from gurux_dlms.objects import GXDLMSAssociationLogicalName, GXDLMSProfileGeneric, GXDLMSRegister

from k351c import MeterConfig, SimClock
from k351c.cli.fleet_backfill import keep_heap
from k351c.clock import parse_instant
from k351c.meter.fleet import Fleet
from k351c.server.fleet import FleetServer

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "server")]
from testkit import free_base  # noqa: E402

START = parse_instant("2025-01-01T00:00:00Z").timestamp()
YEAR = 365 * 86400.0
SERVED_AT = parse_instant(
    "2025-02-01T06:00:00Z"
).timestamp()  # the 1 February debiting stop is past
DAY_ASKED = datetime(2025, 1, 31, tzinfo=UTC)  # the day of load profile every meter is asked for


def request_frames(day: datetime, entries: int) -> list[bytes]:
    """What the RSS pass asks each meter, as a reading (LLS) gurux client encodes it over the wrapper.

    AARQ (client SAP 32, lab password), the object list (association LN attribute 2), A+, one day of the
    load profile by range, the debiting logger's entry ``entries`` (its last) by entry, and the whole
    standard event log (its buffer). The bytes are the same for every meter (no ciphering), so they
    are encoded once.
    """
    client = GXDLMSClient(True, 32, 1, Authentication.LOW, "12345678", InterfaceType.WRAPPER)
    profile, debiting, events = (
        GXDLMSProfileGeneric("1.0.99.1.0.255"),
        GXDLMSProfileGeneric("0.0.98.1.0.255"),
        GXDLMSProfileGeneric("0.0.99.98.0.255"),
    )
    return [
        bytes(client.aarqRequest()[0]),
        bytes(client.read(GXDLMSAssociationLogicalName("0.0.40.0.0.255"), 2)[0]),
        bytes(client.read(GXDLMSRegister("1.0.1.8.0.255"), 2)[0]),
        bytes(client.readRowsByRange(profile, day, day + timedelta(days=1))[0]),
        bytes(client.readRowsByEntry(debiting, entries, 1)[0]),
        bytes(client.read(events, 2)[0]),
    ]


async def _exchange(reader, writer, frame: bytes) -> bytes:  # noqa: ANN001
    """Send one wrapper frame; the APDU of the answer, GET block transfer followed and joined."""
    head, blocks = frame[:6], b""
    while True:
        writer.write(frame)
        await writer.drain()
        header = await asyncio.wait_for(reader.readexactly(8), 60)
        body = await reader.readexactly(int.from_bytes(header[6:8], "big"))
        if body[:2] != b"\xc4\x02":  # not a GET-Response-With-Datablock
            return body
        last, number = body[3], body[4:8]
        length, skip = _ber_length(body, 9)  # after the raw-data choice (octet 8)
        blocks += body[9 + skip : 9 + skip + length]
        if last:
            return b"\xc4\x01" + body[2:3] + b"\x00" + blocks
        nxt = b"\xc0\x02" + body[2:3] + number
        frame = head + len(nxt).to_bytes(2, "big") + nxt


def _ber_length(buf: bytes, at: int) -> tuple[int, int]:
    first = buf[at]
    if first < 0x80:
        return first, 1
    n = first & 0x7F
    return int.from_bytes(buf[at + 1 : at + 1 + n], "big"), 1 + n


async def ask(port: int, frames: list[bytes], sem: asyncio.Semaphore) -> bool:
    """One meter: associate, the reads of ``frames``, close; True when every read answered with data.

    Every logger read (the profile, the debiting logger, the event log) must return rows.
    """
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
        except (OSError, TimeoutError):
            return False
        try:
            answers = [await _exchange(reader, writer, frame) for frame in frames]
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            return False
        finally:
            writer.close()
        data = [a[4:] for a in answers[1:] if a[:2] == b"\xc4\x01" and a[3] == 0]
        loggers_filled = len(data) == len(frames) - 1 and all(
            d[:1] == b"\x01" and d[1] > 0 for d in data[2:]
        )
        return answers[0][:1] == b"\x61" and loggers_filled


def _serve_process(
    meters: int, base: int, ready, start: float, until: float, state, test_keys
) -> None:  # noqa: ANN001
    """The fleet server in its own process (so the client does not share its GIL)."""
    fleet = Fleet(MeterConfig.default(), meters=meters, start=start)
    fleet.advance_to(until)
    server = FleetServer(
        fleet,
        SimClock(until, rate=0),
        dlms_base_port=base,
        state=state,
        test_keys=test_keys,
        tick=1.0,
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


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServedFleet:
    """A fleet server process on a block of free ports, started and stopped by the benchmark."""

    def __init__(
        self, meters: int, history_days: float, test_keys: bool, state: str | None = None
    ) -> None:
        self.meters, self.until = meters, SERVED_AT
        start = SERVED_AT - history_days * 86400.0
        for first in (1024, 30000, 40000):  # another block when a port was taken after the search
            ctx = multiprocessing.get_context("spawn")
            ready = ctx.Event()
            self.base = free_base(meters, first=first, step=997, reuse_address=True)
            t0 = time.perf_counter()
            self.proc = ctx.Process(
                target=_serve_process,
                args=(meters, self.base, ready, start, SERVED_AT, state, test_keys),
                daemon=True,
            )
            self.proc.start()
            while not ready.wait(1.0) and self.proc.is_alive():
                pass
            if ready.is_set():
                self.start_s = time.perf_counter() - t0
                return
        raise RuntimeError("the fleet did not start (see its error above)")

    def rss_mib(self) -> float:
        """The server's resident set size now."""
        return process_rss_mib(self.proc.pid)  # type: ignore[arg-type]

    def cpu_s(self) -> float:
        """The server's CPU seconds so far."""
        return process_cpu_s(self.proc.pid)  # type: ignore[arg-type]

    def stop(self) -> None:
        """SIGTERM, and wait for the process."""
        self.proc.terminate()
        self.proc.join(120)


def bench_serve(meters: int, sample: int | None, history_days: float) -> dict:
    """Start N meters in one server process, ask each (or a sample) what a head-end reads, measure RSS."""
    served = ServedFleet(meters, history_days, test_keys=True)
    try:
        rss_start = served.rss_mib()
        step = max(1, meters // sample) if sample else 1
        ports = [served.base + i for i in range(0, meters, step)]
        frames = request_frames(DAY_ASKED, debiting_entries(served.base))

        async def everyone() -> list[bool]:
            sem = asyncio.Semaphore(64)
            return await asyncio.gather(*(ask(p, frames, sem) for p in ports))

        cpu0, t1 = served.cpu_s(), time.perf_counter()
        answers = asyncio.run(everyone())
        elapsed, cpu = time.perf_counter() - t1, served.cpu_s() - cpu0
        rss_end = served.rss_mib()
    finally:
        served.stop()
    return {
        "meters_in_process": meters,
        "history_days": history_days,
        "start_s": round(served.start_s, 2),
        "rss_after_start_mib": round(rss_start, 1),
        "rss_after_all_asked_mib": round(rss_end, 1),
        "asked": len(ports),
        "answered_all_reads": int(sum(answers)),
        "asked_meters_per_s": round(len(ports) / elapsed, 1),
        "asked_meters_per_server_cpu_s": round(len(ports) / cpu, 1),
    }


def debiting_entries(base: int) -> int:
    """Entries in use of meter 0's debiting logger (every meter of the fleet has as many)."""
    from gurux_client import GuruxSession

    session = GuruxSession(base, 32, "12345678")
    session.connect()
    try:
        return int(session.read(GXDLMSProfileGeneric("0.0.98.1.0.255"), 7))
    finally:
        session.close()


def bench_sweep(
    meters: int, sample: int | None, rounds: int, threads: int, history_days: float
) -> dict:
    """The head-end sweep (benchmarks/fleet_headend.py) over every meter (or a sample), ``rounds`` times.

    The fleet runs without lab keys: each meter's keys are derived from the fleet secret as ``k351c
    keys show --meter i`` prints them, and the head-end derives them the same way.
    """
    from fleet_headend import HeadEnd, sweep

    from k351c.server.fleet import FleetPasswords

    with tempfile.TemporaryDirectory() as state:
        served = ServedFleet(meters, history_days, test_keys=False, state=state)
        try:
            first = int(MeterConfig.default().serial)
            passwords = FleetPasswords(Path(state), test_keys=False)
            head_end = HeadEnd(lambda i: passwords.keys(str(first + i)), DAY_ASKED)
            head_end.learn(served.base, 0)
            step = max(1, meters // sample) if sample else 1
            targets = [(served.base + i, i) for i in range(0, meters, step)]
            per_round = []
            for _ in range(rounds):
                cpu0, client0 = served.cpu_s(), time.process_time()
                reads, wall = sweep(head_end, targets, threads)
                per_round.append(
                    (wall, served.cpu_s() - cpu0, time.process_time() - client0, reads)
                )
            rss = served.rss_mib()
        finally:
            served.stop()
    walls, server_cpu, client_cpu, _ = zip(*per_round, strict=True)
    failed = [r.error for *_, reads in per_round for r in reads if not r.ok]
    n = len(targets)
    return {
        "sweep_meters": n,
        "sweep_rounds": rounds,
        "sweep_threads": threads,
        "sweep_meters_per_s": round(n / statistics.median(walls), 1),
        "sweep_meters_per_server_core_s": round(n / statistics.median(server_cpu), 1),
        "sweep_meters_per_client_core_s": round(n / statistics.median(client_cpu), 1),
        "sweep_server_ms_per_meter": [round(1000 * c / n, 2) for c in server_cpu],
        "sweep_ok": [sum(r.ok for r in reads) for *_, reads in per_round],
        "sweep_first_failure": failed[0] if failed else "",
        "sweep_rss_after_mib": round(rss, 1),
    }


def bench_cipher(seconds: float, rounds: int) -> dict:
    """Ciphered against plain GET/s on one connection, a single meter and a fleet meter, per round."""
    from dlms_get import in_child, serve_ours
    from fleet_cipher import side_by_side

    single_port, single = in_child(serve_ours)
    served = ServedFleet(10, 1.25, test_keys=True)
    try:
        found = side_by_side({"single": single_port, "fleet": served.base + 7}, seconds, rounds)
    finally:
        single.terminate()
        served.stop()
    out: dict = {"cipher_rounds": rounds}
    for name, rates in found.items():
        out[f"{name}_plain_get_per_s"] = round(statistics.median(rates["plain"]))
        out[f"{name}_ciphered_get_per_s"] = round(statistics.median(rates["ciphered"]))
        out[f"{name}_ciphered_vs_plain"] = round(statistics.median(rates["ratio"]), 2)
        out[f"{name}_ciphered_vs_plain_rounds"] = [round(r, 2) for r in rates["ratio"]]
    return out


def bench_simulate(meters: int, days: int) -> dict:
    """CPU time of the engine for ``days`` of ``meters`` meters."""
    fleet = Fleet(MeterConfig.default(), meters=meters, start=START)
    fleet.advance_to(START + 900)
    t0 = time.process_time()
    fleet.advance_to(START + days * 86400.0)
    cpu = time.process_time() - t0
    return {"simulated_meter_days_per_s_per_core": round(meters * days / cpu, 1)}


OUTAGES_PER_YEAR = 52  # feeder outages, each on a block of 1-8 % of a shard's meters, 1 min to 4 h
TAMPER_PER_YEAR = 12  # a terminal cover opened on 1 % of the meters, closed a day later
SAGS_PER_YEAR = 36  # one phase of 1-5 % of the meters at 70-85 % (a third of them lost: 0 %), 1-30 min
SWELLS_PER_YEAR = 12  # all phases of 1-5 % of the meters at 112-118 %, 1-30 min


def scenario(count: int, seconds: float, seed: int = 351) -> tuple[list, list, list]:
    """What a year of a real fleet lives through, seeded: outages, voltage events, tamper switches.

    Returns outages [(t0, t1, meters)], voltage events [(t0, t1, meters, phases, level)] and switch
    changes [(t, source, opened, meters)], sorted by time, so the backfill's events, fraud, power-
    quality and power-failure logs, quality counters, profile status and RTC doubt have work.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    share = seconds / YEAR
    outages = []
    for _ in range(max(1, round(OUTAGES_PER_YEAR * share))):
        t0 = START + float(rng.uniform(0, seconds))
        width = max(1, int(count * rng.uniform(0.01, 0.08)))
        first = int(rng.integers(0, max(1, count - width + 1)))
        duration = float(np.exp(rng.uniform(np.log(60.0), np.log(4 * 3600.0))))
        outages.append((t0, t0 + duration, np.arange(first, min(count, first + width))))
    voltage = []
    for k in range(max(1, round((SAGS_PER_YEAR + SWELLS_PER_YEAR) * share))):
        t0 = START + float(rng.uniform(0, seconds))
        width = max(1, int(count * rng.uniform(0.01, 0.05)))
        first = int(rng.integers(0, max(1, count - width + 1)))
        duration = float(rng.uniform(60.0, 1800.0))
        if k % 4 == 3:  # a swell on every phase
            phases, level = (1, 2, 3), float(rng.uniform(1.12, 1.18))
        else:  # a sag or a loss on one phase
            phases = (int(rng.integers(1, 4)),)
            level = 0.0 if k % 3 == 2 else float(rng.uniform(0.70, 0.85))
        voltage.append((t0, t0 + duration, np.arange(first, first + width), phases, level))
    switches = []
    for _ in range(max(1, round(TAMPER_PER_YEAR * share))):
        t = START + float(rng.uniform(0, max(0.0, seconds - 86400.0)))
        meters = np.sort(rng.choice(count, size=max(1, count // 100), replace=False))
        switches += [
            (t, "terminal_cover", True, meters),
            (t + 86400.0, "terminal_cover", False, meters),
        ]
    by_start = lambda x: x[0]  # noqa: E731
    return sorted(outages, key=by_start), sorted(voltage, key=by_start), sorted(switches, key=by_start)


def _shard(args: tuple[int, int, float]) -> dict:
    """One shard's backfill with the scenario: its functions and what each booked across its meters."""
    count, first, seconds = args
    cpu = time.process_time()
    fleet = Fleet(MeterConfig.default(), meters=count, start=START, first_serial=first)
    outages, voltage, switches = scenario(count, seconds)
    for t0, t1, meters in outages:
        fleet.add_outage(t0, t1, meters)
    for t0, t1, meters, phases, level in voltage:
        fleet.add_voltage_event(t0, t1, meters, phases, level)
    for t, source, opened, meters in switches:
        fleet.advance_to(t)
        fleet.set_tamper(source, opened, meters=meters)
    fleet.advance_to(START + seconds)
    with tempfile.TemporaryDirectory() as tmp:
        fleet.save(os.path.join(tmp, "fleet.npz"))
    totals = {
        "outages": len(outages),
        "meter power failures": sum(o[2].size for o in outages),
        "voltage events": len(voltage),
    }
    for function in fleet.functions:
        totals.update({f"{function.name}: {k}": v for k, v in function.totals().items()})
    return {
        "functions": [f.name for f in fleet.functions],
        "totals": totals,
        "cpu_s": time.process_time() - cpu,
    }


def bench_backfill(meters: int, processes: int, seconds: float, rounds: int = 1) -> dict:
    """Wall time to backfill ``seconds`` for ``meters`` meters over ``processes`` shards (state saved).

    Every function runs (the fleet's ``functions``) on a seeded scenario of outages, voltage events
    and tamper switches (``scenario``); what they booked across the fleet is reported with the time,
    ``rounds`` times (the median wall time), and the CPU seconds of the busiest shard: on a shared
    machine the wall time is the load's, the CPU time the engine's (a year in <= 60 s on 2 free
    cores needs each shard's CPU time <= 60 s).
    """
    sizes = [meters // processes + (1 if k < meters % processes else 0) for k in range(processes)]
    firsts = [12345678 + sum(sizes[:k]) for k in range(processes)]
    walls, cpus = [], []
    with ProcessPoolExecutor(processes, initializer=keep_heap) as pool:  # as k351c backfill's
        warm = [(2, 12345678, 900.0)] * processes  # the BDEW cache, the imports, compiled kernels
        list(pool.map(_shard, warm))
        for _ in range(rounds):
            t0 = time.perf_counter()
            shards = list(
                pool.map(_shard, [(s, f, seconds) for s, f in zip(sizes, firsts, strict=True)])
            )
            walls.append(time.perf_counter() - t0)
            cpus.append(max(shard["cpu_s"] for shard in shards))
    wall = statistics.median(walls)
    booked: dict[str, int] = {}
    for shard in shards:
        for key, value in shard["totals"].items():
            booked[key] = booked.get(key, 0) + value
    return {
        "backfill_days": round(seconds / 86400),
        "backfill_processes": processes,
        "backfill_wall_s": round(wall, 1),
        "backfill_wall_s_rounds": [round(w, 1) for w in walls],
        "backfill_year_s": round(wall * YEAR / seconds, 1),
        "backfill_year_extrapolated": seconds < YEAR,
        "backfill_busiest_shard_cpu_s_rounds": [round(c, 1) for c in cpus],
        "backfill_year_busiest_shard_cpu_s": round(statistics.median(cpus) * YEAR / seconds, 1),
        "backfill_load_average": os.getloadavg()[0],
        "backfill_functions": shards[0]["functions"],
        "backfill_booked": booked,
    }


def main(argv: list[str] | None = None) -> dict:
    """Run the fleet benchmarks, print a table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=10000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--sample", type=int, default=None, help="ask only this many meters (default: all)"
    )
    parser.add_argument(
        "--sweep-sample", type=int, default=None, help="sweep only this many meters (default: all)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="sweep and cipher rounds (median)")
    parser.add_argument("--threads", type=int, default=8, help="head-end sessions in flight")
    parser.add_argument("--seconds", type=float, default=2.0, help="per cipher measurement")
    parser.add_argument(
        "--history-days", type=float, default=1.25, help="how long the fleet ran before it serves"
    )
    parser.add_argument("--quick", action="store_true", help="30 days of backfill, extrapolated")
    parser.add_argument(
        "--backfill-rounds", type=int, default=1, help="backfill rounds (median wall time)"
    )
    parser.add_argument("--json", default=None, help="write the results here as JSON")
    parser.add_argument(
        "--serve-only", action="store_true", help="only the serve benchmark (same as --parts serve)"
    )
    parser.add_argument(
        "--parts",
        default="serve,sweep,cipher,storm,simulate,backfill",
        help="which benchmarks, comma-separated",
    )
    args = parser.parse_args(argv)
    parts = {"serve"} if args.serve_only else set(args.parts.split(","))
    results: dict = {"meters": args.meters, "processes": args.processes, "cores": os.cpu_count()}
    if "serve" in parts:
        results.update(bench_serve(args.meters, args.sample, args.history_days))
    if "sweep" in parts:
        results.update(
            bench_sweep(
                args.meters, args.sweep_sample, args.rounds, args.threads, args.history_days
            )
        )
    if "cipher" in parts:
        results.update(bench_cipher(args.seconds, args.rounds))
    if "storm" in parts:
        from fleet_storm import storm

        results.update(storm(args.meters, START))
    if "simulate" in parts:
        results.update(bench_simulate(min(args.meters, 10000), 3 if args.quick else 7))
    if "backfill" in parts:
        results.update(
            bench_backfill(
                args.meters,
                args.processes,
                (30 if args.quick else 365) * 86400.0,
                args.backfill_rounds,
            )
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
