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
    meter: int | None = typer.Option(
        None, "--meter", help="Fleet meter index: its keys derived from the fleet's master key."
    ),
    first_serial: int | None = typer.Option(
        None, "--first-serial", help="The fleet's first serial (default: its state, else the config's)."
    ),
) -> None:
    """Print the keys (generated with random values if the meter has none yet) and the security state."""
    if meter is not None:
        _show_fleet_meter(state, meter, first_serial)
        return
    store = KeyStore(state)
    _print(store.keys, SecurityState(state), store.path)


def _print(keys, security: SecurityState, path) -> None:  # noqa: ANN001
    for field, label in LABELS:
        typer.echo(f"{field:20} {getattr(keys, field)}    # {label}")
    typer.echo(f"{'security_policy':20} {security.policy}")
    typer.echo(f"{'security_suite':20} 0")
    typer.echo(f"{'key_file':20} {path}")


def _show_fleet_meter(state: Path, meter: int, first_serial: int | None) -> None:
    """Meter i of the fleet in ``state``: HKDF-SHA256 of the fleet secret over its serial (docs/fleet.md)."""
    from k351c.codes import MeterConfig
    from k351c.errors import ConfigError
    from k351c.meter.fleet_state import state_meta
    from k351c.server.fleet import STATE_FILE, FleetPasswords
    from k351c.server.fleet_keys import FleetKeyStore, meter_directory

    if meter < 0:
        raise ConfigError("--meter", meter, "a fleet index 0, 1, ...")
    if first_serial is None:
        path = state / STATE_FILE
        meta = state_meta(path) if path.exists() else {}
        first_serial = int(meta.get("first_serial", MeterConfig.default().serial))
    serial = str(first_serial + meter)
    directory = meter_directory(state, serial)
    store = FleetKeyStore(FleetPasswords(state, test_keys=False).keys(serial), directory)
    typer.echo(f"{'serial':20} {serial}")
    _print(store.keys, SecurityState(directory), "derived (HKDF-SHA256, docs/fleet.md)")
