"""SIGKILL at random moments never loses a committed register, never corrupts the store."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from k351c.store import SqliteStore

PORT_FLAGS = ["--dlms-port", "0", "--hdlc-port", "0", "--optical-port", "0", "--mbus-port", "0",
              "--web-port", "0"]


def serve(state: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "k351c.cli.main", "serve", "--state", str(state), "--rate", "7200",
         "--quiet", *PORT_FLAGS],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def wait_ready(proc: subprocess.Popen) -> None:
    for line in proc.stderr:  # type: ignore[union-attr]
        if b"serving" in line:
            return
    raise AssertionError("k351c serve ended before serving")


def registers(state: Path) -> tuple[float, list[int]]:
    path = state / "meter.sqlite"
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    store = SqliteStore(path)
    saved = store.get("meter")
    store.close()
    if saved is None:
        return 0.0, []
    counts = [c for row in saved["primary"]["counts"] for c in row]
    counts += [c for row in saved["secondary"]["counts"] for c in row]
    return saved["t"], counts


def test_sigkill_twenty_times(tmp_path):
    rng = random.Random(351)
    state = tmp_path / "state"
    previous_t, previous = 0.0, []
    grew = 0
    for _ in range(20):
        proc = serve(state)
        wait_ready(proc)
        time.sleep(rng.uniform(0.3, 1.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        t, counts = registers(state)
        assert t >= previous_t
        if previous:
            assert all(now >= before for now, before in zip(counts, previous, strict=True))
            grew += counts != previous
        previous_t, previous = t, counts
    assert grew >= 10, "the meter should have registered energy between most kills"


def test_sigterm_stops_cleanly_and_resumes(tmp_path):
    state = tmp_path / "state"
    proc = serve(state)
    wait_ready(proc)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    t1, counts1 = registers(state)
    proc = serve(state)
    wait_ready(proc)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    t2, counts2 = registers(state)
    assert t2 > t1 and sum(counts2) > sum(counts1)
