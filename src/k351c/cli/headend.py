"""The head-end bench on the command line: the flags `k351c serve` and `k351c fleet` share, the
``[bench]`` table of the configuration file, and `k351c trace decode`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from k351c.codes.schema import BenchSection
from k351c.errors import K351CError
from k351c.server.bench import FAULT_KINDS, QUIRKS, BenchOptions, bench_options

TRACE_HELP = "Write every frame of every listener, decoded, to FILE (JSON Lines)."
LATENCY_HELP = "Milliseconds added before every answer."
JITTER_HELP = "Up to this many milliseconds more, at random, before every answer."
BPS_HELP = "Serial line bit rate: each answer takes 10 bits per octet (HDLC, optical, M-Bus)."
FAULT_HELP = (
    f"KIND=RATE, then optional ,seed=S ,seconds=N ,after=N and @FIRST-LAST (fleet meters); "
    f"KIND: {', '.join(FAULT_KINDS)}. Repeatable."
)
QUIRK_HELP = f"NAME, optional @FIRST-LAST (fleet meters); NAME: {', '.join(QUIRKS)}. Repeatable."


def options_from_flags(
    section: BenchSection,
    trace: Path | None,
    latency: float | None,
    jitter: float | None,
    bps: int | None,
    faults: list[str] | None,
    quirks: list[str] | None,
) -> BenchOptions:
    """The bench options: the flags over the configuration file's validated ``[bench]`` section."""
    table = section.model_dump(exclude_none=True)
    return bench_options(trace, latency, jitter, bps, faults, quirks, table)


trace_app = typer.Typer(help="Read traces written with --trace.", no_args_is_help=True)


@trace_app.command("decode")
def decode(
    file: Path = typer.Argument(..., help="A --trace file (JSON Lines) or a raw hex capture."),
    kind: str = typer.Option(
        "wrapper", "--kind", help="Framing of a raw hex capture: wrapper, hdlc, optical or mbus."
    ),
    test_keys: bool = typer.Option(
        False, "--test-keys", help="Decipher ciphered APDUs with the well-known lab keys."
    ),
    as_json: bool = typer.Option(False, "--json", help="One decoded JSON record per line."),
) -> None:
    """Pretty-print a trace or a raw hex capture (our own decoder: frames, APDUs, OBIS codes, data)."""
    from k351c.cli.trace_print import decode_file

    try:
        for record in decode_file(file, kind, test_keys):
            if as_json:
                typer.echo(json.dumps(record, default=str))
            else:
                typer.echo(record["text"] if "text" in record else json.dumps(record))
    except K351CError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except OSError as exc:
        typer.echo(f"error: {file}: {exc.strerror}", err=True)
        raise typer.Exit(2) from exc
    sys.stdout.flush()
