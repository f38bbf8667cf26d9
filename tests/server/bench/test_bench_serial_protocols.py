"""The bench on the optical port (pwitab iec62056-21) and the M-Bus slave (pyMeterBus): frames traced
and decoded, the bit rate felt, a corrupted BCC/checksum refused by the client."""

from __future__ import annotations

import json
import time

import meterbus
import pytest
import serial
from bench_harness import bench_meter
from iec62056_21.client import Iec6205621Client
from iec62056_21.transports import TcpTransport


def records(path) -> list[dict]:  # noqa: ANN001
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_optical_readout_is_traced_message_by_message(tmp_path):
    trace = tmp_path / "optical.jsonl"
    running = bench_meter(tmp_path, listeners=("optical",), trace=trace)
    try:
        client = Iec6205621Client(
            TcpTransport(address=("127.0.0.1", running.ports["optical"]), timeout=5)
        )
        client.connect()
        readout = client.standard_readout()
        client.disconnect()
    finally:
        running.stop()
    assert readout.data
    frames = [r for r in records(trace) if r["direction"] in ("in", "out")]
    messages = [(r["direction"], r["decoded"]["message"]) for r in frames]
    assert messages[:2] == [("in", "Request"), ("out", "Identification")]
    assert ("in", "OptionSelect") in messages
    readouts = [r["decoded"] for r in frames if r["decoded"]["message"] == "Readout"]
    assert len(readouts) == 1
    lines = {line["address"]: line["value"] for line in readouts[0]["lines"]}
    assert lines["0-0:96.1.0"] == running.meter.config.serial
    ident = next(r["decoded"] for r in frames if r["decoded"]["message"] == "Identification")
    assert ident["manufacturer"] == "KAM"


def test_mbus_request_and_answer_are_traced_with_records(tmp_path):
    trace = tmp_path / "mbus.jsonl"
    running = bench_meter(tmp_path, listeners=("mbus",), trace=trace, link_bps=2400)
    try:
        line = serial.serial_for_url(f"socket://127.0.0.1:{running.ports['mbus']}", timeout=2)
        meterbus.send_ping_frame(line, 0)
        assert meterbus.recv_frame(line, 1) == b"\xe5"
        start = time.perf_counter()
        meterbus.send_request_frame(line, 0)
        frame = meterbus.load(meterbus.recv_frame(line, meterbus.FRAME_DATA_LENGTH))
        elapsed = time.perf_counter() - start
        line.close()
    finally:
        running.stop()
    assert frame.manufacturer == "KAM"
    frames = [r for r in records(trace) if r["direction"] in ("in", "out")]
    kinds = [(r["direction"], r["decoded"]["type"]) for r in frames]
    assert kinds == [("in", "ShortFrame"), ("out", "ACK (E5)"), ("in", "ShortFrame"), ("out", "LongFrame")]
    answer = frames[-1]["decoded"]
    assert answer["function"] == "RSP_UD" and answer["ci"] == "rsp-variable"
    assert answer["header"]["identification"]["manufacturer"] == "KAM"
    assert len(answer["records"]) == len(frame.records)
    octets = len(bytes.fromhex(frames[-1]["hex"]))
    assert elapsed >= octets * 10 / 2400 * 0.9  # the long frame took its time on the 2400 bit/s line


def test_corrupted_mbus_answer_fails_the_checksum_at_pymeterbus(tmp_path):
    running = bench_meter(tmp_path, listeners=("mbus",), faults=["corrupt=1,seed=5"])
    try:
        line = serial.serial_for_url(f"socket://127.0.0.1:{running.ports['mbus']}", timeout=2)
        meterbus.send_request_frame(line, 0)
        data = meterbus.recv_frame(line, meterbus.FRAME_DATA_LENGTH)
        line.close()
    finally:
        running.stop()
    with pytest.raises(meterbus.MBusFrameDecodeError):
        meterbus.load(data)
