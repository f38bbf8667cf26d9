"""`k351c tool`: read and configure a meter over its optical port (IEC 62056-21, TCP or serial)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from k351c.cli.tool_session import (
    Target,
    ToolError,
)
from k351c.errors import K351CError
from k351c.obis import Obis
from k351c.protocols.iec62056_21 import DataLine

__all__ = [
    "display_chunks",
    "line_text",
    "profile_frame",
    "tool_app",
]

DISPLAY_LISTS = {"auto": "0-0:21.0.1", "manual": "0-0:21.0.2", "backup": "0-0:21.0.3"}
CODES = {
    "type number": "0-0:96.1.1",
    "config1": "0-0:128.90.1",
    "config2": "0-0:128.90.2",
    "config3": "0-0:128.90.3",
    "config5": "0-0:128.90.5",
}
LOAD_PROFILE = "1-0:99.1.0"
CHUNK = 120


def line_text(line: DataLine) -> str:
    """A data line as `address value unit [more...]`."""
    parts = [line.address, line.value, line.unit]
    parts += [f"{v} {u}".strip() for v, u in line.more]
    return " ".join(p for p in parts if p)


def _address(obis: str) -> str:
    """An OBIS code in the port's address form (A-B:C.D.E, *F for historical values)."""
    code = Obis.parse(obis)
    base = f"{code.a}-{code.b}:{code.c}.{code.d}.{code.e}"
    return base if code.f == 255 else f"{base}*{code.f}"


tool_app = typer.Typer(
    help="Read and configure a meter over its optical port (IEC 62056-21).", no_args_is_help=True
)


@tool_app.callback()
def main(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Host of the optical port on TCP."),
    port: int = typer.Option(4062, "--port", help="TCP port of the optical port."),
    serial: str = typer.Option(
        None, "--serial", help="Serial device of an optical head instead of TCP."
    ),
    password: str = typer.Option(
        None, "--password", envvar="K351C_PASSWORD", help="Programming password (P1)."
    ),
    address: str = typer.Option(
        "", "--address", help="Device address (serial number) for the sign-on."
    ),
    timeout: float = typer.Option(5.0, "--timeout", help="Seconds to wait for each answer."),
) -> None:
    """Options of every tool command."""
    ctx.obj = Target(host, port, serial, password, address, timeout)


def _run(action) -> None:
    """Run an action; a ToolError or bad input ends the command with a message."""
    try:
        action()
    except (ToolError, K351CError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


@tool_app.command()
def read(
    ctx: typer.Context,
    obis: str = typer.Argument(None, help="One OBIS code; all readout data if omitted."),
) -> None:
    """Print the data readout, or one value (from the readout, else by R1 with the password)."""
    target: Target = ctx.obj

    def action() -> None:
        if obis is None:
            with target.session() as session:
                for line in session.readout():
                    typer.echo(line_text(line))
            return
        wanted = _address(obis)
        with target.session() as session:
            found = [line for line in session.readout() if line.address == wanted]
        if not found:
            with target.programming() as session:
                found = session.read(wanted)
        for line in found:
            typer.echo(line_text(line))

    _run(action)


@tool_app.command("set-ct")
def set_ct(
    ctx: typer.Context, ratio: str = typer.Argument(..., help="Primary/secondary, e.g. 400/5.")
) -> None:
    """Set the CT ratio (only when it is configurable)."""
    primary, _, secondary = ratio.partition("/")
    if not primary.strip().isdigit() or secondary.strip() not in ("", "5"):
        typer.secho(
            f"error: CT ratio {ratio!r}: give primary/5, e.g. 400/5", fg=typer.colors.RED, err=True
        )
        raise typer.Exit(2)

    def action() -> None:
        with ctx.obj.programming() as session:
            session.write("1-0:0.4.2", primary.strip())
        typer.echo(f"CT ratio set to {primary.strip()}/5")

    _run(action)


display_app = typer.Typer(help="Show or set the display lists.", no_args_is_help=True)
tool_app.add_typer(display_app, name="display")


@display_app.command("show")
def display_show(
    ctx: typer.Context, which: str = typer.Argument(None, help="auto, manual or backup.")
) -> None:
    """Print the display lists."""
    names = [which] if which else list(DISPLAY_LISTS)

    def action() -> None:
        with ctx.obj.programming() as session:
            for name in names:
                if name not in DISPLAY_LISTS:
                    raise ToolError(f"display list {name!r}: one of {', '.join(DISPLAY_LISTS)}")
                line = session.read(DISPLAY_LISTS[name])[0]
                codes = [c for c in (line.value, *(v for v, _ in line.more)) if c]
                typer.echo(f"{name}: {' '.join(codes)}")

    _run(action)


@display_app.command("set")
def display_set(
    ctx: typer.Context,
    which: str = typer.Argument(..., help="auto, manual or backup."),
    codes: list[str] = typer.Argument(None, help="OBIS codes in display order."),
) -> None:
    """Replace a display list."""

    def action() -> None:
        if which not in DISPLAY_LISTS:
            raise ToolError(f"display list {which!r}: one of {', '.join(DISPLAY_LISTS)}")
        chunks = display_chunks([_address(c) for c in codes or []])
        with ctx.obj.programming() as session:
            for chunk in chunks:
                session.write(DISPLAY_LISTS[which], chunk)
        typer.echo(f"display list {which} set ({len(codes or [])} readings)")

    _run(action)


def display_chunks(codes: list[str]) -> list[str]:
    """W1 values of a display list: `;`-joined codes, each but the last ending in `;` (continued)."""
    chunks, current = [], ""
    for code in codes:
        if current and len(current) + len(code) + 1 > CHUNK:
            chunks.append(current + ";")
            current = ""
        current = f"{current};{code}" if current else code
    chunks.append(current)
    return chunks


@tool_app.command("set-serial")
def set_serial(
    ctx: typer.Context, serial: str = typer.Argument(..., help="8..10 decimal digits.")
) -> None:
    """Set the meter number (serial number)."""

    def action() -> None:
        with ctx.obj.programming() as session:
            session.write("0-0:96.1.0", serial)
        typer.echo(f"meter number set to {serial}")

    _run(action)


@tool_app.command("set-clock")
def set_clock(
    ctx: typer.Context,
    when: str = typer.Argument(None, help="ISO date-time; the host's time if omitted."),
) -> None:
    """Set the meter's clock."""
    from k351c.clock import SystemClock, parse_instant

    def action() -> None:
        instant = parse_instant(when) if when else SystemClock().now()
        value = instant.isoformat(sep=" ", timespec="seconds")
        with ctx.obj.programming() as session:
            session.write("0-0:1.0.0", value)
        typer.echo(f"clock set to {value}")

    _run(action)


@tool_app.command()
def codes(ctx: typer.Context) -> None:
    """Print the meter's type number and configuration codes."""

    def action() -> None:
        with ctx.obj.programming() as session:
            for name, address in CODES.items():
                typer.echo(f"{name}: {session.read(address)[0].value}")

    _run(action)


@tool_app.command()
def export(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="Output file, .csv or .parquet."),
    start: str = typer.Option("", "--from", help="First interval, YYYY-MM-DD hh:mm (meter time)."),
    end: str = typer.Option("", "--to", help="Last interval, YYYY-MM-DD hh:mm (meter time)."),
) -> None:
    """Export the load profile 1-0:99.1.0.255 to CSV or Parquet."""

    def action() -> None:
        if out.suffix not in (".csv", ".parquet"):
            raise ToolError(f"output {out}: .csv or .parquet")
        with ctx.obj.programming() as session:
            lines = session.read(LOAD_PROFILE, f"{start};{end}" if start or end else "")
        frame = profile_frame(lines)
        if out.suffix == ".csv":
            frame.to_csv(out, index=False)
        else:
            frame.to_parquet(out, index=False)
        typer.echo(f"{len(frame)} intervals written to {out}")

    _run(action)


def profile_frame(lines: list[DataLine]):
    """A DataFrame of a profile answer: header line (columns, units), then one line per row."""
    import pandas as pd

    header, rows = lines[0], lines[1:]
    columns = [(header.value, header.unit), *header.more]
    names = [f"{c} [{u}]" if u else c for c, u in columns]
    data = [[line.value, *(v for v, _ in line.more)] for line in rows]
    frame = pd.DataFrame(data, columns=names)
    first = names[0]
    frame[first] = pd.to_datetime(frame[first])
    for name in names[1:]:
        with contextlib.suppress(ValueError, TypeError):
            frame[name] = pd.to_numeric(frame[name])
    return frame
