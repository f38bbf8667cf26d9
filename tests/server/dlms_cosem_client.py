"""A blocking dlms-cosem (21.3.2) client over TCP, wrapper or HDLC, for interoperability tests.

dlms-cosem's HDLC transport speaks to a serial port; ``SocketSerial`` gives it a TCP socket with the two
methods it uses (write, read_until), so the client itself runs unchanged.

Known dlms-cosem 21.3.2 bugs met here (theirs, not ours):
- HdlcAddress drops zero/absent octets, so a server address with logical 1 and physical >= 128 goes out as
  3 octets (not 1, 2 or 4); reach an HDLC meter with physical address < 128 (the address is settable).
- its EntryDescriptor.to_bytes raises NotImplementedError (tests send their own descriptor).
- UnNumberedAcknowledgmentFrame.from_bytes checks an HCS at the place of the FCS when a UA carries no
  information field, so the UA answering DISC never parses: ``close`` does not wait for it.
- SerialHdlcTransport._read_frame reads up to the next 0x7E, but HDLC (IEC 62056-46) has no byte stuffing:
  a frame whose body holds 0x7E stalls its HdlcConnection. ``SocketSerial.read_until`` hands over whole
  frames by their length and returns b"" when idle, so the client re-scans its buffer.
- dlms_cosem.time.datetime_from_bytes returns a naive datetime when the deviation is 0.
"""

from __future__ import annotations

import socket
import time

from dlms_cosem import cosem, enumerations, utils
from dlms_cosem.clients.blocking_tcp_transport import BlockingTcpTransport
from dlms_cosem.clients.dlms_client import DlmsClient
from dlms_cosem.clients.hdlc_transport import SerialHdlcTransport
from dlms_cosem.protocol import xdlms
from gurux_secure import TEST_AK, TEST_EK


class SocketSerial:
    """The part of pyserial's Serial that SerialHdlcTransport uses, over a TCP socket."""

    def __init__(self, port: int, timeout: float = 10) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.timeout = timeout
        self.last = time.monotonic()
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        """Send all bytes."""
        self.sock.sendall(data)
        return len(data)

    def _fill(self, size: int) -> bool:
        while len(self.buffer) < size:
            chunk = self.sock.recv(4096)
            if not chunk:
                return False
            self.buffer += chunk
        return True

    def _poll(self) -> bool:
        """Wait briefly for bytes; False if none came (the client then re-scans what it holds)."""
        self.sock.settimeout(0.02)
        try:
            chunk = self.sock.recv(4096)
        except TimeoutError:
            if time.monotonic() - self.last > self.timeout:
                raise
            return False
        finally:
            self.sock.settimeout(self.timeout)
        self.buffer += chunk
        self.last = time.monotonic()
        return bool(chunk)

    def read_until(self, expected: bytes = b"\n") -> bytes:
        """The opening flag alone, or the rest of a frame through its closing flag (by the frame's length).

        Returns b"" when nothing arrives for a moment: dlms-cosem then searches its buffer past a 0x7E it
        mistook for the closing flag (its HdlcConnection._find_frame stalls otherwise).
        """
        if not self.buffer and not self._poll():
            return b""
        if self.buffer[0] == expected[0]:
            end = 1
        elif self._fill(2):
            end = (((self.buffer[0] & 0x07) << 8) | self.buffer[1]) + 1
            self._fill(end)
        else:
            end = len(self.buffer)
        out = bytes(self.buffer[:end])
        del self.buffer[:end]
        return out

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


def attribute(class_id: int, obis: str, attr: int) -> cosem.CosemAttribute:
    """A dlms-cosem attribute reference from "A.B.C.D.E.F" or "A-B:C.D.E.F"."""
    return cosem.CosemAttribute(
        enumerations.CosemInterface(class_id), cosem.Obis.from_string(obis), attr
    )


def hls_gmac_client(
    port: int, invocation_counter: int, ek: bytes = TEST_EK, dedicated: bool = False
) -> DlmsClient:
    """dlms-cosem's management client (1) to logical device 1 over the wrapper: HLS-GMAC, suite 0.

    ``invocation_counter`` must be above the meter's 0-0:43.1.0.255; ``dedicated`` asks for a
    dedicated key in the AARQ.
    """
    return DlmsClient.with_tcp_transport(
        host="127.0.0.1",
        port=port,
        client_logical_address=1,
        server_logical_address=1,
        authentication_method=enumerations.AuthenticationMechanism.HLS_GMAC,
        encryption_key=ek,
        authentication_key=TEST_AK,
        security_suite=0,
        dedicated_ciphering=dedicated,
        client_system_title=b"DCDCDCDC",
        client_initial_invocation_counter=invocation_counter,
    )


class CosemSession:
    """Associate, GET/SET and release with dlms-cosem's DlmsClient."""

    def __init__(
        self,
        port: int,
        client_sap: int = 16,
        password: str | None = None,
        hdlc: bool = False,
        physical: int | None = None,
    ) -> None:
        self.hdlc = hdlc
        if hdlc:
            self.serial = SocketSerial(port)
            transport = SerialHdlcTransport(
                client_logical_address=client_sap,
                server_logical_address=1,
                serial_port="tcp",
                server_physical_address=physical,
                serial=self.serial,
            )
        else:
            transport = BlockingTcpTransport("127.0.0.1", port, client_sap, 1)
        auth = enumerations.AuthenticationMechanism.LLS if password else None
        self.client = DlmsClient(
            client_sap,
            1,
            transport,
            authentication_method=auth,
            password=password.encode() if password else None,
        )

    def connect(self) -> None:
        """SNRM (HDLC) and AARQ; raises DlmsClientException if refused."""
        self.client.connect()
        self.client.associate()

    def raw(self, class_id: int, obis: str, attr: int, access=None) -> bytes:
        """The A-XDR bytes of one attribute (block transfer followed)."""
        return self.client.get(attribute(class_id, obis, attr), access_descriptor=access)

    def get(self, class_id: int, obis: str, attr: int, access=None):
        """One attribute, decoded by dlms-cosem to Python values."""
        return utils.parse_as_dlms_data(self.raw(class_id, obis, attr, access))

    def result(self, class_id: int, obis: str, attr: int):
        """The GET response itself (to see refusals)."""
        self.client.send(xdlms.GetRequestNormal(cosem_attribute=attribute(class_id, obis, attr)))
        return self.client.next_event()

    def set(self, class_id: int, obis: str, attr: int, data: bytes):
        """SET one attribute from A-XDR bytes; returns the response."""
        return self.client.set(attribute(class_id, obis, attr), data)

    def close(self) -> None:
        """Release, then close the transport."""
        try:
            self.client.release_association()
        finally:
            if self.hdlc:
                self.serial.close()
            else:
                self.client.disconnect()
