"""Server side of a DLMS/COSEM application association (IEC 62056-5-3): AARQ/AARE, services, release.

One ``AssociationServer`` serves one connection (one client SAP at a time). It is sans-IO: APDU bytes in,
APDU bytes out. The state machine is the TRANSITIONS table; a missing entry is an ExceptionResponse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from k351c.axdr.enums import (
    AcseServiceUser,
    ApplicationContextName,
    AssociationResult,
    AuthenticationMechanism,
    ConfirmedServiceErrorChoice,
    Conformance,
    InitiateError,
    ServiceError,
    ServiceErrorChoice,
    StateError,
)
from k351c.cosem.model import Level, ObjectList, RequestContext
from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.dlms.acse import Aare, Aarq, Rlre, Rlrq, UserInformation, mechanism_name
from k351c.protocols.dlms.apdu import ConfirmedServiceError
from k351c.protocols.dlms.apdu_action import ActionRequestNormal, ActionRequestWithList
from k351c.protocols.dlms.apdu_get import GetRequestNext, GetRequestNormal, GetRequestWithList
from k351c.protocols.dlms.apdu_misc import ExceptionResponse, parse_apdu
from k351c.protocols.dlms.apdu_set import (
    SetRequestNormal,
    SetRequestWithDataBlock,
    SetRequestWithFirstDataBlock,
    SetRequestWithList,
)
from k351c.protocols.dlms.initiate import InitiateRequest, InitiateResponse
from k351c.protocols.dlms.services import Services

log = logging.getLogger("k351c.dlms")

SERVER_CONFORMANCE = (
    Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ
    | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE
    | Conformance.BLOCK_TRANSFER_WITH_ACTION
    | Conformance.MULTIPLE_REFERENCES
    | Conformance.GET
    | Conformance.SET
    | Conformance.SELECTIVE_ACCESS
    | Conformance.ACTION
    | Conformance.ATTRIBUTE0_SUPPORTED_WITH_GET
    | Conformance.PRIORITY_MGMT_SUPPORTED
    | Conformance.DATA_NOTIFICATION
)
SERVER_MAX_RECEIVE_PDU = 0xFFFF
PARSED_CACHE_SIZE = 256
MIN_PDU = 12


@dataclass(frozen=True, slots=True)
class ClientRule:
    """What a client SAP must present and the level it gets."""

    level: Level
    mechanism: AuthenticationMechanism
    name: str


DEFAULT_CLIENTS: dict[int, ClientRule] = {
    16: ClientRule(Level.PUBLIC, AuthenticationMechanism.LOWEST, "public"),
    32: ClientRule(Level.READING, AuthenticationMechanism.LOW, "reading"),
    1: ClientRule(Level.MANAGEMENT, AuthenticationMechanism.LOW, "management"),
}


class State(Enum):
    """Association states of one connection."""

    IDLE = "idle"
    ASSOCIATED = "associated"


Authenticator = Callable[[int, AuthenticationMechanism, bytes | None], bool]


class Association(Protocol):
    """What a transport drives for one connection: a plain, ciphered or quirky association."""

    def handle(self, client_sap: int, apdu: bytes) -> bytes | None:
        """The answer to one APDU from ``client_sap`` (None: no answer)."""
        ...

    def release(self) -> None:
        """Drop the association (transport closed or disconnected)."""
        ...


class AssociationServer:
    """Sans-IO association state machine: handle(client_sap, apdu) -> response APDU bytes or None."""

    def __init__(
        self,
        objects: ObjectList,
        authenticate: Authenticator,
        clients: dict[int, ClientRule] | None = None,
        on_event: Callable[[str, dict], None] | None = None,
    ) -> None:
        self.objects = objects
        self.authenticate = authenticate
        self.clients = clients or DEFAULT_CLIENTS
        self.on_event = on_event or (lambda kind, data: None)
        self.state = State.IDLE
        self.client_sap: int | None = None
        self.context: RequestContext | None = None
        self.services: Services | None = None
        self._parsed: dict[bytes, object] = {}

    def handle(self, client_sap: int, apdu: bytes) -> bytes | None:
        """Process one request APDU from ``client_sap``; return the response APDU (None = no answer)."""
        message = self._parsed.get(apdu) if apdu.__class__ is bytes else None
        if message is None:
            try:
                message = parse_apdu(apdu)
            except RemoteProtocolError as exc:
                log.info("client %s sent a malformed APDU: %s", client_sap, exc)
                return ExceptionResponse(
                    StateError.SERVICE_UNKNOWN, ServiceError.OTHER_REASON
                ).to_bytes()
            if message.__class__ in REUSABLE and apdu.__class__ is bytes:
                if len(self._parsed) >= PARSED_CACHE_SIZE:
                    self._parsed.clear()
                self._parsed[apdu] = message
        kind = KINDS.get(message.__class__, "other")
        handler = TRANSITIONS.get((self.state, kind))
        if handler is None:
            return ExceptionResponse(
                StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED
            ).to_bytes()
        if (
            self.state is State.ASSOCIATED
            and client_sap != self.client_sap
            and kind not in ("aarq", "rlrq")
        ):
            return ExceptionResponse(
                StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE
            ).to_bytes()
        response = handler(self, client_sap, message)
        if response is None or response.__class__ is bytes:
            return response
        try:
            return response.to_bytes()
        except LocalProtocolError as exc:
            log.warning("client %s: the %s answer cannot be encoded: %s", client_sap, kind, exc)
            return ExceptionResponse(
                StateError.SERVICE_NOT_ALLOWED, ServiceError.OTHER_REASON
            ).to_bytes()

    def release(self) -> None:
        """Drop the association (transport closed or disconnected)."""
        if self.state is State.ASSOCIATED:
            self.on_event("released", {"client_sap": self.client_sap})
        self.state = State.IDLE
        self.client_sap = None
        self.context = None
        self.services = None

    # ------------------------------------------------------------- handlers
    def _reject(
        self,
        diagnostic: AcseServiceUser,
        aarq: Aarq | None = None,
        user_information: UserInformation | None = None,
    ) -> Aare:
        context = aarq.application_context_name if aarq is not None else None
        if context:
            return Aare(
                AssociationResult.REJECTED_PERMANENT,
                diagnostic,
                application_context_name=context,
                user_information=user_information,
            )
        return Aare(
            AssociationResult.REJECTED_PERMANENT, diagnostic, user_information=user_information
        )

    def _on_aarq(self, client_sap: int, aarq: Aarq) -> Aare:
        self.release()
        rule = self.clients.get(client_sap)
        if aarq.context != ApplicationContextName.LOGICAL_NAME:
            return self._reject(AcseServiceUser.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED, aarq)
        if rule is None:
            return self._reject(AcseServiceUser.CALLING_AP_TITLE_NOT_RECOGNIZED, aarq)
        initiate = aarq.user_information
        if not isinstance(initiate, InitiateRequest):
            return self._reject(AcseServiceUser.NO_REASON_GIVEN, aarq)
        error = _initiate_error(initiate)
        if error is not None:
            fault = ConfirmedServiceError(
                ConfirmedServiceErrorChoice.INITIATE_ERROR, ServiceErrorChoice.INITIATE, error
            )
            return self._reject(AcseServiceUser.NO_REASON_GIVEN, aarq, fault)
        if aarq.mechanism != rule.mechanism:
            return self._reject(AcseServiceUser.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED, aarq)
        if rule.mechanism != AuthenticationMechanism.LOWEST and not self.authenticate(
            client_sap, aarq.mechanism, aarq.calling_authentication_value
        ):
            self.on_event("authentication_failed", {"client_sap": client_sap})
            return self._reject(AcseServiceUser.AUTHENTICATION_FAILURE, aarq)
        conformance = Conformance(int(initiate.proposed_conformance) & int(SERVER_CONFORMANCE))
        max_pdu = initiate.client_max_receive_pdu_size or 0xFFFF
        info = {
            "conformance": int(conformance),
            "max_receive_pdu": SERVER_MAX_RECEIVE_PDU,
            "max_send_pdu": max_pdu,
            "context_name": aarq.application_context_name,
            "client_sap": client_sap,
            "mechanism_name": aarq.mechanism_name or mechanism_name(rule.mechanism),
        }
        self.state = State.ASSOCIATED
        self.client_sap = client_sap
        self.context = RequestContext(rule.level, client_sap, None, info)
        block = bool(conformance & Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ)
        self.services = Services(self.objects, max_pdu, block)
        self.on_event("associated", {"client_sap": client_sap, "level": rule.name})
        response = InitiateResponse(
            negotiated_conformance=conformance, server_max_receive_pdu_size=SERVER_MAX_RECEIVE_PDU
        )
        needs_mechanism = rule.mechanism != AuthenticationMechanism.LOWEST
        return Aare(
            AssociationResult.ACCEPTED,
            AcseServiceUser.NULL,
            user_information=response,
            responder_acse_requirements=needs_mechanism,
            mechanism_name=mechanism_name(rule.mechanism) if needs_mechanism else None,
        )

    def _on_rlrq(self, client_sap: int, rlrq: Rlrq) -> Rlre:
        self.release()
        return Rlre()

    def opened(self) -> tuple[RequestContext, Services]:
        """The request context and services of the open association (requests come only then)."""
        if self.context is None or self.services is None:
            raise LocalProtocolError("no association is open")
        return self.context, self.services

    def _on_get(self, client_sap: int, request: object) -> object:
        ctx, services = self.opened()
        return services.get(ctx, request)

    def _on_set(self, client_sap: int, request: object) -> object:
        ctx, services = self.opened()
        return services.set(ctx, request)

    def _on_action(self, client_sap: int, request: object) -> object:
        ctx, services = self.opened()
        return services.action(ctx, request)


def _initiate_error(initiate: InitiateRequest) -> InitiateError | None:
    if initiate.proposed_dlms_version_number < 6:
        return InitiateError.DLMS_VERSION_TOO_LOW
    if initiate.client_max_receive_pdu_size and initiate.client_max_receive_pdu_size < MIN_PDU:
        return InitiateError.PDU_SIZE_TOO_SHORT
    if not int(initiate.proposed_conformance) & int(SERVER_CONFORMANCE):
        return InitiateError.INCOMPATIBLE_CONFORMANCE
    return None


KINDS: dict[type, str] = {
    Aarq: "aarq",
    Rlrq: "rlrq",
    GetRequestNormal: "get",
    GetRequestNext: "get",
    GetRequestWithList: "get",
    SetRequestNormal: "set",
    SetRequestWithList: "set",
    SetRequestWithFirstDataBlock: "set",
    SetRequestWithDataBlock: "set",
    ActionRequestNormal: "action",
    ActionRequestWithList: "action",
}


# requests that are plain values of their octets: a repeated APDU reuses its parsed message
REUSABLE = frozenset({GetRequestNormal, GetRequestNext, GetRequestWithList})


TRANSITIONS: dict[tuple[State, str], Callable] = {
    (State.IDLE, "aarq"): AssociationServer._on_aarq,
    (State.IDLE, "rlrq"): AssociationServer._on_rlrq,
    (State.ASSOCIATED, "aarq"): AssociationServer._on_aarq,
    (State.ASSOCIATED, "rlrq"): AssociationServer._on_rlrq,
    (State.ASSOCIATED, "get"): AssociationServer._on_get,
    (State.ASSOCIATED, "set"): AssociationServer._on_set,
    (State.ASSOCIATED, "action"): AssociationServer._on_action,
}
