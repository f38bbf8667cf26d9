"""gurux-dlms's standard reader flow (as GXDLMSReader does it) over TCP: wrapper or HDLC, public/LLS/HLS.

connect (SNRM for HDLC, AARQ, HLS pass 3/4 when ``isAuthenticationRequired``), read the association
view, then every readable attribute of every object, profile buffers whole and with selective access.
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from gurux_dlms import GXByteBuffer, GXDateTime, GXDLMSException, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType, ObjectType, Security
from gurux_dlms.objects import GXDLMSData, GXDLMSProfileGeneric
from gurux_dlms.secure import GXDLMSSecureClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from gurux_client import GuruxSession  # noqa: E402

TEST_EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
TEST_AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
CLIENT_TITLE = bytes.fromhex("4D4D4D0000BC614E")
ASSOCIATIONS = {"public": 16, "lls": 32, "hls": 1}
# frame length minus the information field: format 2, server address 4, client 1, control 1, HCS 2, FCS 2
HDLC_FRAME_OVERHEAD = 12


@dataclass
class Outcome:
    """What a sweep read: values per (OBIS, attribute), refusals with their data-access-result, failures."""

    values: dict[tuple[str, int], object] = field(default_factory=dict)
    refused: dict[tuple[str, int], int] = field(default_factory=dict)
    failed: dict[tuple[str, int], str] = field(default_factory=dict)


class ReaderSession(GuruxSession):
    """One gurux client connection to the served meter, with a secure client and frame-size tracking."""

    def __init__(self, port: int, association: str, hdlc: bool, pdu: int, physical: int,
                 invocation_counter: int = 0) -> None:
        interface = InterfaceType.HDLC if hdlc else InterfaceType.WRAPPER
        auth = {"public": Authentication.NONE, "lls": Authentication.LOW,
                "hls": Authentication.HIGH_GMAC}[association]
        server = GXDLMSSecureClient.getServerAddress(1, physical) if hdlc else 1
        password = "12345678" if association == "lls" else None
        client = GXDLMSSecureClient(True, ASSOCIATIONS[association], server, auth, password, interface)
        client.maxReceivePDUSize = pdu
        if association == "hls":
            client.ciphering.security = Security.AUTHENTICATION_ENCRYPTION
            client.ciphering.systemTitle = CLIENT_TITLE
            client.ciphering.blockCipherKey = TEST_EK
            client.ciphering.authenticationKey = TEST_AK
            client.ciphering.invocationCounter = invocation_counter
        self.client = client
        self.hdlc = hdlc
        self.largest_apdu = 0  # wrapper: the longest APDU the meter sent
        self.largest_info = 0  # HDLC: the longest information field the meter sent
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)

    def _exchange(self, frame, reply: GXReplyData) -> None:
        self.sock.sendall(bytes(frame))
        buffer = GXByteBuffer()
        received = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the meter closed the connection")
            buffer.set(chunk)
            received += chunk
            if self.client.getData(buffer, reply, None):
                break
        if not self.hdlc and len(received) >= 8:
            self.largest_apdu = max(self.largest_apdu, int.from_bytes(received[6:8], "big"))
        if self.hdlc and len(received) >= 3:
            length = ((received[1] & 0x07) << 8) | received[2]
            self.largest_info = max(self.largest_info, length - HDLC_FRAME_OVERHEAD)

    def request(self, frames) -> GXReplyData:
        """Send request frames, follow HDLC segmentation and GET blocks, return the complete reply."""
        reply = GXReplyData()
        for frame in frames:
            if not reply.isMoreData():
                reply.clear()
            self._exchange(frame, reply)
        while reply.isMoreData():
            self._exchange(self.client.receiverReady(reply), reply)
        return reply

    def connect(self) -> None:
        """SNRM (HDLC), AARQ and, when the AARE asks for it, HLS pass 3/4."""
        super().connect()
        if self.client.isAuthenticationRequired:
            reply = self.request(self.client.getApplicationAssociationRequest())
            self.client.parseApplicationAssociationResponse(reply.data)

    def rows_by_entry(self, profile, first: int, count: int):
        """readRowsByEntry: selective access by entry."""
        reply = self.request(self.client.readRowsByEntry(profile, first, count))
        return self.client.updateValue(profile, 2, reply.value)

    def rows_by_range(self, profile, start: datetime, end: datetime):
        """readRowsByRange: selective access by the clock column."""
        reply = self.request(self.client.readRowsByRange(profile, GXDateTime(start), GXDateTime(end)))
        return self.client.updateValue(profile, 2, reply.value)


def next_invocation_counter(port: int, hdlc: bool, physical: int) -> int:
    """The public client's read of 0-0:43.1.0.255 plus one: where the management client must start."""
    public = ReaderSession(port, "public", hdlc, 1024, physical)
    public.connect()
    try:
        return int(public.read(GXDLMSData("0.0.43.1.0.255"), 2)) + 1
    finally:
        public.close()


def _attempt(outcome: Outcome, key: tuple[str, int], read) -> None:
    try:
        outcome.values[key] = read()
    except GXDLMSException as exc:
        outcome.refused[key] = int(exc.errorCode)
    except Exception as exc:  # noqa: BLE001 - every other failure is what the sweep reports
        outcome.failed[key] = f"{type(exc).__name__}: {exc}"


def sweep(session: ReaderSession, now: datetime, selective: bool) -> Outcome:
    """The reader flow on a connected session: association view, then every readable attribute."""
    outcome = Outcome()
    objects = session.client.parseObjects(session.request([session.client.getObjectsRequest()]).data, True)
    for obj in objects:
        indexes = obj.getAttributeIndexToRead(True)
        if obj.objectType == ObjectType.PROFILE_GENERIC:
            indexes = [3, *[i for i in indexes if i != 3]]
        for index in indexes:
            if not obj.canRead(index):
                continue
            _attempt(outcome, (obj.logicalName, index), lambda obj=obj, index=index: session.read(obj, index))
        if selective and isinstance(obj, GXDLMSProfileGeneric) and obj.canRead(2):
            _attempt(outcome, (obj.logicalName, -1), lambda obj=obj: session.rows_by_entry(obj, 1, 2))
            if obj.captureObjects and obj.captureObjects[0][0].objectType == ObjectType.CLOCK:
                _attempt(outcome, (obj.logicalName, -2),
                         lambda obj=obj: session.rows_by_range(obj, now.replace(hour=0), now))
    outcome.values[("objects", 0)] = len(objects)
    return outcome
