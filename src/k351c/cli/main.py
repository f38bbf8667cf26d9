"""The `k351c` command: serve a meter, show its registers, decode codes, and the tools."""

from __future__ import annotations

import typer

from k351c.cli.serve import serve, show

app = typer.Typer(help="k351c: a software twin of the Kamstrup 351C CT electricity meter.",
                  no_args_is_help=True, add_completion=False)
app.command()(serve)
app.command()(show)


def _mount_optional() -> None:
    try:
        from k351c.cli.codes import codes_app
    except ImportError:  # pragma: no cover - during development only
        return
    app.add_typer(codes_app, name="codes", help="Decode and encode type numbers and configuration codes.")
    from k351c.cli.tool import tool_app

    app.add_typer(tool_app, name="tool")
    from k351c.cli.keys import keys_app  # issue 7

    app.add_typer(keys_app, name="keys")


_mount_optional()
from k351c.cli.fleet import backfill, fleet  # noqa: E402  issue 11

app.command()(fleet)
app.command()(backfill)
from k351c.cli.bench import bench  # noqa: E402  issue 11

app.command()(bench)

if __name__ == "__main__":  # pragma: no cover
    app()
