"""What each fleet function reports it booked (``FleetFunction.totals``) matches what its meters show."""

from __future__ import annotations

import numpy as np

from k351c import MeterConfig
from k351c.clock import parse_instant
from k351c.meter.fleet import Fleet

START = parse_instant("2025-01-30T00:00:00Z").timestamp()
DAY = 86400.0


def test_totals_count_what_the_meters_show() -> None:
    fleet = Fleet(MeterConfig.default(), meters=4, start=START)
    fleet.add_outage(START + 3600.0, START + 7200.0, [0, 1])
    fleet.add_voltage_event(START + 10_000.0, START + 12_000.0, [3], phases=(1,), level=0.8)
    fleet.advance_to(START + DAY)
    fleet.set_tamper("terminal_cover", True, meters=[2])
    fleet.advance_to(START + 3 * DAY)  # past the 1 February debiting stop
    totals = {f.name: f.totals() for f in fleet.functions}

    billing = totals["billing"]
    assert billing["debiting stops"] == 4  # one stop per meter
    assert billing["debiting logger rows"] == sum(len(fleet.billing.rows(i)) for i in range(4))
    counts = fleet.billing.peaks.count
    assert billing["periods over the power threshold"] == int(counts.sum()) > 0

    events = totals["events"]
    for name in ("standard", "fraud", "power_quality"):
        shown = sum(len(fleet.events.rows(i, name)) for i in range(4))
        assert events[f"{name} log events held"] == shown
    downs = [len([r for r in fleet.events.rows(i, "standard") if r[1] == 1]) for i in range(4)]
    assert downs == [1, 1, 0, 0]

    quality = totals["quality"]
    under = [fleet.meter(i).read("1-0:32.32.0.255").value for i in range(4)]
    assert quality["undervoltage conditions"] == sum(under) == 1
    assert quality["overvoltage conditions"] == 0

    tamper = totals["tamper"]
    assert tamper["tamper switch changes"] == 1
    assert tamper["meters with a latched tamper error"] == 1
    assert np.count_nonzero(fleet.tamper.errors) == 1
