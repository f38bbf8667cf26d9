"""The `k351c` command: serve a meter or a fleet, show registers, decode codes, tools and benchmarks."""

from __future__ import annotations

import typer

from k351c.cli.bench import bench
from k351c.cli.codes import codes_app
from k351c.cli.config import config_app
from k351c.cli.fleet import fleet
from k351c.cli.fleet_backfill import backfill
from k351c.cli.headend import trace_app
from k351c.cli.keys import keys_app
from k351c.cli.serve import serve, show
from k351c.cli.simulate import simulate
from k351c.cli.tool import tool_app

app = typer.Typer(help="k351c: a software twin of the Kamstrup 351C CT electricity meter.",
                  no_args_is_help=True, add_completion=False)
for command in (serve, show, simulate, fleet, backfill, bench):
    app.command()(command)
app.add_typer(codes_app, name="codes", help="Decode and encode type numbers and configuration codes.")
app.add_typer(config_app, name="config", help="Check, show and describe configuration files (TOML).")
app.add_typer(tool_app, name="tool")
app.add_typer(keys_app, name="keys")
app.add_typer(trace_app, name="trace")

if __name__ == "__main__":  # pragma: no cover
    app()
