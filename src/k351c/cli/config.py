"""`k351c config`: check a configuration file, show the effective configuration, print its schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from k351c.errors import ConfigError

config_app = typer.Typer(
    help="Check, show and describe configuration files (TOML).",
    no_args_is_help=True,
    add_completion=False,
)


@config_app.command()
def check(
    file: Annotated[Path, typer.Argument(help="The configuration or scenario file (TOML) to check.")],
    scenario: Annotated[
        bool, typer.Option("--scenario", help="Check FILE as a scenario file (default: detected).")
    ] = False,
) -> None:
    """Validate a configuration or scenario file: exit 0 when it is good, 2 with every mistake listed.

    A file with `[[events]]` or a `[scenario]` table is checked as a scenario file.
    """
    from k351c.codes.configfile import from_data, read_toml
    from k351c.meter.scenario import Scenario

    try:
        data, text = read_toml(file)
        if scenario or "events" in data or "scenario" in data:
            Scenario.from_text(text, str(file))
            kind = "scenario"
        else:
            from_data(data, str(file), text)
            kind = "configuration"
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{file}: ok ({kind})")


@config_app.command()
def show(
    file: Annotated[
        Path | None, typer.Argument(help="A configuration file (default: the embedded one).")
    ] = None,
) -> None:
    """Print the effective configuration as TOML, every default filled in."""
    from k351c.codes import MeterConfig
    from k351c.codes.configfile import effective_toml, load
    from k351c.codes.server import ServerSettings

    try:
        loaded = load(file) if file is not None else None
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if loaded is None:
        typer.echo(effective_toml(MeterConfig.default(), ServerSettings()), nl=False)
    else:
        typer.echo(effective_toml(loaded.meter, loaded.server, loaded.bench), nl=False)


@config_app.command()
def schema(
    scenario: Annotated[
        bool, typer.Option("--scenario", help="The scenario file's schema instead.")
    ] = False,
) -> None:
    """Print the JSON Schema of the configuration (or scenario) file, for editors."""
    if scenario:
        from k351c.meter.scenario_schema import json_schema
    else:
        from k351c.codes.schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@config_app.command()
def docs() -> None:
    """Print docs/config.md, generated from the schema."""
    from k351c.cli.configdoc import render

    typer.echo(render(), nl=False)
