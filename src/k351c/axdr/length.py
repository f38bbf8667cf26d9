"""A-XDR lengths and bounds-checked reads from a buffer (IEC 62056-6-2 / Green Book 9.5)."""

from __future__ import annotations

from k351c.errors import LocalProtocolError, RemoteProtocolError

Buffer = bytes | bytearray | memoryview


def encode_length(length: int) -> bytes:
    """BER-style A-XDR length: one octet below 128, else 0x81..0x84 and the big-endian length."""
    if length < 0x80:
        return bytes((length,))
    if length > 0xFFFFFFFF:
        raise LocalProtocolError(f"length {length} does not fit in 4 octets")
    size = (length.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + length.to_bytes(size, "big")


def decode_length(buf: Buffer, pos: int) -> tuple[int, int]:
    """Decode a length at pos; returns (length, new position)."""
    try:
        first = buf[pos]
    except IndexError:
        raise RemoteProtocolError("truncated: length expected") from None
    if first < 0x80:
        return first, pos + 1
    size = first & 0x7F
    if not 1 <= size <= 4:
        raise RemoteProtocolError(f"bad length prefix 0x{first:02x}")
    end = pos + 1 + size
    if end > len(buf):
        raise RemoteProtocolError("truncated: long length")
    return int.from_bytes(buf[pos + 1 : end], "big"), end


def take(buf: Buffer, pos: int, count: int) -> tuple[bytes, int]:
    """The next count octets as bytes, checked against the end of the buffer."""
    end = pos + count
    if end > len(buf):
        raise RemoteProtocolError(f"truncated: {count} octets declared, {len(buf) - pos} left")
    return bytes(buf[pos:end]), end


def take_octet_string(buf: Buffer, pos: int) -> tuple[bytes, int]:
    """A length-prefixed octet string."""
    length, pos = decode_length(buf, pos)
    return take(buf, pos, length)
