"""The LCD model: value field decimals, unit, identification, indicators, error symbol, LED, display test."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.catalog import default_functions
from k351c.meter.display import Display
from k351c.meter.lcd import LcdState, format_value, label, lcd_state, show_reading
from k351c.obis import Obis


def make_meter(config1="3-1-000-00-2", load=None, seconds=3600) -> Meter:
    cfg = MeterConfig.from_codes(config1=config1)
    functions = default_functions(cfg)
    if not any(f.name == "display" for f in functions):
        functions.append(Display())
    m = Meter(cfg, clock=SimClock("2026-01-01T00:00:00Z", rate=0), functions=functions)
    m.set_load(load or ConstantLoad(current=5.0))
    m.run_for(seconds)
    return m


@pytest.mark.parametrize(("a", "shown"), [(1, "3"), (2, "3.4"), (3, "3.45")])
def test_primary_energy_decimals_follow_config1_a(a, shown):
    m = make_meter(config1=f"{a}-1-000-00-2")
    assert m.read("1-0:1.8.0.255").value == 3450
    value, unit, ident, text = show_reading(m, "1-0:1.8.0.255")
    assert (value, unit, ident, text) == (shown, "kWh", "1.8.0", "A+")


def test_energy_is_truncated_not_rounded():
    m = make_meter(config1="2-1-000-00-2", seconds=3600 * 1.99)  # 6865.5 Wh -> 6.8 kWh
    assert show_reading(m, "1-0:1.8.0.255")[0] == "6.8"


def test_value_field_keeps_nine_digits():
    m = make_meter()
    definition = m.objects.lookup("1-0:1.8.0.255")
    assert format_value(m, definition, 123456789012345) == (
        "6789012.34",
        "kWh",
    )  # 123456789012.345 kWh, last 9 digits


@pytest.mark.parametrize(
    ("code", "unit", "text"),
    [
        ("1-0:32.7.0.255", "V", "U L1"),
        ("1-0:51.7.0.255", "A", "I L2"),
        ("1-0:14.7.0.255", "Hz", "f"),
        ("1-0:1.7.0.255", "kW", "P+"),
        ("1-1:1.8.0.255", "kWh", "SEC A+"),
        ("1-0:2.8.3.255", "kWh", "A- T3"),
        ("0-0:96.1.0.255", "", "SERIAL"),
    ],
)
def test_units_and_text(code, unit, text):
    m = make_meter()
    value, shown_unit, ident, shown_text = show_reading(m, code)
    assert (shown_unit, shown_text, ident) == (unit, text, Obis.parse(code).short)
    assert value


def test_instantaneous_values():
    m = make_meter()
    assert show_reading(m, "1-0:32.7.0.255")[0] == "230.0"
    assert show_reading(m, "1-0:1.7.0.255")[0] == "3.450"
    assert show_reading(m, "1-0:14.7.0.255")[0] == "50.00"


@pytest.mark.parametrize(("angle", "quadrant"), [(30, 1), (150, 2), (210, 3), (330, 4)])
def test_quadrant_indicator(angle, quadrant):
    m = make_meter(load=ConstantLoad(current=5.0, angle=angle), seconds=10)
    assert lcd_state(m).quadrants == (quadrant,)


def test_phase_indicators_and_directions():
    load = ConstantLoad(
        voltage=(230.0, 230.0, 0.0), current=(5.0, 5.0, 0.0), angle=(0.0, 180.0, 0.0)
    )
    m = make_meter(load=load, seconds=10)
    state = lcd_state(m)
    assert state.phases == (True, True, False)
    assert state.directions == ("+", "-", "")


def test_no_load_lights_no_quadrant_and_led_per_config1_b():
    off = make_meter(config1="3-1-000-00-2", load=ConstantLoad(current=0.0), seconds=10)
    on = make_meter(config1="3-2-000-00-2", load=ConstantLoad(current=0.0), seconds=10)
    assert lcd_state(off).quadrants == () and lcd_state(off).led_hz == 0.0
    assert not lcd_state(off).led_on
    assert lcd_state(on).led_on


def test_led_flashes_at_the_meter_constant():
    m = make_meter(seconds=360)
    state = lcd_state(m)
    assert state.led_hz == pytest.approx(3450 * 10000 / 3.6e6)
    assert state.pulses == pytest.approx(3450 * 10000 / 3600 * 360 / 1000, abs=1)


def test_tariff_indication():
    m = make_meter()
    assert lcd_state(m).tariffs == (m.tariff,)


def test_error_symbol_from_tamper():
    m = make_meter(seconds=10)
    tamper = m.function("tamper")
    assert not lcd_state(m).error
    tamper.set("meter_cover", True)
    state = lcd_state(m)
    assert state.error and "cover open" in state.error_causes


def test_display_test_shows_all_segments():
    m = make_meter(seconds=10)
    m.function("display").display_test()
    state = lcd_state(m)
    assert state.test and state.value == "888888888" and state.quadrants == (1, 2, 3, 4)
    assert all(state.phases) and state.error and state.led_on
    m.run_for(10)
    assert not lcd_state(m).test


def test_lcd_state_is_frozen_and_pure():
    m = make_meter(seconds=10)
    state = lcd_state(m)
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.value = "1"  # type: ignore[misc]
    assert lcd_state(m) == state
    assert LcdState.all_segments().mode == "test"


@given(
    st.integers(min_value=0, max_value=255),
    st.integers(min_value=0, max_value=255),
    st.integers(min_value=0, max_value=255),
    st.integers(min_value=0, max_value=1),
)
def test_label_never_fails(c, d, e, b):
    assert isinstance(label(Obis(1, b, c, d, e)), str)
