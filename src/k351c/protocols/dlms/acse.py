"""ACSE APDUs in BER (IEC 62056-5-3 / Green Book 9.4) and the user-information they carry.

AARQ (0x60), AARE (0x61), RLRQ (0x62), RLRE (0x63).  Parsing is tolerant of optional fields we do
not model (they are skipped) and strict on lengths: every element must end inside its parent and
the APDU must end exactly at the end of the buffer.  OIDs are kept as their content octets
(e.g. ``60 85 74 05 08 01 01`` for the LN context); ``context_name`` / ``mechanism_name`` build
them and the ``context`` / ``mechanism`` properties read them back as enums.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar, TypeVar

from k351c.axdr.enums import (
    AcseServiceProvider,
    AcseServiceUser,
    ApplicationContextName,
    AssociationResult,
    AuthenticationMechanism,
    ReleaseRequestReason,
    ReleaseResponseReason,
    ResultSourceDiagnostic,
)
from k351c.axdr.length import Buffer, decode_length
from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.dlms.apdu import (
    CIPHERED_TAGS,
    CipheredApdu,
    ConfirmedServiceError,
    decode_whole,
    to_enum,
)
from k351c.protocols.dlms.ber import (
    bit0,
    explicit_content,
    explicit_int,
    iter_elements,
    optional_tlv,
    optional_wrapped,
    tlv,
)
from k351c.protocols.dlms.initiate import InitiateRequest, InitiateResponse

__all__ = [
    "CONTEXT_PREFIX",
    "LN_CONTEXT",
    "MECHANISM_PREFIX",
    "Aare",
    "Aarq",
    "Rlre",
    "Rlrq",
    "UserInformation",
    "context_name",
    "mechanism_name",
    "parse_user_information",
]

CONTEXT_PREFIX = bytes.fromhex("608574050801")
MECHANISM_PREFIX = bytes.fromhex("608574050802")
LN_CONTEXT = CONTEXT_PREFIX + b"\x01"


def context_name(kind: ApplicationContextName) -> bytes:
    """OID content octets of an application context name."""
    return CONTEXT_PREFIX + bytes((kind,))


def mechanism_name(kind: AuthenticationMechanism) -> bytes:
    """OID content octets of an authentication mechanism name."""
    return MECHANISM_PREFIX + bytes((kind,))


def _last_arc(oid: bytes | None, prefix: bytes, enum: type[_E]) -> _E | None:
    if oid is None or len(oid) != 7 or not oid.startswith(prefix):
        return None
    try:
        return enum(oid[6])
    except ValueError:
        return None


_E = TypeVar("_E", bound=IntEnum)
UserInformation = InitiateRequest | InitiateResponse | ConfirmedServiceError | CipheredApdu
_USER_INFO: dict[int, type[InitiateRequest | InitiateResponse | ConfirmedServiceError]] = {
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
        return _last_arc(self.application_context_name, CONTEXT_PREFIX, ApplicationContextName)

    @property
    def mechanism(self) -> AuthenticationMechanism:
        """The authentication mechanism (LOWEST when absent); RemoteProtocolError if unknown."""
        if self.mechanism_name is None:
            return AuthenticationMechanism.LOWEST
        found = _last_arc(self.mechanism_name, MECHANISM_PREFIX, AuthenticationMechanism)
        if found is None:
            raise RemoteProtocolError(f"unknown mechanism name {self.mechanism_name.hex()}")
        return found

    @classmethod
    def from_bytes(cls, data: Buffer) -> Aarq:
        """Decode a whole AARQ."""
        return _guarded(cls._build, _top(cls.TAG, data, "AARQ"))

    @classmethod
    def _build(cls, elements: list[tuple[int, bytes]]) -> Aarq:
        fields: dict[str, Any] = {}  # decoded elements by field name
        for tag, content in elements:
            name = _AARQ_FIELDS.get(tag)
            if name is None:
                continue
            if tag in (0xA1, 0xA2, 0xA6, 0xA7, 0xAC):
                fields[name] = explicit_content(content)
            elif tag == 0x8A:
                fields[name] = bit0(content)
            elif tag == 0xBE:
                fields[name] = parse_user_information(content)
            else:
                fields[name] = content
        if "application_context_name" not in fields:
            raise RemoteProtocolError("AARQ without application-context-name")
        return cls(**fields)

    def to_bytes(self) -> bytes:
        """The AARQ octets."""
        return _encoded(self._body)

    def _body(self) -> bytes:
        body = (
            tlv(0xA1, tlv(0x06, self.application_context_name))
            + optional_wrapped(0xA2, 0x04, self.called_ap_title)
            + optional_wrapped(0xA6, 0x04, self.calling_ap_title)
            + optional_wrapped(0xA7, 0x04, self.calling_ae_qualifier)
            + (tlv(0x8A, _AUTH_TRUE) if self.sender_acse_requirements else b"")
            + optional_tlv(0x8B, self.mechanism_name)
            + optional_wrapped(0xAC, 0x80, self.calling_authentication_value)
            + optional_tlv(0xBD, self.implementation_information)
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
        return _last_arc(self.application_context_name, CONTEXT_PREFIX, ApplicationContextName)

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
        fields: dict[str, Any] = {}  # decoded elements by field name
        for tag, content in elements:
            if tag == 0xA1:
                fields["application_context_name"] = explicit_content(content)
            elif tag == 0xA2:
                fields["result"] = to_enum(AssociationResult, explicit_int(content))
            elif tag == 0xA3:
                fields["diagnostic"] = _diagnostic(content)
            elif tag == 0xA4:
                fields["responding_ap_title"] = explicit_content(content)
            elif tag == 0x88:
                fields["responder_acse_requirements"] = bit0(content)
            elif tag == 0x89:
                fields["mechanism_name"] = content
            elif tag == 0xAA:
                fields["responding_authentication_value"] = explicit_content(content)
            elif tag == 0xBD:
                fields["implementation_information"] = content
            elif tag == 0xBE:
                fields["user_information"] = parse_user_information(content)
        missing = {"application_context_name", "result", "diagnostic"} - fields.keys()
        if missing:
            raise RemoteProtocolError(f"AARE without {', '.join(sorted(missing))}")
        return cls(**fields)

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
            + optional_wrapped(0xA4, 0x04, self.responding_ap_title)
            + (tlv(0x88, _AUTH_TRUE) if self.responder_acse_requirements else b"")
            + optional_tlv(0x89, self.mechanism_name)
            + optional_wrapped(0xAA, 0x80, self.responding_authentication_value)
            + optional_tlv(0xBD, self.implementation_information)
            + (b"" if self.user_information is None else _user_information(self.user_information))
        )
        return tlv(self.TAG, body)


def _diagnostic(content: bytes) -> AcseServiceUser | AcseServiceProvider:
    elements = iter_elements(content, 0, len(content))
    if len(elements) != 1 or elements[0][0] not in (0xA1, 0xA2):
        raise RemoteProtocolError("bad result-source-diagnostic")
    tag, inner = elements[0]
    if tag == 0xA1:
        return to_enum(AcseServiceUser, explicit_int(inner))
    return to_enum(AcseServiceProvider, explicit_int(inner))


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
