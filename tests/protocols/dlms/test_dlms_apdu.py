"""xDLMS APDUs: hypothesis round trips for every APDU, Green Book captures, garbage input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlms_strategies import (
    access_results,
    accesses,
    action_results,
    attributes,
    blocks,
    capture_objects,
    cosem_datetimes,
    data,
    entry_descriptors,
    get_data_results,
    invokes,
    long_invokes,
    methods,
    selections,
    u8,
    u32,
)
from k351c.axdr.enums import (
    ActionResult,
    ConfirmedServiceErrorChoice,
    DataAccessResult,
    ServiceError,
    ServiceErrorChoice,
    StateError,
)
from k351c.axdr.selective import CaptureObject, EntryDescriptor, RangeDescriptor, SelectiveAccess
from k351c.axdr.types import Data
from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.obis import Obis
from k351c.protocols.dlms import (
    ActionRequestNextPBlock,
    ActionRequestNormal,
    ActionRequestWithFirstPBlock,
    ActionRequestWithList,
    ActionRequestWithListAndFirstPBlock,
    ActionRequestWithPBlock,
    ActionResponseItem,
    ActionResponseNextPBlock,
    ActionResponseNormal,
    ActionResponseWithList,
    ActionResponseWithPBlock,
    CipheredApdu,
    ConfirmedServiceError,
    CosemAttribute,
    CosemMethod,
    DataNotification,
    EventNotificationRequest,
    ExceptionResponse,
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDataBlock,
    GetResponseWithList,
    InvokeIdAndPriority,
    SetRequestNormal,
    SetRequestWithDataBlock,
    SetRequestWithFirstDataBlock,
    SetRequestWithList,
    SetRequestWithListAndFirstDataBlock,
    SetResponseDataBlock,
    SetResponseLastDataBlock,
    SetResponseLastDataBlockWithList,
    SetResponseNormal,
    SetResponseWithList,
    parse_apdu,
)

small = {"max_size": 4}
action_items = st.builds(ActionResponseItem, action_results, st.none() | get_data_results)
ciphered_tags = st.sampled_from([0x21, 0x28, 0xC8, 0xC9, 0xCB, 0xCC, 0xCD, 0xCF, 0xD0, 0xD4])

APDUS = st.one_of(
    st.builds(GetRequestNormal, invokes, attributes, accesses),
    st.builds(GetRequestNext, invokes, u32),
    st.builds(GetRequestWithList, invokes, st.lists(selections, **small).map(tuple)),
    st.builds(GetResponseNormal, invokes, get_data_results),
    st.builds(
        GetResponseWithDataBlock,
        invokes,
        st.booleans(),
        u32,
        st.binary(max_size=300) | access_results,
    ),
    st.builds(GetResponseWithList, invokes, st.lists(get_data_results, **small).map(tuple)),
    st.builds(SetRequestNormal, invokes, attributes, data, accesses),
    st.builds(SetRequestWithFirstDataBlock, invokes, attributes, blocks, accesses),
    st.builds(SetRequestWithDataBlock, invokes, blocks),
    st.builds(
        SetRequestWithList,
        invokes,
        st.lists(selections, **small).map(tuple),
        st.lists(data, **small).map(tuple),
    ),
    st.builds(
        SetRequestWithListAndFirstDataBlock,
        invokes,
        st.lists(selections, **small).map(tuple),
        blocks,
    ),
    st.builds(SetResponseNormal, invokes, access_results),
    st.builds(SetResponseDataBlock, invokes, u32),
    st.builds(SetResponseLastDataBlock, invokes, access_results, u32),
    st.builds(
        SetResponseLastDataBlockWithList,
        invokes,
        st.lists(access_results, **small).map(tuple),
        u32,
    ),
    st.builds(SetResponseWithList, invokes, st.lists(access_results, **small).map(tuple)),
    st.builds(ActionRequestNormal, invokes, methods, st.none() | data),
    st.builds(ActionRequestNextPBlock, invokes, u32),
    st.builds(
        ActionRequestWithList,
        invokes,
        st.lists(methods, **small).map(tuple),
        st.lists(data, **small).map(tuple),
    ),
    st.builds(ActionRequestWithFirstPBlock, invokes, methods, blocks),
    st.builds(
        ActionRequestWithListAndFirstPBlock, invokes, st.lists(methods, **small).map(tuple), blocks
    ),
    st.builds(ActionRequestWithPBlock, invokes, blocks),
    st.builds(ActionResponseNormal, invokes, action_results, st.none() | get_data_results),
    st.builds(ActionResponseWithPBlock, invokes, blocks),
    st.builds(ActionResponseWithList, invokes, st.lists(action_items, **small).map(tuple)),
    st.builds(ActionResponseNextPBlock, invokes, u32),
    st.builds(
        ExceptionResponse,
        st.sampled_from(StateError),
        st.sampled_from([s for s in ServiceError if s != ServiceError.INVOCATION_COUNTER_ERROR]),
    ),
    st.builds(
        ExceptionResponse,
        st.sampled_from(StateError),
        st.just(ServiceError.INVOCATION_COUNTER_ERROR),
        u32,
    ),
    st.builds(
        ConfirmedServiceError,
        st.sampled_from(ConfirmedServiceErrorChoice),
        st.sampled_from(ServiceErrorChoice),
        u8,
    ),
    st.builds(DataNotification, long_invokes, data, st.none() | cosem_datetimes),
    st.builds(EventNotificationRequest, attributes, data, st.none() | cosem_datetimes),
    st.builds(CipheredApdu, ciphered_tags, st.binary(max_size=300)),
    st.builds(
        CipheredApdu,
        st.sampled_from([0xDB, 0xDC]),
        st.binary(max_size=40),
        st.binary(min_size=8, max_size=8),
    ),
)


@given(APDUS)
def test_every_apdu_round_trips(apdu: object) -> None:
    encoded = apdu.to_bytes()  # type: ignore[attr-defined]
    assert parse_apdu(encoded) == apdu
    assert type(apdu).from_bytes(encoded) == apdu  # type: ignore[attr-defined]
    assert parse_apdu(memoryview(encoded)) == apdu


@given(APDUS, st.binary(min_size=1, max_size=3))
def test_trailing_octets_are_refused(apdu: object, tail: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_apdu(apdu.to_bytes() + tail)  # type: ignore[attr-defined]


@given(APDUS, st.data())
def test_every_truncation_is_a_remote_error(apdu: object, draw: st.DataObject) -> None:
    encoded = apdu.to_bytes()  # type: ignore[attr-defined]
    cut = draw.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(RemoteProtocolError):
        parse_apdu(encoded[:cut])


@given(st.binary(max_size=80))
def test_random_bytes_only_raise_remote_protocol_error(raw: bytes) -> None:
    try:
        apdu = parse_apdu(raw)
    except RemoteProtocolError:
        return
    assert apdu is not None


@given(st.sampled_from([0xC0, 0xC1, 0xC3, 0xC4, 0xC5, 0xC7]), st.binary(max_size=60))
def test_random_service_bodies_only_raise_remote_protocol_error(tag: int, body: bytes) -> None:
    try:
        parse_apdu(bytes((tag,)) + body)
    except RemoteProtocolError:
        pass


CLOCK = CosemAttribute(8, Obis.parse("0-0:1.0.0.255").to_bytes(), 2)
IIP = InvokeIdAndPriority(1, confirmed=True, high_priority=True)

# Green Book / gurux captures: (hex, decoded APDU)
CAPTURES = [
    ("c001c100080000010000ff0200", GetRequestNormal(IIP, CLOCK)),
    (
        "c001c100030100010800ff0200",
        GetRequestNormal(IIP, CosemAttribute(3, bytes.fromhex("0100010800ff"), 2)),
    ),
    ("c002c100000001", GetRequestNext(IIP, 1)),
    (
        "c401c1000600001234",
        GetResponseNormal(IIP, Data.double_long_unsigned(0x1234)),
    ),
    ("c401c10103", GetResponseNormal(IIP, DataAccessResult.READ_WRITE_DENIED)),
    (
        "c402c1000000000100 03 010203".replace(" ", ""),
        GetResponseWithDataBlock(IIP, False, 1, b"\x01\x02\x03"),
    ),
    (
        "c101c100080000010000ff0200" + "090c07ea010104000000ff000000",
        SetRequestNormal(IIP, CLOCK, Data.octet_string(bytes.fromhex("07ea010104000000ff000000"))),
    ),
    ("c501c100", SetResponseNormal(IIP, DataAccessResult.SUCCESS)),
    (
        "c301c1000f0000280000ff01" + "01" + "0910" + "00" * 16,
        ActionRequestNormal(
            IIP,
            CosemMethod(15, bytes.fromhex("0000280000ff"), 1),
            Data.octet_string(bytes(16)),
        ),
    ),
    (
        "c701c10001000910" + "11" * 16,
        ActionResponseNormal(
            IIP,
            ActionResult.SUCCESS,
            Data.octet_string(b"\x11" * 16),
        ),
    ),
    (
        "d80102",
        ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED),
    ),
    (
        "0e0106 02".replace(" ", ""),
        ConfirmedServiceError(
            ConfirmedServiceErrorChoice.INITIATE_ERROR, ServiceErrorChoice.INITIATE, 2
        ),
    ),
]


@pytest.mark.parametrize(("hexed", "apdu"), CAPTURES)
def test_captures(hexed: str, apdu: object) -> None:
    raw = bytes.fromhex(hexed)
    assert parse_apdu(raw) == apdu
    assert apdu.to_bytes() == raw  # type: ignore[attr-defined]


def test_data_notification_capture_with_date_time() -> None:
    # Green Book example: long-invoke-id 1, date-time 2002-12-04, body a structure of 2.
    raw = bytes.fromhex("0f00000001" + "0c07d20c04030a060bff007800" + "0202090101" + "1200ff")
    apdu = parse_apdu(raw)
    assert isinstance(apdu, DataNotification)
    assert apdu.invoke.invoke_id == 1
    assert apdu.date_time is not None and apdu.date_time.year == 2002
    assert apdu.body == Data.structure(Data.octet_string(b"\x01"), Data.long_unsigned(0xFF))
    assert apdu.to_bytes() == raw


def test_data_notification_accepts_the_present_flag_form() -> None:
    raw = bytes.fromhex("0f00000001" + "01" + "07d20c04030a060bff007800" + "00")
    apdu = parse_apdu(raw)
    assert apdu.date_time.year == 2002  # type: ignore[attr-defined]


def test_selective_access_descriptors() -> None:
    clock = CaptureObject(8, Obis.parse("0-0:1.0.0.255").to_bytes(), 2, 0)
    rng = RangeDescriptor(
        clock,
        Data.octet_string(bytes(12)),
        Data.octet_string(b"\xff" * 12),
        (clock,),
    )
    access = SelectiveAccess.from_descriptor(rng)
    assert access.selector == 1
    assert access.range_descriptor() == rng
    entries = EntryDescriptor(1, 10, 1, 0)
    access = SelectiveAccess.from_descriptor(entries)
    assert access.selector == 2 and access.entry_descriptor() == entries
    with pytest.raises(RemoteProtocolError):
        access.range_descriptor()
    with pytest.raises(RemoteProtocolError):
        SelectiveAccess(2, Data.structure(Data.unsigned(1))).entry_descriptor()
    with pytest.raises(RemoteProtocolError):
        SelectiveAccess(1, Data.structure(*(Data.null(),) * 4)).range_descriptor()


def test_profile_generic_by_range_capture() -> None:
    # GET of a load profile buffer with selector 1, as gurux readRowsByRange() sends it.
    raw = bytes.fromhex(
        "c001c100070100630100ff0201010204020412000809060000010000ff0f02120000"
        "090c07ea0101ff00000000000000090c07ea0102ff000000000000000100"
    )
    apdu = parse_apdu(raw)
    assert isinstance(apdu, GetRequestNormal)
    assert apdu.attribute.obis == Obis.parse("1-0:99.1.0.255")
    rng = apdu.access.range_descriptor()  # type: ignore[union-attr]
    assert rng.restricting_object.class_id == 8
    assert rng.selected_values == ()
    assert apdu.to_bytes() == raw
    by_entry = parse_apdu(
        bytes.fromhex("c001c100070100630100ff02010202040600000001060000000a120001120000")
    )
    assert by_entry.access.entry_descriptor() == EntryDescriptor(1, 10, 1, 0)  # type: ignore[attr-defined]


@given(capture_objects, entry_descriptors)
def test_descriptor_data_round_trips(capture: CaptureObject, entries: EntryDescriptor) -> None:
    assert CaptureObject.from_data(capture.to_data()) == capture
    assert SelectiveAccess.from_descriptor(entries).entry_descriptor() == entries


def test_unencodable_apdus_are_local_errors() -> None:
    with pytest.raises(LocalProtocolError):
        GetRequestNormal(InvokeIdAndPriority(16), CLOCK).to_bytes()
    with pytest.raises(LocalProtocolError):
        GetRequestNormal(IIP, CosemAttribute(8, b"\x00", 2)).to_bytes()
    with pytest.raises(LocalProtocolError):
        GetRequestNext(IIP, 2**32).to_bytes()
    with pytest.raises(LocalProtocolError):
        CipheredApdu(0xC0, b"").to_bytes()


@pytest.mark.parametrize(
    "hexed",
    [
        "c0",
        "c009",
        "c001c1",
        "c001c100080000010000ff02",
        "c401c10209",
        "c401c101ff",  # unknown Data-Access-Result
        "c4030181",
        "d801",
        "d80107",
        "0e0106",
        "e0",
        "ff",
        "c8820100",
        "db08",
    ],
)
def test_malformed_captures_are_remote_errors(hexed: str) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_apdu(bytes.fromhex(hexed))
