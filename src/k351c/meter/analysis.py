"""Analysis logger 1-0:99.2.0.255: up to 16 registers by OBIS at its own interval, in a fixed memory budget."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from k351c.errors import ConfigError
from k351c.meter.eventlog import CLOCK, RingLog, log_methods
from k351c.meter.function import MeterFunction, Step
from k351c.meter.objects import ProfileData, ValueDef
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.core import Meter

BUDGET_BYTES = 512 * 1024  # memory shared by the channels and the entries
TIME_BYTES = 4  # each entry's time stamp
VALUE_BYTES = 4  # each captured value
MAX_CHANNELS = 16
INTERVALS_MIN = (1, 5, 10, 15, 30, 60)
DEFAULT_INTERVAL_MIN = 15
DEFAULT_CHANNELS: tuple[str, ...] = (
    "1-0:32.7.0.255",
    "1-0:52.7.0.255",
    "1-0:72.7.0.255",  # voltage L1-L3
    "1-0:31.7.0.255",
    "1-0:51.7.0.255",
    "1-0:71.7.0.255",  # current L1-L3
    "1-0:1.7.0.255",
    "1-0:3.7.0.255",  # P+, Q+ (primary)
    "1-0:13.7.0.255",
    "1-0:14.7.0.255",  # power factor, frequency
)


def depth_for(channels: int) -> int:
    """Entries that fit in the budget with this many channels."""
    return BUDGET_BYTES // (TIME_BYTES + VALUE_BYTES * channels)


class AnalysisLogger(MeterFunction):
    """Captures the raw values of its channels at every interval boundary; reconfigurable at run time."""

    name = "analysis"

    def __init__(
        self,
        channels: Sequence[str] = DEFAULT_CHANNELS,
        interval_minutes: int = DEFAULT_INTERVAL_MIN,
    ):
        self.channels = [str(Obis.parse(c)) for c in channels]
        self.interval_minutes = interval_minutes
        self.log = RingLog("analysis", depth_for(len(self.channels)))

    def attach(self, meter: Meter) -> None:
        """Add the profile object; validate the default set against this meter's objects."""
        super().attach(meter)
        self.offset_s = float(meter.config.utc_offset_minutes * 60)
        self._check(self.channels, self.interval_minutes)
        self._bind()
        self.log.load(meter)
        self.end = self._after(meter.t)
        meter.objects.add(
            ValueDef(
                Obis(1, 0, 99, 2, 0),
                7,
                self._profile,
                description="analysis logger (channels and depth: docs/loggers.md)",
                capacity=lambda: self.depth,
                extra=log_methods(meter, self.log, lambda: self._profile().columns),
            )
        )

    @property
    def depth(self) -> int:
        """Entries the budget holds with the present channels."""
        return depth_for(len(self.channels))

    def _profile(self) -> ProfileData:
        return ProfileData(
            [CLOCK, *self.channels], self.log.local_rows(self.meter), self.interval_minutes * 60
        )

    def _check(self, channels: Sequence[str], interval_minutes: int) -> list[str]:
        if interval_minutes not in INTERVALS_MIN:
            raise ConfigError("analysis interval (minutes)", interval_minutes, list(INTERVALS_MIN))
        if not 1 <= len(channels) <= MAX_CHANNELS:
            raise ConfigError("analysis channels", len(channels), f"1..{MAX_CHANNELS} registers")
        codes = []
        for channel in channels:
            definition = self.meter.objects.lookup(channel)
            if definition.class_id not in (1, 3, 4):
                raise ConfigError(
                    "analysis channel", channel, "a register or data object (class 1, 3, 4)"
                )
            codes.append(str(definition.obis))
        if len(set(codes)) != len(codes):
            raise ConfigError("analysis channels", list(channels), "each register once")
        return codes

    def _bind(self) -> None:
        self._getters = [self.meter.objects.lookup(c).get for c in self.channels]

    def configure(self, channels: Sequence[str], interval_minutes: int | None = None) -> None:
        """Choose new channels (and interval); the buffer restarts empty, as a DLMS capture-object change does."""
        interval = self.interval_minutes if interval_minutes is None else interval_minutes
        self.channels = self._check(list(channels), interval)
        self.interval_minutes = interval
        self._bind()
        self.log.reset(self.meter, depth_for(len(self.channels)))
        self.end = self._after(self.meter.t)
        self.meter.commit()

    def _after(self, t: float) -> float:
        period = self.interval_minutes * 60.0
        return (math.floor((t + self.offset_s) / period) + 1.0) * period - self.offset_s

    def next_boundary(self, t: float) -> float | None:
        """The next capture instant."""
        return self.end

    def on_step(self, step: Step) -> None:
        """Capture every channel when the step ends on the capture instant."""
        if step.t1 >= self.end:
            t = self.end
            values = [get() for get in self._getters]
            self.log.append(self.meter, t, (t, *values))
            self.end = self._after(step.t1)

    def on_time_set(self, old: float, new: float) -> None:
        """Capture again on the grid of the new time."""
        self.end = self._after(new)

    def entries(self) -> list[tuple]:
        """Raw entries (POSIX time, raw values...), oldest first."""
        return list(self.log.rows)

    def state(self) -> dict:
        """Configuration and next capture instant."""
        return {"channels": list(self.channels), "interval": self.interval_minutes, "end": self.end}

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.channels = list(state["channels"])
        self.interval_minutes = int(state["interval"])
        self.end = float(state["end"])
        self.log.depth = self.depth
        self.log.load(self.meter)
        self._bind()
