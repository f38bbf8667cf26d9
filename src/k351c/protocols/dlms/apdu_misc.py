"""ExceptionResponse, DataNotification, EventNotificationRequest and the parse_apdu dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from k351c.axdr.codec import decode_data, encode_data
from k351c.axdr.cosem_datetime import CosemDateTime
from k351c.axdr.enums import ServiceError, StateError
from k351c.axdr.length import Buffer, take, take_octet_string
from k351c.axdr.types import Data
from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.dlms.acse import Aare, Aarq, Rlre, Rlrq
from k351c.protocols.dlms.apdu import (
    CIPHERED_TAGS,
    Apdu,
    CipheredApdu,
    ConfirmedServiceError,
    CosemAttribute,
    LongInvokeIdAndPriority,
    read_enum,
    read_optional_flag,
    read_u8,
    read_u32,
)
from k351c.protocols.dlms.apdu_action import ACTION_APDUS
from k351c.protocols.dlms.apdu_get import GET_APDUS
from k351c.protocols.dlms.apdu_set import SET_APDUS
from k351c.protocols.dlms.initiate import InitiateRequest, InitiateResponse


@dataclass(frozen=True, slots=True)
class ExceptionResponse(Apdu):
    """exception-response (0xD8): the server's answer to an APDU it cannot handle."""

    TAG: ClassVar[int] = 0xD8
    state_error: StateError
    service_error: ServiceError
    invocation_counter: int | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[ExceptionResponse, int]:
        state, pos = read_enum(StateError, buf, pos)
        service, pos = read_enum(ServiceError, buf, pos)
        counter = None
        if service is ServiceError.INVOCATION_COUNTER_ERROR:
            counter, pos = read_u32(buf, pos)
        return cls(state, service, counter), pos

    def _encode(self) -> bytes:
        head = bytes((self.state_error, self.service_error))
        if self.service_error is ServiceError.INVOCATION_COUNTER_ERROR:
            return head + (self.invocation_counter or 0).to_bytes(4, "big")
        return head


def _read_datetime_octets(buf: Buffer, pos: int) -> tuple[CosemDateTime | None, int]:
    raw, pos = take_octet_string(buf, pos)
    if not raw:
        return None, pos
    if len(raw) != 12:
        raise RemoteProtocolError(f"notification date-time of {len(raw)} octets")
    return CosemDateTime.from_bytes(raw), pos


@dataclass(frozen=True, slots=True)
class DataNotification(Apdu):
    """data-notification (0x0F): pushed data with an optional date-time (octet string of 0/12)."""

    TAG: ClassVar[int] = 0x0F
    invoke: LongInvokeIdAndPriority
    body: Data
    date_time: CosemDateTime | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[DataNotification, int]:
        raw_invoke, pos = read_u32(buf, pos)
        flag, _ = read_u8(buf, pos)
        if flag == 1:
            raw, pos = take(buf, pos + 1, 12)
            stamp: CosemDateTime | None = CosemDateTime.from_bytes(raw)
        else:
            stamp, pos = _read_datetime_octets(buf, pos)
        body, pos = decode_data(buf, pos)
        return cls(LongInvokeIdAndPriority.from_int(raw_invoke), body, stamp), pos

    def _encode(self) -> bytes:
        stamp = b"\x00" if self.date_time is None else b"\x0c" + self.date_time.to_bytes()
        return self.invoke.to_int().to_bytes(4, "big") + stamp + encode_data(self.body)


@dataclass(frozen=True, slots=True)
class EventNotificationRequest(Apdu):
    """event-notification-request (0xC2): one attribute value, optionally time-stamped."""

    TAG: ClassVar[int] = 0xC2
    attribute: CosemAttribute
    value: Data
    time: CosemDateTime | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[EventNotificationRequest, int]:
        present, pos = read_optional_flag(buf, pos)
        stamp = None
        if present:
            stamp, pos = _read_datetime_octets(buf, pos)
        attribute, pos = CosemAttribute._decode(buf, pos)
        value, pos = decode_data(buf, pos)
        return cls(attribute, value, stamp), pos

    def _encode(self) -> bytes:
        stamp = b"\x00" if self.time is None else b"\x01\x0c" + self.time.to_bytes()
        return stamp + self.attribute._encode() + encode_data(self.value)


AnyApdu = Apdu | Aarq | Aare | Rlrq | Rlre | CipheredApdu
_BY_CHOICE: dict[tuple[int, int | None], type[Apdu]] = {
    (cls.TAG, cls.CHOICE): cls for cls in GET_APDUS + SET_APDUS + ACTION_APDUS
}
_CHOICE_TAGS = frozenset(tag for tag, _ in _BY_CHOICE)
_BY_TAG: dict[int, type] = {
    cls.TAG: cls
    for cls in (
        ExceptionResponse,
        DataNotification,
        EventNotificationRequest,
        ConfirmedServiceError,
        InitiateRequest,
        InitiateResponse,
        Aarq,
        Aare,
        Rlrq,
        Rlre,
    )
}


def parse_apdu(data: Buffer) -> AnyApdu:
    """Decode any xDLMS or ACSE APDU by its tag; RemoteProtocolError if malformed or unknown."""
    if len(data) < 1:
        raise RemoteProtocolError("empty APDU")
    tag = data[0]
    if tag in _CHOICE_TAGS:
        if len(data) < 2:
            raise RemoteProtocolError("truncated APDU")
        cls = _BY_CHOICE.get((tag, data[1]))
        if cls is None:
            raise RemoteProtocolError(f"unknown choice {data[1]} of APDU 0x{tag:02x}")
        return cls.from_bytes(data)
    cls = _BY_TAG.get(tag)
    if cls is not None:
        return cls.from_bytes(data)
    if tag in CIPHERED_TAGS:
        return CipheredApdu.from_bytes(data)
    raise RemoteProtocolError(f"unknown APDU tag 0x{tag:02x}")


def encode_apdu(apdu: object) -> bytes:
    """The octets of any APDU object parse_apdu can return."""
    to_bytes = getattr(apdu, "to_bytes", None)
    if to_bytes is None:
        raise LocalProtocolError(f"{apdu!r} is not an APDU")
    return to_bytes()
