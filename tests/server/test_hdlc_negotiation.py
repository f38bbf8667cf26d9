"""The HDLC link uses what the client and the settings negotiate: window and maximum information field.

The settings hdlc_window / hdlc_max_info are what the HDLC setup object shows (attributes 3-6) and
the most the link grants; a client asking for less gets less. Read with gurux-dlms over HDLC; every
frame the meter sends is measured on the wire.
"""

from __future__ import annotations

import pytest
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSHdlcSetup, GXDLMSProfileGeneric
from test_hls_block_transfer import Recorder, hdlc_frames

from k351c.protocols.hdlc import NEED_DATA, HdlcClientConnection, HdlcParameters, server_address
from k351c.protocols.hdlc.frame import Command
from k351c.server.dlms import hdlc_parameters
from k351c.server.dlms_peers import HdlcPeer
from k351c.server.keys import KeyStore
from k351c.server.multidrop import meter_endpoint
from testkit import make_meter, serve

# AARQ of the reading client (LLS, password 12345678) and GET of the association's object list
AARQ_LLS = bytes.fromhex(
    "6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
    "BE10040E01000000065F1F0400001E1DFFFF"
)
GET_OBJECT_LIST = bytes.fromhex("C001C1000F0000280000FF0200")


@pytest.fixture(scope="module")
def served():
    running = serve(make_meter(days=2), hdlc_window=3, hdlc_max_info=256)
    yield running
    running.stop()


def read_profile(served, max_info: int, window: int) -> tuple[list, GXDLMSHdlcSetup]:
    """gurux proposes (max_info, window) both ways, reads the HDLC setup and the load profile."""
    physical = 1000 + int(served.meter.config.serial) % 10000
    s = GuruxSession(served.port("hdlc_port"), 32, "12345678", hdlc=True, physical=physical)
    limits = s.client.hdlcSettings
    limits.maxInfoTX = limits.maxInfoRX = max_info
    limits.windowSizeTX = limits.windowSizeRX = window
    s.sock = recorder = Recorder(s.sock)
    s.connect()
    try:
        setup = GXDLMSHdlcSetup("0.0.22.0.0.255")
        for attribute in (3, 4, 5, 6):
            s.read(setup, attribute)
        profile = GXDLMSProfileGeneric("1.0.99.1.0.255")
        s.read(profile, 3)
        rows = s.read(profile, 2)
        assert len(rows) == len(served.call(served.meter.read, "1-0:99.1.0.255").rows)
    finally:
        s.close()
    return hdlc_frames(bytes(recorder.received)), setup


def runs_of_i_frames(frames) -> list[int]:
    """How many I frames the meter sent per poll (a run ends with the final bit)."""
    runs, count = [], 0
    for frame in frames:
        if frame.control.command is Command.I:
            count += 1
            if frame.control.pf:
                runs.append(count)
                count = 0
    return runs


def test_the_link_uses_the_settings_when_the_client_offers_more(served):
    frames, setup = read_profile(served, max_info=1024, window=1)
    ua = next(f for f in frames if f.control.command is Command.UA)
    assert HdlcParameters.from_bytes(ua.info) == HdlcParameters(256, 256, 1, 1)
    assert (setup.windowSizeTransmit, setup.windowSizeReceive) == (3, 3)
    assert (setup.maximumInfoLengthTransmit, setup.maximumInfoLengthReceive) == (256, 256)
    assert max(len(f.info) for f in frames) == 256


def test_the_link_uses_what_the_client_asks_when_it_is_less(served):
    frames, _ = read_profile(served, max_info=64, window=1)
    ua = next(f for f in frames if f.control.command is Command.UA)
    assert HdlcParameters.from_bytes(ua.info) == HdlcParameters(64, 64, 1, 1)
    assert max(len(f.info) for f in frames) == 64
    assert set(runs_of_i_frames(frames)) == {1}


@pytest.mark.parametrize(("proposed", "granted"), [(7, 3), (2, 2)])
def test_the_link_sends_the_negotiated_window(proposed, granted):
    """gurux-dlms acknowledges every frame (no windows): our sans-IO client proposes the window."""
    meter = make_meter(days=1)
    endpoint = meter_endpoint(meter, KeyStore(None, test_keys=True))
    endpoint.hdlc = hdlc_parameters({"hdlc_window": 3, "hdlc_max_info": 128})
    peer = HdlcPeer([endpoint])
    client = HdlcClientConnection(
        32,
        server_address(1, endpoint.physical_address),
        HdlcParameters(128, 128, proposed, proposed),
    )
    sent = bytearray()

    def exchange(data: bytes) -> list:
        answer = peer.feed(data, 0.0)
        sent.extend(answer)
        client.receive_data(answer)
        events = []
        while (event := client.next_event()) is not NEED_DATA:
            events.append(event)
        return events

    (connected,) = exchange(client.connect())
    assert connected.params.window_rx == granted
    client.send_apdu(AARQ_LLS)
    exchange(client.data_to_send())
    client.send_apdu(GET_OBJECT_LIST)
    answers = []
    while not answers:
        answers = [e for e in exchange(client.data_to_send()) if hasattr(e, "apdu")]
    assert answers[0].apdu[:1] == b"\xc4"
    runs = runs_of_i_frames(hdlc_frames(bytes(sent)))
    assert max(runs) == granted and len(runs) > 3
