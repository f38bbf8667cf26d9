"""Configuration mistakes as a person reads them: file, line, section/key path, value, what is allowed.

Pydantic reports where validation failed; this module turns its errors into `ConfigFileError`
(a `ConfigError`) with a "did you mean" suggestion for unknown keys and the TOML line of each key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from k351c.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
METER_CHECK = "meter_check"  # a pydantic error raised by one of the meter's own checks
Loc = tuple[str | int, ...]

_SHAPES = {  # pydantic's words for a wrong shape, in TOML's words
    "model_type": "a table ([name] or name = { ... })",
    "model_attributes_type": "a table ([name] or name = { ... })",
    "dict_type": "a table (name = { ... })",
    "list_type": "an array ([ ... ], or [[name]] tables)",
}
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_UNION_MEMBER = re.compile(r"^(int|float|str|bool|datetime|(list|literal|tuple)\[.*\])$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake: where (dotted path, TOML line), the value given and what is allowed."""

    path: str
    value: object
    allowed: str
    line: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        shown = repr(self.value)
        shown = shown if len(shown) <= 80 else shown[:76] + " ..."
        text = f"{self.path or 'file'}: {shown} is not allowed; allowed: {self.allowed}"
        return text + (f" ({self.detail})" if self.detail else "")


class ConfigFileError(ConfigError):
    """Every mistake found in one configuration file, each with its location."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        first = self.problems[0]
        super().__init__(
            first.path or "configuration file", first.value, first.allowed, first.detail
        )
        lines = [f"{file}{f':{p.line}' if p.line else ''}: {p}" for p in self.problems]
        self.args = ("\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]

    def __reduce__(self):  # noqa: ANN204
        """Pickle by the file and its problems (ConfigError pickles by its own arguments)."""
        return type(self), (self.file, self.problems)


def path_text(loc: Loc) -> str:
    """A pydantic location as the file spells it: ``display[1].auto[3]``, ``thresholds.x``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _table_model(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The section class of the table that holds loc's last part."""
    return _model_of(_walk(model, loc)[1])


def _walk(model: type[BaseModel], loc: Loc) -> tuple[Loc, Any]:
    """loc without the tags pydantic adds for a tagged union (``events[3].outage.x`` is
    ``events[3].x``), and the annotation of the table holding loc's last part."""
    current: Any = model
    clean: list[str | int] = []
    for part in loc[:-1]:
        if isinstance(part, str) and _UNION_MEMBER.match(part):
            continue
        if isinstance(part, int) or current is None:
            clean.append(part)
            continue
        tagged = _tagged_models(current)
        if part in tagged:
            current = tagged[part]
            continue
        clean.append(part)
        field = getattr(current, "model_fields", {}).get(part)
        current = field.annotation if field is not None else None
    tags = _tagged_models(current) if current is not None else {}
    last = [p for p in loc[-1:] if not (isinstance(p, str) and (_UNION_MEMBER.match(p) or p in tags))]
    return (*clean, *last), current


def _tagged_models(annotation: Any) -> dict[str, type[BaseModel]]:
    """The members of a tagged union in annotation, by the tags of their required text Literals."""
    members: list[type[BaseModel]] = []
    _collect_models(annotation, members)
    if len(members) < 2:
        return {}
    return {
        tag: member
        for member in members
        for info in member.model_fields.values()
        if info.is_required() and get_origin(info.annotation) is Literal
        for tag in get_args(info.annotation)
        if isinstance(tag, str)
    }


def _collect_models(annotation: Any, out: list[type[BaseModel]]) -> None:
    """Every BaseModel inside an annotation (Model, Model | None, list[A | B])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        out.append(annotation)
        return
    for arg in getattr(annotation, "__args__", ()):
        _collect_models(arg, out)


def _allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model allows at the table that holds loc's last part."""
    fields = getattr(_table_model(model, loc), "model_fields", {})
    return sorted(info.alias or name for name, info in fields.items())


def _description(model: type[BaseModel], loc: Loc) -> str:
    """The schema's description of the key at loc ("" if none)."""
    fields = getattr(_table_model(model, loc), "model_fields", {})
    info = fields.get(loc[-1]) if loc else None
    return (info.description or "") if info is not None else ""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The BaseModel inside an annotation (Model, Model | None, list[Model])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _problem(
    model: type[BaseModel], error: ErrorDetails, text: str | None, prefix: Loc
) -> Problem:
    """One pydantic error as a Problem."""
    loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
    if error["type"] in _TAG_ERRORS:
        return _tag_problem(model, error, loc, text, prefix)
    tagged = loc
    loc = _walk(model, loc)[0] if loc else loc
    full = prefix + loc
    line = find_line(text, full) if text else None
    if error["type"] == "extra_forbidden":
        keys = _allowed_keys(model, tagged)
        close = difflib.get_close_matches(str(loc[-1]), keys, n=1, cutoff=0.6)
        hint = f"unknown key; did you mean {close[0]!r}?" if close else "unknown key"
        where = path_text(full[:-1]) or "the file"
        allowed = f"the keys of {where}: {', '.join(keys)}"
        return Problem(path_text(full), error.get("input"), allowed, line, hint)
    message = str(error["msg"])
    for lead in ("Value error, ", "Input should be "):
        message = message.removeprefix(lead)
    if error["type"] == METER_CHECK:
        ctx = error["ctx"]
        value = ctx["value"] if ctx["value"] is not None else error.get("input")
        return Problem(path_text(full), value, ctx["allowed"], line, ctx["part"])
    if error["type"] in _SHAPES:
        message = _SHAPES[error["type"]]
    if error["type"] == "string_pattern_mismatch":
        message = _description(model, tagged) or message
    if error["type"] == "missing":
        return Problem(path_text(full), "(missing)", "a value: this key is required", line)
    return Problem(path_text(full), error.get("input"), message, line)


def _tag_problem(
    model: type[BaseModel], error: ErrorDetails, loc: Loc, text: str | None, prefix: Loc
) -> Problem:
    """A tagged union's tag (an event's kind) missing or unknown, with the tags allowed."""
    key = str(error.get("ctx", {}).get("discriminator", "kind")).strip("'\"")
    full = prefix + _walk(model, loc)[0] + (key,)
    line = find_line(text, full) if text else None
    tags = list(_tagged_models(_walk(model, (*loc, ""))[1]))
    allowed = f"one of: {', '.join(tags)}"
    if error["type"] == "union_tag_not_found":
        return Problem(path_text(full), "(missing)", allowed, line)
    value = error["ctx"]["tag"]
    close = difflib.get_close_matches(str(value), tags, n=1, cutoff=0.6)
    hint = f"unknown {key}; did you mean {close[0]!r}?" if close else f"unknown {key}"
    return Problem(path_text(full), value, allowed, line, hint)


_TAG_ERRORS = ("union_tag_invalid", "union_tag_not_found")


def validated(
    model: type[M],
    data: Any,
    where: str,
    text: str | None = None,
    prefix: Loc = (),
) -> M:
    """data validated as model; every error becomes one Problem of a ConfigFileError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = _merged([_problem(model, e, text, prefix) for e in exc.errors()])
        problems.sort(key=lambda p: p.line or 0)
        raise ConfigFileError(where, problems) from None


def _merged(problems: list[Problem]) -> list[Problem]:
    """One problem per path: a value no member of a union takes lists what each would allow."""
    by_path: dict[str, Problem] = {}
    for problem in problems:
        seen = by_path.get(problem.path)
        if seen is None:
            by_path[problem.path] = problem
        elif problem.allowed not in seen.allowed:
            by_path[problem.path] = replace(seen, allowed=f"{seen.allowed}; or {problem.allowed}")
    return list(by_path.values())


def find_line(text: str, loc: Loc) -> int | None:
    """The 1-based TOML line of a section/key path, best effort (None when not found)."""
    keys = [str(p) for p in loc if not isinstance(p, int)]
    indexes = [p for p in loc if isinstance(p, int)]
    best: int | None = None
    table: list[str] = []
    counts: dict[str, int] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            table = [part.strip().strip("\"'") for part in header.group(2).split(".")]
            name = ".".join(table)
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
            if _matches(table, counts.get(table[0]), keys, indexes):
                if len(table) == len(keys):
                    return number
                best = number
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        dotted = [part.strip().strip("\"'") for part in key.group(1).split(".")]
        path = table + dotted
        if _matches(path, counts.get(path[0]), keys, indexes):
            if len(path) >= len(keys):
                return number
            best = number
    return best


def _matches(path: list[str], count: int | None, keys: list[str], indexes: list[int]) -> bool:
    """Whether a table/key path leads to the wanted keys (and the wanted [[array]] entry)."""
    if not path or path != keys[: len(path)]:
        return False
    return count is None or not indexes or count == indexes[0]
