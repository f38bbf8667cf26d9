"""Tamper over a fleet's arrays: covers and magnet switches, the error and alarm registers, no twin.

The rule is the single meter's (k351c.meter.tamper: ``switch``, ``raise_alarms``, ``error_register``,
``written_alarms``) run on all meters' rows. ``Fleet.set_tamper`` reports a switch on some or all
meters at the fleet's time; each change is kept with its instant (``inputs_of``: the same inputs can
be given to a single ``Meter``, and a twin replays them) and its fraud code is recorded in the
fleet's event logs. The alarm bits of events the fleet derives from its inputs are raised when read:
a power-up at the end of each power failure (the fleet's outages, ``fleet_powerfail.failures``), with
clock invalid once the RTC stood still in one (``powerfail.on_backup_s``), and the battery's end of
life (``powerfail.battery_flat``), each when it came after the meter's last alarm-register write.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from k351c.errors import ConfigError
from k351c.meter.fleet_function import FleetFunction
from k351c.meter.fleet_powerfail import failures
from k351c.meter.powerfail import BATTERY_LIFE_S, battery_flat, on_backup_s
from k351c.meter.tamper import (
    ALARM_REGISTER,
    ERROR_REGISTER,
    SOURCES,
    Alarm,
    checked_switch,
    cleared_errors,
    error_register,
    raise_alarms,
    switch,
    switch_code,
    written_alarms,
)

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet
    from k351c.meter.fleet_view import MeterView

NEVER_WRITTEN = -np.inf


class FleetTamper(FleetFunction):
    """Every meter's switches, latched errors and alarm register as arrays; the switch changes with their instants."""

    name = "tamper"

    def __init__(self, fleet: Fleet) -> None:
        super().__init__(fleet)
        n = fleet.n
        self.active = np.zeros((n, len(SOURCES)), dtype=bool)
        self.errors = np.zeros(n, dtype=np.int64)
        self.alarms = np.zeros(n, dtype=np.int64)
        self.written = np.full(n, NEVER_WRITTEN)  # the fleet's time of each meter's last alarm write
        self.changes = _Changes()

    # ------------------------------------------------------------- inputs
    def set(
        self, source: str, opened: bool | None = None, *, active: bool | None = None, meters=None  # noqa: ANN001
    ) -> np.ndarray:
        """Report a switch on ``meters`` (default all) now, as ``Tamper.set`` does; the meters it changed."""
        column, state = checked_switch(source, opened, active)
        fleet = self.fleet
        rows = fleet.chosen(meters, "tamper meters")
        changed = switch(self.active, self.errors, column, state, rows)
        if changed.size:
            code = switch_code(column, state)
            raise_alarms(self.alarms, changed, code)
            self.changes.add(fleet.t, changed, column, state)
            fleet.events.record(fleet.rtc.meter_time(fleet.t), code, changed)
        return changed

    def inputs_of(self, i: int) -> list[tuple[float, str, bool]]:
        """Meter i's switch changes (instant, source, state), in the order they were made."""
        return self.changes.of(i)

    def clear_errors(self, meters=None) -> None:  # noqa: ANN001
        """Reset the latched error bits of ``meters`` (default all); switches still active stay set."""
        rows = self.fleet.chosen(meters, "tamper meters")
        self.errors[rows] = cleared_errors(self.active[rows])

    def write_alarms(self, i: int, value: object) -> None:
        """A write to meter i's alarm register sets it to ``value`` (0 clears every alarm)."""
        self.alarms[i] = written_alarms(value)
        self.written[i] = self.fleet.t

    # ------------------------------------------------------------- values
    def replace_battery(self, meter_t: float) -> bool:
        """Whether the meters' clock shows "replace battery" at meter time ``meter_t`` (all alike)."""
        fleet = self.fleet
        return fleet.t > fleet.start and battery_flat(fleet.battery, fleet.start, meter_t)

    def error_register(self, i: int, clock_status: int, meter_t: float) -> int:
        """Meter i's error register: latched tamper errors, clock invalid, replace battery."""
        return int(error_register(self.errors[i], clock_status, self.replace_battery(meter_t)))

    def alarm_register(self, i: int, meter_t: float) -> int:
        """Meter i's alarm register: its latched bits and those of the power-ups and battery since its last write."""
        fleet, since = self.fleet, self.written[i]
        bits = int(self.alarms[i])
        found = failures(fleet.outage_windows(i), fleet.t)
        if found and found[-1][0] + found[-1][1] > since:
            bits |= int(Alarm.POWER_UP)
            if any(self._stood_still(t0, duration) for t0, duration in found):
                bits |= int(Alarm.CLOCK_INVALID)  # every power-up after the RTC stood still says so
        flat_since = fleet.start + (BATTERY_LIFE_S if fleet.battery else 0.0)
        if self.replace_battery(meter_t) and since <= flat_since:
            bits |= int(Alarm.REPLACE_BATTERY)
        return bits

    def totals(self) -> dict[str, int]:
        """Switch changes made and meters with a latched error, over the fleet."""
        return {
            "tamper switch changes": len(self.changes.table()),
            "meters with a latched tamper error": int(np.count_nonzero(self.errors)),
        }

    def _stood_still(self, t0: float, duration: float) -> bool:
        """Whether the RTC stood still in this failure (its backup ran out: ``powerfail.on_backup_s``)."""
        fleet = self.fleet
        flat = battery_flat(fleet.battery, fleet.start, fleet.rtc.meter_time(t0 + duration))
        return duration > on_backup_s(duration, flat)

    # -------------------------------------------------------- persistence
    def arrays(self) -> dict[str, np.ndarray]:
        """Switches, registers, write instants and the switch changes."""
        return {
            "active": self.active,
            "errors": self.errors,
            "alarms": self.alarms,
            "written": self.written,
            **self.changes.arrays(),
        }

    def restore(self, arrays: dict[str, np.ndarray], t: float) -> None:
        """Load arrays written by ``arrays``."""
        self.active = arrays["active"].astype(bool)
        self.errors = arrays["errors"].astype(np.int64)
        self.alarms = arrays["alarms"].astype(np.int64)
        self.written = arrays["written"].astype(np.float64)
        self.changes = _Changes.from_arrays(arrays)

    def begin(self, t: float) -> None:
        """A state before tamper kept arrays: its journaled alarm-register writes are taken over."""
        for write in self.fleet.writes.writes:
            if write.obis == str(ALARM_REGISTER) and write.target == "set":
                self.alarms[write.meter] = written_alarms(write.args[0])
                self.written[write.meter] = write.t


class _Changes:
    """Switch changes as rows (instant, meter, source column, state), in the order they were made."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []

    def add(self, t: float, meters: np.ndarray, column: int, state: bool) -> None:
        """Keep a change of these meters at t."""
        block = np.empty((meters.size, 4))
        block[:, 0], block[:, 1], block[:, 2], block[:, 3] = t, meters, column, state
        self.rows.append(block)

    def table(self) -> np.ndarray:
        """All rows (m, 4)."""
        if len(self.rows) != 1:
            self.rows = [np.concatenate(self.rows) if self.rows else np.empty((0, 4))]
        return self.rows[0]

    def of(self, i: int) -> list[tuple[float, str, bool]]:
        """Meter i's changes."""
        table = self.table()
        names = list(SOURCES)
        return [
            (float(t), names[int(column)], bool(state))
            for t, _, column, state in table[table[:, 1] == i]
        ]

    def arrays(self) -> dict[str, np.ndarray]:
        """The rows as one saved array."""
        return {"changes": self.table()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> _Changes:
        """Rows saved by ``arrays``; ConfigError when they are not (m, 4)."""
        table = np.asarray(arrays["changes"], dtype=np.float64)
        if table.ndim != 2 or table.shape[1] != 4:
            raise ConfigError("fleet state tamper changes", table.shape, "(rows, 4)")
        changes = cls()
        changes.rows = [table]
        return changes


def add_tamper_values(view: MeterView) -> None:
    """Add meter ``view.i``'s error and alarm registers, read from the tamper arrays."""
    tamper, template = view.fleet.tamper, view.fleet.twins.template()
    errors, alarms = template.get(ERROR_REGISTER), template.get(ALARM_REGISTER)
    if errors is not None:
        view.objects.add(
            dataclasses.replace(
                errors, get=lambda: tamper.error_register(view.i, view.clock_status, view.t)
            )
        )
    if alarms is not None:
        view.objects.add(
            dataclasses.replace(
                alarms,
                get=lambda: tamper.alarm_register(view.i, view.t),
                set=lambda value: tamper.write_alarms(view.i, value),
            )
        )
