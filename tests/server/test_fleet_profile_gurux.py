"""gurux-dlms reads by range the recomputed load profile of a fleet meter whose inputs changed.

Meter 1 of a served fleet had its CT ratio changed and its temperature set inside an interval and its
profile captured; the reading client (LLS) asks a range of its load profile, as a head-end does, and
gets the rows a single ``Meter`` given the same inputs has, with no twin built.
"""

from __future__ import annotations

from datetime import timedelta

from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSProfileGeneric

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes.metrology import Metrology
from k351c.server.fleet import FleetServer
from testkit import ServedFleet, bound_block

T0 = parse_instant("2026-02-27T00:00:00Z").timestamp()
CONFIG = MeterConfig.from_codes(metrology=Metrology(accuracy="class-limit", daily_swing=8.0))
PROFILE = "1-0:99.1.0.255"
INPUTS = [(30000.0 + 333.0, "ct", 2000), (30000.0 + 700.0, "temperature", 50.0), (40000.0 + 77.0, "capture", None)]


def _inputs(target, fleet: Fleet | None) -> None:
    """Run to each input and make it on meter 1 (its fleet view) or on the single meter."""
    for at, what, argument in INPUTS:
        if fleet is not None:
            fleet.run_for(T0 + at - fleet.t)
        else:
            target.run_for(T0 + at - target.true_t)
        if what == "ct":
            target.set_ct_ratio(argument)
        elif what == "temperature" and fleet is not None:
            fleet.set_temperature(argument, [1])
        elif what == "temperature":
            target.set_temperature(argument)
        else:
            target.objects.lookup(PROFILE).capture()


def test_gurux_reads_by_range_the_profile_of_a_meter_whose_inputs_changed(tmp_path):
    fleet = Fleet(CONFIG, meters=3, clock=SimClock(T0, rate=0))
    _inputs(fleet.meter(1), fleet)
    fleet.run_for(T0 + 86400.0 - fleet.t)
    view = fleet.meter(1)
    single = Meter(view.config, clock=SimClock(T0, rate=0), load=view.load)
    _inputs(single, None)
    single.run_for(T0 + 86400.0 - single.true_t)
    sockets = bound_block(3)
    server = FleetServer(
        fleet, SimClock(fleet.t, rate=0), dlms_base_port=min(sockets), state=tmp_path, test_keys=True, tick=0.2
    )
    running = ServedFleet(server, sockets)
    try:
        s = GuruxSession(min(sockets) + 1, client_sap=32, password="12345678")
        s.connect()
        try:
            pg = GXDLMSProfileGeneric("1.0.99.1.0.255")
            s.read(pg, 3)
            expected = single.read(PROFILE).rows
            low = expected[0][0] + timedelta(hours=8)
            high = low + timedelta(hours=4)
            reply = s.request(s.client.readRowsByRange(pg, low, high))
            rows = s.client.updateValue(pg, 2, reply.value)
        finally:
            s.close()
    finally:
        running.stop()
    wanted = [r for r in expected if low <= r[0] <= high]
    assert len(rows) == len(wanted) == 18  # 16 periods, the capture and the period it cut
    for got, row in zip(rows, wanted, strict=True):
        assert got[0].value.timestamp() == row[0].timestamp()
        assert [int(v) for v in got[1:]] == [int(v) for v in row[1:]]
    assert len(running.server.fleet.twins) == 0
