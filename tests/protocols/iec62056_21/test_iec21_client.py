"""Our client against our server, in memory: both sides share one codec."""

from __future__ import annotations

import pytest

from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.iec62056_21 import (
    NEED_DATA,
    AckMessage,
    AnswerMessage,
    BaudRateChange,
    ClientState,
    CommandMessage,
    DataLine,
    ErrorMessage,
    IdentificationMessage,
    Iec62056Client,
    Iec62056Server,
    ModeControl,
    NakMessage,
    OptionSelectMessage,
    ReadoutMessage,
    Send,
    SwitchToHdlc,
    parse_readout,
)


def exchange(server: Iec62056Server, client: Iec62056Client, data: bytes) -> list:
    """Client bytes to the server, server Sends back to the client; the client's messages."""
    server.receive_data(data)
    while (event := server.next_event()) is not NEED_DATA:
        if isinstance(event, Send):
            client.receive_data(event.data)
        elif isinstance(event, BaudRateChange):
            assert event.baud in (300, client.baud)
    messages = []
    while (message := client.next_event()) is not NEED_DATA:
        messages.append(message)
    return messages


def test_readout(server, backend) -> None:
    client = Iec62056Client()
    [ident] = exchange(server, client, client.sign_on())
    assert ident == IdentificationMessage("KAM", "5", "K351C", "2")
    assert ident.mode_e and ident.min_reaction_time == 0.2
    [readout] = exchange(server, client, client.option_select())
    assert isinstance(readout, ReadoutMessage)
    assert list(readout.lines) == backend.readout()
    assert client.state is ClientState.IDLE and client.baud == 300


def test_programming(server, backend) -> None:
    client = Iec62056Client()
    exchange(server, client, client.sign_on("12345678"))
    [p0] = exchange(server, client, client.option_select(ModeControl.PROGRAMMING))
    assert p0 == CommandMessage(p0.command, 0, DataLine("", "12345678"))
    assert exchange(server, client, client.p1("bad")) == [NakMessage()]
    assert exchange(server, client, client.p1("00000000")) == [AckMessage()]
    assert exchange(server, client, client.r1("0.0.0")) == [
        AnswerMessage((DataLine("0.0.0", "12345678"),))
    ]
    assert exchange(server, client, client.w1("0.4.2", "150")) == [AckMessage()]
    assert exchange(server, client, client.w1("1.8.0", "0")) == [ErrorMessage("ERROR: LEGAL DATA")]
    assert exchange(server, client, client.b0()) == []
    assert client.state is ClientState.IDLE
    with pytest.raises(LocalProtocolError):
        client.r1("0.0.0")


def test_mode_e_confirmation(server) -> None:
    client = Iec62056Client()
    exchange(server, client, client.sign_on())
    request = client.option_select(ModeControl.BINARY_HDLC)
    assert request == b"\x06252\r\n"
    confirm, switch = exchange(server, client, request)
    assert isinstance(confirm, OptionSelectMessage) and switch == SwitchToHdlc(b"")
    assert client.state is ClientState.HDLC


def test_option_select_needs_identification() -> None:
    with pytest.raises(LocalProtocolError):
        Iec62056Client().option_select()


def test_parse_readout_helper() -> None:
    raw = ReadoutMessage((DataLine("1.8.0", "1", "kWh"),)).to_bytes()
    assert parse_readout(raw) == [DataLine("1.8.0", "1", "kWh")]
    with pytest.raises(RemoteProtocolError):
        parse_readout(raw[:-1] + b"\x00")
