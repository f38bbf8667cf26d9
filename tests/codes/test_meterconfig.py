"""MeterConfig: defaults, construction from codes, derived properties, TOML round trip."""

import dataclasses
import tomllib

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c.codes import (
    DEFAULT_CODES,
    Config1,
    Config2,
    Config3,
    Config5,
    IoFunction,
    MeterConfig,
    TypeNumber,
)
from k351c.codes.configfile import load, load_text
from k351c.codes.settings import default_toml
from k351c.errors import ConfigError


def test_default_codes():
    cfg = MeterConfig.default()
    assert cfg.codes() == {
        "type_number": "685-35BC423-070",
        "config1": "3-1-000-00-2",
        "config2": "001-01-01-1",
        "config3": "00-0-01-0-00-001-001-01",
        "config5": "000-001-1-1",
    }
    assert cfg.serial == "12345678"
    assert default_toml()["codes"] == DEFAULT_CODES
    assert default_toml()["meter"]["serial"] == cfg.serial


def test_default_properties():
    cfg = MeterConfig.default()
    assert cfg.nominal_voltage == 230.0
    assert cfg.nominal_frequency == 50.0
    assert cfg.aron is False
    assert cfg.meter_class == "B"
    assert cfg.energy_channels == ("A+", "A-", "R+", "R-")
    assert cfg.has_export and cfg.has_reactive
    assert cfg.integration_minutes == 15
    assert (cfg.ct_primary, cfg.ct_secondary, cfg.ct_ratio, cfg.ct_locked) == (5, 5, 1.0, False)
    assert cfg.utc_offset_minutes == 60
    assert cfg.dst_rule == "eu"
    assert cfg.load_profile_primary is True
    assert cfg.decimals == 2
    assert cfg.led_on_without_consumption is False
    assert cfg.pulse_output_primary is False
    assert cfg.pulse_length_ms == 30
    assert cfg.alarm_input is False
    assert cfg.pulse_input_unit == ""
    assert cfg.module_code == 0
    assert cfg.io_functions == (IoFunction.NONE, IoFunction.NONE)
    assert cfg.target_day == 1
    assert cfg.debiting_months == (1, 1)
    assert cfg.debiting_logger2 == "daily"
    assert cfg.country == "DE"
    assert (cfg.holiday_country, cfg.holiday_subdiv, cfg.holiday_language) == ("DE", None, None)
    assert cfg.rf_code == 0
    assert cfg.display_table.id == 1 and cfg.display_table.auto
    assert cfg.tariff_table.id == 1


def test_from_codes_with_other_values():
    cfg = MeterConfig.from_codes(
        type_number="685 25 1C 1 5 3 050",
        config1="1-2-072-05-4",
        config2=Config2.parse("002-00-13-4"),
        config3="00-0-23-1-02-000-000-02",
        config5="349-600-2-3",
        serial=1234567890,
    )
    assert str(cfg.type_number) == "685-251C153-050"
    assert cfg.aron and cfg.meter_class == "1" and cfg.energy_channels == ("A+",)
    assert not cfg.has_export and not cfg.has_reactive
    assert (cfg.decimals, cfg.led_on_without_consumption, cfg.integration_minutes) == (0, True, 60)
    assert cfg.io_functions == (IoFunction.PULSE_IN, IoFunction.A_PLUS_OUT)
    assert cfg.module_code == 72
    assert (cfg.target_day, cfg.debiting_months, cfg.pulse_length_ms, cfg.alarm_input) == (
        0,
        (12, 1),
        80,
        True,
    )
    assert cfg.display_table.id == 2
    assert cfg.utc_offset_minutes == -60 and cfg.dst_rule == "none"
    assert cfg.pulse_output_primary and cfg.pulse_input_unit == "m3"
    assert cfg.tariff_table is None and cfg.load_profile_primary is False
    assert (cfg.rf_code, cfg.ct_primary, cfg.ct_ratio, cfg.ct_locked) == (349, 3000, 600.0, True)
    assert cfg.debiting_logger2 == "monthly"
    assert (cfg.country, cfg.holiday_country) == ("UK", "GB")
    assert cfg.serial == "1234567890"


def test_sixty_hertz_and_swiss_holidays():
    cfg = MeterConfig.from_codes(type_number="685-45CC223-059")
    assert cfg.nominal_frequency == 60.0 and cfg.meter_class == "C"
    assert (cfg.country, cfg.holiday_country, cfg.holiday_subdiv) == ("CH (IT)", "CH", "TI")
    calendar = holidays.country_holidays(
        cfg.holiday_country, subdiv=cfg.holiday_subdiv, years=2026, language=cfg.holiday_language
    )
    assert len(calendar) > 0


def test_omitted_codes_take_the_defaults():
    cfg = MeterConfig.from_codes(config5="000-600-1-2")
    assert cfg.ct_primary == 3000
    assert cfg.config1 == MeterConfig.default().config1


@pytest.mark.parametrize("serial", ["1234567", "12345678901", "1234567a", "", "１２３４５６７８"])
def test_serial_must_be_8_to_10_digits(serial):
    with pytest.raises(ConfigError, match="serial"):
        MeterConfig.from_codes(serial=serial)


def test_codes_must_refer_to_existing_tables():
    with pytest.raises(ConfigError, match="config2 FFF display configuration"):
        MeterConfig.from_codes(config2="099-01-01-1")
    with pytest.raises(ConfigError, match="config3 000 tariff control table"):
        MeterConfig.from_codes(config3="00-0-01-0-00-099-001-01")


def test_replace_accepts_strings():
    cfg = dataclasses.replace(MeterConfig.default(), config1="3-2-040-00-1", serial="87654321")
    assert isinstance(cfg.config1, Config1)
    assert cfg.integration_minutes == 5 and cfg.module_code == 40
    with pytest.raises(ConfigError, match="config1 E"):
        dataclasses.replace(cfg, config1="3-2-040-00-5")


def test_toml_round_trip(tmp_path):
    cfg = MeterConfig.from_codes(config1="2-2-068-03-3", serial="99887766")
    text = cfg.to_toml()
    assert load(tomllib.loads(text)).meter == cfg
    path = tmp_path / "meter.toml"
    path.write_text(text)
    assert load(path).meter == cfg
    assert load(str(path)).meter == cfg
    assert load_text(text).meter == cfg


def test_embedded_default_file_is_the_default(tmp_path):
    from importlib import resources

    text = resources.files("k351c").joinpath("data/default.toml").read_text()
    assert load_text(text).meter == MeterConfig.default()


def test_partial_file():
    cfg = load(
        {"codes": {"config5": "000 040 2 2"}, "thresholds": {"power_threshold_w": 1.5e5}}
    ).meter
    assert (cfg.ct_primary, cfg.ct_locked, cfg.debiting_logger2) == (200, True, "weekly")
    assert cfg.settings.thresholds.power_threshold_w == 1.5e5
    assert cfg.type_number == MeterConfig.default().type_number
    assert cfg.holiday_subdiv is None
    assert load({"holidays": {"subdiv": "BY"}}).meter.holiday_subdiv == "BY"


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="codes"):
        load({"codes": {"config4": "1"}})
    bad = tmp_path / "bad.toml"
    bad.write_text("[codes\n")
    with pytest.raises(ConfigError, match="configuration file"):
        load(bad)
    with pytest.raises(ConfigError, match="configuration file"):
        load(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="X5 energy type"):
        load({"codes": {"type_number": "685-35BC923-070"}})


def _sampled(cls, **fixed):
    strategies = {
        spec.attr: st.sampled_from(list(spec.meanings))
        for spec in cls.LAYOUT
        if spec.attr not in fixed
    }
    return st.builds(cls, **strategies, **{k: st.sampled_from(v) for k, v in fixed.items()})


@settings(max_examples=60, deadline=None)
@given(
    _sampled(TypeNumber),
    _sampled(Config1),
    _sampled(Config2, fff=[1, 2]),
    _sampled(Config3, xxx=[0, 1, 2]),
    _sampled(Config5),
    st.from_regex(r"[0-9]{8,10}", fullmatch=True),
)
def test_any_valid_configuration_round_trips_through_toml(tn, c1, c2, c3, c5, serial):
    cfg = MeterConfig(tn, c1, c2, c3, c5, serial=serial)
    again = load_text(cfg.to_toml()).meter
    assert again == cfg
    assert MeterConfig.from_codes(**cfg.codes(), serial=serial) == cfg
    assert len(cfg.describe()) == 9 + 5 + 4 + 8 + 4
