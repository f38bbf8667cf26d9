"""Every [server] setting the docs name is set by the file and by a flag of `k351c serve`; a wrong one is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w
import typer
from typer.testing import CliRunner

from k351c.cli.main import app
from k351c.codes.server import ServerSettings, flag_fields
from k351c.server.runtime import Runtime

runner = CliRunner()

# key: (a value other than the default, a wrong value)
CASES: dict[str, tuple[object, object]] = {
    "host": ("0.0.0.0", "two words"),
    "dlms_port": (14059, 70000),
    "hdlc_port": (14060, -1),
    "optical_port": (14062, 65536),
    "mbus_port": (14063, "none"),
    "web_port": (18351, 1.5),
    "serial_device": ("loop://", ""),
    "max_connections": (8, 0),
    "tcp_inactivity": (30.0, -1.0),
    "hdlc_inactivity": (90.0, 70000.0),
    "hdlc_window": (7, 8),
    "hdlc_max_info": (512, 31),
    "physical_address": (17, 15),
    "security_policy": (1, 4),
    "auth_free_attempts": (5, -1),
    "auth_base_delay": (0.5, -0.5),
    "auth_max_delay": (60.0, "long"),
    "auth_lockout_after": (3, 0),
    "auth_lockout_period": (600.0, -1.0),
    "wmbus_sink": ("udp://10.0.0.2:4064", "udp://10.0.0.2"),
    "wmbus_interval": (15.0, 0.0),
    "sms_port": (14053, 65536),
    "alarm_push_destination": ("10.0.0.9:4059", "10.0.0.9"),
    "alarm_push_ciphered": (False, "maybe"),
    "scheduled_push_destination": ("[::1]:4059", "host port"),
    "scheduled_push_ciphered": (True, "maybe"),
    "ccc_push_destination": ("head-end:4070", "head-end:"),
    "ccc_push_ciphered": (False, "maybe"),
}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[ServerSettings]:
    """`k351c serve` up to the start of its listeners: the settings each run would serve with."""
    seen: list[ServerSettings] = []

    async def run(self: Runtime, listeners: object) -> None:
        seen.append(self.settings)

    monkeypatch.setattr(Runtime, "run", run)
    return seen


def serve(tmp_path: Path, *args: str) -> str:
    """Run `k351c serve` on a state dir under tmp_path; the output (an error names the setting)."""
    result = runner.invoke(app, ["serve", "--state", str(tmp_path / "state"), "--quiet", *args])
    assert result.exit_code in (0, 2), result.output
    return result.output if result.exit_code == 2 else ""


def flag_args(key: str, value: object) -> list[str]:
    """The command line that gives ``value`` to the flag of ``key``."""
    flag = flag_fields()[key]
    if isinstance(value, bool):
        return [flag if value else "--no-" + flag.removeprefix("--")]
    return [flag, str(value)]


def write_config(tmp_path: Path, key: str, value: object) -> str:
    path = tmp_path / "server.toml"
    path.write_text(tomli_w.dumps({"server": {key: value}}))
    return str(path)


def test_the_table_covers_every_setting() -> None:
    assert set(CASES) == set(ServerSettings.model_fields)
    assert set(flag_fields()) == set(ServerSettings.model_fields)


@pytest.mark.parametrize("key", CASES)
def test_the_file_sets_it(key: str, tmp_path: Path, served: list[ServerSettings]) -> None:
    good, _ = CASES[key]
    assert getattr(ServerSettings(), key) != good
    assert serve(tmp_path, "--config", write_config(tmp_path, key, good)) == ""
    assert getattr(served[-1], key) == good


@pytest.mark.parametrize("key", CASES)
def test_a_flag_sets_it_over_the_file(
    key: str, tmp_path: Path, served: list[ServerSettings]
) -> None:
    good, _ = CASES[key]
    other = not good if isinstance(good, bool) else None
    args = ["--config", write_config(tmp_path, key, other)] if other is not None else []
    assert serve(tmp_path, *args, *flag_args(key, good)) == ""
    assert getattr(served[-1], key) == good


@pytest.mark.parametrize("key", CASES)
def test_a_wrong_value_in_the_file_is_refused_by_name(
    key: str, tmp_path: Path, served: list[ServerSettings]
) -> None:
    _, bad = CASES[key]
    output = serve(tmp_path, "--config", write_config(tmp_path, key, bad))
    assert f"server.{key}" in output
    assert not served


@pytest.mark.parametrize("key", [k for k, (good, _) in CASES.items() if not isinstance(good, bool)])
def test_a_wrong_flag_is_refused_by_name(
    key: str, tmp_path: Path, served: list[ServerSettings]
) -> None:
    _, bad = CASES[key]
    output = serve(tmp_path, *flag_args(key, bad))
    flag = flag_fields()[key]
    assert f"{flag} (server.{key})" in output or f"Invalid value for '{flag}'" in output
    assert not served


def test_fleet_takes_every_setting_but_the_single_meter_listeners() -> None:
    from k351c.cli.fleet import fleet
    from k351c.cli.server_flags import LISTENER_KEYS

    fleet_app = typer.Typer()
    fleet_app.command()(fleet)
    command = typer.main.get_command(fleet_app)
    params = {p.opts[0]: p for p in command.params if p.param_type_name == "option"}
    for key, flag in flag_fields().items():
        info = ServerSettings.model_fields[key]
        if key not in LISTENER_KEYS:
            assert params[flag].help == info.description and params[flag].default == info.default
        elif key != "host":  # the fleet's own --host, base ports and no serial line
            assert flag not in params
