"""7E1 helpers: IEC 62056-21 runs 7 data bits with even parity; transports carry 8-bit bytes."""

from __future__ import annotations


def _even_parity_byte(value: int) -> int:
    """The 7-bit value with bit 7 set so the byte has an even number of one bits."""
    low = value & 0x7F
    return low | 0x80 if low.bit_count() % 2 else low


_STRIP = bytes(b & 0x7F for b in range(256))
_ADD = bytes(_even_parity_byte(b) for b in range(256))


def strip_parity(data: bytes | bytearray) -> bytes:
    """Drop bit 7 of every byte, so 7E1 and 8N1 senders read the same."""
    return bytes(data).translate(_STRIP)


def add_even_parity(data: bytes | bytearray) -> bytes:
    """Set bit 7 of every byte as the even-parity bit, for a line driven as 8N1 that must look 7E1."""
    return bytes(data).translate(_ADD)


def has_even_parity(byte: int) -> bool:
    """True when the 8-bit byte carries an even number of one bits (a valid 7E1 character)."""
    return (byte & 0xFF).bit_count() % 2 == 0
