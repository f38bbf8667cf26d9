"""Hour counter: the hours the meter has had supply (at least one phase voltage present)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from k351c.meter.function import MeterFunction, Step
from k351c.meter.objects import ValueDef
from k351c.obis import Obis
from k351c.units import Unit

if TYPE_CHECKING:
    from k351c.meter.core import Meter

HOUR_COUNTER = Obis(0, 0, 96, 8, 0)


class HourCounter(MeterFunction):
    """Counts seconds with supply; 0-0:96.8.0.255 shows the whole hours."""

    name = "hours"

    def attach(self, meter: Meter) -> None:
        """Register the hour counter."""
        super().attach(meter)
        self.seconds = 0.0
        meter.objects.add(
            ValueDef(
                HOUR_COUNTER,
                3,
                lambda: self.hours,
                Unit.HOUR,
                0,
                description="hour counter: hours with supply",
            )
        )

    @property
    def hours(self) -> int:
        """Whole hours with supply."""
        return int(self.seconds // 3600)

    def on_step(self, step: Step) -> None:
        """Add the part of the step during which the meter had supply."""
        if not step.powered:
            return
        powered = step.measurement.powered
        if powered.shape == (1,) or powered.all():
            self.seconds += step.t1 - step.t0
        else:
            self.seconds += float(np.dot(step.segments.durations, powered))

    def state(self) -> dict:
        """Seconds with supply."""
        return {"seconds": self.seconds}

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.seconds = float(state["seconds"])
