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
MONTH_PER_SECOND = 2_600_000.0


def serve(state: Path, rate: float = MONTH_PER_SECOND) -> subprocess.Popen:
    """Start `k351c serve` quietly with no listeners on `state`."""
    start = [] if (state / "meter.sqlite").exists() else ["--start", "2026-01-01T00:00:00Z"]
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
    """Nothing committed lost, registers never backwards, no debiting snapshot doubled."""
    assert after.t >= before.t, f"meter time went back: {before.t} -> {after.t}"
    if before.counts:
        back = [(b, a) for b, a in zip(before.counts, after.counts, strict=True) if a < b]
        assert not back, f"registers went backwards: {back[:3]}"
    stamps = [row[0] for row in after.debiting]
    assert len(stamps) == len(set(stamps)), "a debiting snapshot was stored twice"
    kept = set(before.debiting)
    assert kept <= set(after.debiting) or len(after.debiting) >= len(before.debiting), (
        "debiting rows lost"
    )


def kill_loop(
    state: Path,
    kills: int,
    seed: int = 351,
    low: float = 0.2,
    high: float = 1.5,
    rate: float = MONTH_PER_SECOND,
) -> dict:
    """Serve and SIGKILL `kills` times at random moments; check after each; return figures."""
    rng = random.Random(seed)
    before = read_state(state) if (state / "meter.sqlite").exists() else Snapshot(0.0, [])
    grew = 0
    started = time.perf_counter()
    restart_seconds: list[float] = []
    for _ in range(kills):
        t0 = time.perf_counter()
        proc = serve(state, rate)
        wait_serving(proc)
        restart_seconds.append(time.perf_counter() - t0)
        time.sleep(rng.uniform(low, high))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        after = read_state(state)
        check_after_kill(before, after)
        grew += after.counts != before.counts
        before = after
    return {
        "kills": kills,
        "grew": grew,
        "debiting_rows": len(before.debiting),
        "simulated_days": round((before.t - 1767225600.0) / 86400, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "mean_restart_s": round(sum(restart_seconds) / len(restart_seconds), 2),
        "max_restart_s": round(max(restart_seconds), 2),
    }
