"""Building blocks of the xDLMS APDUs (Green Book 9.5): invoke ids, descriptors, selective access,
data blocks, results, and the base class every APDU shares.

Every decoder is ``_decode(buf, pos) -> (value, new_pos)`` over bytes or a memoryview and raises
only ``RemoteProtocolError``; ``Apdu.from_bytes`` also rejects trailing octets.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self, TypeVar

from k351c.axdr.codec import decode_data, encode_data
from k351c.axdr.enums import ConfirmedServiceErrorChoice, ServiceErrorChoice
from k351c.axdr.length import Buffer, decode_length, encode_length, take_octet_string
from k351c.axdr.selective import SelectiveAccess
from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.obis import Obis

_U8 = struct.Struct(">B")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_DESCRIPTOR = struct.Struct(">H6sb")
BLOCK_HEADER = struct.Struct(">?I")

E = TypeVar("E", bound=IntEnum)


def read_struct(fmt: struct.Struct, buf: Buffer, pos: int) -> tuple[tuple, int]:
    """Unpack a fixed-size struct at pos, RemoteProtocolError if the buffer is short."""
    end = pos + fmt.size
    if end > len(buf):
        raise RemoteProtocolError("truncated APDU")
    return fmt.unpack_from(buf, pos), end


def read_u8(buf: Buffer, pos: int) -> tuple[int, int]:
    """One octet."""
    if pos >= len(buf):
        raise RemoteProtocolError("truncated APDU")
    return buf[pos], pos + 1


def read_u32(buf: Buffer, pos: int) -> tuple[int, int]:
    """A big-endian Unsigned32."""
    (value,), pos = read_struct(_U32, buf, pos)
    return value, pos


def read_enum(cls: type[E], buf: Buffer, pos: int) -> tuple[E, int]:
    """One octet as a member of cls, RemoteProtocolError if the standard has no such value."""
    raw, pos = read_u8(buf, pos)
    return to_enum(cls, raw), pos


def to_enum(cls: type[E], raw: int) -> E:
    """raw as a member of cls, RemoteProtocolError if unknown."""
    try:
        return cls(raw)
    except ValueError:
        raise RemoteProtocolError(f"{raw} is not a {cls.__name__}") from None


def read_optional_flag(buf: Buffer, pos: int) -> tuple[bool, int]:
    """A-XDR OPTIONAL/DEFAULT usage flag: 0x00 absent, anything else present."""
    flag, pos = read_u8(buf, pos)
    return flag != 0, pos


def read_count(buf: Buffer, pos: int) -> tuple[int, int]:
    """A SEQUENCE OF quantity, bounded by the octets left (every element takes at least one)."""
    count, pos = decode_length(buf, pos)
    if count > len(buf) - pos:
        raise RemoteProtocolError(f"{count} elements declared, {len(buf) - pos} octets left")
    return count, pos


class Apdu:
    """Base of the xDLMS APDUs: tag, optional CHOICE octet, from_bytes/to_bytes."""

    __slots__ = ()
    TAG: ClassVar[int]
    CHOICE: ClassVar[int | None] = None

    @classmethod
    def header(cls) -> bytes:
        """Tag octet, plus the CHOICE octet for the request/response families."""
        return bytes((cls.TAG,)) if cls.CHOICE is None else bytes((cls.TAG, cls.CHOICE))

    @classmethod
    def from_bytes(cls, data: Buffer) -> Self:
        """Decode a whole APDU of exactly this kind."""
        header = cls.header()
        if bytes(data[: len(header)]) != header:
            raise RemoteProtocolError(f"not a {cls.__name__}: {bytes(data[:2]).hex()}")
        return decode_whole(cls._decode, data, len(header))

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[Self, int]:
        raise NotImplementedError

    def _encode(self) -> bytes:
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        """The APDU octets."""
        try:
            return self.header() + self._encode()
        except (struct.error, OverflowError, TypeError, ValueError, AttributeError) as exc:
            raise LocalProtocolError(f"cannot encode {self!r}: {exc}") from exc


def decode_whole(decoder, data: Buffer, pos: int):  # noqa: ANN001, ANN201
    """Run decoder from pos and require it to end exactly at the end of data."""
    try:
        value, end = decoder(data, pos)
    except RemoteProtocolError:
        raise
    except (IndexError, struct.error, ValueError, TypeError) as exc:
        raise RemoteProtocolError(f"malformed APDU: {exc}") from exc
    if end != len(data):
        raise RemoteProtocolError(f"{len(data) - end} trailing octets after APDU")
    return value


@dataclass(frozen=True, slots=True)
class InvokeIdAndPriority:
    """Invoke-Id-And-Priority octet: invoke id (bits 0-3), confirmed (bit 6), high priority (bit 7)."""

    invoke_id: int = 1
    confirmed: bool = True
    high_priority: bool = False

    @classmethod
    def from_byte(cls, value: int) -> InvokeIdAndPriority:
        """Decode the octet (reserved bits 4-5 ignored)."""
        return _IIP_CACHE[value]

    def to_byte(self) -> int:
        """The octet."""
        if not 0 <= self.invoke_id <= 15:
            raise LocalProtocolError(f"invoke id {self.invoke_id} not in 0..15")
        return (
            self.invoke_id | (0x40 if self.confirmed else 0) | (0x80 if self.high_priority else 0)
        )


_IIP_CACHE = tuple(
    InvokeIdAndPriority(v & 0x0F, bool(v & 0x40), bool(v & 0x80)) for v in range(256)
)


def read_iip(buf: Buffer, pos: int) -> tuple[InvokeIdAndPriority, int]:
    """An Invoke-Id-And-Priority octet."""
    raw, pos = read_u8(buf, pos)
    return _IIP_CACHE[raw], pos


@dataclass(frozen=True, slots=True)
class LongInvokeIdAndPriority:
    """Long-Invoke-Id-And-Priority (Unsigned32): id bits 0-23, flags in bits 28-31."""

    invoke_id: int = 0
    self_descriptive: bool = False
    break_on_error: bool = False
    confirmed: bool = False
    high_priority: bool = False

    @classmethod
    def from_int(cls, value: int) -> LongInvokeIdAndPriority:
        """Decode the Unsigned32 (reserved bits 24-27 ignored)."""
        return cls(
            value & 0xFFFFFF,
            bool(value & (1 << 28)),
            bool(value & (1 << 29)),
            bool(value & (1 << 30)),
            bool(value & (1 << 31)),
        )

    def to_int(self) -> int:
        """The Unsigned32."""
        if not 0 <= self.invoke_id <= 0xFFFFFF:
            raise LocalProtocolError(f"long invoke id {self.invoke_id} not in 0..2^24-1")
        flags = (
            (self.self_descriptive << 28)
            | (self.break_on_error << 29)
            | (self.confirmed << 30)
            | (self.high_priority << 31)
        )
        return self.invoke_id | flags


@dataclass(frozen=True, slots=True)
class CosemAttribute:
    """Cosem-Attribute-Descriptor: class id, logical name (6 octets), attribute id."""

    class_id: int
    instance_id: bytes
    attribute_id: int

    @property
    def obis(self) -> Obis:
        """The logical name as an Obis."""
        return Obis.parse(self.instance_id)

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[CosemAttribute, int]:
        fields, pos = read_struct(_DESCRIPTOR, buf, pos)
        return cls(*fields), pos

    def _encode(self) -> bytes:
        if len(self.instance_id) != 6:
            raise LocalProtocolError("instance id must be 6 octets")
        return _DESCRIPTOR.pack(self.class_id, self.instance_id, self.attribute_id)


@dataclass(frozen=True, slots=True)
class CosemMethod:
    """Cosem-Method-Descriptor: class id, logical name (6 octets), method id."""

    class_id: int
    instance_id: bytes
    method_id: int

    @property
    def obis(self) -> Obis:
        """The logical name as an Obis."""
        return Obis.parse(self.instance_id)

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[CosemMethod, int]:
        fields, pos = read_struct(_DESCRIPTOR, buf, pos)
        return cls(*fields), pos

    def _encode(self) -> bytes:
        if len(self.instance_id) != 6:
            raise LocalProtocolError("instance id must be 6 octets")
        return _DESCRIPTOR.pack(self.class_id, self.instance_id, self.method_id)


def read_access(buf: Buffer, pos: int) -> tuple[SelectiveAccess | None, int]:
    """An OPTIONAL Selective-Access-Descriptor."""
    present, pos = read_optional_flag(buf, pos)
    if not present:
        return None, pos
    selector, pos = read_u8(buf, pos)
    parameters, pos = decode_data(buf, pos)
    return SelectiveAccess(selector, parameters), pos


def encode_access(access: SelectiveAccess | None) -> bytes:
    """An OPTIONAL Selective-Access-Descriptor."""
    if access is None:
        return b"\x00"
    return bytes((1, access.selector)) + encode_data(access.parameters)


@dataclass(frozen=True, slots=True)
class AttributeSelection:
    """Cosem-Attribute-Descriptor-With-Selection, as used in the -with-list services."""

    attribute: CosemAttribute
    access: SelectiveAccess | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[AttributeSelection, int]:
        attribute, pos = CosemAttribute._decode(buf, pos)
        access, pos = read_access(buf, pos)
        return cls(attribute, access), pos

    def _encode(self) -> bytes:
        return self.attribute._encode() + encode_access(self.access)


@dataclass(frozen=True, slots=True)
class DataBlockSA:
    """DataBlock-SA (SET and ACTION blocks): last-block, block number, raw data."""

    last_block: bool
    block_number: int
    raw_data: bytes

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[DataBlockSA, int]:
        (last, number), pos = read_struct(BLOCK_HEADER, buf, pos)
        raw, pos = take_octet_string(buf, pos)
        return cls(last, number, raw), pos

    def _encode(self) -> bytes:
        return (
            BLOCK_HEADER.pack(self.last_block, self.block_number)
            + encode_length(len(self.raw_data))
            + bytes(self.raw_data)
        )


def read_sequence(item_decoder, buf: Buffer, pos: int) -> tuple[tuple, int]:  # noqa: ANN001
    """A SEQUENCE OF: quantity then items."""
    count, pos = read_count(buf, pos)
    items = []
    for _ in range(count):
        item, pos = item_decoder(buf, pos)
        items.append(item)
    return tuple(items), pos


def encode_sequence(encoded: list[bytes]) -> bytes:
    """A SEQUENCE OF from already encoded items."""
    return encode_length(len(encoded)) + b"".join(encoded)


@dataclass(frozen=True, slots=True)
class ConfirmedServiceError(Apdu):
    """confirmed-service-error (0x0E): which service failed, the error kind and its value."""

    TAG: ClassVar[int] = 0x0E
    service: ConfirmedServiceErrorChoice
    error: ServiceErrorChoice
    value: int = 0

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ConfirmedServiceError, int]:
        service, pos = read_enum(ConfirmedServiceErrorChoice, buf, pos)
        error, pos = read_enum(ServiceErrorChoice, buf, pos)
        value, pos = read_u8(buf, pos)
        return cls(service, error, value), pos

    def _encode(self) -> bytes:
        return bytes((self.service, self.error, self.value))


GENERAL_CIPHERING_TAGS = frozenset((0xDB, 0xDC))
CIPHERED_TAGS = frozenset(
    (0x21, 0x28, 0x2E, 0x41, 0x48, 0x4E, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCF)
    + (0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD7, 0xDB, 0xDC)
)


@dataclass(frozen=True, slots=True)
class CipheredApdu:
    """A glo-/ded- ciphered APDU or general-glo/ded-ciphering, kept opaque.

    payload is the ciphered octet string (security header, invocation counter, ciphertext, tag);
    system_title is set only for general-glo-ciphering (0xDB) and general-ded-ciphering (0xDC).
    """

    tag: int
    payload: bytes
    system_title: bytes | None = None

    @classmethod
    def from_bytes(cls, data: Buffer) -> CipheredApdu:
        """Decode a whole ciphered APDU."""
        if not data or data[0] not in CIPHERED_TAGS:
            raise RemoteProtocolError("not a ciphered APDU")
        return decode_whole(cls._decode, data, 0)

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[CipheredApdu, int]:
        tag, pos = read_u8(buf, pos)
        title = None
        if tag in GENERAL_CIPHERING_TAGS:
            title, pos = take_octet_string(buf, pos)
        payload, pos = take_octet_string(buf, pos)
        return cls(tag, payload, title), pos

    def to_bytes(self) -> bytes:
        """The APDU octets."""
        if self.tag not in CIPHERED_TAGS:
            raise LocalProtocolError(f"0x{self.tag:02x} is not a ciphered APDU tag")
        head = bytes((self.tag,))
        if self.tag in GENERAL_CIPHERING_TAGS:
            title = self.system_title or b""
            head += encode_length(len(title)) + title
        return head + encode_length(len(self.payload)) + self.payload
