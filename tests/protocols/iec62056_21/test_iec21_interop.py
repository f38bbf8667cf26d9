"""Interop: the independent `iec62056_21` client (pwitab) reads our server over loopback TCP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from iec62056_21 import messages as pw_messages
from iec62056_21.client import Iec6205621Client
from iec62056_21.transports import TcpTransport

from k351c.protocols.iec62056_21 import NEED_DATA, Iec62056Server, Send

SERIAL = "12345678"


def _serve_connection(conn: socket.socket, backend, stop: threading.Event) -> None:
    """One optical dialogue per connection: bytes in, Send events out (TCP has no baud rate)."""
    server = Iec62056Server(backend, max_baud=9600)
    conn.settimeout(0.1)
    while not stop.is_set():
        try:
            data = conn.recv(1024)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return
        if not data:
            return
        server.receive_data(data)
        while (event := server.next_event()) is not NEED_DATA:
            if isinstance(event, Send):
                conn.sendall(event.data)


@contextmanager
def optical_tcp_server(backend) -> Iterator[tuple[str, int]]:
    """A tiny threaded TCP listener for the optical protocol on a free loopback port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                _serve_connection(conn, backend, stop)

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


@pytest.fixture
def pw_client(backend) -> Iterator[Iec6205621Client]:
    """A pwitab client connected to our server."""
    with optical_tcp_server(backend) as address:
        client = Iec6205621Client(TcpTransport(address=address, timeout=5), device_address=SERIAL)
        client.connect()
        try:
            yield client
        finally:
            client.disconnect()


def test_pwitab_standard_readout(pw_client) -> None:
    response = pw_client.standard_readout()
    assert pw_client.manufacturer_id == "KAM"
    assert pw_client.switchover_baudrate == 9600
    got = [(d.address, d.value, d.unit) for d in response.data]
    assert got == [
        ("0.0.0", SERIAL, None),
        ("1.8.0", "0001234.567", "kWh"),
        ("1-0:2.8.0*255", "0000012.000", "kWh"),
        ("1.6.0", "12.345", "kW"),
        (None, "2601011200", None),
        ("0.4.2", "100", None),
    ]


def test_pwitab_programming_mode(pw_client, backend) -> None:
    """The codec against the fake backend; the served meter's own backend is driven by pwitab in
    tests/server/test_optical_server.py::test_pwitab_programming_mode_on_the_real_optical_port."""
    challenge = pw_client.access_programming_mode()
    assert (challenge.command, challenge.command_type) == ("P", 0)
    assert challenge.data_set.value == SERIAL
    password = pw_messages.CommandMessage("P", 1, pw_messages.DataSet(address="", value="00000000"))
    pw_client.transport.send(password.to_bytes())
    assert pw_client._recv_ack() == "\x06"
    value = pw_client.read_single_value("1.8.0")
    assert (value.address, value.value, value.unit) == ("1.8.0", "0001234.567", "kWh")
    pw_client.write_single_value("0.4.2", "42")
    assert backend.writes == [("0.4.2", "42")]
    with pytest.raises(ValueError, match="invalid response"):
        pw_client.write_single_value("1.8.0", "0")
    pw_client.send_break()
    assert backend.values["1.8.0"].value == "0001234.567"
