"""A served fleet of 5-minute meters with a drifting RTC, read by gurux, answers as a single Meter.

The independent client reads, over the reading association: the clock (the meters' drifted time),
A+ total and per tariff (the tariff switches by that clock) and the whole load profile (5-minute
entries, their time stamps, AMR status and energies), each compared with a single ``Meter`` run on
the same inputs (``view.config``, ``view.load``) for the same true time.
"""

from __future__ import annotations

import dataclasses

import pytest
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSClock, GXDLMSProfileGeneric, GXDLMSRegister

from k351c import Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes import RtcSettings, Settings
from k351c.cosem import build_object_list
from k351c.cosem.model import Level, RequestContext
from k351c.meter.fleet import Fleet
from k351c.meter.loadprofile import LoadProfile
from k351c.obis import Obis
from k351c.server.fleet import FleetServer
from testkit import ServedFleet, bound_block

T0 = parse_instant("2026-03-27T23:00:00Z").timestamp()  # summer time from 29 March inside
RUN = 2 * 86400.0 + 1234.0
PPM = 500.0


@pytest.fixture(scope="module")
def served():
    settings = dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=PPM))
    config = MeterConfig.from_codes(settings=settings, config1="3-1-000-00-1")
    fleet = Fleet(config, meters=3, clock=SimClock(T0, rate=0))
    fleet.add_outage(T0 + 40000.0, T0 + 40000.0 + 700.0, [2])
    fleet.advance_to(T0 + RUN)
    sockets = bound_block(3, first=27000)
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


@pytest.mark.parametrize("i", [0, 2])
def test_gurux_reads_what_a_single_meter_shows(served, i):
    fleet, base = served
    meter = _single(fleet, i)
    session = GuruxSession(base + i, client_sap=32, password="12345678")
    session.connect()
    try:
        clock = GXDLMSClock("0.0.1.0.0.255")
        session.read(clock, 2)
        shown = clock.time.value.timestamp()
        assert shown == pytest.approx(meter.t, abs=1.0)  # DLMS carries whole seconds
        assert shown - (T0 + RUN) == pytest.approx(RUN * PPM * 1e-6, abs=1.0)
        objects, ctx = build_object_list(meter), RequestContext(Level.READING)
        for obis in ("1-0:1.8.0.255", "1-0:1.8.1.255", "1-0:1.8.2.255"):
            register = GXDLMSRegister(obis.replace("-", ".").replace(":", "."))
            raw = objects.get(ctx, 3, Obis.parse(obis).to_bytes(), 2).value
            assert session.read(register, 2) == raw  # the single meter's encoded register
        profile = GXDLMSProfileGeneric("1.0.99.1.0.255")
        session.read(profile, 3)
        session.read(profile, 2)
    finally:
        session.close()
    entries = meter.function(LoadProfile).entries()
    got = [(row[0].value.timestamp(), int(row[1]), *(int(v) for v in row[2:])) for row in profile.buffer]
    assert len(got) == len(entries) > 500
    assert got == [(float(int(t)), *rest) for t, *rest in entries]
    if i == 2:
        assert any(status & 0x80 for _, status, *_ in got)  # the outage's power-down bit
    assert any(status & 0x08 for _, status, *_ in got)  # summer time
