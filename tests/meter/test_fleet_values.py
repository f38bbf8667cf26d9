"""A lazy fleet view (k351c.meter.fleet_values) reads what a full view reads, making only what is asked."""

from __future__ import annotations

import numpy as np
import pytest

from k351c import MeterConfig
from k351c.clock import parse_instant
from k351c.cosem.push import default_setups
from k351c.meter.fleet import Fleet
from k351c.meter.fleet_values import LazyValues
from k351c.meter.fleet_view import VALUE_ADDERS, MeterView

START = parse_instant("2026-03-01T00:00:00Z").timestamp()


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    """Outages, a CT change, a tamper switch and a sag: every group of values has something to show."""
    fleet = Fleet(MeterConfig.default(), meters=6, start=START)
    fleet.add_outage(START + 600, START + 900, np.arange(2, 5))
    fleet.add_voltage_event(START + 3600, START + 4200, [3], (1,), 0.8)
    fleet.run_for(2 * 86400 + 1234)
    fleet.set_ct(3, 200)
    fleet.set_tamper("meter_cover", True, meters=[3])
    fleet.run_for(86400 + 77)
    return fleet


@pytest.mark.parametrize("reverse", [False, True])
def test_lazy_view_reads_every_value_as_a_full_view(fleet: Fleet, reverse: bool) -> None:
    full = MeterView(fleet, 3)
    codes = [d.obis for d in full.objects]
    lazy = MeterView(fleet, 3, lazy=True)
    for code in reversed(codes) if reverse else codes:
        assert lazy.read(code) == full.read(code), code
        assert lazy.objects.lookup(code).class_id == full.objects.lookup(code).class_id
    assert len(lazy.objects) == len(full.objects)


def test_push_values_make_only_their_groups(fleet: Fleet) -> None:
    view = MeterView(fleet, 3, lazy=True)
    table = view.objects
    assert isinstance(table, LazyValues)
    for _, obis, _ in default_setups()["alarm"].objects[1:]:  # serial, clock, alarm and error register
        view.read(obis)
    ran = [add.__name__ for add, started in zip(VALUE_ADDERS, table._started, strict=True) if started]
    assert ran == ["identity_values", "add_tamper_values"]
    assert view.read("0-0:97.98.0.255").value != 0  # the cover alarm, from the tamper arrays
    assert len(table._defs) < 20
    view.read("1-0:1.8.0.255")
    assert "register_energy" in [a.__name__ for a, s in zip(VALUE_ADDERS, table._started, strict=True) if s]


def test_an_unknown_code_is_refused_after_every_group_ran(fleet: Fleet) -> None:
    view = MeterView(fleet, 0, lazy=True)
    table = view.objects
    assert isinstance(table, LazyValues)
    assert "1-0:200.200.200.255" not in table
    assert all(table._started)
    with pytest.raises(Exception, match="OBIS"):
        view.read("1-0:200.200.200.255")
