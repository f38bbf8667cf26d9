"""The I/O module over a fleet's arrays: the single meter's input rules on N rows, refusals, a restart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import ConfigError, Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.meter.io import IoModule

START = parse_instant("2026-03-01T00:00:00Z").timestamp()
PULSE_ALARM = MeterConfig.from_codes(config1="3-1-068-03-2", config2="001-01-01-2")  # pulse in / alarm in
N = 3
OBJECTS = (
    "0-0:128.11.0.255",  # pulses
    "0-0:128.11.1.255",  # pulse value
    "0-0:128.12.1.255",
    "0-0:128.12.2.255",
    "0-0:128.16.0.255",  # alarm inputs active
    "0-0:97.98.0.255",  # alarm register
    "0-0:96.11.0.255",  # last standard event code (233/234 from the alarm input)
)

step = st.one_of(
    st.tuples(st.just("level"), st.integers(1, 2), st.booleans(), st.sets(st.integers(0, N - 1), min_size=1)),
    st.tuples(st.just("pulses"), st.integers(0, 40), st.sets(st.integers(0, N - 1), min_size=1)),
    st.tuples(st.just("weight"), st.sampled_from([0.25, 1.0, 3.0]), st.integers(0, N - 1)),
)


@settings(max_examples=15, deadline=None)
@given(st.lists(step, min_size=1, max_size=8))
def test_the_input_rules_on_n_rows_equal_n_single_meters(steps):
    fleet = Fleet(PULSE_ALARM, meters=N, start=START)
    singles = [Meter(fleet.meter(i).config, clock=SimClock(START, rate=0), load=fleet.meter(i).load) for i in range(N)]
    for j, action in enumerate(steps):
        t = START + 120.0 * (j + 1)
        fleet.advance_to(t)
        for meter in singles:
            meter.run_for(t - meter.true_t)
        if action[0] == "level":
            _, line, level, meters = action
            fleet.io.set_input(line, level, meters=sorted(meters))
            for i in meters:
                singles[i].function(IoModule).set_input(line, level)
        elif action[0] == "pulses":
            _, count, meters = action
            fleet.io.pulse(count, meters=sorted(meters))
            for i in meters:
                singles[i].function(IoModule).pulse(count)
        else:
            _, weight, i = action
            fleet.meter(i).objects.lookup("0-0:128.11.2.255").set(weight)
            singles[i].objects.lookup("0-0:128.11.2.255").set(weight)
    for i, meter in enumerate(singles):
        view = fleet.meter(i)
        assert [view.read(o) for o in OBJECTS] == [meter.read(o) for o in OBJECTS]
        assert view.read("0-0:99.98.0.255").rows == meter.read("0-0:99.98.0.255").rows


def test_inputs_are_validated_as_the_single_meter_and_fleet_tariff_inputs_refused():
    fleet = Fleet(PULSE_ALARM, meters=N, start=START)
    with pytest.raises(ConfigError, match="I/O line"):
        fleet.io.set_input(3, True)
    with pytest.raises(ConfigError, match="I/O meters"):
        fleet.io.pulse(1, meters=[N])
    with pytest.raises(ConfigError, match="pulse count"):
        fleet.io.pulse(-1)
    with pytest.raises(ConfigError, match="pulse input weight"):
        fleet.meter(0).objects.lookup("0-0:128.11.2.255").set(0)
    outputs = Fleet(MeterConfig.from_codes(config1="3-1-075-06-2"), meters=1, start=START)
    with pytest.raises(ConfigError, match="input lines: none"):
        outputs.io.set_input(1, True)
    with pytest.raises(ConfigError, match="pulse input"):
        outputs.io.pulse(1)
    tariff = Fleet(MeterConfig.from_codes(config1="3-1-068-07-2"), meters=1, start=START)  # 2-tariff / alarm
    with pytest.raises(ConfigError, match="a fleet input"):
        tariff.io.set_input(1, True)
    assert not fleet.io.levels.any() and not fleet.io.pulses.any() and fleet.io.inputs_of(0) == []


def test_inputs_and_settings_survive_a_restart(tmp_path):
    fleet = Fleet(PULSE_ALARM, meters=N, start=START)
    fleet.advance_to(START + 900.0)
    fleet.io.pulse(7, meters=[0, 2])
    fleet.io.set_input(2, True, meters=[1])
    fleet.meter(2).objects.lookup("0-0:128.17.0.255").set(0b1000)
    fleet.advance_to(START + 86400.0)
    fleet.save(tmp_path / "fleet.npz")
    again = Fleet.load(tmp_path / "fleet.npz", PULSE_ALARM)
    for i in range(N):
        assert again.io.inputs_of(i) == fleet.io.inputs_of(i)
        for obis in (*OBJECTS, "0-0:128.17.0.255", "0-0:128.14.0.255"):
            assert again.meter(i).read(obis) == fleet.meter(i).read(obis)
    assert again.io.inputs_of(1) == [(START + 900.0, "level", 2, 1)]
    assert again.meter(1).read("0-0:128.16.0.255").value == 0b10
    assert again.meter(2).read("0-0:128.17.0.255").value == 0b1000
