"""`k351c fleet`, `k351c backfill` and `k351c bench` from the command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from k351c.cli.bench import markdown
from k351c.cli.fleet import ShardSpec, parse_outage, parse_voltage_event, shard_plan, shard_specs
from k351c.cli.main import app
from k351c.errors import ConfigError
from k351c.meter.fleet import Fleet
from testkit import free_base

runner = CliRunner()


def test_shard_plan_splits_evenly_and_in_order():
    assert shard_plan(10, 3) == [(0, 4), (4, 3), (7, 3)]
    base = ShardSpec(0, 0, 10, "st", 1000, dlms_base_port=5000, shared_port=6000)
    specs = shard_specs(base, 10, 3)
    assert [
        (s.first_serial, s.dlms_base_port, s.shared_port, Path(s.state).name) for s in specs
    ] == [
        (1000, 5000, 6000, "shard-0"),
        (1004, 5004, 6001, "shard-1"),
        (1007, 5007, 6002, "shard-2"),
    ]
    assert shard_specs(base, 10, 3, only=1) == [specs[1]]


def test_outage_option_is_split_by_shard():
    t0, t1, local = parse_outage("2026-01-05T10:00:00Z/2026-01-05T11:30:00Z:95-104", 100, 50)
    assert t1 - t0 == 5400 and local == [0, 1, 2, 3, 4]
    assert parse_outage("2026-01-05T10:00:00Z/2026-01-05T11:30:00Z:0-10", 100, 50) is None
    with pytest.raises(ConfigError):
        parse_outage("yesterday:1-2", 0, 10)


def test_backfill_fleet_writes_registers_and_profile(tmp_path):
    result = runner.invoke(
        app,
        [
            "backfill",
            "--from",
            "2026-01-01T00:00:00Z",
            "--to",
            "2026-01-04T00:00:00Z",
            "--meters",
            "30",
            "--state",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    fleet = Fleet.load(tmp_path / "fleet.npz")
    assert fleet.n == 30 and fleet.t == pytest.approx(1767225600.0 + 3 * 86400)
    rows = fleet.profile(7)
    assert len(rows) == 3 * 96
    assert sum(r[2] for r in rows) == fleet.counts[fleet.lp_bank, 7, 0, 0]


def test_backfill_fleet_in_two_processes_equals_one(tmp_path):
    args = [
        "backfill",
        "--from",
        "2026-01-01T00:00:00Z",
        "--to",
        "2026-01-02T00:00:00Z",
        "--meters",
        "10",
    ]
    assert runner.invoke(app, [*args, "--state", str(tmp_path / "one")]).exit_code == 0
    result = runner.invoke(app, [*args, "--state", str(tmp_path / "two"), "--processes", "2"])
    assert result.exit_code == 0, result.output
    one = Fleet.load(tmp_path / "one" / "fleet.npz")
    parts = [Fleet.load(tmp_path / "two" / f"shard-{k}" / "fleet.npz") for k in (0, 1)]
    assert np.array_equal(one.counts[:, :5], parts[0].counts) and np.array_equal(
        one.counts[:, 5:], parts[1].counts
    )


def test_backfill_single_meter_then_show(tmp_path):
    result = runner.invoke(
        app,
        [
            "backfill",
            "--from",
            "2026-01-01T00:00:00Z",
            "--to",
            "2026-01-02T00:00:00Z",
            "--state",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["show", "--state", str(tmp_path), "1-0:1.8.0.255"])
    assert shown.exit_code == 0 and int(shown.output.split()[1]) > 0


def test_ray_backend_says_when_ray_is_missing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError, installed or not
    result = runner.invoke(
        app, ["fleet", "--meters", "2", "--backend", "ray", "--state", str(tmp_path)]
    )
    assert result.exit_code == 2 and "pip install 'k351c[ray]'" in result.output


def test_fleet_command_serves_restarts_from_its_state(tmp_path):
    base = free_base(20, first=10000, step=1000)  # apart from the other fleet tests' blocks
    cmd = [
        sys.executable,
        "-m",
        "k351c.cli.main",
        "fleet",
        "--meters",
        "20",
        "--dlms-base-port",
        str(base),
        "--state",
        str(tmp_path),
        "--test-keys",
        "--start",
        "2026-01-01T00:00:00Z",
        "--rate",
        "3600",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", base + 19), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0)
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(30)
    saved = Fleet.load(tmp_path / "fleet.npz")
    assert saved.t > 1767225600.0 + 1800  # an hour of simulated time per real second
    assert saved.counts[0, 19, 0, 0] > 0


def test_bench_markdown_table():
    text = markdown({"fleet": {"answered": 10000, "rss_after_start_mib": 167.5}})
    assert "| fleet | answered | 10000 |" in text and "167.50" in text


def test_backfill_workers_keep_their_heap():
    """The shard workers' allocator keeps freed arrays (glibc); a worker process proves it applies."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from k351c.cli.fleet_backfill import keep_heap

    if not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None:
        pytest.skip("mallopt is glibc's")
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        assert pool.submit(keep_heap).result() is True


def test_parse_voltage_event_gives_this_shards_part_and_refuses_garbage_by_flag():
    t0, t1, local, phases, level = parse_voltage_event(
        "2026-01-05T10:00:00Z/2026-01-05T10:10:00Z:95-104:1,3:0.8", 100, 50
    )
    assert (t1 - t0, local, phases, level) == (600.0, [0, 1, 2, 3, 4], (1, 3), 0.8)
    assert parse_voltage_event("2026-01-05T10:00:00Z/2026-01-05T10:10:00Z:0-10:2:0", 100, 50) is None
    for bad in ("2026-01-05T10:00:00Z/2026-01-05T10:10:00Z:0-10:x:0.8", "yesterday:1-2:1:0.5", "1:0.8"):
        with pytest.raises(ConfigError, match="--voltage-event"):
            parse_voltage_event(bad, 0, 10)

