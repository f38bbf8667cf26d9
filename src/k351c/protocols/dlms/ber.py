"""The BER subset ACSE needs (X.690): one-octet-tag elements, folded multi-octet tags, explicit tags."""

from __future__ import annotations

from k351c.axdr.length import Buffer, decode_length, encode_length
from k351c.errors import RemoteProtocolError


def tlv(tag: int, content: bytes) -> bytes:
    """A BER element with a one-octet tag and definite length."""
    return bytes((tag,)) + encode_length(len(content)) + content


def iter_elements(buf: Buffer, pos: int, end: int) -> list[tuple[int, bytes]]:
    """The (tag, content) elements between pos and end; multi-octet tags are folded into ints."""
    elements = []
    while pos < end:
        tag = buf[pos]
        pos += 1
        if tag & 0x1F == 0x1F:
            while True:
                if pos >= end:
                    raise RemoteProtocolError("truncated BER tag")
                octet = buf[pos]
                pos += 1
                tag = (tag << 8) | octet
                if not octet & 0x80:
                    break
                if tag > 0xFFFFFFFF:
                    raise RemoteProtocolError("BER tag too long")
        length, pos = decode_length(buf, pos)
        if pos + length > end:
            raise RemoteProtocolError("BER element overruns its parent")
        elements.append((tag, bytes(buf[pos : pos + length])))
        pos += length
    return elements


def explicit_content(content: bytes) -> bytes:
    """Content of the single element wrapped by an explicit tag (e.g. A1 09 06 07 <oid>)."""
    elements = iter_elements(content, 0, len(content))
    if len(elements) != 1:
        raise RemoteProtocolError("explicit tag must wrap exactly one element")
    return elements[0][1]


def explicit_int(content: bytes) -> int:
    """The INTEGER wrapped by an explicit tag."""
    value = explicit_content(content)
    if not 1 <= len(value) <= 4:
        raise RemoteProtocolError("bad INTEGER")
    return int.from_bytes(value, "big", signed=True)


def bit0(content: bytes) -> bool:
    """Bit 0 of a BER BIT STRING content (the acse-requirements authentication unit)."""
    return len(content) >= 2 and bool(content[1] & 0x80)


def optional_tlv(tag: int, content: bytes | None) -> bytes:
    """A BER element, or nothing when content is None."""
    return b"" if content is None else tlv(tag, content)


def optional_wrapped(tag: int, inner_tag: int, content: bytes | None) -> bytes:
    """An explicit tag wrapping one inner element, or nothing when content is None."""
    return b"" if content is None else tlv(tag, tlv(inner_tag, content))
