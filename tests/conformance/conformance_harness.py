"""The served meter and raw byte links for the conformance cases: frames are built here, not by k351c.

The HDLC frame check sequence is CRC-16/X.25 (IEC 62056-46 annex; the same as ISO/IEC 13239) written
out below, so the stimuli do not depend on the codec under test.
"""

from __future__ import annotations

import socket
import time

from testkit import ServedMeter, make_meter, serve

T0 = "2026-03-01T00:00:00Z"
DAYS = 3
PHYSICAL = 0x12  # below 128 so every client library addresses it in 4 octets
SILENCE_S = 0.4


def serve_meter(days: float = DAYS, start: str = T0) -> ServedMeter:
    """The meter the cases and sweeps talk to: ``days`` of load, frozen clock, test keys, PHYSICAL."""
    return serve(make_meter(days=days, start=start), physical_address=PHYSICAL)


# ----------------------------------------------------------------------------- HDLC octets
def crc16_x25(data: bytes) -> bytes:
    """HDLC FCS/HCS: CRC-16/X.25 (reflected 0x1021, init and final xor 0xFFFF), least significant first."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return (crc ^ 0xFFFF).to_bytes(2, "little")


def server_address(logical: int = 1, physical: int = PHYSICAL) -> bytes:
    """A 4-octet HDLC server address: upper (logical) and lower (physical) 14 bits, last octet odd."""
    return bytes(
        [(logical >> 7) << 1, (logical & 0x7F) << 1, (physical >> 7) << 1, ((physical & 0x7F) << 1) | 1]
    )


def client_address(sap: int) -> bytes:
    """A one-octet HDLC client address."""
    return bytes([(sap << 1) | 1])


def hdlc_frame(destination: bytes, source: bytes, control: int, info: bytes = b"", *,
               bad_hcs: bool = False, bad_fcs: bool = False) -> bytes:
    """A format type 3 frame with flags; ``bad_hcs`` / ``bad_fcs`` corrupt a check sequence."""
    head = destination + source + bytes([control])
    length = 2 + len(head) + 2 + (len(info) + 2 if info else 0)
    header = bytes([0xA0 | (length >> 8), length & 0xFF]) + head
    if info:
        hcs = crc16_x25(header)
        header += bytes([hcs[0] ^ 0xFF, hcs[1]]) if bad_hcs else hcs
        body = header + info
    else:
        body = header
    fcs = crc16_x25(body)
    return b"\x7e" + body + (bytes([fcs[0] ^ 0xFF, fcs[1]]) if bad_fcs else fcs) + b"\x7e"


LLC_COMMAND = bytes.fromhex("E6E600")


# --------------------------------------------------------------------------- wrapper octets
def wrapper_frame(apdu: bytes, source: int = 16, destination: int = 1, version: int = 1) -> bytes:
    """An IEC 62056-47 wrapper frame: version, source wPort, destination wPort, length, APDU."""
    return (version.to_bytes(2, "big") + source.to_bytes(2, "big") + destination.to_bytes(2, "big")
            + len(apdu).to_bytes(2, "big") + apdu)


class RawLink:
    """One TCP connection that sends octets as given and collects what comes back."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)

    def send(self, data: bytes) -> None:
        """Put ``data`` on the wire unchanged."""
        self.sock.sendall(data)

    def wrapper_reply(self) -> bytes:
        """The next complete wrapper frame (b"" when the meter closed the connection)."""
        data = b""
        while len(data) < 8 or len(data) < 8 + int.from_bytes(data[6:8], "big"):
            chunk = self.sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        return data

    def hdlc_reply(self) -> bytes:
        """The next complete HDLC frame, flags included (b"" on close or silence)."""
        data = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if len(data) >= 3 and data[0] == 0x7E:
                length = ((data[1] & 0x07) << 8) | data[2]
                if len(data) >= length + 2:
                    return data[: length + 2]
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return data
            if not chunk:
                return data
            data += chunk
        return data

    def silence(self, seconds: float = SILENCE_S) -> bytes:
        """Whatever arrives within ``seconds`` (b"" = the meter stayed silent); b"closed" if it hung up."""
        self.sock.settimeout(seconds)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return b""
        finally:
            self.sock.settimeout(5)
        return chunk if chunk else b"closed"

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()
