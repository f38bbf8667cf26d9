"""Interoperability with gurux-dlms (an independent implementation) as client and as frame decoder."""

from __future__ import annotations

from gurux_dlms import GXByteBuffer, GXDLMSClient, GXDLMSTranslator, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType, TranslatorOutputType
from gurux_dlms.objects import GXDLMSData

from k351c.protocols.hdlc import (
    NEED_DATA,
    Address,
    ApduReceived,
    Command,
    Connected,
    Control,
    Disconnected,
    HdlcClientConnection,
    HdlcFrame,
    HdlcParameters,
    HdlcServerConnection,
    default_physical_address,
    server_address,
)

SERIAL = 71234567
PHYSICAL = default_physical_address(SERIAL)
# AARE of a real meter (association accepted, no authentication); see test_hdlc_server.py.
AARE = bytes.fromhex(
    "6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F040000181D01800007"
)
VALUE = bytes(range(256)) * 2 + b"x" * 88


class GuruxHarness:
    """A gurux GXDLMSClient talking HDLC to our server connection, frame by frame."""

    def __init__(self, server: HdlcServerConnection, client: GXDLMSClient) -> None:
        self.server = server
        self.client = client
        self.events: list = []

    def _answer(self, apdu: bytes) -> None:
        """A minimal application: AARE for AARQ, a 600-octet octet-string for any GET."""
        if apdu[0] == 0x60:
            self.server.send_apdu(AARE)
        elif apdu[0] == 0xC0:
            self.server.send_apdu(bytes.fromhex("C401C10009820258") + VALUE)

    def _round_trip(self, data: bytes, reply: GXReplyData) -> None:
        """One frame to the server, its answer into gurux."""
        self.server.receive_data(bytes(data))
        while (event := self.server.next_event()) is not NEED_DATA:
            self.events.append(event)
            if isinstance(event, ApduReceived):
                self._answer(event.apdu)
        out = self.server.data_to_send()
        assert self.client.getData(GXByteBuffer(out), reply, None), out.hex()

    def exchange(self, frames) -> GXReplyData:
        """Send gurux's request frames, poll with RR while gurux wants more, return the reply."""
        reply = GXReplyData()
        for data in frames if isinstance(frames, list) else [frames]:
            self._round_trip(data, reply)
        while reply.isMoreData():
            self._round_trip(self.client.receiverReady(reply), reply)
        return reply


def test_gurux_client_reads_a_segmented_value_from_our_server() -> None:
    server = HdlcServerConnection(PHYSICAL, params=HdlcParameters(128, 128, 1, 1))
    client = GXDLMSClient(
        True,
        16,
        GXDLMSClient.getServerAddressFromSerialNumber(SERIAL, 1),
        Authentication.NONE,
        None,
        InterfaceType.HDLC,
    )
    line = GuruxHarness(server, client)
    client.parseUAResponse(line.exchange(client.snrmRequest()).data)
    assert line.events == [Connected(16, server_address(1, PHYSICAL), HdlcParameters())]
    client.parseAareResponse(line.exchange(client.aarqRequest()).data)
    reply = line.exchange(client.read(GXDLMSData("0.0.42.0.0.255"), 2))
    assert bytes(reply.value) == VALUE
    line.exchange(client.disconnectRequest())
    assert line.events[-1] == Disconnected("DISC") and not server.connected


def test_gurux_negotiates_non_default_parameters() -> None:
    server = HdlcServerConnection(PHYSICAL, params=HdlcParameters(256, 512, 1, 1))
    client = GXDLMSClient(
        True, 16, (1 << 14) | PHYSICAL, Authentication.NONE, None, InterfaceType.HDLC
    )
    client.hdlcSettings.maxInfoTX = 1000
    client.hdlcSettings.maxInfoRX = 200
    line = GuruxHarness(server, client)
    client.parseUAResponse(line.exchange(client.snrmRequest()).data)
    assert server.params == HdlcParameters(max_info_tx=200, max_info_rx=512)
    assert (client.hdlcSettings.maxInfoTX, client.hdlcSettings.maxInfoRX) == (512, 200)
    client.parseAareResponse(line.exchange(client.aarqRequest()).data)
    assert bytes(line.exchange(client.read(GXDLMSData("0.0.42.0.0.255"), 2)).value) == VALUE


def test_gurux_frames_parse_with_ours() -> None:
    client = GXDLMSClient(
        True, 16, (1 << 14) | PHYSICAL, Authentication.NONE, None, InterfaceType.HDLC
    )
    snrm = HdlcFrame.from_bytes(bytes(client.snrmRequest()))
    assert snrm == HdlcFrame(server_address(1, PHYSICAL), Address(16), Control(Command.SNRM))
    aarq = HdlcFrame.from_bytes(bytes(client.aarqRequest()[0]))
    assert aarq.control == Control(Command.I, True, 0, 0)
    assert aarq.info.startswith(b"\xe6\xe6\x00\x60")


def test_gurux_translator_accepts_our_client_frames() -> None:
    ours = HdlcClientConnection(16, server_address(1, PHYSICAL), HdlcParameters(512, 256, 1, 1))
    translator = GXDLMSTranslator(TranslatorOutputType.SIMPLE_XML)
    xml = translator.messageToXml(GXByteBuffer(ours.connect()))
    assert '<MaxInfoTX Value="512" />' in xml and '<MaxInfoRX Value="256" />' in xml
    assert f'<TargetAddress Value="{(1 << 14) | PHYSICAL:X}" />' in xml
    get = HdlcFrame(
        server_address(1, PHYSICAL),
        Address(16),
        Control(Command.I, True, 0, 0),
        bytes.fromhex("E6E600C001C100080000010000FF0200"),
    )
    xml = translator.messageToXml(GXByteBuffer(get.to_bytes()))
    assert '<InstanceId Value="0000010000FF" />' in xml
