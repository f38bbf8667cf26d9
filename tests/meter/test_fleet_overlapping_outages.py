"""Overlapping feeder outages on one fleet meter: each second without voltage counts once.

Two outages that overlap in time and share a meter (a feeder out inside a wider outage) leave that
meter without voltage over their union, as the single ``Meter`` on ``view.load`` sees it: energy,
demand, profile and the power-failure log of the fleet meter equal the single meter's.
"""

from __future__ import annotations

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant

T0 = parse_instant("2026-02-27T00:00:00Z").timestamp()


def _fleet() -> Fleet:
    fleet = Fleet(MeterConfig.default(), meters=3, clock=SimClock(T0, rate=0))
    fleet.add_outage(T0 + 700, T0 + 1000, [1, 2])  # overlaps the next one inside one interval
    fleet.add_outage(T0 + 800, T0 + 1100, [2])
    fleet.add_outage(T0 + 5000, T0 + 5500, [2])
    fleet.add_outage(T0 + 5200, T0 + 5300, [0, 2])  # inside the one before, for meter 2
    fleet.run_for(2 * 86400)
    return fleet


def test_overlapping_outages_count_each_second_once():
    fleet = _fleet()
    view = fleet.meter(2)
    single = Meter(view.config, clock=SimClock(T0, rate=0), load=view.load)
    single.run_for(2 * 86400)
    differ = [str(d.obis) for d in single.objects if view.read(d.obis) != single.read(d.obis)]
    assert differ == []
    assert fleet.failures(2) == [(T0 + 700, 400.0), (T0 + 5000, 500.0)]
    assert fleet.failures(0) == [(T0 + 5200, 100.0)]
    assert fleet.outage_windows(1) == [(T0 + 700, T0 + 1000)]
