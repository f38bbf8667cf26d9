"""What a meter function is: a pure-ish step over state, with events out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from k351c.meter.loads import Segments
from k351c.meter.metrology import Measurement

if TYPE_CHECKING:
    from k351c.meter.core import Meter


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened: a log line, an alarm, a pulse batch (consumers pick by kind)."""

    t: float
    kind: str
    code: int = 0
    log: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """One interval [t0, t1] that no boundary splits: the load, its measurement and the energy."""

    t0: float
    t1: float
    segments: Segments
    measurement: Measurement
    energy_ws: np.ndarray
    delta_secondary: np.ndarray
    delta_primary: np.ndarray
    tariff: int
    powered: bool

    @property
    def duration(self) -> float:
        """Length of the step in seconds."""
        return self.t1 - self.t0


class MeterFunction:
    """Base of the meter's functions; each overrides what it needs."""

    name = "function"

    def attach(self, meter: Meter) -> None:
        """Register values in the meter's object table and keep a reference."""
        self.meter = meter

    def next_boundary(self, t: float) -> float | None:
        """The next instant after t where a step must end (interval end, tariff switch...)."""
        return None

    def begin_step(self, t0: float) -> None:
        """Called before each step starts at t0 (e.g. to switch the tariff)."""

    def on_step(self, step: Step) -> None:
        """Consume one step's measurement and energy."""

    def state(self) -> dict | None:
        """Serialisable state to persist, or None if stateless."""
        return None

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
