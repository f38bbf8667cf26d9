"""xDLMS GET, SET and ACTION services of the server, with block transfer in both directions."""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass, field

from k351c.axdr.codec import decode_data, encode_data
from k351c.axdr.enums import ActionResult, DataAccessResult
from k351c.axdr.length import encode_length
from k351c.axdr.types import Data
from k351c.cosem.model import ObjectList, RequestContext
from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.dlms.apdu import AttributeSelection, InvokeIdAndPriority
from k351c.protocols.dlms.apdu_action import (
    ActionRequestNormal,
    ActionRequestWithList,
    ActionResponseItem,
    ActionResponseNormal,
    ActionResponseWithList,
)
from k351c.protocols.dlms.apdu_get import (
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDataBlock,
    GetResponseWithList,
    encode_get_data_result,
)
from k351c.protocols.dlms.apdu_set import (
    SetRequestNormal,
    SetRequestWithDataBlock,
    SetRequestWithFirstDataBlock,
    SetRequestWithList,
    SetResponseDataBlock,
    SetResponseLastDataBlock,
    SetResponseNormal,
    SetResponseWithList,
)

log = logging.getLogger("k351c.dlms")

# bytes of a GET-Response-With-Datablock around its raw data: tag, choice, invoke, last, number, choice, length
BLOCK_OVERHEAD = 1 + 1 + 1 + 1 + 4 + 1 + 3
MAX_SET_BYTES = 1 << 20


@dataclass
class BlockTransfer:
    """Long GET in progress: the encoded response and the next block to send."""

    raw: bytes
    size: int
    next_block: int = 1

    def block(self, number: int) -> tuple[bool, bytes]:
        """(last, data) of block ``number`` (1-based)."""
        start = (number - 1) * self.size
        chunk = self.raw[start : start + self.size]
        return start + self.size >= len(self.raw), chunk


@dataclass
class SetTransfer:
    """Long SET in progress: the attribute and the blocks received so far."""

    selection: AttributeSelection
    received: bytearray = field(default_factory=bytearray)
    last_number: int = 0


class Services:
    """The GET/SET/ACTION handlers of one association, given its context and negotiated PDU size."""

    def __init__(self, objects: ObjectList, max_pdu: int, block_transfer: bool) -> None:
        self.objects = objects
        self.max_pdu = max(max_pdu, BLOCK_OVERHEAD + 1)
        self.block_transfer = block_transfer
        self.get_transfer: BlockTransfer | None = None
        self.set_transfer: SetTransfer | None = None

    def reserve(self, octets: int) -> None:
        """Keep ``octets`` of every response APDU free for what wraps it (ciphering)."""
        self.max_pdu = max(self.max_pdu - octets, BLOCK_OVERHEAD + 1)

    # ------------------------------------------------------------------ GET
    def _read(self, ctx: RequestContext, selection: AttributeSelection) -> Data | DataAccessResult:
        attr = selection.attribute
        if selection.access is not None or ctx.access is not None:
            ctx = RequestContext(ctx.level, ctx.client_sap, selection.access, ctx.association)
        return self.objects.get(ctx, attr.class_id, attr.instance_id, attr.attribute_id)

    def get(self, ctx: RequestContext, request: object) -> object:
        """Answer a GET-Request (normal, next or with-list): a response, or its bytes when already encoded."""
        if isinstance(request, GetRequestNext):
            return self._next_block(request.invoke, request.block_number)
        self.get_transfer = None
        if isinstance(request, GetRequestNormal):
            attr = request.attribute
            if request.access is None and ctx.access is None:
                result = self.objects.get(ctx, attr.class_id, attr.instance_id, attr.attribute_id)
            else:
                result = self._read(ctx, AttributeSelection(attr, request.access))
            try:
                encoded = _normal_response(request.invoke, result)
            except LocalProtocolError as exc:
                log.warning(
                    "GET %s: value cannot be encoded, answering other-reason: %s", attr, exc
                )
                result = DataAccessResult.OTHER_REASON
                encoded = _normal_response(request.invoke, result)
            if len(encoded) <= self.max_pdu:
                return encoded
            response: GetResponseNormal | GetResponseWithList
            response = GetResponseNormal(request.invoke, result)
        else:
            assert isinstance(request, GetRequestWithList)
            results = tuple(self._read(ctx, s) for s in request.attributes)
            try:
                encoded = GetResponseWithList(request.invoke, results).to_bytes()
            except LocalProtocolError:
                results = tuple(_encodable(result) for result in results)
                encoded = GetResponseWithList(request.invoke, results).to_bytes()
            response = GetResponseWithList(request.invoke, results)
            if len(encoded) <= self.max_pdu:
                return encoded
        raw = (
            encode_data(result)
            if isinstance(response, GetResponseNormal) and isinstance(result, Data)
            else None
        )
        if not self.block_transfer:
            if isinstance(request, GetRequestNormal):
                return GetResponseNormal(request.invoke, DataAccessResult.OTHER_REASON)
            return GetResponseWithList(
                request.invoke, tuple(DataAccessResult.OTHER_REASON for _ in results)
            )
        if raw is None:
            raw = encoded[3:]  # with-list: the result list itself (count + Get-Data-Results)
        self.get_transfer = BlockTransfer(raw, self.max_pdu - BLOCK_OVERHEAD)
        return self._next_block(request.invoke, 0)

    def _next_block(
        self, invoke: InvokeIdAndPriority, acknowledged: int
    ) -> GetResponseWithDataBlock:
        transfer = self.get_transfer
        if transfer is None:
            return GetResponseWithDataBlock(
                invoke, True, acknowledged, DataAccessResult.NO_LONG_GET_IN_PROGRESS
            )
        if acknowledged != transfer.next_block - 1:
            self.get_transfer = None
            return GetResponseWithDataBlock(
                invoke, True, acknowledged + 1, DataAccessResult.DATA_BLOCK_NUMBER_INVALID
            )
        number = transfer.next_block
        last, chunk = transfer.block(number)
        transfer.next_block += 1
        if last:
            self.get_transfer = None
        return GetResponseWithDataBlock(invoke, last, number, chunk)

    # ------------------------------------------------------------------ SET
    def _write(
        self, ctx: RequestContext, selection: AttributeSelection, value: Data
    ) -> DataAccessResult:
        attr = selection.attribute
        scoped = RequestContext(ctx.level, ctx.client_sap, selection.access, ctx.association)
        return self.objects.set(scoped, attr.class_id, attr.instance_id, attr.attribute_id, value)

    def set(self, ctx: RequestContext, request: object) -> object:
        """Answer a SET-Request (normal, with-list, with first/next data block)."""
        if isinstance(request, SetRequestNormal):
            self.set_transfer = None
            result = self._write(
                ctx, AttributeSelection(request.attribute, request.access), request.value
            )
            return SetResponseNormal(request.invoke, result)
        if isinstance(request, SetRequestWithList):
            self.set_transfer = None
            results = tuple(
                self._write(ctx, s, v)
                for s, v in zip(request.attributes, request.values, strict=False)
            )
            return SetResponseWithList(request.invoke, results)
        if isinstance(request, SetRequestWithFirstDataBlock):
            self.set_transfer = SetTransfer(AttributeSelection(request.attribute, request.access))
            return self._set_block(ctx, request.invoke, request.block)
        assert isinstance(request, SetRequestWithDataBlock)
        return self._set_block(ctx, request.invoke, request.block)

    def _set_block(self, ctx: RequestContext, invoke: InvokeIdAndPriority, block) -> object:
        transfer = self.set_transfer
        if transfer is None:
            return SetResponseLastDataBlock(
                invoke, DataAccessResult.NO_LONG_SET_IN_PROGRESS, block.block_number
            )
        if block.block_number != transfer.last_number + 1 or len(transfer.received) > MAX_SET_BYTES:
            self.set_transfer = None
            return SetResponseLastDataBlock(
                invoke, DataAccessResult.DATA_BLOCK_NUMBER_INVALID, block.block_number
            )
        transfer.received += block.raw_data
        transfer.last_number = block.block_number
        if not block.last_block:
            return SetResponseDataBlock(invoke, block.block_number)
        self.set_transfer = None
        try:
            value, end = decode_data(bytes(transfer.received))
        except RemoteProtocolError:
            return SetResponseLastDataBlock(
                invoke, DataAccessResult.TYPE_UNMATCHED, block.block_number
            )
        result = self._write(ctx, transfer.selection, value)
        return SetResponseLastDataBlock(invoke, result, block.block_number)

    # --------------------------------------------------------------- ACTION
    def _invoke(self, ctx: RequestContext, method, params: Data | None) -> ActionResponseItem:
        result, returned = self.objects.action(
            ctx, method.class_id, method.instance_id, method.method_id, params
        )
        return ActionResponseItem(
            result, returned if result == ActionResult.SUCCESS and returned is not None else None
        )

    def action(self, ctx: RequestContext, request: object) -> object:
        """Answer an ACTION-Request (normal or with-list)."""
        if isinstance(request, ActionRequestNormal):
            item = self._invoke(ctx, request.method, request.parameters)
            return ActionResponseNormal(request.invoke, item.result, item.return_parameters)
        assert isinstance(request, ActionRequestWithList)
        items = tuple(
            self._invoke(ctx, m, p)
            for m, p in zip(request.methods, request.parameters, strict=False)
        )
        return ActionResponseWithList(request.invoke, items)


_ENCODING_ERRORS = (struct.error, OverflowError, TypeError, ValueError, AttributeError)
_NORMAL_HEADER = GetResponseNormal.header()


def _encodable(result: Data | DataAccessResult) -> Data | DataAccessResult:
    """``result`` if it can be encoded, else other-reason (logged): a value never silences the answer."""
    if isinstance(result, Data):
        try:
            encode_data(result)
        except LocalProtocolError as exc:
            log.warning("GET-with-list: value cannot be encoded, answering other-reason: %s", exc)
            return DataAccessResult.OTHER_REASON
    return result


def _normal_response(invoke: InvokeIdAndPriority, result: Data | DataAccessResult) -> bytes:
    """The octets of GetResponseNormal(invoke, result).to_bytes(), without building the message."""
    try:
        return _NORMAL_HEADER + bytes((invoke.to_byte(),)) + encode_get_data_result(result)
    except _ENCODING_ERRORS as exc:
        response = GetResponseNormal(invoke, result)
        raise LocalProtocolError(f"cannot encode {response!r}: {exc}") from exc


def length_prefixed(raw: bytes) -> bytes:
    """An octet-string body: A-XDR length then the bytes."""
    return encode_length(len(raw)) + raw
