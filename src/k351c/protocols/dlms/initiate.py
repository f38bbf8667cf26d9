"""xDLMS InitiateRequest / InitiateResponse (A-XDR; Green Book 9.5), carried in ACSE user-information."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from k351c.axdr.enums import Conformance
from k351c.axdr.length import Buffer, decode_length, encode_length, take
from k351c.errors import RemoteProtocolError
from k351c.protocols.dlms.apdu import Apdu, read_optional_flag, read_struct, read_u8

VAA_NAME_LN = 0x0007
_U16 = struct.Struct(">H")
_CONFORMANCE_HEAD = b"\x5f\x1f\x04\x00"


def _read_conformance(buf: Buffer, pos: int) -> tuple[Conformance, int]:
    raw, pos = take(buf, pos, 7)
    if raw[:3] != _CONFORMANCE_HEAD[:3]:
        raise RemoteProtocolError(f"bad conformance block {raw.hex()}")
    return Conformance(int.from_bytes(raw[4:], "big")), pos


def _conformance(value: Conformance) -> bytes:
    return _CONFORMANCE_HEAD + int(value).to_bytes(3, "big")


def _read_optional_u8(buf: Buffer, pos: int) -> tuple[int | None, int]:
    present, pos = read_optional_flag(buf, pos)
    if not present:
        return None, pos
    return read_u8(buf, pos)


def _optional_u8(value: int | None) -> bytes:
    return b"\x00" if value is None else bytes((1, value))


@dataclass(frozen=True, slots=True)
class InitiateRequest(Apdu):
    """xDLMS InitiateRequest (0x01), the AARQ user-information of an unciphered association."""

    TAG: ClassVar[int] = 0x01
    proposed_conformance: Conformance
    client_max_receive_pdu_size: int = 0xFFFF
    proposed_dlms_version_number: int = 6
    dedicated_key: bytes | None = None
    response_allowed: bool = True
    proposed_quality_of_service: int | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[InitiateRequest, int]:
        key = None
        present, pos = read_optional_flag(buf, pos)
        if present:
            length, pos = decode_length(buf, pos)
            key, pos = take(buf, pos, length)
        allowed = True
        present, pos = read_optional_flag(buf, pos)
        if present:
            flag, pos = read_u8(buf, pos)
            allowed = flag != 0
        qos, pos = _read_optional_u8(buf, pos)
        version, pos = read_u8(buf, pos)
        conformance, pos = _read_conformance(buf, pos)
        (size,), pos = read_struct(_U16, buf, pos)
        return cls(conformance, size, version, key, allowed, qos), pos

    def _encode(self) -> bytes:
        key = b"\x00"
        if self.dedicated_key is not None:
            key = b"\x01" + encode_length(len(self.dedicated_key)) + self.dedicated_key
        allowed = b"\x00" if self.response_allowed else b"\x01\x00"
        return (
            key
            + allowed
            + _optional_u8(self.proposed_quality_of_service)
            + bytes((self.proposed_dlms_version_number,))
            + _conformance(self.proposed_conformance)
            + _U16.pack(self.client_max_receive_pdu_size)
        )


@dataclass(frozen=True, slots=True)
class InitiateResponse(Apdu):
    """xDLMS InitiateResponse (0x08), the AARE user-information of an accepted association."""

    TAG: ClassVar[int] = 0x08
    negotiated_conformance: Conformance
    server_max_receive_pdu_size: int
    negotiated_dlms_version_number: int = 6
    vaa_name: int = VAA_NAME_LN
    negotiated_quality_of_service: int | None = None

    @classmethod
    def _decode(cls, buf: Buffer, pos: int) -> tuple[InitiateResponse, int]:
        qos, pos = _read_optional_u8(buf, pos)
        version, pos = read_u8(buf, pos)
        conformance, pos = _read_conformance(buf, pos)
        (size,), pos = read_struct(_U16, buf, pos)
        (vaa,), pos = read_struct(_U16, buf, pos)
        return cls(conformance, size, version, vaa, qos), pos

    def _encode(self) -> bytes:
        return (
            _optional_u8(self.negotiated_quality_of_service)
            + bytes((self.negotiated_dlms_version_number,))
            + _conformance(self.negotiated_conformance)
            + _U16.pack(self.server_max_receive_pdu_size)
            + _U16.pack(self.vaa_name)
        )
