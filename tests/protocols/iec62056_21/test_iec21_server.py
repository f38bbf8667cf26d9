"""The meter-side state machine: sign-on, readout, programming mode, mode E, timeouts, robustness."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k351c.errors import LocalProtocolError
from k351c.protocols.iec62056_21 import (
    NEED_DATA,
    BaudRateChange,
    DataLine,
    Idle,
    Iec62056Server,
    Send,
    State,
    SwitchToHdlc,
    add_even_parity,
    bcc,
)

IDENT = b"/KAM5\\2K351C\r\n"
READOUT_BODY = (
    b"0.0.0(12345678)\r\n1.8.0(0001234.567*kWh)\r\n1-0:2.8.0*255(0000012.000*kWh)\r\n"
    b"1.6.0(12.345*kW)(2601011200)\r\n0.4.2(100)\r\n!\r\n\x03"
)
READOUT = b"\x02" + READOUT_BODY + bytes((bcc(READOUT_BODY),))
P0 = b"\x01P0\x02(12345678)\x03" + bytes((bcc(b"P0\x02(12345678)\x03"),))


def block(start: bytes, body: bytes) -> bytes:
    """SOH/STX + body + BCC."""
    return start + body + bytes((bcc(body),))


def drain(server: Iec62056Server) -> list:
    """All queued events."""
    events = []
    while (event := server.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def feed(server: Iec62056Server, data: bytes, now: float | None = None) -> list:
    """Feed bytes and return the events they cause."""
    server.receive_data(data, now)
    return drain(server)


def programming(server: Iec62056Server) -> None:
    """Sign on and enter programming mode with the right password."""
    feed(server, b"/?!\r\n", 0.0)
    feed(server, b"\x06051\r\n", 0.1)
    assert feed(server, block(b"\x01", b"P1\x02(00000000)\x03"), 0.2) == [Send(b"\x06")]


def test_sign_on_answers_identification_with_mode_e(server) -> None:
    assert feed(server, b"/?!\r\n") == [Send(IDENT)]
    assert server.state is State.OPTION_SELECT


def test_identification_baud_char_follows_max_baud(backend) -> None:
    assert feed(Iec62056Server(backend), b"/?!\r\n") == [Send(b"/KAM6\\2K351C\r\n")]
    plain = Iec62056Server(backend, max_baud=2400, mode_e=False, manufacturer="KAm")
    assert feed(plain, b"/?!\r\n") == [Send(b"/KAm3K351C\r\n")]


@pytest.mark.parametrize(
    "kwargs", [{"manufacturer": "KA"}, {"manufacturer": "K4M"}, {"max_baud": 38400}]
)
def test_bad_settings_fail_at_construction(backend, kwargs) -> None:
    with pytest.raises(LocalProtocolError):
        Iec62056Server(backend, **kwargs)


@pytest.mark.parametrize("address", ["12345678", "0012345678"])
def test_addressed_sign_on(server, address: str) -> None:
    assert feed(server, f"/?{address}!\r\n".encode()) == [Send(IDENT)]


def test_other_address_is_silent(server) -> None:
    assert feed(server, b"/?87654321!\r\n") == []
    assert server.state is State.IDLE


def test_data_readout_at_new_baud_then_back_to_300(server) -> None:
    feed(server, b"/?!\r\n")
    assert feed(server, b"\x06050\r\n") == [
        BaudRateChange(9600),
        Send(READOUT),
        BaudRateChange(300),
        Idle(),
    ]
    assert server.state is State.IDLE and server.baud == 300


def test_no_option_select_gives_readout_at_300(server) -> None:
    feed(server, b"/?!\r\n", now=10.0)
    server.check_timeout(11.4)
    assert drain(server) == []
    server.check_timeout(11.5)
    assert drain(server) == [Send(READOUT), Idle()]


def test_timeouts_stamp_lazily_without_now(server) -> None:
    feed(server, b"/?!\r\n")
    server.check_timeout(100.0)
    server.check_timeout(101.0)
    assert drain(server) == []
    server.check_timeout(101.6)
    assert drain(server) == [Send(READOUT), Idle()]


def test_too_fast_baud_is_not_accepted(server) -> None:
    feed(server, b"/?!\r\n", 0.0)
    assert feed(server, b"\x06060\r\n", 0.1) == []
    assert server.state is State.OPTION_SELECT


def test_programming_session(server, backend) -> None:
    feed(server, b"/?!\r\n", 0.0)
    assert feed(server, b"\x06051\r\n", 0.2) == [BaudRateChange(9600), Send(P0)]
    assert server.state is State.PASSWORD
    assert feed(server, block(b"\x01", b"R1\x021.8.0()\x03")) == [
        Send(block(b"\x02", b"(ERROR: NO ACCESS)\x03"))
    ]
    assert feed(server, block(b"\x01", b"P1\x02(00000000)\x03")) == [Send(b"\x06")]
    assert server.state is State.PROGRAMMING
    assert feed(server, block(b"\x01", b"R1\x021.8.0(1)\x03")) == [
        Send(block(b"\x02", b"1.8.0(0001234.567*kWh)\x03"))
    ]
    assert feed(server, block(b"\x01", b"R2\x021.6.0()\x03")) == [
        Send(block(b"\x02", b"1.6.0(12.345*kW)(2601011200)\x03"))
    ]
    assert feed(server, block(b"\x01", b"W1\x020.4.2(200)\x03")) == [Send(b"\x06")]
    assert backend.writes == [("0.4.2", "200")]
    assert feed(server, block(b"\x01", b"B0\x03")) == [BaudRateChange(300), Idle()]
    assert server.state is State.IDLE


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (b"W1\x021.8.0(0)\x03", b"(ERROR: LEGAL DATA)\x03"),
        (b"W1\x020.4.2(abc)\x03", b"(ERROR: BAD VALUE)\x03"),
        (b"W1\x029.9.9(1)\x03", b"(ERROR: UNKNOWN ADDRESS)\x03"),
        (b"R1\x029.9.9()\x03", b"(ERROR: UNKNOWN ADDRESS)\x03"),
        (b"E2\x020.0.1()\x03", b"(ERROR: UNSUPPORTED)\x03"),
    ],
)
def test_refusals_are_error_messages(server, backend, command: bytes, answer: bytes) -> None:
    programming(server)
    assert feed(server, block(b"\x01", command)) == [Send(block(b"\x02", answer))]
    assert backend.values["1.8.0"].value == "0001234.567"
    assert server.state is State.PROGRAMMING


def test_wrong_password_nak_then_lockout(server, backend) -> None:
    feed(server, b"/?!\r\n")
    feed(server, b"\x06051\r\n")
    wrong = block(b"\x01", b"P1\x02(11111111)\x03")
    right = block(b"\x01", b"P1\x02(00000000)\x03")
    for _ in range(3):
        assert feed(server, wrong) == [Send(b"\x15")]
    assert backend.failures == 3
    assert feed(server, right) == [Send(block(b"\x02", b"(ERROR: LOCKED)\x03"))]
    assert server.state is State.PASSWORD and backend.failures == 3


def test_bad_bcc_is_naked_and_repeat_is_served(server) -> None:
    programming(server)
    good = block(b"\x01", b"R1\x020.4.2()\x03")
    assert feed(server, good[:-1] + bytes((good[-1] ^ 1,))) == [Send(b"\x15")]
    answer = [Send(block(b"\x02", b"0.4.2(100)\x03"))]
    assert feed(server, good) == answer
    assert feed(server, b"\x15") == answer


def test_programming_inactivity_timeout(server) -> None:
    programming(server)
    server.check_timeout(100.0)
    assert drain(server) == []
    server.check_timeout(120.2)
    assert drain(server) == [BaudRateChange(300), Idle()]


def test_inter_character_timeout_drops_partial_message(server) -> None:
    programming(server)
    feed(server, b"\x01R1\x020.4", 1.0)
    server.check_timeout(2.6)
    assert feed(server, block(b"\x01", b"R1\x020.4.2()\x03"), 2.7) == [
        Send(block(b"\x02", b"0.4.2(100)\x03"))
    ]


def test_mode_e_hands_off_to_hdlc(server) -> None:
    feed(server, b"/?!\r\n")
    hdlc = bytes.fromhex("7ea00a000200232193bf3a7e")
    events = feed(server, b"\x06252\r\n" + hdlc)
    assert events == [BaudRateChange(9600), Send(b"\x06252\r\n"), SwitchToHdlc(hdlc)]
    assert server.state is State.HDLC
    with pytest.raises(LocalProtocolError):
        server.receive_data(b"\x7e")
    server.reset()
    assert server.state is State.IDLE and server.baud == 300
    assert feed(server, b"/?!\r\n") == [Send(IDENT)]


def test_mode_e_refused_when_not_offered(backend) -> None:
    server = Iec62056Server(backend, max_baud=9600, mode_e=False)
    feed(server, b"/?!\r\n")
    assert feed(server, b"\x06252\r\n") == []
    assert server.state is State.OPTION_SELECT


def test_7e1_input_reads_like_8n1(server) -> None:
    assert feed(server, add_even_parity(b"/?!\r\n")) == [Send(IDENT)]
    assert feed(server, add_even_parity(b"\x06051\r\n")) == [BaudRateChange(9600), Send(P0)]


def test_data_to_send_stops_at_control_events(server) -> None:
    server.receive_data(b"/?!\r\n")
    assert server.data_to_send() == IDENT
    server.receive_data(b"\x06050\r\n")
    assert server.data_to_send() == b""
    assert server.next_event() == BaudRateChange(9600)
    assert server.data_to_send() == READOUT


SESSION = (
    b"/?!\r\n\x06051\r\n"
    + block(b"\x01", b"P1\x02(00000000)\x03")
    + block(b"\x01", b"R1\x021.8.0()\x03")
    + block(b"\x01", b"W1\x021.8.0(5)\x03")
    + b"\x15"
    + block(b"\x01", b"W1\x020.4.2(50)\x03")
    + block(b"\x01", b"B0\x03")
    + b"/?12345678!\r\n\x06050\r\n"
)


def test_one_byte_at_a_time_equals_all_at_once(backend) -> None:
    whole = feed(Iec62056Server(backend, max_baud=9600), SESSION)
    server = Iec62056Server(type(backend)(), max_baud=9600)
    single = [event for byte in SESSION for event in feed(server, bytes((byte,)))]
    assert single == whole
    assert whole[-2:] == [BaudRateChange(300), Idle()]
    assert len(whole) == 15
    assert whole[5] == whole[6] == Send(block(b"\x02", b"(ERROR: LEGAL DATA)\x03"))


_ALLOWED = (Send, BaudRateChange, SwitchToHdlc, Idle)
_PREFIXES = [b"", b"/?!\r\n", b"/?!\r\n\x06051\r\n", SESSION[:60]]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(_PREFIXES), st.lists(st.binary(max_size=40), max_size=6), st.floats(0, 300))
def test_random_bytes_never_raise(
    backend, prefix: bytes, chunks: list[bytes], later: float
) -> None:
    server = Iec62056Server(type(backend)(), max_baud=9600)
    feed(server, prefix, 0.0)
    for chunk in chunks:
        if server.state is State.HDLC:
            break
        assert all(isinstance(event, _ALLOWED) for event in feed(server, chunk))
    server.check_timeout(later)
    server.check_timeout(later + 200)
    drain(server)
    assert server.state in (State.IDLE, State.HDLC)


def test_a_data_set_against_the_character_rules_is_left_out_or_refused(backend) -> None:
    backend.values["0.3.0"] = DataLine("0.3.0", "10000", "imp/kWh")  # '/' is not allowed in a unit
    server = Iec62056Server(backend, max_baud=9600)
    feed(server, b"/?!\r\n", 0.0)
    assert Send(READOUT) in feed(server, b"\x06050\r\n", 0.1)  # the other data sets, whole
    programming(server)
    assert feed(server, block(b"\x01", b"R1\x020.3.0()\x03"), 0.3) == [
        Send(block(b"\x02", b"(ERROR: UNSUPPORTED)\x03"))
    ]
    assert feed(server, block(b"\x01", b"R1\x020.4.2()\x03"), 0.4) == [
        Send(block(b"\x02", b"0.4.2(100)\x03"))
    ]
