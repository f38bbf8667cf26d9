"""A request that fails inside the server (an answer too long to frame, an encoding bug) is refused, and
the connection goes on serving: wrapper and HDLC peers, sans-IO."""

from __future__ import annotations

from k351c.errors import LocalProtocolError
from k351c.protocols.hdlc import (
    NEED_DATA,
    HdlcClientConnection,
    HdlcServerConnection,
    server_address,
)
from k351c.protocols.wrapper import WrapperFrame
from k351c.server.dlms_peers import REFUSAL, WrapperPeer, pump_hdlc

OVERSIZE, BROKEN, FINE = b"\xc0\x01", b"\xc0\x02", b"\xc0\x03"
ANSWER = b"\xc4\x01\xc1\x00\x11\x07"


class Association:
    """Answers FINE, raises for BROKEN, and returns an APDU no wrapper frame can carry for OVERSIZE."""

    def handle(self, client: int, apdu: bytes) -> bytes:
        if apdu == BROKEN:
            raise LocalProtocolError("cannot encode the answer")
        return bytes(70_000) if apdu == OVERSIZE else ANSWER

    def release(self) -> None:
        pass


class Endpoint:
    physical_address = 1001

    def association(self) -> Association:
        return Association()

    def sync(self) -> None:
        pass


def test_wrapper_peer_refuses_an_unframeable_answer_and_keeps_serving():
    peer = WrapperPeer(lambda destination: Endpoint())
    wire = b"".join(WrapperFrame(16, 1, apdu).to_bytes() for apdu in (OVERSIZE, BROKEN, FINE))
    out = peer.feed(wire)
    assert out == b"".join(WrapperFrame(1, 16, a).to_bytes() for a in (REFUSAL, REFUSAL, ANSWER))
    assert REFUSAL[:1] == b"\xd8"  # exception-response


def test_hdlc_link_refuses_a_failed_request_and_keeps_serving():
    endpoint = Endpoint()
    server = HdlcServerConnection(endpoint.physical_address)
    client = HdlcClientConnection(16, server_address(1, endpoint.physical_address))
    association = Association()
    answers = []

    def exchange(data: bytes) -> None:
        server.receive_data(data)
        pump_hdlc(endpoint, server, association)
        client.receive_data(server.data_to_send())
        while (event := client.next_event()) is not NEED_DATA:
            if hasattr(event, "apdu"):
                answers.append(event.apdu)

    exchange(client.connect())
    for apdu in (BROKEN, FINE):
        client.send_apdu(apdu)
        exchange(client.data_to_send())
    assert answers == [REFUSAL, ANSWER]
