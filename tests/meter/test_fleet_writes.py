"""Writes to a fleet meter's twin-carried values: journaled when they succeed, saved, replayed equal."""

from __future__ import annotations

import pytest

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.errors import AccessDenied, ConfigError
from k351c.meter.fleet_writes import TwinWrite

ALARMS, UNDERVOLTAGE = "0-0:97.98.0.255", "1-0:12.31.0.255"
START = parse_instant("2026-03-01T00:00:00Z").timestamp()


@pytest.fixture
def fleet() -> Fleet:
    fleet = Fleet(MeterConfig.default(), meters=3, start=START)
    fleet.advance_to(START + 3600)
    return fleet


def test_a_voltage_limit_is_kept_in_the_quality_arrays_not_journaled(fleet):
    fleet.meter(1).objects.lookup(UNDERVOLTAGE).set(2000)
    assert fleet.meter(1).read(UNDERVOLTAGE).value == 200.0 != fleet.meter(0).read(UNDERVOLTAGE).value
    assert len(fleet.writes) == 0 and fleet.quality.limits.under_v[1] == pytest.approx(200.0)
    assert len(fleet.twins) == 0  # no twin was built to write it


def test_the_alarm_register_is_kept_in_the_tamper_arrays_not_journaled(fleet):
    fleet.meter(1).objects.lookup(ALARMS).set(5)
    assert fleet.meter(1).read(ALARMS).value == 5 and fleet.meter(0).read(ALARMS).value == 0
    assert len(fleet.writes) == 0 and fleet.tamper.alarms.tolist() == [0, 5, 0]


def test_a_refused_write_changes_nothing_and_is_not_journaled(fleet):
    with pytest.raises(ConfigError):
        fleet.meter(2).objects.lookup(UNDERVOLTAGE).set(2400)  # 240.0 V: above the nominal voltage
    with pytest.raises(AccessDenied, match="cannot keep"):
        fleet.twins.call(2, ALARMS, "set", (object(),))
    assert len(fleet.writes) == 0 and fleet.meter(2).read(ALARMS).value == 0


def test_a_rebuilt_twin_and_a_restored_fleet_replay_the_writes_at_their_instants(fleet, tmp_path):
    view = fleet.meter(1)
    view.objects.lookup(UNDERVOLTAGE).set(2000)  # 0.1 V
    fleet.advance_to(START + 7200)
    view.objects.lookup(ALARMS).set(6)
    fleet.advance_to(START + 86400)
    written = (view.read(ALARMS), view.read(UNDERVOLTAGE), view.read("0-0:99.98.0.255"))
    fleet.twins.forget([1])
    assert (view.read(ALARMS), view.read(UNDERVOLTAGE), view.read("0-0:99.98.0.255")) == written
    fleet.save(tmp_path / "fleet.npz")
    restored = Fleet.load(tmp_path / "fleet.npz", MeterConfig.default())
    again = restored.meter(1)
    assert (again.read(ALARMS), again.read(UNDERVOLTAGE), again.read("0-0:99.98.0.255")) == written


def test_a_fleet_meter_written_equals_a_single_meter_written_at_the_same_instants(fleet):
    view = fleet.meter(2)
    view.objects.lookup(UNDERVOLTAGE).set(2150)
    fleet.advance_to(START + 2 * 86400)
    single = Meter(view.config, clock=SimClock(START, rate=0), load=view.load)
    single.run_for(3600)
    single.objects.lookup(UNDERVOLTAGE).set(2150)
    single.run_for(2 * 86400 - 3600)
    for obis in (UNDERVOLTAGE, "0-0:99.98.4.255", "1-0:32.32.0.255"):
        assert view.read(obis) == single.read(obis)


@pytest.mark.parametrize("row", [[1.0, 0, ALARMS, "set"], [1.0, 0, ALARMS, "delete", []], "x"])
def test_a_bad_saved_row_is_refused_by_name(row):
    with pytest.raises(ConfigError, match="twin write"):
        TwinWrite.from_row(row)
