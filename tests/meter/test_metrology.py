"""Metrology: P/Q/S/PF/quadrants per phase, harmonics, Aron elements, starting current, voltage loss."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from k351c.meter.metrology import (
    PHASE_ANGLES,
    PhaseInputs,
    aron_voltage,
    measure,
    no_load_threshold,
    power_factor,
    quadrant,
    starting_current,
)


def inputs(u=230.0, i=5.0, angle=0.0, f=50.0, harmonics=None, n=1) -> PhaseInputs:
    def tri(x):
        return np.tile(np.broadcast_to(np.asarray(x, float), (3,)), (n, 1))

    h = None
    if harmonics is not None:
        h = np.broadcast_to(
            np.asarray(harmonics, float)[None, None], (n, 3, len(harmonics), 4)
        ).copy()
    return PhaseInputs(tri(u), tri(i), tri(angle), np.full(n, f), harmonics=h)


@pytest.mark.parametrize(
    ("angle", "quad", "pf"),
    [
        (0, 1, 1.0),
        (60, 1, 0.5),
        (120, 2, -0.5),
        (179, 2, -0.99985),
        # pure export: Q = U I sin(pi) = +1.4e-13 var (the double nearest pi is below pi), Q >= 0 -> II
        (180, 2, -1.0),
        (181, 3, -0.99985),
        (240, 3, -0.5),
        (300, 4, 0.5),
        (-36.87, 4, 0.8),
        (90, 1, 0.0),
    ],
)
def test_quadrant_and_iec_power_factor_sign(angle, quad, pf):
    m = measure(inputs(angle=angle))
    assert m.quadrant_total[0] == quad
    assert m.pf_total[0] == pytest.approx(pf, abs=1e-3)
    assert (m.quadrants[0] == m.quadrant_total[0]).all()


def test_quadrant_and_power_factor_edge_values():
    assert quadrant(np.array([0.0]), np.array([0.0]))[0] == 0
    assert power_factor(np.array([0.0]), np.array([0.0]))[0] == 1.0
    assert quadrant(np.array([-1.0, -1.0, 1.0]), np.array([1.0, -1.0, -1.0])).tolist() == [2, 3, 4]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(180, 280), min_size=3, max_size=3),
    st.lists(st.floats(0.02, 6.0), min_size=3, max_size=3),
    st.lists(st.floats(-180, 180), min_size=3, max_size=3),
)
def test_star_powers_are_u_i_cos_and_sin(u, i, a):
    m = measure(PhaseInputs(np.array([u]), np.array([i]), np.array([a]), np.array([50.0])))
    ui = np.array(u) * np.array(i)
    np.testing.assert_allclose(m.p[0], ui * np.cos(np.radians(a)), atol=1e-9)
    np.testing.assert_allclose(m.q[0], ui * np.sin(np.radians(a)), atol=1e-9)
    np.testing.assert_allclose(m.s[0], ui)
    assert m.s_total[0] <= m.s[0].sum() + 1e-9


@pytest.mark.parametrize(
    ("klass", "ist"), [("B", 0.01), ("C", 0.005), ("1", 0.01), ("0.5", 0.005), ("2", 0.015)]
)
def test_starting_current_per_class(klass, ist):
    assert starting_current(klass) == pytest.approx(ist)
    assert measure(inputs(i=ist), meter_class=klass).p_total[0] == pytest.approx(3 * 230 * ist)
    assert measure(inputs(i=0.99 * no_load_threshold(klass)), meter_class=klass).p_total[0] == 0.0


def test_a_lost_phase_measures_nothing_but_the_meter_stays_powered():
    m = measure(
        PhaseInputs(
            np.array([[230.0, 0.0, 230.0]]),
            np.full((1, 3), 5.0),
            np.zeros((1, 3)),
            np.array([50.0]),
        )
    )
    assert m.p[0].tolist() == [1150.0, 0.0, 1150.0]
    assert m.s[0].tolist() == [1150.0, 0.0, 1150.0]
    assert m.current[0].tolist() == [5.0, 5.0, 5.0]  # the CT still carries L2's current
    assert m.powered[0]
    off = measure(inputs(u=0.0, f=60.0))
    assert not off.powered[0]
    assert off.current[0].tolist() == [0.0, 0.0, 0.0] and off.frequency[0] == 0.0


def test_current_without_voltage_through_the_meter_and_60_hz_without_supply():
    from k351c import ConstantLoad, Meter, MeterConfig, SimClock
    from k351c.meter.scenario import ScenarioLoad, Window

    t0 = 1767225600.0
    config = MeterConfig.from_codes(type_number="685-45BC423-070")
    meter = Meter(config, clock=SimClock(t0, rate=0))
    assert meter.read("1-0:14.7.0.255").value == pytest.approx(60.0)  # idle supply: nominal
    windows = [
        Window(t0 + 60, t0 + 120, (1,), voltage=0.0),
        Window(t0 + 200, t0 + 300, voltage=0.0),
    ]
    meter.set_load(ScenarioLoad(ConstantLoad(current=3.0, frequency=60.0), windows))
    meter.run_for(90)
    assert meter.read("1-1:51.7.0.255").value == pytest.approx(3.0)  # L2 current, no L2 voltage
    assert meter.read("1-1:52.7.0.255").value == 0.0
    assert meter.read("1-1:41.7.0.255").value == 0.0  # no power without voltage
    assert meter.read("1-0:14.7.0.255").value == pytest.approx(60.0)
    meter.run_for(160)
    assert meter.read("1-0:14.7.0.255").value == 0.0  # no supply: nothing to measure
    assert meter.read("1-1:31.7.0.255").value == 0.0


def test_harmonics_add_active_power_and_rms():
    m = measure(inputs(i=3.0, harmonics=[(5, 23.0, 1.2, 0.0)]))
    assert m.p[0, 0] == pytest.approx(230 * 3 + 23 * 1.2)
    assert m.voltage[0, 0] == pytest.approx(math.hypot(230, 23))
    assert m.current[0, 0] == pytest.approx(math.hypot(3, 1.2))
    assert m.q[0, 0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(("order", "sign"), [(3, -1), (5, 1), (7, -1), (9, 1)])
def test_quarter_period_delay_reactive_sign_pattern_of_odd_harmonics(order, sign):
    m = measure(inputs(i=0.0, harmonics=[(order, 10.0, 1.0, 90.0)]))
    assert m.q[0, 0] == pytest.approx(sign * 10.0)


def test_measure_is_vectorised():
    n = 10_000
    m = measure(inputs(i=np.array([1.0, 2.0, 3.0]), angle=30.0, n=n))
    assert m.p.shape == (n, 3)
    assert m.p_total[-1] == pytest.approx(230 * 6 * math.cos(math.radians(30)))


def test_take_keeps_optional_fields():
    x = inputs(harmonics=[(5, 1.0, 1.0, 0.0)], n=4)
    assert x.take(2).harmonics.shape == (1, 3, 1, 4)
    assert x.take(slice(1, 3)).n == 2
    assert x.take(np.array([0, 0, 3])).harmonics.shape == (3, 3, 1, 4)


def _three_wire(i1, phi1, i3, phi3):
    c1 = i1 * np.exp(1j * (PHASE_ANGLES[0] - np.radians(phi1)))
    c3 = i3 * np.exp(1j * (PHASE_ANGLES[2] - np.radians(phi3)))
    c = np.array([c1, -(c1 + c3), c3])
    return np.abs(c), np.degrees(PHASE_ANGLES - np.angle(c))


@settings(max_examples=200, deadline=None)
@given(st.floats(0.1, 6), st.floats(-180, 180), st.floats(0.1, 6), st.floats(-180, 180))
def test_aron_totals_equal_the_three_wire_load(i1, phi1, i3, phi3):
    cur, ang = _three_wire(i1, phi1, i3, phi3)
    assume(cur.min() > 0.02)
    x = PhaseInputs(np.full((1, 3), aron_voltage()), cur[None], ang[None], np.array([50.0]))
    star, aron = measure(x), measure(x, aron=True)
    assert aron.p_total[0] == pytest.approx(star.p_total[0], abs=1e-6)
    assert aron.q_total[0] == pytest.approx(star.q_total[0], abs=1e-6)


@pytest.mark.parametrize("phi", [0.0, 25.8, 60.0, -36.87])
def test_aron_elements_follow_the_two_wattmeter_formula(phi):
    x = inputs(u=aron_voltage(), angle=phi)
    m = measure(x, aron=True)
    assert m.voltage[0].tolist() == pytest.approx([230.0, 230.0, 230.0])  # U12, U31, U32
    assert m.current[0].tolist() == pytest.approx([5.0, 5.0, 5.0])  # I1, -(I1 + I3), I3
    element_1 = 230 * 5 * math.cos(math.radians(30 + phi))
    element_3 = 230 * 5 * math.cos(math.radians(30 - phi))
    assert m.p_total[0] == pytest.approx(element_1 + element_3)
    assert m.p_total[0] == pytest.approx(math.sqrt(3) * 230 * 5 * math.cos(math.radians(phi)))
    # per phase: the virtual star point, so every phase of a balanced load reads its own PF
    assert m.p[0].tolist() == pytest.approx([aron_voltage() * 5 * math.cos(math.radians(phi))] * 3)
    assert m.pf[0].tolist() == pytest.approx([math.cos(math.radians(phi))] * 3)
    assert m.pf_total[0] == pytest.approx(math.cos(math.radians(phi)))


def test_aron_resistive_load_reads_pf_one_and_no_l2_failure_through_the_meter():
    from k351c import ConstantLoad, Meter, MeterConfig, SimClock

    config = MeterConfig.from_codes(type_number="685-25BC423-070")
    meter = Meter(config, clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    meter.set_load(ConstantLoad(voltage=aron_voltage(230.0), current=4.0, angle=0.0))
    meter.run_for(3600)
    for c in (13, 33, 53, 73):
        assert meter.read(f"1-0:{c}.7.0.255").value == pytest.approx(1.0)
    assert [meter.read(f"1-0:{c}.7.0.255").value for c in (32, 52, 72)] == pytest.approx(
        [230.0] * 3, abs=0.05
    )
    assert [meter.read(f"1-0:{c}.40.0.255").value for c in (32, 52, 72)] == [0, 0, 0]
    assert meter.read("0-0:96.7.21.255").value == 0
    assert meter.function("quality").supply_indicator == (True, True, True)
    assert meter.read("1-0:1.7.0.255").value == pytest.approx(math.sqrt(3) * 230 * 4, abs=1)
    assert meter.read("1-0:9.7.0.255").value == pytest.approx(math.sqrt(3) * 230 * 4, abs=1)


def test_aron_unbalanced_three_wire_phases_sum_to_the_elements():
    x = PhaseInputs(
        np.full((1, 3), aron_voltage()),
        np.array([[5.0, 3.0, 4.0]]),
        np.array([[10.0, 40.0, -20.0]]),
        np.array([50.0]),
    )
    m = measure(x, aron=True)
    uc = aron_voltage() * np.exp(1j * PHASE_ANGLES)
    ic = x.current[0] * np.exp(1j * (PHASE_ANGLES - np.radians(x.angle[0])))
    elements = (uc[0] - uc[1]) * np.conj(ic[0]) + (uc[2] - uc[1]) * np.conj(ic[2])
    assert m.p_total[0] == pytest.approx(elements.real)
    assert m.p[0].sum() == pytest.approx(elements.real)
    assert m.current[0, 1] == pytest.approx(abs(ic[0] + ic[2]))  # I2 derived by Kirchhoff
    assert m.s_total[0] == pytest.approx(m.s[0].sum())


def test_apparent_power_is_arithmetic_so_totals_agree_under_harmonics_and_unbalance():
    x = PhaseInputs(
        np.array([[230.0, 225.0, 238.0]]),
        np.array([[5.0, 1.0, 3.0]]),
        np.array([[0.0, 60.0, -30.0]]),
        np.array([50.0]),
        harmonics=np.array([[[[5, 6.0, 1.5, 20.0]], [[3, 4.0, 0.4, 0.0]], [[7, 2.0, 0.9, 90.0]]]]),
    )
    m = measure(x)
    assert m.s[0].tolist() == pytest.approx((m.voltage[0] * m.current[0]).tolist())
    assert m.s_total[0] == pytest.approx(m.s[0].sum())
    assert m.pf_total[0] == pytest.approx(m.p[0].sum() / m.s[0].sum())
    assert m.pf[0].min() <= m.pf_total[0] <= m.pf[0].max()
    assert m.s_total[0] > math.hypot(m.p_total[0], m.q_total[0])  # not the vector definition


def test_aron_with_harmonics_keeps_the_total():
    x = inputs(u=aron_voltage(), i=4.0, angle=20.0, harmonics=[(5, 5.0, 0.8, 10.0)])
    assert measure(x, aron=True).p_total[0] == pytest.approx(measure(x).p_total[0])


def test_direct_power_inputs_pass_through_with_the_thresholds():
    p = np.array([[100.0, -50.0, 0.0]])
    x = PhaseInputs(
        np.full((1, 3), 230.0),
        np.array([[1.0, 1.0, 0.001]]),
        np.zeros((1, 3)),
        np.array([50.0]),
        p=p,
        q=np.array([[10.0, 20.0, 30.0]]),
    )
    m = measure(x)
    assert m.p[0].tolist() == [100.0, -50.0, 0.0]
    assert m.q[0].tolist() == [10.0, 20.0, 0.0]
