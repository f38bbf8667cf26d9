"""One meter function over the fleet's arrays: the hooks the engine calls as it advances.

A fleet function (demand and billing, events, voltage quality, tamper, ...) keeps its state as
arrays over the fleet's meters and is told, in this order, what the engine does: before a chunk of
whole load intervals it may ask the engine to stop at an interval (``next_k``) or at an instant
inside one (``next_t``: the engine books every meter's running interval up to it, then ``at``); each block of
meters' measured intervals is handed over (``intervals``); when every meter has registered up to an
interval, ``reached``; when the engine stops at an instant, ``advanced``; a change mid-interval (CT
ratio, temperature) books the running interval first (``book_running``); a new outage is announced (``outage_added``). Its state is saved in the
fleet's state file under ``name`` (``arrays``) and restored from it (``restore``); a state written
before the function existed starts it at the state's time (``begin``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet
    from k351c.meter.fleet_state import Outage
    from k351c.meter.metrology import Measurement

NEVER = int(np.iinfo(np.int64).max)


class FleetFunction:
    """Base of the fleet's array functions: every hook is a no-op unless the function needs it."""

    name = "function"

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    def next_k(self) -> int:
        """The interval at whose start the engine must stop (something is due there); NEVER if none."""
        return NEVER

    def next_t(self) -> float:
        """A true instant inside a load interval at which the function must act (``at``); inf if none."""
        return math.inf

    def at(self, t: float) -> None:
        """Act at t, an instant ``next_t`` gave: every meter's running interval is booked up to t."""

    def intervals(
        self, meters: np.ndarray, idx: np.ndarray, meas: Measurement, tariffs: np.ndarray
    ) -> None:
        """The measured whole intervals ``idx`` of a block of ``meters`` (consecutive indices)."""

    def reached(self, k: int) -> None:
        """Every meter has registered every interval before k."""

    def advanced(self, t: float) -> None:
        """The engine stopped at t, inside an interval or on its end (what a read at t must see)."""

    def book_running(self, meters: np.ndarray, until: float) -> None:
        """These meters' running interval up to ``until`` seconds into it, before an input changes."""

    def outage_added(self, outage: Outage) -> None:
        """A feeder outage was added (it may lie in the past of a restored or backfilled fleet)."""

    def arrays(self) -> dict[str, np.ndarray]:
        """The function's state as named arrays (saved under ``name``)."""
        return {}

    def totals(self) -> dict[str, int]:
        """What it has booked across the fleet so far (events, rows, periods), by name: what a figure shows ran."""
        return {}

    def restore(self, arrays: dict[str, np.ndarray], t: float) -> None:
        """Load arrays written by ``arrays`` in a fleet whose time is t."""

    def begin(self, t: float) -> None:
        """Start empty at t: the state file was written before this function kept arrays."""
