"""Scenario files through the schema: every mistake named with file, line, path, value and allowed."""

from pathlib import Path

import pytest

from k351c.codes.problems import ConfigFileError
from k351c.errors import ConfigError
from k351c.meter.scenario import Scenario
from k351c.meter.scenario_schema import EVENTS, json_schema

AT = 'at = "2026-01-01T00:00:00Z"'
EXAMPLES = sorted(Path(__file__).parents[2].joinpath("examples").glob("*.toml"))


def _problems(text: str) -> list:
    with pytest.raises(ConfigFileError) as caught:
        Scenario.from_text(text, "plan.toml")
    assert isinstance(caught.value, ConfigError)
    return list(caught.value.problems)


def test_misspelt_kind_is_named_with_line_path_and_suggestion() -> None:
    text = f'name = "x"\n[[events]]\n{AT}\nkind = "outage"\n[[events]]\n{AT}\nkind = "outgae"\n'
    (problem,) = _problems(text)
    assert (problem.path, problem.value, problem.line) == ("events[1].kind", "outgae", 7)
    assert "did you mean 'outage'" in problem.detail
    assert "tamper" in problem.allowed and "debiting_stop" in problem.allowed


def test_unknown_keys_anywhere_are_errors_with_suggestions() -> None:
    text = f'nme = 1\n[scenario]\nform = "x"\n[[events]]\n{AT}\nkind = "outage"\nduraton = "5m"\n'
    problems = {p.path: p for p in _problems(text)}
    assert set(problems) == {"nme", "scenario.form", "events[0].duraton"}
    assert "did you mean 'name'" in problems["nme"].detail
    assert "did you mean 'from'" in problems["scenario.form"].detail
    assert problems["events[0].duraton"].line == 7
    assert "did you mean 'duration'" in problems["events[0].duraton"].detail


def test_a_key_of_another_kind_is_refused() -> None:
    (problem,) = _problems(
        f'[[events]]\n{AT}\nkind = "clock"\nset = "2026-01-02T00:00:00Z"\nprimary = 400\n'
    )
    assert problem.path == "events[0].primary" and "set, shift" in problem.allowed


@pytest.mark.parametrize(
    ("body", "path", "value", "allowed"),
    [
        ('kind = "temperature"\ncelsius = 200', "events[0].celsius", 200, "70"),
        ('kind = "ct_ratio"\nprimary = 7', "events[0].primary", 7, "3000"),
        ('kind = "sag"', "events[0].voltage", "(missing)", "required"),
        ('kind = "outage"\nduration = "soon"', "events[0].duration", "soon", '"2h"'),
        ('kind = "outage"\nphases = 4', "events[0].phases", 4, "1, 2 or 3"),
        ('kind = "tariff_input"\nline = 3\nlevel = 1', "events[0].line", 3, "1 or 2"),
        ('kind = "tamper"\nwhat = "lid"', "events[0].what", "lid", "terminal_cover"),
        ('kind = "clock"', "events[0]", None, "exactly one of set"),
        ('kind = "load"\ncurrent = [1, 2]', "events[0].current", [1, 2], "3 items"),
    ],
)
def test_typed_and_ranged_per_kind(body: str, path: str, value, allowed: str) -> None:
    (problem,) = _problems(f"[[events]]\n{AT}\n{body}\n")
    assert problem.path == path and allowed in problem.allowed
    if value is not None:
        assert problem.value == value
    assert problem.line is not None and problem.line >= 1


def test_bad_instant_and_missing_kind() -> None:
    problems = _problems('[[events]]\nat = "soon"\nkind = "outage"\n[[events]]\n' + AT + "\n")
    assert [(p.path, p.line) for p in problems] == [("events[0].at", 2), ("events[1].kind", 4)]
    assert "ISO 8601" in problems[0].allowed and "outage" in problems[1].allowed


def test_error_text_names_file_line_path_value_and_allowed() -> None:
    with pytest.raises(ConfigFileError) as caught:
        Scenario.from_text(f'[[events]]\n{AT}\nkind = "temperature"\ncelsius = 99\n', "p.toml")
    assert str(caught.value).startswith("p.toml:4: events[0].celsius: 99 is not allowed; allowed: ")


def test_a_mapping_is_checked_too() -> None:
    with pytest.raises(ConfigFileError, match=r"events\[0\]\.kind"):
        Scenario.from_toml({"events": [{"at": "2026-01-01T00:00:00Z", "kind": "quake"}]})


def test_toml_datetimes_and_every_kind_load() -> None:
    text = "\n".join(
        [
            '[[events]]\nat = 2026-01-01T00:00:00Z\nkind = "debiting_stop"',
            f'[[events]]\n{AT}\nkind = "clock"\nshift = "-2m"',
            f'[[events]]\n{AT}\nkind = "tariff_input"\nline = 1\nlevel = 0',
            f'[[events]]\n{AT}\nkind = "magnetic"\nactive = false',
        ]
    )
    plan = Scenario.from_text(text)
    assert [a.kind for a in plan.actions] == ["debiting_stop", "clock", "tariff_input", "tamper"]


def test_json_schema_lists_every_kind_and_refuses_unknown_keys() -> None:
    schema = json_schema()
    assert schema["additionalProperties"] is False
    kinds = {
        kind
        for definition in schema["$defs"].values()
        for kind in definition.get("properties", {}).get("kind", {}).get("enum", [])
        + [definition.get("properties", {}).get("kind", {}).get("const")]
        if kind
    }
    assert kinds == {k for e in EVENTS for k in e.model_fields["kind"].annotation.__args__}
    assert "from" in schema["$defs"]["SpanTable"]["properties"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_passes_the_schema(path: Path) -> None:
    assert Scenario.from_toml(path).actions
