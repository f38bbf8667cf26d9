"""Message codecs, BCC and framer: captures, round trips, robustness."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k351c.errors import LocalProtocolError
from k351c.protocols.iec62056_21 import (
    AckMessage,
    AnswerMessage,
    Command,
    CommandMessage,
    DataLine,
    ErrorMessage,
    IdentificationMessage,
    InvalidFrame,
    ModeControl,
    NakMessage,
    OptionSelectMessage,
    ProtocolControl,
    ReadoutMessage,
    RequestMessage,
    bcc,
    parse_frame,
)

# Captures: the standard's examples and real meters' frames (the pwitab test vectors, Elster).
CAPTURES = [
    ("2f3f210d0a", RequestMessage()),
    ("2f3f3435363738393033210d0a", RequestMessage("45678903")),
    ("2f456c73365c32454b3238300d0a", IdentificationMessage("Els", "6", "EK280", "2")),
    ("2f4b414d355c324b333531430d0a", IdentificationMessage("KAM", "5", "K351C", "2")),
    ("063035300d0a", OptionSelectMessage(ProtocolControl.NORMAL, "5", ModeControl.DATA_READOUT)),
    ("063035310d0a", OptionSelectMessage(ProtocolControl.NORMAL, "5", ModeControl.PROGRAMMING)),
    ("063235320d0a", OptionSelectMessage(ProtocolControl.HDLC, "5", ModeControl.BINARY_HDLC)),
    ("0142300371", CommandMessage(Command.BREAK, 0)),
    (
        "015030022831323334353637290350",
        CommandMessage(Command.PASSWORD, 0, DataLine("", "1234567")),
    ),
    ("01523102312e382e30283129036b", CommandMessage(Command.READ, 1, DataLine("1.8.0", "1"))),
    (
        "01573202433030332839313033323430393232333929031b",
        CommandMessage(Command.WRITE, 2, DataLine("C003", "910324092239")),
    ),
    ("02333a3137312e302830290312", AnswerMessage((DataLine("3:171.0", "0"),))),
    ("06", AckMessage()),
    ("15", NakMessage()),
]


@pytest.mark.parametrize(("hex_bytes", "message"), CAPTURES)
def test_captures_parse_and_encode(hex_bytes: str, message: object) -> None:
    raw = bytes.fromhex(hex_bytes)
    option = isinstance(message, OptionSelectMessage)
    assert parse_frame(raw, option_select=option) == (len(raw), message)
    assert message.to_bytes() == raw


def test_readout_capture_two_sets_on_one_line() -> None:
    raw = b'\x023:14(314*kWh)4:15(415*kWh)\r\n!\r\n\x03"'
    assert parse_frame(raw)[1] == ReadoutMessage(
        (DataLine("3:14", "314", "kWh"), DataLine("4:15", "415", "kWh"))
    )


def test_readout_bytes_with_bcc() -> None:
    message = ReadoutMessage(
        (
            DataLine("1.8.0", "0001234.567", "kWh"),
            DataLine("1.6.0", "12.3", "kW", (("2601011200", ""),)),
        )
    )
    body = b"1.8.0(0001234.567*kWh)\r\n1.6.0(12.3*kW)(2601011200)\r\n!\r\n\x03"
    assert message.to_bytes() == b"\x02" + body + bytes((bcc(body),))
    assert message.to_bytes()[-1] == ord("u")  # cross-checked with iec62056_21.utils
    assert ReadoutMessage().to_bytes() == b"\x02!\r\n\x03%"


def test_bcc_excludes_start_includes_etx() -> None:
    assert bcc(b"B0\x03") == ord("q")
    assert bcc(b"P1\x02(00000000)\x03") == 0x61
    assert bcc(bytes(b | 0x80 for b in b"B0\x03")) == ord("q")


def test_error_message_and_full_obis_address() -> None:
    assert ErrorMessage("ERROR: LEGAL DATA").to_bytes() == b"\x02(ERROR: LEGAL DATA)\x03" + bytes(
        (bcc(b"(ERROR: LEGAL DATA)\x03"),)
    )
    line = DataLine("1-0:1.8.0*255", "0001234.567", "kWh")
    assert parse_frame(AnswerMessage((line,)).to_bytes())[1] == AnswerMessage((line,))


@pytest.mark.parametrize(
    "make",
    [
        lambda: DataLine("1.8.0", "x" * 129).to_text(),
        lambda: DataLine("1.8(0", "1").to_text(),
        lambda: DataLine("1.8.0", "1*2").to_text(),
        lambda: RequestMessage("1" * 33).to_bytes(),
        lambda: IdentificationMessage("K1M", "5", "x").to_bytes(),
        lambda: IdentificationMessage("KAM", "5", "x" * 17).to_bytes(),
        lambda: OptionSelectMessage(
            ProtocolControl.NORMAL, "9", ModeControl.DATA_READOUT
        ).to_bytes(),
        lambda: ErrorMessage("E" * 33).to_bytes(),
        lambda: CommandMessage(Command.READ, 10).to_bytes(),
    ],
)
def test_illegal_messages_raise_local_error(make) -> None:
    with pytest.raises(LocalProtocolError):
        make()


def test_value_of_128_characters_is_allowed() -> None:
    line = DataLine("C.1.0", "7" * 128)
    assert parse_frame(AnswerMessage((line,)).to_bytes())[1] == AnswerMessage((line,))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x01B0\x03x", "BCC"),
        (b"\x021.8.0(1)\x04\x00", "partial"),
        (b"\x021.8.0(1\x021.8.0(1)\x03", "cut short"),
        (b"/?1234\r\n", "request"),
    ],
)
def test_invalid_frames(raw: bytes, reason: str) -> None:
    consumed, frame = parse_frame(raw)
    assert isinstance(frame, InvalidFrame) and consumed > 0
    assert reason in frame.reason


def test_needs_data_and_skips_noise() -> None:
    assert parse_frame(b"/?12") == (0, None)
    assert parse_frame(b"\x06\x30", option_select=True) == (0, None)
    assert parse_frame(b"\x01R1\x021.8.0(1)\x03") == (0, None)
    assert parse_frame(b"xyz\x06") == (3, None)
    consumed, frame = parse_frame(b"/" + b"a" * 100)
    assert consumed == 101 and isinstance(frame, InvalidFrame)


_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="()*/!"))
_address = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="()/!"),
    min_size=1,
    max_size=16,
)
_lines = st.builds(
    DataLine,
    _address,
    _text.filter(lambda v: len(v) <= 128),
    _text.filter(lambda u: len(u) <= 16),
    st.lists(
        st.tuples(_text.filter(lambda v: len(v) <= 32), _text.filter(lambda u: len(u) <= 16)),
        max_size=2,
    ).map(tuple),
)
_messages = st.one_of(
    st.builds(RequestMessage, st.text(st.sampled_from("0123456789ABCabc "), max_size=32)),
    st.builds(
        IdentificationMessage,
        st.text(st.sampled_from("ABKMXabk"), min_size=3, max_size=3),
        st.sampled_from("0123456"),
        st.text(
            st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/!\\"),
            max_size=16,
        ),
        st.sampled_from(["", "2"]),
    ),
    st.builds(
        OptionSelectMessage,
        st.sampled_from(ProtocolControl),
        st.sampled_from("0123456"),
        st.sampled_from(ModeControl),
    ),
    st.builds(ReadoutMessage, st.lists(_lines, max_size=4).map(tuple)),
    st.builds(AnswerMessage, st.lists(_lines, min_size=1, max_size=3).map(tuple)),
    st.builds(ErrorMessage, _text.filter(lambda t: len(t) <= 32)),
    st.builds(
        CommandMessage,
        st.sampled_from(Command),
        st.integers(0, 9),
        st.none() | _lines.map(lambda line: DataLine(line.address, line.value)),
    ),
    st.just(AckMessage()),
    st.just(NakMessage()),
)


@given(_messages)
def test_round_trip(message) -> None:
    raw = message.to_bytes()
    option = isinstance(message, OptionSelectMessage)
    assert parse_frame(raw, option_select=option, max_frame=4096) == (len(raw), message)


@given(_messages, st.data())
def test_split_feeding_finds_the_same_frame(message, data) -> None:
    raw = message.to_bytes()
    option = isinstance(message, OptionSelectMessage)
    cut = data.draw(st.integers(1, len(raw)))
    consumed, frame = parse_frame(raw[:cut], option_select=option, max_frame=4096)
    if cut < len(raw):
        assert (consumed, frame) == (0, None) or isinstance(message, (AckMessage, NakMessage))
    else:
        assert frame == message


@given(st.binary(max_size=300), st.booleans())
def test_random_bytes_never_raise(data: bytes, option: bool) -> None:
    buf = bytes(b & 0x7F for b in data)
    while buf:
        consumed, _ = parse_frame(buf, option_select=option)
        if consumed == 0:
            break
        buf = buf[consumed:]
