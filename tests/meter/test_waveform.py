"""Sampled-waveform metrology: rms, P = mean(u i), Q by quarter-period delay, zero-crossing frequency."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.loads import HarmonicLoad
from k351c.meter.metrology import aron_voltage, measure
from k351c.meter.waveform import (
    WaveformLoad,
    analyse,
    rising_zero_crossings,
    synthesize,
    zero_crossing_frequency,
)

FS = 10_000.0


def close(a, b, rel=2e-4, abs_=1e-3):
    np.testing.assert_allclose(a, b, rtol=rel, atol=abs_)


@pytest.mark.parametrize("f", [50.0, 60.0, 49.5, 61.2])
@pytest.mark.parametrize("angle", [0.0, 60.0, -36.87, 150.0, 250.0])
def test_waveform_matches_phasor_metrology(f, angle):
    load = ConstantLoad(voltage=(230, 225, 235), current=(5.0, 2.0, 0.5), angle=angle, frequency=f)
    u, i = synthesize(load.inputs(1), FS, 0.5)
    w = analyse(u, i, FS)
    m = measure(load.inputs(1))
    close(w.voltage, m.voltage[0])
    close(w.current, m.current[0])
    close(w.p, m.p[0], abs_=0.05)
    close(w.q, m.q[0], abs_=0.05)
    assert w.frequency == pytest.approx(f, rel=1e-5)
    if angle != 0.0:
        assert w.quadrant_total == int(m.quadrant_total[0])
    assert w.pf_total == pytest.approx(float(m.pf_total[0]), abs=1e-4)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.5, 6.0),
    st.floats(-180, 180),
    st.sampled_from([3, 5, 7, 11]),
    st.floats(0, 0.1),
    st.floats(0, 0.4),
    st.floats(-180, 180),
)
def test_harmonics_waveform_equals_phasor_formula(i1, phi, order, u_frac, i_frac, phih):
    load = HarmonicLoad(
        ConstantLoad(current=i1, angle=phi), ((order, 230 * u_frac, i1 * i_frac, phih),)
    )
    u, i = synthesize(load.inputs(1), FS, 0.3)
    w = analyse(u, i, FS)
    m = measure(load.inputs(1))
    close(w.p, m.p[0], rel=1e-3, abs_=0.3)
    close(w.q, m.q[0], rel=1e-3, abs_=0.5)
    close(w.voltage, m.voltage[0], rel=1e-4)
    close(w.current, m.current[0], rel=1e-4)


def test_fifth_harmonic_current_changes_rms_but_not_p_without_harmonic_voltage():
    load = HarmonicLoad(ConstantLoad(current=5.0), ((5, 0.0, 0.5, 0.0),))
    w = analyse(*synthesize(load.inputs(1), FS, 0.2), FS)
    close(w.p, [1150.0] * 3, abs_=0.05)
    close(w.current, [np.hypot(5, 0.5)] * 3)
    assert (w.pf < 1).all()


def test_zero_crossings_and_frequency():
    t = np.arange(4000) / FS
    x = np.sin(2 * np.pi * 50.0 * t + 0.3)
    tc = rising_zero_crossings(x, FS)
    np.testing.assert_allclose(np.diff(tc), 0.02, atol=1e-6)
    assert zero_crossing_frequency(x, FS) == pytest.approx(50.0, rel=1e-6)
    assert zero_crossing_frequency(np.ones(100), FS) == 0.0


def test_no_signal_measures_zero():
    w = analyse(np.zeros((3, 1000)), np.zeros((3, 1000)), FS)
    assert w.frequency == 0.0 and w.p_total == 0.0


def test_aron_waveform_elements():
    load = ConstantLoad(voltage=aron_voltage(), current=5.0, angle=30.0)
    w = analyse(*synthesize(load.inputs(1), FS, 0.2), FS, aron=True)
    m = measure(load.inputs(1), aron=True)
    close(w.p, m.p[0], abs_=0.05)
    close(w.q, m.q[0], abs_=0.05)
    close(w.voltage, m.voltage[0])


def test_phase_inputs_from_a_window_give_the_same_measurement():
    load = HarmonicLoad(ConstantLoad(current=3.0, angle=25.0), ((5, 10.0, 0.6, 40.0),))
    w = analyse(*synthesize(load.inputs(1), FS, 0.2), FS)
    m = measure(w.to_phase_inputs())
    close(m.p[0], w.p)
    close(m.q[0], w.q)


def test_waveform_load_windows_repeat_and_feed_the_meter():
    a = synthesize(ConstantLoad(current=5.0).inputs(1), FS, 0.2)
    b = synthesize(ConstantLoad(current=1.0).inputs(1), FS, 0.2)
    load = WaveformLoad(np.hstack([a[0], b[0]]), np.hstack([a[1], b[1]]), FS, window=0.2)
    seg = load.segments(0.0, 1.0)
    assert seg.times.tolist() == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    close(measure(seg.inputs).p_total, [3450, 690, 3450, 690, 3450], abs_=0.5)
    meter = Meter(
        MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0), functions=[]
    )
    meter.set_load(load)
    meter.run_for(3600)
    assert meter.read("1-0:1.8.0.255").value == pytest.approx((3450 + 690) / 2, abs=1)
