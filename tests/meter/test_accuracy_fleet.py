"""The fleet counts each meter's own error by the same rule as a single meter; temperature inputs."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes.configfile import load
from k351c.codes.metrology import Metrology
from k351c.meter.accuracy import ErrorCurves, error_at
from k351c.meter.energy import PRIMARY, SECONDARY
from k351c.meter.fleet import Fleet
from k351c.meter.fleet_load import SeededLoad
from k351c.meter.scenario import Scenario, ScenarioPlayer

T0 = parse_instant("2026-06-01T00:00:00Z").timestamp()
SPAN = 3 * 86400 + 1234.5


def fleet_config(kind: str, **extra) -> MeterConfig:
    return MeterConfig.from_codes(metrology=Metrology(accuracy=kind, **extra))


@pytest.fixture(scope="module", params=["typical", "class-limit"])
def erring_fleet(request) -> Fleet:
    config = fleet_config(request.param, daily_swing=12.0, temperature_spread=5.0)
    fleet = Fleet(config, meters=30, start=T0)
    fleet.advance_to(T0 + SPAN)
    return fleet


@pytest.mark.parametrize("i", [0, 13])
def test_fleet_meter_and_its_single_twin_register_the_same_error(erring_fleet, i):
    """The same rule, written once: registers, profile and instantaneous values agree exactly."""
    fleet = erring_fleet
    config = dataclasses.replace(fleet.config, serial=fleet.serial(i))
    twin = Meter(config, clock=SimClock(T0, rate=0), load=SeededLoad(fleet.model, fleet.seeds[i]))
    twin.run_for(SPAN)
    assert np.array_equal(twin.secondary.counts, fleet.registers(i, SECONDARY))
    assert np.array_equal(twin.primary.counts, fleet.registers(i, PRIMARY))
    assert twin.function("load_profile").entries() == fleet.profile(i)
    assert np.array_equal(twin.instant.p, fleet.instant(i).p)


def test_fleet_meters_err_differently_from_an_ideal_fleet(erring_fleet):
    ideal = Fleet(MeterConfig.default(), meters=30, start=T0)
    ideal.advance_to(T0 + SPAN)
    measured = erring_fleet.counts[SECONDARY, :, 0, 0].astype(float)
    true = ideal.counts[SECONDARY, :, 0, 0].astype(float)
    error = 100 * (measured / true - 1)
    assert np.abs(error).max() < 2.0  # class B: inside the MPE of 5..30 degC
    assert error.std() > 0.02 and len(np.unique(np.round(error, 4))) > 25
    if erring_fleet.config.metrology.accuracy == "typical":
        assert np.abs(error).max() < 0.8


def test_daily_cycle_and_spread_of_the_ambient_temperature():
    curves = ErrorCurves.for_config(
        fleet_config("typical", daily_swing=10.0, temperature_spread=4.0, hottest_hour=15.0),
        np.arange(12345678, 12345678 + 200),
    )
    hot = curves.ambient(np.full(200, T0 + 15 * 3600.0))
    cold = curves.ambient(np.full(200, T0 + 3 * 3600.0))
    np.testing.assert_allclose(hot - cold, 20.0)
    assert 23 + 10 - 4 <= hot.min() and hot.max() <= 23 + 10 + 4 and hot.std() > 1.0


def test_meter_follows_the_daily_cycle_unless_a_temperature_is_set():
    config = fleet_config("class-limit", daily_swing=15.0)
    # 15:00 local standard time is the hottest; the temperature is sampled mid-interval
    # (14:45..15:00 is sampled at 14:52:30, 7.5 minutes before the maximum).
    hottest = T0 + 15 * 3600.0 - 60.0 * config.utc_offset_minutes
    meter = Meter(config, clock=SimClock(hottest - 600.0, rate=0), functions=[])
    off_peak = math.cos(2 * math.pi * 0.125 / 24)
    assert meter.temperature == pytest.approx(23.0 + 15.0 * off_peak, abs=1e-9)
    meter.run_for(12 * 3600.0)
    assert meter.temperature == pytest.approx(23.0 - 15.0 * off_peak, abs=1e-9)
    meter.set_temperature(-5.0)
    assert meter.temperature == -5.0


def test_scenario_temperature_event_changes_the_error_from_its_time():
    text = """
[load]
current = 5.0
[[events]]
at = "2026-06-01T04:00:00Z"
kind = "temperature"
celsius = -35
[[events]]
at = "2026-06-01T08:00:00Z"
kind = "temperature"
"""
    scenario = Scenario.from_text(text)
    meter = Meter(fleet_config("class-limit"), clock=SimClock(T0, rate=0), functions=[])
    player = ScenarioPlayer(meter, scenario)
    steps = []
    for hours in (4, 8, 12):
        player.advance_to(T0 + hours * 3600.0)
        steps.append(meter.read("1-0:1.8.0.255").value)
    first, cold, back = steps[0], steps[1] - steps[0], steps[2] - steps[1]
    assert back == pytest.approx(first, abs=1)
    assert abs(cold - first) > 0.01 * first  # -35 degC: about 2.9 % more error than at 23 degC
    assert meter.temperature == 23.0


def test_scenario_refuses_a_temperature_outside_the_range():
    from k351c.errors import ConfigError

    text = '[[events]]\nat = "2026-06-01T04:00:00Z"\nkind = "temperature"\ncelsius = 120\n'
    with pytest.raises(ConfigError) as err:
        Scenario.from_text(text)
    assert "celsius" in err.value.field


def test_constant_load_on_an_ideal_meter_is_untouched_by_temperature():
    meter = Meter(MeterConfig.default(), clock=SimClock(T0, rate=0), functions=[])
    meter.set_temperature(-40.0)
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(3600.0)
    assert meter.read("1-0:1.8.0.255").value == 3450


def test_peaks_profile_and_registers_all_count_the_same_error():
    """A whole meter (every function): demand peak, load profile and registers agree on the error."""
    config = fleet_config("class-limit")
    meter = Meter(config, clock=SimClock(T0, rate=0), load=ConstantLoad(current=4.0))
    meter.run_for(2 * 86400.0)
    ep, _ = error_at(config, int(config.serial), 4.0)
    factor = 1.0 + float(ep[0]) / 100.0
    assert abs(factor - 1.0) > 0.009
    true_w = 3 * 230.0 * 4.0
    peak = meter.read("1-0:1.6.0.255")
    assert peak.unit == "W" and abs(peak.value - true_w * factor) <= 1.0
    register = meter.read("1-0:1.8.0.255")
    assert register.unit == "Wh" and abs(register.value - true_w * 48.0 * factor) <= 1.0
    profile = meter.read("1-0:99.1.0.255")
    column = profile.columns.index("1-0:1.29.0.255")
    entries = [row[column] for row in profile.rows]
    assert sum(entries) == register.value
    assert all(abs(e - true_w * factor / 4.0) <= 1.0 for e in entries)


def test_cold_snap_example_errs_more_in_the_cold():
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples"
    config = load(examples / "config" / "class-limit-meter.toml").meter
    scenario = Scenario.from_toml(examples / "cold-snap.toml")
    meter = Meter(config, clock=SimClock(scenario.start, rate=0), functions=[])
    player = ScenarioPlayer(meter, scenario)
    true_wh = 3 * 230.0 * 4.0 * math.cos(math.radians(25.0)) * 24.0
    days = []
    for day in (1, 2, 3):
        before = meter.read("1-0:1.8.0.255").value
        player.advance_to(scenario.start + day * 86400.0)
        days.append(100.0 * ((meter.read("1-0:1.8.0.255").value - before) / true_wh - 1.0))
    mild, cold, back = days
    assert abs(cold) > abs(mild) + 1.0 and abs(back - mild) < 0.05
    assert abs(cold) <= 4.0  # the MID composite MPE of -40..-25 degC for class B
