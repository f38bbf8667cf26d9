"""Load sources: pure functions of (seed, time); schedules, BDEW profiles with PV, replay."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.loads import grid_times, hash_normal, hash_uniform
from k351c.meter.loads_profile import BdewLoad, bdew_shares, clear_sky, household_load
from k351c.meter.loads_replay import ReplayLoad
from k351c.meter.loads_schedule import ScheduleLoad, StepLoad
from k351c.meter.metrology import measure

T0 = 1767225600.0  # 2026-01-01T00:00:00Z
JUNE = 1780272000.0  # 2026-06-01T00:00:00Z


def energy_wh(load, t0, t1):
    seg = load.segments(t0, t1)
    return float(measure(seg.inputs).p_total @ seg.durations) / 3600.0


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e6, 1e9), st.floats(0.001, 1e5), st.sampled_from([1.0, 60.0, 900.0]))
def test_grid_times_split_exactly_on_the_grid(t0, length, resolution):
    t1 = t0 + length
    times = grid_times(t0, t1, resolution)
    assert times[0] == t0 and times[-1] == t1
    assert (np.diff(times) > 0).all()
    inner = times[1:-1]
    np.testing.assert_allclose(inner / resolution, np.round(inner / resolution), atol=1e-6)
    assert (np.diff(times) <= resolution + 1e-6).all()


def test_counter_hash_is_independent_per_index():
    idx = np.arange(10_000)
    batch = hash_uniform(7, 3, idx)
    one = np.array([hash_uniform(7, 3, np.array([k]))[0] for k in (0, 17, 9999)])
    np.testing.assert_array_equal(batch[[0, 17, 9999]], one)
    assert 0 < batch.min() and batch.max() < 1
    assert abs(batch.mean() - 0.5) < 0.01
    assert not np.array_equal(batch, hash_uniform(8, 3, idx))
    z = hash_normal(1, 0, idx)
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05


def test_step_load_splits_at_the_step():
    load = StepLoad(at=T0 + 100, before=ConstantLoad(current=1.0), after=ConstantLoad(current=2.0))
    seg = load.segments(T0, T0 + 200)
    assert seg.times.tolist() == [T0, T0 + 100, T0 + 200]
    assert seg.inputs.current[:, 0].tolist() == [1.0, 2.0]
    assert load.segments(T0 + 150, T0 + 160).inputs.current[0, 0] == 2.0


def test_schedule_steps_and_ramps_integrate_exactly():
    points = [
        (0, ConstantLoad(current=0.0)),
        (3600, ConstantLoad(current=6.0)),
        (7200, ConstantLoad(current=6.0)),
    ]
    step = ScheduleLoad(points, origin=T0)
    ramp = ScheduleLoad(points, ramp=True, resolution=60.0, origin=T0)
    assert energy_wh(step, T0, T0 + 7200) == pytest.approx(3 * 230 * 6)
    assert energy_wh(ramp, T0, T0 + 7200) == pytest.approx(3 * 230 * 6 * 1.5, rel=1e-3)
    assert energy_wh(ramp, T0 - 500, T0 + 10000) == pytest.approx(
        energy_wh(ramp, T0, T0 + 7200) + 3 * 230 * 6 * 2800 / 3600
    )
    seg = ramp.segments(T0, T0 + 3600)
    assert seg.inputs.n == 60


def test_schedule_accepts_iso_instants():
    load = ScheduleLoad(
        [
            ("2026-01-01T01:00:00Z", ConstantLoad(current=2.0)),
            ("2026-01-01T00:00:00Z", ConstantLoad(current=1.0)),
        ]
    )
    assert load.segments(T0 + 10, T0 + 20).inputs.current[0, 0] == 1.0
    assert load.segments(T0 + 3610, T0 + 3620).inputs.current[0, 0] == 2.0


def test_bdew_profile_is_a_pure_function_of_seed_and_time():
    a = BdewLoad("h0", seed=4)
    b = BdewLoad("h0", seed=4)
    whole = a.segments(T0, T0 + 86400)
    assert whole.inputs.n == 96
    part = b.segments(T0 + 3 * 3600 + 100, T0 + 3 * 3600 + 200)
    np.testing.assert_allclose(part.inputs.current[0], whole.inputs.current[12])
    other = BdewLoad("h0", seed=5).segments(T0, T0 + 86400)
    assert not np.allclose(other.inputs.current, whole.inputs.current)


def test_bdew_segments_split_at_the_quarter_hours():
    seg = BdewLoad("g0").segments(T0 + 100, T0 + 2000)
    assert seg.times.tolist() == [T0 + 100, T0 + 900, T0 + 1800, T0 + 2000]


def test_bdew_annual_energy_scaling_with_the_ct_ratio():
    year = BdewLoad("h0", seed=1, annual_kwh=40_000.0, ct_ratio=20.0)
    wh = energy_wh(year, T0, T0 + 365 * 86400)
    assert wh / 1000 == pytest.approx(2000.0, rel=0.02)


@pytest.mark.parametrize("profile", ["h0", "g0", "g1", "g4", "g6"])
def test_bdew_profiles_are_shares_of_the_year(profile):
    shares = bdew_shares(2026, "DE")[profile]
    assert shares.size == 35040
    assert shares.sum() == pytest.approx(1.0)


def test_commercial_profile_is_low_on_sundays():
    load = BdewLoad("g1", noise=0.0)
    sunday = T0 + 3 * 86400  # 2026-01-04
    monday = sunday + 86400
    assert energy_wh(load, sunday, sunday + 86400) < 0.5 * energy_wh(load, monday, monday + 86400)


def test_pv_export_makes_a_minus_and_quadrants_two_and_three():
    load = BdewLoad("h0", seed=2, pv_peak=12_000.0)
    seg = load.segments(JUNE, JUNE + 30 * 86400)
    m = measure(seg.inputs)
    quads = set(m.quadrant_total.tolist())
    assert {2, 3} <= quads and 1 in quads
    hours = ((seg.times[:-1] % 86400) / 3600).astype(int)
    assert (m.p_total[(hours < 2)] > 0).all()
    assert clear_sky(np.array([JUNE + 11 * 3600]), 56, 10)[0] > 0.5
    assert clear_sky(np.array([JUNE + 23 * 3600]), 56, 10)[0] == 0.0


def test_default_load_is_a_household_scaled_for_the_ct_meter():
    config = MeterConfig.default()
    load = household_load(config, seed=3)
    assert isinstance(load, BdewLoad) and load.profile == "h0"
    m = measure(load.segments(T0, T0 + 7 * 86400).inputs)
    assert 0.05 < m.current.max() <= 6.0
    assert (m.p_total > 0).all()
    meter = Meter(config, clock=SimClock("2026-01-01T00:00:00Z", rate=0), load=load)
    meter.run_for(86400)
    assert meter.read("1-0:1.8.0.255").value == pytest.approx(
        energy_wh(load, T0, T0 + 86400), abs=1
    )


def test_aron_default_load_is_a_balanced_three_wire_load():
    config = MeterConfig.from_codes(type_number="685-25BC423-070")
    seg = household_load(config, seed=1).segments(T0, T0 + 86400)
    assert np.allclose(seg.inputs.current, seg.inputs.current[:, :1])
    star, aron = measure(seg.inputs), measure(seg.inputs, aron=True)
    np.testing.assert_allclose(aron.p_total, star.p_total, rtol=1e-9)


def _frame():
    times = pd.date_range("2026-01-01T00:00:00Z", periods=4, freq="15min")
    return pd.DataFrame(
        {
            "time": times.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "u1": 230.0,
            "u2": 231.0,
            "u3": 229.0,
            "i1": [1.0, 2.0, 3.0, 4.0],
            "i2": 1.0,
            "i3": 0.0,
            "angle1": 0.0,
            "angle2": 60.0,
            "angle3": 0.0,
        }
    )


def test_replay_from_csv_holds_rows_and_stops_after_the_record(tmp_path):
    path = tmp_path / "load.csv"
    _frame().to_csv(path, index=False)
    load = ReplayLoad.from_file(path)
    seg = load.segments(T0 - 100, T0 + 5000)
    assert seg.times.tolist() == [
        T0 - 100,
        T0,
        T0 + 900,
        T0 + 1800,
        T0 + 2700,
        T0 + 3600,
        T0 + 5000,
    ]
    assert seg.inputs.current[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 0.0]
    assert energy_wh(load, T0, T0 + 3600) == pytest.approx(230 * 10 / 4 + 231 * 0.5)


def test_replay_from_parquet_with_totals_and_loop(tmp_path):
    frame = pd.DataFrame({"time": [T0, T0 + 900], "p": [3000.0, -1500.0], "q": [900.0, 0.0]})
    path = tmp_path / "load.parquet"
    frame.to_parquet(path)
    load = ReplayLoad.from_file(path, loop=True)
    m = measure(load.segments(T0 + 1800, T0 + 3600).inputs)
    assert m.p_total.tolist() == pytest.approx([3000.0, -1500.0])
    assert m.q_total[0] == pytest.approx(900.0)
    assert energy_wh(load, T0, T0 + 86400) == pytest.approx(24 * 750.0)


def test_replay_needs_known_columns():
    with pytest.raises(ValueError):
        ReplayLoad.from_frame(pd.DataFrame({"time": [0.0], "x": [1.0]}))
