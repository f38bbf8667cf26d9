"""Display fidelity: historical values, 7-digit energy rollover, tariff indicator, module-less DD, Imax flag."""

from __future__ import annotations

import pytest

from k351c import ConfigError, ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.lcd import format_value, lcd_state, show_reading

MONDAY_NOON = "2026-01-05T11:00:00Z"  # 12:00 local: tariff 1 in table 001
MONDAY_NIGHT = "2026-01-05T23:00:00Z"  # 00:00 local Tuesday: tariff 2


def make(at: str = MONDAY_NOON, **codes: str) -> Meter:
    meter = Meter(MeterConfig.from_codes(**codes), clock=SimClock(at, rate=0))
    meter.set_load(ConstantLoad(current=5.0))
    return meter


def test_historical_values_of_the_last_period_exist_and_go_in_the_manual_list() -> None:
    meter = make("2026-01-20T00:00:00Z")
    assert meter.read("1-0:1.8.0.101").value == 0
    meter.run_for(20 * 86400)  # across the 1 February debiting stop
    last = meter.read("0-0:98.1.0.255")
    row = dict(zip(last.columns, last.rows[-1], strict=False))
    assert meter.read("1-0:1.8.0.101").value == row["1-0:1.8.0.255"] > 0
    assert meter.read("1-0:1.8.0.101").value < meter.read("1-0:1.8.0.255").value
    peak = meter.read("1-0:1.6.0.101")
    assert peak.value == row["1-0:1.6.0.255"] and peak.captured == row["1-0:1.6.0.255:5"]
    display = meter.function("display")
    manual = [*display.configured("manual"), "1-0:1.8.0.101", "1-0:1.6.0.101"]
    display.set_list("manual", manual)
    assert "1-0:1.8.0.101" in display.readings("manual")
    value, unit, ident, text = show_reading(meter, "1-0:1.8.0.101")
    assert (ident, unit, text) == ("1.8.0*01", "kWh", "A+")
    assert value == f"{int(row['1-0:1.8.0.255'] / 1000)}.{int(row['1-0:1.8.0.255'] % 1000) // 10:02d}"
    with pytest.raises(ConfigError, match="historical"):
        display.set_list("auto", ["1-0:1.8.0.101"])
    with pytest.raises(Exception, match="legal|read-only"):
        meter.write("1-0:1.8.0.101", 0)


@pytest.mark.parametrize(
    ("a", "shown"), [("1", "2345678"), ("2", "2345678.9"), ("3", "2345678.90")]
)
def test_primary_energy_rolls_over_at_7_integer_digits(a: str, shown: str) -> None:
    meter = make(config1=f"{a}-1-000-00-2")
    energy = meter.objects.lookup("1-0:1.8.0.255")
    assert format_value(meter, energy, 12_345_678_901)[0] == shown
    assert format_value(meter, energy, 9_999_999_999)[0].startswith("9999999")
    secondary = meter.objects.lookup("1-1:1.8.0.255")
    assert format_value(meter, secondary, 12_345_678)[0] == "12345.678"


def test_tariff_indicator_shows_tariff_4_from_the_inputs_without_a_table() -> None:
    meter = make(config1="3-1-008-01-2", config3="00-0-01-0-00-000-001-01")
    assert meter.config.tariff_table is None
    io = meter.function("io")
    io.set_input(1, 1)
    io.set_input(2, 1)
    meter.run_for(60)
    assert meter.read("0-0:96.14.0.255").value == 4
    assert lcd_state(meter).tariffs == (4,)
    io.set_input(1, 0)
    meter.run_for(60)
    assert lcd_state(meter).tariffs == (3,)


def test_no_table_and_no_inputs_shows_no_tariff() -> None:
    meter = make(config3="00-0-01-0-00-000-001-01")
    meter.run_for(60)
    assert lcd_state(meter).tariffs == ()


@pytest.mark.parametrize(("at", "table_tariff"), [(MONDAY_NOON, 1), (MONDAY_NIGHT, 2)])
def test_an_external_tariff_dd_without_its_module_leaves_the_table_in_force(at, table_tariff) -> None:
    meter = make(at, config1="3-1-000-01-2")
    meter.function("tariffs").set_input(1, 1)
    meter.function("tariffs").set_input(2, 1)
    meter.run_for(60)
    assert not meter.function("tariffs").external
    assert meter.read("0-0:96.14.0.255").value == table_tariff
    fitted = make(at, config1="3-1-008-01-2")
    fitted.function("tariffs").set_input(1, 1)
    fitted.function("tariffs").set_input(2, 1)
    fitted.run_for(60)
    assert fitted.read("0-0:96.14.0.255").value == 4


def test_overcurrent_beyond_imax_is_flagged_per_phase() -> None:
    meter = make()
    meter.set_load(ConstantLoad(current=(5.0, 6.5, 6.0)))
    meter.run_for(10)
    assert lcd_state(meter).overcurrent == (2,)
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(10)
    assert lcd_state(meter).overcurrent == ()
