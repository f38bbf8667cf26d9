"""IEC 62056-47 wrapper framing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.wrapper import (
    NEED_DATA,
    ConnectionClosed,
    WrapperConnection,
    WrapperFrame,
    parse_wrapper,
)

# GET.request of the clock time (client 16 -> logical device 1) and a date-time reply, laid out
# as in the Green Book's wrapper examples (header: version, source wPort, destination wPort, length).
GET_CLOCK = "0001 0010 0001 000D C001C1000800000100 00FF0200"
GET_CLOCK_REPLY = "0001 0001 0010 0012 C401C100090C 07EA0101040000000080 0000"


def h(text: str) -> bytes:
    """Hex literal with spaces to bytes."""
    return bytes.fromhex(text.replace(" ", ""))


def test_captures() -> None:
    frame = WrapperFrame.from_bytes(h(GET_CLOCK))
    assert frame == WrapperFrame(16, 1, h("C001C100080000010000FF0200"))
    assert frame.reply(h("C401C100090C07EA01010400000000800000")).to_bytes() == h(GET_CLOCK_REPLY)


def test_gurux_builds_the_same_header() -> None:
    from gurux_dlms import GXDLMSClient
    from gurux_dlms.enums import Authentication, InterfaceType
    from gurux_dlms.objects import GXDLMSClock

    client = GXDLMSClient(True, 16, 1, Authentication.NONE, None, InterfaceType.WRAPPER)
    aarq = bytes(client.aarqRequest()[0])
    frame = WrapperFrame.from_bytes(aarq)
    assert (frame.source, frame.destination) == (16, 1) and frame.apdu[0] == 0x60
    get = bytes(client.read(GXDLMSClock("0.0.1.0.0.255"), 2)[0])
    assert WrapperFrame.from_bytes(get).apdu[0] == 0xC0


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.binary(max_size=3000))
def test_round_trip(source: int, destination: int, apdu: bytes) -> None:
    frame = WrapperFrame(source, destination, apdu)
    assert WrapperFrame.from_bytes(frame.to_bytes()) == frame


def test_partial_input_never_raises() -> None:
    raw = h(GET_CLOCK)
    for cut in range(len(raw)):
        assert parse_wrapper(raw[:cut]) == (0, None)
    assert parse_wrapper(raw + raw[:3]) == (len(raw), WrapperFrame.from_bytes(raw))


def test_bad_version_and_oversize() -> None:
    with pytest.raises(RemoteProtocolError):
        parse_wrapper(h("0002 0010 0001 0000"))
    with pytest.raises(RemoteProtocolError):
        parse_wrapper(h("1603"))
    with pytest.raises(RemoteProtocolError):
        parse_wrapper(h("0001 0010 0001 0100"), max_length=255)
    assert parse_wrapper(h("0001 0010 0001 00FF"), max_length=255) == (0, None)
    with pytest.raises(LocalProtocolError):
        WrapperFrame(16, 1, bytes(0x10000))


@given(st.lists(st.binary(max_size=200), max_size=5), st.integers(1, 17))
def test_connection_byte_at_a_time_equals_all_at_once(apdus: list[bytes], chunk: int) -> None:
    stream = b"".join(WrapperFrame(16, 1, apdu).to_bytes() for apdu in apdus)
    conn = WrapperConnection()
    got = []
    for i in range(0, len(stream), chunk):
        conn.receive_data(stream[i : i + chunk])
        while (event := conn.next_event()) is not NEED_DATA:
            got.append(event)
    assert [e.apdu for e in got] == apdus


def test_connection_close() -> None:
    conn = WrapperConnection()
    conn.receive_data(h(GET_CLOCK) + h(GET_CLOCK)[:5])
    conn.receive_data(b"")
    assert isinstance(conn.next_event(), WrapperFrame)
    assert conn.next_event() == ConnectionClosed()
    assert conn.next_event() is NEED_DATA
    assert conn.send(WrapperFrame(1, 16, b"\x01")) == h("0001 0001 0010 0001 01")
    with pytest.raises(LocalProtocolError):
        conn.receive_data(b"x")
