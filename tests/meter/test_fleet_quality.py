"""Voltage quality over arrays: the rule for N meters equals N one-meter runs; fleet inputs and state.

The rule (k351c.meter.quality_rule) is what the single meter's VoltageQuality runs on one row and
the fleet's FleetQuality on blocks of meters, so a block of N random voltage traces must give each
meter exactly what a run of that trace alone gives: extremes and their instants, counters,
durations, running conditions and the events in order. The fleet-against-Meter comparison of every
object is the matrix (tests/meter/test_fleet_matrix.py, cases voltage-quality*).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.errors import ConfigError
from k351c.meter.quality_rule import Limits, QualityArrays, advance

START = parse_instant("2026-03-01T00:00:00Z").timestamp()
LEVELS = [0.0, 90.0, 180.0, 206.9, 207.0, 215.0, 230.0, 253.0, 253.1, 270.0]  # lost, under, over
NORMAL = [207.0, 215.0, 230.0, 253.0]
DURATIONS = [1.0, 30.0, 59.0, 60.0, 61.0, 300.0, 900.0]


@st.composite
def traces(draw):
    """N meters' voltage traces of the same number of spans, each with its own times and limits."""
    n = draw(st.integers(1, 5))
    m = draw(st.integers(1, 12))
    volts = np.array(
        [  # some meters stay in band all along: the rule leaves them aside
            draw(st.lists(st.sampled_from(draw(st.sampled_from([LEVELS, NORMAL]))), min_size=m * 3, max_size=m * 3))
            for _ in range(n)
        ]
    )
    durations = np.array(draw(st.lists(st.sampled_from(DURATIONS), min_size=n * m, max_size=n * m)))
    supplied = np.array(draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m)))
    under = np.array(draw(st.lists(st.sampled_from([200.0, 207.0, 220.0]), min_size=n, max_size=n)))
    cut = draw(st.integers(1, m))  # the spans are run as two steps split here
    times = START + np.concatenate([np.zeros((n, 1)), np.cumsum(durations.reshape(n, m), axis=1)], 1)
    return volts.reshape(n, m, 3), times, supplied.reshape(n, m) | (volts.reshape(n, m, 3) > 0).all(2), under, cut


def _run(volts, times, supplied, under, cut, rows):
    """Run the rule on some meters (rows) in two steps; their state and events per meter."""
    n = len(rows)
    state = QualityArrays.empty(n, START)
    limits = Limits(under[rows], np.full(n, 253.0), 115.0, 60.0)
    events: list[list[tuple[float, int, int, bool]]] = [[] for _ in range(n)]

    def emit(hit, t, kind, p, start):
        for r, at in zip(hit.tolist(), t.tolist(), strict=True):
            events[r].append((at, kind, p, start))

    for span in (slice(0, cut), slice(cut, None)):
        part = volts[rows][:, span]
        if part.shape[1] == 0:
            continue
        m = volts.shape[1]
        starts, end = times[rows][:, :m][:, span], times[rows][:, span.stop or m]
        advance(state, limits, part, starts, supplied[rows][:, span], end, emit)
    return state, events


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traces())
def test_the_rule_over_n_meters_equals_n_one_meter_runs(trace):
    volts, times, supplied, under, cut = trace
    n = volts.shape[0]
    together, events = _run(volts, times, supplied, under, cut, np.arange(n))
    for i in range(n):
        alone, own = _run(volts, times, supplied, under, cut, np.array([i]))
        for name in QualityArrays.__slots__:
            np.testing.assert_array_equal(getattr(together, name)[i], getattr(alone, name)[0], name)
        assert events[i] == own[0]


@pytest.mark.parametrize(("seconds", "count"), [(59.0, 0), (60.0, 1)])
def test_a_sag_counts_when_it_lasts_the_minimum_duration(seconds, count):
    volts = np.array([[[230.0] * 3, [200.0, 230.0, 230.0], [230.0] * 3]])
    times = START + np.array([[0.0, 100.0, 100.0 + seconds, 1000.0]])
    state, events = _run(volts, times, np.ones((1, 3), bool), np.array([207.0]), 3, np.array([0]))
    assert state.counts[0, 0, 0] == count and len(events[0]) == 2 * count


def test_a_sag_counts_once_it_lasted_the_minimum_and_is_dated_then():
    volts = np.array([[[230.0] * 3, [200.0, 230.0, 230.0], [230.0] * 3]])
    times = START + np.array([[0.0, 100.0, 400.0, 500.0]])
    state, events = _run(volts, times, np.ones((1, 3), bool), np.array([207.0]), 3, np.array([0]))
    assert state.counts[0, 0].tolist() == [1, 0, 0] and state.durations[0, 0, 0] == 300.0
    assert events[0] == [(START + 160.0, 1, 0, True), (START + 400.0, 1, 0, False)]
    assert state.vmin[0, 0] == 200.0 and state.vmin_t[0, 0] == START + 100.0


def _fleet() -> Fleet:
    return Fleet(MeterConfig.default(), meters=3, start=START)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("voltage event phases", {"phases": (4,)}),
        ("voltage event phases", {"phases": ()}),
        ("voltage event level", {"level": -0.1}),
        ("voltage event level", {"phases": (1, 2, 3), "level": 0.3}),  # every phase lost: an outage
        ("voltage event meters", {"meters": [3]}),
        ("voltage event t0", {"t0": START - 1.0}),
        ("voltage event", {"t1": START + 100.0}),
    ],
)
def test_a_bad_voltage_event_is_refused_by_name(field, kwargs):
    fleet = _fleet()
    args = {"t0": START + 100.0, "t1": START + 200.0, "meters": [0], "phases": (1,), "level": 0.8}
    with pytest.raises(ConfigError, match=field):
        fleet.add_voltage_event(**(args | kwargs))
    assert fleet.quality.voltage_events.events == []


def test_overlapping_voltage_events_on_a_meter_are_refused():
    fleet = _fleet()
    fleet.add_voltage_event(START + 100.0, START + 500.0, [0, 1], (1,), 0.8)
    with pytest.raises(ConfigError, match="overlap"):
        fleet.add_voltage_event(START + 400.0, START + 600.0, [1], (2,), 0.8)
    fleet.add_voltage_event(START + 400.0, START + 600.0, [2], (2,), 0.8)  # another meter


def test_voltage_events_limits_and_state_survive_a_restart(tmp_path):
    fleet = _fleet()
    fleet.add_voltage_event(START + 1000.0, START + 1600.0, [1], (1, 2), 0.85)
    fleet.add_voltage_event(START + 90000.0, START + 93600.0, [0, 2], (3,), 0.0)
    fleet.run_for(3600.0)
    fleet.meter(2).objects.lookup("1-0:12.35.0.255").set(2450)
    fleet.run_for(86400.0)
    fleet.save(tmp_path / "fleet.npz")
    again = Fleet.load(tmp_path / "fleet.npz", MeterConfig.default())
    assert len(again.quality.voltage_events.events) == 2
    for f in (fleet, again):
        f.run_for(2 * 3600.0 + 7.0)
    for i in range(3):
        for obis in ("1-0:12.35.0.255", "1-0:32.32.0.255", "1-0:72.41.0.255", "1-0:52.3.0.255", "1-0:52.6.0.255"):
            assert again.meter(i).read(obis) == fleet.meter(i).read(obis)
    assert again.meter(1).read("1-0:32.32.0.255").value == 1
    assert again.meter(2).read("1-0:72.40.0.255").value == 1 and again.meter(2).read("1-0:12.35.0.255").value == 245.0
    single = Meter(again.meter(2).config, clock=SimClock(START, rate=0), load=again.meter(2).load)
    single.run_for(3600.0)
    single.objects.lookup("1-0:12.35.0.255").set(2450)
    single.run_for(86400.0 + 2 * 3600.0 + 7.0)
    for obis in ("1-0:72.40.0.255", "1-0:72.41.0.255", "1-0:1.8.0.255", "0-0:99.98.4.255", "0-0:99.98.0.255"):
        assert again.meter(2).read(obis) == single.read(obis)


def test_reading_quality_builds_no_twin():
    fleet = _fleet()
    fleet.add_voltage_event(START + 1000.0, START + 1600.0, [1], (1,), 0.8)
    fleet.run_for(86400.0 + 123.0)
    view = fleet.meter(1)
    for c in (32, 52, 72):
        for d in (3, 6, 32, 33, 36, 37, 40, 41):
            view.read(f"1-0:{c}.{d}.0.255")
    view.read("0-0:96.7.21.255")
    view.objects.lookup("1-0:32.3.0.255").reset()
    view.objects.lookup("1-0:12.31.0.255").set(2200)
    assert len(fleet.twins) == 0
