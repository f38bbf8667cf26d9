"""DLMS through the optical port: an independent client (gurux) signs on, selects mode E, then speaks HDLC."""

from __future__ import annotations

from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSData
from test_optical_server import _recv_until, optical_port

from k351c import Meter, MeterConfig, SimClock
from k351c.server.dlms import endpoint_for, hdlc_session


def test_gurux_reads_the_serial_number_through_mode_e() -> None:
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    with optical_port(meter) as (runtime, port):
        endpoint = endpoint_for(runtime)

        async def factory(reader, writer, initial: bytes) -> None:
            assert initial == b""
            await hdlc_session(reader, writer, [endpoint])

        runtime.hdlc_session_factory = factory
        session = GuruxSession(port, client_sap=16, hdlc=True, physical=endpoint.physical_address)
        session.sock.sendall(b"/?!\r\n")
        assert _recv_until(session.sock, b"\r\n") == b"/KAM6\\2K351C\r\n"
        session.sock.sendall(b"\x06262\r\n")
        assert _recv_until(session.sock, b"\r\n") == b"\x06262\r\n"
        session.connect()
        try:
            value = session.read(GXDLMSData("0.0.96.1.0.255"), 2)
        finally:
            session.close()
    assert value in ("12345678", b"12345678")
