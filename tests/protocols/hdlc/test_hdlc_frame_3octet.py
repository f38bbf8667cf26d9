"""3-octet HDLC server addresses (1 upper + 2 lower octets), as dlms-cosem 21.3.2 sends them."""

from __future__ import annotations

from dlms_cosem.hdlc import address as dc_address
from hypothesis import given
from hypothesis import strategies as st

from k351c.protocols.hdlc import (
    NEED_DATA,
    Address,
    ApduReceived,
    Command,
    Connected,
    HdlcClientConnection,
    HdlcFrame,
    HdlcServerConnection,
    parse_frame,
    server_address,
)

# dlms-cosem 21.3.2: SetNormalResponseModeFrame(HdlcAddress(1, 1234, "server"), HdlcAddress(16)).
SNRM_TO_1234 = bytes.fromhex("7ea0090212a52193510a7e")


def test_dlms_cosem_snrm_capture_parses_as_3_octets() -> None:
    consumed, frame = parse_frame(SNRM_TO_1234)
    assert consumed >= len(SNRM_TO_1234) - 1  # the closing flag may open the next frame
    assert isinstance(frame, HdlcFrame)
    assert frame.destination == Address(1, 1234, 3)
    assert frame.source == Address(16)
    assert frame.control.command is Command.SNRM
    assert frame.to_bytes() == SNRM_TO_1234


def test_dlms_cosem_builds_the_same_bytes_for_physical_addresses_from_128() -> None:
    for physical in (128, 1000, 1234, 9999 + 1000, 0x3FFE):
        theirs = dc_address.HdlcAddress(1, physical, "server").to_bytes()
        assert len(theirs) == 3
        assert Address(1, physical, 3).to_bytes() == theirs
        assert Address.from_bytes(theirs) == Address(1, physical, 3)


@given(st.integers(0, 0x7F), st.integers(0, 0x3FFF))
def test_3_octet_round_trip(upper: int, lower: int) -> None:
    address = Address(upper, lower, 3)
    encoded = address.to_bytes()
    assert len(encoded) == 3 and encoded[-1] & 1 and not any(b & 1 for b in encoded[:-1])
    assert Address.from_bytes(encoded) == address


def test_all_station_lower_in_3_octets() -> None:
    assert Address(1, 0x3FFF, 3).is_all_station_lower
    assert not Address(1, 0x7F, 3).is_all_station_lower


def drain(conn: HdlcServerConnection | HdlcClientConnection) -> list:
    """All events the buffered bytes produce."""
    events = []
    while (event := conn.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def feed(conn: HdlcServerConnection | HdlcClientConnection, data: bytes) -> list:
    """Feed bytes (nothing if empty) and return the events."""
    if data:
        conn.receive_data(data)
    return drain(conn)


def test_server_answers_a_3_octet_snrm_with_a_3_octet_source() -> None:
    server = HdlcServerConnection(physical=1234)
    assert isinstance(feed(server, SNRM_TO_1234)[0], Connected)
    _, reply = parse_frame(server.data_to_send())
    assert isinstance(reply, HdlcFrame)
    assert reply.control.command is Command.UA
    assert reply.source == Address(1, 1234, 3)
    assert reply.source.to_bytes() == dc_address.HdlcAddress(1, 1234, "server").to_bytes()
    assert reply.destination == Address(16)


def test_other_physical_address_in_3_octets_is_ignored() -> None:
    server = HdlcServerConnection(physical=1235)
    assert not [e for e in feed(server, SNRM_TO_1234) if isinstance(e, Connected)]
    assert server.data_to_send() == b""


def test_an_apdu_exchange_over_3_octet_addresses() -> None:
    server = HdlcServerConnection(physical=1234)
    client = HdlcClientConnection(16, server_address(1, 1234, size=3))
    assert isinstance(feed(server, client.connect())[0], Connected)
    assert isinstance(feed(client, server.data_to_send())[0], Connected)
    client.send_apdu(b"\xc0\x01\xc1")
    got = [e for e in feed(server, client.data_to_send()) if isinstance(e, ApduReceived)]
    assert got[0].apdu == b"\xc0\x01\xc1"
    server.send_apdu(b"\xc4\x01\xc1\x00")
    sent = server.data_to_send()
    assert HdlcFrame.from_bytes(sent).source == Address(1, 1234, 3)
    answer = [e for e in feed(client, sent) if isinstance(e, ApduReceived)]
    assert answer[0].apdu == b"\xc4\x01\xc1\x00"
