"""A ciphered layer around AssociationServer: HLS-GMAC, glo-/ded-/general-glo-ciphering, counters, policy.

``SecureAssociation`` has the same face as ``AssociationServer`` (``handle(client_sap, apdu)``,
``release()``). Clients whose rule asks for HLS-GMAC (the management client, SAP 1) must present
their system title and challenge in the AARQ, may carry a glo-initiateRequest, and must pass HLS
pass 3/4 before anything else. Every request on such an association is checked against the security
policy and the client's invocation counter, deciphered, served by the plain association, and the
response is ciphered the same way. Public and LLS clients pass through, with the rate limiter in
front of LLS. Sans-IO: keys, counters, challenges and the limiter come from a ``SecurityProvider``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from typing import Protocol

from k351c.axdr.enums import (
    AcseServiceUser,
    ApplicationContextName,
    AssociationResult,
    AuthenticationMechanism,
    ServiceError,
    StateError,
)
from k351c.cosem.model import Level, ObjectList
from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.dlms.acse import LN_CONTEXT, Aare, Aarq, context_name
from k351c.protocols.dlms.apdu import CipheredApdu
from k351c.protocols.dlms.apdu_misc import ExceptionResponse, parse_apdu
from k351c.protocols.dlms.association import (
    DEFAULT_CLIENTS,
    AssociationServer,
    Authenticator,
    ClientRule,
)
from k351c.protocols.dlms.hls import HlsExchange, is_reply_to_hls, valid_challenge
from k351c.protocols.dlms.initiate import InitiateRequest
from k351c.protocols.dlms.security import (
    CIPHERING_OVERHEAD,
    PLAIN_OF,
    CipherKind,
    Deciphered,
    DecipheringError,
    SecurityControl,
    SecurityPolicy,
    cipher_apdu,
    cipher_kind,
    decipher_apdu,
)

log = logging.getLogger("k351c.dlms.security")

SECURE_CLIENTS: dict[int, ClientRule] = {
    **DEFAULT_CLIENTS,
    1: ClientRule(Level.MANAGEMENT, AuthenticationMechanism.HIGH_GMAC, "management"),
}
CIPHERED_CONTEXT = context_name(ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING)
AARQ_TAG, RLRQ_TAG = 0x60, 0x62
_AARQ_PREFIX, _RLRQ_PREFIX = bytes((AARQ_TAG,)), bytes((RLRQ_TAG,))


class SecurityProvider(Protocol):
    """What the ciphered layer needs from the meter: keys, policy, counters, challenges, the limiter."""

    @property
    def server_title(self) -> bytes:
        """The meter's system title (8 octets)."""

    def keys(self) -> tuple[bytes, bytes]:
        """(global unicast encryption key, authentication key), as they are right now."""

    def policy(self) -> SecurityPolicy:
        """The protection every request on a ciphered association must carry at least."""

    def next_counter(self) -> int:
        """The server's next invocation counter (never repeats)."""

    def accept_counter(self, client_title: bytes, counter: int) -> bool:
        """Record a client's invocation counter; False if it is not newer than the last one."""

    def challenge(self) -> bytes:
        """A fresh random StoC challenge."""

    def admit(self, client_sap: int) -> bool:
        """Whether the rate limiter lets this client try to authenticate now."""

    def authenticated(self, client_sap: int, ok: bool) -> None:
        """Report an authentication attempt's outcome to the rate limiter."""


class Phase(Enum):
    """Where the ciphered layer is in one association."""

    PLAIN = "plain"
    HLS_PENDING = "hls-pending"
    SECURE = "secure"


@dataclass(frozen=True, slots=True)
class Session:
    """The security of one HLS association: the client's title, the exchange, the dedicated key."""

    hls: HlsExchange
    ciphered: bool
    dedicated_key: bytes | None = None


def _exception(service: ServiceError) -> bytes:
    return ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, service).to_bytes()


class SecureAssociation:
    """AssociationServer with HLS-GMAC and ciphering for the clients that need it."""

    def __init__(
        self,
        objects: ObjectList,
        authenticate: Authenticator,
        provider: SecurityProvider,
        clients: dict[int, ClientRule] | None = None,
        on_event: Callable[[str, dict], None] | None = None,
        counter_per_dedicated_key: bool = False,
    ) -> None:
        self.provider = provider
        # bench quirk: ded-ciphered answers count 1, 2, ... per dedicated key, not the meter's counter
        self.dedicated_counters: dict[bytes, int] | None = {} if counter_per_dedicated_key else None
        self.clients = clients or SECURE_CLIENTS
        self.on_event = on_event or (lambda kind, data: None)
        self._authenticate = authenticate
        self.inner = AssociationServer(objects, self._inner_authenticate, self.clients, on_event)
        self.phase = Phase.PLAIN
        self.session: Session | None = None

    @property
    def state(self):  # noqa: ANN201
        """The plain association's state."""
        return self.inner.state

    def _inner_authenticate(
        self, client_sap: int, mechanism: AuthenticationMechanism, value: bytes | None
    ) -> bool:
        if mechanism == AuthenticationMechanism.HIGH_GMAC:
            return True
        return self._authenticate(client_sap, mechanism, value)

    def release(self) -> None:
        """Drop the association (transport closed or disconnected)."""
        self.inner.release()
        self.phase = Phase.PLAIN
        self.session = None

    def handle(self, client_sap: int, apdu: bytes) -> bytes | None:
        """Process one request APDU from ``client_sap``; return the response APDU (None = no answer)."""
        if apdu[:1] == _AARQ_PREFIX:
            return self._on_aarq(client_sap, apdu)
        if self.phase is Phase.PLAIN:
            return self.inner.handle(client_sap, apdu)
        if client_sap != self.inner.client_sap:
            return _exception(ServiceError.OPERATION_NOT_POSSIBLE)
        return self._on_secure(client_sap, apdu)

    # ------------------------------------------------------------------ AARQ
    def _on_aarq(self, client_sap: int, raw: bytes) -> bytes | None:
        self.release()
        rule = self.clients.get(client_sap)
        if rule is None or rule.mechanism == AuthenticationMechanism.LOWEST:
            return self.inner.handle(client_sap, raw)
        try:
            aarq = Aarq.from_bytes(raw)
        except RemoteProtocolError:
            return self.inner.handle(client_sap, raw)
        if not self.provider.admit(client_sap):
            log.info("client %d refused: authentication locked out", client_sap)
            return _reject(aarq, AcseServiceUser.AUTHENTICATION_FAILURE)
        if rule.mechanism != AuthenticationMechanism.HIGH_GMAC or aarq.mechanism != rule.mechanism:
            answer = self.inner.handle(client_sap, raw)
            self._report(client_sap, answer)
            return answer
        return self._on_hls_aarq(client_sap, aarq)

    def _report(self, client_sap: int, answer: bytes | None) -> None:
        try:
            aare = Aare.from_bytes(answer or b"")
        except RemoteProtocolError:
            return
        if aare.result == AssociationResult.ACCEPTED:
            self.provider.authenticated(client_sap, True)
        elif aare.diagnostic == AcseServiceUser.AUTHENTICATION_FAILURE:
            self.provider.authenticated(client_sap, False)

    def _on_hls_aarq(self, client_sap: int, aarq: Aarq) -> bytes:
        title, ctos = aarq.calling_ap_title, aarq.calling_authentication_value
        if title is None or len(title) != 8:
            return _reject(aarq, AcseServiceUser.CALLING_AP_TITLE_NOT_RECOGNIZED)
        if not valid_challenge(ctos):
            return _reject(aarq, AcseServiceUser.AUTHENTICATION_FAILURE)
        opened = self._open_initiate(client_sap, aarq, title)
        if isinstance(opened, bytes):
            return opened
        initiate, control = opened
        plain = replace(aarq, application_context_name=LN_CONTEXT, user_information=initiate)
        aare = Aare.from_bytes(self.inner.handle(client_sap, plain.to_bytes()) or b"")
        if aare.result != AssociationResult.ACCEPTED:
            return replace(aare, application_context_name=aarq.application_context_name).to_bytes()
        context, services = self.inner.opened()
        services.reserve(CIPHERING_OVERHEAD)
        stoc = self.provider.challenge()
        hls = HlsExchange(title, self.provider.server_title, bytes(ctos), stoc)
        self.session = Session(hls, control is not None, initiate.dedicated_key)
        self.phase = Phase.HLS_PENDING
        context.association.update(
            client_system_title=title,
            server_system_title=self.provider.server_title,
            context_name=aarq.application_context_name,
        )
        info = aare.user_information
        if control is not None and info is not None:
            ek, ak = self.provider.keys()
            ciphered = cipher_apdu(
                info.to_bytes(),
                CipherKind.GLOBAL,
                control,
                hls.server_title,
                self.provider.next_counter(),
                ek,
                ak,
            )
            info = CipheredApdu.from_bytes(ciphered)
        return replace(
            aare,
            diagnostic=AcseServiceUser.AUTHENTICATION_REQUIRED,
            application_context_name=aarq.application_context_name,
            responding_ap_title=hls.server_title,
            responding_authentication_value=stoc,
            user_information=info,
        ).to_bytes()

    def _open_initiate(
        self, client_sap: int, aarq: Aarq, title: bytes
    ) -> tuple[InitiateRequest, SecurityControl | None] | bytes:
        """The AARQ's InitiateRequest, deciphered if needed; bytes = the rejecting AARE."""
        info = aarq.user_information
        policy = self.provider.policy()
        if not isinstance(info, CipheredApdu):
            if policy != SecurityPolicy.NOTHING or aarq.application_context_name != LN_CONTEXT:
                return _reject(aarq, AcseServiceUser.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED)
            if not isinstance(info, InitiateRequest):
                return _reject(aarq, AcseServiceUser.NO_REASON_GIVEN)
            return info, None
        if aarq.application_context_name != CIPHERED_CONTEXT:
            return _reject(aarq, AcseServiceUser.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED)
        try:
            found = decipher_apdu(info, title, *self.provider.keys())
            if found.kind is not CipherKind.GLOBAL:
                raise DecipheringError("the AARQ must be glo-ciphered")
            initiate = InitiateRequest.from_bytes(found.plain)
        except RemoteProtocolError as exc:
            log.info("client %d: ciphered AARQ refused: %s", client_sap, exc)
            self.provider.authenticated(client_sap, False)
            self.on_event(
                "authentication_failed", {"client_sap": client_sap, "reason": "deciphering"}
            )
            return _reject(aarq, AcseServiceUser.AUTHENTICATION_FAILURE)
        if not found.control.satisfies(policy):
            return _reject(aarq, AcseServiceUser.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED)
        if not self.provider.accept_counter(title, found.counter):
            log.info("client %d: AARQ with an old invocation counter refused", client_sap)
            return _reject(aarq, AcseServiceUser.AUTHENTICATION_FAILURE)
        return initiate, found.control

    # ------------------------------------------------------ ciphered requests
    def _on_secure(self, client_sap: int, apdu: bytes) -> bytes | None:
        session = self.session
        assert session is not None
        keys = self.provider.keys()
        if cipher_kind(apdu[0]) is None:
            if apdu[:1] == _RLRQ_PREFIX:
                answer = self.inner.handle(client_sap, apdu)
                self.release()
                return answer
            if session.ciphered or self.provider.policy() != SecurityPolicy.NOTHING:
                log.info("client %d: plain request on a ciphered association refused", client_sap)
                return _exception(ServiceError.OPERATION_NOT_POSSIBLE)
            found = None
            plain = apdu
        else:
            try:
                found = self._decipher(apdu, session, keys)
            except RemoteProtocolError as exc:
                log.info("client %d: ciphered request refused: %s", client_sap, exc)
                return _exception(ServiceError.DECIPHERING_ERROR)
            if not found.control.satisfies(self.provider.policy()):
                return _exception(ServiceError.OPERATION_NOT_POSSIBLE)
            if not self.provider.accept_counter(session.hls.client_title, found.counter):
                log.info(
                    "client %d: replayed or old invocation counter %d refused",
                    client_sap,
                    found.counter,
                )
                return _exception(ServiceError.INVOCATION_COUNTER_ERROR)
            plain = found.plain
        if self.phase is Phase.HLS_PENDING:
            answer = self._on_hls_reply(client_sap, plain, keys)
        else:
            answer = self.inner.handle(client_sap, plain)
        if answer is None or found is None:
            return answer
        return self._protect(answer, found, session, keys)

    def _decipher(self, apdu: bytes, session: Session, keys: tuple[bytes, bytes]) -> Deciphered:
        ek, ak = keys
        if cipher_kind(apdu[0]) is CipherKind.DEDICATED:
            if session.dedicated_key is None:
                raise DecipheringError("ded-ciphering without a dedicated key")
            ek = session.dedicated_key
        found = decipher_apdu(apdu, session.hls.client_title, ek, ak)
        if found.system_title != session.hls.client_title:
            raise DecipheringError("general-glo-ciphering from another system title")
        if (
            found.kind is not CipherKind.GENERAL_GLOBAL
            and apdu[0] in PLAIN_OF
            and found.plain[0] < 0xC0
        ):
            raise DecipheringError("only xDLMS service requests may be ciphered here")
        return found

    def _protect(
        self, answer: bytes, found: Deciphered, session: Session, keys: tuple[bytes, bytes]
    ) -> bytes:
        ek, ak = keys
        if found.kind is CipherKind.DEDICATED and session.dedicated_key is not None:
            ek = session.dedicated_key
        try:
            return cipher_apdu(
                answer,
                found.kind,
                found.control,
                session.hls.server_title,
                self._answer_counter(found.kind, session),
                ek,
                ak,
            )
        except LocalProtocolError:  # no glo-/ded- form (exception-response): it goes plain
            return answer

    def _answer_counter(self, kind: CipherKind, session: Session) -> int:
        """The invocation counter of a ciphered answer: the meter's, or one per dedicated key."""
        key = session.dedicated_key
        if self.dedicated_counters is None or kind is not CipherKind.DEDICATED or key is None:
            return self.provider.next_counter()
        self.dedicated_counters[key] = count = self.dedicated_counters.get(key, 0) + 1
        return count

    def _on_hls_reply(
        self, client_sap: int, plain: bytes, keys: tuple[bytes, bytes]
    ) -> bytes | None:
        try:
            request = parse_apdu(plain)
        except RemoteProtocolError:
            return _exception(ServiceError.OTHER_REASON)
        if not is_reply_to_hls(request):
            log.info("client %d: request before HLS pass 3 refused", client_sap)
            return _exception(ServiceError.OPERATION_NOT_POSSIBLE)
        assert self.session is not None
        ok, response = self.session.hls.answer(request, *keys, self.provider.next_counter())
        self.provider.authenticated(client_sap, ok)
        if ok:
            self.phase = Phase.SECURE
            self.on_event("hls_authenticated", {"client_sap": client_sap})
        else:
            self.on_event("authentication_failed", {"client_sap": client_sap, "reason": "hls"})
            self.release()
        return response.to_bytes()


def _reject(aarq: Aarq, diagnostic: AcseServiceUser) -> bytes:
    return Aare(
        AssociationResult.REJECTED_PERMANENT,
        diagnostic,
        application_context_name=aarq.application_context_name,
    ).to_bytes()
