"""A fleet whose flags do not fit (ports, open-file limit, memory) is refused before anything starts."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from k351c.cli.fleet_checks import check_memory, check_ports, estimated_bytes, port_ranges
from k351c.codes import MeterConfig
from k351c.errors import ConfigError


def _fleet(tmp_path, *flags: str, limit: int | None = None) -> subprocess.CompletedProcess:
    """`k351c fleet` as a user runs it; a refusal must come back at once, with nothing started."""

    def lower_file_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "k351c.cli.main", "fleet", "--state", str(tmp_path), *flags],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lower_file_limit if limit else None,  # noqa: PLW1509 - no threads in the child yet
        check=False,
    )


def _refused(result: subprocess.CompletedProcess, tmp_path, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert all(word in result.stderr for word in words), result.stderr
    assert not any(tmp_path.rglob("fleet.npz")) and not any(tmp_path.rglob("fleet-secret"))


def test_ports_beyond_65535_are_refused_with_the_range(tmp_path):
    result = _fleet(tmp_path, "--meters", "100", "--dlms-base-port", "65500")
    _refused(result, tmp_path, "--dlms-base-port", "65436", "65500..65599")


def test_overlapping_port_ranges_are_refused(tmp_path):
    result = _fleet(
        tmp_path, "--meters", "100", "--dlms-base-port", "20000", "--hdlc-base-port", "20050"
    )
    _refused(result, tmp_path, "--hdlc-base-port", "20000..20099")


def test_shared_port_inside_a_meter_range_is_refused_with_shards(tmp_path):
    result = _fleet(
        tmp_path,
        *("--meters", "10", "--processes", "2", "--dlms-base-port", "30000"),
        *("--shared-port", "30009"),
    )
    _refused(result, tmp_path, "--shared-port", "30009..30010")


def test_open_file_limit_is_checked_before_any_port_opens(tmp_path):
    result = _fleet(
        tmp_path, "--meters", "1000", "--dlms-base-port", "40000", "--test-keys", limit=256
    )
    _refused(result, tmp_path, "--meters", "open-file limit 256", "--shared-port")


def test_a_fleet_beyond_the_available_memory_is_refused(tmp_path):
    result = _fleet(tmp_path, "--meters", "300000000", "--shared-port", "40000", "--test-keys")
    _refused(result, tmp_path, "--meters", "memory available")


def test_adjacent_ranges_and_shared_ports_after_them_fit():
    ranges = port_ranges(100, 2, 20000, 20100, 20200, 20202)
    assert ranges == [
        ("--dlms-base-port", 20000, 20099),
        ("--hdlc-base-port", 20100, 20199),
        ("--shared-port", 20200, 20201),
        ("--shared-hdlc-port", 20202, 20203),
    ]
    check_ports(ranges)
    with pytest.raises(ConfigError, match="--shared-hdlc-port"):
        check_ports(port_ranges(100, 2, 20000, 20100, 20200, 20201))


def test_memory_estimate_grows_with_meters_and_profile_depth():
    config = MeterConfig.default()
    one, many = estimated_bytes(config, [1000]), estimated_bytes(config, [100_000])
    per_meter = (many - one) / 99_000
    assert 32 * 2**10 < per_meter < 64 * 2**10  # ~33 KiB measured, with the profile checkpoints
    two_processes = estimated_bytes(config, [500, 500])
    assert two_processes > estimated_bytes(config, [1000])  # a base per process
    assert check_memory(config, [10_000], available=2**30) < 2**30  # the 1 GiB goal fits
    with pytest.raises(ConfigError, match="0.1 GiB now"):
        check_memory(config, [10_000], available=2**27)
