"""The flags of `k351c serve` and `k351c fleet` that are [server] keys: derived from the schema.

A flag's name, default and help come from its ServerSettings field, so a flag and its file key
cannot disagree; a flag given on the command line wins over the file's value.
"""

from __future__ import annotations

import typer

from k351c.codes.server import ServerSettings, flag_fields

# command parameters that are [server] keys: parameter name -> key
SERVER_PARAMS = {
    "host": "host",
    "dlms_port": "dlms_port",
    "hdlc_port": "hdlc_port",
    "optical_port": "optical_port",
    "mbus_port": "mbus_port",
    "web_port": "web_port",
    "serial": "serial_device",
    "max_connections": "max_connections",
    "idle_timeout": "tcp_inactivity",
    "hdlc_inactivity": "hdlc_inactivity",
    "physical_address": "physical_address",
}


def server_option(name: str) -> typer.models.OptionInfo:
    """The flag of a [server] key: flag name, default and help all come from the schema."""
    info = ServerSettings.model_fields[name]
    return typer.Option(info.default, flag_fields()[name], help=info.description)


def given_flags(ctx: typer.Context, values: dict[str, object]) -> dict[str, object]:
    """The [server] keys a person set on the command line (these win over the file's values)."""
    given = {}
    for name, value in values.items():
        source = ctx.get_parameter_source(name)
        if name in SERVER_PARAMS and source is not None and source.name != "DEFAULT":
            given[SERVER_PARAMS[name]] = value
    return given
