"""The module slot on the web: GET /api/io, POST /api/io/{line} and /api/io/pulse, GET /api/io/events.

The two I/O lines of the fitted module (configuration 1 CCC, DD) with their levels, the pulse input
and the load control relays; inputs are driven with the write token; output, pulse, input and
relay events are kept in a bounded ring fed by the meter's event subscription.
"""

from __future__ import annotations

from collections import deque
from typing import Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

from k351c.codes.tables import IO_CONFIGS, IoDirection
from k351c.errors import ConfigError
from k351c.meter.function import Event, MeterFunction
from k351c.meter.io import PULSE_OUTPUTS, RELAY_OF_OUTPUT, TARIFF_INPUTS, IoModule
from k351c.meter.loadcontrol import RELAY_OBIS, LoadControl
from k351c.meter.tariffs import PULSE_INPUTS
from k351c.server.runtime import Runtime

F = TypeVar("F", bound=MeterFunction)

RING = 200
IO_KINDS = frozenset(
    {
        "pulse_output",
        "output_changed",
        "input_changed",
        "alarm_input",
        "disconnect_control",
        "tariff_changed",
    }
)
"""Meter events the ring keeps: module outputs and inputs, relays, and the tariff the inputs set."""
MAX_PULSES = 1_000_000


class LevelBody(BaseModel):
    """The level to put on an input line."""

    level: int = Field(ge=0, le=1)


class PulseBody(BaseModel):
    """A burst of pulses on the pulse input."""

    count: int = Field(ge=0, le=MAX_PULSES)


class IoEvents:
    """A bounded ring of the meter's I/O events, each numbered so a reader can ask for newer ones."""

    def __init__(self, runtime: Runtime, size: int = RING) -> None:
        self.runtime = runtime
        self.ring: deque[dict[str, Any]] = deque(maxlen=size)
        self.seq = 0
        runtime.meter.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.kind not in IO_KINDS:
            return
        self.seq += 1
        when = self.runtime.meter.localtime.to_local(event.t).isoformat()
        self.ring.append({"seq": self.seq, "time": when, "kind": event.kind, **event.data})

    def since(self, seq: int = 0, limit: int = RING) -> list[dict[str, Any]]:
        """Events numbered above ``seq``, oldest first, at most the newest ``limit``."""
        newer = [e for e in self.ring if e["seq"] > seq]
        return newer[-limit:] if limit > 0 else []


def _function(runtime: Runtime, kind: type[F]) -> F | None:
    try:
        return runtime.meter.function(kind)
    except KeyError:
        return None


def _role(function: Any) -> str:
    if function in TARIFF_INPUTS:
        return "tariff"
    if function in PULSE_INPUTS:
        return "pulse"
    if function in PULSE_OUTPUTS or function.name == "DEBITING_STOP_OUT":
        return "pulse_output"
    if function in RELAY_OF_OUTPUT:
        return "relay"
    return function.name.lower().removesuffix("_out").removesuffix("_in")


def _line(io: Any, index: int) -> dict[str, Any]:
    function = io.functions[index]
    direction = function.direction
    line: dict[str, Any] = {
        "line": index + 1,
        "function": function.value,
        "role": _role(function),
        "direction": direction.name.lower(),
        "inverted": function.inverted,
    }
    if direction is IoDirection.INPUT:
        level = bool(io.levels[index])
        line |= {"level": int(level), "active": level != function.inverted}
    elif direction is IoDirection.OUTPUT:
        line |= {"level": int(io.outputs[index]), "pulses": int(io.counters[index].count)}
        if function in RELAY_OF_OUTPUT:
            line["relay"] = RELAY_OF_OUTPUT[function]
    return line


def relays_json(runtime: Runtime) -> list[dict[str, Any]]:
    """The load control relays: control state, mode and whether the consumer is connected."""
    control = _function(runtime, LoadControl)
    return [
        {
            "relay": i + 1,
            "obis": str(RELAY_OBIS[i]),
            "state": relay.state.name.lower(),
            "control_state": int(relay.state),
            "mode": int(relay.mode),
            "connected": relay.output_state,
        }
        for i, relay in enumerate(control.relays if control is not None else [])
    ]


def io_json(runtime: Runtime) -> dict[str, Any]:
    """The fitted module, both I/O lines, the pulse input, the relays and the current tariff."""
    meter = runtime.meter
    io = _function(runtime, IoModule)
    if io is None:
        raise HTTPException(404, "this meter has no module slot (io function)")
    dd = meter.config.config1.dd
    has_pulse_input = any(f in PULSE_INPUTS for f in io.functions)
    pulse_input = None
    if has_pulse_input:
        pulse_input = {
            "count": io.pulses,
            "unit": io.unit or "pulses",
            "weight": io.weight,
            "value": io.pulse_value,
            "value_unit": meter.reading("0-0:128.11.1.255").unit,
        }
    return {
        "module": {
            "code": io.module_code,
            "name": io.module.name,
            "io": [_direction(io.module.io1), _direction(io.module.io2)],
        },
        "dd": {"code": dd, "name": IO_CONFIGS[dd].name if dd in IO_CONFIGS else ""},
        "lines": [_line(io, i) for i in range(2)],
        "pulse_input": pulse_input,
        "pulse_output": {
            "constant": io.constant,
            "energy": "primary" if io.primary else "secondary",
            "length_ms": meter.config.pulse_length_ms,
        },
        "relays": relays_json(runtime),
        "alarms": [bool(a) for a in io.alarms],
        "tariff": int(meter.tariff),
    }


def _direction(direction: IoDirection | None) -> str:
    return "see module data sheet" if direction is None else direction.name.lower()


def add_io_routes(app: FastAPI, runtime: Runtime, require_token: Any) -> IoEvents:
    """Mount the module slot's routes; returns the event ring (the live stream reads it too)."""
    events = IoEvents(runtime)
    guarded = [Depends(require_token)]

    @app.get("/api/io", tags=["module"])
    async def io_state() -> dict:
        """The fitted module (CCC), its I/O lines per DD with direction and level, pulse input, relays."""
        runtime.sync()
        return io_json(runtime)

    @app.get("/api/io/events", tags=["module"])
    async def io_events(
        since: int = Query(0, ge=0), limit: int = Query(RING, ge=1, le=RING)
    ) -> dict:
        """Recent output, pulse, input, relay and tariff events (a bounded ring; ``since`` = last seq seen)."""
        runtime.sync()
        return {"seq": events.seq, "events": events.since(since, limit)}

    @app.post("/api/io/pulse", tags=["module"], dependencies=guarded)
    async def io_pulse(body: PulseBody) -> dict:
        """Count a burst of pulses on the pulse input; 422 when the DD has no pulse input."""
        runtime.sync()
        _drive(runtime, lambda io: io.pulse(body.count))
        return io_json(runtime)

    @app.post("/api/io/{line}", tags=["module"], dependencies=guarded)
    async def io_input(line: int, body: LevelBody) -> dict:
        """Set input line 1 or 2 to level 0 or 1 (tariff, pulse, alarm or load control input)."""
        runtime.sync()
        _drive(runtime, lambda io: io.set_input(line, body.level))
        return io_json(runtime)

    return events


def _drive(runtime: Runtime, action: Any) -> None:
    io = _function(runtime, IoModule)
    if io is None:
        raise HTTPException(404, "this meter has no module slot (io function)")
    try:
        action(io)
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from None
    runtime.meter.commit()
