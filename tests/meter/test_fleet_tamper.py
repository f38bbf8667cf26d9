"""Tamper over a fleet's arrays: the single meter's rule on N rows, inputs kept with their instants, saved."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import ConfigError, ConstantLoad, Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.meter.fleet_writes import TwinWrite
from k351c.meter.powerfail import PowerFail
from k351c.meter.tamper import SOURCES, Alarm, Tamper
from k351c.store import MemoryStore

START = parse_instant("2026-03-01T00:00:00Z").timestamp()
ERRORS, ALARMS, FRAUD = "0-0:97.97.0.255", "0-0:97.98.0.255", "0-0:99.98.1.255"
N = 3


def _single() -> Meter:
    meter = Meter(
        MeterConfig.default(),
        clock=SimClock(START, rate=0),
        store=MemoryStore(),
        functions=[PowerFail(), Tamper()],
    )
    meter.set_load(ConstantLoad(current=1.0))
    return meter


step = st.one_of(
    st.tuples(
        st.just("switch"),
        st.sampled_from(sorted(SOURCES)),
        st.booleans(),
        st.sets(st.integers(0, N - 1), min_size=1),
    ),
    st.tuples(st.just("write"), st.integers(0, 0xFFFF), st.integers(0, N - 1)),
    st.tuples(st.just("clear"), st.integers(0, N - 1)),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(step, max_size=12))
def test_the_array_rule_on_n_rows_equals_n_single_meters(steps):
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    singles = [_single() for _ in range(N)]
    for j, action in enumerate(steps):
        t = START + 60.0 * (j + 1)
        fleet.advance_to(t)
        for meter in singles:
            meter.run_for(t - meter.true_t)
        if action[0] == "switch":
            _, source, state, meters = action
            changed = fleet.set_tamper(source, state, meters=sorted(meters))
            before = [m.function(Tamper).active[source] for m in singles]
            for i in meters:
                singles[i].function(Tamper).set(source, state)
            assert changed.tolist() == [i for i in sorted(meters) if before[i] != state]
        elif action[0] == "write":
            _, value, i = action
            fleet.meter(i).objects.lookup(ALARMS).set(value)
            singles[i].objects.lookup(ALARMS).set(value)
        else:
            _, i = action
            fleet.tamper.clear_errors(i)
            singles[i].function(Tamper).clear_errors()
    for i, meter in enumerate(singles):
        view = fleet.meter(i)
        assert view.read(ERRORS).value == meter.read(ERRORS).value
        assert view.read(ALARMS).value == meter.read(ALARMS).value
        assert fleet.tamper.active[i].tolist() == list(meter.function(Tamper).active.values())


def test_set_tamper_is_validated_as_the_single_meter_and_changes_nothing_when_refused():
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    with pytest.raises(ConfigError, match="tamper source"):
        fleet.set_tamper("door", opened=True)
    with pytest.raises(ConfigError, match="meter_cover state"):
        fleet.set_tamper("meter_cover")
    with pytest.raises(ConfigError, match="tamper meters"):
        fleet.set_tamper("magnetic", active=True, meters=[N])
    with pytest.raises(ConfigError, match="alarm register"):
        fleet.meter(0).objects.lookup(ALARMS).set(-1)
    assert not fleet.tamper.active.any() and not fleet.tamper.alarms.any()
    assert fleet.tamper.inputs_of(0) == []


def test_switches_are_kept_with_their_instants_saved_and_replayed_into_the_fraud_log(tmp_path):
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    fleet.advance_to(START + 900.0)
    fleet.set_tamper("terminal_cover", opened=True)
    fleet.advance_to(START + 1000.0)
    fleet.set_tamper("terminal_cover", opened=False, meters=[1])
    fleet.meter(2).objects.lookup(ALARMS).set(0)
    assert fleet.tamper.inputs_of(1) == [
        (START + 900.0, "terminal_cover", True),
        (START + 1000.0, "terminal_cover", False),
    ]
    fleet.save(tmp_path / "fleet.npz")
    again = Fleet.load(tmp_path / "fleet.npz", MeterConfig.default())
    for i in range(N):
        assert again.tamper.inputs_of(i) == fleet.tamper.inputs_of(i)
        for obis in (ERRORS, ALARMS, FRAUD):
            assert again.meter(i).read(obis) == fleet.meter(i).read(obis)
    assert [code for _, code in again.meter(1).read(FRAUD).rows] == [40, 41]
    assert again.meter(2).read(ALARMS).value == 0
    assert again.meter(1).read(ALARMS).value == Alarm.TERMINAL_COVER


def test_a_state_before_the_tamper_arrays_takes_over_its_journaled_alarm_writes():
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    fleet.add_outage(START + 100.0, START + 200.0, [0, 1])
    fleet.advance_to(START + 3600.0)
    fleet.writes.append(TwinWrite(START + 150.0, 0, ALARMS, "set", (8,)))
    fleet.writes.append(TwinWrite(START + 300.0, 1, ALARMS, "set", (16,)))
    fleet.tamper.begin(fleet.t)
    assert [fleet.meter(i).read(ALARMS).value for i in range(N)] == [
        8 | Alarm.POWER_UP,  # the power came back after that write
        16,
        0,
    ]
    assert np.isinf(fleet.tamper.written[2])
