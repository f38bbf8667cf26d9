"""`k351c simulate`: an offline run writes registers, load profile and logs as CSV and Parquet."""

import pandas as pd
import typer
from typer.testing import CliRunner

from k351c.cli.simulate import simulate

SCENARIO = """
[load]
current = 2.0
[[events]]
at = "2026-01-01T05:00:00Z"
kind = "outage"
duration = "1h"
[[events]]
at = "2026-01-01T08:00:00Z"
kind = "tamper"
what = "meter_cover"
"""


def test_simulate_writes_csv_and_parquet(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    app = typer.Typer()
    app.command()(simulate)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "--scenario",
            str(scenario),
            "--from",
            "2026-01-01T00:00:00Z",
            "--to",
            "2026-01-02T00:00:00Z",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    lp = pd.read_parquet(out / "load_profile.parquet")
    assert len(lp) == 96
    registers = pd.read_csv(out / "registers.csv", dtype=str)
    total = int(registers.set_index("obis").loc["1-0:1.8.0.255", "value"])
    assert lp["1-0:1.29.0.255"].sum() == total == 1380 * 23
    fraud = pd.read_csv(out / "fraud_event_log.csv")
    assert fraud["0-0:96.11.1.255"].tolist() == [44]
    failures = pd.read_parquet(out / "power_failure_log.parquet")
    assert failures["0-0:96.7.19.255"].tolist() == [3600]
    assert (out / "standard_event_log.parquet").exists() and (out / "analysis.csv").exists()


def test_simulate_needs_a_time_span(tmp_path):
    app = typer.Typer()
    app.command()(simulate)
    result = CliRunner().invoke(app, ["--out", str(tmp_path), "--quiet"])
    assert result.exit_code != 0
