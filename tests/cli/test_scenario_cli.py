"""Every command that reads a scenario file names its mistakes (exit 2, location, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from k351c.cli.main import app

runner = CliRunner()
EXAMPLES = sorted(Path(__file__).resolve().parents[2].joinpath("examples").glob("*.toml"))
BAD = (
    '[scenario]\nfrom = "2026-01-01T00:00:00Z"\nto = "2026-01-02T00:00:00Z"\n'
    '[[events]]\nat = "2026-01-01T06:00:00Z"\nkind = "outgae"\nduration = "1h"\n'
)


@pytest.fixture
def bad_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "bad-scenario.toml"
    path.write_text(BAD)
    return path


def _assert_located(result, path: Path) -> None:
    assert result.exit_code == 2, result.output
    assert f"{path}:6: events[0].kind: 'outgae' is not allowed" in result.output
    assert "did you mean 'outage'" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_config_check_detects_a_scenario(bad_scenario: Path) -> None:
    _assert_located(runner.invoke(app, ["config", "check", str(bad_scenario)]), bad_scenario)


def test_config_check_scenario_option(tmp_path: Path) -> None:
    path = tmp_path / "only-name.toml"
    path.write_text('name = "nothing happens"\n')
    forced = runner.invoke(app, ["config", "check", "--scenario", str(path)])
    assert forced.exit_code == 0 and "ok (scenario)" in forced.output
    as_config = runner.invoke(app, ["config", "check", str(path)])
    assert as_config.exit_code == 2 and f"{path}:1: name" in as_config.output


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_config_check_passes_every_example(path: Path) -> None:
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 0 and "ok (scenario)" in result.output, result.output


def test_simulate_names_the_mistake(bad_scenario: Path, tmp_path: Path) -> None:
    argv = ["simulate", "--scenario", str(bad_scenario), "--out", str(tmp_path / "o"), "--quiet"]
    _assert_located(runner.invoke(app, argv), bad_scenario)
    assert not (tmp_path / "o").exists()


def test_serve_names_the_mistake_before_listening(
    bad_scenario: Path, tmp_path: Path, monkeypatch
) -> None:
    import k351c.server.runtime as runtime_module

    ran = []

    class NeverRun:
        def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
            self.bench = None

        async def run(self, listeners) -> None:  # noqa: ANN001
            ran.append(listeners)

    monkeypatch.setattr(runtime_module, "Runtime", NeverRun)
    argv = ["serve", "--state", str(tmp_path / "state"), "--quiet", "--scenario", str(bad_scenario)]
    _assert_located(runner.invoke(app, argv), bad_scenario)
    assert ran == []


def test_unreadable_and_malformed_scenarios_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[[events]\nat = 1\n")
    for path in (broken, tmp_path / "missing.toml"):
        result = runner.invoke(app, ["simulate", "--scenario", str(path), "--quiet"])
        assert result.exit_code == 2 and str(path) in result.output
        assert "Traceback" not in result.output


def test_config_schema_scenario_is_json_schema() -> None:
    result = runner.invoke(app, ["config", "schema", "--scenario"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["title"] == "k351c scenario file" and schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"name", "scenario", "load", "events"}
    assert schema["properties"]["events"]["items"]["discriminator"]["propertyName"] == "kind"
