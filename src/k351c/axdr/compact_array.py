"""compact-array (A-XDR tag 19): the type description and the untagged elements it describes.

The codec of the simple values inside is the caller's (``axdr``), passed in as ``leaf``, so this
module holds only what compact-array adds: descriptions, described elements and their checks.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from k351c.axdr.length import (
    Buffer,
    decode_length,
    encode_length,
    take,
    take_octet_string,
)
from k351c.axdr.types import MAX_DEPTH, CompactArray, Data, DataType, Description
from k351c.errors import LocalProtocolError, RemoteProtocolError

EncodeLeaf = Callable[[Data, bytearray, int], None]
DecodeLeaf = Callable[[int, Buffer, int, int], tuple[object, int]]


def _enc_description(desc: Description, out: bytearray) -> None:
    if isinstance(desc, tuple):
        out.append(desc[0])
        if len(desc) == 3:
            out += struct.pack(">H", desc[1])
            _enc_description(desc[2], out)
        else:
            out += encode_length(len(desc[1]))
            for sub in desc[1]:
                _enc_description(sub, out)
    else:
        out.append(int(desc))


def _dec_description(buf: Buffer, pos: int, depth: int) -> tuple[Description, int]:
    if depth >= MAX_DEPTH:
        raise RemoteProtocolError("compact-array description nested too deeply")
    try:
        kind = DataType(buf[pos])
    except (IndexError, ValueError):
        raise RemoteProtocolError("bad compact-array type description") from None
    pos += 1
    if kind is DataType.ARRAY:
        raw, pos = take(buf, pos, 2)
        sub, pos = _dec_description(buf, pos, depth + 1)
        if raw != b"\0\0" and _min_size(sub) == 0:
            raise RemoteProtocolError("compact-array of empty elements")
        return (kind, int.from_bytes(raw, "big"), sub), pos
    if kind is DataType.STRUCTURE:
        count, pos = decode_length(buf, pos)
        if count > len(buf) - pos:
            raise RemoteProtocolError("compact-array structure description too long")
        subs: list[Description] = []
        for _ in range(count):
            sub, pos = _dec_description(buf, pos, depth + 1)
            subs.append(sub)
        return (kind, tuple(subs)), pos
    if kind in (DataType.COMPACT_ARRAY, DataType.NULL_DATA, DataType.DONT_CARE):
        raise RemoteProtocolError(f"{kind.name} in a compact-array description")
    return kind, pos


def _min_size(desc: Description) -> int:
    if not isinstance(desc, tuple):
        return 1
    if len(desc) == 3:
        return desc[1] * _min_size(desc[2])
    return sum(_min_size(sub) for sub in desc[1])


def _enc_described(desc: Description, data: Data, out: bytearray, leaf: EncodeLeaf) -> None:
    if isinstance(desc, tuple):
        items = data.items()
        subs = (desc[2],) * len(items) if len(desc) == 3 else desc[1]
        if len(subs) != len(items):
            raise LocalProtocolError("compact-array element does not match its description")
        for sub, item in zip(subs, items, strict=True):
            _enc_described(sub, item, out, leaf)
    else:
        if data.type != desc:
            raise LocalProtocolError("compact-array element does not match its description")
        leaf(data, out, 0)


def _dec_described(
    desc: Description, buf: Buffer, pos: int, depth: int, leaf: DecodeLeaf
) -> tuple[Data, int]:
    if not isinstance(desc, tuple):
        value, pos = leaf(desc, buf, pos, depth)
        return Data(desc, value), pos
    if depth >= MAX_DEPTH:
        raise RemoteProtocolError("compact-array nested too deeply")
    subs: tuple[Description, ...]
    if len(desc) == 3:
        if desc[1] > len(buf) - pos:
            raise RemoteProtocolError("compact-array element count exceeds contents")
        subs = (desc[2],) * desc[1]
    else:
        subs = desc[1]
    items = []
    for sub in subs:
        item, pos = _dec_described(sub, buf, pos, depth + 1, leaf)
        items.append(item)
    return Data(desc[0], tuple(items)), pos


def encode_compact(value: CompactArray, out: bytearray, leaf: EncodeLeaf) -> None:
    """Append a compact-array's description and contents; leaf encodes each simple value."""
    _enc_description(value.description, out)
    contents = bytearray()
    for element in value.elements:
        _enc_described(value.description, element, contents, leaf)
    out += encode_length(len(contents))
    out += contents


def decode_compact(buf: Buffer, pos: int, depth: int, leaf: DecodeLeaf) -> tuple[CompactArray, int]:
    """Decode a compact-array after its tag; leaf decodes each simple value by its tag."""
    desc, pos = _dec_description(buf, pos, depth)
    contents, pos = take_octet_string(buf, pos)
    elements = []
    inner = 0
    while inner < len(contents):
        before = inner
        element, inner = _dec_described(desc, contents, inner, depth + 1, leaf)
        if inner == before:
            raise RemoteProtocolError("compact-array of empty elements")
        elements.append(element)
    if inner != len(contents):
        raise RemoteProtocolError("compact-array contents overrun")
    return CompactArray(desc, tuple(elements)), pos
