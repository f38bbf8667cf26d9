"""Client-side HDLC link: against a real meter's answers and against our server."""

from __future__ import annotations

import pytest

from k351c.errors import LocalProtocolError
from k351c.protocols.hdlc import (
    NEED_DATA,
    Address,
    ApduReceived,
    Command,
    Connected,
    Control,
    Disconnected,
    FrameDropped,
    HdlcClientConnection,
    HdlcFrame,
    HdlcParameters,
    HdlcServerConnection,
    server_address,
)


def h(text: str) -> bytes:
    """Hex literal with spaces to bytes."""
    return bytes.fromhex(text.replace(" ", ""))


def feed(conn, data: bytes) -> list:
    """Feed bytes and return the events."""
    if data:
        conn.receive_data(data)
    events = []
    while (event := conn.next_event()) is not NEED_DATA:
        events.append(event)
    return events


# From the real meter session of test_hdlc_server.py (client SAP 1, server address 1).
UA = "7EA01E0303 7340CC 8180120501800601800704000000010804000000 01533B7E"
AARQ_APDU = (
    "6036A1090607608574050801018A0207808B0760857405080201AC0A8008785277506245784 6BE10040E01000000"
    "065F1F040000 7E1F0100"
)
AARQ_FRAME = "7EA0440303 106594 E6E600" + AARQ_APDU + "AFDF7E"
AARE_FRAME = (
    "7EA0370303 30EFCA E6E700 6129A109060760857405080101A203020100A305A103020100BE10040E"
    "0800065F1F040000181D01800007 A1DC7E"
)


def test_client_against_real_meter_answers() -> None:
    client = HdlcClientConnection(1, Address(1))
    snrm = HdlcFrame.from_bytes(client.connect())
    assert snrm.control == Control(Command.SNRM) and snrm.destination == Address(1)
    assert HdlcParameters.from_bytes(snrm.info) == HdlcParameters()
    assert feed(client, h(UA)) == [Connected(1, Address(1), HdlcParameters())]
    client.send_apdu(h(AARQ_APDU))
    assert client.data_to_send() == h(AARQ_FRAME)
    [event] = feed(client, h(AARE_FRAME))
    assert event == ApduReceived(HdlcFrame.from_bytes(h(AARE_FRAME)).info[3:], 1)
    assert client.poll() == h("7EA0070303 319497 7E")


def test_client_reassembles_and_polls_with_rr() -> None:
    server = HdlcServerConnection(1234, params=HdlcParameters(128, 128, 1, 1))
    client = HdlcClientConnection(16, server_address(1, 1234))
    feed(server, client.connect())
    feed(client, server.data_to_send())
    client.send_apdu(b"\xc0\x01")
    [request] = feed(server, client.data_to_send())
    server.send_apdu(bytes(1000))
    polls = 0
    while True:
        events = feed(client, server.data_to_send())
        if events:
            break
        rr = HdlcFrame.from_bytes(client.data_to_send())
        assert rr.control.command is Command.RR and rr.control.pf
        polls += 1
        feed(server, rr.to_bytes())
    assert events == [ApduReceived(bytes(1000), 16)] and polls == 7


def test_client_states() -> None:
    client = HdlcClientConnection(16, server_address(1, 1234))
    with pytest.raises(LocalProtocolError):
        client.send_apdu(b"\x01")
    client.connect()
    dm = HdlcFrame(Address(16), server_address(1, 1234), Control(Command.DM))
    assert feed(client, dm.to_bytes()) == [Disconnected("DM from server")]
    other = HdlcFrame(Address(17), server_address(1, 1234), Control(Command.UA))
    assert feed(client, other.to_bytes()) == []
    stray = HdlcFrame(Address(16), server_address(1, 1234), Control(Command.UA))
    assert isinstance(feed(client, stray.to_bytes())[0], FrameDropped)


def test_client_reports_frmr_as_disconnect() -> None:
    server = HdlcServerConnection(1234, params=HdlcParameters(128, 128, 1, 1))
    client = HdlcClientConnection(16, server_address(1, 1234), HdlcParameters(512, 512, 1, 1))
    feed(server, client.connect())
    feed(client, server.data_to_send())
    assert client.params == HdlcParameters(128, 128, 1, 1)
    bogus = HdlcFrame(
        server_address(1, 1234), Address(16), Control(Command.I, True, 0, 0), bytes(300)
    )
    feed(server, bogus.to_bytes())
    [event] = feed(client, server.data_to_send())
    assert isinstance(event, Disconnected) and event.reason.startswith("FRMR")
