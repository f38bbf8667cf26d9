"""xDLMS ACTION-Request (0xC3) and ACTION-Response (0xC7) APDUs (Green Book 9.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from k351c.axdr.codec import decode_data, encode_data
from k351c.axdr.enums import ActionResult
from k351c.axdr.length import Buffer
from k351c.axdr.types import Data
from k351c.protocols.dlms.apdu import (
    Apdu,
    CosemMethod,
    DataBlockSA,
    InvokeIdAndPriority,
    encode_sequence,
    read_enum,
    read_iip,
    read_optional_flag,
    read_sequence,
    read_u32,
)
from k351c.protocols.dlms.apdu_get import (
    GetDataResult,
    encode_get_data_result,
    read_get_data_result,
)


def _iip(invoke: InvokeIdAndPriority) -> bytes:
    return bytes((invoke.to_byte(),))


def _read_optional_data(buf: Buffer, pos: int) -> tuple[Data | None, int]:
    present, pos = read_optional_flag(buf, pos)
    if not present:
        return None, pos
    return decode_data(buf, pos)


def _encode_optional_data(value: Data | None) -> bytes:
    return b"\x00" if value is None else b"\x01" + encode_data(value)


@dataclass(frozen=True, slots=True)
class ActionResponseItem:
    """Action-Response-With-Optional-Data: result and optional return parameters."""

    result: ActionResult
    return_parameters: GetDataResult | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ActionResponseItem, int]:
        result, pos = read_enum(ActionResult, buf, pos)
        present, pos = read_optional_flag(buf, pos)
        if not present:
            return cls(result), pos
        parameters, pos = read_get_data_result(buf, pos)
        return cls(result, parameters), pos

    def _encode(self) -> bytes:
        head = bytes((self.result,))
        if self.return_parameters is None:
            return head + b"\x00"
        return head + b"\x01" + encode_get_data_result(self.return_parameters)


@dataclass(frozen=True, slots=True)
class ActionRequestNormal(Apdu):
    """action-request-normal: invoke one method, optionally with parameters."""

    TAG: ClassVar[int] = 0xC3
    CHOICE: ClassVar[int] = 1
    invoke: InvokeIdAndPriority
    method: CosemMethod
    parameters: Data | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ActionRequestNormal, int]:
        invoke, pos = read_iip(buf, pos)
        method, pos = CosemMethod._decode(buf, pos)
        parameters, pos = _read_optional_data(buf, pos)
        return cls(invoke, method, parameters), pos

    def _encode(self) -> bytes:
        return _iip(self.invoke) + self.method._encode() + _encode_optional_data(self.parameters)


@dataclass(frozen=True, slots=True)
class ActionRequestNextPBlock(Apdu):
    """action-request-next-pblock: ask for the next block of a long ACTION response."""

    TAG: ClassVar[int] = 0xC3
    CHOICE: ClassVar[int] = 2
    invoke: InvokeIdAndPriority
    block_number: int

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ActionRequestNextPBlock, int]:
        invoke, pos = read_iip(buf, pos)
        number, pos = read_u32(buf, pos)
        return cls(invoke, number), pos

    def _encode(self) -> bytes:
        return _iip(self.invoke) + self.block_number.to_bytes(4, "big")


@dataclass(frozen=True, slots=True)
class ActionRequestWithList(Apdu):
    """action-request-with-list: several methods, one parameter Data each."""

    TAG: ClassVar[int] = 0xC3
    CHOICE: ClassVar[int] = 3
    invoke: InvokeIdAndPriority
    methods: tuple[CosemMethod, ...]
    parameters: tuple[Data, ...]

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ActionRequestWithList, int]:
        invoke, pos = read_iip(buf, pos)
        methods, pos = read_sequence(CosemMethod._decode, buf, pos)
        parameters, pos = read_sequence(decode_data, buf, pos)
        return cls(invoke, methods, parameters), pos

    def _encode(self) -> bytes:
        return (
            _iip(self.invoke)
            + encode_sequence([m._encode() for m in self.methods])
            + encode_sequence([encode_data(p) for p in self.parameters])
        )


@dataclass(frozen=True, slots=True)
class ActionRequestWithFirstPBlock(Apdu):
    """action-request-with-first-pblock: one method, parameters in blocks."""

    TAG: ClassVar[int] = 0xC3
    CHOICE: ClassVar[int] = 4
    invoke: InvokeIdAndPriority
    method: CosemMethod
    block: DataBlockSA

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ActionRequestWithFirstPBlock, int]:
        invoke, pos = read_iip(buf, pos)
        method, pos = CosemMethod._decode(buf, pos)
        block, pos = DataBlockSA._decode(buf, pos)
        return cls(invoke, method, block), pos

    def _encode(self) -> bytes:
        return _iip(self.invoke) + self.method._encode() + self.block._encode()


@dataclass(frozen=True, slots=True)
class ActionRequestWithListAndFirstPBlock(Apdu):
    """action-request-with-list-and-first-pblock: several methods, parameters in blocks."""

    TAG: ClassVar[int] = 0xC3
    CHOICE: ClassVar[int] = 5
    invoke: InvokeIdAndPriority
    methods: tuple[CosemMethod, ...]
    block: DataBlockSA

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ActionRequestWithListAndFirstPBlock, int]:
        invoke, pos = read_iip(buf, pos)
        methods, pos = read_sequence(CosemMethod._decode, buf, pos)
        block, pos = DataBlockSA._decode(buf, pos)
        return cls(invoke, methods, block), pos

    def _encode(self) -> bytes:
        return (
            _iip(self.invoke)
            + encode_sequence([m._encode() for m in self.methods])
            + self.block._encode()
        )


@dataclass(frozen=True, slots=True)
class ActionRequestWithPBlock(Apdu):
    """action-request-with-pblock: a further parameter block."""

    TAG: ClassVar[int] = 0xC3
    CHOICE: ClassVar[int] = 6
    invoke: InvokeIdAndPriority
    block: DataBlockSA

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ActionRequestWithPBlock, int]:
        invoke, pos = read_iip(buf, pos)
        block, pos = DataBlockSA._decode(buf, pos)
        return cls(invoke, block), pos

    def _encode(self) -> bytes:
        return _iip(self.invoke) + self.block._encode()


@dataclass(frozen=True, slots=True)
class ActionResponseNormal(Apdu):
    """action-response-normal: result and optional return parameters."""

    TAG: ClassVar[int] = 0xC7
    CHOICE: ClassVar[int] = 1
    invoke: InvokeIdAndPriority
    result: ActionResult
    return_parameters: GetDataResult | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ActionResponseNormal, int]:
        invoke, pos = read_iip(buf, pos)
        item, pos = ActionResponseItem._decode(buf, pos)
        return cls(invoke, item.result, item.return_parameters), pos

    def _encode(self) -> bytes:
        item = ActionResponseItem(self.result, self.return_parameters)
        return _iip(self.invoke) + item._encode()


@dataclass(frozen=True, slots=True)
class ActionResponseWithPBlock(Apdu):
    """action-response-with-pblock: one block of a long response."""

    TAG: ClassVar[int] = 0xC7
    CHOICE: ClassVar[int] = 2
    invoke: InvokeIdAndPriority
    block: DataBlockSA

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ActionResponseWithPBlock, int]:
        invoke, pos = read_iip(buf, pos)
        block, pos = DataBlockSA._decode(buf, pos)
        return cls(invoke, block), pos

    def _encode(self) -> bytes:
        return _iip(self.invoke) + self.block._encode()


@dataclass(frozen=True, slots=True)
class ActionResponseWithList(Apdu):
    """action-response-with-list: one result per method."""

    TAG: ClassVar[int] = 0xC7
    CHOICE: ClassVar[int] = 3
    invoke: InvokeIdAndPriority
    results: tuple[ActionResponseItem, ...]

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ActionResponseWithList, int]:
        invoke, pos = read_iip(buf, pos)
        results, pos = read_sequence(ActionResponseItem._decode, buf, pos)
        return cls(invoke, results), pos

    def _encode(self) -> bytes:
        return _iip(self.invoke) + encode_sequence([r._encode() for r in self.results])


@dataclass(frozen=True, slots=True)
class ActionResponseNextPBlock(Apdu):
    """action-response-next-pblock: block received, send the next parameter block."""

    TAG: ClassVar[int] = 0xC7
    CHOICE: ClassVar[int] = 4
    invoke: InvokeIdAndPriority
    block_number: int

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ActionResponseNextPBlock, int]:
        invoke, pos = read_iip(buf, pos)
        number, pos = read_u32(buf, pos)
        return cls(invoke, number), pos

    def _encode(self) -> bytes:
        return _iip(self.invoke) + self.block_number.to_bytes(4, "big")


ACTION_APDUS: tuple[type[Apdu], ...] = (
    ActionRequestNormal,
    ActionRequestNextPBlock,
    ActionRequestWithList,
    ActionRequestWithFirstPBlock,
    ActionRequestWithListAndFirstPBlock,
    ActionRequestWithPBlock,
    ActionResponseNormal,
    ActionResponseWithPBlock,
    ActionResponseWithList,
    ActionResponseNextPBlock,
)
