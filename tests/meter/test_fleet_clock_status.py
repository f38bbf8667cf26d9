"""A fleet meter's clock status is the single meter's: summer time, and doubtful after a long outage."""

from __future__ import annotations

import pytest

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.cosem import build_object_list
from k351c.cosem.model import Level, RequestContext
from k351c.meter.powerfail import CLOCK_DOUBTFUL, CLOCK_DST_ACTIVE
from k351c.obis import Obis

T0 = parse_instant("2026-07-01T00:00:00Z").timestamp()
DAY = 86400.0
CLOCK = Obis.parse("0-0:1.0.0.255").to_bytes()


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    fleet = Fleet(MeterConfig.default(), meters=2, clock=SimClock(T0, rate=0))
    fleet.add_outage(T0 + DAY, T0 + 4 * DAY, [0])  # 3 days: a 5 ppm backup may be 1.3 s off
    fleet.run_for(5 * DAY)
    return fleet


@pytest.mark.parametrize("i", [0, 1], ids=["after-long-outage", "no-outage"])
def test_view_clock_status_equals_its_twin(fleet: Fleet, i: int) -> None:
    view = fleet.meter(i)
    twin = Meter(view.config, clock=SimClock(T0, rate=0), load=view.load)
    twin.run_for(5 * DAY)
    assert view.clock_status == twin.clock_status
    assert view.clock_status & CLOCK_DST_ACTIVE
    assert bool(view.clock_status & CLOCK_DOUBTFUL) == (i == 0)


def test_clock_object_shows_the_view_s_status(fleet: Fleet) -> None:
    view = fleet.meter(0)
    objects = build_object_list(view)
    status = objects.get(RequestContext(Level.READING), 8, CLOCK, 4)
    assert status.value == view.clock_status
