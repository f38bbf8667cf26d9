"""What a meter function is: a pure-ish step over state, with events out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from k351c.meter.loads import Segments
from k351c.meter.metrology import Measurement

if TYPE_CHECKING:
    from k351c.meter.core import Meter


T = TypeVar("T")
R = TypeVar("R")


def bound(fn: Callable[[T], R], arg: T) -> Callable[[], R]:
    """A getter calling fn(arg) each time: a loop's value bound without the `lambda i=i:` default."""
    return lambda: fn(arg)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened: a log line, an alarm, a pulse batch (consumers pick by kind)."""

    t: float
    kind: str
    code: int = 0
    log: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class LazyArray:
    """Nested lists read as the ndarray they stand for; the ndarray is built only when needed.

    ``a[i, j]`` is the Python number (the same IEEE value); any other use builds the array.
    """

    __slots__ = ("_rows", "_dtype", "_array")

    def __init__(self, rows: list, dtype: type) -> None:
        self._rows = rows
        self._dtype = dtype
        self._array: np.ndarray | None = None

    def array(self) -> np.ndarray:
        """The ndarray (built once)."""
        if self._array is None:
            self._array = np.array(self._rows, dtype=self._dtype)
        return self._array

    def __getitem__(self, key):
        if type(key) is tuple and len(key) == 2 and type(key[0]) is int and type(key[1]) is int:
            row = self._rows[key[0]]
            return row[key[1]] if type(row) is list else self.array()[key]
        return self.array()[key]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        array = self.array()
        return array if dtype is None else array.astype(dtype)

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self):
        return iter(self.array())

    def __getattr__(self, name: str):
        return getattr(self.array(), name)

    def __repr__(self) -> str:
        return repr(self.array())


# A step's energy tables: (4 quantities, 8 slots); read a[i, j], or np.asarray(a) for the array.
EnergyTable = np.ndarray | LazyArray


@dataclass(frozen=True, slots=True)
class Step:
    """One interval [t0, t1] that no boundary splits: the load, its measurement and the energy."""

    t0: float
    t1: float
    segments: Segments
    measurement: Measurement
    energy_ws: EnergyTable
    delta_secondary: EnergyTable
    delta_primary: EnergyTable
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

    def on_time_set(self, old: float, new: float) -> None:
        """The clock was set from meter time ``old`` to ``new`` (no energy is integrated over the jump)."""

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
