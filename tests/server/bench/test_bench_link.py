"""Link emulation: latency, jitter and a serial bit rate, as a gurux head-end with a timeout sees them."""

from __future__ import annotations

import socket
import time

import pytest
from bench_harness import bench_meter, physical_address
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSRegister


def timed_read(port: int, hdlc: bool = False, physical: int = 0, timeout: float = 10.0) -> float:
    """Seconds a gurux GET of A+ takes on an open association."""
    s = GuruxSession(port, 16, None, hdlc=hdlc, physical=physical)
    s.sock.settimeout(timeout)
    try:
        s.connect()
        start = time.perf_counter()
        s.read(GXDLMSRegister("1.0.1.8.0.255"), 2)
        return time.perf_counter() - start
    finally:
        s.sock.close()


def test_latency_delays_every_answer_and_a_short_timeout_expires(tmp_path):
    running = bench_meter(tmp_path, link_latency=400, link_listeners=None)
    try:
        port = running.ports["wrapper"]
        assert timed_read(port) >= 0.4
        with pytest.raises(TimeoutError):
            timed_read(port, timeout=0.2)
    finally:
        running.stop()


def test_jitter_spreads_the_delay_within_its_bound(tmp_path):
    running = bench_meter(tmp_path, link_latency=100, link_jitter=200, link_listeners=None)
    try:
        delays = [timed_read(running.ports["wrapper"]) for _ in range(4)]
    finally:
        running.stop()
    assert all(0.1 <= d < 1.0 for d in delays)
    assert max(delays) - min(delays) > 0.005


def test_bit_rate_applies_to_hdlc_and_not_to_the_tcp_wrapper(tmp_path):
    running = bench_meter(tmp_path, link_bps=600)
    physical = physical_address(running.meter)
    try:
        slow = timed_read(running.ports["hdlc"], hdlc=True, physical=physical)
        fast = timed_read(running.ports["wrapper"])
    finally:
        running.stop()
    # the HDLC answer to a GET of A+ is 26 octets: 260 bits at 600 bit/s = 433 ms
    assert slow >= 0.43
    assert fast < slow - 0.2


def test_latency_on_the_optical_port(tmp_path):
    running = bench_meter(tmp_path, listeners=("optical",), link_latency=300)
    try:
        with socket.create_connection(("127.0.0.1", running.ports["optical"]), timeout=10) as sock:
            start = time.perf_counter()
            sock.sendall(b"/?!\r\n")
            identification = sock.recv(100)
            elapsed = time.perf_counter() - start
    finally:
        running.stop()
    assert identification.startswith(b"/KAM")
    assert elapsed >= 0.3
