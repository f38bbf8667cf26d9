"""Fleet.set_temperature: the single meter's temperature input over arrays of meters.

Each meter of a fleet whose temperature is set (all, or some, on an interval boundary or inside
one, and back to the configured ambient) reads every object equal to a single ``Meter`` given the
same settings at the same instants; the validation is the single meter's.
"""

from __future__ import annotations

import pytest

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes.metrology import Metrology
from k351c.errors import ConfigError

T0 = parse_instant("2026-02-27T00:00:00Z").timestamp()
CONFIG = MeterConfig.from_codes(metrology=Metrology(accuracy="class-limit", daily_swing=10.0))
# (seconds from the start, degC, meters): inside an interval, on a boundary, back to the ambient
SETTINGS = [(18450.0, -30.0, [1]), (36000.0, 60.0, None), (43300.0, None, [0])]
END = 2 * 86400.0


def _fleet() -> Fleet:
    fleet = Fleet(CONFIG, meters=3, clock=SimClock(T0, rate=0))
    for at, celsius, meters in SETTINGS:
        fleet.run_for(at - (fleet.t - T0))
        fleet.set_temperature(celsius, meters)
    fleet.run_for(END - (fleet.t - T0))
    return fleet


def _twin(view, i: int) -> Meter:
    meter = Meter(view.config, clock=SimClock(T0, rate=0), load=view.load)
    for at, celsius, meters in SETTINGS:
        meter.run_for(at - (meter.true_t - T0))
        if meters is None or i in meters:
            meter.set_temperature(celsius)
    meter.run_for(END - (meter.true_t - T0))
    return meter


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return _fleet()


@pytest.mark.parametrize("i", [0, 1, 2])
def test_every_object_equals_a_single_meter_given_the_same_temperatures(fleet, i):
    view = fleet.meter(i)
    twin = _twin(view, i)
    differ = [str(d.obis) for d in twin.objects if twin.read(d.obis) != view.read(d.obis)]
    assert differ == []


def test_a_temperature_set_inside_an_interval_keeps_the_profile_recomputed():
    fleet = _fleet()
    for i in range(3):  # meter 1's setting split an interval
        for code in ("1-0:99.1.0.255", "1-0:1.29.0.255", "0-0:96.10.1.255"):
            fleet.meter(i).read(code)
    assert len(fleet.twins) == 0


def test_the_temperature_changes_what_the_meter_registers():
    cold = Fleet(CONFIG, meters=2, clock=SimClock(T0, rate=0))
    cold.set_temperature(-40.0, [1])
    cold.run_for(86400.0)
    plain = Fleet(CONFIG, meters=2, clock=SimClock(T0, rate=0))
    plain.run_for(86400.0)
    assert (cold.counts[:, 0] == plain.counts[:, 0]).all()
    assert (cold.counts[:, 1] != plain.counts[:, 1]).any()


@pytest.mark.parametrize("bad", [85.0, -41, "cold", True])
def test_set_temperature_refuses_what_the_single_meter_refuses(bad):
    fleet = Fleet(CONFIG, meters=2, clock=SimClock(T0, rate=0))
    with pytest.raises(ConfigError) as fleet_error:
        fleet.set_temperature(bad)
    with pytest.raises(ConfigError) as meter_error:
        Meter(CONFIG, clock=SimClock(T0, rate=0)).set_temperature(bad)
    assert str(fleet_error.value) == str(meter_error.value)
    assert fleet_error.value.field == "temperature"


def test_set_temperature_refuses_meters_outside_the_fleet():
    fleet = Fleet(CONFIG, meters=2, clock=SimClock(T0, rate=0))
    with pytest.raises(ConfigError, match="fleet indices 0..1"):
        fleet.set_temperature(20.0, [2])


def test_temperature_settings_survive_a_restart(tmp_path, fleet):
    fleet.save(tmp_path / "fleet.npz")
    again = Fleet.load(tmp_path / "fleet.npz", CONFIG)
    assert again.temperatures.of_meter(1) == fleet.temperatures.of_meter(1)
    assert again.temperatures.of_meter(0) == [(T0 + 36000.0, 60.0), (T0 + 43300.0, None)]
    assert again.meter(1).read("1-0:1.8.0.255") == fleet.meter(1).read("1-0:1.8.0.255")
