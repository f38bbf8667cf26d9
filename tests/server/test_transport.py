"""The one transport layer: connection limit, idle time-out and back-pressure, alike on serve and fleet.

Each behaviour is checked on a served meter (``k351c serve``'s listeners) and on a fleet's own
ports (``k351c fleet``), over the wrapper and over HDLC, with plain sockets and gurux's frames.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from gurux_dlms import GXDLMSClient
from gurux_dlms.enums import Authentication, InterfaceType

from k351c import MeterConfig, SimClock
from k351c.codes.server import ServerSettings
from k351c.meter.fleet import Fleet
from k351c.server.fleet import FleetServer
from testkit import ServedFleet, bound_block, bound_socket, serve

LIMIT = 3
IDLE = 0.8
GET_ENERGY = bytes.fromhex("c001c100030100010800ff0200")  # GET 1-0:1.8.0.255 attribute 2
START = 1_772_323_200.0  # 2026-03-01T00:00:00Z


@dataclass
class Ports:
    """The wrapper and HDLC ports of one meter, and its HDLC physical address."""

    wrapper: int
    hdlc: int
    physical: int


@pytest.fixture(scope="module", params=["serve", "fleet"])
def ports(request, tmp_path_factory) -> Iterator[Ports]:
    """A meter served by ``k351c serve``'s listeners, or meter 0 of a fleet, with a small limit and idle time."""
    settings = {"max_connections": LIMIT, "tcp_inactivity": IDLE, "hdlc_inactivity": IDLE}
    if request.param == "serve":
        running = serve(**settings)
        serial = running.meter.config.serial
        yield Ports(running.port("dlms_port"), running.port("hdlc_port"), int(serial) % 10000 + 1000)
        running.stop()
        return
    fleet = Fleet(MeterConfig.default(), meters=2, start=START)
    sockets = bound_block(4)
    base = min(sockets)
    server = FleetServer(
        fleet,
        SimClock(START + 3600, rate=0),
        dlms_base_port=base,
        hdlc_base_port=base + 2,
        state=tmp_path_factory.mktemp("fleet"),
        test_keys=True,
        tick=0.2,
        settings=ServerSettings.coerce(settings),
    )
    running = ServedFleet(server, sockets)
    yield Ports(base, base + 2, int(fleet.serial(0)) % 10000 + 1000)
    running.stop()


def wrapper_client() -> GXDLMSClient:
    return GXDLMSClient(True, 16, 1, Authentication.NONE, None, InterfaceType.WRAPPER)


def connect(port: int, **options: int) -> socket.socket:
    """A client socket (socket options set before connecting) with a short timeout."""
    sock = socket.socket()
    for name, value in options.items():
        sock.setsockopt(socket.SOL_SOCKET, getattr(socket, name), value)
    sock.settimeout(5)
    sock.connect(("127.0.0.1", port))
    return sock


def associate(sock: socket.socket) -> None:
    """A public association by gurux's AARQ; the AARE must say accepted."""
    sock.sendall(bytes(wrapper_client().aarqRequest()[0]))
    answer = recv_frame(sock)
    assert answer[8] == 0x61 and b"\xa2\x03\x02\x01\x00" in answer, answer.hex()


def recv_frame(sock: socket.socket) -> bytes:
    """One wrapper frame."""
    head = recv_exactly(sock, 8)
    return head + recv_exactly(sock, int.from_bytes(head[6:8], "big"))


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "the meter closed the connection"
        data += chunk
    return data


def get_request() -> bytes:
    """The GET of A+ in a wrapper frame from client 16 to the logical device."""
    return bytes.fromhex("000100100001") + len(GET_ENERGY).to_bytes(2, "big") + GET_ENERGY


def answers_a_get(port: int) -> bool:
    """Whether a fresh connection gets the GET of A+ answered with data."""
    with connect(port) as sock:
        associate(sock)
        sock.sendall(get_request())
        return recv_frame(sock)[8:12] == bytes.fromhex("c401c100")


def test_the_connection_beyond_the_limit_is_refused_and_a_freed_slot_is_reused(ports: Ports) -> None:
    held = [connect(ports.wrapper) for _ in range(LIMIT)]
    try:
        for sock in held:
            associate(sock)
        with connect(ports.wrapper) as extra:
            assert extra.recv(10) == b""
        held.pop().close()
        time.sleep(0.2)
        assert answers_a_get(ports.wrapper)
    finally:
        for sock in held:
            sock.close()


@pytest.mark.parametrize("kind", ["wrapper", "hdlc"])
def test_an_idle_connection_is_closed_after_the_inactivity_time(ports: Ports, kind: str) -> None:
    with connect(getattr(ports, kind)) as sock:
        if kind == "wrapper":
            associate(sock)
        started = time.monotonic()
        sock.settimeout(IDLE * 6)
        assert sock.recv(100) == b""
        assert IDLE * 0.8 <= time.monotonic() - started < IDLE * 6


def test_a_trickled_frame_is_not_activity(ports: Ports) -> None:
    """A client sending one octet of a frame at a time is closed like a silent one (slowloris)."""
    frame = get_request()
    with connect(ports.wrapper) as sock:
        associate(sock)
        started = time.monotonic()
        closed = False
        for octet in frame[:-1]:
            try:
                sock.sendall(bytes((octet,)))
            except OSError:
                closed = True
                break
            sock.settimeout(IDLE / 4)
            try:
                if sock.recv(10) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
        assert closed
        assert time.monotonic() - started < IDLE * 6


def test_a_peer_that_stops_reading_is_no_longer_read(ports: Ports) -> None:
    """Back-pressure: once the answers pile up, the meter stops reading, so the sender is blocked
    (a meter that read on would buffer answers without bound and the sender would never block)."""
    request = get_request() * 256
    with connect(ports.wrapper, SO_RCVBUF=4096, SO_SNDBUF=4096) as sock:
        associate(sock)
        sock.settimeout(1.0)
        sent, deadline = 0, time.monotonic() + 60
        blocked = False
        while time.monotonic() < deadline:
            try:
                sent += sock.send(request)
            except TimeoutError:
                blocked = True
                break
        assert blocked, f"the meter read {sent} octets of requests whose answers nobody read"
        assert sent < 64 * 2**20
        assert answers_a_get(ports.wrapper), "other clients are still served"


def test_hdlc_connection_limit_is_the_same(ports: Ports) -> None:
    client = GXDLMSClient(
        True, 16, GXDLMSClient.getServerAddress(1, ports.physical), Authentication.NONE, None,
        InterfaceType.HDLC,
    )
    held = [connect(ports.hdlc) for _ in range(LIMIT)]
    try:
        for sock in held:
            sock.sendall(bytes(client.snrmRequest()))
            assert sock.recv(200)[:1] == b"\x7e"
        with connect(ports.hdlc) as extra:
            assert extra.recv(10) == b""
    finally:
        for sock in held:
            sock.close()


@pytest.fixture(scope="module")
def bus() -> Iterator[Ports]:
    """An RS-485 multidrop bus of two meters on TCP with the same small limit and idle time."""
    import asyncio
    import threading

    from k351c.server.keys import KeyStore
    from k351c.server.multidrop import meter_endpoint, serve_multidrop
    from testkit import make_meter

    meters = [make_meter(days=1 / 24) for _ in range(2)]
    endpoints = [meter_endpoint(m, KeyStore(None, test_keys=True), 1001 + k) for k, m in enumerate(meters)]
    settings = ServerSettings.coerce({"max_connections": LIMIT, "hdlc_inactivity": IDLE})
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(serve_multidrop(endpoints, "127.0.0.1", 0, settings), loop).result(5)
    yield Ports(0, server.sockets[0].getsockname()[1], 1001)
    loop.call_soon_threadsafe(server.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_the_multidrop_bus_has_the_same_limit_and_idle_time(bus: Ports) -> None:
    test_hdlc_connection_limit_is_the_same(bus)
    test_an_idle_connection_is_closed_after_the_inactivity_time(bus, "hdlc")


def test_the_optical_port_has_the_same_limit() -> None:
    """The optical port on TCP admits max_connections at a time, like every other listener."""
    from k351c.server.optical import optical_listener

    sock = bound_socket()
    port = sock.getsockname()[1]
    running = serve(listeners=[optical_listener(port)], sockets={port: sock}, max_connections=LIMIT)
    held = [connect(port) for _ in range(LIMIT)]
    try:
        for client in held:
            client.sendall(b"/?!\r\n")
            assert client.recv(100).startswith(b"/KAM")
        with connect(port) as extra:
            assert extra.recv(10) == b""
    finally:
        for client in held:
            client.close()
        running.stop()
