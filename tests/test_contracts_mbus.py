"""DESIGN.md's M-Bus contract read with pyMeterBus: identification = last 8 digits of a 10-digit serial
(BCD), default primary address 0, energy records in primary energy (CT ratio applied)."""

from __future__ import annotations

import dataclasses
import socket

import meterbus
import pytest

from k351c import MeterConfig
from testkit import bound_socket, make_meter, serve

pytestmark = pytest.mark.timeout(60)

ACK = b"\xe5"


def short_frame(control: int, address: int) -> bytes:
    """An EN 13757-2 short frame."""
    return bytes([0x10, control, address, (control + address) & 0xFF, 0x16])


def test_identification_primary_address_and_primary_energy() -> None:
    from k351c.server.mbus import mbus_listener

    config = MeterConfig.from_codes(type_number="685-35BC423-070", config5="000-040-2-1")  # 200/5 A
    meter = make_meter(config=dataclasses.replace(config, serial="9876543210"), days=0.25)
    sock = bound_socket()
    port = sock.getsockname()[1]
    served = serve(meter, [mbus_listener(port)], sockets={port: sock})
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as line:
            line.sendall(short_frame(0x40, 0))  # SND_NKE to primary address 0
            assert line.recv(1) == ACK
            line.sendall(short_frame(0x5B, 0))  # REQ_UD2
            data = b""
            while len(data) < 6 or len(data) < data[1] + 6:
                data += line.recv(4096)
        telegram = meterbus.load(data)
        primary = served.call(lambda: meter.read("1-0:1.8.0.255"))
        secondary = served.call(lambda: meter.read("1-1:1.8.0.255"))
    finally:
        served.stop()
    assert bytes(telegram.body.bodyHeader.id_nr).hex()  # pyMeterBus shows it most significant first == "76543210"
    assert telegram.body.bodyHeader.manufacturer_field.decodeManufacturer == "KAM"
    energy = float(telegram.records[0].parsed_value)
    assert energy == pytest.approx(primary.value, abs=1.0) and primary.unit == "Wh"
    assert energy == pytest.approx(40 * secondary.value, rel=1e-3)
