"""gurux-dlms reads a served fleet meter's event logs from the fleet's event store (k351c.meter.fleet_events).

Meter 2 of a fleet went through a feeder outage; a client then fails its LLS password on meter 2,
whose endpoint the server drops from its cache of one before the reading client comes back. The
standard log has the power down/up and the fraud log the failure (code 46, where the single meter
files it), as a single ``Meter`` logs them; the failure is in the fleet's state after the restart.
"""

from __future__ import annotations

import pytest
from gurux_client import GuruxSession
from gurux_dlms import GXDLMSException
from gurux_dlms.objects import GXDLMSData, GXDLMSProfileGeneric

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.meter.eventlog import EventCode
from k351c.server.fleet import STATE_FILE, FleetServer
from testkit import ServedFleet, bound_block

T0 = parse_instant("2026-03-02T00:00:00Z").timestamp()
DOWN, UP = T0 + 3600.0 + 77.0, T0 + 7200.0 + 13.0
N = 4


def _read_log(port: int, obis: str) -> tuple[list[tuple[float, int]], int]:
    """(time, code) rows of an event log and its last code, read by the reading client (LLS)."""
    session = GuruxSession(port, client_sap=32, password="12345678")
    session.connect()
    try:
        log = GXDLMSProfileGeneric(obis.replace(":", ".").replace("-", "."))
        session.read(log, 3)
        rows = session.read(log, 2)
        code_obis = obis.replace("99.98", "96.11")
        last = session.read(GXDLMSData(code_obis.replace(":", ".").replace("-", ".")), 2)
    finally:
        session.close()
    return [(row[0].value.timestamp(), int(row[1])) for row in rows], int(last)


def test_gurux_reads_the_outage_and_a_failed_password_kept_across_the_endpoint_cache(tmp_path):
    fleet = Fleet(MeterConfig.default(), meters=N, clock=SimClock(T0, rate=0))
    fleet.add_outage(DOWN, UP, [2])
    fleet.run_for(86400.0)
    sockets = bound_block(N)
    base = min(sockets)
    clock = SimClock(fleet.t, rate=0)
    server = FleetServer(fleet, clock, dlms_base_port=base, state=tmp_path, test_keys=True, tick=0.05, cache=1)
    running = ServedFleet(server, sockets)
    try:
        with pytest.raises(GXDLMSException):
            GuruxSession(base + 2, client_sap=32, password="00000000").connect()
        assert _read_log(base + 1, "0-0:99.98.1.255") == ([], 0)  # meter 1's endpoint evicts meter 2's
        clock.jump(60.0)
        standard = _read_log(base + 2, "0-0:99.98.0.255")
        fraud = _read_log(base + 2, "0-0:99.98.1.255")
        assert len(running.server.views) == 1
    finally:
        running.stop()
    view = fleet.meter(2)
    single = Meter(view.config, clock=SimClock(T0, rate=0), load=view.load)
    single.run_for(86400.0)
    expected = [(row[0].timestamp(), row[1]) for row in single.read("0-0:99.98.0.255").rows]
    assert standard == (expected, expected[-1][1])
    assert standard[0][:2] == [(DOWN, EventCode.POWER_DOWN), (UP, EventCode.POWER_UP)]
    assert fraud == ([(T0 + 86400.0, EventCode.ASSOCIATION_AUTHENTICATION_FAILURE)], 46)
    again = Fleet.load(tmp_path / STATE_FILE, MeterConfig.default())
    assert again.events.rows(2, "fraud") == [(T0 + 86400.0, 46)]
    assert again.events.rows(1, "fraud") == []
