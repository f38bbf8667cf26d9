"""Hypothesis strategies for DLMS values and APDUs, shared by the test_dlms_* modules."""

from __future__ import annotations

from hypothesis import strategies as st

from k351c.axdr.cosem_datetime import CosemDate, CosemDateTime, CosemTime
from k351c.axdr.enums import ActionResult, DataAccessResult
from k351c.axdr.selective import CaptureObject, EntryDescriptor, SelectiveAccess
from k351c.axdr.types import Data, DataType
from k351c.protocols.dlms import (
    AttributeSelection,
    CosemAttribute,
    CosemMethod,
    DataBlockSA,
    InvokeIdAndPriority,
    LongInvokeIdAndPriority,
)

T = DataType
u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
i8 = st.integers(-128, 127)
obis = st.binary(min_size=6, max_size=6)

cosem_dates = st.builds(CosemDate, u16, u8, u8, u8)
cosem_times = st.builds(CosemTime, u8, u8, u8, u8)
cosem_datetimes = st.builds(
    CosemDateTime, u16, u8, u8, u8, u8, u8, u8, u8, st.integers(-0x8000, 0x7FFF), u8
)


def _typed(kind: DataType, values: st.SearchStrategy) -> st.SearchStrategy[Data]:
    return values.map(lambda v: Data(kind, v))


LEAVES = {
    T.NULL_DATA: st.just(None),
    T.BOOLEAN: st.booleans(),
    T.BIT_STRING: st.text(alphabet="01", max_size=40),
    T.DOUBLE_LONG: st.integers(-(2**31), 2**31 - 1),
    T.DOUBLE_LONG_UNSIGNED: u32,
    T.OCTET_STRING: st.binary(max_size=300),
    T.VISIBLE_STRING: st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=40),
    T.UTF8_STRING: st.text(max_size=40),
    T.BCD: u8,
    T.INTEGER: i8,
    T.LONG: st.integers(-(2**15), 2**15 - 1),
    T.UNSIGNED: u8,
    T.LONG_UNSIGNED: u16,
    T.LONG64: st.integers(-(2**63), 2**63 - 1),
    T.LONG64_UNSIGNED: st.integers(0, 2**64 - 1),
    T.ENUM: u8,
    T.FLOAT32: st.floats(width=32, allow_nan=False),
    T.FLOAT64: st.floats(allow_nan=False),
    T.DATE_TIME: cosem_datetimes,
    T.DATE: cosem_dates,
    T.TIME: cosem_times,
    T.DONT_CARE: st.just(None),
}

leaf_data = st.one_of([_typed(kind, values) for kind, values in LEAVES.items()])
data = st.recursive(
    leaf_data,
    lambda children: st.one_of(
        st.lists(children, max_size=5).map(lambda xs: Data(T.ARRAY, tuple(xs))),
        st.lists(children, max_size=5).map(lambda xs: Data(T.STRUCTURE, tuple(xs))),
    ),
    max_leaves=20,
)

invokes = st.builds(InvokeIdAndPriority, st.integers(0, 15), st.booleans(), st.booleans())
long_invokes = st.builds(
    LongInvokeIdAndPriority,
    st.integers(0, 0xFFFFFF),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
attributes = st.builds(CosemAttribute, u16, obis, i8)
methods = st.builds(CosemMethod, u16, obis, i8)
capture_objects = st.builds(CaptureObject, u16, obis, i8, u16)
entry_descriptors = st.builds(EntryDescriptor, u32, u32, u16, u16)
accesses = st.one_of(
    st.none(),
    st.builds(SelectiveAccess, u8, data),
    entry_descriptors.map(SelectiveAccess.from_descriptor),
)
selections = st.builds(AttributeSelection, attributes, accesses)
blocks = st.builds(DataBlockSA, st.booleans(), u32, st.binary(max_size=200))
access_results = st.sampled_from(DataAccessResult)
action_results = st.sampled_from(ActionResult)
get_data_results = st.one_of(data, access_results)
