"""Load profile 1-0:99.1.0.255: interval energies aligned to the clock, with the AMR profile status."""

from __future__ import annotations

import math
from enum import IntFlag
from typing import TYPE_CHECKING

from k351c.meter.energy import QUANTITIES, QUANTITY_C
from k351c.meter.eventlog import CLOCK, RingLog, log_methods
from k351c.meter.function import MeterFunction, Step
from k351c.meter.objects import ProfileData, ValueDef
from k351c.meter.registers import ENERGY_UNIT
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.core import Meter

STATUS = "0-0:96.10.1.255"
# The data sheet's logging depth in days, by energy type (X5) and integration period (minutes).
DEPTH_DAYS: dict[tuple[str, ...], dict[int, int]] = {
    ("A+",): {5: 92, 15: 275, 30: 550, 60: 1100},
    ("A+", "A-"): {5: 77, 15: 231, 30: 462, 60: 924},
    ("A+", "R+"): {5: 77, 15: 231, 30: 462, 60: 924},
    ("A+", "A-", "R+", "R-"): {5: 58, 15: 175, 30: 350, 60: 700},
}


class ProfileStatus(IntFlag):
    """AMR profile status byte (IDIS / DSMR), one per load-profile entry."""

    CRITICAL_ERROR = 0x01
    CLOCK_INVALID = 0x02
    DATA_NOT_VALID = 0x04
    DAYLIGHT_SAVING = 0x08
    CLOCK_ADJUSTED = 0x20
    RECOVERED_VALUE = 0x40
    POWER_DOWN = 0x80


CLOCK_INVALID = int(ProfileStatus.CLOCK_INVALID)
DAYLIGHT_SAVING = int(ProfileStatus.DAYLIGHT_SAVING)
POWER_DOWN = int(ProfileStatus.POWER_DOWN)
DATA_NOT_VALID = int(ProfileStatus.DATA_NOT_VALID)


def depth_entries(channels: tuple[str, ...], minutes: int) -> int:
    """Capacity in entries: the sheet's days times the intervals per day."""
    return DEPTH_DAYS[tuple(channels)][minutes] * (1440 // minutes)


def entry_status(
    flags: int = 0,
    *,
    power_down: bool = False,
    dst: bool = False,
    clock_invalid: bool = False,
    partial: bool = False,
) -> int:
    """The AMR status of a profile entry: its accumulated flags plus what the interval saw.

    power_down: a phase lost voltage in it; dst: it ends in summer time; clock_invalid: the RTC
    lost its time; partial: it did not run a whole period (the first one, a capture).
    """
    if power_down:
        flags |= POWER_DOWN
    if dst:
        flags |= DAYLIGHT_SAVING
    if clock_invalid:
        flags |= CLOCK_INVALID
    if partial:
        flags |= DATA_NOT_VALID
    return flags


def aligned_after(t: float, period: float, offset_s: float) -> float:
    """The first instant after t that is a multiple of period in local standard time."""
    return (math.floor((t + offset_s) / period) + 1.0) * period - offset_s


class LoadProfile(MeterFunction):
    """Closes an entry at every integration boundary: end time, status, energy per channel (register differences)."""

    name = "load_profile"

    def attach(self, meter: Meter) -> None:
        """Columns per X5 on primary or secondary energy per QQ; capacity per the depth table."""
        super().attach(meter)
        config = meter.config
        self.period = float(config.integration_minutes * 60)
        self.offset_s = float(config.utc_offset_minutes * 60)
        self.primary = config.load_profile_primary
        self.qidx = [QUANTITIES.index(q) for q in config.energy_channels]
        b = 0 if self.primary else 1
        self.channel_obis = [Obis(1, b, QUANTITY_C[q][0], 29, 0) for q in config.energy_channels]
        self.depth = depth_entries(config.energy_channels, config.integration_minutes)
        self.log = RingLog("load_profile", self.depth)
        self.log.load(meter)
        self.last = [0] * len(self.qidx)
        self.flags = 0
        self._open(meter.t, partial=True)
        for obis, quantity, i in zip(
            self.channel_obis, config.energy_channels, range(len(self.qidx)), strict=True
        ):
            meter.objects.add(
                ValueDef(
                    obis,
                    3,
                    self._last_getter(i),
                    ENERGY_UNIT[quantity],
                    description=f"{quantity} energy of the last load-profile interval",
                )
            )
        meter.objects.add(
            ValueDef(
                Obis.parse(STATUS),
                1,
                lambda: self._status(self.meter.t),
                description="AMR profile status of the running interval",
            )
        )
        meter.objects.add(
            ValueDef(
                Obis(1, 0, 99, 1, 0),
                7,
                self._profile,
                description=f"load profile, depth {self.depth} entries",
                capacity=lambda: self.depth,
                reset=log_methods(meter, self.log, lambda: self.columns)["reset"],
                capture=self.capture,
            )
        )

    def _last_getter(self, i: int):
        return lambda: self.last[i]

    @property
    def columns(self) -> list[str]:
        """Capture objects: clock, status, one interval energy per channel."""
        return [CLOCK, STATUS, *(str(o) for o in self.channel_obis)]

    def _profile(self) -> ProfileData:
        return ProfileData(self.columns, self.log.local_rows(self.meter), int(self.period))

    def _bank(self):
        return self.meter.primary if self.primary else self.meter.secondary

    def _counts(self) -> list[int]:
        return self._bank().totals(self.qidx)

    def _open(self, t: float, partial: bool = False) -> None:
        self.start = self._counts()
        self.end = aligned_after(t, self.period, self.offset_s)
        self.flags = entry_status(self.flags, partial=partial and self.end - t != self.period)

    # ------------------------------------------------------------------- step
    def next_boundary(self, t: float) -> float | None:
        """The end of the running integration period."""
        return self.end

    def on_step(self, step: Step) -> None:
        """Note a power failure; close the entry when the step ends on the boundary."""
        powered = step.measurement.powered
        self.flags = entry_status(
            self.flags, power_down=not (step.powered if powered.shape == (1,) else powered.all())
        )
        if step.t1 >= self.end:
            self._close(self.end)

    def _status(self, t: float) -> int:
        clock_status = self.meter.clock_status
        if clock_status is None:
            clock_status = 0x80 if self.meter.localtime.is_dst(t) else 0
        return entry_status(
            self.flags, dst=bool(clock_status & 0x80), clock_invalid=bool(clock_status & 0x01)
        )

    def _close(self, t: float) -> None:
        counts = self._counts()
        delta = [c - s for c, s in zip(counts, self.start, strict=True)]
        self.last = delta
        self.log.append(self.meter, t, (t, self._status(t), *delta))
        self.flags = 0
        self.start = counts
        self.end = aligned_after(t, self.period, self.offset_s)

    def capture(self) -> None:
        """Class 7 capture: close the running interval now (a partial entry) and open the next one."""
        self.flags = entry_status(self.flags, partial=True)
        self._close(self.meter.t)
        self.meter.commit()

    def on_time_set(self, old: float, new: float) -> None:
        """The running entry keeps its energy, is flagged clock-adjusted and ends at the next boundary after new."""
        self.flags |= int(ProfileStatus.CLOCK_ADJUSTED)
        self.end = aligned_after(new, self.period, self.offset_s)

    def running(self) -> list[int]:
        """Energy per channel booked in the running (not yet closed) interval."""
        return [c - s for c, s in zip(self._counts(), self.start, strict=True)]

    def entries(self) -> list[tuple]:
        """Raw entries (POSIX end time, status, energy per channel), oldest first."""
        return list(self.log.rows)

    # ------------------------------------------------------------ persistence
    def state(self) -> dict:
        """Register snapshot at the interval start, its end and flags."""
        return {
            "start": [int(x) for x in self.start],
            "end": self.end,
            "flags": int(self.flags),
            "last": list(self.last),
        }

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.start = [int(x) for x in state["start"]]
        self.end = float(state["end"])
        self.flags = int(state["flags"])
        self.last = [int(x) for x in state["last"]]
