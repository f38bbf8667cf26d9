"""Clock and profile methods invoked by gurux-dlms (GXDLMSClock / GXDLMSProfileGeneric helpers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conformance_harness import PHYSICAL, serve_meter
from gurux_dlms.objects import GXDLMSClock, GXDLMSProfileGeneric
from gurux_reader import ReaderSession, next_invocation_counter

READ_WRITE_DENIED = 3


@pytest.fixture
def served():
    running = serve_meter()
    yield running
    running.stop()


def session(served, association: str, hdlc: bool = False) -> ReaderSession:
    port = served.port("hdlc_port" if hdlc else "dlms_port")
    counter = next_invocation_counter(port, hdlc, PHYSICAL) if association == "hls" else 0
    opened = ReaderSession(port, association, hdlc, 1024, PHYSICAL, counter)
    opened.connect()
    return opened


def meter_utc(served) -> datetime:
    return datetime.fromtimestamp(served.call(lambda: served.meter.t), UTC)


@pytest.mark.parametrize("hdlc", [False, True])
def test_reading_client_shifts_and_adjusts_the_clock(served, hdlc):
    served.call(served.meter.set_clock, "2026-03-04T10:07:40Z")
    client = session(served, "lls", hdlc)
    try:
        clock = GXDLMSClock("0.0.1.0.0.255")
        assert client.request(clock.shiftTime(client.client, -20)).error == 0
        assert meter_utc(served) == datetime(2026, 3, 4, 10, 7, 20, tzinfo=UTC)
        client.request(clock.adjustToMinute(client.client))
        assert meter_utc(served) == datetime(2026, 3, 4, 10, 7, tzinfo=UTC)
        client.request(clock.adjustToQuarter(client.client))
        assert meter_utc(served) == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    finally:
        client.close()


def test_public_client_may_not_adjust_the_clock(served):
    before = meter_utc(served)
    client = session(served, "public")
    try:
        reply = client.request(GXDLMSClock("0.0.1.0.0.255").adjustToQuarter(client.client))
        assert reply.error == READ_WRITE_DENIED
    finally:
        client.close()
    assert meter_utc(served) == before


def test_management_client_captures_and_resets_the_event_log(served):
    log = GXDLMSProfileGeneric("0.0.99.98.0.255")
    reader = session(served, "lls")
    try:
        assert reader.request(log.reset(reader.client)).error == READ_WRITE_DENIED
    finally:
        reader.close()
    manager = session(served, "hls")
    try:
        manager.read(log, 3)
        before = len(manager.read(log, 2))
        assert manager.request(log.capture(manager.client)).error == 0
        assert len(manager.read(log, 2)) == before + 1
        assert manager.request(log.reset(manager.client)).error == 0
        assert manager.read(log, 7) == 0  # entries_in_use (gurux keeps its old buffer on an empty array)
        assert served.call(lambda: served.meter.read("0-0:99.98.0.255").rows) == []
    finally:
        manager.close()
