"""Analysis logger 1-0:99.2.0.255: up to 16 registers by OBIS at its own interval, in a fixed memory budget.

What an entry holds, per channel (``AnalysisLogger.kinds``): an instantaneous value (a class 3/4
register with OBIS D = 7: voltage, current, powers, power factor, frequency) is the time-weighted
average over the capture period of what the meter measured while powered; every other value
(energy registers, counters, extremes, data objects) is sampled at the end of the period.

Channels and period come from the settings' [analysis] (configuration file), and are changed at run
time through ``configure`` (API), DLMS (class 7 capture_objects / capture_period, management) or the
optical port; every path validates the same way, persists the new [analysis] and restarts the buffer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from k351c.codes.settings import Analysis
from k351c.errors import ConfigError
from k351c.meter.eventlog import CLOCK, RingLog, log_methods
from k351c.meter.function import Event, MeterFunction, Step
from k351c.meter.metrology import Measurement
from k351c.meter.objects import ObjectTable, ProfileData, ValueDef
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
AVERAGE, SAMPLE = "average", "sample"
QUANTITIES = ("voltage", "current", "p", "q", "s", "frequency")
"""What the metrology measures per interval: the period's averages are taken of these."""


def depth_for(channels: int) -> int:
    """Entries that fit in the budget with this many channels."""
    return BUDGET_BYTES // (TIME_BYTES + VALUE_BYTES * channels)


def channel_kind(definition: ValueDef) -> str:
    """ "average" for an instantaneous value (class 3/4, A = 1, D = 7), else "sample"."""
    obis = definition.obis
    return AVERAGE if definition.class_id in (3, 4) and obis.a == 1 and obis.d == 7 else SAMPLE


def wanted(analysis: Analysis, channels: Sequence[str], minutes: int) -> tuple[list[str], int]:
    """Channels and period of the settings' [analysis]; what it leaves out stays ``channels``/``minutes``."""
    chosen = channels if analysis.channels is None else list(analysis.channels)
    return [str(Obis.parse(c)) for c in chosen], analysis.interval_minutes or minutes


def checked_settings(
    objects: ObjectTable, channels: Sequence[str], interval_minutes: int
) -> list[str]:
    """The channels' canonical codes, or ConfigError naming a bad period, count or channel."""
    if interval_minutes not in INTERVALS_MIN:
        raise ConfigError("analysis interval (minutes)", interval_minutes, list(INTERVALS_MIN))
    if not 1 <= len(channels) <= MAX_CHANNELS:
        raise ConfigError("analysis channels", len(channels), f"1..{MAX_CHANNELS} registers")
    codes = []
    for channel in channels:
        definition = objects.lookup(channel)
        if definition.class_id not in (1, 3, 4):
            raise ConfigError(
                "analysis channel", channel, "a register or data object (class 1, 3, 4)"
            )
        codes.append(str(definition.obis))
    if len(set(codes)) != len(codes):
        raise ConfigError("analysis channels", list(channels), "each register once")
    return codes


def capture_channels(codes: list[str]) -> list[str]:
    """New capture objects as channels: the clock (optional, first) is not one."""
    return codes[1:] if codes and codes[0] == CLOCK else codes


def period_minutes(seconds: object) -> int:
    """A capture period in seconds as whole minutes (checked_settings checks which)."""
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds % 60:
        raise ConfigError("analysis capture_period (s)", seconds, [m * 60 for m in INTERVALS_MIN])
    return seconds // 60


def next_capture(t: float, interval_minutes: int, offset_s: float) -> float:
    """The first capture instant after meter time t: the period grid of the meter's standard time."""
    period = interval_minutes * 60.0
    return (math.floor((t + offset_s) / period) + 1.0) * period - offset_s


def averages_apply(seconds: float, one_interval: bool) -> bool:
    """Whether a capture reads the period's mean: it had powered seconds and more than one interval.

    Otherwise (one interval, or no supply all period) the entry is what the meter shows at its end.
    """
    return seconds > 0 and not one_interval


def mean_measurement(sums: dict[str, np.ndarray], seconds: float | np.ndarray) -> Measurement:
    """The periods' mean measurement from their time-weighted sums (one row per period)."""
    mean = {name: sums[name] / seconds for name in QUANTITIES}
    rows = len(mean["voltage"])
    return Measurement(
        mean["voltage"],
        mean["current"],
        mean["p"],
        mean["q"],
        mean["s"],
        mean["frequency"][:, 0],
        np.ones(rows, dtype=bool),
    )


class AnalysisLogger(MeterFunction):
    """Captures its channels (averages or samples) at every interval boundary; reconfigurable at run time."""

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
        """Add the profile object; channels and period from [analysis], else the defaults."""
        super().attach(meter)
        self.offset_s = float(meter.config.utc_offset_minutes * 60)
        self.channels, self.interval_minutes = self._wanted()
        self.channels = self._check(self.channels, self.interval_minutes)
        self.log.depth = self.depth
        self._bind()
        self.log.load(meter)
        self.end = self._after(meter.t)
        meter.objects.add(
            ValueDef(
                Obis(1, 0, 99, 2, 0),
                7,
                self._profile,
                description="analysis logger (channels, averages and depth: docs/loggers.md)",
                capacity=lambda: self.depth,
                set_columns=self._set_capture_objects,
                set_period=self._set_capture_period,
                **log_methods(meter, self.log, lambda: self._profile().columns),
            )
        )
        meter.subscribe(self._on_event)

    def _wanted(self) -> tuple[list[str], int]:
        """Channels and period of the settings' [analysis] (what it leaves out: the current ones)."""
        return wanted(self.meter.config.settings.analysis, self.channels, self.interval_minutes)

    @property
    def depth(self) -> int:
        """Entries the budget holds with the present channels."""
        return depth_for(len(self.channels))

    def kinds(self) -> dict[str, str]:
        """Per channel: "average" (over the capture period) or "sample" (at its end)."""
        return dict(zip(self.channels, self._kinds, strict=True))

    def _profile(self) -> ProfileData:
        return ProfileData(
            [CLOCK, *self.channels], self.log.local_rows(self.meter), self.interval_minutes * 60
        )

    def _check(self, channels: Sequence[str], interval_minutes: int) -> list[str]:
        return checked_settings(self.meter.objects, channels, interval_minutes)

    def _bind(self) -> None:
        definitions = [self.meter.objects.lookup(c) for c in self.channels]
        self._getters = [d.get for d in definitions]
        self._kinds = [channel_kind(d) for d in definitions]
        self._averaged = [i for i, k in enumerate(self._kinds) if k == AVERAGE]
        self._averaged_set = frozenset(self._averaged)
        self._phases = len(self.meter.instant.last()["voltage"])
        self._seconds = 1.0
        self._clear()

    def _clear(self) -> None:
        """Start the sums of a new capture period (the lists only when something was added)."""
        if self._seconds:
            phases = self._phases
            self._sums = {n: [0.0] * (1 if n == "frequency" else phases) for n in QUANTITIES}
            self._seconds = 0.0
        self._intervals = 0
        self._last_end: float | None = None

    # ------------------------------------------------------------ configuration
    def configure(self, channels: Sequence[str], interval_minutes: int | None = None) -> None:
        """Choose new channels (and interval): validated, kept in [analysis], the buffer restarts empty."""
        interval = self.interval_minutes if interval_minutes is None else interval_minutes
        codes = self._check(list(channels), interval)
        self._apply(codes, interval)
        settings = self.meter.config.settings
        analysis = Analysis(tuple(codes), interval)
        self.meter.reconfigure(settings=dataclasses.replace(settings, analysis=analysis))

    def _apply(self, channels: list[str], interval: int) -> None:
        self.channels = channels
        self.interval_minutes = interval
        self._bind()
        self.log.reset(self.meter, depth_for(len(self.channels)))
        self.end = self._after(self.meter.t)
        self.meter.commit()

    def _on_event(self, event: Event) -> None:
        if event.kind == "configuration_changed":
            channels, minutes = self._wanted()
            if (channels, minutes) != (self.channels, self.interval_minutes):
                self._apply(self._check(channels, minutes), minutes)

    def _set_capture_objects(self, codes: list[str]) -> None:
        """New capture objects: the clock (optional, first) and 1..16 registers."""
        self.configure(capture_channels(codes))

    def _set_capture_period(self, seconds: int) -> None:
        """A new capture period in seconds: 60, 300, 600, 900, 1800 or 3600."""
        self.configure(self.channels, period_minutes(seconds))

    # ----------------------------------------------------------------- capture
    def _after(self, t: float) -> float:
        return next_capture(t, self.interval_minutes, self.offset_s)

    def next_boundary(self, t: float) -> float | None:
        """The next capture instant."""
        return self.end

    def on_step(self, step: Step) -> None:
        """Add the step to the averages; capture every channel when the step ends on the capture instant."""
        if self._averaged:
            whole = self._intervals == 0 and step.t0 <= self.end - self.interval_minutes * 60.0
            if whole and step.t1 >= self.end and len(step.segments.durations) == 1:
                self._intervals, self._last_end = 1, step.t1  # one interval: its mean is the sample
            else:
                self._accumulate(step)
        if step.t1 >= self.end:
            t = self.end
            self.log.append(self.meter, t, (t, *self._values()))
            self._clear()
            self.end = self._after(step.t1)

    def _accumulate(self, step: Step) -> None:
        """Time-weighted sums of what the meter measured over the step's powered intervals."""
        meas = step.measurement
        durations = step.segments.durations
        if len(durations) == 1:
            seconds = float(durations[0])
            if not meas.powered[0] or seconds <= 0:
                return
            last = meas.last()
            for name in QUANTITIES:
                value = last[name]
                sums = self._sums[name]
                if isinstance(value, list):
                    for k, x in enumerate(value):
                        sums[k] += x * seconds
                else:
                    sums[0] += value * seconds
            self._seconds += seconds
            self._intervals += 1
            self._last_end = step.t1
            return
        weights = durations * meas.powered
        stacked = np.column_stack(
            (meas.voltage, meas.current, meas.p, meas.q, meas.s, meas.frequency)
        )
        weighted = (weights @ stacked).tolist()
        k = 0
        for name in QUANTITIES:
            sums = self._sums[name]
            for j in range(len(sums)):
                sums[j] += weighted[k]
                k += 1
        self._seconds += float(weights.sum())
        self._intervals += len(durations)

    def _values(self) -> list[object]:
        """Samples now; the averaged channels read over the period's mean measurement."""
        one = self._intervals == 1 and self._last_end == self.end
        if not self._averaged or not averages_apply(self._seconds, one):
            return [get() for get in self._getters]
        values: list[object] = [
            None if c in self._averaged_set else get() for c, get in enumerate(self._getters)
        ]
        sums = {name: np.array([values]) for name, values in self._sums.items()}
        meter = self.meter
        shown = meter.instant
        meter.instant = mean_measurement(sums, self._seconds)
        try:
            for c in self._averaged:
                values[c] = self._getters[c]()
        finally:
            meter.instant = shown
        return values

    def on_time_set(self, old: float, new: float) -> None:
        """Capture again on the grid of the new time; the averages restart."""
        self.end = self._after(new)
        self._clear()

    def entries(self) -> list[tuple]:
        """Raw entries (POSIX time, raw values...), oldest first."""
        return list(self.log.rows)

    # ------------------------------------------------------------- persistence
    def state(self) -> dict:
        """Configuration, next capture instant and the running averages."""
        return {
            "channels": list(self.channels),
            "interval": self.interval_minutes,
            "end": self.end,
            "sums": {name: list(values) for name, values in self._sums.items()},
            "seconds": self._seconds,
            "intervals": self._intervals,
        }

    def restore(self, state: dict) -> None:
        """Load a state written by state(); a different [analysis] in the file then applies."""
        self.channels = list(state["channels"])
        self.interval_minutes = int(state["interval"])
        self.end = float(state["end"])
        self.log.depth = self.depth
        self.log.load(self.meter)
        self._bind()
        sums = state.get("sums")
        if isinstance(sums, dict) and set(sums) == set(self._sums):
            self._sums = {name: [float(x) for x in values] for name, values in sums.items()}
            self._seconds = float(state.get("seconds", 0.0))
            self._intervals = int(state.get("intervals", 2))
        channels, minutes = self._wanted()
        if (channels, minutes) != (self.channels, self.interval_minutes):
            self._apply(self._check(channels, minutes), minutes)

