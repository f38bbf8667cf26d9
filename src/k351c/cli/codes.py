"""`k351c codes`: decode a type number or configuration code, encode a configuration file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from k351c.codes import CODE_FIELDS, detect_kind, parse_code
from k351c.codes.configfile import load
from k351c.errors import ConfigError

codes_app = typer.Typer(
    help="Decode and encode type numbers and configuration codes.",
    no_args_is_help=True,
    add_completion=False,
)

_TITLES = {
    "type": "Type number",
    "config1": "Configuration 1",
    "config2": "Configuration 2",
    "config3": "Configuration 3",
    "config5": "Configuration 5",
}


class Kind(StrEnum):
    """Which code to decode."""

    type = "type"
    config1 = "config1"
    config2 = "config2"
    config3 = "config3"
    config5 = "config5"


def _fail(exc: ConfigError) -> typer.Exit:
    """Print the ConfigError and give the exit (status 2) to raise."""
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


def _console() -> Console:
    """A console wide enough that the meanings do not wrap in pipes and tests."""
    console = Console()
    return console if console.is_terminal else Console(width=120)


@codes_app.command()
def decode(
    code: Annotated[str, typer.Argument(help="e.g. 685-35BC423-070 or 3-1-000-00-2")],
    kind: Annotated[
        Kind | None, typer.Option("--kind", "-k", help="Force the kind of code.")
    ] = None,
) -> None:
    """Print each position of a type number or configuration code with its meaning."""
    try:
        name = kind.value if kind is not None else detect_kind(code)
        parsed = parse_code(code, name)
    except ConfigError as exc:
        raise _fail(exc) from None
    table = Table(title=f"{_TITLES[name]} {parsed}")
    for column in ("position", "code", "meaning"):
        table.add_column(column)
    for row in parsed.describe():
        table.add_row(*row)
    _console().print(table)
    for conflict in getattr(parsed, "io_conflicts", tuple)():
        typer.echo(f"note: {conflict}")


@codes_app.command()
def encode(
    file: Annotated[Path, typer.Argument(help="A configuration file (TOML).")],
    toml: Annotated[
        bool, typer.Option("--toml", help="Print the whole canonical configuration file.")
    ] = False,
) -> None:
    """Print the canonical codes of a configuration file."""
    try:
        config = load(file).meter
    except ConfigError as exc:
        raise _fail(exc) from None
    if toml:
        typer.echo(config.to_toml(), nl=False)
        return
    typer.echo(f"serial {config.serial}")
    for name in CODE_FIELDS:
        typer.echo(f"{name} {getattr(config, name)}")
