"""xDLMS SET-Request (0xC1) and SET-Response (0xC5) APDUs (Green Book 9.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from k351c.axdr.codec import decode_data, encode_data
from k351c.axdr.enums import DataAccessResult
from k351c.axdr.length import Buffer
from k351c.axdr.selective import SelectiveAccess
from k351c.axdr.types import Data
from k351c.protocols.dlms.apdu import (
    Apdu,
    AttributeSelection,
    CosemAttribute,
    DataBlockSA,
    InvokeIdAndPriority,
    encode_access,
    encode_sequence,
    read_access,
    read_enum,
    read_iip,
    read_sequence,
    read_u32,
)


def _iip(invoke: InvokeIdAndPriority) -> bytes:
    return bytes((invoke.to_byte(),))


def _read_result(buf: Buffer, pos: int) -> tuple[DataAccessResult, int]:
    return read_enum(DataAccessResult, buf, pos)


@dataclass(frozen=True, slots=True)
class SetRequestNormal(Apdu):
    """set-request-normal: write one attribute."""

    TAG: ClassVar[int] = 0xC1
    CHOICE: ClassVar[int] = 1
    invoke: InvokeIdAndPriority
    attribute: CosemAttribute
    value: Data
    access: SelectiveAccess | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[SetRequestNormal, int]:
        invoke, pos = read_iip(buf, pos)
        attribute, pos = CosemAttribute._decode(buf, pos)
        access, pos = read_access(buf, pos)
        value, pos = decode_data(buf, pos)
        return cls(invoke, attribute, value, access), pos

    def _encode(self) -> bytes:
        return (
            _iip(self.invoke)
            + self.attribute._encode()
            + encode_access(self.access)
            + encode_data(self.value)
        )


@dataclass(frozen=True, slots=True)
class SetRequestWithFirstDataBlock(Apdu):
    """set-request-with-first-datablock: start a long SET of one attribute."""

    TAG: ClassVar[int] = 0xC1
    CHOICE: ClassVar[int] = 2
    invoke: InvokeIdAndPriority
    attribute: CosemAttribute
    block: DataBlockSA
    access: SelectiveAccess | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[SetRequestWithFirstDataBlock, int]:
        invoke, pos = read_iip(buf, pos)
        attribute, pos = CosemAttribute._decode(buf, pos)
        access, pos = read_access(buf, pos)
        block, pos = DataBlockSA._decode(buf, pos)
        return cls(invoke, attribute, block, access), pos

    def _encode(self) -> bytes:
        return (
            _iip(self.invoke)
            + self.attribute._encode()
            + encode_access(self.access)
            + self.block._encode()
        )


@dataclass(frozen=True, slots=True)
class SetRequestWithDataBlock(Apdu):
    """set-request-with-datablock: a further block of a long SET."""

    TAG: ClassVar[int] = 0xC1
    CHOICE: ClassVar[int] = 3
    invoke: InvokeIdAndPriority
    block: DataBlockSA

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[SetRequestWithDataBlock, int]:
        invoke, pos = read_iip(buf, pos)
        block, pos = DataBlockSA._decode(buf, pos)
        return cls(invoke, block), pos

    def _encode(self) -> bytes:
        return _iip(self.invoke) + self.block._encode()


@dataclass(frozen=True, slots=True)
class SetRequestWithList(Apdu):
    """set-request-with-list: write several attributes."""

    TAG: ClassVar[int] = 0xC1
    CHOICE: ClassVar[int] = 4
    invoke: InvokeIdAndPriority
    attributes: tuple[AttributeSelection, ...]
    values: tuple[Data, ...]

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[SetRequestWithList, int]:
        invoke, pos = read_iip(buf, pos)
        attributes, pos = read_sequence(AttributeSelection._decode, buf, pos)
        values, pos = read_sequence(decode_data, buf, pos)
        return cls(invoke, attributes, values), pos

    def _encode(self) -> bytes:
        return (
            _iip(self.invoke)
            + encode_sequence([a._encode() for a in self.attributes])
            + encode_sequence([encode_data(v) for v in self.values])
        )


@dataclass(frozen=True, slots=True)
class SetRequestWithListAndFirstDataBlock(Apdu):
    """set-request-with-list-and-first-datablock: start a long SET of several attributes."""

    TAG: ClassVar[int] = 0xC1
    CHOICE: ClassVar[int] = 5
    invoke: InvokeIdAndPriority
    attributes: tuple[AttributeSelection, ...]
    block: DataBlockSA

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[SetRequestWithListAndFirstDataBlock, int]:
        invoke, pos = read_iip(buf, pos)
        attributes, pos = read_sequence(AttributeSelection._decode, buf, pos)
        block, pos = DataBlockSA._decode(buf, pos)
        return cls(invoke, attributes, block), pos

    def _encode(self) -> bytes:
        return (
            _iip(self.invoke)
            + encode_sequence([a._encode() for a in self.attributes])
            + self.block._encode()
        )


@dataclass(frozen=True, slots=True)
class SetResponseNormal(Apdu):
    """set-response-normal: the result of one write."""

    TAG: ClassVar[int] = 0xC5
    CHOICE: ClassVar[int] = 1
    invoke: InvokeIdAndPriority
    result: DataAccessResult

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[SetResponseNormal, int]:
        invoke, pos = read_iip(buf, pos)
        result, pos = _read_result(buf, pos)
        return cls(invoke, result), pos

    def _encode(self) -> bytes:
        return bytes((self.invoke.to_byte(), self.result))


@dataclass(frozen=True, slots=True)
class SetResponseDataBlock(Apdu):
    """set-response-datablock: block received, send the next one."""

    TAG: ClassVar[int] = 0xC5
    CHOICE: ClassVar[int] = 2
    invoke: InvokeIdAndPriority
    block_number: int

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[SetResponseDataBlock, int]:
        invoke, pos = read_iip(buf, pos)
        number, pos = read_u32(buf, pos)
        return cls(invoke, number), pos

    def _encode(self) -> bytes:
        return _iip(self.invoke) + self.block_number.to_bytes(4, "big")


@dataclass(frozen=True, slots=True)
class SetResponseLastDataBlock(Apdu):
    """set-response-last-datablock: the result of a long SET of one attribute."""

    TAG: ClassVar[int] = 0xC5
    CHOICE: ClassVar[int] = 3
    invoke: InvokeIdAndPriority
    result: DataAccessResult
    block_number: int

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[SetResponseLastDataBlock, int]:
        invoke, pos = read_iip(buf, pos)
        result, pos = _read_result(buf, pos)
        number, pos = read_u32(buf, pos)
        return cls(invoke, result, number), pos

    def _encode(self) -> bytes:
        return bytes((self.invoke.to_byte(), self.result)) + self.block_number.to_bytes(4, "big")


@dataclass(frozen=True, slots=True)
class SetResponseLastDataBlockWithList(Apdu):
    """set-response-last-datablock-with-list: results of a long SET of several attributes."""

    TAG: ClassVar[int] = 0xC5
    CHOICE: ClassVar[int] = 4
    invoke: InvokeIdAndPriority
    results: tuple[DataAccessResult, ...]
    block_number: int

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[SetResponseLastDataBlockWithList, int]:
        invoke, pos = read_iip(buf, pos)
        results, pos = read_sequence(_read_result, buf, pos)
        number, pos = read_u32(buf, pos)
        return cls(invoke, results, number), pos

    def _encode(self) -> bytes:
        return (
            _iip(self.invoke)
            + encode_sequence([bytes((r,)) for r in self.results])
            + self.block_number.to_bytes(4, "big")
        )


@dataclass(frozen=True, slots=True)
class SetResponseWithList(Apdu):
    """set-response-with-list: one result per written attribute."""

    TAG: ClassVar[int] = 0xC5
    CHOICE: ClassVar[int] = 5
    invoke: InvokeIdAndPriority
    results: tuple[DataAccessResult, ...]

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[SetResponseWithList, int]:
        invoke, pos = read_iip(buf, pos)
        results, pos = read_sequence(_read_result, buf, pos)
        return cls(invoke, results), pos

    def _encode(self) -> bytes:
        return _iip(self.invoke) + encode_sequence([bytes((r,)) for r in self.results])


SET_APDUS: tuple[type[Apdu], ...] = (
    SetRequestNormal,
    SetRequestWithFirstDataBlock,
    SetRequestWithDataBlock,
    SetRequestWithList,
    SetRequestWithListAndFirstDataBlock,
    SetResponseNormal,
    SetResponseDataBlock,
    SetResponseLastDataBlock,
    SetResponseLastDataBlockWithList,
    SetResponseWithList,
)
