"""Robustness of the live DLMS listeners: garbage, truncation, unknown objects, idle timeout, connection limit."""

from __future__ import annotations

import socket
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k351c import ConstantLoad
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime
from testkit import ServedMeter, make_meter

# gurux-dlms 1.0 public AARQ in a wrapper frame (client wPort 16 -> server 1), and its SNRM to HDLC address 1/17
AARQ = bytes.fromhex(
    "000100100001001f601da109060760857405080101be10040e01000000065f1f0400401e5dffff"
)
SNRM = bytes.fromhex("7ea00802232193bd647e")
LIMIT = 4
IDLE = 0.6


@pytest.fixture(scope="module")
def served():
    """A meter with short idle timeouts and a small connection limit."""
    from k351c.server.dlms import hdlc_listener, wrapper_listener

    meter = make_meter(days=1 / 24, load=ConstantLoad(current=5.0))
    options = {
        "physical_address": 17,
        "max_connections": LIMIT,
        "tcp_inactivity": IDLE,
        "hdlc_inactivity": IDLE,
    }
    running = ServedMeter(
        Runtime(meter, keys=KeyStore(None, test_keys=True), settings=options, tick=0.2),
        [wrapper_listener, hdlc_listener],
    )
    yield running
    running.stop()


def connect(port: int) -> socket.socket:
    """A client socket with a short timeout."""
    return socket.create_connection(("127.0.0.1", port), timeout=3)


def recv_some(sock: socket.socket, size: int) -> bytes:
    """At least ``size`` bytes, or what came before the peer closed."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def wrapper_answers(port: int) -> bool:
    """A fresh connection gets an AARE (tag 0x61) for a good AARQ."""
    with connect(port) as sock:
        sock.sendall(AARQ)
        reply = recv_some(sock, 9)
    return len(reply) >= 9 and reply[8] == 0x61


def hdlc_answers(port: int) -> bool:
    """A fresh connection gets a UA (control 0x73) for a good SNRM."""
    with connect(port) as sock:
        sock.sendall(SNRM)
        reply = recv_some(sock, 8)
    return len(reply) >= 8 and reply[6] == 0x73


def throw(port: int, garbage: bytes) -> None:
    """Send garbage, read what comes back for a moment, close."""
    with connect(port) as sock:
        sock.sendall(garbage)
        sock.settimeout(0.05)
        try:
            sock.recv(65536)
        except (TimeoutError, ConnectionError):
            pass


FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(garbage=st.binary(min_size=1, max_size=300))
def test_random_bytes_at_the_wrapper_listener(served, garbage):
    port = served.runtime.settings.dlms_port
    throw(port, garbage)
    throw(port, AARQ[:8] + garbage)  # a valid header, a garbage APDU
    assert wrapper_answers(port)


@FUZZ
@given(garbage=st.binary(min_size=1, max_size=300))
def test_random_bytes_at_the_hdlc_listener(served, garbage):
    port = served.runtime.settings.hdlc_port
    throw(port, garbage)
    throw(port, b"\x7e" + garbage + b"\x7e")
    assert hdlc_answers(port)


@pytest.mark.parametrize(
    "apdu, expected",
    [
        ("c001c1", "0e"),  # truncated GET-Request
        ("ff00", "d8"),  # unknown APDU tag
    ],
)
def test_truncated_or_unknown_apdu_gets_a_refusal(served, apdu, expected):
    """An exception-response (0xD8) or confirmed-service-error (0x0E), and the connection lives on."""
    port = served.runtime.settings.dlms_port
    body = bytes.fromhex(apdu)
    with connect(port) as sock:
        sock.sendall(AARQ)
        assert recv_some(sock, 9)[8] == 0x61
        sock.sendall(bytes.fromhex("000100100001") + len(body).to_bytes(2, "big") + body)
        reply = recv_some(sock, 9)
    assert reply[8] in (0x0E, 0xD8)
    assert wrapper_answers(port)


@pytest.mark.parametrize(
    "request_hex, result",
    [
        ("c001c100010000282a00ff0200", 4),  # unknown OBIS 0-0:40.42.0.255 -> object-undefined
        ("c001c100010000282a00ff0900", 4),
        (
            "c001c100010000010800ff6300",
            4,
        ),  # attribute 99 of 1-0:1.8.0 (as class 1: class inconsistent or undefined)
    ],
)
def test_unknown_objects_and_attributes(served, request_hex, result):
    port = served.runtime.settings.dlms_port
    body = bytes.fromhex(request_hex)
    with connect(port) as sock:
        sock.sendall(AARQ)
        recv_some(sock, 9)
        sock.sendall(bytes.fromhex("000100100001") + len(body).to_bytes(2, "big") + body)
        reply = recv_some(sock, 8 + 5)
    assert reply[8:11] == bytes.fromhex("c401c1")
    assert reply[11] == 1 and reply[12] in (result, 9, 12)  # data-access-result


def test_oversized_wrapper_request_is_dropped_and_listener_lives(served):
    port = served.runtime.settings.dlms_port
    with connect(port) as sock:
        sock.sendall(
            bytes.fromhex("00010010000100ff") + bytes(40)
        )  # claims 255 bytes, sends 40 then stops
        time.sleep(0.05)
    throw(port, bytes.fromhex("000100100001ffff") + b"\xc0" * 65535)
    assert wrapper_answers(port)


@pytest.mark.parametrize("kind", ["dlms_port", "hdlc_port"])
def test_idle_connection_is_closed(served, kind):
    with connect(getattr(served.runtime.settings, kind)) as sock:
        sock.settimeout(IDLE * 5)
        started = time.monotonic()
        assert sock.recv(100) == b""
        assert IDLE * 0.8 <= time.monotonic() - started < IDLE * 5


def test_connection_limit_refuses_the_next_connection(served):
    port = served.runtime.settings.dlms_port
    time.sleep(0.1)
    held = [connect(port) for _ in range(LIMIT)]
    try:
        time.sleep(0.1)
        with connect(port) as extra:
            extra.settimeout(2)
            assert extra.recv(10) == b""
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.1)
    assert wrapper_answers(port)
