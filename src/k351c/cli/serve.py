"""`k351c serve` and `k351c show`: run one meter on its embedded defaults, print stored registers."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import typer

from k351c.cli import headend
from k351c.cli.build import build_meter, load_settings
from k351c.cli.server_flags import given_flags, with_server_flags
from k351c.errors import K351CError

DEFAULT_STATE = Path("k351c-data")


@with_server_flags()
def serve(
    ctx: typer.Context,
    state: Path = typer.Option(DEFAULT_STATE, "--state", help="State directory (SQLite permanent memory)."),
    rate: float = typer.Option(1.0, "--rate", help="Simulated seconds per real second."),
    start: str = typer.Option(None, "--start", help="Simulated start instant (ISO 8601); default: resume or now."),
    config: Path = typer.Option(None, "--config", help="Configuration file (TOML) with codes and settings."),
    test_keys: bool = typer.Option(False, "--test-keys", help="Use the well-known lab keys (labs and tests only)."),
    scenario: Path = typer.Option(None, "--scenario", help="Scenario file (TOML) played live."),
    quiet: bool = typer.Option(False, "--quiet", help="No live terminal view."),
    web_token: str = typer.Option(None, "--web-token", envvar="K351C_WEB_TOKEN",
                                  help="Token for the web page's writing endpoints (default: generated in the state dir)."),
    trace: Path = typer.Option(None, "--trace", help=headend.TRACE_HELP),
    link_latency: float = typer.Option(None, "--link-latency", help=headend.LATENCY_HELP),
    link_jitter: float = typer.Option(None, "--link-jitter", help=headend.JITTER_HELP),
    link_bps: int = typer.Option(None, "--link-bps", help=headend.BPS_HELP),
    fault: list[str] = typer.Option(None, "--fault", help=headend.FAULT_HELP),
    quirk: list[str] = typer.Option(None, "--quirk", help=headend.QUIRK_HELP),
) -> None:
    """Start one meter with its listeners and a live view; Ctrl-C or SIGTERM stops it with nothing lost."""
    from k351c.cli.listeners import ListenerOptions, listener_factories
    from k351c.server.keys import KeyStore
    from k351c.server.runtime import Runtime

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    flags = given_flags(ctx, dict(ctx.params))
    try:
        loaded = load_settings(config)
        settings = loaded.server.with_flags(flags)
        bench = headend.options_from_flags(loaded.bench, trace, link_latency, link_jitter, link_bps, fault, quirk)
        meter = build_meter(state=state, rate=rate, start=start, config=config, test_keys=test_keys,
                            meter_config=loaded.meter)
        keys = KeyStore(state, test_keys=test_keys)
    except K351CError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    options = ListenerOptions(host=settings.host, dlms_port=settings.dlms_port, hdlc_port=settings.hdlc_port,
                              optical_port=settings.optical_port, mbus_port=settings.mbus_port,
                              web_port=settings.web_port, serial=settings.serial_device, state=state,
                              test_keys=test_keys, scenario=scenario, quiet=quiet, web_token=web_token)
    runtime = Runtime(meter, host=settings.host, keys=keys, settings=settings)
    tracer = None
    if bench.active:
        from k351c.server.bench import Bench

        tracer = runtime.bench = Bench(bench, meter.clock.timestamp)
    if scenario is not None:
        runtime.advance = _scenario_player(meter, scenario).advance_to
    try:
        asyncio.run(runtime.run(listener_factories(options)))
    except K351CError as exc:  # a listener that cannot start (a port taken, an unusable --serial device)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        if tracer is not None:
            tracer.close()


def _scenario_player(meter, path: Path):
    """A player that drives the meter through a scenario file as its clock runs."""
    from k351c.meter.scenario import Scenario, ScenarioPlayer

    try:
        return ScenarioPlayer(meter, Scenario.from_toml(path))
    except (OSError, K351CError) as exc:
        typer.echo(f"error: scenario {path}: {exc}", err=True)
        raise typer.Exit(2) from exc


def show(
    codes: list[str] = typer.Argument(None, help="OBIS codes to print (default: all registers)."),
    state: Path = typer.Option(DEFAULT_STATE, "--state", help="State directory of the meter."),
    config: Path = typer.Option(None, "--config", help="Configuration file the meter runs with."),
) -> None:
    """Print the stored registers of a meter, running or stopped: one `OBIS value unit` per line."""
    from k351c.meter.objects import ProfileData

    try:
        meter = build_meter(state=state, rate=0.0, start=None, config=config, resume_only=True)
    except K351CError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        wanted = [meter.objects.lookup(c) for c in codes] if codes else list(meter.objects)
    except K351CError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for definition in wanted:
        if definition.class_id == 7 or isinstance(definition.get(), ProfileData):
            continue
        reading = meter.reading(definition.obis)
        value = reading.value
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        typer.echo(f"{definition.obis} {text} {reading.unit}".rstrip())
