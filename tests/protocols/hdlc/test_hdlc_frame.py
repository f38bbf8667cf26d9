"""HDLC frame codec, FCS and framer: captures from the Green Book, a real meter session and gurux."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.hdlc import (
    Address,
    Command,
    Control,
    FrameDropped,
    HdlcFrame,
    UndefinedFrame,
    client_address_byte,
    default_physical_address,
    fcs16,
    fcs16_bytes,
    fcs16_ok,
    parse_frame,
    server_address,
)

GREEN_BOOK_SNRM = "7E A0 07 03 21 93 0F 01 7E"
# A real meter session (client SAP 1, server logical 1, one-octet addresses), as logged by a
# third-party reading program: SNRM with parameters, UA, AARQ (a 0x7E inside the APDU: no byte
# stuffing in IEC 62056-46), AARE, RR, a GET and a segmented response with N(S) wrapping past 7.
METER_SESSION = [
    "7E A0 20 03 03 93 FE C9 81 80 14 05 02 00 80 06 02 00 80 07 04 00 00 00 01 08 04 00 00 00 01"
    " CE 6A 7E",
    "7E A0 1E 03 03 73 40 CC 81 80 12 05 01 80 06 01 80 07 04 00 00 00 01 08 04 00 00 00 01 53 3B 7E",
    "7E A0 44 03 03 10 65 94 E6 E6 00 60 36 A1 09 06 07 60 85 74 05 08 01 01 8A 02 07 80 8B 07 60 85"
    " 74 05 08 02 01 AC 0A 80 08 78 52 77 50 62 45 78 46 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00"
    " 7E 1F 01 00 AF DF 7E",
    "7E A0 37 03 03 30 EF CA E6 E7 00 61 29 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 00 A3 05 A1"
    " 03 02 01 00 BE 10 04 0E 08 00 06 5F 1F 04 00 00 18 1D 01 80 00 07 A1 DC 7E",
    "7E A0 07 03 03 31 94 97 7E",
    "7E A0 19 03 03 32 EC C8 E6 E6 00 C0 01 87 00 01 00 00 60 01 00 FF 02 00 FB 98 7E",
    "7E A0 22 03 03 52 0D 27 E6 E7 00 C4 01 87 00 09 10 41 50 41 6E 6F 72 33 30 39 34 34 38 31 31 33"
    " 30 27 A3 7E",
    "7E A0 07 03 03 F1 98 51 7E",
    "7E A0 19 03 03 FE 8C C4 E6 E6 00 C0 01 8D 00 07 01 00 63 01 00 FF 03 00 76 BF 7E",
    "7E A8 89 03 03 1E 6D 97 E6 E7 00 C4 01 8D 00 01 08 02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02"
    " 12 00 00 02 04 12 00 01 09 06 00 00 60 0A 01 FF 0F 02 12 00 00 02 04 12 00 03 09 06 01 00 0F"
    " 08 00 FF 0F 02 12 00 00 02 04 12 00 03 09 06 01 00 0F 08 01 FF 0F 02 12 00 00 02 04 12 00 03"
    " 09 06 01 00 0F 08 02 FF 0F 02 12 00 00 02 04 12 00 03 09 06 01 00 0F 08 03 FF 0F 02 12 00 00"
    " 02 04 12 00 03 09 06 01 00 0F 08 35 E3 7E",
    "7E A0 07 03 03 11 96 B6 7E",
    "7E A0 22 03 03 10 1B 46 04 FF 0F 02 12 00 00 02 04 12 00 01 09 06 00 00 80 01 00 FF 0F 02 12 00"
    " 00 EB 7D 7E",
]
# gurux-dlms GXDLMSClient(client 16, server logical 1 physical 2234), snrmRequest() and a UI frame
# from another capture (client SAP 102).
GURUX_SNRM_4_OCTET = "7EA00A00022275219307927E"
UI_CAPTURE = "7EA01903CD13DDA8E6E600C001C000010000600100FF020018F57E"


def h(text: str) -> bytes:
    """Hex literal with spaces to bytes."""
    return bytes.fromhex(text.replace(" ", ""))


def test_fcs16_check_value() -> None:
    assert fcs16(b"123456789") == 0x906E
    assert fcs16_bytes(b"123456789") == b"\x6e\x90"
    assert fcs16_ok(b"123456789\x6e\x90")
    assert not fcs16_ok(b"123456789\x90\x6e")


def test_green_book_snrm() -> None:
    frame = HdlcFrame.from_bytes(h(GREEN_BOOK_SNRM))
    assert frame == HdlcFrame(Address(1), Address(16), Control(Command.SNRM))
    assert frame.to_bytes() == h(GREEN_BOOK_SNRM)
    assert fcs16_bytes(h("A0 07 03 21 93")) == h("0F 01")


@pytest.mark.parametrize("capture", [*METER_SESSION, GURUX_SNRM_4_OCTET, UI_CAPTURE])
def test_captures_round_trip(capture: str) -> None:
    raw = h(capture)
    frame = HdlcFrame.from_bytes(raw)
    assert frame.to_bytes() == raw


def test_capture_fields() -> None:
    segment = HdlcFrame.from_bytes(h(METER_SESSION[9]))
    assert segment.segmented and segment.control == Control(Command.I, True, 7, 0)
    assert segment.info.startswith(h("E6 E7 00 C4 01 8D"))
    assert HdlcFrame.from_bytes(h(METER_SESSION[10])).control == Control(Command.RR, True, 0, 0)
    gurux = HdlcFrame.from_bytes(h(GURUX_SNRM_4_OCTET))
    assert gurux.destination == server_address(1, 2234) == Address(1, 2234, 4)
    assert HdlcFrame.from_bytes(h(UI_CAPTURE)).control.command is Command.UI


def test_address_helpers() -> None:
    assert client_address_byte(16) == 0x21
    assert client_address_byte(1) == 0x03
    assert server_address(1, 2234, 4).to_bytes() == h("00 02 22 75")
    assert server_address(1, 17, 2).to_bytes() == h("02 23")
    assert server_address(1, size=1).to_bytes() == h("03")
    assert server_address(0x3FFF, 0x3FFF).to_bytes() == h("FE FE FE FF")
    assert default_physical_address("12345678") == 6678
    assert default_physical_address(9999) == 10999
    with pytest.raises(LocalProtocolError):
        Address(1, 200, 2)
    with pytest.raises(LocalProtocolError):
        client_address_byte(128)


def test_control_bytes() -> None:
    assert Control(Command.SNRM).to_byte() == 0x93
    assert Control(Command.DISC).to_byte() == 0x53
    assert Control(Command.UA).to_byte() == 0x73
    assert Control(Command.DM).to_byte() == 0x1F
    assert Control(Command.FRMR).to_byte() == 0x97
    assert Control(Command.UI, False).to_byte() == 0x03
    assert Control(Command.RR, True, 0, 5).to_byte() == 0xB1
    assert Control(Command.RNR, True, 0, 2).to_byte() == 0x55
    assert Control(Command.I, True, 3, 6).to_byte() == 0xD6
    assert Control.from_byte(0xFF) is None


addresses = st.one_of(
    st.builds(Address, st.integers(0, 0x7F)),
    st.builds(Address, st.integers(0, 0x7F), st.integers(0, 0x7F), st.just(2)),
    st.builds(Address, st.integers(0, 0x3FFF), st.integers(0, 0x3FFF), st.just(4)),
)
controls = st.one_of(
    st.builds(Control, st.just(Command.I), st.booleans(), st.integers(0, 7), st.integers(0, 7)),
    st.builds(
        Control,
        st.sampled_from([Command.RR, Command.RNR]),
        st.booleans(),
        st.just(0),
        st.integers(0, 7),
    ),
    st.builds(
        Control,
        st.sampled_from(
            [Command.SNRM, Command.DISC, Command.UA, Command.DM, Command.FRMR, Command.UI]
        ),
        st.booleans(),
    ),
)
frames = st.builds(
    HdlcFrame, addresses, addresses, controls, st.binary(max_size=300), st.booleans()
)


@given(frames)
def test_frame_round_trip(frame: HdlcFrame) -> None:
    assert HdlcFrame.from_bytes(frame.to_bytes()) == frame


@given(
    st.lists(frames, min_size=1, max_size=4), st.binary(max_size=20).filter(lambda b: 0x7E not in b)
)
def test_framer_stream_shared_flags_and_garbage(batch: list[HdlcFrame], garbage: bytes) -> None:
    stream = bytearray(garbage)
    for frame in batch:
        raw = frame.to_bytes()
        stream += raw[1:] if stream.endswith(b"\x7e") else raw
    got = []
    while True:
        consumed, parsed = parse_frame(stream)
        del stream[:consumed]
        if parsed is None:
            break
        got.append(parsed)
    assert got == batch


def test_framer_needs_data_and_skips_garbage() -> None:
    raw = h(GREEN_BOOK_SNRM)
    for cut in range(len(raw)):
        assert parse_frame(b"\x00\x01" + raw[:cut]) == (2, None)
    assert parse_frame(b"garbage" + raw) == (7 + len(raw) - 1, HdlcFrame.from_bytes(raw))
    assert parse_frame(b"\x7e\x7e\x7e" + raw[1:])[1] == HdlcFrame.from_bytes(raw)


def test_framer_drops_bad_checks() -> None:
    bad_fcs = bytearray(h(METER_SESSION[3]))
    bad_fcs[20] ^= 0xFF
    consumed, parsed = parse_frame(bad_fcs)
    assert isinstance(parsed, FrameDropped) and parsed.reason == "bad FCS"
    assert consumed == len(bad_fcs) - 1
    bad_hcs = bytearray(h(METER_SESSION[3]))
    bad_hcs[4] ^= 0x02
    consumed, parsed = parse_frame(bad_hcs)
    assert isinstance(parsed, FrameDropped) and parsed.reason == "bad HCS" and consumed == 1
    no_flag = bytearray(h(GREEN_BOOK_SNRM))
    no_flag[-1] = 0
    assert parse_frame(no_flag)[1] == FrameDropped("missing closing flag", bytes(no_flag))


def test_undefined_control_is_reported_as_such() -> None:
    body = h("A0 07 03 21 FF")
    raw = b"\x7e" + body + fcs16_bytes(body) + b"\x7e"
    consumed, parsed = parse_frame(raw)
    assert parsed == UndefinedFrame(Address(1), Address(16), 0xFF)


def test_from_bytes_refuses() -> None:
    with pytest.raises(RemoteProtocolError):
        HdlcFrame.from_bytes(h(GREEN_BOOK_SNRM)[:-2])
    with pytest.raises(LocalProtocolError):
        HdlcFrame(Address(1), Address(16), Control(Command.I), b"x" * 2100).to_bytes()


@given(st.binary(max_size=400))
def test_framer_never_raises_on_random_bytes(data: bytes) -> None:
    buf = bytearray(data)
    for _ in range(len(data) + 2):
        consumed, parsed = parse_frame(buf)
        del buf[:consumed]
        if parsed is None:
            break
    assert len(buf) <= 2049
