"""ACSE (AARQ/AARE/RLRQ/RLRE) and xDLMS Initiate PDUs: Green Book captures, round trips, garbage."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k351c.axdr.enums import (
    AcseServiceProvider,
    AcseServiceUser,
    ApplicationContextName,
    AssociationResult,
    AuthenticationMechanism,
    ConfirmedServiceErrorChoice,
    Conformance,
    ReleaseRequestReason,
    ReleaseResponseReason,
    ResultSourceDiagnostic,
    ServiceErrorChoice,
)
from k351c.errors import RemoteProtocolError
from k351c.protocols.dlms import (
    LN_CONTEXT,
    Aare,
    Aarq,
    CipheredApdu,
    ConfirmedServiceError,
    InitiateRequest,
    InitiateResponse,
    Rlre,
    Rlrq,
    context_name,
    mechanism_name,
    parse_apdu,
)

GB_AARQ = bytes.fromhex("601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0")
GB_AARE = bytes.fromhex(
    "6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F040000501F01F40007"
)
# AARQ with low level security, password "12345678" (Green Book layout).
LLS_AARQ = bytes.fromhex(
    "6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
    "BE10040E01000000065F1F040000181DFFFF"
)


def test_green_book_aarq() -> None:
    aarq = Aarq.from_bytes(GB_AARQ)
    assert aarq.context is ApplicationContextName.LOGICAL_NAME
    assert aarq.mechanism is AuthenticationMechanism.LOWEST
    assert aarq.user_information == InitiateRequest(
        Conformance(0x007E1F), client_max_receive_pdu_size=1200
    )
    assert Conformance.GET in aarq.user_information.proposed_conformance  # type: ignore[union-attr]
    assert Conformance.MULTIPLE_REFERENCES in aarq.user_information.proposed_conformance  # type: ignore[union-attr]
    assert aarq.to_bytes() == GB_AARQ


def test_green_book_aare() -> None:
    aare = Aare.from_bytes(GB_AARE)
    assert aare.result is AssociationResult.ACCEPTED
    assert aare.diagnostic is AcseServiceUser.NULL
    assert aare.user_information == InitiateResponse(Conformance(0x00501F), 500)
    assert aare.to_bytes() == GB_AARE


def test_lls_aarq() -> None:
    aarq = parse_apdu(LLS_AARQ)
    assert isinstance(aarq, Aarq)
    assert aarq.sender_acse_requirements
    assert aarq.mechanism is AuthenticationMechanism.LOW
    assert aarq.calling_authentication_value == b"12345678"
    assert aarq.to_bytes() == LLS_AARQ


# HLS-GMAC AARQ with a glo-initiateRequest, as gurux-dlms 1.0.203 sent it (system title MMM 12345678).
GMAC_AARQ = bytes.fromhex(
    "605da109060760857405080103a60a04084d4d4d0000bc614e8a0207808b0760857405080205ac128010"
    "fc9485a83ce48c5a79b21d0cbccab754be230421211f3000000001d061000a04ec615571c4ca5676a23c"
    "b02e0f3b43a1ee9c3b5c56"
)


def test_hls_gmac_aarq_keeps_the_ciphered_initiate_request_opaque() -> None:
    aarq = Aarq.from_bytes(GMAC_AARQ)
    assert aarq.context is ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING
    assert aarq.mechanism is AuthenticationMechanism.HIGH_GMAC
    assert aarq.calling_authentication_value == bytes.fromhex("fc9485a83ce48c5a79b21d0cbccab754")
    assert aarq.user_information == CipheredApdu(0x21, GMAC_AARQ[-31:])
    assert aarq.to_bytes() == GMAC_AARQ


def test_rejected_aare_with_initiate_error() -> None:
    aare = Aare(
        AssociationResult.REJECTED_PERMANENT,
        AcseServiceUser.NO_REASON_GIVEN,
        user_information=ConfirmedServiceError(
            ConfirmedServiceErrorChoice.INITIATE_ERROR, ServiceErrorChoice.INITIATE, 1
        ),
    )
    raw = aare.to_bytes()
    assert raw.hex().endswith("be0604040e010601")
    assert "a305a103020101" in raw.hex()
    assert parse_apdu(raw) == aare


def test_provider_diagnostic() -> None:
    aare = Aare(AssociationResult.REJECTED_TRANSIENT, AcseServiceProvider.NO_COMMON_ACSE_VERSION)
    assert aare.diagnostic_source is ResultSourceDiagnostic.ACSE_SERVICE_PROVIDER
    assert "a305a203020102" in aare.to_bytes().hex()
    assert Aare.from_bytes(aare.to_bytes()) == aare


def test_release_captures() -> None:
    assert Rlrq.from_bytes(bytes.fromhex("6203800100")) == Rlrq(ReleaseRequestReason.NORMAL)
    assert Rlre.from_bytes(bytes.fromhex("6300")) == Rlre(None)
    assert Rlre().to_bytes().hex() == "6303800100"
    rlrq = Rlrq(ReleaseRequestReason.NORMAL, InitiateRequest(Conformance(0x1D), 0x400))
    assert parse_apdu(rlrq.to_bytes()) == rlrq


def test_unknown_optional_fields_are_skipped() -> None:
    # protocol-version [0], called-AE-qualifier [3], implementation-information [29].
    extra = bytes.fromhex("80020780") + bytes.fromhex("A303020101")
    body = extra + GB_AARQ[2:]
    aarq = Aarq.from_bytes(bytes((0x60, len(body))) + body)
    assert aarq == Aarq.from_bytes(GB_AARQ)


def test_ciphered_user_information_is_kept_opaque() -> None:
    payload = bytes.fromhex("3000000001") + bytes(20)
    aarq = Aarq(
        context_name(ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING),
        CipheredApdu(0x21, payload),
        calling_ap_title=b"MMM\x00\x00\x00\x00\x01",
        sender_acse_requirements=True,
        mechanism_name=mechanism_name(AuthenticationMechanism.HIGH_GMAC),
        calling_authentication_value=b"K56iVagY",
    )
    raw = aarq.to_bytes()
    assert "a60a04084d4d4d0000000001" in raw.hex()
    assert Aarq.from_bytes(raw) == aarq
    assert Aarq.from_bytes(raw).mechanism is AuthenticationMechanism.HIGH_GMAC


opt_bytes = st.none() | st.binary(max_size=40)
user_info = st.none() | st.one_of(
    st.builds(
        InitiateRequest,
        st.integers(0, 0xFFFFFF).map(Conformance),
        st.integers(0, 0xFFFF),
        st.integers(0, 255),
        st.none() | st.binary(max_size=32),
        st.booleans(),
        st.none() | st.integers(0, 255),
    ),
    st.builds(
        InitiateResponse,
        st.integers(0, 0xFFFFFF).map(Conformance),
        st.integers(0, 0xFFFF),
        st.integers(0, 255),
        st.integers(0, 0xFFFF),
        st.none() | st.integers(0, 255),
    ),
    st.builds(CipheredApdu, st.sampled_from([0x21, 0x28]), st.binary(max_size=200)),
)
aarqs = st.builds(
    Aarq,
    st.sampled_from(ApplicationContextName).map(context_name),
    user_info,
    opt_bytes,
    opt_bytes,
    opt_bytes,
    st.booleans(),
    st.none() | st.sampled_from(AuthenticationMechanism).map(mechanism_name),
    opt_bytes,
    opt_bytes,
)
aares = st.builds(
    Aare,
    st.sampled_from(AssociationResult),
    st.sampled_from(AcseServiceUser) | st.sampled_from(AcseServiceProvider),
    st.just(LN_CONTEXT),
    user_info,
    opt_bytes,
    st.booleans(),
    st.none() | st.sampled_from(AuthenticationMechanism).map(mechanism_name),
    opt_bytes,
    opt_bytes,
)
releases = st.one_of(
    st.builds(Rlrq, st.none() | st.sampled_from(ReleaseRequestReason), user_info),
    st.builds(Rlre, st.none() | st.sampled_from(ReleaseResponseReason), user_info),
)


@given(st.one_of(aarqs, aares, releases))
def test_acse_round_trips(apdu: object) -> None:
    raw = apdu.to_bytes()  # type: ignore[attr-defined]
    assert parse_apdu(raw) == apdu
    assert type(apdu).from_bytes(raw) == apdu  # type: ignore[attr-defined]


@given(st.one_of(aarqs, aares, releases), st.data())
def test_acse_truncations_are_remote_errors(apdu: object, draw: st.DataObject) -> None:
    raw = apdu.to_bytes()  # type: ignore[attr-defined]
    cut = draw.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(RemoteProtocolError):
        parse_apdu(raw[:cut])


@given(st.sampled_from([0x60, 0x61, 0x62, 0x63]), st.binary(max_size=80))
def test_random_acse_bodies_only_raise_remote_protocol_error(tag: int, body: bytes) -> None:
    try:
        parse_apdu(bytes((tag, len(body) & 0x7F)) + body)
    except RemoteProtocolError:
        pass


@given(st.binary(max_size=40))
def test_random_user_information_only_raises_remote_protocol_error(inner: bytes) -> None:
    body = GB_AARQ[2:13] + bytes((0xBE, len(inner) + 2, 0x04, len(inner))) + inner
    try:
        Aarq.from_bytes(bytes((0x60, len(body))) + body)
    except RemoteProtocolError:
        pass


@pytest.mark.parametrize(
    "hexed",
    [
        "60",
        "6000",  # no application context
        "601e" + GB_AARQ.hex()[4:],  # declared longer than present
        "601c" + GB_AARQ.hex()[4:],  # element overruns its parent
        "6104a1020600",  # AARE without result
        "6203800105",  # unknown release reason
        "6180",  # indefinite length
        GB_AARQ.hex()[:-4] + "04",  # cut short inside the InitiateRequest
    ],
)
def test_malformed_acse_is_a_remote_error(hexed: str) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_apdu(bytes.fromhex(hexed))
