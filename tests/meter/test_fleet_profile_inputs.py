"""The recomputed load profile follows a meter's own inputs, and the running entry's AMR status.

A fleet meter whose CT ratio changed, whose temperature was set inside an interval and whose profile
was reset and captured reads its load profile, last-interval registers and the AMR status of the
running interval 0-0:96.10.1 equal to a single ``Meter`` given the same inputs at the same instants,
from the fleet's arrays (no twin is built).
"""

from __future__ import annotations

import pytest

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes.metrology import Metrology

T0 = parse_instant("2026-03-28T00:00:37Z").timestamp()  # off the grid; summer time from 29 March
CONFIG = MeterConfig.from_codes(
    serial="7012345678", metrology=Metrology(accuracy="class-limit", daily_swing=9.0)
)
PROFILE, STATUS = "1-0:99.1.0.255", "0-0:96.10.1.255"
LAST = ("1-0:1.29.0.255", "1-0:2.29.0.255", "1-0:3.29.0.255", "1-0:4.29.0.255")
OUTAGES = ((1500.0, 400.0), (86400.0 + 7000.0, 3 * 3600.0))  # from T0 (seconds, duration)
# (seconds from T0, what, argument): meter 1's inputs, each inside a 15-minute interval
INPUTS = [
    (20000.0 + 111.0, "reset", None),
    (43200.0 + 250.0, "ct", 1500),
    (43200.0 + 700.0, "temperature", -35.0),
    (50000.0 + 13.0, "capture", None),
    (86400.0 + 400.0, "ct", 200),
    (86400.0 + 400.0, "temperature", None),
]
PROBES = [300.0, 1700.0, 2000.0, 43200.0 + 800.0, 86400.0 + 7100.0, 86400.0 + 9000.0, 2 * 86400.0 + 450.0]


def _apply(target, what: str, argument, fleet: Fleet | None = None) -> None:
    """An input to meter 1: ``target`` is its fleet view or the single meter."""
    if what == "ct":
        target.set_ct_ratio(argument)
    elif what == "temperature":
        if fleet is not None:
            fleet.set_temperature(argument, [1])
        else:
            target.set_temperature(argument)
    else:
        getattr(target.objects.lookup(PROFILE), what)()


def _run(probe) -> tuple[Fleet, Meter]:
    fleet = Fleet(CONFIG, meters=3, clock=SimClock(T0, rate=0))
    for at, seconds in OUTAGES:
        fleet.add_outage(T0 + at, T0 + at + seconds, [1])
    view = fleet.meter(1)
    meter = Meter(view.config, clock=SimClock(T0, rate=0), load=view.load)
    timeline = sorted([*((at, what, arg) for at, what, arg in INPUTS), *((at, "probe", None) for at in PROBES)])
    for at, what, argument in timeline:
        fleet.run_for(T0 + at - fleet.t)
        meter.run_for(T0 + at - meter.true_t)
        if what == "probe":
            probe(fleet, meter)
        else:
            _apply(fleet.meter(1), what, argument, fleet)
            _apply(meter, what, argument)
    return fleet, meter


def test_profile_and_running_status_follow_ct_temperature_capture_and_reset():
    seen: list[tuple[int, int]] = []

    def probe(fleet: Fleet, meter: Meter) -> None:
        seen.append((fleet.meter(1).read(STATUS).value, meter.read(STATUS).value))

    fleet, meter = _run(probe)
    mine, theirs = zip(*seen, strict=True)
    assert mine == theirs
    assert {s & 0x08 for s in mine} == {0, 0x08}  # summer time
    assert any(s & 0x80 for s in mine) and any(s & 0x04 for s in mine)  # power down, first period
    view = fleet.meter(1)
    assert view.read(PROFILE) == meter.read(PROFILE)
    rows = view.read(PROFILE).rows
    assert rows[0][0].timestamp() > T0 + INPUTS[0][0]  # the reset emptied it
    assert any(r[0].timestamp() == T0 + INPUTS[3][0] and r[1] & 0x04 for r in rows)  # the capture
    for code in LAST:
        assert view.read(code) == meter.read(code)
    assert len(fleet.twins) == 0


@pytest.mark.parametrize("i", [0, 2])
def test_the_other_meters_keep_their_profile(i):
    fleet, _ = _run(lambda fleet, meter: None)
    view = fleet.meter(i)
    single = Meter(view.config, clock=SimClock(T0, rate=0), load=view.load)
    single.run_for(fleet.t - T0)
    assert view.read(PROFILE) == single.read(PROFILE)
    assert view.read(STATUS) == single.read(STATUS)

