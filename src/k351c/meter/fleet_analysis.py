"""A fleet meter's analysis logger 1-0:99.2.0.255, recomputed from the seeded load instead of stored.

Entry *k* of meter *i* is captured at the k-th instant of its period grid (``analysis.next_capture``,
meter time). Its averaged channels are the single meter's rule (``analysis.averages_apply``,
``analysis.mean_measurement``): the mean of what the meter measured over the period's powered
seconds, read through the same instantaneous-register getters (``registers.register_instantaneous``)
at the CT ratio in force at the capture; a period with one interval or no supply reads what the
meter shows at its end. The measurements are the fleet's (``Fleet.measurement``: load, outages,
temperature), on the load's 15-minute grid split at period ends and temperature settings, so only
the entries the log holds are computed: a year-old meter costs its depth, not its history.

The settings (channels, period) and the logger's reset and capture methods are journaled writes
(``meter.fleet_writes``): ``analysis_settings`` folds meter i's journal into what the single meter's
logger would hold. A change of channels or period restarts the log and the averages, as it does in
a single meter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from k351c.errors import ConfigError
from k351c.meter.analysis import (
    AVERAGE,
    DEFAULT_CHANNELS,
    DEFAULT_INTERVAL_MIN,
    QUANTITIES,
    averages_apply,
    capture_channels,
    channel_kind,
    depth_for,
    mean_measurement,
    next_capture,
    period_minutes,
    wanted,
)
from k351c.meter.eventlog import EventCode
from k351c.meter.fleet_load import RESOLUTION
from k351c.meter.fleet_writes import TwinWrite
from k351c.meter.objects import ObjectTable
from k351c.meter.registers import energy_register, register_instantaneous
from k351c.obis import Obis

if TYPE_CHECKING:
    from collections.abc import Callable

    from k351c.codes import MeterConfig
    from k351c.meter.fleet import Fleet
    from k351c.meter.metrology import Measurement

ANALYSIS = Obis(1, 0, 99, 2, 0)
AVERAGED_ONLY = "an instantaneous or energy register: a fleet meter recomputes averages and energy"


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    """What meter i's analysis logger holds now: channels, period, and since when (meter time).

    ``since`` is when the averages and the period grid last restarted (the start, or a change of
    channels or period); entries at or before ``cleared`` are gone (a change or a reset);
    ``captures`` are the capture-method instants after that.
    """

    channels: tuple[str, ...]
    minutes: int
    since: float
    cleared: float
    captures: tuple[float, ...]

    @property
    def depth(self) -> int:
        """Entries the logger keeps with these channels."""
        return depth_for(len(self.channels))


def analysis_settings(fleet: Fleet, i: int) -> AnalysisSettings:
    """Meter i's settings: the configuration's [analysis], then its journaled writes in order."""
    channels, minutes = wanted(
        fleet.config.settings.analysis, DEFAULT_CHANNELS, DEFAULT_INTERVAL_MIN
    )
    since = cleared = fleet.start
    captures: list[float] = []
    for write in fleet.writes.of(i):
        if write.obis != str(ANALYSIS):
            continue
        t = float(fleet.rtc.meter_time(write.t))
        if write.target in ("set_columns", "set_period"):
            if write.target == "set_columns":
                channels = capture_channels(list(write.args[0]))
            else:
                minutes = period_minutes(write.args[0])
            since = cleared = t
            captures = []
        elif write.target == "reset":
            cleared, captures = t, []
        elif write.target == "capture":
            captures.append(t)
    return AnalysisSettings(tuple(channels), minutes, since, cleared, tuple(captures))


def journal(fleet: Fleet, i: int, target: str, args: tuple = ()) -> None:
    """Keep a write of meter i's analysis logger made now (set_columns, set_period, reset, capture).

    New channels or period change the meter's settings: the standard log gets the single meter's
    configuration-changed event (``setting_changed``).
    """
    fleet.writes.append(TwinWrite(fleet.t, i, str(ANALYSIS), target, args))
    if target in ("set_columns", "set_period"):
        setting_changed(fleet, i)


def setting_changed(fleet: Fleet, i: int) -> None:
    """Meter i's settings changed now (analysis channels, a display list): event 230, as ``Meter.reconfigure``."""
    fleet.events.record(fleet.rtc.meter_time(fleet.t), EventCode.CONFIGURATION_CHANGED, [i])


class InstantGetters:
    """The single meter's instantaneous-register getters over a measurement and CT ratio set per entry."""

    def __init__(self, config: MeterConfig) -> None:
        self.config = config
        self.objects = ObjectTable()
        self.instant: Any = None
        self.ct_ratio = 1.0
        register_instantaneous(self)

    def getter(self, code: str) -> Callable[[], Any] | None:
        """The getter of an averaged channel, None when it is no instantaneous register."""
        definition = self.objects.get(code)
        if definition is None or channel_kind(definition) != AVERAGE:
            return None
        return definition.get

    def values(self, getters: list[Callable[[], Any]], row: dict, ratio: float) -> tuple:
        """The channels' values over one measurement row (``Measurement.row``) at a CT ratio."""
        self.instant, self.ct_ratio = _Shown(row), ratio
        return tuple(get() for get in getters)


class _Shown:
    """One measurement row as the getters read it (``last``)."""

    __slots__ = ("_row",)

    def __init__(self, row: dict) -> None:
        self._row = row

    def last(self) -> dict:
        """The row."""
        return self._row


def analysis_rows(
    fleet: Fleet, i: int, settings: AnalysisSettings, probe: InstantGetters
) -> list[tuple]:
    """Meter i's analysis entries (meter-time POSIX capture instant, values...), oldest first."""
    getters = [probe.getter(c) for c in settings.channels]
    samples = {
        c: energy_register(c)
        for c, get in zip(settings.channels, getters, strict=True)
        if get is None
    }
    for code, register in samples.items():
        if register is None:
            raise ConfigError("analysis channel", code, AVERAGED_ONLY)
    averaged = [get for get in getters if get is not None]
    ends = _capture_instants(fleet, settings)
    rows: list[tuple[float, int, tuple]] = []
    if ends.size:
        means, ratios = _period_means(fleet, i, settings, ends)
        for r, t in enumerate(ends.tolist()):
            rows.append((t, 0, probe.values(averaged, means.row(r), float(ratios[r]))))
    for t in settings.captures:
        true_t = np.array([fleet.rtc.true_time(t)])
        meas = fleet.instant(i, float(true_t[0]))
        ratio = _ratios(fleet, i, true_t, inclusive=True)[0]
        rows.append((t, 1, probe.values(averaged, meas.row(-1), float(ratio))))
    rows.sort(key=lambda row: row[:2])
    rows = rows[-settings.depth :]
    if samples:
        rows = _with_samples(fleet, i, settings.channels, samples, rows)
    return [(t, *values) for t, _, values in rows]


def _with_samples(
    fleet: Fleet, i: int, channels: tuple[str, ...], samples: dict, rows: list[tuple]
) -> list[tuple]:
    """Rows with the sampled energy registers' values at each capture put in their channels' places."""
    true_t = np.asarray(fleet.rtc.true_time(np.array([row[0] for row in rows], dtype=np.float64)))
    sampled = fleet.analysis.values(i, list(samples.values()), true_t).tolist()
    out = []
    for row, values in zip(rows, sampled, strict=True):
        averaged, taken = iter(row[2]), dict(zip(samples, values, strict=True))
        out.append(
            (row[0], row[1], tuple(taken[c] if c in taken else next(averaged) for c in channels))
        )
    return out


def _capture_instants(fleet: Fleet, settings: AnalysisSettings) -> np.ndarray:
    """The capture instants (meter time) of the entries the log still holds, oldest first."""
    period = settings.minutes * 60.0
    offset = fleet.config.utc_offset_minutes * 60.0
    now = float(fleet.rtc.meter_time(fleet.t))
    first = next_capture(max(settings.since, settings.cleared), settings.minutes, offset)
    last = math.floor((now + offset) / period)
    lo = max(round((first + offset) / period), last - settings.depth + 1)
    return np.arange(lo, last + 1, dtype=np.float64) * period - offset


def _period_means(
    fleet: Fleet, i: int, settings: AnalysisSettings, ends: np.ndarray
) -> tuple[Measurement, np.ndarray]:
    """Per capture instant: what the entry reads (the period's mean or the meter's last measurement)
    and the CT ratio in force then."""
    rtc, period = fleet.rtc, settings.minutes * 60.0
    starts = np.maximum(ends - period, settings.since)
    true_ends, begin = rtc.true_time(ends), float(rtc.true_time(starts[0]))
    splits = [t for t, _ in fleet.temperatures.of_meter(i)] + voltage_edges(fleet, i)
    grid = np.arange(math.floor(begin / RESOLUTION) + 1, math.ceil(true_ends[-1] / RESOLUTION))
    edges = np.unique(np.concatenate([grid * RESOLUTION, [begin], true_ends, splits]))
    edges = edges[(edges >= begin) & (edges <= true_ends[-1])]
    lows, highs = edges[:-1], edges[1:]
    entry = np.searchsorted(true_ends, lows, side="right")
    meter = np.array([i])
    weights = fleet.powered_seconds(meter, lows, highs)[0]
    powered = weights > 0
    idx = np.floor(lows / RESOLUTION).astype(np.int64)
    meas = fleet.measurement(meter, idx, powered[None, :], lows)
    parts = [getattr(meas, name).reshape(lows.size, -1) for name in QUANTITIES]
    stacked = np.concatenate(parts, axis=1)
    for j in voltage_touched(fleet, i, idx):  # measured over the piece alone, not its interval
        piece = fleet.measurement(
            meter,
            idx[j : j + 1],
            powered[None, j : j + 1],
            lows[j : j + 1],
            (lows[j : j + 1], highs[j : j + 1]),
        )
        stacked[j] = np.concatenate([getattr(piece, name).reshape(-1) for name in QUANTITIES])
    sums = np.zeros((ends.size, stacked.shape[1]))
    np.add.at(sums, entry, stacked * weights[:, None])
    seconds = np.bincount(entry, weights, minlength=ends.size)
    one = np.bincount(entry, powered, minlength=ends.size) == 1
    alone = np.zeros(ends.size, dtype=np.int64)
    alone[entry[powered]] = np.flatnonzero(powered)  # the powered piece of a period with one
    for r, (s, o) in enumerate(zip(seconds.tolist(), one.tolist(), strict=True)):
        if not averages_apply(s, o):  # what the meter shows at the end: that piece, or no supply
            shown = stacked[alone[r]] if o else _shown(fleet, i, float(true_ends[r]))
            sums[r], seconds[r] = shown, 1.0
    columns = np.cumsum([0] + [part.shape[1] for part in parts]).tolist()
    split = {
        name: sums[:, a:b] for name, a, b in zip(QUANTITIES, columns[:-1], columns[1:], strict=True)
    }
    return mean_measurement(split, seconds[:, None]), _ratios(fleet, i, true_ends)


def voltage_edges(fleet: Fleet, i: int) -> list[float]:
    """The instants meter i's voltage events begin and end: a single meter's steps split there."""
    return [t for t0, t1, _ in fleet.quality.voltage_events.of(i) for t in (t0, t1)]


def voltage_touched(fleet: Fleet, i: int, idx: np.ndarray) -> list[int]:
    """Pieces (by their interval idx) whose interval a voltage event of meter i overlaps.

    The fleet blends an event over a whole interval; a piece of such an interval is measured over
    itself (``Fleet.measurement``'s window) instead.
    """
    out: list[int] = []
    for t0, t1, _ in fleet.quality.voltage_events.of(i):
        hit = (idx * RESOLUTION < t1) & ((idx + 1) * RESOLUTION > t0)
        out += np.flatnonzero(hit).tolist()
    return sorted(set(out))


def _shown(fleet: Fleet, i: int, t: float) -> np.ndarray:
    """Meter i's instantaneous measurement at true time t as one stacked row."""
    shown = fleet.instant(i, t)
    return np.concatenate([getattr(shown, name).reshape(-1) for name in QUANTITIES])


def _ratios(fleet: Fleet, i: int, true_t: np.ndarray, inclusive: bool = False) -> np.ndarray:
    """Meter i's CT ratio in force at each instant (a change at a capture instant comes after it)."""
    changes = [(t, primary) for t, j, primary in fleet.ct_changes if j == i]
    primary = np.full(true_t.shape, float(fleet.start_ct[i]))
    if changes:
        times = np.array([t for t, _ in changes])
        values = np.array([p for _, p in changes], dtype=np.float64)
        at = np.searchsorted(times, true_t, side="right" if inclusive else "left") - 1
        primary = np.where(at >= 0, values[np.maximum(at, 0)], primary)
    return primary / float(fleet.ct_secondary)
