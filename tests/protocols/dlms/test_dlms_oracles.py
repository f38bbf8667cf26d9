"""Our codecs against two independent implementations: gurux-dlms and dlms-cosem 21.3.2.

Each side encodes, the other decodes; the frames are real client output, not hand-written.
"""

from __future__ import annotations

from datetime import datetime

from dlms_cosem import cosem as dc_cosem
from dlms_cosem import enumerations as dc_enums
from dlms_cosem.protocol import acse as dc_acse
from dlms_cosem.protocol import xdlms as dc_xdlms
from dlms_cosem.protocol.xdlms.conformance import Conformance as DcConformance
from gurux_dlms import GXByteBuffer, GXDLMSClient, GXDLMSSettings, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType, Security
from gurux_dlms.internal._GXCommon import _GXCommon
from gurux_dlms.internal._GXDataInfo import _GXDataInfo
from gurux_dlms.objects import (
    GXDLMSCaptureObject,
    GXDLMSClock,
    GXDLMSData,
    GXDLMSProfileGeneric,
    GXDLMSRegister,
)
from gurux_dlms.secure import GXDLMSSecureClient
from hypothesis import given, settings
from hypothesis import strategies as st

from dlms_strategies import LEAVES, T
from k351c.axdr.codec import decode_data, encode_data
from k351c.axdr.enums import (
    ApplicationContextName,
    AuthenticationMechanism,
    Conformance,
    DataAccessResult,
)
from k351c.axdr.types import Data, DataType
from k351c.obis import Obis
from k351c.protocols.dlms import (
    Aare,
    Aarq,
    ActionRequestNormal,
    CipheredApdu,
    GetRequestNormal,
    GetResponseNormal,
    InitiateRequest,
    InitiateResponse,
    InvokeIdAndPriority,
    Rlrq,
    SetRequestNormal,
    parse_apdu,
)

WRAPPER_HEADER = 8
SERVER_CONFORMANCE = Conformance(0x00501F)


def _client(
    auth: Authentication = Authentication.NONE, password: str | None = None
) -> GXDLMSClient:
    sap = 16 if auth == Authentication.NONE else 32
    return GXDLMSClient(True, sap, 1, auth, password, InterfaceType.WRAPPER)


def _apdus(frames: list) -> list[bytes]:
    return [bytes(frame)[WRAPPER_HEADER:] for frame in frames]


def _wrap(apdu: bytes) -> bytes:
    return bytes.fromhex("000100010010") + len(apdu).to_bytes(2, "big") + apdu


def _reverse24(value: int) -> int:
    return int(format(value, "024b")[::-1], 2)


# ---- gurux-dlms --------------------------------------------------------------------------


def test_gurux_aarq_without_authentication() -> None:
    (raw,) = _apdus(_client().aarqRequest())
    aarq = parse_apdu(raw)
    assert isinstance(aarq, Aarq)
    assert aarq.mechanism is AuthenticationMechanism.LOWEST
    assert isinstance(aarq.user_information, InitiateRequest)
    assert aarq.user_information.proposed_dlms_version_number == 6
    assert Conformance.GET in aarq.user_information.proposed_conformance
    assert aarq.to_bytes() == raw


def test_gurux_aarq_with_lls() -> None:
    (raw,) = _apdus(_client(Authentication.LOW, "12345678").aarqRequest())
    assert raw.hex() == (
        "6036a1090607608574050801018a0207808b0760857405080201ac0a80083132333435363738"
        "be10040e01000000065f1f0400401e5dffff"
    )
    aarq = Aarq.from_bytes(raw)
    assert aarq.sender_acse_requirements and aarq.mechanism is AuthenticationMechanism.LOW
    assert aarq.calling_authentication_value == b"12345678"
    assert aarq.to_bytes() == raw


def test_gurux_ciphered_hls_gmac_aarq() -> None:
    client = GXDLMSSecureClient(True, 1, 1, Authentication.HIGH_GMAC, None, InterfaceType.WRAPPER)
    client.ciphering.security = Security.AUTHENTICATION_ENCRYPTION
    client.ciphering.systemTitle = bytes.fromhex("4D4D4D0000BC614E")
    client.ciphering.blockCipherKey = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
    client.ciphering.authenticationKey = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
    (raw,) = _apdus(client.aarqRequest())
    aarq = Aarq.from_bytes(raw)
    assert aarq.context is ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING
    assert aarq.mechanism is AuthenticationMechanism.HIGH_GMAC
    assert aarq.calling_ap_title == bytes.fromhex("4D4D4D0000BC614E")
    assert isinstance(aarq.user_information, CipheredApdu)
    assert aarq.user_information.tag == 0x21
    assert aarq.user_information.payload[0] == 0x30  # security control: auth + encryption
    assert aarq.to_bytes() == raw


def test_gurux_accepts_our_aare() -> None:
    client = _client()
    client.aarqRequest()
    aare = Aare(user_information=InitiateResponse(SERVER_CONFORMANCE, 500))
    client.parseAareResponse(GXByteBuffer(aare.to_bytes()))
    assert client.maxReceivePDUSize == 500
    assert int(client.negotiatedConformance) == _reverse24(int(SERVER_CONFORMANCE))


def test_gurux_get_requests_parse() -> None:
    client = _client()
    (register,) = _apdus(client.read(GXDLMSRegister("1.0.1.8.0.255"), 2))
    request = parse_apdu(register)
    assert isinstance(request, GetRequestNormal)
    assert request.attribute.class_id == 3
    assert request.attribute.obis == Obis.parse("1-0:1.8.0.255")
    assert request.attribute.attribute_id == 2
    assert request.to_bytes() == register
    (clock,) = _apdus(client.read(GXDLMSClock(), 2))
    assert parse_apdu(clock).attribute.class_id == 8  # type: ignore[attr-defined]


def test_gurux_profile_reads_parse() -> None:
    client = _client()
    profile = GXDLMSProfileGeneric("1.0.99.1.0.255")
    profile.captureObjects.append((GXDLMSClock(), GXDLMSCaptureObject(2, 0)))
    (by_range,) = _apdus(
        client.readRowsByRange(profile, datetime(2026, 1, 1), datetime(2026, 1, 2))
    )
    request = parse_apdu(by_range)
    rng = request.access.range_descriptor()  # type: ignore[attr-defined]
    assert rng.restricting_object.logical_name == Obis.parse("0-0:1.0.0.255").to_bytes()
    assert rng.from_value.value[:4] == bytes.fromhex("07ea0101")  # type: ignore[index]
    (by_entry,) = _apdus(client.readRowsByEntry(profile, 5, 7))
    entries = parse_apdu(by_entry).access.entry_descriptor()  # type: ignore[attr-defined]
    assert (entries.from_entry, entries.to_entry) == (5, 11)  # gurux: index, count


def test_gurux_set_and_action_requests_parse() -> None:
    client = _client()
    data = GXDLMSData("0.0.96.1.0.255")
    data.value = "12345678"
    (write,) = _apdus(client.write(data, 2))
    request = parse_apdu(write)
    assert isinstance(request, SetRequestNormal)
    assert request.value == Data.visible_string("12345678")
    assert request.to_bytes() == write
    from gurux_dlms.enums import DataType as GxType

    (method,) = _apdus(client.method(GXDLMSData("0.0.10.0.0.255"), 1, 0, GxType.INT8))
    action = parse_apdu(method)
    assert isinstance(action, ActionRequestNormal)
    assert action.method.method_id == 1 and action.parameters == Data.integer(0)


def test_gurux_release_request_parses() -> None:
    client = _client()
    client.aarqRequest()
    client.parseAareResponse(
        GXByteBuffer(Aare(user_information=InitiateResponse(SERVER_CONFORMANCE, 500)).to_bytes())
    )
    (raw,) = _apdus(client.releaseRequest())
    assert isinstance(parse_apdu(raw), Rlrq)


def _gurux_decode(raw: bytes) -> object:
    info = _GXDataInfo()
    value = _GXCommon.getData(GXDLMSSettings(False, None), GXByteBuffer(raw), info)
    assert info.complete
    return value


def _as_gurux(value: Data) -> object:
    if value.type in (T.ARRAY, T.STRUCTURE):
        return [_as_gurux(item) for item in value.value]  # type: ignore[union-attr]
    return value.value


simple = st.one_of(
    [
        LEAVES[kind].map(lambda v, kind=kind: Data(kind, v))
        for kind in (
            T.BOOLEAN,
            T.DOUBLE_LONG,
            T.DOUBLE_LONG_UNSIGNED,
            T.OCTET_STRING,
            T.INTEGER,
            T.LONG,
            T.UNSIGNED,
            T.LONG_UNSIGNED,
            T.LONG64,
            T.LONG64_UNSIGNED,
            T.ENUM,
            T.FLOAT64,
        )
    ]
    + [
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", max_size=20).map(
            Data.visible_string
        )
    ]
)
nested = st.recursive(
    simple,
    lambda kids: st.lists(kids, max_size=4).map(lambda xs: Data(T.STRUCTURE, tuple(xs))),
    max_leaves=10,
)


@settings(deadline=None, max_examples=60)
@given(nested)
def test_gurux_decodes_our_data(value: Data) -> None:
    assert _normalise(_gurux_decode(encode_data(value))) == _normalise(_as_gurux(value))


def _normalise(value: object) -> object:
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, bytearray):
        return bytes(value)
    return value


@settings(deadline=None, max_examples=40)
@given(nested)
def test_gurux_get_response_parsing_of_our_frames(value: Data) -> None:
    client = _client()
    reply = GXReplyData()
    apdu = GetResponseNormal(InvokeIdAndPriority(1, True, True), value).to_bytes()
    client.getData(GXByteBuffer(_wrap(apdu)), reply)
    assert reply.error == 0
    expected = _as_gurux(value)
    assert _normalise(reply.value) == _normalise(expected if expected != [] else None)


def test_gurux_sees_our_access_error() -> None:
    client = _client()
    reply = GXReplyData()
    apdu = GetResponseNormal(InvokeIdAndPriority(), DataAccessResult.READ_WRITE_DENIED).to_bytes()
    client.getData(GXByteBuffer(_wrap(apdu)), reply)
    assert reply.error == DataAccessResult.READ_WRITE_DENIED


def test_gurux_encoded_values_decode() -> None:
    from gurux_dlms.enums import DataType as GxType

    gx_settings = GXDLMSSettings(False, None)
    cases = [
        (GxType.UINT32, 123456, Data.double_long_unsigned(123456)),
        (GxType.INT16, -5, Data.long(-5)),
        (GxType.OCTET_STRING, b"\x01\x02", Data.octet_string(b"\x01\x02")),
        (GxType.STRING, "KAM", Data.visible_string("KAM")),
        (GxType.ENUM, 30, Data.enum(30)),
        (GxType.BOOLEAN, True, Data.boolean(True)),
        (GxType.FLOAT32, 1.5, Data(DataType.FLOAT32, 1.5)),
    ]
    for gx_type, value, expected in cases:
        buffer = GXByteBuffer()
        _GXCommon.setData(gx_settings, buffer, gx_type, value)
        raw = bytes(buffer.array())
        assert decode_data(raw) == (expected, len(raw))


# ---- dlms-cosem 21.3.2 --------------------------------------------------------------------


def _dc_conformance() -> DcConformance:
    return DcConformance(
        get=True,
        set=True,
        action=True,
        selective_access=True,
        block_transfer_with_get_or_read=True,
        multiple_references=True,
    )


def test_dlms_cosem_aarq_decodes_with_ours_and_back() -> None:
    theirs = dc_acse.ApplicationAssociationRequest(
        user_information=dc_acse.UserInformation(
            content=dc_xdlms.InitiateRequest(
                proposed_conformance=_dc_conformance(), client_max_receive_pdu_size=1200
            )
        ),
        authentication=dc_enums.AuthenticationMechanism.LLS,
        authentication_value=b"12345678",
    )
    raw = theirs.to_bytes()
    ours = Aarq.from_bytes(raw)
    assert ours.mechanism is AuthenticationMechanism.LOW
    assert ours.calling_authentication_value == b"12345678"
    info = ours.user_information
    assert isinstance(info, InitiateRequest)
    assert info.client_max_receive_pdu_size == 1200
    assert info.proposed_conformance == (
        Conformance.GET
        | Conformance.SET
        | Conformance.ACTION
        | Conformance.SELECTIVE_ACCESS
        | Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ
        | Conformance.MULTIPLE_REFERENCES
    )
    back = dc_acse.ApplicationAssociationRequest.from_bytes(ours.to_bytes())
    assert back.authentication_value == b"12345678"
    assert back.user_information.content.proposed_conformance == _dc_conformance()


def test_dlms_cosem_decodes_our_aare() -> None:
    ours = Aare(user_information=InitiateResponse(SERVER_CONFORMANCE, 500))
    theirs = dc_acse.ApplicationAssociationResponse.from_bytes(ours.to_bytes())
    assert theirs.result == dc_enums.AssociationResult.ACCEPTED
    assert theirs.user_information.content.server_max_receive_pdu_size == 500
    assert Aare.from_bytes(theirs.to_bytes()) == ours


def test_dlms_cosem_release_round_trip() -> None:
    raw = dc_acse.ReleaseRequest().to_bytes()
    assert isinstance(parse_apdu(raw), Rlrq)
    assert dc_acse.ReleaseRequest.from_bytes(Rlrq().to_bytes()) is not None


@given(st.integers(0, 0xFFFF), st.binary(min_size=6, max_size=6), st.integers(1, 127))
def test_dlms_cosem_get_request_round_trip(class_id: int, ln: bytes, attribute: int) -> None:
    try:
        interface = dc_enums.CosemInterface(class_id)
    except ValueError:
        interface = dc_enums.CosemInterface.DATA
    theirs = dc_xdlms.GetRequestNormal(
        dc_cosem.CosemAttribute(interface, dc_cosem.Obis(*ln), attribute)
    )
    ours = parse_apdu(theirs.to_bytes())
    assert isinstance(ours, GetRequestNormal)
    assert ours.attribute.instance_id == ln
    assert ours.attribute.class_id == interface
    again = dc_xdlms.GetRequestNormal.from_bytes(ours.to_bytes())
    assert again.cosem_attribute == theirs.cosem_attribute


def test_dlms_cosem_get_response_and_exception() -> None:
    ours = GetResponseNormal(InvokeIdAndPriority(1, True, True), Data.long_unsigned(7))
    theirs = dc_xdlms.GetResponseFactory.from_bytes(ours.to_bytes())
    assert bytes(theirs.data) == bytes.fromhex("120007")  # their to_bytes() is broken in 21.3.2
    error = GetResponseNormal(InvokeIdAndPriority(1, True, True), DataAccessResult.OBJECT_UNDEFINED)
    theirs = dc_xdlms.GetResponseFactory.from_bytes(error.to_bytes())
    assert theirs.error.value == DataAccessResult.OBJECT_UNDEFINED
    exception = parse_apdu(bytes.fromhex("d80102"))
    assert dc_xdlms.ExceptionResponse.from_bytes(exception.to_bytes()) is not None  # type: ignore[attr-defined]


def test_dlms_cosem_initiate_pdus() -> None:
    request = dc_xdlms.InitiateRequest(
        proposed_conformance=_dc_conformance(), client_max_receive_pdu_size=512
    )
    ours = InitiateRequest.from_bytes(request.to_bytes())
    assert ours.client_max_receive_pdu_size == 512
    response = InitiateResponse(SERVER_CONFORMANCE, 1024)
    theirs = dc_xdlms.InitiateResponse.from_bytes(response.to_bytes())
    assert theirs.server_max_receive_pdu_size == 1024
