"""SIGKILL a running `k351c serve` at random moments and check the permanent memory after each kill.

Shared by tests/reliability/test_faults.py (a few kills) and scripts/soak.py (hundreds).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PORTS_OFF = [
    "--dlms-port",
    "0",
    "--hdlc-port",
    "0",
    "--optical-port",
    "0",
    "--mbus-port",
    "0",
    "--web-port",
    "0",
]
DEBITING = "0-0:98.1.0.255"
CT_RATIOS = (5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 100, 200, 300, 400, 500, 1000, 1500, 2000, 2500, 3000)
"""The ratios configuration 5 SSS encodes: the only ones the meter accepts."""
MONTH_PER_SECOND = 2_600_000.0
EPOCH = "2026-01-01T00:00:00Z"


def serve(state: Path, rate: float = MONTH_PER_SECOND, epoch: str = EPOCH) -> subprocess.Popen:
    """Start `k351c serve` quietly with no listeners on `state` (a new meter starts at `epoch`)."""
    start = [] if (state / "meter.sqlite").exists() else ["--start", epoch]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "k351c.cli.main",
            "serve",
            "--state",
            str(state),
            "--rate",
            str(rate),
            "--quiet",
            *start,
            *PORTS_OFF,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_serving(proc: subprocess.Popen) -> None:
    """Block until the meter says it is serving."""
    for line in proc.stderr:  # type: ignore[union-attr]
        if b"serving" in line:
            return
    raise AssertionError("k351c serve ended before serving")


@dataclass
class Snapshot:
    """What survived a kill: meter time, every energy count, the debiting logger's rows."""

    t: float
    counts: list[int]
    debiting: list[tuple] = field(default_factory=list)


def read_state(state: Path) -> Snapshot:
    """Check integrity and read the stored meter, as `k351c show` does."""
    from k351c.cli.build import build_meter
    from k351c.store import SqliteStore

    path = state / "meter.sqlite"
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    store = SqliteStore(path)
    saved = store.get("meter")
    store.close()
    if saved is None:
        return Snapshot(0.0, [])
    counts = [c for side in ("primary", "secondary") for row in saved[side]["counts"] for c in row]
    meter = build_meter(state=state, rate=0.0, start=None, config=None, resume_only=True)
    rows = [tuple(row) for row in meter.read(DEBITING).rows]
    meter.close() if hasattr(meter, "close") else None
    return Snapshot(saved["t"], counts, rows)


def check_after_kill(before: Snapshot, after: Snapshot) -> None:
    """Nothing committed lost or rewritten, registers never backwards, no debiting snapshot doubled.

    A full debiting logger drops its oldest rows: the only rows allowed to go are a prefix of the
    old ones, and only while the logger does not shrink.
    """
    assert after.t >= before.t, f"meter time went back: {before.t} -> {after.t}"
    if before.counts:
        back = [(b, a) for b, a in zip(before.counts, after.counts, strict=True) if a < b]
        assert not back, f"registers went backwards: {back[:3]}"
    stamps = [row[0] for row in after.debiting]
    assert len(stamps) == len(set(stamps)), "a debiting snapshot was stored twice"
    now = {row[0]: row for row in after.debiting}
    rewritten = [row for row in before.debiting if row[0] in now and now[row[0]] != row]
    assert not rewritten, f"debiting rows rewritten: {rewritten[:2]}"
    gone = [row for row in before.debiting if row[0] not in now]
    assert gone == before.debiting[: len(gone)], f"debiting rows lost: {gone[:2]}"
    assert len(after.debiting) >= len(before.debiting), "debiting rows lost"


def kill_loop(
    state: Path,
    kills: int,
    seed: int = 351,
    low: float = 0.2,
    high: float = 1.5,
    rate: float = MONTH_PER_SECOND,
    epoch: str = EPOCH,
) -> dict:
    """Serve and SIGKILL `kills` times at random moments; check after each; return figures.

    ``grew`` counts the kills after which some energy register had grown since the previous one.
    """
    rng = random.Random(seed)
    before = read_state(state) if (state / "meter.sqlite").exists() else Snapshot(0.0, [])
    first = before
    grew = 0
    started = time.perf_counter()
    restart_seconds: list[float] = []
    for _ in range(kills):
        t0 = time.perf_counter()
        proc = serve(state, rate, epoch)
        wait_serving(proc)
        restart_seconds.append(time.perf_counter() - t0)
        time.sleep(rng.uniform(low, high))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        after = read_state(state)
        check_after_kill(before, after)
        grew += sum(after.counts) > sum(before.counts)
        before = after
    return {
        "kills": kills,
        "grew": grew,
        "energy_before": sum(first.counts),
        "energy_after": sum(before.counts),
        "t_after": before.t,
        "debiting_stamps": [str(row[0]) for row in before.debiting],
        "debiting_rows": len(before.debiting),
        "simulated_days": round((before.t - 1767225600.0) / 86400, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "mean_restart_s": round(sum(restart_seconds) / len(restart_seconds), 2),
        "max_restart_s": round(max(restart_seconds), 2),
    }


def serve_with(state: Path, rate: float, **ports: int) -> subprocess.Popen:
    """Start `k351c serve --test-keys` on `state` with the given ports (others off)."""
    start = [] if (state / "meter.sqlite").exists() else ["--start", "2026-01-01T00:00:00Z"]
    args = list(PORTS_OFF)
    for name, port in ports.items():
        args[args.index(f"--{name.replace('_', '-')}") + 1] = str(port)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "k351c.cli.main",
            "serve",
            "--state",
            str(state),
            "--rate",
            str(rate),
            "--quiet",
            "--test-keys",
            *start,
            *args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class CtWrites:
    """What the optical client wrote: every value acknowledged, and the one in flight."""

    acked: list[int] = field(default_factory=list)
    in_flight: int | None = None
    errors: list[str] = field(default_factory=list)


def write_ct_until_dead(port: int, rng: random.Random, writes: CtWrites) -> None:
    """Log in over the optical port and W1 random CT ratios until the server goes away."""
    from k351c.cli.tool_session import OpticalSession, TcpLine, ToolError

    try:
        session = OpticalSession(TcpLine("127.0.0.1", port, 3.0), timeout=3.0)
    except OSError as exc:
        writes.errors.append(f"connect: {exc}")
        return
    try:
        session.login("12345678")
        while True:
            value = rng.choice(CT_RATIOS)
            writes.in_flight = value
            session.write("1-0:0.4.2", str(value))
            writes.acked.append(value)
            writes.in_flight = None
    except (OSError, ToolError, EOFError) as exc:
        writes.errors.append(type(exc).__name__)
    finally:
        with _suppress():
            session.close()


def _suppress():
    import contextlib

    return contextlib.suppress(Exception)


def read_ct(state: Path) -> tuple[int, list]:
    """The stored CT primary and the entries of the CT change log."""
    from k351c.store import SqliteStore

    store = SqliteStore(state / "meter.sqlite")
    try:
        saved = store.get("meter")
        if saved is None:
            from k351c import MeterConfig

            return int(MeterConfig.default().ct_primary), []
        return int(saved["ct"][0]), store.entries("ct")
    finally:
        store.close()


def check_ct(primary: int, log: list, allowed: set[int], start: int) -> None:
    """The ratio is one written, and the CT log is a gap-free chain of whole entries ending at it."""
    assert primary in allowed, f"CT primary {primary} was never written (allowed {sorted(allowed)})"
    seqs = [e.seq for e in log]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else True, "CT log has gaps"
    previous = start
    for entry in log:
        assert entry.data["kind"] == "ct_ratio_changed", entry
        old, new = entry.data["old"], entry.data["new"]
        assert len(old) == 2 and len(new) == 2 and new[1] == 5, f"torn CT entry {entry}"
        assert old[0] == previous, f"CT log chain broken at {entry}: expected old {previous}"
        previous = new[0]
    assert previous == primary, f"CT log ends at {previous}, the meter has {primary}"


def ct_kill_loop(
    state: Path,
    kills: int,
    seed: int = 351,
    low: float = 0.3,
    high: float = 1.5,
    rate: float = 86_400.0,
) -> dict:
    """Serve with an optical client changing the CT ratio; SIGKILL at random; check after each."""
    import threading

    rng = random.Random(seed)
    before = read_state(state) if (state / "meter.sqlite").exists() else Snapshot(0.0, [])
    start_ct = read_ct(state)[0] if (state / "meter.sqlite").exists() else None
    acked = 0
    restart_seconds: list[float] = []
    started = time.perf_counter()
    for _ in range(kills):
        port = free_port()
        t0 = time.perf_counter()
        proc = serve_with(state, rate, optical_port=port)
        wait_serving(proc)
        restart_seconds.append(time.perf_counter() - t0)
        if start_ct is None:
            start_ct = read_ct(state)[0]
        writes = CtWrites()
        client = threading.Thread(
            target=write_ct_until_dead, args=(port, random.Random(rng.random()), writes)
        )
        client.start()
        time.sleep(rng.uniform(low, high))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        client.join(15)
        assert not client.is_alive(), "the optical client hung after the kill"
        after = read_state(state)
        check_after_kill(before, after)
        primary, log = read_ct(state)
        last = writes.acked[-1] if writes.acked else start_ct
        allowed = {last} | ({writes.in_flight} if writes.in_flight is not None else set())
        check_ct(primary, log, allowed, log[0].data["old"][0] if log else primary)
        acked += len(writes.acked)
        before, start_ct = after, primary
    return {
        "kills": kills,
        "ct_writes_acked": acked,
        "ct_log_entries": len(read_ct(state)[1]),
        "simulated_days": round((before.t - 1767225600.0) / 86400, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "mean_restart_s": round(sum(restart_seconds) / len(restart_seconds), 2),
        "max_restart_s": round(max(restart_seconds), 2),
    }
