"""The test harness serves on ports bound to 0 and reads them back: what the meter says is what it serves."""

from __future__ import annotations

from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSTcpUdpSetup

from testkit import make_meter, serve


def test_two_served_meters_get_their_own_bound_ports_and_report_them() -> None:
    first, second = serve(make_meter()), serve(make_meter())
    try:
        ports = [first.port("dlms_port"), first.port("hdlc_port"), second.port("dlms_port")]
        assert len(set(ports)) == 3 and all(p > 0 for p in ports)
        for served in (first, second):
            session = GuruxSession(served.port("dlms_port"), 32, "12345678")
            session.connect()
            try:
                shown = session.read(GXDLMSTcpUdpSetup("0.0.25.0.0.255"), 2)
            finally:
                session.close()
            assert shown == served.port("dlms_port")  # TCP-UDP setup attribute 2: the served port
    finally:
        first.stop()
        second.stop()
