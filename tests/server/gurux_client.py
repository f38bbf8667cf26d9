"""A blocking gurux-dlms client over TCP (wrapper or HDLC), for interoperability tests."""

from __future__ import annotations

import socket

from gurux_dlms import GXByteBuffer, GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType


class GuruxSession:
    """Connect, associate, read/write objects and release with gurux's GXDLMSClient."""

    def __init__(
        self,
        port: int,
        client_sap: int = 16,
        password: str | None = None,
        hdlc: bool = False,
        physical: int = 0,
    ) -> None:
        interface = InterfaceType.HDLC if hdlc else InterfaceType.WRAPPER
        auth = Authentication.LOW if password else Authentication.NONE
        server = GXDLMSClient.getServerAddress(1, physical) if hdlc else 1
        self.client = GXDLMSClient(True, client_sap, server, auth, password, interface)
        self.hdlc = hdlc
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def _exchange(self, frame: bytes, reply: GXReplyData) -> None:
        self.sock.sendall(bytes(frame))
        buffer = GXByteBuffer()
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            buffer.set(chunk)
            if self.client.getData(buffer, reply, None):
                return

    def request(self, frames) -> GXReplyData:
        """Send gurux request frames, following block transfer, and return the complete reply."""
        reply = GXReplyData()
        for frame in frames:
            reply.clear() if not reply.isMoreData() else None
            self._exchange(frame, reply)
        while reply.isMoreData():
            if reply.isStreaming():
                next_frames = None
            else:
                next_frames = self.client.receiverReady(reply)
            self._exchange(next_frames, reply)
        return reply

    def connect(self) -> None:
        """SNRM (HDLC) and AARQ; raises if the association is refused."""
        if self.hdlc:
            reply = self.request([self.client.snrmRequest()])
            self.client.parseUAResponse(reply.data)
        reply = self.request(self.client.aarqRequest())
        self.client.parseAareResponse(reply.data)

    def read(self, obj, attribute: int):
        """Read one attribute into the gurux object and return the value."""
        reply = self.request(self.client.read(obj, attribute))
        return self.client.updateValue(obj, attribute, reply.value)

    def write(self, obj, attribute: int) -> GXReplyData:
        """Write one attribute from the gurux object; the reply's ``error`` is the data-access-result."""
        return self.request(self.client.write(obj, attribute))

    def close(self) -> None:
        """Release and disconnect."""
        try:
            self.request(self.client.releaseRequest())
            if self.hdlc:
                self.request([self.client.disconnectRequest()])
        finally:
            self.sock.close()
