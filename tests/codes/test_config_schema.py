"""The configuration file's schema: every mistake named with file, line, path, value and what is allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c.codes import MeterConfig
from k351c.codes.configfile import effective_toml, load, load_text
from k351c.codes.metrology import Metrology
from k351c.codes.problems import ConfigFileError, find_line
from k351c.codes.schema import ConfigFile, json_schema
from k351c.codes.server import ServerSettings
from k351c.codes.settings import Debiting, RtcSettings, Thresholds, default_toml
from k351c.errors import ConfigError


def problems_of(text: str) -> list:
    """The problems a configuration text is refused with."""
    with pytest.raises(ConfigFileError) as caught:
        load_text(text, "test.toml")
    return list(caught.value.problems)


def test_misspelt_key_is_named_with_line_and_suggestion() -> None:
    text = "[meter]\nserial = '12345678'\n\n[thresholds]\nundervoltag = 3\n"
    with pytest.raises(ConfigError) as caught:
        load_text(text)
    message = str(caught.value)
    assert "thresholds.undervoltag" in message
    assert "did you mean 'undervoltage_percent'" in message
    assert ":5:" in message
    assert "Traceback" not in message


def test_unknown_section_is_refused() -> None:
    (problem,) = problems_of("[bogus]\nx = 1\n")
    assert problem.path == "bogus"
    assert problem.line == 1
    assert "thresholds" in problem.allowed and "server" in problem.allowed


def test_every_mistake_is_listed_with_value_and_allowed() -> None:
    text = (
        "[thresholds]\novervoltage_percent = -5\nmin_duration_s = 'x'\n"
        "[[display]]\nid = 1\n[[display]]\nid = 2\nauto = ['1-0:1.8.0.255', 'nonsense']\n"
        "[server]\nmax_connections = 300\ndlms_prt = 1\n"
    )
    found = {p.path: p for p in problems_of(text)}
    assert set(found) == {
        "thresholds.overvoltage_percent",
        "thresholds.min_duration_s",
        "display[1].auto[1]",
        "server.max_connections",
        "server.dlms_prt",
    }
    assert found["thresholds.overvoltage_percent"].value == -5
    assert found["thresholds.overvoltage_percent"].line == 2
    assert "greater than 0" in found["thresholds.overvoltage_percent"].allowed
    assert found["display[1].auto[1]"].line == 8
    assert found["server.max_connections"].value == 300
    assert "255" in found["server.max_connections"].allowed
    assert "did you mean 'dlms_port'" in found["server.dlms_prt"].detail


def test_code_errors_name_the_position() -> None:
    (problem,) = problems_of("[codes]\ntype_number = '685-35BC923-070'\n")
    assert problem.path == "codes.type_number" and problem.line == 2
    assert "X5" in problem.detail


def test_tariff_cross_references_are_checked_in_place() -> None:
    text = """
[[tariff]]
id = 1
day_profiles = { a = { "00:00" = 1 } }
week_profiles = { w = ["a", "a", "a", "a", "a", "a", "b"] }
seasons = [{ name = "s", start = "01-01", week = "w" }]
"""
    (problem,) = problems_of(text)
    assert problem.path == "tariff[0]" and problem.value == "b"
    assert problem.line == 2


def test_toml_syntax_error_gives_the_parser_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[meter]\nserial = '12345678'\n[codes\n")
    with pytest.raises(ConfigFileError) as caught:
        load(path)
    assert caught.value.problems[0].line == 3
    assert str(path) in str(caught.value)


def test_old_layout_settings_at_top_level_say_how_to_migrate() -> None:
    (problem,) = problems_of("max_connections = 10\n")
    assert problem.line == 1
    assert "[server]" in problem.allowed and "move it" in problem.detail


def test_embedded_and_written_configurations_follow_the_schema() -> None:
    ConfigFile.model_validate(default_toml())
    calendar = {
        "seasons": [["s", "01-01", "w"]],
        "weeks": [["w", [1] * 7]],
        "days": [[1, [["00:00", 1]]]],
    }
    text = """
[holidays]
subdiv = "BY"
[debiting]
target_day = 15
interval = 13
execution_time = "06:30"
[calendar]
activation = 2026-06-01T00:00:00+00:00
"""
    loaded = load_text(text).meter
    assert loaded.settings.debiting == Debiting(15, 13, "06:30")
    ConfigFile.model_validate(loaded.to_dict())
    load({"calendar": {"passive": calendar}})


def test_server_section_is_read() -> None:
    loaded = load_text("[server]\nphysical_address = 17\nmax_connections = 8\n")
    assert loaded.server.physical_address == 17 and loaded.server.max_connections == 8
    assert loaded.server.physical_address_for("12345678") == 17
    assert ServerSettings().physical_address_for("12345678") == 5678 + 1000


def test_find_line_tracks_arrays_of_tables() -> None:
    text = "[[tariff]]\nid = 1\n[tariff.day_profiles]\nx = {}\n[[tariff]]\nid = 2\n"
    assert find_line(text, ("tariff", 1, "id")) == 6
    assert find_line(text, ("tariff", 0, "day_profiles", "x")) == 4
    assert find_line(text, ("nothing",)) is None


@st.composite
def configurations(draw: st.DrawFn) -> tuple[MeterConfig, ServerSettings]:
    """Valid meter configurations and server settings."""
    serial = draw(st.from_regex(r"[0-9]{8,10}", fullmatch=True))
    thresholds = Thresholds(
        draw(st.floats(-99.0, -0.5, allow_nan=False)),
        draw(st.floats(0.5, 50.0, allow_nan=False)),
        draw(st.integers(0, 3600)),
        draw(st.floats(0.0, 1e6, allow_nan=False)),
    )
    debiting = Debiting(
        draw(st.none() | st.integers(0, 28)),
        draw(st.none() | st.integers(0, 24)),
        draw(st.none() | st.sampled_from(["00:00", "06:30", "23:59"])),
    )
    base = MeterConfig.default()
    config = MeterConfig.from_codes(
        config1=draw(st.sampled_from(["3-1-000-00-2", "3-1-000-00-1", "2-2-000-00-4"])),
        config2=draw(st.sampled_from(["001-01-01-1", "002-15-03-2"])),
        config3=draw(st.sampled_from(["00-0-01-0-00-001-001-01", "00-0-01-0-00-002-001-01"])),
        serial=serial,
        settings=type(base.settings)(
            base.settings.display_tables,
            base.settings.tariff_tables,
            thresholds,
            draw(st.none() | st.sampled_from(["BY", "NW"])),
            None,
            None,
            debiting,
            RtcSettings(draw(st.floats(-1000.0, 1000.0, allow_nan=False))),
        ),
        metrology=Metrology(
            draw(st.sampled_from(["ideal", "typical", "class-limit"])),
            draw(st.floats(-40.0, 70.0, allow_nan=False)),
        ),
    )
    server = ServerSettings(
        dlms_port=draw(st.integers(0, 65535)),
        max_connections=draw(st.integers(1, 255)),
        tcp_inactivity=draw(st.floats(0.0, 65535.0, allow_nan=False)),
        physical_address=draw(st.none() | st.integers(16, 0x3FFD)),
        alarm_push_destination=draw(st.none() | st.just("127.0.0.1:4070")),
    )
    return config, server


@settings(max_examples=40, deadline=None)
@given(configurations())
def test_config_show_reads_back_to_the_same_configuration(pair) -> None:
    config, server = pair
    loaded = load_text(effective_toml(config, server))
    assert loaded.meter == config
    assert loaded.server == server


def test_json_schema_names_every_section() -> None:
    schema = json.loads(json.dumps(json_schema()))
    assert set(schema["properties"]) == set(ConfigFile.model_fields)
    assert schema["additionalProperties"] is False


def test_a_code_naming_a_missing_table_points_at_the_code() -> None:
    (problem,) = problems_of("[meter]\nserial = '12345678'\n[codes]\nconfig2 = '009-01-01-1'\n")
    assert problem.path == "codes.config2" and problem.line == 4
    assert problem.value == "009" and "001" in problem.allowed


def test_a_wrong_shape_is_said_in_toml_words() -> None:
    found = {p.path: p for p in problems_of("server = 5\n[display]\nid = 1\n")}
    assert found["server"].line == 1 and "a table" in found["server"].allowed
    assert found["display"].line == 2 and "[[name]]" in found["display"].allowed


def test_a_cross_check_with_a_dotted_field_keeps_its_path_and_line() -> None:
    text = (
        "[metrology]\naccuracy = 'custom'\n[metrology.custom]\n"
        "points = [{current = 1.0, error = 1.2}, {current = 5.0, error = 0.1}]\n"
    )
    (problem,) = problems_of(text)
    assert problem.path == "metrology.custom.points[0].error" and problem.line == 4


def test_config_errors_survive_pickling_across_processes():
    """A shard's error reaches the parent (multiprocessing, Ray) as the same error, message intact."""
    import pickle

    from k351c.codes.problems import ConfigFileError, Problem
    from k351c.errors import ConfigError

    plain = ConfigError("port", 47403, "a free port", "address already in use")
    again = pickle.loads(pickle.dumps(plain))
    assert type(again) is ConfigError and str(again) == str(plain)
    assert (again.field, again.value, again.detail) == ("port", 47403, "address already in use")
    whole = ConfigFileError("fleet.toml", [Problem("meter.serial", "x", "digits", 3)])
    again = pickle.loads(pickle.dumps(whole))
    assert type(again) is ConfigFileError and str(again) == str(whole) and again.problems == whole.problems
