"""The flags of `k351c serve` and `k351c fleet` that are [server] keys: derived from the schema.

Every [server] key is a flag: `with_server_flags` adds one keyword parameter per key to a typer
command, its name the key, its flag, default and help from the ServerSettings field, so a flag and
its file key cannot disagree and a new key is a new flag without touching the commands. A flag
given on the command line wins over the file's value (`given_flags`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast, get_type_hints

import typer

from k351c.codes.server import ServerSettings, flag_fields

# [server] keys of the single meter's listeners; a fleet has base ports and --host of its own
LISTENER_KEYS = (
    "host",
    "dlms_port",
    "hdlc_port",
    "optical_port",
    "mbus_port",
    "web_port",
    "serial_device",
)

Command = TypeVar("Command", bound=Callable[..., Any])


def server_option(name: str) -> Any:
    """The flag of a [server] key (--x/--no-x for a boolean): name, default and help from the schema."""
    info = ServerSettings.model_fields[name]
    flag = flag_fields()[name]
    if info.annotation in (bool, bool | None):
        flag = f"{flag}/--no-{flag.removeprefix('--')}"
    return typer.Option(info.default, flag, help=info.description)


def with_server_flags(exclude: Iterable[str] = ()) -> Callable[[Command], Command]:
    """Give a typer command one flag per [server] key (but ``exclude``); read them with given_flags."""
    skipped = set(exclude)

    def decorate(command: Command) -> Command:
        names = [n for n in flag_fields() if n not in skipped]
        signature = inspect.signature(command, eval_str=True)
        hints = {n: ServerSettings.model_fields[n].annotation for n in names}
        added = [
            inspect.Parameter(
                n, inspect.Parameter.KEYWORD_ONLY, default=server_option(n), annotation=hints[n]
            )
            for n in names
        ]

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            for name in names:
                kwargs.pop(name, None)
            return command(*args, **kwargs)

        # typer reads a command's parameters through inspect.signature and get_type_hints
        shown = cast(Any, run)
        shown.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *added])
        shown.__annotations__ = {**get_type_hints(command), **hints}
        return cast(Command, run)

    return decorate


def given_flags(ctx: typer.Context, values: dict[str, object]) -> dict[str, object]:
    """The [server] keys a person set on the command line (these win over the file's values)."""
    given = {}
    for name, value in values.items():
        source = ctx.get_parameter_source(name)
        if name in ServerSettings.model_fields and source is not None and source.name != "DEFAULT":
            given[name] = value
    return given
