"""Faults: SIGKILL while debiting snapshots are written, a full disk, a read-only or corrupt state."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from killing import PORTS_OFF, Snapshot, check_after_kill, kill_loop

from testkit import unprivileged

pytestmark = pytest.mark.timeout(120)


def test_sigkill_while_measuring_energy_grows_and_never_goes_back(tmp_path) -> None:
    # Invariants are checked after every kill inside kill_loop; scripts/soak.py runs hundreds.
    figures = kill_loop(tmp_path / "state", kills=3, seed=7, low=1.3, high=2.5, rate=86_400.0)
    assert figures["kills"] == 3
    assert figures["energy_after"] > figures["energy_before"] >= 0
    assert figures["grew"] >= 2, figures  # each run lives past the second 1 s tick; allow one slow host


def test_sigkill_across_a_month_end_keeps_exactly_one_debiting_snapshot(tmp_path) -> None:
    """The 1 February stop (23:00 UTC, 4.5 h after the start) falls in a killed run after a restart."""
    # each run covers about 3-4 simulated hours at 2 h/s
    figures = kill_loop(
        tmp_path / "state",
        kills=4,
        seed=11,
        low=1.3,
        high=2.5,
        rate=7_200.0,
        epoch="2026-01-31T18:30:00Z",
    )
    month_end = 1769900400.0  # 2026-02-01T00:00:00+01:00
    assert figures["t_after"] > month_end + 3600, figures
    assert figures["energy_after"] > figures["energy_before"]
    stamps = figures["debiting_stamps"]
    assert len(stamps) == 1 and stamps[0].startswith("2026-02-01 00:00:00"), stamps


def test_check_after_kill_catches_lost_rewritten_doubled_and_backwards() -> None:
    rows = [(1.0, 10), (2.0, 20), (3.0, 30)]
    before = Snapshot(100.0, [5, 7], rows)
    check_after_kill(before, Snapshot(101.0, [5, 8], [*rows, (4.0, 40)]))
    check_after_kill(before, Snapshot(101.0, [5, 8], [*rows[1:], (4.0, 40)]))  # a full logger rolls
    with pytest.raises(AssertionError, match="rewritten"):
        check_after_kill(before, Snapshot(101.0, [5, 8], [rows[0], (2.0, 21), rows[2]]))
    with pytest.raises(AssertionError, match="lost"):
        check_after_kill(before, Snapshot(101.0, [5, 8], [rows[0], rows[2], (4.0, 40)]))
    with pytest.raises(AssertionError, match="lost"):
        check_after_kill(before, Snapshot(101.0, [5, 8], rows[1:]))
    with pytest.raises(AssertionError, match="twice"):
        check_after_kill(before, Snapshot(101.0, [5, 8], [*rows, (3.0, 30)]))
    with pytest.raises(AssertionError, match="backwards"):
        check_after_kill(before, Snapshot(101.0, [5, 6], rows))
    with pytest.raises(AssertionError, match="time went back"):
        check_after_kill(before, Snapshot(99.0, [5, 7], rows))


def test_corrupt_state_file_is_reported_not_replaced(tmp_path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    junk = b"this is not an SQLite database" * 100
    (state / "meter.sqlite").write_bytes(junk)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "k351c.cli.main",
            "serve",
            "--state",
            str(state),
            "--quiet",
            *PORTS_OFF,
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert b"error" in proc.stderr.lower() and b"Traceback" not in proc.stderr
    assert (state / "meter.sqlite").read_bytes() == junk


def test_read_only_state_directory_gives_a_clear_error(tmp_path) -> None:
    """Run unprivileged (as root: capabilities dropped), so the mode bits really refuse the write."""
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o500)
    argv = [sys.executable, "-m", "k351c.cli.main", "serve", "--state", str(state), "--quiet"]
    try:
        proc = subprocess.run(
            unprivileged([*argv, *PORTS_OFF]), capture_output=True, timeout=60, check=False
        )
    finally:
        state.chmod(0o700)
    assert proc.returncode != 0 and b"Traceback" not in proc.stderr
    assert b"error" in proc.stderr.lower() and str(state).encode() in proc.stderr
    assert list(state.iterdir()) == []


def test_full_disk_keeps_measuring_and_loses_no_energy(tmp_path, monkeypatch) -> None:
    from k351c import ConstantLoad, Meter, MeterConfig, SimClock
    from k351c.store import SqliteStore

    store = SqliteStore(tmp_path / "meter.sqlite")
    clock = SimClock("2026-01-01T00:00:00Z", rate=0)
    meter = Meter(MeterConfig.default(), clock=clock, store=store)
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(3600)
    real_commit = SqliteStore.commit
    full = {"on": True}

    def commit(self, *args, **kwargs):
        if full["on"]:
            raise sqlite3.OperationalError("database or disk is full")
        return real_commit(self, *args, **kwargs)

    monkeypatch.setattr(SqliteStore, "commit", commit)
    failures = 0
    for _ in range(6):
        clock.jump(600)
        try:
            meter.sync()
        except Exception as exc:  # the Runtime tick logs this and retries
            failures += 1
            assert "full" in str(exc)
    assert failures, "a full disk must be reported"
    during = meter.read("1-0:1.8.0.255").value
    full["on"] = False
    clock.jump(600)
    meter.sync()
    expected = meter.read("1-0:1.8.0.255").value
    assert expected > during
    reopened = Meter(
        MeterConfig.default(),
        clock=SimClock(clock.now(), rate=0),
        store=SqliteStore(tmp_path / "meter.sqlite"),
    )
    assert reopened.read("1-0:1.8.0.255").value == expected
