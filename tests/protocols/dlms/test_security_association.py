"""SecureAssociation sans-IO: HLS-GMAC pass 1-4, policy, counters, ded-ciphering, plain refusal."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from k351c.axdr.enums import (
    AcseServiceUser,
    ActionResult,
    ApplicationContextName,
    AssociationResult,
    AuthenticationMechanism,
    Conformance,
    ServiceError,
)
from k351c.axdr.types import Data, DataType
from k351c.cosem.model import Attribute, CosemObject, Level, ObjectList
from k351c.obis import Obis
from k351c.protocols.dlms.acse import Aare, Aarq, context_name, mechanism_name
from k351c.protocols.dlms.apdu import CipheredApdu, CosemAttribute, CosemMethod, InvokeIdAndPriority
from k351c.protocols.dlms.apdu_action import ActionRequestNormal, ActionResponseNormal
from k351c.protocols.dlms.apdu_get import GetRequestNormal, GetResponseNormal
from k351c.protocols.dlms.apdu_misc import ExceptionResponse, parse_apdu
from k351c.protocols.dlms.initiate import InitiateRequest, InitiateResponse
from k351c.protocols.dlms.secure import SecureAssociation
from k351c.protocols.dlms.security import (
    CipherKind,
    SecurityControl,
    SecurityPolicy,
    cipher_apdu,
    decipher_apdu,
    hls_gmac,
    verify_hls_gmac,
)

EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
CLIENT = bytes.fromhex("4D4D4D0000BC614E")
SERVER = b"KAM" + bytes(5)
STOC = bytes(range(16))
CTOS = b"C" * 16
BOTH = SecurityControl(0, True, True)
VALUE = Obis(1, 0, 1, 8, 0)


@dataclass
class Provider:
    """A SecurityProvider with fixed keys and challenges."""

    server_title: bytes = SERVER
    policy_value: SecurityPolicy = SecurityPolicy.ALL_MESSAGES_AUTHENTICATED_AND_ENCRYPTED
    counter: int = 100
    seen: dict = field(default_factory=dict)
    outcomes: list = field(default_factory=list)
    locked: bool = False

    def keys(self):
        return EK, AK

    def policy(self):
        return self.policy_value

    def next_counter(self):
        self.counter += 1
        return self.counter

    def accept_counter(self, title, counter):
        if counter <= self.seen.get(title, -1):
            return False
        self.seen[title] = counter
        return True

    def challenge(self):
        return STOC

    def admit(self, client_sap):
        return not self.locked

    def authenticated(self, client_sap, ok):
        self.outcomes.append(ok)


def objects() -> ObjectList:
    attrs = {
        2: Attribute(
            lambda ctx: Data(DataType.DOUBLE_LONG_UNSIGNED, 1234), read_level=Level.MANAGEMENT
        )
    }
    return ObjectList([CosemObject(3, 0, VALUE, attrs)])


class Client:
    """The client half, built from our codec and security functions."""

    def __init__(self, ek: bytes = EK, dedicated: bytes | None = None) -> None:
        self.ek, self.ic, self.dedicated = ek, 0, dedicated

    def cipher(self, plain: bytes, kind=CipherKind.GLOBAL, control=BOTH) -> bytes:
        self.ic += 1
        key = self.dedicated if kind is CipherKind.DEDICATED else self.ek
        return cipher_apdu(plain, kind, control, CLIENT, self.ic, key, AK)

    def aarq(self, ciphered: bool = True) -> bytes:
        initiate = InitiateRequest(
            Conformance.GET | Conformance.ACTION, dedicated_key=self.dedicated
        )
        info = CipheredApdu.from_bytes(self.cipher(initiate.to_bytes())) if ciphered else initiate
        context = (
            ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING
            if ciphered
            else ApplicationContextName.LOGICAL_NAME
        )
        return Aarq(
            context_name(context),
            info,
            calling_ap_title=CLIENT,
            sender_acse_requirements=True,
            mechanism_name=mechanism_name(AuthenticationMechanism.HIGH_GMAC),
            calling_authentication_value=CTOS,
        ).to_bytes()

    def reply(self, stoc: bytes = STOC) -> bytes:
        self.ic += 1
        value = Data(DataType.OCTET_STRING, hls_gmac(CLIENT, self.ic, self.ek, AK, stoc))
        method = CosemMethod(15, bytes((0, 0, 40, 0, 0, 255)), 1)
        return self.cipher(ActionRequestNormal(InvokeIdAndPriority(2), method, value).to_bytes())

    def get(self) -> bytes:
        return GetRequestNormal(
            InvokeIdAndPriority(3), CosemAttribute(3, VALUE.to_bytes(), 2)
        ).to_bytes()


def associate(
    client: Client, provider: Provider | None = None
) -> tuple[SecureAssociation, Provider]:
    provider = provider or Provider()
    association = SecureAssociation(objects(), lambda *a: False, provider)
    aare = Aare.from_bytes(association.handle(1, client.aarq()))
    assert aare.result == AssociationResult.ACCEPTED
    assert aare.diagnostic == AcseServiceUser.AUTHENTICATION_REQUIRED
    assert aare.responding_ap_title == SERVER and aare.responding_authentication_value == STOC
    assert aare.context is ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING
    inner = decipher_apdu(aare.user_information, SERVER, EK, AK)
    assert isinstance(parse_apdu(inner.plain), InitiateResponse)
    answer = decipher_apdu(association.handle(1, client.reply()), SERVER, EK, AK)
    response = parse_apdu(answer.plain)
    assert isinstance(response, ActionResponseNormal) and response.result == ActionResult.SUCCESS
    verify_hls_gmac(response.return_parameters.value, SERVER, EK, AK, CTOS)
    return association, provider


def test_full_hls_gmac_session_reads_ciphered() -> None:
    client = Client()
    association, provider = associate(client)
    raw = association.handle(1, client.cipher(client.get()))
    assert raw[0] == 0xCC  # glo-get-response
    response = parse_apdu(decipher_apdu(raw, SERVER, EK, AK).plain)
    assert isinstance(response, GetResponseNormal) and response.result.value == 1234
    assert provider.outcomes == [True]


def test_requests_before_hls_pass_3_are_refused() -> None:
    client = Client()
    association = SecureAssociation(objects(), lambda *a: False, Provider())
    association.handle(1, client.aarq())
    raw = association.handle(1, client.cipher(client.get()))
    assert parse_apdu(raw) == ExceptionResponse(1, ServiceError.OPERATION_NOT_POSSIBLE)


def test_wrong_hls_reply_refused_and_counted() -> None:
    client = Client()
    provider = Provider()
    association = SecureAssociation(objects(), lambda *a: False, provider)
    association.handle(1, client.aarq())
    raw = association.handle(1, client.reply(stoc=b"not the challenge"))
    response = parse_apdu(decipher_apdu(raw, SERVER, EK, AK).plain)
    assert response.result == ActionResult.READ_WRITE_DENIED
    assert provider.outcomes == [False]
    assert isinstance(
        parse_apdu(association.handle(1, client.cipher(client.get()))), ExceptionResponse
    )


def test_wrong_key_aarq_refused() -> None:
    provider = Provider()
    association = SecureAssociation(objects(), lambda *a: False, provider)
    aare = Aare.from_bytes(association.handle(1, Client(ek=AK).aarq()))
    assert aare.result != AssociationResult.ACCEPTED
    assert aare.diagnostic == AcseServiceUser.AUTHENTICATION_FAILURE
    assert provider.outcomes == [False]


def test_replayed_and_plain_requests_refused() -> None:
    client = Client()
    association, _ = associate(client)
    frame = client.cipher(client.get())
    assert association.handle(1, frame)[0] == 0xCC
    assert (
        parse_apdu(association.handle(1, frame)).service_error
        == ServiceError.INVOCATION_COUNTER_ERROR
    )
    assert (
        parse_apdu(association.handle(1, client.get())).service_error
        == ServiceError.OPERATION_NOT_POSSIBLE
    )


def test_policy_refuses_weaker_protection() -> None:
    client = Client()
    association, _ = associate(client)
    frame = client.cipher(client.get(), control=SecurityControl(0, True))
    assert (
        parse_apdu(association.handle(1, frame)).service_error
        == ServiceError.OPERATION_NOT_POSSIBLE
    )


def test_authenticated_only_policy_accepts_authenticated_frames() -> None:
    client = Client()
    association, _ = associate(
        client, Provider(policy_value=SecurityPolicy.ALL_MESSAGES_AUTHENTICATED)
    )
    raw = association.handle(1, client.cipher(client.get(), control=SecurityControl(0, True)))
    found = decipher_apdu(raw, SERVER, EK, AK)
    assert found.control == SecurityControl(0, True) and found.plain[0] == 0xC4


def test_dedicated_key_and_general_glo_ciphering() -> None:
    dedicated = bytes.fromhex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF")
    client = Client(dedicated=dedicated)
    association, _ = associate(client)
    raw = association.handle(1, client.cipher(client.get(), CipherKind.DEDICATED))
    assert raw[0] == 0xD4 and decipher_apdu(raw, SERVER, dedicated, AK).plain[0] == 0xC4
    raw = association.handle(1, client.cipher(client.get(), CipherKind.GENERAL_GLOBAL))
    found = decipher_apdu(raw, b"", EK, AK)
    assert raw[0] == 0xDB and found.system_title == SERVER and found.plain[0] == 0xC4


def test_plain_aarq_refused_under_a_policy_and_lockout() -> None:
    association = SecureAssociation(objects(), lambda *a: False, Provider())
    aare = Aare.from_bytes(association.handle(1, Client().aarq(ciphered=False)))
    assert aare.diagnostic == AcseServiceUser.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED
    locked = SecureAssociation(objects(), lambda *a: False, Provider(locked=True))
    assert (
        Aare.from_bytes(locked.handle(1, Client().aarq())).diagnostic
        == AcseServiceUser.AUTHENTICATION_FAILURE
    )


@pytest.mark.parametrize("ok", [True, False])
def test_lls_outcomes_reach_the_limiter(ok: bool) -> None:
    provider = Provider()
    association = SecureAssociation(objects(), lambda sap, mech, value: ok, provider)
    aarq = Aarq(
        user_information=InitiateRequest(Conformance.GET),
        sender_acse_requirements=True,
        mechanism_name=mechanism_name(AuthenticationMechanism.LOW),
        calling_authentication_value=b"x",
    )
    association.handle(32, aarq.to_bytes())
    assert provider.outcomes == [ok]
