"""gurux's standard reader flow against the meter: every transport x association x a small and a large PDU.

Zero failures and no refusal of an attribute the association view marks readable. The exhaustive
variant (marked slow) adds 128/512/1024-octet PDUs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conformance_harness import PHYSICAL, serve_meter
from gurux_reader import ReaderSession, next_invocation_counter, sweep

pytestmark = pytest.mark.timeout(240)

# Four days over the 1 March debiting stop: 384 load-profile entries, a row in every debiting logger.
START, DAYS, NOW = "2026-02-26T00:00:00Z", 4, datetime(2026, 3, 2, tzinfo=UTC)
# The slow variant: 40 days, 3,840 entries (a whole load profile of about 130 kB, hundreds of blocks).
LONG_START, LONG_DAYS, LONG_NOW = "2026-03-01T00:00:00Z", 40, datetime(2026, 4, 10, tzinfo=UTC)
# Refusals the meter documents for attributes its association view marks readable: none.
DOCUMENTED_REFUSALS: dict[tuple[str, int], int] = {}
VISIBLE = {"public": 70, "lls": 230, "hls": 230}  # at least this many objects in the association view


@pytest.fixture(scope="module")
def served():
    running = serve_meter(DAYS, START)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def served_long():
    running = serve_meter(LONG_DAYS, LONG_START)
    yield running
    running.stop()


def run_sweep(served, transport: str, association: str, pdu: int, selective: bool = True, now=NOW):
    hdlc = transport == "hdlc"
    port = served.port("hdlc_port") if hdlc else served.port("dlms_port")
    counter = next_invocation_counter(port, hdlc, PHYSICAL) if association == "hls" else 0
    session = ReaderSession(port, association, hdlc, pdu, PHYSICAL, counter)
    session.connect()
    try:
        outcome = sweep(session, now, selective)
    finally:
        session.close()
    assert outcome.failed == {}
    assert {k: v for k, v in outcome.refused.items() if DOCUMENTED_REFUSALS.get(k) != v} == {}
    assert outcome.values[("objects", 0)] >= VISIBLE[association]
    if hdlc:
        assert session.largest_info <= session.client.hdlcSettings.maxInfoRX, "an HDLC frame over the max"
    else:
        assert session.largest_apdu <= pdu, "an APDU longer than the client's max receive PDU"
    return outcome


FAST = [(t, a, pdu) for t in ("wrapper", "hdlc") for a in ("public", "lls", "hls") for pdu in (256, 65535)]


@pytest.mark.parametrize(("transport", "association", "pdu"), FAST)
def test_reader_flow(served, transport, association, pdu):
    outcome = run_sweep(served, transport, association, pdu)
    profiles = [k for k in outcome.values if k[1] == -1]
    if association != "public":
        assert ("1.0.99.1.0.255", 2) in outcome.values  # the whole load profile buffer
        assert ("1.0.99.1.0.255", -2) in outcome.values  # and a day of it by range
        assert len(outcome.values[("1.0.99.1.0.255", 2)]) == DAYS * 96
        assert len(outcome.values[("0.0.98.1.0.255", 2)]) >= 1  # the 1 March debiting stop
        assert len(profiles) >= 8


def test_reader_flow_reads_the_same_values_on_both_transports(served):
    wrapper = run_sweep(served, "wrapper", "lls", 1024, selective=False).values
    hdlc = run_sweep(served, "hdlc", "lls", 1024, selective=False).values
    assert set(wrapper) == set(hdlc)
    assert str(wrapper[("1.0.1.8.0.255", 2)]) == str(hdlc[("1.0.1.8.0.255", 2)])


SLOW = [(t, a, pdu) for t in ("wrapper", "hdlc") for a in ("public", "lls", "hls") for pdu in (128, 512, 1024)]


@pytest.mark.slow
@pytest.mark.timeout(900)  # HLS over HDLC at 128 octets reads the 130 kB load profile in about 3 minutes
@pytest.mark.parametrize(("transport", "association", "pdu"), SLOW)
def test_reader_flow_exhaustive(served_long, transport, association, pdu):
    run_sweep(served_long, transport, association, pdu, now=LONG_NOW)
