"""DLMS through the optical port: an independent client (gurux) signs on, selects mode E, then speaks HDLC."""

from __future__ import annotations

import time

from gurux_client import GuruxSession
from gurux_dlms import GXByteBuffer, GXReplyData
from gurux_dlms.objects import GXDLMSData
from test_optical_server import _recv_until, optical_port

from k351c import Meter, MeterConfig, SimClock
from k351c.protocols.hdlc import default_physical_address


def _mode_e(session: GuruxSession) -> None:
    session.sock.sendall(b"/?!\r\n")
    assert _recv_until(session.sock, b"\r\n") == b"/KAM6\\2K351C\r\n"
    session.sock.sendall(b"\x06262\r\n")
    assert _recv_until(session.sock, b"\r\n") == b"\x06262\r\n"


def test_gurux_reads_the_serial_number_through_mode_e_and_disc_hands_the_line_back() -> None:
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    physical = default_physical_address(meter.config.serial)
    with optical_port(meter) as (_, port):
        session = GuruxSession(port, client_sap=16, hdlc=True, physical=physical)
        try:
            _mode_e(session)
            session.connect()
            value = session.read(GXDLMSData("0.0.96.1.0.255"), 2)
            session.request(session.client.releaseRequest())
            session.request([session.client.disconnectRequest()])
            session.sock.sendall(b"/?!\r\n")
            again = _recv_until(session.sock, b"\r\n")
        finally:
            session.sock.close()
    assert value in ("12345678", b"12345678")
    assert again == b"/KAM6\\2K351C\r\n"


def test_hdlc_bytes_sent_with_the_option_select_are_answered() -> None:
    """A head-end that sends its SNRM right behind ACK 2 Z 2 gets the UA: the bytes are not lost."""
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    physical = default_physical_address(meter.config.serial)
    with optical_port(meter) as (_, port):
        session = GuruxSession(port, client_sap=16, hdlc=True, physical=physical)
        try:
            session.sock.sendall(b"/?!\r\n")
            _recv_until(session.sock, b"\r\n")
            snrm = bytes(session.client.snrmRequest())
            session.sock.sendall(b"\x06262\r\n" + snrm)
            assert _recv_until(session.sock, b"\r\n") == b"\x06262\r\n"
            ua = _recv_until(session.sock, b"\x7e") + _recv_until(session.sock, b"\x7e")
            reply = GXReplyData()
            assert session.client.getData(GXByteBuffer(ua), reply, None)
            session.client.parseUAResponse(reply.data)
        finally:
            session.sock.close()


def test_silent_hdlc_after_mode_e_hands_the_line_back_to_the_sign_on() -> None:
    """Mode E's HDLC link falls silent for the HDLC inactivity time: the meter waits for a sign-on again."""
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    physical = default_physical_address(meter.config.serial)
    with optical_port(meter, hdlc_idle=0.5, idle_close=30) as (_, port):
        session = GuruxSession(port, client_sap=16, hdlc=True, physical=physical)
        try:
            _mode_e(session)
            session.connect()
            time.sleep(1.0)
            session.sock.sendall(b"/?!\r\n")
            assert _recv_until(session.sock, b"\r\n") == b"/KAM6\\2K351C\r\n"
        finally:
            session.sock.close()
