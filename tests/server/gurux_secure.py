"""A gurux-dlms HLS-GMAC session (management client, ciphered) for interoperability tests."""

from __future__ import annotations

import socket

from gurux_client import GuruxSession
from gurux_dlms.enums import Authentication, InterfaceType, Security
from gurux_dlms.objects import GXDLMSData
from gurux_dlms.secure import GXDLMSSecureClient

TEST_EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
TEST_AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
CLIENT_TITLE = bytes.fromhex("4D4D4D0000BC614E")


def next_invocation_counter(port: int) -> int:
    """Read 0-0:43.1.0.255 with the public client: the management client must count above it."""
    public = GuruxSession(port, 16)
    public.connect()
    try:
        return int(public.read(GXDLMSData("0.0.43.1.0.255"), 2)) + 1
    finally:
        public.close()


class SecureSession(GuruxSession):
    """GXDLMSSecureClient with HLS-GMAC over the wrapper (or HDLC with ``physical``); connect() runs all passes.

    ``counter_port`` is the port where the public client reads the invocation counter (default: ``port``,
    which must then be a wrapper port).
    """

    def __init__(
        self,
        port: int,
        ek: bytes = TEST_EK,
        ak: bytes = TEST_AK,
        security: Security = Security.AUTHENTICATION_ENCRYPTION,
        counter: int | None = None,
        physical: int | None = None,
        counter_port: int | None = None,
        max_pdu: int | None = None,
    ) -> None:
        hdlc = physical is not None
        interface = InterfaceType.HDLC if hdlc else InterfaceType.WRAPPER
        server = GXDLMSSecureClient.getServerAddress(1, physical) if hdlc else 1
        self.client = GXDLMSSecureClient(True, 1, server, Authentication.HIGH_GMAC, None, interface)
        if max_pdu is not None:
            self.client.maxReceivePDUSize = max_pdu
        ciphering = self.client.ciphering
        ciphering.security = security
        ciphering.systemTitle = CLIENT_TITLE
        ciphering.blockCipherKey = ek
        ciphering.authenticationKey = ak
        if counter is None:
            counter = next_invocation_counter(counter_port or port)
        ciphering.invocationCounter = counter
        self.hdlc = hdlc
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def connect(self) -> None:
        """GXDLMSReader's flow: AARQ/AARE, then pass 3/4 only because the AARE asks for it."""
        super().connect()
        if self.client.isAuthenticationRequired:
            reply = self.request(self.client.getApplicationAssociationRequest())
            self.client.parseApplicationAssociationResponse(reply.data)

    def raw(self, frame: bytes) -> bytes:
        """Send one wrapper frame as is and return the APDU of the answer (no gurux processing)."""
        self.sock.sendall(bytes(frame))
        data = b""
        while len(data) < 8 or len(data) < 8 + int.from_bytes(data[6:8], "big"):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            data += chunk
        return data[8:]
