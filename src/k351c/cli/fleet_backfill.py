"""`k351c backfill`: run a meter (the full model) or a fleet (the vectorised engine) from a past instant, with progress."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from k351c.cli.fleet import DEFAULT_STATE, ShardSpec, open_fleet, shard_specs
from k351c.clock import SystemClock, parse_instant
from k351c.errors import ConfigError, K351CError

DAY = 86400.0


# glibc mallopt parameters: keep freed arrays in the heap instead of returning them to the kernel
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_HEAP_KEEP = {_M_MMAP_THRESHOLD: 64 << 20, _M_TRIM_THRESHOLD: 256 << 20, _M_TOP_PAD: 64 << 20}


def keep_heap() -> bool:
    """Tune glibc's allocator for the engine's per-chunk arrays (True if it applied).

    Each chunk allocates and frees megabyte arrays; by default glibc maps and unmaps them (or trims
    the heap) every time, and the page faults cost about a quarter of a backfill's wall time. A
    backfill worker is short-lived, so it keeps up to a few hundred MiB of freed heap instead (the
    shard processes call it; a one-shard backfill runs in the caller's process, left as it is).
    Without glibc nothing changes.
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return all(mallopt(param, value) == 1 for param, value in _HEAP_KEEP.items())


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )


def backfill_meter(t0: float, t1: float, state: Path, config: Path | None) -> None:
    """One meter with every function, day by day from t0 (or where its state stopped) to t1."""
    from k351c.cli.build import build_meter
    from k351c.clock import SimClock
    from k351c.meter.core import STATE_KEY
    from k351c.store import SqliteStore

    store = SqliteStore(Path(state) / "meter.sqlite")
    saved = store.get(STATE_KEY)
    store.close()
    if saved is not None and float(saved["t"]) > t0:
        t0 = float(saved["t"])
    meter = build_meter(state=state, rate=0.0, start=None if saved else _iso(t0), config=config)
    days = max(1, int((t1 - t0 + DAY - 1) // DAY))
    with _progress() as progress:
        task = progress.add_task(f"meter {meter.config.serial}", total=days)
        while meter.t < t1:
            target = min(meter.t + DAY, t1)
            if isinstance(meter.clock, SimClock):
                meter.clock.set(target)
            meter.advance_to(target)
            progress.advance(task)
    meter.store.close()


def backfill_fleet(
    t0: float,
    t1: float,
    meters: int,
    state: Path,
    config: Path | None,
    first_serial: int | None,
    processes: int = 1,
) -> None:
    """A fleet (one state file per shard) advanced to t1; shards in parallel processes."""
    from k351c.cli.build import load_config

    if t1 <= t0:
        raise ConfigError("--to", t1, "an instant after --from")
    own_serial = load_config(config).serial  # a bad file is refused before any shard starts
    serial0 = int(first_serial if first_serial is not None else own_serial)
    base = ShardSpec(0, 0, meters, str(state), serial0, config=str(config) if config else None)
    specs = shard_specs(base, meters, processes)
    intervals = int((t1 - t0) // 900)
    with _progress() as progress:
        task = progress.add_task(f"{meters} meters", total=intervals * meters)
        if len(specs) == 1:
            run_backfill_shard(
                asdict(specs[0]), t0, t1, lambda k: progress.advance(task, k * meters)
            )
            return
        import multiprocessing

        manager = multiprocessing.get_context("spawn").Manager()
        queue = manager.Queue()
        with ProcessPoolExecutor(
            len(specs), mp_context=multiprocessing.get_context("spawn"), initializer=keep_heap
        ) as pool:
            futures = [
                pool.submit(run_backfill_shard, asdict(s), t0, t1, None, queue) for s in specs
            ]
            done = 0
            while done < len(futures):
                item = queue.get()
                if item is None:
                    done += 1
                else:
                    progress.advance(task, item)
            for future in futures:
                future.result()


def run_backfill_shard(spec: dict, t0: float, t1: float, progress=None, queue=None) -> float:
    """Advance one shard's fleet to t1 and save it; progress in meter-intervals to a callback or queue."""
    from k351c.server.fleet import STATE_FILE

    shard = ShardSpec(**spec)
    fleet = open_fleet(shard, t0)
    report = progress
    if queue is not None:
        report = lambda k: queue.put(k * shard.count)  # noqa: E731
    try:
        fleet.advance_to(t1, report)
        fleet.save(Path(shard.state) / STATE_FILE)
    finally:
        if queue is not None:
            queue.put(None)
    return fleet.t


def _iso(t: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).isoformat()


def backfill(
    from_: str = typer.Option(..., "--from", help="First instant of the history (ISO 8601)."),
    to: str = typer.Option(None, "--to", help="Last instant (default: now)."),
    meters: int = typer.Option(
        0, "--meters", help="A fleet of N meters (default: one meter, the full model)."
    ),
    state: Path = typer.Option(
        None, "--state", help="State directory (default k351c-data, or k351c-fleet)."
    ),
    config: Path = typer.Option(None, "--config", help="Configuration (TOML)."),
    first_serial: int = typer.Option(None, "--first-serial", help="Serial of meter 0 of a fleet."),
    processes: int = typer.Option(1, "--processes", help="Shards computed in parallel (fleets)."),
) -> None:
    """Create the history a real meter would have: registers, load profile, logs, consistently, with progress."""
    try:
        t0 = parse_instant(from_).timestamp()
        t1 = parse_instant(to).timestamp() if to else SystemClock().timestamp()
        if meters:
            backfill_fleet(t0, t1, meters, state or DEFAULT_STATE, config, first_serial, processes)
        else:
            backfill_meter(t0, t1, state or Path("k351c-data"), config)
    except K351CError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
