"""Writes to a fleet meter kept with their instants, so they outlive a restart: the write journal.

The load profile's and the power-failure log's reset and capture, the display lists and the analysis
logger's capture objects and period are inputs the fleet recomputes from: each successful write or
method call is kept here as (instant, meter, OBIS, which domain method, its arguments) and read by
the recomputation. Writes to what is still a twin's (load control, k351c.meter.fleet_twin) are made
on the twin and replayed into a rebuilt one at their instants, the way CT changes are. The journal is
saved with the fleet's state (k351c.meter.fleet_state), so writes survive a restart like the single
meter's store keeps its settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from k351c.errors import AccessDenied, ConfigError
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.core import Meter

# The ValueDef callables that change a meter: the value's setter, a logger's new capture objects
# (OBIS codes) and capture period (s), and the reset/capture methods.
MUTATORS = ("set", "set_columns", "set_period", "reset", "capture")
LOAD_PROFILE = Obis(1, 0, 99, 1, 0)  # its reset/capture are journaled too; the fleet recomputes it


@dataclass(frozen=True, slots=True)
class TwinWrite:
    """One write: at ``t`` meter ``meter`` had ``target`` of ``obis`` called with ``args``."""

    t: float
    meter: int
    obis: str
    target: str
    args: tuple

    def apply(self, twin: Meter) -> object:
        """Make the call on a twin (advanced to ``t`` by the caller)."""
        definition = twin.objects.lookup(self.obis)
        return getattr(definition, self.target)(*self.args)

    def check_keepable(self) -> None:
        """AccessDenied when the arguments cannot be kept in the fleet's state (JSON)."""
        try:
            json.dumps(self.to_row())
        except (TypeError, ValueError):
            raise AccessDenied(
                f"a fleet meter cannot keep this write of {self.obis} ({self.target}) in its state"
            ) from None

    def to_row(self) -> list:
        """The JSON row saved with the fleet's state."""
        return [self.t, self.meter, self.obis, self.target, list(self.args)]

    @classmethod
    def from_row(cls, row: list) -> TwinWrite:
        """A write from its saved row; ConfigError when the row is not one."""
        try:
            t, meter, obis, target, args = row
        except (TypeError, ValueError):
            raise ConfigError(
                "fleet state twin write", row, "[t, meter, obis, target, args]"
            ) from None
        if target not in MUTATORS:
            raise ConfigError("fleet state twin write target", target, MUTATORS)
        return cls(float(t), int(meter), str(obis), str(target), tuple(args))


class WriteJournal:
    """Every write made to twin-carried values of a fleet's meters, in the order they were made."""

    def __init__(self, writes: Iterable[TwinWrite] = ()) -> None:
        self.writes = list(writes)

    def append(self, write: TwinWrite) -> None:
        """Keep a write that was made (Twins.call makes it first)."""
        self.writes.append(write)

    def of(self, meter: int) -> list[TwinWrite]:
        """The writes of one meter, in the order they were made."""
        return [w for w in self.writes if w.meter == meter]

    def to_rows(self) -> list[list]:
        """All writes as JSON rows."""
        return [w.to_row() for w in self.writes]

    @classmethod
    def from_rows(cls, rows: Iterable[list]) -> WriteJournal:
        """A journal from saved rows."""
        return cls(TwinWrite.from_row(row) for row in rows)

    def __len__(self) -> int:
        return len(self.writes)
