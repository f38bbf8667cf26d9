"""HDLC frame check sequence: CRC-16/X.25, the "PPP FCS-16" of RFC 1662 that IEC 62056-46 uses."""

from __future__ import annotations

GOOD_RESIDUE = 0xF0B8


def _make_table() -> tuple[int, ...]:
    """Build the 256-entry table for the reflected polynomial 0x8408 (x^16 + x^12 + x^5 + 1)."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def _update(crc: int, data: bytes | bytearray | memoryview) -> int:
    """Run the register over data without the final complement."""
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def fcs16(data: bytes | bytearray | memoryview) -> int:
    """The 16-bit check value of data (initial 0xFFFF, final complement), as an integer."""
    return _update(0xFFFF, data) ^ 0xFFFF


def fcs16_bytes(data: bytes | bytearray | memoryview) -> bytes:
    """The two check octets to append after data, least significant octet first."""
    return fcs16(data).to_bytes(2, "little")


def fcs16_ok(data_with_fcs: bytes | bytearray | memoryview) -> bool:
    """True when data followed by its two check octets carries a correct check sequence."""
    return _update(0xFFFF, data_with_fcs) == GOOD_RESIDUE
