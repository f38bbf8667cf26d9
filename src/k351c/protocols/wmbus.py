"""Wireless M-Bus (EN 13757-4 link layer, OMS Vol. 2 application layer): SND_NR telegrams, sans-IO.

A telegram is what a T1 or C1 transmitter sends in frame format A: the link header
L C M(2) A(6) with its CRC, then the data in 16-byte blocks each followed by a CRC
(CRC-16 EN 13757, polynomial 3D65h, complemented, big-endian). The application layer is
the OMS short header (CI 7Ah: access number, status, configuration word) and the variable
data records, encrypted with security mode 5: AES-128-CBC, IV = M A(6) and 8 times the
access number, the plaintext starting with 2F 2F and padded with 2Fh idle fillers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.mbus.header import encode_manufacturer
from k351c.protocols.mbus.records import DataRecord

BLOCK = 16
FIRST_BLOCK = 10
FILLER = 0x2F
CI_SHORT_HEADER = 0x7A
CRC_POLY = 0x3D65


class LinkControl(IntEnum):
    """C-field values of EN 13757-4 used by a meter."""

    SND_NR = 0x44
    SND_IR = 0x46


class SecurityMode(IntEnum):
    """OMS security modes (configuration word bits 8-12)."""

    NONE = 0
    AES_CBC_IV = 5


def crc16(data: bytes) -> int:
    """CRC-16 of EN 13757-4: polynomial 3D65h, initial 0, complemented result."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ CRC_POLY) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc ^ 0xFFFF


def add_crcs(frame: bytes) -> bytes:
    """Frame format A: a CRC after the first 10 bytes and after every 16 bytes that follow."""
    out = bytearray(frame[:FIRST_BLOCK]) + crc16(frame[:FIRST_BLOCK]).to_bytes(2, "big")
    for i in range(FIRST_BLOCK, len(frame), BLOCK):
        chunk = frame[i : i + BLOCK]
        out += chunk + crc16(chunk).to_bytes(2, "big")
    return bytes(out)


def strip_crcs(data: bytes) -> bytes:
    """Check and remove the CRCs of a frame format A telegram; RemoteProtocolError on a mismatch."""
    if not data:
        raise RemoteProtocolError("empty telegram")
    length = data[0] + 1
    out, pos, block = bytearray(), 0, FIRST_BLOCK
    while len(out) < length:
        chunk = data[pos : pos + block]
        crc = data[pos + len(chunk) : pos + len(chunk) + 2]
        if len(chunk) < min(block, length - len(out)) or len(crc) < 2:
            raise RemoteProtocolError("telegram truncated")
        if crc16(chunk) != int.from_bytes(crc, "big"):
            raise RemoteProtocolError(f"CRC mismatch in block at offset {pos}")
        out += chunk
        pos += len(chunk) + 2
        block = min(BLOCK, length - len(out))
    return bytes(out)


def mode5_iv(link_header: bytes, access_number: int) -> bytes:
    """IV of security mode 5: M(2) and A(6) of the link header, then the access number 8 times."""
    return link_header[2:10] + bytes([access_number & 0xFF]) * 8


def encrypt_mode5(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    """AES-128-CBC over whole blocks (the caller pads with 2Fh)."""
    if len(key) != 16:
        raise LocalProtocolError("mode 5 needs a 16-octet AES key")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(plaintext) + encryptor.finalize()


def decrypt_mode5(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """Inverse of encrypt_mode5; the plaintext must start with 2F 2F (else wrong key)."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(ciphertext) + decryptor.finalize()
    if plain[:2] != b"\x2f\x2f":
        raise RemoteProtocolError("decryption check failed (wrong key?)")
    return plain


@dataclass(frozen=True, slots=True)
class WirelessTelegram:
    """One SND_NR telegram of a meter: link address, short header and records."""

    ident: int
    records: tuple[DataRecord, ...]
    access_number: int = 0
    status: int = 0
    manufacturer: str = "KAM"
    version: int = 1
    device_type: int = 0x02
    control: int = LinkControl.SND_NR

    def link_header(self, length: int) -> bytes:
        """L C M A: the 10 octets before the first CRC."""
        ident = int(str(self.ident).zfill(8), 16).to_bytes(4, "little")
        m = encode_manufacturer(self.manufacturer).to_bytes(2, "little")
        return bytes([length, self.control]) + m + ident + bytes([self.version, self.device_type])

    def plaintext(self) -> bytes:
        """2F 2F, the records, then 2Fh fillers to a whole number of AES blocks."""
        body = b"\x2f\x2f" + b"".join(r.to_bytes() for r in self.records)
        return body + bytes([FILLER]) * (-len(body) % BLOCK)

    def to_bytes(self, key: bytes | None, crc: bool = True) -> bytes:
        """The telegram as sent (frame format A with CRCs) or without CRCs; key None = unencrypted."""
        payload = self.plaintext()
        mode = SecurityMode.NONE if key is None else SecurityMode.AES_CBC_IV
        config = (int(mode) << 8) | ((len(payload) // BLOCK if key else 0) << 4)
        short = bytes([CI_SHORT_HEADER, self.access_number, self.status]) + config.to_bytes(
            2, "little"
        )
        length = FIRST_BLOCK - 1 + len(short) + len(payload)
        if length > 0xFF:
            raise LocalProtocolError(f"telegram too long ({length} octets)")
        header = self.link_header(length)
        if key is not None:
            payload = encrypt_mode5(key, mode5_iv(header, self.access_number), payload)
        frame = header + short + payload
        return add_crcs(frame) if crc else frame


def open_telegram(data: bytes, key: bytes | None, crc: bool = True) -> tuple[bytes, bytes]:
    """(link header + short header, decrypted record bytes) of a received telegram."""
    frame = strip_crcs(data) if crc else data
    if len(frame) < 15 or frame[10] != CI_SHORT_HEADER:
        raise RemoteProtocolError("not an OMS telegram with a short header")
    access, config = frame[11], int.from_bytes(frame[13:15], "little")
    body = frame[15:]
    if (config >> 8) & 0x1F == SecurityMode.AES_CBC_IV:
        if key is None:
            raise RemoteProtocolError("telegram is encrypted (mode 5) and no key was given")
        blocks = (config >> 4) & 0x0F
        body = (
            decrypt_mode5(key, mode5_iv(frame[:10], access), body[: blocks * BLOCK])
            + body[blocks * BLOCK :]
        )
    return frame[:15], body


def telegram(
    ident: int,
    records: Sequence[DataRecord],
    access_number: int,
    key: bytes | None,
    status: int = 0,
) -> bytes:
    """Shorthand: a meter's encrypted SND_NR telegram in frame format A."""
    return WirelessTelegram(ident, tuple(records), access_number & 0xFF, status).to_bytes(key)
