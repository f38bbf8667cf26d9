"""Bench switches: parsing, ranges, the [bench] table, and ConfigErrors that name the flag and what it allows."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from k351c.cli.build import load_settings
from k351c.cli.headend import options_from_flags
from k351c.cli.main import app
from k351c.errors import ConfigError
from k351c.server.bench import BenchOptions, bench_options, parse_fault
from k351c.server.bench.options import FaultSpec, MeterRange, QuirkSpec


def test_nothing_set_is_inactive():
    assert not bench_options().active
    assert not BenchOptions().active


def test_fault_with_seed_parameters_and_range():
    spec = parse_fault("stall=0.25,seed=9,seconds=2.5@10-19")
    assert spec == FaultSpec("stall", 0.25, 9, 2.5, 0, MeterRange(10, 19))
    assert parse_fault("reset=1,after=3").after == 3


def test_quirk_for_a_range_of_fleet_meters():
    options = bench_options(quirks=["single-association@0-99", "no-release@5"])
    assert options.quirks == (
        QuirkSpec("single-association", MeterRange(0, 99)),
        QuirkSpec("no-release", MeterRange(5, 5)),
    )
    assert options.quirks_for(5) == {"single-association", "no-release"}
    assert options.quirks_for(100) == frozenset()


@pytest.mark.parametrize(
    ("flags", "flag", "allowed"),
    [
        ({"faults": ["lose=0.1"]}, "--fault", "drop, corrupt, duplicate, stall, reset"),
        ({"faults": ["drop=2"]}, "--fault", "between 0 and 1"),
        ({"faults": ["drop=x"]}, "--fault", "between 0 and 1"),
        ({"faults": ["drop=0.1,speed=3"]}, "--fault", "seed, seconds, after"),
        ({"faults": ["stall=1,seconds=-1"]}, "--fault", "seconds >= 0"),
        ({"faults": ["drop=0.1@9-3"]}, "--fault", "FIRST <= LAST"),
        ({"quirks": ["sleepy"]}, "--quirk", "single-association, no-release"),
        ({"quirks": ["no-release@a-b"]}, "--quirk", "FIRST-LAST"),
        ({"link_latency": -5}, "--link-latency", ">= 0"),
        ({"link_jitter": float("nan")}, "--link-jitter", ">= 0"),
        ({"link_bps": "fast"}, "--link-bps", "int >= 0"),
        ({"table": {"latency": 3}}, "[bench]", "link_latency"),
        ({"table": {"link_listeners": ["tcp"]}}, "link_listeners", "wrapper, hdlc, optical, mbus"),
    ],
)
def test_bad_values_name_the_flag_and_the_allowed_values(flags, flag, allowed):
    with pytest.raises(ConfigError) as error:
        bench_options(**flags)
    assert error.value.field == flag
    assert allowed in str(error.value)


def test_config_file_bench_table_and_flags_over_it(tmp_path):
    config = tmp_path / "meter.toml"
    config.write_text(
        '[bench]\ntrace = "t.jsonl"\nlink_latency = 250\nlink_bps = 9600\n'
        'link_listeners = ["hdlc", "wrapper"]\nfault = ["drop=0.1,seed=4"]\nquirk = ["no-release"]\n'
    )
    bench = load_settings(config).bench
    options = options_from_flags(bench, None, None, None, None, None, None)
    assert str(options.trace) == "t.jsonl"
    assert options.link.latency == pytest.approx(0.25) and options.link.bps == 9600
    assert options.link.listeners == {"hdlc", "wrapper"}
    assert options.faults[0].seed == 4 and options.quirks[0].name == "no-release"
    flagged = options_from_flags(bench, None, 10, None, None, ["corrupt=1"], None)
    assert flagged.link.latency == pytest.approx(0.01)
    assert [f.kind for f in flagged.faults] == ["corrupt"]


@pytest.mark.parametrize("command", ["serve", "fleet"])
def test_cli_refuses_a_bad_flag_before_starting(tmp_path, command):
    args = [command, "--state", str(tmp_path / "s"), "--quirk", "chatty"]
    if command == "fleet":
        args += ["--meters", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--quirk" in result.output and "single-association" in result.output


def test_options_reach_fleet_shard_processes_intact():
    from dataclasses import asdict

    from k351c.cli.fleet import ShardSpec, shard_spec

    options = bench_options(
        trace="t.jsonl", link_latency=5, link_bps=1200, faults=["stall=0.5,seconds=2@3-4"],
        quirks=["no-release@1", "strict-invoke-id"],
    )
    spec = ShardSpec(0, 0, 10, "state", 12345678, bench=options)
    assert shard_spec(asdict(spec)) == spec
    assert BenchOptions.from_dict(asdict(BenchOptions())) == BenchOptions()
