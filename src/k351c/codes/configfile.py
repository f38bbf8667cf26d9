"""Read and write configuration files through the schema: the meter's config and the server settings.

`load(source)` is what every command uses: it reads the TOML, validates it against `ConfigFile`
(every mistake named with file, line, path, value and what is allowed) and builds the MeterConfig
and ServerSettings. `effective_toml` writes the effective configuration back, defaults filled in;
loading that text gives the same configuration.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from k351c.codes.config import CODE_FIELDS, MeterConfig
from k351c.codes.metrology import Metrology
from k351c.codes.problems import ConfigFileError, Problem, find_line, validated
from k351c.codes.schema import BenchSection, ConfigFile
from k351c.codes.server import ServerSettings
from k351c.codes.settings import Settings
from k351c.errors import ConfigError

_AT_LINE = re.compile(r"at line (\d+)")
_PATH_PART = re.compile(r"[A-Za-z_]\w*|\[\d+\]")  # metrology.custom.points[0].error
_MOVED_TO_SERVER = "since the [server] section exists, listener settings live there: move it"


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A configuration file as the meter and its listeners use it."""

    meter: MeterConfig
    server: ServerSettings
    bench: BenchSection = field(default_factory=BenchSection)


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """The parsed file and its text; an unreadable or malformed file is a ConfigFileError."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigFileError(
            where, [Problem("configuration file", where, "a readable TOML file", None, reason)]
        ) from None
    return parse_toml(text, where), text


def parse_toml(text: str, where: str = "<text>") -> dict[str, Any]:
    """Parsed TOML text; a syntax error is a ConfigFileError with the parser's line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _AT_LINE.search(str(exc))
        line = int(found.group(1)) if found else text.count("\n") + 1
        problem = Problem("configuration file", "(TOML syntax)", "valid TOML", line, str(exc))
        raise ConfigFileError(where, [problem]) from None


def load(source: str | Path | Mapping[str, Any]) -> LoadedConfig:
    """A configuration file (path) or its parsed dict, validated and built."""
    if isinstance(source, Mapping):
        return from_data(source, "<configuration>")
    data, text = read_toml(source)
    return from_data(data, str(source), text)


def load_text(text: str, where: str = "<text>") -> LoadedConfig:
    """A configuration file's text, validated and built."""
    return from_data(parse_toml(text, where), where, text)


def from_data(data: Mapping[str, Any], where: str, text: str | None = None) -> LoadedConfig:
    """Validate parsed data against the schema, then build the meter's configuration from it."""
    try:
        checked = validated(ConfigFile, dict(data), where, text)
    except ConfigFileError as exc:
        raise _with_migration_hints(exc) from None
    try:
        settings = Settings.from_dict(data)
        meter = MeterConfig.from_codes(
            **checked.codes.model_dump(),
            serial=checked.meter.serial,
            settings=settings,
            metrology=Metrology.from_dict(data.get("metrology")),
        )
    except ConfigFileError:
        raise
    except ConfigError as exc:
        raise ConfigFileError(where, [_cross_check_problem(exc, text)]) from None
    return LoadedConfig(meter, checked.server, checked.bench)


def _cross_check_problem(exc: ConfigError, text: str | None) -> Problem:
    """A check across sections (e.g. config 2 names a display table the file lacks), located.

    The meter's checks name their field first ("config2 FFF display configuration"): a code
    field points at its key in [codes], a section name at that section.
    """
    first = exc.field.split(" ", 1)[0].split(".", 1)[0]
    if first in CODE_FIELDS:
        loc: tuple[str | int, ...] = ("codes", first)
        path, detail = f"codes.{first}", exc.field
    elif first in ConfigFile.model_fields and " " not in exc.field:
        loc = tuple(int(p[1:-1]) if p[0] == "[" else p for p in _PATH_PART.findall(exc.field))
        path, detail = exc.field, ""
    else:
        loc, path, detail = (), exc.field, ""
    line = find_line(text, loc) if text and loc else None
    return Problem(path, exc.value, str(exc.allowed), line, detail)


def _with_migration_hints(error: ConfigFileError) -> ConfigFileError:
    """Listener settings at the top level (an older layout) are told to move into [server]."""
    problems = [
        replace(p, allowed=f"[server] {p.path} = ...", detail=_MOVED_TO_SERVER)
        if p.path in ServerSettings.model_fields
        else p
        for p in error.problems
    ]
    return ConfigFileError(error.file, problems)


def effective_dict(
    meter: MeterConfig, server: ServerSettings | None = None, bench: BenchSection | None = None
) -> dict[str, Any]:
    """The whole effective configuration as the file writes it, defaults filled in."""
    data = meter.to_dict()
    data["bench"] = (bench or BenchSection()).model_dump(exclude_none=True)
    data["server"] = (server or ServerSettings()).model_dump(exclude_none=True)
    return data


def effective_toml(
    meter: MeterConfig, server: ServerSettings | None = None, bench: BenchSection | None = None
) -> str:
    """The effective configuration as TOML; load_text of it gives the same configuration."""
    return tomli_w.dumps(effective_dict(meter, server, bench))
