"""gurux reads a served fleet meter's recomputed analysis logger and display list as a single Meter's.

The independent client reads, over the reading association, the analysis logger's capture objects,
capture period, whole buffer and a range of it (selective access by the clock), and the manual
display list, each compared with a single ``Meter`` run on the same inputs for the same time; the
meter had an outage inside an analysis period, and no twin is built to answer.
"""

from __future__ import annotations

import pytest
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSProfileGeneric

from k351c import Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.meter.fleet import Fleet
from k351c.server.fleet import FleetServer
from testkit import ServedFleet, bound_block

T0 = parse_instant("2026-04-06T00:00:00Z").timestamp()
RUN = 2 * 86400.0 + 1234.0
ANALYSIS = "1-0:99.2.0.255"


@pytest.fixture(scope="module")
def served():
    fleet = Fleet(MeterConfig.default(), meters=2, clock=SimClock(T0, rate=0))
    fleet.add_outage(T0 + 40000.0, T0 + 40000.0 + 700.0, [1])
    fleet.advance_to(T0 + RUN)
    sockets = bound_block(2, first=27300)
    server = FleetServer(
        fleet, SimClock(T0 + RUN, rate=0), dlms_base_port=min(sockets), test_keys=True, tick=3600.0
    )
    running = ServedFleet(server, sockets)
    yield fleet, min(sockets)
    running.stop()


def _single(fleet: Fleet, i: int) -> Meter:
    view = fleet.meter(i)
    meter = Meter(view.config, clock=SimClock(T0, rate=0), load=view.load)
    meter.run_for(RUN)
    return meter


def _rows(buffer) -> list[tuple]:  # noqa: ANN001
    return [(row[0].value.timestamp(), *(int(v) for v in row[1:])) for row in buffer]


@pytest.mark.parametrize("i", [0, 1])
def test_gurux_reads_the_analysis_logger_whole_and_by_range(served, i):
    fleet, base = served
    meter = _single(fleet, i)
    expected = meter.read(ANALYSIS)
    session = GuruxSession(base + i, client_sap=32, password="12345678")
    session.connect()
    try:
        logger = GXDLMSProfileGeneric("1.0.99.2.0.255")
        session.read(logger, 3)
        assert session.read(logger, 4) == 900
        session.read(logger, 2)
        whole = _rows(logger.buffer)
        low, high = (meter.localtime.to_local(T0 + s) for s in (39000.0, 45000.0))
        ranged = session.request(session.client.readRowsByRange(logger, low, high)).value
        manual = GXDLMSProfileGeneric("0.0.21.0.2.255")
        session.read(manual, 3)
        session.read(manual, 2)
    finally:
        session.close()
    columns = [f"{c.logicalName}" for c, _ in logger.captureObjects]
    assert columns == [c.replace("-", ".").replace(":", ".") for c in expected.columns]
    want = [(row[0].timestamp(), *row[1:]) for row in expected.rows]
    raw = [
        (t, *(round(v * 10 ** -_scaler(meter, c)) for v, c in zip(r, expected.columns[1:], strict=True)))
        for t, *r in want
    ]
    assert whole == raw and len(whole) == 2 * 96 + 1
    inside = [r for r in whole if T0 + 39000.0 <= r[0] <= T0 + 45000.0]
    assert len(inside) == 6000 // 900 + 1
    assert [tuple(int(v) for v in row[1:]) for row in ranged] == [r[1:] for r in inside]
    shown = meter.read("0-0:21.0.2.255")
    assert [f"{c.logicalName}" for c, _ in manual.captureObjects] == [
        c.replace("-", ".").replace(":", ".") for c in shown.columns
    ]
    assert len(fleet.twins._items) == 0  # noqa: SLF001


def _scaler(meter: Meter, code: str) -> int:
    return meter.objects.lookup(code).scaler
