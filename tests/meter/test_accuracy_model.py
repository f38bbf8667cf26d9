"""The meter's own error ([metrology] accuracy): every influence quantity inside the class limits.

The error curves are read through ``error_at`` (which runs ``measure``, the path the meter
registers with) for a thousand serial numbers at once, and compared with the limits of
EN 50470-3 (B, C), IEC 62053-21/22 and IEC 62053-23 class 2 and the MID composite MPE. The
whole-meter tests count registers and LED pulses against the analytic energy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.codes import accuracy_limits as lim
from k351c.codes.configfile import load, load_text
from k351c.codes.metrology import Metrology
from k351c.errors import ConfigError
from k351c.meter.accuracy import error_at
from k351c.meter.loads import HarmonicLoad
from k351c.meter.metrology import starting_current

EPOCH = "2026-01-01T00:00:00Z"
TYPES = {"B": "685-35BC423-070", "C": "685-35CC423-070"}
SERIALS = 10_000_000 + np.arange(1000)
KINDS = ("typical", "class-limit")
PF_ANGLES = {"1": 0.0, "0.5L": 60.0, "0.8C": -math.degrees(math.acos(0.8)), "0.9L": 25.84}
CURRENTS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.5, 5.0, 6.0)  # A (In 5 A)
TOL = 1e-6  # percent: float noise only


def config(klass: str, kind: str, **extra) -> MeterConfig:
    return MeterConfig.from_codes(
        type_number=TYPES[klass], metrology=Metrology(accuracy=kind, **extra)
    )


def fold(angle: float, reactive: bool = False) -> float:
    rad = math.radians(angle)
    c, s = (math.sin(rad), math.cos(rad)) if reactive else (math.cos(rad), math.sin(rad))
    return float(lim.fold_angle(np.asarray(c), np.asarray(s)))


# ------------------------------------------------------------------- reference conditions
@pytest.mark.parametrize("klass", ["B", "C"])
@pytest.mark.parametrize("kind", KINDS)
def test_reference_error_is_inside_the_class_at_every_current_and_pf(klass, kind):
    cfg = config(klass, kind)
    limits = lim.active_limits(klass)
    for current in CURRENTS:
        for name, angle in PF_ANGLES.items():
            ep, _ = error_at(cfg, SERIALS, current, angle)
            allowed = float(lim.reference_limit(limits, current / 5.0, fold(angle)))
            assert np.abs(ep).max() <= allowed + TOL, (current, name)
            if kind == "typical":
                assert np.abs(ep).max() <= 0.5 * allowed, (current, name)  # well inside
            else:  # at the edge: the reference limit, or the composite MPE where that is tighter
                mpe = float(lim.composite_limit(limits, current / 5.0, np.asarray(23.0)))
                assert np.abs(ep).min() >= 0.97 * min(allowed, mpe) - TOL, (current, name)


@pytest.mark.parametrize("kind", KINDS)
def test_reactive_error_is_inside_class_2(kind):
    cfg = config("B", kind)
    for current in (0.1, 0.25, 0.5, 1.0, 5.0, 6.0):
        for angle in (90.0, 30.0, 150.0, -90.0):  # sin phi 1, 0.5 ind, 0.5 cap, export
            _, eq = error_at(cfg, SERIALS, current, angle)
            allowed = float(lim.reference_limit(lim.REACTIVE_2, current / 5.0, fold(angle, True)))
            assert np.abs(eq).max() <= allowed + TOL, (current, angle)
            if kind == "class-limit":
                assert np.abs(eq).min() >= 0.97 * allowed - TOL


def test_export_errs_like_import_of_the_same_power_factor():
    cfg = config("B", "typical")
    imp, _ = error_at(cfg, SERIALS[:50], 2.5, 25.0)
    exp, _ = error_at(cfg, SERIALS[:50], 2.5, 205.0)
    np.testing.assert_allclose(imp, exp, atol=1e-9)


# ------------------------------------------------------------------- influence quantities
@pytest.mark.parametrize("klass", ["B", "C"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("angle", [0.0, 60.0])
def test_voltage_variation_is_inside_the_limits(klass, kind, angle):
    cfg = config(klass, kind)
    limits = lim.active_limits(klass)
    base, _ = error_at(cfg, SERIALS, 2.5, angle)
    moved = False
    for du in (-0.20, -0.15, -0.10, -0.05, 0.05, 0.10, 0.15):
        ep, _ = error_at(cfg, SERIALS, 2.5, angle, voltage=230.0 * (1 + du))
        allowed = float(lim.voltage_limit(limits, np.asarray(fold(angle)), np.asarray(du)))
        assert np.abs(ep - base).max() <= allowed + TOL, du
        moved |= bool(np.abs(ep - base).max() > 0.01 * allowed)
    assert moved  # the voltage does influence the error


@pytest.mark.parametrize("klass", ["B", "C"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("angle", [0.0, 60.0])
def test_frequency_variation_is_inside_the_limits(klass, kind, angle):
    cfg = config(klass, kind)
    limits = lim.active_limits(klass)
    base, _ = error_at(cfg, SERIALS, 2.5, angle)
    for df in (-0.02, -0.01, 0.01, 0.02):
        ep, _ = error_at(cfg, SERIALS, 2.5, angle, frequency=50.0 * (1 + df))
        allowed = float(lim.frequency_limit(limits, np.asarray(fold(angle)), np.asarray(df)))
        assert np.abs(ep - base).max() <= allowed + TOL, df
        assert np.abs(ep - base).max() > 0.01 * allowed


@pytest.mark.parametrize("klass", ["B", "C"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("angle", [0.0, 60.0])
def test_mean_temperature_coefficient_is_inside_the_limits(klass, kind, angle):
    """IEC 62052-11: the mean coefficient over any 20 K interval of the operating range."""
    cfg = config(klass, kind)
    limits = lim.active_limits(klass)
    allowed = float(lim.temperature_coefficient(limits, np.asarray(fold(angle))))
    for low in range(-40, 51, 5):
        cold, _ = error_at(cfg, SERIALS, 2.5, angle, temperature=low)
        warm, _ = error_at(cfg, SERIALS, 2.5, angle, temperature=low + 20)
        assert np.abs(warm - cold).max() / 20.0 <= allowed + TOL, low


@pytest.mark.parametrize("klass", ["B", "C"])
@pytest.mark.parametrize("kind", KINDS)
def test_fifth_harmonic_variation_is_inside_the_limit(klass, kind):
    cfg = config(klass, kind)
    limits = lim.active_limits(klass)
    # The IEC test: I = 0.5 Imax, PF 1, I5 = 40 % of I1, U5 = 10 % of U1 (rms voltage + 0.5 %).
    base, _ = error_at(cfg, SERIALS, 3.0, voltage=230.0 * math.hypot(1.0, 0.1))
    with_h, _ = error_at(cfg, SERIALS, 3.0, harmonic=0.4)
    assert np.abs(with_h - base).max() <= limits.harmonic + TOL
    assert np.abs(with_h - base).max() > 0.01 * limits.harmonic


@pytest.mark.parametrize("klass", ["B", "C"])
@pytest.mark.parametrize("kind", KINDS)
def test_composite_error_at_rated_operating_conditions_is_inside_the_mpe(klass, kind):
    """The data sheet's MPE chart: current, voltage, frequency and temperature together (MID)."""
    cfg = config(klass, kind)
    limits = lim.active_limits(klass)
    for current in (0.05, 0.25, 0.5, 5.0, 6.0):
        for angle in (0.0, 60.0, PF_ANGLES["0.8C"]):
            for temp in (-40, -25, -10, 5, 23, 30, 40, 55, 70):
                for u, f in ((207.0, 49.0), (253.0, 51.0), (207.0, 51.0), (253.0, 49.0)):
                    ep, _ = error_at(cfg, SERIALS[:200], current, angle, u, f, temp)
                    allowed = float(lim.composite_limit(limits, current / 5.0, np.asarray(temp)))
                    assert np.abs(ep).max() <= allowed + TOL, (current, angle, temp, u, f)


# ------------------------------------------------------------------ spread and smoothness
@pytest.mark.parametrize("kind", KINDS)
def test_each_serial_has_its_own_curve_and_keeps_it(kind):
    cfg = config("B", kind)
    ep, _ = error_at(cfg, SERIALS, 5.0)
    again, _ = error_at(cfg, SERIALS, 5.0)
    assert np.array_equal(ep, again)
    assert len(np.unique(np.round(ep, 9))) > 900
    assert (ep > 0).sum() > 300 and (ep < 0).sum() > 300  # both signs in a fleet
    if kind == "typical":
        assert 0.03 < ep.std() < 0.3


def test_typical_is_smooth_in_current_and_temperature():
    cfg = config("B", "typical")
    currents = np.geomspace(0.01, 6.0, 200)
    curve = np.stack([error_at(cfg, SERIALS[:100], c, 60.0)[0] for c in currents])
    assert np.abs(np.diff(curve, axis=0)).max() < 0.02
    temps = np.linspace(-40, 70, 111)
    curve = np.stack([error_at(cfg, SERIALS[:100], 5.0, temperature=t)[0] for t in temps])
    assert np.abs(np.diff(curve, axis=0)).max() < 0.02


def test_ideal_has_no_error_anywhere():
    cfg = MeterConfig.default()
    assert cfg.metrology.ideal
    ep, eq = error_at(cfg, SERIALS[:10], 0.05, 60.0, 190.0, 49.0, -40.0, 0.4)
    assert not ep.any() and not eq.any()


# --------------------------------------------------------------------------- custom
CUSTOM = {
    "accuracy": "custom",
    "custom": {
        "spread": 0.05,
        "temperature_coefficient": 0.01,
        "points": [
            {"current": 0.05, "error": 0.6},
            {"current": 0.5, "error": 0.2},
            {"current": 6.0, "error": -0.1},
            {"current": 0.5, "angle": 60, "error": -0.4},
            {"current": 6.0, "angle": 60, "error": -0.3},
        ],
    },
}


def test_custom_table_is_interpolated_and_spread_per_meter():
    cfg = MeterConfig.from_codes(metrology=Metrology.from_dict(CUSTOM))
    at_point, _ = error_at(cfg, SERIALS, 0.5)
    assert np.abs(at_point - 0.2).max() <= 0.05 + TOL and at_point.std() > 0.01
    between, _ = error_at(cfg, SERIALS[:1], math.sqrt(0.5 * 6.0))  # halfway in log(current)
    middle = 0.5 * (0.2 - 0.1)
    assert abs(float(between[0]) - middle) <= 0.05 + TOL
    half_angle, _ = error_at(cfg, SERIALS[:1], 0.5, 30.0)
    assert -0.4 - 0.05 <= float(half_angle[0]) <= 0.2 + 0.05
    cold, _ = error_at(cfg, SERIALS[:1], 0.5, temperature=3.0)
    assert float(cold[0]) == pytest.approx(float(at_point[0]) - 0.2, abs=1e-9)


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ({"accuracy": "perfect"}, "metrology.accuracy"),
        ({"accuracy": "custom"}, "metrology.custom.points"),
        (
            {"accuracy": "custom", "custom": {"points": [{"current": 1.0, "error": 0.1}]}},
            "metrology.custom.points",
        ),
        (
            {
                "accuracy": "custom",
                "custom": {
                    "points": [{"current": 1.0, "error": 1.2}, {"current": 5.0, "error": 0.1}]
                },
            },
            "metrology.custom.points[0].error",
        ),
        (
            {
                "accuracy": "custom",
                "custom": {
                    "points": [{"current": 0.24, "error": 1.4}, {"current": 0.26, "error": 0.9}]
                },
            },
            "metrology.custom.points",
        ),
        (
            {
                "accuracy": "custom",
                "custom": {
                    "temperature_coefficient": 0.2,
                    "points": [{"current": 1.0, "error": 0.1}, {"current": 5.0, "error": 0.1}],
                },
            },
            "metrology.custom.temperature_coefficient",
        ),
        ({"accuracy": "typical", "temperature": 90}, "metrology.temperature"),
        ({"accuracy": "typical", "colour": "red"}, "metrology.colour"),
        ({"accuracy": "custom", "custom": {"points": "many"}}, "metrology.custom.points"),
    ],
)
def test_bad_metrology_sections_name_the_field(section, field):
    data = {"metrology": section}
    with pytest.raises(ConfigError) as err:
        load(data)
    # A check across sections (the class of [codes]) is located at its section, field in the text.
    assert err.value.field.startswith("metrology") and field in str(err.value)
    with pytest.raises(ConfigError) as direct:
        MeterConfig.from_codes(metrology=Metrology.from_dict(section))
    assert field.startswith(direct.value.field)


def test_class_c_refuses_a_table_that_class_b_allows():
    section = {
        "accuracy": "custom",
        "custom": {"points": [{"current": 1.0, "error": 0.8}, {"current": 5.0, "error": 0.8}]},
    }
    load({"metrology": section})  # class B (default type number)
    with pytest.raises(ConfigError):
        load({"codes": {"type_number": TYPES["C"]}, "metrology": section})


def test_metrology_section_round_trips_and_default_writes_nothing():
    assert "metrology" not in MeterConfig.default().to_dict()
    cfg = load({"metrology": {**CUSTOM, "daily_swing": 8.0}}).meter
    again = load_text(cfg.to_toml()).meter
    assert again.metrology == cfg.metrology


# --------------------------------------------------------------------- whole meter
def run_meter(cfg: MeterConfig, load, seconds: float, temperature: float | None = None) -> Meter:
    meter = Meter(cfg, clock=SimClock(EPOCH, rate=0), functions=[])
    if temperature is not None:
        meter.set_temperature(temperature)
    meter.set_load(load)
    meter.run_for(seconds)
    return meter


@pytest.mark.parametrize("kind", KINDS)
def test_registers_and_led_pulses_count_the_error(kind):
    cfg = config("B", kind)
    seconds = 8 * 3600.0
    meter = run_meter(cfg, ConstantLoad(current=5.0, angle=60.0), seconds)
    ep, eq = error_at(cfg, int(cfg.serial), 5.0, 60.0)
    true_p = 3 * 230.0 * 5.0 * 0.5 * seconds / 3600.0
    true_q = 3 * 230.0 * 5.0 * math.sin(math.radians(60.0)) * seconds / 3600.0
    register = meter.read("1-0:1.8.0.255").value
    reactive = meter.read("1-0:3.8.0.255").value
    assert 100 * (register / true_p - 1) == pytest.approx(float(ep[0]), abs=0.02)
    assert 100 * (reactive / true_q - 1) == pytest.approx(float(eq[0]), abs=0.02)
    led = meter.led_active.count / 10.0  # 10000 imp/kWh
    assert 100 * (led / true_p - 1) == pytest.approx(float(ep[0]), abs=0.01)
    s0 = meter.s0.count / 5.0  # 5000 imp/kWh of secondary A+
    assert 100 * (s0 / true_p - 1) == pytest.approx(float(ep[0]), abs=0.02)
    true_w = 3 * 230.0 * 5.0 * 0.5
    assert 100 * (meter.instant.p_total[0] / true_w - 1) == pytest.approx(float(ep[0]), abs=1e-9)
    shown = meter.read("1-0:1.7.0.255")
    watts = shown.value * (1000.0 if shown.unit.startswith("k") else 1.0)
    assert abs(watts - true_w * (1 + float(ep[0]) / 100)) <= 10.0 ** (
        shown.scaler + 3 * shown.unit.startswith("k")
    )


def test_temperature_moves_the_registered_energy():
    cfg = config("C", "class-limit")
    load = ConstantLoad(current=5.0)
    warm = run_meter(cfg, load, 4 * 3600.0, temperature=23.0).read("1-0:1.8.0.255").value
    cold = run_meter(cfg, load, 4 * 3600.0, temperature=-30.0).read("1-0:1.8.0.255").value
    ep_w, _ = error_at(cfg, int(cfg.serial), 5.0, temperature=23.0)
    ep_c, _ = error_at(cfg, int(cfg.serial), 5.0, temperature=-30.0)
    assert abs(float(ep_c[0])) > abs(float(ep_w[0])) + 0.3
    assert 100 * (cold / warm - 1) == pytest.approx(float(ep_c[0] - ep_w[0]), abs=0.03)


def test_set_temperature_refuses_outside_the_operating_range():
    meter = Meter(config("B", "typical"), clock=SimClock(EPOCH, rate=0), functions=[])
    with pytest.raises(ConfigError):
        meter.set_temperature(85.0)
    meter.set_temperature(-40)
    assert meter.temperature == -40.0
    meter.set_temperature(None)
    assert meter.temperature == 23.0


def test_harmonic_load_errs_by_the_harmonic_influence():
    cfg = config("B", "class-limit")
    plain = run_meter(cfg, ConstantLoad(current=3.0), 4 * 3600.0)
    distorted = run_meter(
        cfg, HarmonicLoad(ConstantLoad(current=3.0), harmonics=((5, 23.0, 1.2, 0.0),)), 4 * 3600.0
    )
    ep_plain, _ = error_at(cfg, int(cfg.serial), 3.0)
    ep_h, _ = error_at(cfg, int(cfg.serial), 3.0, harmonic=0.4)
    assert abs(float(ep_h[0])) > abs(float(ep_plain[0])) + 0.5
    true_h = 3 * (230.0 * 3.0 + 23.0 * 1.2) * 4.0
    assert 100 * (distorted.read("1-0:1.8.0.255").value / true_h - 1) == pytest.approx(
        float(ep_h[0]), abs=0.03
    )
    assert plain.read("1-0:1.8.0.255").value > 0


# ------------------------------------------------------------- no creep, starting current
@pytest.mark.parametrize("kind", ("ideal", *KINDS))
@pytest.mark.parametrize("klass", ["B", "C"])
def test_no_creep_and_starting_current_under_every_kind(kind, klass):
    cfg = config(klass, kind)
    # No-load test: 115 % Un, no current, and just below the starting current: nothing counts.
    for current in (0.0, 0.79 * starting_current(klass)):
        idle = run_meter(cfg, ConstantLoad(voltage=1.15 * 230.0, current=current), 24 * 3600.0)
        assert idle.read("1-0:1.8.0.255").value == 0
        assert idle.led_active.count == 0 and idle.led_reactive.count == 0
    # Starting current: the meter starts and keeps registering (at least 80 % of the energy).
    ist = starting_current(klass)
    seconds = 24 * 3600.0
    started = run_meter(cfg, ConstantLoad(current=ist), seconds)
    expected_pulses = 3 * 230.0 * ist * seconds / 3600.0 * 10.0
    assert started.led_active.count >= 0.8 * expected_pulses


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("angle", [90.0, 30.0])
def test_reactive_influences_are_inside_class_2(kind, angle):
    cfg = config("B", kind)
    limits, folded = lim.REACTIVE_2, np.asarray(fold(angle, True))
    _, base = error_at(cfg, SERIALS, 2.5, angle)
    for du in (-0.2, -0.1, 0.1, 0.15):
        _, eq = error_at(cfg, SERIALS, 2.5, angle, voltage=230.0 * (1 + du))
        assert np.abs(eq - base).max() <= float(lim.voltage_limit(limits, folded, du)) + TOL
    for df in (-0.02, 0.02):
        _, eq = error_at(cfg, SERIALS, 2.5, angle, frequency=50.0 * (1 + df))
        assert np.abs(eq - base).max() <= float(lim.frequency_limit(limits, folded, df)) + TOL
    allowed = float(lim.temperature_coefficient(limits, folded))
    for low in range(-40, 51, 10):
        _, cold = error_at(cfg, SERIALS, 2.5, angle, temperature=low)
        _, warm = error_at(cfg, SERIALS, 2.5, angle, temperature=low + 20)
        assert np.abs(warm - cold).max() / 20.0 <= allowed + TOL


def test_waveform_input_errs_by_its_harmonic_content_like_phasors():
    """The waveform analysis measures the harmonic current (a DFT at the fundamental) for the model."""
    from k351c.meter.waveform import WaveformLoad, analyse, synthesize

    phasors = HarmonicLoad(ConstantLoad(current=3.0), harmonics=((5, 23.0, 1.2, 0.0),))
    u, i = synthesize(phasors.inputs(1), 10_000.0, 1.0)
    np.testing.assert_allclose(analyse(u, i, 10_000.0).distortion, 0.4, atol=1e-3)
    clean_u, clean_i = synthesize(ConstantLoad(current=3.0).inputs(1), 10_000.0, 1.0)
    np.testing.assert_allclose(analyse(clean_u, clean_i, 10_000.0).distortion, 0.0, atol=1e-3)
    cfg = config("B", "class-limit")
    seconds = 4 * 3600.0
    wave = run_meter(cfg, WaveformLoad(u, i, 10_000.0), seconds).read("1-0:1.8.0.255").value
    phasor = run_meter(cfg, phasors, seconds).read("1-0:1.8.0.255").value
    true_wh = 3 * (230.0 * 3.0 + 23.0 * 1.2) * 4.0
    ep_h, _ = error_at(cfg, int(cfg.serial), 3.0, harmonic=0.4)
    assert 100 * (wave / true_wh - 1) == pytest.approx(float(ep_h[0]), abs=0.05)
    assert abs(wave - phasor) <= 2


@pytest.mark.parametrize("angle", [0.0, 60.0, PF_ANGLES["0.8C"]])
def test_aron_meter_elements_err_inside_the_class(angle):
    from k351c.meter.metrology import aron_voltage

    cfg = MeterConfig.from_codes(
        type_number="685-25BC423-070", metrology=Metrology(accuracy="class-limit")
    )
    ep, _ = error_at(cfg, SERIALS, 5.0, angle, voltage=aron_voltage(230.0))
    allowed = float(lim.reference_limit(lim.ACTIVE_B, 1.0, fold(angle)))
    assert np.abs(ep).max() <= allowed + TOL and np.abs(ep).min() >= 0.97 * allowed - TOL


def test_a_new_serial_number_gives_the_meter_its_own_curve():
    meter = Meter(config("B", "typical"), clock=SimClock(EPOCH, rate=0), functions=[])
    meter.set_load(ConstantLoad(current=5.0))
    before = float(meter.instant.p_total[0])
    meter.reconfigure(serial="87654321")
    meter.set_load(ConstantLoad(current=5.0))
    after = float(meter.instant.p_total[0])
    expected, _ = error_at(meter.config, 87654321, 5.0)
    assert after != before
    assert 100 * (after / 3450.0 - 1) == pytest.approx(float(expected[0]), abs=1e-9)
