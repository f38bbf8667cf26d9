"""Injected faults, seeded: what a gurux head-end (or a raw socket) sees, and the counters."""

from __future__ import annotations

import json
import socket
import time

import pytest
from bench_harness import bench_meter, eventually, physical_address
from gurux_client import GuruxSession
from gurux_dlms import GXByteBuffer, GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType
from gurux_dlms.objects import GXDLMSRegister

A_PLUS = "1.0.1.8.0.255"


def gurux(running, hdlc: bool = False, timeout: float = 5.0) -> GuruxSession:
    port = running.ports["hdlc" if hdlc else "wrapper"]
    s = GuruxSession(port, 16, None, hdlc=hdlc, physical=physical_address(running.meter))
    s.sock.settimeout(timeout)
    return s


def test_drop_every_answer_times_the_head_end_out(tmp_path):
    running = bench_meter(tmp_path, faults=["drop=1"])
    try:
        s = gurux(running, timeout=0.5)
        with pytest.raises(TimeoutError):
            s.connect()
        s.sock.close()
        key = ("drop", f"wrapper:{running.ports['wrapper']}")
        assert eventually(lambda: running.runtime.bench.counters[key] >= 1)
    finally:
        running.stop()


def test_a_head_end_that_retries_gets_through_half_dropped_answers(tmp_path):
    """drop=0.5: a head-end that resends a GET after a timeout reads A+ within a few tries."""
    running = bench_meter(tmp_path, faults=["drop=0.5,seed=6"])
    try:
        attempts = 0
        value = None
        while value is None and attempts < 20:
            attempts += 1
            s = gurux(running, timeout=1.0)
            try:
                s.connect()
                value = s.read(GXDLMSRegister(A_PLUS), 2)
            except TimeoutError:
                pass
            finally:
                s.sock.close()
        assert value == pytest.approx(running.meter.read("1-0:1.8.0.255").value, abs=1)
        assert attempts > 1  # seed 6 drops the first AARE
    finally:
        running.stop()


def test_corrupt_hdlc_answer_fails_its_fcs_at_the_head_end(tmp_path):
    running = bench_meter(tmp_path, faults=["corrupt=1,seed=1"])
    try:
        s = gurux(running, hdlc=True)
        frame = s.client.snrmRequest()
        s.sock.sendall(bytes(frame))
        time.sleep(0.3)
        answer = s.sock.recv(1000)
        s.sock.close()
    finally:
        running.stop()
    reply = GXReplyData()
    # gurux checks the FCS: the corrupted UA is refused (an exception or no complete frame)
    try:
        complete = s.client.getData(GXByteBuffer(answer), reply, None)
    except Exception:  # noqa: BLE001 - gurux raises its own ValueError subclasses
        complete = False
    assert not complete
    assert answer[0] == 0x7E and answer[-1] == 0x7E


def test_duplicate_sends_each_answer_twice(tmp_path):
    running = bench_meter(tmp_path, faults=["duplicate=1"])
    try:
        s = gurux(running)
        s.sock.sendall(bytes(s.client.aarqRequest()[0]))
        data = b""
        while len(data) < 8 or len(data) < 2 * (8 + int.from_bytes(data[6:8], "big")):
            data += s.sock.recv(1000)  # until two whole AAREs are in (or the 5 s timeout)
        s.sock.close()
    finally:
        running.stop()
    half = len(data) // 2
    assert data[:half] == data[half:] and data[8] == 0x61  # two identical AAREs


def test_stall_holds_the_answer_for_its_seconds(tmp_path):
    running = bench_meter(tmp_path, faults=["stall=1,seconds=1.0"])
    try:
        s = gurux(running, timeout=5)
        start = time.perf_counter()
        s.connect()
        assert time.perf_counter() - start >= 1.0
        s.sock.close()
    finally:
        running.stop()


def test_reset_after_n_frames_resets_the_connection(tmp_path):
    running = bench_meter(tmp_path, faults=["reset=1,after=1"])
    try:
        s = gurux(running)
        s.connect()  # the first answer passes
        with pytest.raises((ConnectionResetError, ConnectionError)):
            s.read(GXDLMSRegister(A_PLUS), 2)
        s.sock.close()
    finally:
        running.stop()


def _fault_pattern(tmp_path, seed: int) -> list[list[str]]:
    trace = tmp_path / f"trace-{seed}-{time.perf_counter_ns()}.jsonl"
    running = bench_meter(tmp_path, trace=trace, faults=[f"corrupt=0.5,seed={seed}"])
    try:
        aarq = GXDLMSClient(True, 16, 1, Authentication.NONE, None, InterfaceType.WRAPPER)
        with socket.create_connection(("127.0.0.1", running.ports["wrapper"]), timeout=5) as sock:
            for request in aarq.aarqRequest() * 8:
                sock.sendall(bytes(request))
                sock.recv(1000)
    finally:
        running.stop()
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    return [r.get("faults", []) for r in records if r["direction"] == "out"]


def test_faults_are_reproducible_from_their_seed(tmp_path):
    first, again, other = (_fault_pattern(tmp_path, s) for s in (3, 3, 4))
    assert first == again
    assert first != other
    assert ["corrupt"] in first and [] in first
