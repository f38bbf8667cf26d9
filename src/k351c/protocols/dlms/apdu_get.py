"""xDLMS GET-Request (0xC0) and GET-Response (0xC4) APDUs (Green Book 9.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from k351c.axdr.codec import decode_data, encode_data
from k351c.axdr.enums import DataAccessResult
from k351c.axdr.length import Buffer, encode_length, take_octet_string
from k351c.axdr.selective import SelectiveAccess
from k351c.axdr.types import Data
from k351c.errors import RemoteProtocolError
from k351c.protocols.dlms.apdu import (
    BLOCK_HEADER,
    Apdu,
    AttributeSelection,
    CosemAttribute,
    InvokeIdAndPriority,
    encode_access,
    encode_sequence,
    read_access,
    read_iip,
    read_sequence,
    read_struct,
    read_u8,
    read_u32,
    to_enum,
)

GetDataResult = Data | DataAccessResult


def read_get_data_result(buf: Buffer, pos: int) -> tuple[GetDataResult, int]:
    """Get-Data-Result: [0] Data or [1] Data-Access-Result."""
    choice, pos = read_u8(buf, pos)
    if choice == 0:
        return decode_data(buf, pos)
    if choice == 1:
        raw, pos = read_u8(buf, pos)
        return to_enum(DataAccessResult, raw), pos
    raise RemoteProtocolError(f"Get-Data-Result choice {choice}")


def encode_get_data_result(result: GetDataResult) -> bytes:
    """Get-Data-Result: [0] Data or [1] Data-Access-Result."""
    if isinstance(result, Data):
        return b"\x00" + encode_data(result)
    return bytes((1, result))


@dataclass(frozen=True, slots=True)
class GetRequestNormal(Apdu):
    """get-request-normal: one attribute, optionally with selective access."""

    TAG: ClassVar[int] = 0xC0
    CHOICE: ClassVar[int] = 1
    invoke: InvokeIdAndPriority
    attribute: CosemAttribute
    access: SelectiveAccess | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[GetRequestNormal, int]:
        invoke, pos = read_iip(buf, pos)
        attribute, pos = CosemAttribute._decode(buf, pos)
        access, pos = read_access(buf, pos)
        return cls(invoke, attribute, access), pos

    def _encode(self) -> bytes:
        return (
            bytes((self.invoke.to_byte(),)) + self.attribute._encode() + encode_access(self.access)
        )


@dataclass(frozen=True, slots=True)
class GetRequestNext(Apdu):
    """get-request-next: ask for the next block of a long GET."""

    TAG: ClassVar[int] = 0xC0
    CHOICE: ClassVar[int] = 2
    invoke: InvokeIdAndPriority
    block_number: int

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[GetRequestNext, int]:
        invoke, pos = read_iip(buf, pos)
        number, pos = read_u32(buf, pos)
        return cls(invoke, number), pos

    def _encode(self) -> bytes:
        return bytes((self.invoke.to_byte(),)) + self.block_number.to_bytes(4, "big")


@dataclass(frozen=True, slots=True)
class GetRequestWithList(Apdu):
    """get-request-with-list: several attributes in one request."""

    TAG: ClassVar[int] = 0xC0
    CHOICE: ClassVar[int] = 3
    invoke: InvokeIdAndPriority
    attributes: tuple[AttributeSelection, ...]

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[GetRequestWithList, int]:
        invoke, pos = read_iip(buf, pos)
        items, pos = read_sequence(AttributeSelection._decode, buf, pos)
        return cls(invoke, items), pos

    def _encode(self) -> bytes:
        return bytes((self.invoke.to_byte(),)) + encode_sequence(
            [a._encode() for a in self.attributes]
        )


@dataclass(frozen=True, slots=True)
class GetResponseNormal(Apdu):
    """get-response-normal: the value or the reason it cannot be read."""

    TAG: ClassVar[int] = 0xC4
    CHOICE: ClassVar[int] = 1
    invoke: InvokeIdAndPriority
    result: GetDataResult

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[GetResponseNormal, int]:
        invoke, pos = read_iip(buf, pos)
        result, pos = read_get_data_result(buf, pos)
        return cls(invoke, result), pos

    def _encode(self) -> bytes:
        return bytes((self.invoke.to_byte(),)) + encode_get_data_result(self.result)


@dataclass(frozen=True, slots=True)
class GetResponseWithDataBlock(Apdu):
    """get-response-with-datablock: one block of raw data (or the reason it failed)."""

    TAG: ClassVar[int] = 0xC4
    CHOICE: ClassVar[int] = 2
    invoke: InvokeIdAndPriority
    last_block: bool
    block_number: int
    data: bytes | DataAccessResult

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[GetResponseWithDataBlock, int]:
        invoke, pos = read_iip(buf, pos)
        (last, number), pos = read_struct(BLOCK_HEADER, buf, pos)
        choice, pos = read_u8(buf, pos)
        data: bytes | DataAccessResult
        if choice == 0:
            data, pos = take_octet_string(buf, pos)
        elif choice == 1:
            raw, pos = read_u8(buf, pos)
            data = to_enum(DataAccessResult, raw)
        else:
            raise RemoteProtocolError(f"DataBlock-G result choice {choice}")
        return cls(invoke, last, number, data), pos

    def _encode(self) -> bytes:
        head = bytes((self.invoke.to_byte(),)) + BLOCK_HEADER.pack(
            self.last_block, self.block_number
        )
        if isinstance(self.data, DataAccessResult):
            return head + bytes((1, self.data))
        return head + b"\x00" + encode_length(len(self.data)) + bytes(self.data)


@dataclass(frozen=True, slots=True)
class GetResponseWithList(Apdu):
    """get-response-with-list: one result per requested attribute."""

    TAG: ClassVar[int] = 0xC4
    CHOICE: ClassVar[int] = 3
    invoke: InvokeIdAndPriority
    results: tuple[GetDataResult, ...]

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[GetResponseWithList, int]:
        invoke, pos = read_iip(buf, pos)
        results, pos = read_sequence(read_get_data_result, buf, pos)
        return cls(invoke, results), pos

    def _encode(self) -> bytes:
        return bytes((self.invoke.to_byte(),)) + encode_sequence(
            [encode_get_data_result(r) for r in self.results]
        )


GET_APDUS: tuple[type[Apdu], ...] = (
    GetRequestNormal,
    GetRequestNext,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDataBlock,
    GetResponseWithList,
)
