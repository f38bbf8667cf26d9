"""ACSE APDUs in BER (IEC 62056-5-3 / Green Book 9.4) and the xDLMS Initiate PDUs they carry.

AARQ (0x60), AARE (0x61), RLRQ (0x62), RLRE (0x63).  Parsing is tolerant of optional fields we do
not model (they are skipped) and strict on lengths: every element must end inside its parent and
the APDU must end exactly at the end of the buffer.  OIDs are kept as their content octets
(e.g. ``60 85 74 05 08 01 01`` for the LN context); ``context_name`` / ``mechanism_name`` build
them and the ``context`` / ``mechanism`` properties read them back as enums.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.dlms.apdu import (
    CIPHERED_TAGS,
    Apdu,
    CipheredApdu,
    ConfirmedServiceError,
    decode_whole,
    read_optional_flag,
    read_struct,
    read_u8,
    to_enum,
)
from k351c.protocols.dlms.axdr import Buffer, decode_length, encode_length, take
from k351c.protocols.dlms.enums import (
    AcseServiceProvider,
    AcseServiceUser,
    ApplicationContextName,
    AssociationResult,
    AuthenticationMechanism,
    Conformance,
    ReleaseRequestReason,
    ReleaseResponseReason,
    ResultSourceDiagnostic,
)

CONTEXT_PREFIX = bytes.fromhex("608574050801")
MECHANISM_PREFIX = bytes.fromhex("608574050802")
LN_CONTEXT = CONTEXT_PREFIX + b"\x01"
VAA_NAME_LN = 0x0007
_U16 = struct.Struct(">H")
_CONFORMANCE_HEAD = b"\x5f\x1f\x04\x00"


def context_name(kind: ApplicationContextName) -> bytes:
    """OID content octets of an application context name."""
    return CONTEXT_PREFIX + bytes((kind,))


def mechanism_name(kind: AuthenticationMechanism) -> bytes:
    """OID content octets of an authentication mechanism name."""
    return MECHANISM_PREFIX + bytes((kind,))


def _last_arc(oid: bytes | None, prefix: bytes, enum: type) -> object:
    if oid is None or len(oid) != 7 or not oid.startswith(prefix):
        return None
    try:
        return enum(oid[6])
    except ValueError:
        return None


# ---- xDLMS Initiate PDUs (A-XDR) ----------------------------------------------------------


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


UserInformation = InitiateRequest | InitiateResponse | ConfirmedServiceError | CipheredApdu
_USER_INFO: dict[int, type] = {
    0x01: InitiateRequest,
    0x08: InitiateResponse,
    0x0E: ConfirmedServiceError,
}


def parse_user_information(content: bytes) -> UserInformation:
    """The xDLMS APDU inside user-information (the [30] element's content: 04 len apdu)."""
    if not content or content[0] != 0x04:
        raise RemoteProtocolError("user-information must hold an OCTET STRING")
    length, pos = decode_length(content, 1)
    if pos + length != len(content) or length == 0:
        raise RemoteProtocolError("user-information length mismatch")
    inner = content[pos:]
    cls = _USER_INFO.get(inner[0])
    if cls is not None:
        return cls.from_bytes(inner)
    if inner[0] in CIPHERED_TAGS:
        return CipheredApdu.from_bytes(inner)
    raise RemoteProtocolError(f"unknown user-information APDU 0x{inner[0]:02x}")


def _user_information(value: UserInformation) -> bytes:
    inner = value.to_bytes()
    return tlv(0xBE, tlv(0x04, inner))


# ---- BER ----------------------------------------------------------------------------------


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


def _inner(content: bytes) -> bytes:
    """Content of the single element wrapped by an explicit tag (e.g. A1 09 06 07 <oid>)."""
    elements = iter_elements(content, 0, len(content))
    if len(elements) != 1:
        raise RemoteProtocolError("explicit tag must wrap exactly one element")
    return elements[0][1]


def _inner_int(content: bytes) -> int:
    value = _inner(content)
    if not 1 <= len(value) <= 4:
        raise RemoteProtocolError("bad INTEGER")
    return int.from_bytes(value, "big", signed=True)


def _bit0(content: bytes) -> bool:
    """Bit 0 of a BER BIT STRING content (the acse-requirements authentication unit)."""
    return len(content) >= 2 and bool(content[1] & 0x80)


def _top(cls_tag: int, data: Buffer, name: str) -> list[tuple[int, bytes]]:
    def decode(buf: Buffer, pos: int) -> tuple[list[tuple[int, bytes]], int]:
        if pos >= len(buf) or buf[pos] != cls_tag:
            raise RemoteProtocolError(f"not an {name}")
        length, start = decode_length(buf, pos + 1)
        end = start + length
        if end > len(buf):
            raise RemoteProtocolError(f"truncated {name}")
        return iter_elements(buf, start, end), end

    return decode_whole(decode, data, 0)


def _opt(tag: int, content: bytes | None) -> bytes:
    return b"" if content is None else tlv(tag, content)


_AUTH_TRUE = b"\x07\x80"


def _encoded(build) -> bytes:  # noqa: ANN001
    try:
        return build()
    except (ValueError, TypeError, OverflowError, AttributeError) as exc:
        raise LocalProtocolError(f"cannot encode ACSE APDU: {exc}") from exc


def _guarded(build, elements: list[tuple[int, bytes]]):  # noqa: ANN001, ANN202
    try:
        return build(elements)
    except RemoteProtocolError:
        raise
    except (IndexError, ValueError, struct.error) as exc:
        raise RemoteProtocolError(f"malformed ACSE APDU: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Aarq:
    """A-ASSOCIATE request (AARQ, 0x60)."""

    TAG: ClassVar[int] = 0x60
    application_context_name: bytes = LN_CONTEXT
    user_information: UserInformation | None = None
    calling_ap_title: bytes | None = None
    calling_ae_qualifier: bytes | None = None
    called_ap_title: bytes | None = None
    sender_acse_requirements: bool = False
    mechanism_name: bytes | None = None
    calling_authentication_value: bytes | None = None
    implementation_information: bytes | None = None

    @property
    def context(self) -> ApplicationContextName | None:
        """The application context as an enum (None if not a DLMS UA one)."""
        return _last_arc(self.application_context_name, CONTEXT_PREFIX, ApplicationContextName)  # type: ignore[return-value]

    @property
    def mechanism(self) -> AuthenticationMechanism:
        """The authentication mechanism (LOWEST when absent); RemoteProtocolError if unknown."""
        if self.mechanism_name is None:
            return AuthenticationMechanism.LOWEST
        found = _last_arc(self.mechanism_name, MECHANISM_PREFIX, AuthenticationMechanism)
        if found is None:
            raise RemoteProtocolError(f"unknown mechanism name {self.mechanism_name.hex()}")
        return found  # type: ignore[return-value]

    @classmethod
    def from_bytes(cls, data: Buffer) -> Aarq:
        """Decode a whole AARQ."""
        return _guarded(cls._build, _top(cls.TAG, data, "AARQ"))

    @classmethod
    def _build(cls, elements: list[tuple[int, bytes]]) -> Aarq:
        fields: dict[str, object] = {}
        for tag, content in elements:
            name = _AARQ_FIELDS.get(tag)
            if name is None:
                continue
            if tag in (0xA1, 0xA2, 0xA6, 0xA7, 0xAC):
                fields[name] = _inner(content)
            elif tag == 0x8A:
                fields[name] = _bit0(content)
            elif tag == 0xBE:
                fields[name] = parse_user_information(content)
            else:
                fields[name] = content
        if "application_context_name" not in fields:
            raise RemoteProtocolError("AARQ without application-context-name")
        return cls(**fields)  # type: ignore[arg-type]

    def to_bytes(self) -> bytes:
        """The AARQ octets."""
        return _encoded(self._body)

    def _body(self) -> bytes:
        body = (
            tlv(0xA1, tlv(0x06, self.application_context_name))
            + _opt(0xA2, None if self.called_ap_title is None else tlv(0x04, self.called_ap_title))
            + _opt(
                0xA6, None if self.calling_ap_title is None else tlv(0x04, self.calling_ap_title)
            )
            + _opt(
                0xA7,
                None if self.calling_ae_qualifier is None else tlv(0x04, self.calling_ae_qualifier),
            )
            + (tlv(0x8A, _AUTH_TRUE) if self.sender_acse_requirements else b"")
            + _opt(0x8B, self.mechanism_name)
            + _opt(
                0xAC,
                None
                if self.calling_authentication_value is None
                else tlv(0x80, self.calling_authentication_value),
            )
            + _opt(0xBD, self.implementation_information)
            + (b"" if self.user_information is None else _user_information(self.user_information))
        )
        return tlv(self.TAG, body)


_AARQ_FIELDS = {
    0xA1: "application_context_name",
    0xA2: "called_ap_title",
    0xA6: "calling_ap_title",
    0xA7: "calling_ae_qualifier",
    0x8A: "sender_acse_requirements",
    0x8B: "mechanism_name",
    0xAC: "calling_authentication_value",
    0xBD: "implementation_information",
    0xBE: "user_information",
}


@dataclass(frozen=True, slots=True)
class Aare:
    """A-ASSOCIATE response (AARE, 0x61)."""

    TAG: ClassVar[int] = 0x61
    result: AssociationResult = AssociationResult.ACCEPTED
    diagnostic: AcseServiceUser | AcseServiceProvider = AcseServiceUser.NULL
    application_context_name: bytes = LN_CONTEXT
    user_information: UserInformation | None = None
    responding_ap_title: bytes | None = None
    responder_acse_requirements: bool = False
    mechanism_name: bytes | None = None
    responding_authentication_value: bytes | None = None
    implementation_information: bytes | None = None

    @property
    def context(self) -> ApplicationContextName | None:
        """The application context as an enum (None if not a DLMS UA one)."""
        return _last_arc(self.application_context_name, CONTEXT_PREFIX, ApplicationContextName)  # type: ignore[return-value]

    @property
    def diagnostic_source(self) -> ResultSourceDiagnostic:
        """Which ACSE side the diagnostic comes from."""
        if isinstance(self.diagnostic, AcseServiceProvider):
            return ResultSourceDiagnostic.ACSE_SERVICE_PROVIDER
        return ResultSourceDiagnostic.ACSE_SERVICE_USER

    @classmethod
    def from_bytes(cls, data: Buffer) -> Aare:
        """Decode a whole AARE."""
        return _guarded(cls._build, _top(cls.TAG, data, "AARE"))

    @classmethod
    def _build(cls, elements: list[tuple[int, bytes]]) -> Aare:
        fields: dict[str, object] = {}
        for tag, content in elements:
            if tag == 0xA1:
                fields["application_context_name"] = _inner(content)
            elif tag == 0xA2:
                fields["result"] = to_enum(AssociationResult, _inner_int(content))
            elif tag == 0xA3:
                fields["diagnostic"] = _diagnostic(content)
            elif tag == 0xA4:
                fields["responding_ap_title"] = _inner(content)
            elif tag == 0x88:
                fields["responder_acse_requirements"] = _bit0(content)
            elif tag == 0x89:
                fields["mechanism_name"] = content
            elif tag == 0xAA:
                fields["responding_authentication_value"] = _inner(content)
            elif tag == 0xBD:
                fields["implementation_information"] = content
            elif tag == 0xBE:
                fields["user_information"] = parse_user_information(content)
        missing = {"application_context_name", "result", "diagnostic"} - fields.keys()
        if missing:
            raise RemoteProtocolError(f"AARE without {', '.join(sorted(missing))}")
        return cls(**fields)  # type: ignore[arg-type]

    def to_bytes(self) -> bytes:
        """The AARE octets."""
        return _encoded(self._body)

    def _body(self) -> bytes:
        source = (
            0xA1 if self.diagnostic_source is ResultSourceDiagnostic.ACSE_SERVICE_USER else 0xA2
        )
        body = (
            tlv(0xA1, tlv(0x06, self.application_context_name))
            + tlv(0xA2, tlv(0x02, bytes((self.result,))))
            + tlv(0xA3, tlv(source, tlv(0x02, bytes((self.diagnostic,)))))
            + _opt(
                0xA4,
                None if self.responding_ap_title is None else tlv(0x04, self.responding_ap_title),
            )
            + (tlv(0x88, _AUTH_TRUE) if self.responder_acse_requirements else b"")
            + _opt(0x89, self.mechanism_name)
            + _opt(
                0xAA,
                None
                if self.responding_authentication_value is None
                else tlv(0x80, self.responding_authentication_value),
            )
            + _opt(0xBD, self.implementation_information)
            + (b"" if self.user_information is None else _user_information(self.user_information))
        )
        return tlv(self.TAG, body)


def _diagnostic(content: bytes) -> AcseServiceUser | AcseServiceProvider:
    elements = iter_elements(content, 0, len(content))
    if len(elements) != 1 or elements[0][0] not in (0xA1, 0xA2):
        raise RemoteProtocolError("bad result-source-diagnostic")
    tag, inner = elements[0]
    cls = AcseServiceUser if tag == 0xA1 else AcseServiceProvider
    return to_enum(cls, _inner_int(inner))


def _release_build(cls, reason_enum, elements):  # noqa: ANN001, ANN202
    reason = None
    user_information = None
    for tag, content in elements:
        if tag == 0x80:
            if len(content) != 1:
                raise RemoteProtocolError("bad release reason")
            reason = to_enum(reason_enum, content[0])
        elif tag == 0xBE:
            user_information = parse_user_information(content)
    return cls(reason, user_information)


def _release_bytes(tag: int, reason: int | None, user_information: UserInformation | None) -> bytes:
    body = b"" if reason is None else tlv(0x80, bytes((reason,)))
    if user_information is not None:
        body += _user_information(user_information)
    return tlv(tag, body)


@dataclass(frozen=True, slots=True)
class Rlrq:
    """A-RELEASE request (RLRQ, 0x62)."""

    TAG: ClassVar[int] = 0x62
    reason: ReleaseRequestReason | None = ReleaseRequestReason.NORMAL
    user_information: UserInformation | None = None

    @classmethod
    def from_bytes(cls, data: Buffer) -> Rlrq:
        """Decode a whole RLRQ."""
        elements = _top(cls.TAG, data, "RLRQ")
        return _guarded(lambda e: _release_build(cls, ReleaseRequestReason, e), elements)

    def to_bytes(self) -> bytes:
        """The RLRQ octets."""
        return _release_bytes(self.TAG, self.reason, self.user_information)


@dataclass(frozen=True, slots=True)
class Rlre:
    """A-RELEASE response (RLRE, 0x63)."""

    TAG: ClassVar[int] = 0x63
    reason: ReleaseResponseReason | None = ReleaseResponseReason.NORMAL
    user_information: UserInformation | None = None

    @classmethod
    def from_bytes(cls, data: Buffer) -> Rlre:
        """Decode a whole RLRE."""
        elements = _top(cls.TAG, data, "RLRE")
        return _guarded(lambda e: _release_build(cls, ReleaseResponseReason, e), elements)

    def to_bytes(self) -> bytes:
        """The RLRE octets."""
        return _release_bytes(self.TAG, self.reason, self.user_information)
