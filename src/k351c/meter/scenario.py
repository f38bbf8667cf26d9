"""Scenarios: a TOML file of outages, sags/swells, tamper, CT, clock, tariff-input, debiting-stop,
temperature and load events."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from k351c.clock import SimClock
from k351c.codes.configfile import parse_toml, read_toml
from k351c.codes.problems import validated
from k351c.meter.billing import Billing
from k351c.meter.loads import ConstantLoad, LoadSource, Segments
from k351c.meter.scenario_schema import (
    Event,
    LoadEvent,
    MagneticEvent,
    OutageEvent,
    SagSwellEvent,
    ScenarioFile,
    TamperEvent,
    TemperatureEvent,
    WindowEvent,
    instant_seconds,
    parse_duration,
    parse_signed,
)
from k351c.meter.tamper import Tamper
from k351c.meter.tariffs import Tariffs

if TYPE_CHECKING:
    from k351c.meter.core import Meter

WINDOW_KINDS = ("outage", "sag", "swell", "load")
ACTION_KINDS = (
    "tamper",
    "magnetic",
    "ct_ratio",
    "clock",
    "tariff_input",
    "debiting_stop",
    "temperature",
)
@dataclass(frozen=True, slots=True)
class Window:
    """Over [t0, t1) the given phases get these values instead of the base load's (None keeps the base)."""

    t0: float
    t1: float
    phases: tuple[int, ...] = (0, 1, 2)
    voltage: float | None = None
    current: tuple[float, float, float] | None = None
    angle: tuple[float, float, float] | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """A discrete change applied at time t: tamper switch, CT ratio, clock, tariff input."""

    t: float
    kind: str
    params: dict[str, Any] = field(default_factory=dict)


class ScenarioLoad:
    """Wraps a base load and overrides voltages/currents/angles in windows; still a pure function of time."""

    def __init__(self, base: LoadSource, windows: list[Window]) -> None:
        self.base = base
        self.windows = list(windows)
        self._starts = np.array([w.t0 for w in self.windows], dtype=float)
        self._ends = np.array([w.t1 for w in self.windows], dtype=float)

    def segments(self, t0: float, t1: float) -> Segments:
        """The base segments, split at window edges, with the windows' values applied."""
        base = self.base.segments(t0, t1)
        if not self.windows:
            return base
        hit = np.nonzero((self._starts < t1) & (self._ends > t0))[0]
        if hit.size == 0:
            return base
        windows = [self.windows[i] for i in hit]
        edges = [e for w in windows for e in (w.t0, w.t1) if t0 < e < t1]
        times = np.unique(np.concatenate([base.times, np.asarray(edges, dtype=float)]))
        mid = (times[:-1] + times[1:]) / 2
        index = np.clip(np.searchsorted(base.times, mid, side="right") - 1, 0, base.inputs.n - 1)
        inputs = base.inputs.take(index)
        voltage, current, angle = inputs.voltage.copy(), inputs.current.copy(), inputs.angle.copy()
        for w in windows:
            rows = np.nonzero((mid >= w.t0) & (mid < w.t1))[0]
            for p in w.phases:
                if w.voltage is not None:
                    voltage[rows, p] = w.voltage
                if w.current is not None:
                    current[rows, p] = w.current[p]
                if w.angle is not None:
                    angle[rows, p] = w.angle[p]
        return Segments(
            times, dataclasses.replace(inputs, voltage=voltage, current=current, angle=angle)
        )


def _triple(value: float | list[float]) -> tuple[float, float, float]:
    """A number for all three phases or [L1, L2, L3] (the schema has checked the shape)."""
    if isinstance(value, (int, float)):
        return (float(value),) * 3
    l1, l2, l3 = (float(v) for v in value)
    return (l1, l2, l3)


def _maybe_triple(value: float | list[float] | None) -> tuple[float, float, float] | None:
    """_triple of a value that may be absent."""
    return None if value is None else _triple(value)


def _phases(value: int | Sequence[int] | None) -> tuple[int, ...]:
    """Phase numbers 1..3 as sorted 0-based indexes (default all)."""
    phases = [1, 2, 3] if value is None else [value] if isinstance(value, int) else value
    return tuple(sorted({p - 1 for p in phases}))


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario: optional base load, override windows and timed actions."""

    name: str = ""
    base: LoadSource | None = None
    windows: tuple[Window, ...] = ()
    actions: tuple[Action, ...] = ()
    start: float | None = None
    end: float | None = None

    @classmethod
    def from_toml(cls, source: str | Path | Mapping[str, Any]) -> Scenario:
        """Read a scenario file (path) or its parsed dict; a mistake is a located ConfigFileError."""
        if isinstance(source, Mapping):
            return _build(validated(ScenarioFile, dict(source), "<scenario>"))
        data, text = read_toml(source)
        return _build(validated(ScenarioFile, data, str(source), text))

    @classmethod
    def from_text(cls, text: str, where: str = "<scenario>") -> Scenario:
        """Parse a scenario file's text."""
        data = parse_toml(text, where)
        return _build(validated(ScenarioFile, data, where, text))

    def load(self, default: LoadSource) -> ScenarioLoad:
        """The scenario's load over its own base load, else over ``default``."""
        return ScenarioLoad(self.base or default, list(self.windows))


def _instant(value: Any, where: str) -> float:
    return instant_seconds(value, where)


def _build(checked: ScenarioFile) -> Scenario:
    """The scenario of a file the schema has validated."""
    base = None
    if checked.load is not None:
        spec = checked.load
        base = ConstantLoad(
            voltage=_triple(spec.voltage),
            current=_triple(spec.current),
            angle=_triple(spec.angle),
            frequency=spec.frequency,
        )
    windows: list[Window] = []
    actions: list[Action] = []
    for event in checked.events:
        t = instant_seconds(event.at)
        if isinstance(event, WindowEvent):
            windows.append(_window(event, t))
        else:
            actions.extend(_actions(event, t))
    span = checked.scenario
    start = instant_seconds(span.from_) if span and span.from_ is not None else None
    end = instant_seconds(span.to) if span and span.to is not None else None
    return Scenario(
        checked.name,
        base,
        tuple(windows),
        tuple(sorted(actions, key=lambda a: a.t)),
        start,
        end,
    )


def _window(event: WindowEvent, t: float) -> Window:
    """The override window of an outage, sag, swell or load event."""
    end = t + parse_duration(event.duration) if event.duration is not None else float("inf")
    phases = _phases(event.phases)
    if isinstance(event, OutageEvent):
        return Window(t, end, phases, voltage=0.0, current=(0.0, 0.0, 0.0))
    if isinstance(event, SagSwellEvent):
        return Window(t, end, phases, voltage=event.voltage)
    if not isinstance(event, LoadEvent):
        raise TypeError(f"no override window for {type(event).__name__}")
    return Window(
        t,
        end,
        phases,
        event.voltage,
        current=_maybe_triple(event.current),
        angle=_maybe_triple(event.angle),
    )


def _actions(event: Event, t: float) -> list[Action]:
    """The timed actions of an event: a tamper or magnetic event with a duration is undone after it."""
    if isinstance(event, (TamperEvent, MagneticEvent)):
        if isinstance(event, MagneticEvent):
            source, state = "magnetic", event.active
        else:
            source, state = event.what, event.opened
        out = [Action(t, "tamper", {"source": source, "state": state})]
        if event.duration is not None:
            undo = {"source": source, "state": not state}
            out.append(Action(t + parse_duration(event.duration), "tamper", undo))
        return out
    if isinstance(event, TemperatureEvent):
        return [Action(t, "temperature", {"celsius": event.celsius})]
    params = event.model_dump(exclude={"at"}, exclude_none=True)
    return [Action(t, params.pop("kind"), params)]


class ScenarioPlayer:
    """Plays a scenario on a meter: installs its load and applies each action at its time."""

    def __init__(self, meter: Meter, scenario: Scenario) -> None:
        self.meter = meter
        self.scenario = scenario
        self.actions = list(scenario.actions)
        self.next = 0
        while self.next < len(self.actions) and self.actions[self.next].t < meter.true_t:
            self.next += 1
        meter.set_load(scenario.load(meter.load))
        self.skipped: list[Action] = []

    def advance_to(self, t_end: float) -> None:
        """Advance the meter to t_end, stopping at every action on the way."""
        meter = self.meter
        while self.next < len(self.actions) and self.actions[self.next].t <= t_end:
            action = self.actions[self.next]
            self.next += 1
            if action.t > meter.true_t:
                self._advance(action.t)
            self.apply(action)
        if t_end > meter.true_t:
            self._advance(t_end)

    def _advance(self, t: float) -> None:
        clock = self.meter.clock
        if isinstance(clock, SimClock) and clock.rate == 0:
            clock.set(t)
        self.meter.advance_to(t)

    def apply(self, action: Action) -> None:
        """Carry out one action on the meter now."""
        meter, p = self.meter, action.params
        if action.kind == "tamper":
            meter.function(Tamper).set(p["source"], bool(p["state"]))
        elif action.kind == "ct_ratio":
            meter.set_ct_ratio(int(p["primary"]), int(p.get("secondary", 5)))
        elif action.kind == "clock":
            meter.set_clock(
                _instant(p["set"], "clock set") if "set" in p else meter.t + parse_signed(p["shift"])
            )
        elif action.kind == "debiting_stop":
            meter.function(Billing).debiting_stop(source="scenario")
        elif action.kind == "tariff_input":
            try:
                tariffs = meter.function(Tariffs)
            except KeyError:
                self.skipped.append(action)
                return
            tariffs.set_input(int(p["line"]), int(p["level"]))
        elif action.kind == "temperature":
            meter.set_temperature(p["celsius"])
