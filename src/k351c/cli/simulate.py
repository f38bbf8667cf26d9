"""`k351c simulate`: run a meter offline through a scenario as fast as possible and write its memory to files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from k351c.cli.build import load_config
from k351c.clock import SimClock, parse_instant
from k351c.errors import K351CError
from k351c.meter.core import Meter
from k351c.meter.loads_profile import household_load
from k351c.meter.objects import ProfileData
from k351c.meter.scenario import Scenario, ScenarioPlayer
from k351c.store import MemoryStore

if TYPE_CHECKING:
    import pandas as pd

CHUNK_S = 86400.0
PROFILE_NAMES = {
    "1-0:99.1.0.255": "load_profile",
    "1-0:99.2.0.255": "analysis",
    "0-0:99.98.0.255": "standard_event_log",
    "0-0:99.98.1.255": "fraud_event_log",
    "0-0:99.98.4.255": "power_quality_event_log",
    "1-0:99.97.0.255": "power_failure_log",
}


def run_simulation(
    meter: Meter, player: ScenarioPlayer, t0: float, t1: float, progress=None
) -> None:
    """Advance the meter from t0 to t1 in one-day chunks (commits stay small), reporting progress."""
    t = t0
    while t < t1:
        t = min(t + CHUNK_S, t1)
        player.advance_to(t)
        if progress is not None:
            progress(t - t0)


def _frame(columns: list[str], rows: list[tuple]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame([list(r) for r in rows], columns=columns)
    for name in frame.columns:
        if len(frame) and isinstance(frame[name].iloc[0], datetime):
            frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def register_table(meter: Meter) -> pd.DataFrame:
    """Every scalar value of the meter: OBIS, value (scaled), unit, description."""
    import pandas as pd

    out = []
    for definition in meter.objects:
        if definition.class_id not in (1, 3, 4):
            continue
        try:
            reading = meter.reading(definition.obis)
        except Exception:  # noqa: BLE001 - one unreadable value must not spoil the export
            continue
        value = reading.value
        if isinstance(value, datetime):
            value = value.isoformat()
        elif not isinstance(value, (int, float, str)) or isinstance(value, bool):
            value = str(value)
        out.append((reading.obis, str(value), reading.unit, definition.description))
    return pd.DataFrame(out, columns=["obis", "value", "unit", "description"])


def write_outputs(meter: Meter, out: Path) -> list[Path]:
    """Registers and every logger of the meter as CSV and Parquet in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    tables = {"registers": register_table(meter)}
    for definition in meter.objects:
        if definition.class_id != 7 or not isinstance(definition.get(), ProfileData):
            continue
        profile = meter.profile(definition.obis)
        name = PROFILE_NAMES.get(profile.obis, "profile_" + profile.obis.replace(":", "_"))
        tables[name] = _frame(profile.columns, profile.rows)
    written = []
    for name, frame in tables.items():
        for suffix in ("csv", "parquet"):
            path = out / f"{name}.{suffix}"
            if suffix == "csv":
                frame.to_csv(path, index=False)
            else:
                frame.astype(
                    {c: str for c in frame.columns if frame[c].dtype == object}
                ).to_parquet(path)
            written.append(path)
    return written


def simulate(
    config: Path = typer.Option(
        None, "--config", help="Configuration file (TOML) with codes and settings."
    ),
    scenario: Path = typer.Option(None, "--scenario", help="Scenario file (TOML) to play."),
    from_: str = typer.Option(
        None, "--from", help="Start instant (ISO 8601); default: the scenario's from."
    ),
    to: str = typer.Option(
        None, "--to", help="End instant (ISO 8601); default: the scenario's to."
    ),
    out: Path = typer.Option(
        Path("k351c-sim"), "--out", help="Directory for the CSV and Parquet files."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Run one meter offline from --from to --to through a scenario; write registers, load profile and logs."""
    try:
        cfg = load_config(config)
        plan = Scenario.from_toml(scenario) if scenario else Scenario()
        start = parse_instant(from_).timestamp() if from_ else plan.start
        end = parse_instant(to).timestamp() if to else plan.end
        if start is None or end is None or end <= start:
            raise typer.BadParameter(
                "give --from and --to (or [scenario] from/to), with to after from"
            )
        meter = Meter(
            cfg, clock=SimClock(start, rate=0), store=MemoryStore(), load=household_load(cfg)
        )
        player = ScenarioPlayer(meter, plan)
        with Progress(
            TextColumn("simulating"),
            BarColumn(),
            TextColumn("{task.percentage:>5.1f}%"),
            TimeRemainingColumn(),
            disable=quiet,
        ) as bar:
            task = bar.add_task("run", total=end - start)
            run_simulation(meter, player, start, end, lambda done: bar.update(task, completed=done))
        written = write_outputs(meter, out)
    except K351CError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"wrote {len(written)} files to {out}")
