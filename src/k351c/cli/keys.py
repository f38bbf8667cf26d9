"""`k351c keys show`: the meter's keys and security state, for the head-end operator."""

from __future__ import annotations

from pathlib import Path

import typer

from k351c.cli.serve import DEFAULT_STATE
from k351c.server.keys import KeyStore, SecurityState

keys_app = typer.Typer(
    help="The meter's DLMS keys (key file in the state directory).", no_args_is_help=True
)

LABELS = (
    ("lls_password", "LLS password (client 32, optical P1)"),
    ("encryption_key", "global unicast encryption key (EK)"),
    ("authentication_key", "authentication key (AK)"),
    ("master_key", "master key (KEK, key_transfer)"),
)


@keys_app.command("show")
def show(
    state: Path = typer.Option(DEFAULT_STATE, "--state", help="State directory of the meter."),
) -> None:
    """Print the keys (generated with random values if the meter has none yet) and the security state."""
    store = KeyStore(state)
    keys = store.keys
    for field, label in LABELS:
        typer.echo(f"{field:20} {getattr(keys, field)}    # {label}")
    security = SecurityState(state)
    typer.echo(f"{'security_policy':20} {security.policy}")
    typer.echo(f"{'security_suite':20} 0")
    typer.echo(f"{'key_file':20} {store.path}")
