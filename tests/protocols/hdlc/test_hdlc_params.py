"""SNRM/UA parameter negotiation (IEC 62056-46 6.4.4.4.3.2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k351c.errors import RemoteProtocolError
from k351c.protocols.hdlc import HdlcFrame, HdlcParameters, negotiate

# Information fields of the SNRM and UA of a real meter session (see test_hdlc_frame.py).
SNRM_INFO = "81 80 14 05 02 00 80 06 02 00 80 07 04 00 00 00 01 08 04 00 00 00 01"
UA_INFO = "81 80 12 05 01 80 06 01 80 07 04 00 00 00 01 08 04 00 00 00 01"


def h(text: str) -> bytes:
    """Hex literal with spaces to bytes."""
    return bytes.fromhex(text.replace(" ", ""))


def test_captured_fields() -> None:
    assert HdlcParameters.from_bytes(h(SNRM_INFO)) == HdlcParameters(128, 128, 1, 1)
    assert HdlcParameters(128, 128, 1, 1).to_bytes() == h(UA_INFO)
    assert HdlcParameters.from_bytes(h(UA_INFO)) == HdlcParameters()


def test_absent_parameters_default() -> None:
    assert HdlcParameters.from_bytes(b"") == HdlcParameters(128, 128, 1, 1)
    assert HdlcParameters.from_bytes(h("81 80 04 06 02 02 00")) == HdlcParameters(max_info_rx=512)
    assert HdlcParameters.from_bytes(h("81 80 03 07 01 07")) == HdlcParameters(window_tx=7)


def test_values_of_one_two_and_four_octets() -> None:
    field = h("81 80 10 05 01 40 06 02 01 00 07 04 00 00 00 03 08 01 02")
    assert HdlcParameters.from_bytes(field) == HdlcParameters(64, 256, 3, 2)
    assert HdlcParameters(512, 100, 7, 1).to_bytes() == h(
        "81 80 13 05 02 02 00 06 01 64 07 04 00 00 00 07 08 04 00 00 00 01"
    )


@pytest.mark.parametrize(
    "field",
    [
        "80 80 00",
        "81 80 05 05 01",
        "81 80 04 05 03 00 00",
        "81 80 03 05 01 00",
        "81 80 06 07 04 00 00 00 00",
    ],
)
def test_malformed_fields(field: str) -> None:
    with pytest.raises(RemoteProtocolError):
        HdlcParameters.from_bytes(h(field))


def test_negotiation_takes_the_smaller_value_per_direction() -> None:
    client = HdlcParameters(max_info_tx=2000, max_info_rx=256, window_tx=7, window_rx=1)
    ours = HdlcParameters(max_info_tx=1024, max_info_rx=512, window_tx=1, window_rx=3)
    assert negotiate(client, ours) == HdlcParameters(256, 512, 1, 3)
    assert negotiate(HdlcParameters(), HdlcParameters(2030, 2030, 7, 7)) == HdlcParameters()


def test_snrm_frame_with_parameters() -> None:
    frame = HdlcFrame.from_bytes(h("7E A0 20 03 03 93 FE C9" + SNRM_INFO + "CE 6A 7E"))
    assert HdlcParameters.from_bytes(frame.info) == HdlcParameters()


params = st.builds(
    HdlcParameters,
    st.integers(1, 0xFFFF),
    st.integers(1, 0xFFFF),
    st.integers(1, 7),
    st.integers(1, 7),
)


@given(params)
def test_round_trip(value: HdlcParameters) -> None:
    assert HdlcParameters.from_bytes(value.to_bytes()) == value
    assert value.mirrored().mirrored() == value


@given(params, params)
def test_negotiated_never_exceeds_either_side(client: HdlcParameters, ours: HdlcParameters) -> None:
    agreed = negotiate(client, ours)
    assert agreed.max_info_tx <= min(client.max_info_rx, ours.max_info_tx)
    assert agreed.max_info_rx <= min(client.max_info_tx, ours.max_info_rx)
    assert agreed.window_tx <= min(client.window_rx, ours.window_tx)
    assert agreed.window_rx <= min(client.window_tx, ours.window_rx)
