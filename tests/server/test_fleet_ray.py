"""`k351c fleet --backend ray`: two shards as tasks on a local Ray instance, read by gurux, stopped cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSClock, GXDLMSData, GXDLMSRegister

from k351c.clock import parse_instant
from k351c.meter.fleet import Fleet
from testkit import free_base

pytest.importorskip("ray")

METERS = 4
START = "2026-01-01T00:00:00Z"
SERIAL = 40000000


def _processes_mentioning(text: str) -> list[int]:
    """Live (not zombie) processes whose command line contains ``text``."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if text.encode() in cmdline and state != "Z":
            pids.append(int(proc.name))
    return pids


def _wait_for_port(port: int, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"port {port} not served within {seconds} s")


def _read_meter(port: int) -> tuple[str, float, float]:
    """gurux's standard flow: AARQ (LLS), GET serial, A+ and the clock, release."""
    session = GuruxSession(port, client_sap=32, password="12345678")
    session.connect()
    try:
        serial = str(session.read(GXDLMSData("0.0.96.1.0.255"), 2))
        register = GXDLMSRegister("1.0.1.8.0.255")
        session.read(register, 3)
        energy = float(session.read(register, 2))
        clock = GXDLMSClock("0.0.1.0.0.255")
        session.read(clock, 2)
        return serial, energy, clock.time.value.timestamp()
    finally:
        session.close()


def _fleet_on_ray(base: int, state: Path, ray_tmp: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a 2-shard fleet on a Ray instance of its own."""
    cmd = [
        sys.executable,
        "-m",
        "k351c.cli.main",
        "fleet",
        "--backend",
        "ray",
        "--processes",
        "2",
        "--meters",
        str(METERS),
        "--first-serial",
        str(SERIAL),
        "--dlms-base-port",
        str(base),
        "--state",
        str(state),
        "--test-keys",
        "--start",
        START,
        "--rate",
        "3600",
    ]
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env.update(PYTHONUNBUFFERED="1", RAY_TMPDIR=ray_tmp, RAY_USAGE_STATS_ENABLED="0")
    return cmd, env


def _assert_no_ray_left(ray_tmp: str) -> None:
    deadline = time.monotonic() + 10
    while _processes_mentioning(ray_tmp) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_mentioning(ray_tmp) == [], "Ray processes left behind"
    shutil.rmtree(ray_tmp, ignore_errors=True)


def test_a_shard_that_cannot_bind_ends_the_ray_fleet_with_a_clear_error(tmp_path):
    base = free_base(METERS, first=31250, step=500)
    ray_tmp = tempfile.mkdtemp(prefix="k351c-ray-")
    cmd, env = _fleet_on_ray(base, tmp_path, ray_tmp)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", base + METERS - 1))  # the last meter's port, in shard 1
        busy.listen()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 2, done.stderr
    assert f"error: port: {base + METERS - 1} is not allowed" in done.stderr
    _assert_no_ray_left(ray_tmp)


def test_two_shard_fleet_on_ray_serves_gurux_and_stops_cleanly(tmp_path):
    base = free_base(METERS, first=31000, step=500)
    ray_tmp = tempfile.mkdtemp(prefix="k351c-ray-")  # short: Ray's socket paths must fit 107 bytes
    cmd, env = _fleet_on_ray(base, tmp_path, ray_tmp)
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        for i in range(METERS):
            _wait_for_port(base + i, proc, 60)
        assert _processes_mentioning(ray_tmp), "no Ray processes under the test's RAY_TMPDIR"
        start = parse_instant(START).timestamp()
        clocks = {}
        for i in (0, METERS - 1):  # one meter of each shard
            serial, energy, clocks[i] = _read_meter(base + i)
            assert serial == str(SERIAL + i)
            assert energy > 0
            assert start < clocks[i] < start + 3600 * 120
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    for shard, meter in ((0, 0), (1, METERS - 1)):
        saved = Fleet.load(tmp_path / f"shard-{shard}" / "fleet.npz")
        assert saved.first_serial == SERIAL + 2 * shard and saved.n == 2
        assert saved.t >= clocks[meter] - 1  # saved on the stop path, after gurux read it
    _assert_no_ray_left(ray_tmp)
