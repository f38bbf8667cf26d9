"""`k351c config check/show/schema/docs`, and every command that reads a configuration names its mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from k351c.cli.configdoc import render
from k351c.cli.main import app
from k351c.codes import MeterConfig
from k351c.codes.configfile import load
from k351c.codes.server import ServerSettings

runner = CliRunner()
DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"
BAD = "[meter]\nserial = '12345678'\n\n[thresholds]\nundervoltag = 3\n\n[bogus]\nx = 1\n"


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    return path


def test_check_good_file_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_text("[thresholds]\nundervoltage_percent = -15\n[server]\nmax_connections = 8\n")
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_check_bad_file_exits_2_with_every_mistake(bad_file: Path) -> None:
    result = runner.invoke(app, ["config", "check", str(bad_file)])
    assert result.exit_code == 2
    assert f"{bad_file}:5: thresholds.undervoltag" in result.output
    assert "did you mean 'undervoltage_percent'" in result.output
    assert f"{bad_file}:7: bogus" in result.output
    assert "Traceback" not in result.output


def test_show_writes_a_file_that_reads_back(tmp_path: Path) -> None:
    source = tmp_path / "in.toml"
    source.write_text(
        "[meter]\nserial = 87654321\n[server]\nphysical_address = 42\n"
        "[bench]\nlink_latency = 20\nquirk = ['single-association']\n"
        "[rtc]\ndrift_ppm = 5\n[metrology]\naccuracy = 'typical'\n"
    )
    result = runner.invoke(app, ["config", "show", str(source)])
    assert result.exit_code == 0, result.output
    shown = tmp_path / "shown.toml"
    shown.write_text(result.output)
    again = load(shown)
    assert again == load(source)
    assert again.meter.serial == "87654321" and again.server.physical_address == 42
    assert again.bench.link_latency == 20 and again.bench.quirk == ["single-association"]
    assert again.meter.settings.rtc.drift_ppm == 5
    assert "undervoltage_percent = -10.0" in result.output  # defaults filled in


def test_show_without_file_is_the_embedded_default(tmp_path: Path) -> None:
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "default.toml"
    path.write_text(result.output)
    loaded = load(path)
    assert loaded.meter == MeterConfig.default() and loaded.server == ServerSettings()


def test_schema_is_json_schema_of_every_section() -> None:
    result = runner.invoke(app, ["config", "schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert "server" in schema["properties"] and "thresholds" in schema["properties"]
    assert schema["additionalProperties"] is False


def test_docs_config_md_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/config.md is stale: regenerate it with: k351c config docs > docs/config.md"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["codes", "encode", "{file}"],
        ["serve", "--config", "{file}", "--state", "{tmp}", "--quiet"],
        ["show", "--config", "{file}", "--state", "{tmp}"],
        [
            "simulate",
            "--config",
            "{file}",
            "--from",
            "2026-01-01T00:00Z",
            "--to",
            "2026-01-02T00:00Z",
            "--out",
            "{tmp}",
        ],
        [
            "fleet",
            "--meters",
            "2",
            "--processes",
            "2",
            "--first-serial",
            "10000000",
            "--config",
            "{file}",
            "--state",
            "{tmp}",
        ],
        [
            "backfill",
            "--from",
            "2026-01-01T00:00Z",
            "--to",
            "2026-01-02T00:00Z",
            "--config",
            "{file}",
            "--state",
            "{tmp}",
        ],
        [
            "backfill",
            "--meters",
            "2",
            "--first-serial",
            "10000000",
            "--from",
            "2026-01-01T00:00Z",
            "--to",
            "2026-01-02T00:00Z",
            "--config",
            "{file}",
            "--state",
            "{tmp}",
        ],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_every_command_names_the_mistake(args: list[str], bad_file: Path, tmp_path: Path) -> None:
    argv = [a.format(file=bad_file, tmp=tmp_path / "state") for a in args]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "thresholds.undervoltag" in result.output
    assert "did you mean 'undervoltage_percent'" in result.output
    assert "Traceback" not in result.output


def _serve_settings(argv: list[str], tmp_path: Path, monkeypatch) -> ServerSettings:
    """The ServerSettings `k351c serve` hands its Runtime for these arguments (nothing is served)."""
    import k351c.server.runtime as runtime_module

    captured = {}

    class Captured:
        def __init__(self, meter, host, keys, settings) -> None:  # noqa: ANN001
            captured["settings"] = settings

        async def run(self, listeners) -> None:  # noqa: ANN001
            return None

    monkeypatch.setattr(runtime_module, "Runtime", Captured)
    result = runner.invoke(app, ["serve", "--state", str(tmp_path / "state"), "--quiet", *argv])
    assert result.exit_code == 0, result.output
    return captured["settings"]


def test_serve_takes_server_section_and_a_given_flag_wins(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "server.toml"
    path.write_text("[server]\nmax_connections = 8\nhdlc_port = 0\nphysical_address = 40\n")
    settings = _serve_settings(
        ["--config", str(path), "--hdlc-port", "4999"], tmp_path, monkeypatch
    )
    assert settings.max_connections == 8 and settings.physical_address == 40
    assert settings.hdlc_port == 4999
    again = _serve_settings(
        ["--config", str(path), "--max-connections", "64"], tmp_path, monkeypatch
    )
    assert again.max_connections == 64  # given, even though it is the schema default
    plain = _serve_settings([], tmp_path, monkeypatch)
    assert plain == ServerSettings()


def test_serve_refuses_a_bad_flag_value_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--state", str(tmp_path), "--max-connections", "300"])
    assert result.exit_code == 2
    assert "--max-connections (server.max_connections): 300 is not allowed" in result.output
    assert "Traceback" not in result.output


def test_fleet_takes_server_flags_to_every_shard(tmp_path: Path, monkeypatch) -> None:
    import k351c.cli.fleet as fleet_cli

    captured = []
    monkeypatch.setattr(fleet_cli, "_run_local", captured.extend)
    path = tmp_path / "fleet.toml"
    path.write_text("[server]\nmax_connections = 8\nhdlc_inactivity = 30\n")
    argv = [
        "fleet",
        "--meters",
        "4",
        "--processes",
        "2",
        "--config",
        str(path),
        "--state",
        str(tmp_path / "fleet"),
        "--max-connections",
        "5",
    ]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert [spec.server for spec in captured] == [{"max_connections": 5}] * 2
    from k351c.cli.build import load_settings

    effective = load_settings(path).server.with_flags(captured[0].server)
    assert effective.max_connections == 5 and effective.hdlc_inactivity == 30


def test_fleet_refuses_a_bad_flag_before_any_shard(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["fleet", "--meters", "2", "--max-connections", "0", "--state", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "--max-connections" in result.output and "Traceback" not in result.output
