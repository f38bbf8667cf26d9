"""EN 13757-2 frames: captures, round trips, byte-at-a-time framing, garbage."""

from hypothesis import given
from hypothesis import strategies as st

from k351c.protocols.mbus.frames import (
    NEED_DATA,
    ControlFrame,
    Framer,
    LongFrame,
    ShortFrame,
    SingleCharacter,
    checksum,
    parse_frame,
)

# m-bus.com / EN 13757-3 example RSP_UD (variable data structure), checksum 18h.
EXAMPLE_RSP_UD = bytes.fromhex(
    "681F1F680802727856341224400107550000000313153100DA023B13018B60043718021816"
)
SND_NKE_1 = bytes.fromhex("1040014116")
REQ_UD2_1 = bytes.fromhex("105B015C16")
REQ_UD2_FCB_254 = bytes.fromhex("107BFE7916")
APP_RESET_CONTROL = bytes.fromhex("6803036853FE50A116")


def test_captures_parse() -> None:
    assert parse_frame(b"\xe5") == (1, SingleCharacter())
    assert parse_frame(SND_NKE_1) == (5, ShortFrame(0x40, 1))
    assert parse_frame(REQ_UD2_1) == (5, ShortFrame(0x5B, 1))
    consumed, frame = parse_frame(REQ_UD2_FCB_254)
    assert consumed == 5 and frame.fcb and frame.fcv
    assert parse_frame(APP_RESET_CONTROL) == (9, ControlFrame(0x53, 0xFE, 0x50))
    consumed, frame = parse_frame(EXAMPLE_RSP_UD)
    assert consumed == len(EXAMPLE_RSP_UD)
    assert isinstance(frame, LongFrame) and frame.to_bytes() == EXAMPLE_RSP_UD


def test_checksum() -> None:
    assert checksum(bytes([0x5B, 0x01])) == 0x5C
    assert checksum(bytes([0xFF, 0xFF])) == 0xFE


frames = st.one_of(
    st.just(SingleCharacter()),
    st.builds(ShortFrame, st.integers(0, 255), st.integers(0, 255)),
    st.builds(ControlFrame, st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
    st.builds(
        LongFrame,
        st.integers(0, 255),
        st.integers(0, 255),
        st.integers(0, 255),
        st.binary(min_size=1, max_size=252),
    ),
)


@given(frames)
def test_round_trip(frame) -> None:
    data = frame.to_bytes()
    assert parse_frame(data) == (len(data), frame)


@given(st.lists(frames, max_size=5))
def test_byte_at_a_time_equals_all_at_once(items) -> None:
    stream = b"".join(f.to_bytes() for f in items)
    framer = Framer()
    got = []
    for i in range(len(stream)):
        framer.receive_data(stream[i : i + 1])
        while (event := framer.next_event()) is not NEED_DATA:
            got.append(event)
    assert got == items


def test_bad_checksum_and_length_are_dropped() -> None:
    framer = Framer()
    bad_cs = bytearray(EXAMPLE_RSP_UD)
    bad_cs[-2] ^= 1
    bad_len = bytearray(EXAMPLE_RSP_UD)
    bad_len[2] = 0x20
    framer.receive_data(bytes(bad_cs) + bytes(bad_len) + b"\x10\x5b\x01\x5d\x16" + REQ_UD2_1)
    assert framer.next_event() == ShortFrame(0x5B, 1)
    assert framer.next_event() is NEED_DATA
    assert framer.discarded > 0


@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data) -> None:
    framer = Framer()
    framer.receive_data(data)
    while framer.next_event() is not NEED_DATA:
        pass
