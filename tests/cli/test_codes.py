"""`k351c codes decode/encode` through typer's CliRunner on the codes sub-app."""

import pytest
from typer.testing import CliRunner

from k351c.cli.codes import codes_app
from k351c.codes.configfile import load, load_text

runner = CliRunner()


@pytest.mark.parametrize(
    ("code", "title", "row"),
    [
        ("685-35BC423-070", "Type number 685-35BC423-070", "X8X9X10 country code"),
        ("685 3-5B-C4-23-070", "Type number 685-35BC423-070", "DE Germany"),
        ("3-1-040-05-2", "Configuration 1 3-1-040-05-2", "Pulse in / A+ out"),
        ("001-01-13-2", "Configuration 2 001-01-13-2", "Yearly, January"),
        ("00-0-02-0-00-001-001-01", "Configuration 3", "GMT+2 (FI)"),
        ("000-600-2-3", "Configuration 5 000-600-2-3", "3000A / 5A"),
    ],
)
def test_decode_auto_detects(code, title, row):
    result = runner.invoke(codes_app, ["decode", code])
    assert result.exit_code == 0, result.output
    assert title in result.output
    assert row in result.output
    assert "position" in result.output and "meaning" in result.output


def test_decode_with_forced_kind():
    result = runner.invoke(codes_app, ["decode", "--kind", "config2", "31000002"])
    assert result.exit_code == 0, result.output
    assert "Configuration 2 310-00-00-2" in result.output
    ambiguous = runner.invoke(codes_app, ["decode", "31000002"])
    assert ambiguous.exit_code == 2
    assert "ambiguous" in ambiguous.output


def test_decode_notes_io_conflicts():
    result = runner.invoke(codes_app, ["decode", "3-1-001-05-2"])
    assert result.exit_code == 0
    assert "note: I/O 1" in result.output


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("685-35ZC423-070", "X3 class: 'Z' is not allowed; allowed: ['B', 'C', '1', '5']"),
        ("001-01-99-1", "config2 HH debiting logging interval: '99'"),
        ("hello", "not the shape of any code"),
    ],
)
def test_decode_errors_exit_2_with_the_message(code, message):
    result = runner.invoke(codes_app, ["decode", code])
    assert result.exit_code == 2
    assert message in result.output


def test_encode_prints_canonical_codes(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[meter]\nserial = "55555555"\n[codes]\nconfig1 = "3 1 040 05 1"\n')
    result = runner.invoke(codes_app, ["encode", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines == [
        "serial 55555555",
        "type_number 685-35BC423-070",
        "config1 3-1-040-05-1",
        "config2 001-01-01-1",
        "config3 00-0-01-0-00-001-001-01",
        "config5 000-001-1-1",
    ]


def test_encode_toml_round_trips(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[codes]\nconfig5 = "000-600-2-3"\n')
    result = runner.invoke(codes_app, ["encode", "--toml", str(path)])
    assert result.exit_code == 0, result.output
    assert load_text(result.output).meter == load(path).meter


def test_encode_errors_exit_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[codes]\nconfig2 = "099-01-01-1"\n')
    result = runner.invoke(codes_app, ["encode", str(path)])
    assert result.exit_code == 2
    assert "config2 FFF display configuration" in result.output
    missing = runner.invoke(codes_app, ["encode", str(tmp_path / "none.toml")])
    assert missing.exit_code == 2
