"""Wireless M-Bus: OMS mode 5 telegrams, checked by pywmbus (framing, CRCs, header) when installed,
decrypted here with `cryptography` and parsed by pyMeterBus."""

from __future__ import annotations

import asyncio
import socket
from decimal import Decimal

import meterbus
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.errors import RemoteProtocolError
from k351c.protocols.mbus.frames import Control, LongFrame
from k351c.protocols.mbus.header import FixedHeader, Identification
from k351c.protocols.mbus.records import DataField, DataRecord
from k351c.protocols.wmbus import WirelessTelegram, add_crcs, crc16, open_telegram, strip_crcs
from k351c.server.wmbus import WirelessSender

KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")


def make_meter() -> Meter:
    config = MeterConfig.from_codes(config1="3-1-064-00-2", serial="7012345678")
    meter = Meter(config, clock=SimClock("2026-03-01T10:00:00Z", rate=0))
    meter.set_load(ConstantLoad(230.0, 5.0, 10.0))
    meter.run_for(3600)
    return meter


def test_crc_en13757_check_value() -> None:
    assert crc16(b"123456789") == 0xC2B7  # the catalogued check value of CRC-16/EN-13757


def test_independent_decryption_and_pymeterbus_records() -> None:
    meter = make_meter()
    sender = WirelessSender(meter, KEY)
    raw = sender.telegram()
    frame = strip_crcs(raw)
    assert (
        frame[1] == 0x44 and frame[2:4] == b"\x2d\x2c" and frame[4:8] == bytes.fromhex("78563412")
    )
    assert frame[10] == 0x7A and frame[14] == 0x05
    blocks = frame[13] >> 4
    iv = frame[2:10] + bytes([frame[11]]) * 8
    decryptor = Cipher(algorithms.AES(KEY), modes.CBC(iv)).decryptor()
    plain = decryptor.update(frame[15 : 15 + 16 * blocks]) + decryptor.finalize()
    assert plain[:2] == b"\x2f\x2f"
    records = plain[2:].rstrip(b"\x2f")
    header = FixedHeader(Identification(12345678, "KAM", 1, 2), frame[11], 0).to_bytes()
    wired = LongFrame(Control.RSP_UD, 0, 0x72, header + records).to_bytes()
    parsed = meterbus.load(wired)
    energy = [r for r in parsed.records if r.unit == "Wh"]
    assert energy[0].value == Decimal(
        meter.read("1-0:1.8.0.255").value
        * (1000 if meter.read("1-0:1.8.0.255").unit.startswith("k") else 1)
    )
    assert any(r.unit == "date time" for r in parsed.records)


def test_pywmbus_checks_framing_and_header() -> None:
    import pywmbus
    raw = WirelessSender(make_meter(), KEY).telegram()
    datagram = pywmbus.parse(bytearray(raw))
    assert datagram.manufacturer == "KAM"
    assert datagram.access_no == 1 and datagram.is_short


@given(
    st.integers(0, 99999999),
    st.integers(0, 255),
    st.lists(st.integers(0, 99999999), max_size=12),
    st.binary(min_size=16, max_size=16),
)
def test_round_trip(ident: int, access: int, values: list[int], key: bytes) -> None:
    records = tuple(DataRecord(DataField.BCD8, b"\x03", v) for v in values)
    raw = WirelessTelegram(ident, records, access).to_bytes(key)
    head, body = open_telegram(raw, key)
    assert head[11] == access
    assert body.rstrip(b"\x2f")[2:] == b"".join(r.to_bytes() for r in records).rstrip(b"\x2f")


def test_wrong_key_and_bad_crc_are_refused() -> None:
    raw = WirelessTelegram(12345678, (DataRecord(DataField.BCD8, b"\x03", 1),), 7).to_bytes(KEY)
    with pytest.raises(RemoteProtocolError):
        open_telegram(raw, bytes(16))
    broken = bytearray(raw)
    broken[20] ^= 1
    with pytest.raises(RemoteProtocolError):
        strip_crcs(bytes(broken))
    assert add_crcs(strip_crcs(raw)) == raw


def test_sender_to_udp_and_file(tmp_path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(2)
        sink = f"udp://127.0.0.1:{sock.getsockname()[1]}"
        sender = WirelessSender(make_meter(), KEY)

        async def run_once() -> None:
            stopping = asyncio.Event()
            task = asyncio.create_task(sender.run(sink, 0.01, stopping))
            await asyncio.sleep(0.05)
            stopping.set()
            await task

        asyncio.run(run_once())
        datagram = sock.recv(512)
    assert open_telegram(datagram, KEY)[0][11] >= 1
    path = tmp_path / "telegrams.hex"
    from k351c.server.wmbus import send_to_sink

    send_to_sink(str(path), sender.telegram())
    line = path.read_text().strip()
    assert open_telegram(bytes.fromhex(line), KEY)[1][:2] == b"\x2f\x2f"
