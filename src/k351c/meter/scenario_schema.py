"""The scenario file's schema: every event kind and key typed, ranged and documented once.

`ScenarioFile` is the whole file; `[[events]]` is a union tagged by `kind`, so a misspelt kind or a
key the kind does not take is an error naming ``events[3].kind`` with "did you mean". Validation
goes through `k351c.codes.problems.validated`, the same error builder as the configuration file.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

from k351c.clock import parse_instant
from k351c.codes.accuracy_limits import TEMPERATURE_RANGE
from k351c.codes.configcodes import ct_sss
from k351c.codes.schema import _checked
from k351c.errors import ConfigError

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION_TEXT = 'seconds, or a number with s, m, h, d, w ("2h")'


def parse_duration(value: Any, where: str = "duration") -> float:
    """Seconds from a number or a text like "90s", "15m", "2h", "7d"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", str(value))
    if not match or match.group(2) not in _UNITS:
        raise ConfigError(where, value, _DURATION_TEXT)
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_signed(value: Any, where: str = "clock shift") -> float:
    """Signed seconds: a number or a duration text with an optional leading minus ("-1h")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    return -parse_duration(text[1:], where) if text.startswith("-") else parse_duration(text, where)


def instant_seconds(value: Any, where: str = "instant") -> float:
    """POSIX seconds of an ISO 8601 instant (text or TOML date-time)."""
    try:
        return parse_instant(value).timestamp()
    except (TypeError, ValueError, AttributeError):
        raise ConfigError(where, value, "an ISO 8601 instant, e.g. 2026-03-01T12:00:00Z") from None


Instant = Annotated[StrictStr | datetime, _checked(instant_seconds)]
Duration = Annotated[StrictInt | StrictFloat | StrictStr, _checked(parse_duration)]
Signed = Annotated[StrictInt | StrictFloat | StrictStr, _checked(parse_signed)]
Phase = Literal[1, 2, 3]
Triple = StrictInt | StrictFloat | Annotated[list[float], Field(min_length=3, max_length=3)]


class Table(BaseModel):
    """A table of the scenario file: unknown keys are mistakes."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SpanTable(Table):
    """[scenario]: the span `k351c simulate` runs when --from/--to are not given."""

    from_: Instant | None = Field(None, alias="from", description="Start instant (ISO 8601).")
    to: Instant | None = Field(None, description="End instant (ISO 8601).")


class LoadTable(Table):
    """[load]: a constant base load on the secondary side (absent: the meter's own load)."""

    voltage: Triple = Field(230.0, description="Phase voltage, V: a number or [L1, L2, L3].")
    current: Triple = Field(5.0, description="Secondary current, A: a number or [L1, L2, L3].")
    angle: Triple = Field(0.0, description="Current lag, degrees: a number or [L1, L2, L3].")
    frequency: float = Field(50.0, ge=45.0, le=65.0, description="Line frequency, Hz.")


class Event(Table):
    """An event at one instant."""

    at: Instant = Field(description="When the event happens (ISO 8601 instant).")


class WindowEvent(Event):
    """An event that overrides the load over a window of time."""

    duration: Duration | None = Field(None, description='Length ("90s", "5h"); absent: to the end.')
    phases: Phase | Annotated[list[Phase], Field(min_length=1)] | None = Field(
        None, description="Phases 1, 2, 3 it applies to (default all)."
    )


class OutageEvent(WindowEvent):
    """kind = "outage": no voltage and no current on the phases."""

    kind: Literal["outage"]


class SagSwellEvent(WindowEvent):
    """kind = "sag" or "swell": the phases' rms voltage becomes `voltage`."""

    kind: Literal["sag", "swell"]
    voltage: float = Field(ge=0.0, le=500.0, description="Rms voltage during the sag/swell, V.")


class LoadEvent(WindowEvent):
    """kind = "load": the phases' voltage, current or angle change (absent keys keep the base)."""

    kind: Literal["load"]
    voltage: float | None = Field(None, ge=0.0, le=500.0, description="Phase voltage, V.")
    current: Triple | None = Field(
        None, description="Secondary current, A: number or [L1, L2, L3]."
    )
    angle: Triple | None = Field(None, description="Current lag, degrees: number or [L1, L2, L3].")


class TamperEvent(Event):
    """kind = "tamper": a cover opened (or closed), closed again after `duration`."""

    kind: Literal["tamper"]
    what: Literal["meter_cover", "terminal_cover"] = Field("meter_cover", description="Cover.")
    opened: bool = Field(True, description="Opened (true) or closed (false).")
    duration: Duration | None = Field(None, description="Undone after this long.")


class MagneticEvent(Event):
    """kind = "magnetic": a strong DC field detected (or removed), removed after `duration`."""

    kind: Literal["magnetic"]
    active: bool = Field(True, description="Field present (true) or gone (false).")
    duration: Duration | None = Field(None, description="Undone after this long.")


class CtRatioEvent(Event):
    """kind = "ct_ratio": the CT ratio changes to primary/5 (refused when locked)."""

    kind: Literal["ct_ratio"]
    primary: Annotated[StrictInt, _checked(ct_sss)] = Field(
        description="CT primary current, A: one configuration 5 SSS encodes (5..3000)."
    )
    secondary: Literal[5] = Field(5, description="CT secondary current, A.")


class ClockEvent(Event):
    """kind = "clock": the clock is set to an instant or shifted (exactly one of set, shift)."""

    kind: Literal["clock"]
    set: Instant | None = Field(None, description="New time (ISO 8601 instant).")
    shift: Signed | None = Field(None, description='Shift, seconds or "-10m".')

    @model_validator(mode="after")
    def _one_of(self) -> ClockEvent:
        if (self.set is None) == (self.shift is None):
            raise ValueError("exactly one of set = ISO instant, shift = seconds")
        return self


class TariffInputEvent(Event):
    """kind = "tariff_input": a tariff input line changes level (where the tariffs use it)."""

    kind: Literal["tariff_input"]
    line: Literal[1, 2] = Field(description="Input line, 1 or 2.")
    level: Literal[0, 1] = Field(description="Level, 0 or 1.")


class DebitingStopEvent(Event):
    """kind = "debiting_stop": ends the debiting period now (the external stop)."""

    kind: Literal["debiting_stop"]


class TemperatureEvent(Event):
    """kind = "temperature": the meter's temperature (absent: back to the configured ambient)."""

    kind: Literal["temperature"]
    celsius: float | None = Field(
        None, ge=TEMPERATURE_RANGE[0], le=TEMPERATURE_RANGE[1], description="Temperature, degC."
    )


EVENTS = (
    OutageEvent,
    SagSwellEvent,
    LoadEvent,
    TamperEvent,
    MagneticEvent,
    CtRatioEvent,
    ClockEvent,
    TariffInputEvent,
    DebitingStopEvent,
    TemperatureEvent,
)
AnyEvent = Annotated[
    OutageEvent
    | SagSwellEvent
    | LoadEvent
    | TamperEvent
    | MagneticEvent
    | CtRatioEvent
    | ClockEvent
    | TariffInputEvent
    | DebitingStopEvent
    | TemperatureEvent,
    Field(discriminator="kind"),
]


class ScenarioFile(Table):
    """A scenario file: a name, an optional span and base load, and timed events."""

    name: str = Field("", description="A name for the scenario.")
    scenario: SpanTable | None = Field(None, description="The span to simulate.")
    load: LoadTable | None = Field(None, description="Constant base load.")
    events: list[AnyEvent] = Field(default_factory=list, description="Timed events, by kind.")


def json_schema() -> dict[str, Any]:
    """JSON Schema of the scenario file (unknown keys refused)."""
    schema = ScenarioFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "k351c scenario file"
    return schema
