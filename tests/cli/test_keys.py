"""`k351c keys show`: prints the key file's keys (random per meter, or the lab keys with --test-keys)."""

from __future__ import annotations

from typer.testing import CliRunner

from k351c.cli.main import app
from k351c.server.keys import TEST_KEYS, KeyStore


def test_keys_show_creates_random_keys_once(tmp_path):
    runner = CliRunner()
    first = runner.invoke(app, ["keys", "show", "--state", str(tmp_path)])
    assert first.exit_code == 0, first.output
    keys = KeyStore(tmp_path).keys
    for value in (keys.encryption_key, keys.authentication_key, keys.master_key, keys.lls_password):
        assert value in first.output
    assert keys.encryption_key != TEST_KEYS["encryption_key"]
    assert "security_policy      3" in first.output
    again = runner.invoke(app, ["keys", "show", "--state", str(tmp_path)])
    assert again.output == first.output


def test_keys_show_prints_lab_keys_written_by_test_keys(tmp_path):
    KeyStore(tmp_path, test_keys=True)
    result = CliRunner().invoke(app, ["keys", "show", "--state", str(tmp_path)])
    assert "000102030405060708090A0B0C0D0E0F" in result.output
    assert "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF" in result.output
    assert "12345678" in result.output
