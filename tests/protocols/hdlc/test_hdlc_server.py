"""Server-side HDLC link (IEC 62056-46): a real meter session replayed byte for byte, plus the rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from k351c.protocols.hdlc import (
    NEED_DATA,
    Address,
    ApduReceived,
    Command,
    Connected,
    ConnectionClosed,
    Control,
    Disconnected,
    FrameDropped,
    HdlcClientConnection,
    HdlcFrame,
    HdlcParameters,
    HdlcServerConnection,
    LinkState,
    fcs16_bytes,
    parse_frame,
    server_address,
)

# A complete session with a real meter (client SAP 1, one-octet server address 1), as logged by a
# third-party reading program: (client frame, meter answer). The I frames' N(S)/N(R) run past 7
# and the last GET answer is segmented at 128 octets and fetched with RR.
SESSION = [
    (
        "7EA0200303 93FEC9 818014050200800602008007040000000108040000000 1CE6A7E",
        "7EA01E0303 7340CC 8180120501800601800704000000010804000000 01533B7E",
    ),
    (
        "7EA0440303 106594 E6E600 6036A1090607608574050801018A0207808B0760857405080201AC0A80"
        "08785277506245784 6BE10040E01000000065F1F040000 7E1F0100 AFDF7E",
        "7EA0370303 30EFCA E6E700 6129A109060760857405080101A203020100A305A103020100BE10040E"
        "0800065F1F040000181D01800007 A1DC7E",
    ),
    ("7EA0070303 319497 7E", "7EA0070303 319497 7E"),
    (
        "7EA0190303 32ECC8 E6E600 C00187000100006001 00FF0200 FB987E",
        "7EA0220303 520D27 E6E700 C4018700091041504 16E6F72333039343438313133 3027A37E",
    ),
    ("7EA0070303 5192F4 7E", "7EA0070303 5192F4 7E"),
    (
        "7EA0190303 54DCCE E6E600 C00188000800000100 00FF0200 5E3E7E",
        "7EA01E0303 74FFB8 E6E700 C4018800090C07E40509060E1A0FFF00B400 0A057E",
    ),
    ("7EA0070303 7190D5 7E", "7EA0070303 7190D5 7E"),
    (
        "7EA0190303 76CCCC E6E600 C0018900010000600E 00FF0200 DABB7E",
        "7EA0120303 96D7EB E6E700 C401890011 01FDAF7E",
    ),
    ("7EA0070303 919E32 7E", "7EA0070303 919E32 7E"),
    (
        "7EA0190303 98BCC2 E6E600 C0018A000701006301 00FF0400 98527E",
        "7EA0150303 B88A74 E6E700 C4018A0006000007 08B9687E",
    ),
    ("7EA0070303 B19C13 7E", "7EA0070303 B19C13 7E"),
    (
        "7EA0190303 BAACC0 E6E600 C0018B000701006301 00FF0700 612D7E",
        "7EA0150303 DA9E34 E6E700 C4018B0006000001 8E82427E",
    ),
    ("7EA0070303 D19A70 7E", "7EA0070303 D19A70 7E"),
    (
        "7EA0190303 DC9CC6 E6E600 C0018C000701006301 00FF0800 4F0E7E",
        "7EA0150303 FCAA70 E6E700 C4018C0006000033 95DAAE7E",
    ),
    ("7EA0070303 F19851 7E", "7EA0070303 F19851 7E"),
    (
        "7EA0190303 FE8CC4 E6E600 C0018D000701006301 00FF0300 76BF7E",
        "7EA8890303 1E6D97 E6E700 C4018D00010802041200080906000001 0000FF0F02120000020412000109"
        "06000060 0A01FF0F02120000020412000309060100 0F0800FF0F021200000204120003090601 000F0801"
        "FF0F0212000002041200030906 01000F0802FF0F02120000020412000309 0601000F0803FF0F0212000002"
        "04120003 090601000F08 35E37E",
    ),
    (
        "7EA0070303 1196B6 7E",
        "7EA0220303 101B46 04FF0F0212000002041200010906000080 0100FF0F02120000 EB7D7E",
    ),
]


def h(text: str) -> bytes:
    """Hex literal with spaces to bytes."""
    return bytes.fromhex(text.replace(" ", ""))


def drain(conn: HdlcServerConnection | HdlcClientConnection) -> list:
    """All events the buffered bytes produce."""
    events = []
    while (event := conn.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def feed(conn: HdlcServerConnection | HdlcClientConnection, data: bytes) -> list:
    """Feed bytes (nothing if empty: b"" would mean end of stream) and return the events."""
    if data:
        conn.receive_data(data)
    return drain(conn)


def frame(data: bytes) -> HdlcFrame:
    """The single frame in data."""
    return HdlcFrame.from_bytes(data)


def connect(server: HdlcServerConnection, client: HdlcClientConnection) -> None:
    """SNRM/UA between an in-process client and server."""
    assert isinstance(feed(server, client.connect())[0], Connected)
    assert isinstance(feed(client, server.data_to_send())[0], Connected)


def exchange(
    server: HdlcServerConnection, client: HdlcClientConnection, request: bytes, answer
) -> bytes:
    """Send request from client; the server answers answer(apdu); return the APDU the client got."""
    client.send_apdu(request)
    for _ in range(500):
        for event in feed(server, client.data_to_send()):
            if isinstance(event, ApduReceived):
                server.send_apdu(answer(event.apdu))
        for event in feed(client, server.data_to_send()):
            if isinstance(event, ApduReceived):
                return event.apdu
    raise AssertionError("no answer")


def test_real_meter_session_replayed_byte_for_byte() -> None:
    server = HdlcServerConnection(physical=0x10, params=HdlcParameters(128, 128, 1, 1))
    pending: list[bytes] = []
    answers = [frame(h(a)) for _, a in SESSION]
    for n, (request, answer) in enumerate(SESSION):
        for event in feed(server, h(request)):
            if isinstance(event, ApduReceived):
                apdu = answers[n].info[3:]
                if answers[n].segmented:
                    apdu += answers[n + 1].info
                pending.append(apdu)
                server.send_apdu(apdu)
        assert server.data_to_send() == h(answer), f"step {n}"
    assert server.connected and len(pending) == 8


def test_green_book_snrm_to_point_to_point_server() -> None:
    server = HdlcServerConnection(physical=4321, params=HdlcParameters(128, 128, 1, 1))
    events = feed(server, h("7E A0 07 03 21 93 0F 01 7E"))
    assert events == [Connected(16, Address(1), HdlcParameters())]
    ua = frame(server.data_to_send())
    assert ua.control == Control(Command.UA) and ua.destination == Address(16)
    assert HdlcParameters.from_bytes(ua.info) == HdlcParameters()


def test_disc_and_dm() -> None:
    server = HdlcServerConnection(physical=1000)
    client = HdlcClientConnection(16, server_address(1, 1000))
    assert feed(server, client.disconnect()) == []
    assert frame(server.data_to_send()).control.command is Command.DM
    rr = HdlcFrame(server_address(1, 1000), Address(16), Control(Command.RR, True, 0, 0))
    feed(server, rr.to_bytes())
    assert frame(server.data_to_send()).control.command is Command.DM
    connect(server, client)
    assert feed(server, client.disconnect()) == [Disconnected("DISC")]
    ua = server.data_to_send()
    assert frame(ua).control.command is Command.UA and server.state is LinkState.NDM
    assert feed(client, ua) == [Disconnected("DISC acknowledged")]


def test_5k_apdu_both_directions_with_128_octet_segments() -> None:
    server = HdlcServerConnection(physical=1234, params=HdlcParameters(128, 128, 1, 1))
    client = HdlcClientConnection(16, server_address(1, 1234))
    connect(server, client)
    request = bytes(range(256)) * 20
    seen: list[bytes] = []

    def answer(apdu: bytes) -> bytes:
        seen.append(apdu)
        return apdu[::-1] + b"!"

    for _ in range(3):
        assert exchange(server, client, request, answer) == request[::-1] + b"!"
    assert seen == [request] * 3
    assert server.connected and client.connected


def test_window_of_three_both_directions() -> None:
    ours = HdlcParameters(200, 200, 3, 3)
    server = HdlcServerConnection(physical=1234, params=ours)
    client = HdlcClientConnection(16, server_address(1, 1234), ours)
    connect(server, client)
    assert server.params == client.params == ours
    request = bytes(range(251)) * 9
    assert exchange(server, client, request, lambda a: a * 2) == request * 2


def test_sequence_numbers_wrap_beyond_eight_frames() -> None:
    server = HdlcServerConnection(physical=1234)
    client = HdlcClientConnection(16, server_address(1, 1234))
    connect(server, client)
    for n in range(20):
        assert exchange(server, client, bytes([n]), lambda a: a + a) == bytes([n, n])
    assert server.connected


def test_out_of_sequence_i_frame_is_answered_with_rr() -> None:
    server = HdlcServerConnection(physical=1234)
    dest = server_address(1, 1234)
    feed(server, HdlcFrame(dest, Address(16), Control(Command.SNRM)).to_bytes())
    server.data_to_send()
    wrong = HdlcFrame(dest, Address(16), Control(Command.I, True, 3, 0), b"\xe6\xe6\x00\xc0")
    events = feed(server, wrong.to_bytes())
    assert isinstance(events[0], FrameDropped) and "out of sequence" in events[0].reason
    assert frame(server.data_to_send()).control == Control(Command.RR, True, 0, 0)


def test_lost_response_is_sent_again() -> None:
    server = HdlcServerConnection(physical=1234)
    dest = server_address(1, 1234)
    feed(server, HdlcFrame(dest, Address(16), Control(Command.SNRM)).to_bytes())
    server.data_to_send()
    request = HdlcFrame(dest, Address(16), Control(Command.I, True, 0, 0), b"\xe6\xe6\x00\xc0\x01")
    assert feed(server, request.to_bytes()) == [ApduReceived(b"\xc0\x01", 16)]
    server.send_apdu(b"\xc4\x01")
    first = server.data_to_send()
    assert feed(server, request.to_bytes())[0].reason.startswith("N(S) 0 out of sequence")
    assert server.data_to_send() == first


def test_rnr_holds_the_segments_back() -> None:
    server = HdlcServerConnection(physical=1234, params=HdlcParameters(128, 128, 1, 1))
    dest = server_address(1, 1234)
    feed(server, HdlcFrame(dest, Address(16), Control(Command.SNRM)).to_bytes())
    server.data_to_send()
    feed(
        server,
        HdlcFrame(
            dest, Address(16), Control(Command.I, True, 0, 0), b"\xe6\xe6\x00\xc0"
        ).to_bytes(),
    )
    server.send_apdu(bytes(300))
    assert frame(server.data_to_send()).segmented
    feed(server, HdlcFrame(dest, Address(16), Control(Command.RNR, True, 0, 1)).to_bytes())
    assert frame(server.data_to_send()).control == Control(Command.RR, True, 0, 1)
    feed(server, HdlcFrame(dest, Address(16), Control(Command.RR, True, 0, 1)).to_bytes())
    second = frame(server.data_to_send())
    assert second.control == Control(Command.I, True, 1, 1) and second.segmented


def _snrm_then(server: HdlcServerConnection, raw: bytes) -> tuple[list, bytes]:
    """Connect a raw client, send raw, return the events and the server's answer."""
    dest = server_address(1, 1234)
    feed(server, HdlcFrame(dest, Address(16), Control(Command.SNRM)).to_bytes())
    server.data_to_send()
    return feed(server, raw), server.data_to_send()


def test_frmr_for_undefined_control_field_then_recovery() -> None:
    server = HdlcServerConnection(physical=1234)
    body = h("A0 0A 00 02 12 A5 21 FF")
    events, answer = _snrm_then(server, b"\x7e" + body + fcs16_bytes(body) + b"\x7e")
    frmr = frame(answer)
    assert frmr.control.command is Command.FRMR and frmr.info == h("FF 00 01")
    assert server.state is LinkState.FRAME_REJECT and "FRMR" in events[0].reason
    rr = HdlcFrame(server_address(1, 1234), Address(16), Control(Command.RR, True, 0, 0))
    feed(server, rr.to_bytes())
    assert server.data_to_send() == answer
    feed(server, HdlcFrame(server_address(1, 1234), Address(16), Control(Command.SNRM)).to_bytes())
    assert frame(server.data_to_send()).control.command is Command.UA and server.connected


def test_frmr_reasons() -> None:
    dest = server_address(1, 1234)
    too_long = HdlcFrame(dest, Address(16), Control(Command.I, True, 0, 0), bytes(200))
    rr_info = HdlcFrame(dest, Address(16), Control(Command.RR, True, 0, 0), b"\x01")
    bad_nr = HdlcFrame(dest, Address(16), Control(Command.RR, True, 0, 5))
    ua = HdlcFrame(dest, Address(16), Control(Command.UA))
    for raw, bits in ((too_long, 0x04), (rr_info, 0x03), (bad_nr, 0x08), (ua, 0x01)):
        server = HdlcServerConnection(physical=1234, params=HdlcParameters(128, 128, 1, 1))
        _, answer = _snrm_then(server, raw.to_bytes())
        assert frame(answer).info == bytes([raw.control.to_byte(), 0, bits])


def test_oversized_apdu_is_refused() -> None:
    server = HdlcServerConnection(physical=1234, max_apdu=300)
    client = HdlcClientConnection(16, server_address(1, 1234))
    connect(server, client)
    client.send_apdu(bytes(1000))
    events = []
    for _ in range(20):
        events += feed(server, client.data_to_send())
        events += feed(client, server.data_to_send())
    assert any(isinstance(e, FrameDropped) and "APDU longer" in e.reason for e in events)
    assert any(isinstance(e, Disconnected) and e.reason.startswith("FRMR") for e in events)


def test_multidrop_each_server_answers_only_its_address() -> None:
    meters = {p: HdlcServerConnection(physical=p, point_to_point=False) for p in (1001, 1002, 1003)}
    client = HdlcClientConnection(16, server_address(1, 1002))
    line = client.connect()
    got: list[bytes] = []
    for _ in range(10):
        answers, disc = b"", b""
        for meter in meters.values():
            for event in feed(meter, line):
                if isinstance(event, ApduReceived):
                    meter.send_apdu(b"\xc4\x01\xc1" + bytes([meter.physical % 256]))
            answers += meter.data_to_send()
        for event in feed(client, answers):
            if isinstance(event, Connected):
                client.send_apdu(b"\xc0\x01\xc1")
            if isinstance(event, ApduReceived):
                got.append(event.apdu)
                disc = client.disconnect()
        line = answers + client.data_to_send() + disc
    assert got == [b"\xc4\x01\xc1" + bytes([1002 % 256])]
    assert [m.client for m in meters.values()] == [None, 16, None]
    assert not meters[1002].connected


def test_lost_frame_inside_a_window_is_sent_again() -> None:
    ours = HdlcParameters(64, 64, 3, 3)
    server = HdlcServerConnection(physical=1234, params=ours)
    client = HdlcClientConnection(16, server_address(1, 1234), ours)
    connect(server, client)
    client.send_apdu(bytes(range(150)))
    burst = client.data_to_send()
    frames = []
    while burst:
        _, parsed = parse_frame(burst)
        raw = parsed.to_bytes()
        frames.append(raw)
        burst = burst[len(raw) :]
    assert [HdlcFrame.from_bytes(f).control.pf for f in frames] == [False, False, True]
    events = feed(server, frames[0] + frames[2])
    assert "out of sequence" in events[0].reason
    rr = HdlcFrame.from_bytes(server.data_to_send())
    assert rr.control == Control(Command.RR, True, 0, 1)
    feed(client, rr.to_bytes())
    assert feed(server, client.data_to_send()) == [ApduReceived(bytes(range(150)), 16)]


def test_broadcast_and_one_octet_addresses() -> None:
    snrm_all = HdlcFrame(server_address(1, 0x3FFF), Address(16), Control(Command.SNRM)).to_bytes()
    snrm_short = HdlcFrame(Address(1), Address(16), Control(Command.SNRM)).to_bytes()
    snrm_other = HdlcFrame(server_address(1, 999), Address(16), Control(Command.SNRM)).to_bytes()
    for raw, p2p, answered in (
        (snrm_all, True, True),
        (snrm_all, False, False),
        (snrm_short, True, True),
        (snrm_short, False, False),
        (snrm_other, True, False),
    ):
        server = HdlcServerConnection(physical=1234, point_to_point=p2p)
        feed(server, raw)
        answer = server.data_to_send()
        assert bool(answer) == answered
        if answered and raw is snrm_all:
            assert frame(answer).source == server_address(1, 1234)
    ui_all = HdlcFrame(
        server_address(0x3FFF, 0x3FFF), Address(16), Control(Command.UI, False), b"\xe6\xe6\x00\x01"
    )
    multidrop = HdlcServerConnection(physical=1234, point_to_point=False)
    assert feed(multidrop, ui_all.to_bytes()) == [ApduReceived(b"\x01", 16, unnumbered=True)]
    assert multidrop.data_to_send() == b""


def test_second_client_is_refused_while_linked() -> None:
    server = HdlcServerConnection(physical=1234)
    connect(server, HdlcClientConnection(16, server_address(1, 1234)))
    other = HdlcClientConnection(32, server_address(1, 1234))
    events = feed(server, other.connect())
    assert isinstance(events[0], FrameDropped) and server.client == 16
    assert feed(other, server.data_to_send()) == [Disconnected("DM from server")]


def test_snrm_again_resets_the_link() -> None:
    server = HdlcServerConnection(physical=1234)
    client = HdlcClientConnection(16, server_address(1, 1234))
    connect(server, client)
    exchange(server, client, b"\x01", lambda a: a)
    events = feed(server, client.connect())
    assert [type(e) for e in events] == [Disconnected, Connected]


def test_inactivity_timeout() -> None:
    server = HdlcServerConnection(physical=1234)
    client = HdlcClientConnection(16, server_address(1, 1234))
    assert server.check_timeout(0.0) is None
    connect(server, client)
    assert server.check_timeout(10.0) is None
    assert server.check_timeout(129.0) is None
    exchange(server, client, b"\x01", lambda a: a)
    assert server.check_timeout(200.0) is None
    assert server.check_timeout(319.0) is None
    assert server.check_timeout(320.0) == Disconnected("inactivity time-out")
    assert server.state is LinkState.NDM
    assert server.check_timeout(1000.0) is None
    feed(server, client.poll())
    assert frame(server.data_to_send()).control.command is Command.DM


def test_peer_close() -> None:
    server = HdlcServerConnection(physical=1234)
    server.receive_data(b"")
    assert drain(server) == [ConnectionClosed()]


def _client_stream(apdu: bytes, garbage: bytes) -> list[bytes]:
    """Frames a client sends for one connect / request / disconnect, with garbage between them."""
    server = HdlcServerConnection(physical=1234, params=HdlcParameters(64, 64, 1, 1))
    client = HdlcClientConnection(16, server_address(1, 1234), HdlcParameters(64, 64, 1, 1))
    chunks = [client.connect()]
    feed(client, (feed(server, chunks[0]), server.data_to_send())[1])
    client.send_apdu(apdu)
    for _ in range(200):
        out = client.data_to_send()
        if not out:
            break
        chunks += [garbage, out]
        for event in feed(server, out):
            if isinstance(event, ApduReceived):
                server.send_apdu(event.apdu)
        feed(client, server.data_to_send())
    return [*chunks, garbage, client.disconnect()]


def _run(stream: bytes, chunk: int) -> tuple[list, bytes]:
    """Feed stream to a fresh server in chunks, answering each APDU by echo; events and output."""
    server = HdlcServerConnection(physical=1234, params=HdlcParameters(64, 64, 1, 1))
    events, out = [], b""
    for i in range(0, len(stream), chunk):
        server.receive_data(stream[i : i + chunk])
        while (event := server.next_event()) is not NEED_DATA:
            events.append(event)
            if isinstance(event, ApduReceived):
                server.send_apdu(event.apdu)
        out += server.data_to_send()
    return events, out


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=400), st.binary(max_size=12), st.integers(1, 9))
def test_byte_at_a_time_equals_all_at_once(apdu: bytes, garbage: bytes, chunk: int) -> None:
    stream = b"".join(_client_stream(apdu, garbage))
    whole = _run(stream, len(stream))
    assert _run(stream, 1) == whole == _run(stream, chunk)
    assert ApduReceived(apdu, 16) in whole[0]


@given(st.binary(min_size=1, max_size=600))
def test_random_bytes_are_dropped(data: bytes) -> None:
    server = HdlcServerConnection(physical=1234)
    for event in feed(server, data):
        assert isinstance(event, FrameDropped)
