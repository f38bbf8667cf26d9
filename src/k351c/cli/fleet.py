"""`k351c fleet`: N meters, sharded over processes or Ray (``k351c backfill`` is in ``fleet_backfill``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import typer

from k351c.cli import headend
from k351c.cli.server_flags import LISTENER_KEYS, given_flags, with_server_flags
from k351c.errors import K351CError
from k351c.server.bench import BenchOptions

log = logging.getLogger(__name__)

DEFAULT_STATE = Path("k351c-fleet")


@dataclass(frozen=True)
class ShardSpec:
    """One shard: which meters (offset, count) of the fleet, its ports and its own state directory."""

    index: int
    offset: int
    count: int
    state: str
    first_serial: int
    host: str = "127.0.0.1"
    dlms_base_port: int = 0
    hdlc_base_port: int = 0
    shared_port: int = 0
    shared_hdlc_port: int = 0
    rate: float = 1.0
    start: str | None = None
    config: str | None = None
    test_keys: bool = False
    outages: tuple[str, ...] = ()
    push_destination: str | None = None
    bench: BenchOptions | None = None
    server: dict[str, object] = field(default_factory=dict)  # [server] keys given as flags
    voltage_events: tuple[str, ...] = ()


def shard_plan(meters: int, shards: int) -> list[tuple[int, int]]:
    """(offset, count) of each shard: meters split as evenly as possible, in order."""
    if shards < 1 or shards > meters:
        raise typer.BadParameter(f"--processes must be 1..{meters}")
    size, extra = divmod(meters, shards)
    out, offset = [], 0
    for k in range(shards):
        count = size + (1 if k < extra else 0)
        out.append((offset, count))
        offset += count
    return out


def shard_specs(
    base: ShardSpec, meters: int, shards: int, only: int | None = None
) -> list[ShardSpec]:
    """The specs of every shard (or only shard ``only``): serials, ports and state directory shifted."""
    if only is not None and not 0 <= only < shards:
        raise typer.BadParameter(f"--shard must be 0..{shards - 1} (one of --processes {shards})")
    specs = []
    for k, (offset, count) in enumerate(shard_plan(meters, shards)):
        if only is not None and k != only:
            continue
        shift = lambda port, o=offset: port + o if port else 0  # noqa: E731
        state = str(Path(base.state) / f"shard-{k}") if shards > 1 else base.state
        shared = base.shared_port + k if base.shared_port else 0
        shared_hdlc = base.shared_hdlc_port + k if base.shared_hdlc_port else 0
        specs.append(
            replace(
                base,
                index=k,
                offset=offset,
                count=count,
                state=state,
                first_serial=base.first_serial + offset,
                dlms_base_port=shift(base.dlms_base_port),
                hdlc_base_port=shift(base.hdlc_base_port),
                shared_port=shared,
                shared_hdlc_port=shared_hdlc,
            )
        )
    return specs


def open_fleet(spec: ShardSpec, start: float | None):
    """The shard's fleet: restored from its state directory, or new from ``start``."""
    from k351c.cli.build import load_config
    from k351c.meter.fleet import Fleet
    from k351c.server.fleet import STATE_FILE

    config = load_config(Path(spec.config) if spec.config else None)
    path = Path(spec.state) / STATE_FILE
    if path.exists():
        fleet = Fleet.load(path, config)
        if fleet.n != spec.count or fleet.first_serial != spec.first_serial:
            from k351c.errors import ConfigError

            raise ConfigError(
                "--state",
                str(path),
                f"a fleet of {spec.count} meters from serial {spec.first_serial}",
            )
        return fleet
    from k351c.clock import SystemClock

    return Fleet(
        config,
        meters=spec.count,
        start=start if start is not None else SystemClock().timestamp(),
        first_serial=spec.first_serial,
    )


def parse_outage(text: str, offset: int, count: int) -> tuple[float, float, list[int]] | None:
    """ "START/END:FIRST-LAST" (ISO instants, fleet indices) -> this shard's part, or None if it has none."""
    from k351c.clock import parse_instant
    from k351c.errors import ConfigError

    try:
        times, _, meters = text.partition(":")
        if "/" not in times:
            times, meters = text.rsplit(":", 1)
        t0, t1 = (parse_instant(x).timestamp() for x in times.split("/"))
        first, _, last = meters.partition("-")
        lo, hi = int(first), int(last or first)
    except (ValueError, K351CError) as exc:
        raise ConfigError(
            "--outage", text, "START/END:FIRST-LAST, e.g. 2026-01-05T10:00Z/2026-01-05T11:30Z:0-499"
        ) from exc
    local = [i - offset for i in range(max(lo, offset), min(hi, offset + count - 1) + 1)]
    return (t0, t1, local) if local else None


VOLTAGE_EVENT_FORMAT = (
    "START/END:FIRST-LAST:PHASES:LEVEL, e.g. 2026-01-05T10:00Z/2026-01-05T10:10Z:0-499:1,2:0.8"
)


def parse_voltage_event(
    text: str, offset: int, count: int
) -> tuple[float, float, list[int], tuple[int, ...], float] | None:
    """ "START/END:FIRST-LAST:PHASES:LEVEL" -> this shard's part (t0, t1, meters, phases, level), or None."""
    from k351c.errors import ConfigError

    try:
        where, phases, level = text.rsplit(":", 2)
        chosen = tuple(int(p) for p in phases.split(","))
        factor = float(level)
    except ValueError as exc:
        raise ConfigError("--voltage-event", text, VOLTAGE_EVENT_FORMAT) from exc
    try:
        part = parse_outage(where, offset, count)
    except K351CError as exc:
        raise ConfigError("--voltage-event", text, VOLTAGE_EVENT_FORMAT) from exc
    return None if part is None else (*part, chosen, factor)


def shard_spec(spec: ShardSpec | dict) -> ShardSpec:
    """A shard's spec as given, or rebuilt from the dict a child process or Ray task receives."""
    if not isinstance(spec, dict):
        return spec
    bench = spec.get("bench")
    if isinstance(bench, dict):
        spec = {**spec, "bench": BenchOptions.from_dict(bench)}
    return ShardSpec(**spec)


def run_shard(spec: ShardSpec | dict) -> dict:
    """Run one shard until SIGINT/SIGTERM (a process of --processes, a Ray task or a Kubernetes pod)."""
    from k351c.cli.build import load_settings
    from k351c.clock import SimClock, parse_instant
    from k351c.server.fleet import FleetServer

    spec = shard_spec(spec)
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s shard {spec.index} %(name)s %(message)s"
    )
    start = parse_instant(spec.start).timestamp() if spec.start else None
    fleet = open_fleet(spec, start)
    for text in spec.outages:
        part = parse_outage(text, spec.offset, spec.count)
        if part is not None:
            fleet.add_outage(*part)
    for text in spec.voltage_events:
        event = parse_voltage_event(text, spec.offset, spec.count)
        if event is not None:
            fleet.add_voltage_event(*event)
    epoch = start if start is not None and start > fleet.t else fleet.t
    clock = SimClock(epoch, rate=spec.rate)
    server = FleetServer(
        fleet,
        clock,
        spec.host,
        dlms_base_port=spec.dlms_base_port,
        hdlc_base_port=spec.hdlc_base_port,
        shared_port=spec.shared_port,
        shared_hdlc_port=spec.shared_hdlc_port,
        state=Path(spec.state),
        test_keys=spec.test_keys,
        push_destination=spec.push_destination,
        bench=_shard_bench(spec, clock),
        first_index=spec.offset,
        settings=load_settings(Path(spec.config) if spec.config else None).server.with_flags(
            spec.server
        ),
    )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, server.stopping.set)
        await server.run()

    try:
        asyncio.run(main())
    finally:
        if server.bench is not None:
            server.bench.close()
    return {"shard": spec.index, "meters": spec.count, "t": fleet.t}


def _shard_bench(spec: ShardSpec, clock):  # noqa: ANN001, ANN202
    """The bench of one shard (its own trace file after the first shard), or None."""
    if spec.bench is None:
        return None
    from k351c.server.bench import Bench

    options = spec.bench
    if options.trace is not None and spec.index:
        trace = options.trace
        options = replace(options, trace=trace.with_name(f"{trace.stem}-{spec.index}{trace.suffix}"))
    return Bench(options, clock.timestamp)


def _run_local(specs: list[ShardSpec]) -> None:
    import multiprocessing

    if len(specs) == 1:
        run_shard(specs[0])
        return
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=run_shard, args=(asdict(s),), name=f"k351c-shard-{s.index}")
        for s in specs
    ]
    for proc in procs:
        proc.start()

    def forward(signum, frame) -> None:  # noqa: ANN001
        for proc in procs:
            if proc.pid is not None and proc.is_alive():
                os.kill(proc.pid, signal.SIGTERM)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    for proc in procs:
        proc.join()


def _run_ray(specs: list[ShardSpec]) -> None:
    """Run the shards as Ray tasks until SIGINT/SIGTERM, then stop them (each saves its state) and Ray."""
    try:
        import ray
    except ImportError:
        typer.echo(
            "error: --backend ray needs Ray, which is not installed: pip install 'k351c[ray]'",
            err=True,
        )
        raise typer.Exit(2) from None
    local = {} if os.environ.get("RAY_ADDRESS") else _local_ray(len(specs))
    ray.init(ignore_reinit_error=True, **local)
    try:
        task = ray.remote(max_retries=0)(run_shard)
        refs = [task.remote(asdict(_absolute(s))) for s in specs]
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            ray.get(refs)
        except KeyboardInterrupt:
            log.info("stopping %d Ray shards", len(refs))
        except ray.exceptions.RayTaskError as exc:
            if isinstance(exc.cause, K351CError):  # a shard's bad port or state: a clean error
                raise exc.cause from None
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)
            _cancel(ray, refs)
    finally:
        ray.shutdown()


def _local_ray(shards: int) -> dict:
    """ray.init arguments for a Ray instance of our own: a CPU per shard, no dashboard."""
    return {
        "address": "local",
        "num_cpus": max(shards, os.cpu_count() or 1),
        "include_dashboard": False,
    }


def _absolute(spec: ShardSpec) -> ShardSpec:
    """The spec with its state and config paths absolute: a Ray worker need not share our cwd."""
    config = str(Path(spec.config).resolve()) if spec.config else None
    return replace(spec, state=str(Path(spec.state).resolve()), config=config)


def _interrupt(signum, frame) -> None:  # noqa: ANN001
    raise KeyboardInterrupt


def _cancel(ray, refs: list, timeout: float = 30.0) -> None:  # noqa: ANN001
    """Interrupt running shards (SIGINT in the worker: the shard stops and saves) and wait for them.

    Only shards still running are cancelled: cancelling a task that already ended can abort the
    Ray driver (a failed check in its task manager) instead of letting it report the shard's error.
    """
    _, running = ray.wait(refs, num_returns=len(refs), timeout=0)
    for ref in running:
        ray.cancel(ref)
    _, pending = ray.wait(refs, num_returns=len(refs), timeout=timeout)
    if pending:
        log.warning("%d Ray shards did not stop within %.0f s", len(pending), timeout)


@with_server_flags(exclude=LISTENER_KEYS)
def fleet(
    ctx: typer.Context,
    meters: int = typer.Option(..., "--meters", help="Number of meters."),
    dlms_base_port: int = typer.Option(
        0, "--dlms-base-port", help="Meter i's wrapper port is this + i (0 = off)."
    ),
    hdlc_base_port: int = typer.Option(
        0, "--hdlc-base-port", help="Meter i's HDLC-over-TCP port is this + i."
    ),
    shared_port: int = typer.Option(
        0, "--shared-port", help="One wrapper port for all: destination wPort i+1."
    ),
    shared_hdlc_port: int = typer.Option(
        0, "--shared-hdlc-port", help="One HDLC port for all: by physical address."
    ),
    state: Path = typer.Option(
        DEFAULT_STATE, "--state", help="State directory (one fleet.npz per shard)."
    ),
    rate: float = typer.Option(1.0, "--rate", help="Simulated seconds per real second."),
    start: str = typer.Option(
        None, "--start", help="Simulated start (ISO 8601); default: resume or now."
    ),
    config: Path = typer.Option(
        None, "--config", help="Configuration (TOML) shared by every meter."
    ),
    first_serial: int = typer.Option(
        None, "--first-serial", help="Serial of meter 0 (default: the config's)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Bind address."),
    test_keys: bool = typer.Option(
        False, "--test-keys", help="LLS password 12345678 for every meter (labs only)."
    ),
    processes: int = typer.Option(
        1, "--processes", help="Shards: local processes, Ray tasks, or pods with --shard."
    ),
    backend: str = typer.Option("local", "--backend", help="local (multiprocessing) or ray."),
    shard: int = typer.Option(
        None, "--shard", help="Run only this shard of --processes (a Kubernetes pod)."
    ),
    outage: list[str] = typer.Option(
        None, "--outage", help="Feeder outage START/END:FIRST-LAST (repeatable)."
    ),
    voltage_event: list[str] = typer.Option(
        None,
        "--voltage-event",
        help="Sag, swell or phase loss START/END:FIRST-LAST:PHASES:LEVEL (level x the voltage; repeatable).",
    ),
    push_destination: str = typer.Option(
        None,
        "--push-destination",
        help="host:port every meter's alarm push setup sends to, randomised over 30 s (outage storms, alarms).",
    ),
    trace: Path = typer.Option(None, "--trace", help=headend.TRACE_HELP),
    link_latency: float = typer.Option(None, "--link-latency", help=headend.LATENCY_HELP),
    link_jitter: float = typer.Option(None, "--link-jitter", help=headend.JITTER_HELP),
    link_bps: int = typer.Option(None, "--link-bps", help=headend.BPS_HELP),
    fault: list[str] = typer.Option(None, "--fault", help=headend.FAULT_HELP),
    quirk: list[str] = typer.Option(None, "--quirk", help=headend.QUIRK_HELP),
) -> None:
    """Serve N meters: meter i on --dlms-base-port + i, serials consecutive; sharded over processes or Ray."""

    if not (dlms_base_port or hdlc_base_port or shared_port or shared_hdlc_port):
        dlms_base_port = 10000
    try:
        from k351c.cli.build import load_settings
        from k351c.meter.voltage_events import phase_levels
        from k351c.server.fleet import fleet_settings

        loaded = load_settings(config)  # a bad file is refused here, not in a shard
        flags = given_flags(ctx, dict(ctx.params))
        fleet_settings(loaded.server.with_flags(flags), meters)
        own_serial = loaded.meter.serial
        serial0 = int(first_serial if first_serial is not None else own_serial)
        bench = headend.options_from_flags(
            loaded.bench, trace, link_latency, link_jitter, link_bps, fault, quirk
        )
        for text in voltage_event or ():  # a bad one is refused here, before a shard starts
            event = parse_voltage_event(text, 0, meters)
            if event is not None:
                phase_levels(event[3], event[4])
    except K351CError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    base = ShardSpec(
        0,
        0,
        meters,
        str(state),
        serial0,
        host,
        dlms_base_port,
        hdlc_base_port,
        shared_port,
        shared_hdlc_port,
        rate,
        start,
        str(config) if config else None,
        test_keys,
        tuple(outage or ()),
        push_destination,
        bench if bench.active else None,
        flags,
        tuple(voltage_event or ()),
    )
    specs = shard_specs(base, meters, processes, shard)
    try:
        from k351c.cli.build import load_config
        from k351c.cli.fleet_checks import check_fleet

        ports = (dlms_base_port, hdlc_base_port, shared_port, shared_hdlc_port)
        counts = [s.count for s in specs]
        check_fleet(load_config(config), meters, processes, counts, ports, backend == "local")
        if backend == "ray":
            _run_ray(specs)
        elif backend == "local":
            _run_local(specs)
        else:
            raise typer.BadParameter("--backend is local or ray")
    except K351CError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
