"""Power failures (all phases lost) and the real-time clock on its backup: counters, log, clock status.

The RTC runs on its supercap for 7 days, then on its battery (both X6 options of the data sheet have
one; the battery lasts > 10 years). Its actual drift is the configuration's [rtc] drift_ppm, applied to
the meter's time by k351c.meter.rtc; the clock status is what the meter can know: "doubtful" once its
backup may have drifted a second at the data sheet's 5 ppm, "invalid" once the RTC stood still (no
battery left and the supercap empty), "replace battery" once the battery is flat or past its life.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from k351c.meter.eventlog import CLOCK, EventCode, RingLog, log_methods
from k351c.meter.function import Event, MeterFunction, Step
from k351c.meter.objects import ProfileData, ValueDef
from k351c.obis import Obis
from k351c.units import Unit

if TYPE_CHECKING:
    from k351c.meter.core import Meter

# COSEM clock status bits (IEC 62056-6-2, class 8 attribute "status").
CLOCK_INVALID = 0x01
CLOCK_DOUBTFUL = 0x02
CLOCK_DST_ACTIVE = 0x80

SUPERCAP_SECONDS = 7 * 86400  # data sheet: supercap operating time 7 days fully charged
LONG_FAILURE_SECONDS = 180  # EN 50160: a short interruption lasts up to 3 minutes
DOUBTFUL_AFTER_S = 1.0  # clock flagged doubtful once backup drift may exceed a second
SPEC_PPM = 5.0  # data sheet: RTC accuracy typically 5 ppm at 23 degC (the meter's own error bound)
BATTERY_LIFE_S = 10 * 365.25 * 86400  # data sheet: battery life > 10 years at 23 degC
LOG_DEPTH = 100
DURATION = "0-0:96.7.19.255"
HARDWARE_WITH_BATTERY = frozenset({"2", "5"})  # X6: both options carry supercap and battery


def logged_seconds(duration):  # noqa: ANN001, ANN201
    """A failure's duration as the log and 0-0:96.7.19.255 keep it: whole seconds (scalar or array)."""
    return np.rint(duration).astype(np.int64) if isinstance(duration, np.ndarray) else int(round(duration))


def is_long(duration, long_after_s: float = LONG_FAILURE_SECONDS):  # noqa: ANN001, ANN201
    """Whether a failure counts as long (EN 50160: over 3 minutes), scalar or array."""
    return duration >= long_after_s


def backup_error_s(seconds, ppm: float = SPEC_PPM):  # noqa: ANN001, ANN201
    """The RTC's possible error (s) after ``seconds`` on its backup, at ``ppm`` (float or array)."""
    return seconds * ppm * 1e-6


def battery_flat(battery: bool, installed: float, t: float) -> bool:
    """Whether an RTC battery (``battery``: one is fitted) is missing/flat or past its life at meter time t."""
    return not battery or t - installed >= BATTERY_LIFE_S


def is_doubtful(error_s):  # noqa: ANN001, ANN201
    """Whether an RTC with this possible error (s) is flagged doubtful in the clock status."""
    return abs(error_s) >= DOUBTFUL_AFTER_S


def on_backup_s(duration, flat):  # noqa: ANN001, ANN201
    """Seconds of a failure the RTC keeps running on its backup: all of it, or the supercap's 7 days
    when the battery is flat (the rest the RTC stands still); scalar or array."""
    if isinstance(duration, np.ndarray) or isinstance(flat, np.ndarray):
        return np.where(flat, np.minimum(duration, SUPERCAP_SECONDS), duration)
    return min(duration, SUPERCAP_SECONDS) if flat else duration


class PowerFail(MeterFunction):
    """Decides when the meter is down, counts and logs the failures and keeps the RTC status."""

    name = "powerfail"

    def __init__(
        self,
        battery: bool | None = None,
        long_after_s: float = LONG_FAILURE_SECONDS,
        depth: int = LOG_DEPTH,
        spec_ppm: float = SPEC_PPM,
    ) -> None:
        self.spec_ppm = float(spec_ppm)
        self.battery = battery
        self.installed: float | None = None
        self.battery_flagged = False
        self._losing = False
        self.long_after_s = float(long_after_s)
        self.log = RingLog("powerfail", depth)
        self.down_since: float | None = None
        self.short_count = 0
        self.long_count = 0
        self.long_duration_s = 0.0
        self.last_duration_s = 0
        self.rtc_error_s = 0.0
        self.rtc_bits = 0
        self._dst_window: tuple[float, float, float, float] | None = None

    # ------------------------------------------------------------------ setup
    def attach(self, meter: Meter) -> None:
        """Add counters and the power-failure log; publish meter.powered and meter.clock_status."""
        super().attach(meter)
        if self.battery is None:
            self.battery = meter.config.type_number.hardware in HARDWARE_WITH_BATTERY
        if self.installed is None:
            self.installed = meter.t
        self.log.load(meter)
        add = meter.objects.add
        add(
            ValueDef(
                Obis(0, 0, 96, 7, 0),
                1,
                lambda: self.short_count + self.long_count,
                description="number of power failures in all three phases",
            )
        )
        add(
            ValueDef(
                Obis(0, 0, 96, 7, 5),
                1,
                lambda: self.long_count,
                description="number of long power failures in all three phases",
            )
        )
        add(
            ValueDef(
                Obis(0, 0, 96, 7, 128),
                1,
                lambda: self.short_count,
                description="number of short power failures in all three phases (manufacturer)",
            )
        )
        add(
            ValueDef(
                Obis.parse(DURATION),
                3,
                lambda: self.last_duration_s,
                Unit.SECOND,
                description="duration of the last power failure",
            )
        )
        add(
            ValueDef(
                Obis(0, 0, 96, 7, 15),
                3,
                lambda: int(self.long_duration_s),
                Unit.SECOND,
                description="total duration of long power failures in all three phases",
            )
        )
        add(
            ValueDef(
                Obis(1, 0, 99, 97, 0),
                7,
                self._profile,
                description=f"power failure event log (start, duration), depth {self.log.depth}",
                capacity=lambda: self.log.depth,
                **log_methods(meter, self.log, lambda: [CLOCK, DURATION]),
            )
        )
        self._publish(meter.t)

    def _profile(self) -> ProfileData:
        return ProfileData([CLOCK, DURATION], self.log.local_rows(self.meter))

    # ------------------------------------------------------------------- step
    @property
    def down(self) -> bool:
        """Whether all phases are lost now (no registration, backup display only)."""
        return self.down_since is not None

    def on_step(self, step: Step) -> None:
        """Find the instants where supply is lost and comes back; update the clock status."""
        powered = step.measurement.powered
        if self.battery_flagged != self.battery_flat(step.t1):
            self._battery_changed(step.t1)
        if self.down_since is None and (step.powered if powered.shape == (1,) else powered.all()):
            self._publish(step.t1)
            return
        times = step.segments.times
        for i, on in enumerate(np.asarray(powered, dtype=bool)):
            if self.down_since is None and not on:
                self._power_down(float(times[i]))
            elif self.down_since is not None and on:
                self._power_up(float(times[i]))
        self._publish(step.t1)

    def battery_flat(self, t: float) -> bool:
        """Whether the battery is missing/flat or past its data-sheet life at meter time t."""
        installed = self.installed if self.installed is not None else t
        return battery_flat(bool(self.battery), installed, t)

    def _battery_changed(self, t: float) -> None:
        self.battery_flagged = self.battery_flat(t)
        self.meter.replace_battery = self.battery_flagged
        if self.battery_flagged:
            self.meter.emit(Event(t, "replace_battery", EventCode.REPLACE_BATTERY))

    def _power_down(self, t: float) -> None:
        self.down_since = t
        self.meter.emit(Event(t, "power_down", EventCode.POWER_DOWN))

    def _power_up(self, t: float) -> None:
        start = self.down_since
        assert start is not None
        self.down_since = None
        duration = t - start
        self.last_duration_s = logged_seconds(duration)
        if is_long(duration, self.long_after_s):
            self.long_count += 1
            self.long_duration_s += duration
        else:
            self.short_count += 1
        self.log.append(self.meter, start, (start, self.last_duration_s))
        self._run_rtc_on_backup(duration, t)
        self.meter.emit(
            Event(
                t,
                "power_up",
                EventCode.POWER_UP,
                data={"start": start, "duration": duration, "long": is_long(duration, self.long_after_s)},
            )
        )
        if self.rtc_bits & CLOCK_INVALID:
            self.meter.emit(Event(t, "clock_invalid", EventCode.CLOCK_INVALID))

    def _run_rtc_on_backup(self, duration: float, t: float) -> None:
        """The backup's possible error (at the spec's ppm); the RTC stops when nothing backs it up.

        The supercap carries the RTC for 7 days; a battery takes over after that unless it is flat
        (or past its life). Time the RTC stood still is lost: the meter's time moves back by it.
        """
        on_backup = on_backup_s(duration, self.battery_flat(t))
        self.rtc_error_s += backup_error_s(on_backup, self.spec_ppm)
        if duration > on_backup:
            lost = duration - on_backup
            self.rtc_error_s += lost
            self.rtc_bits |= CLOCK_INVALID
            self._losing = True
            self.meter.rtc.lose(lost)
        if is_doubtful(self.rtc_error_s):
            self.rtc_bits |= CLOCK_DOUBTFUL

    def on_time_set(self, old: float, new: float) -> None:
        """Setting the clock makes it valid again and cancels the error; lost RTC time does not."""
        if self._losing:
            self._losing = False
        else:
            self.rtc_bits = 0
            self.rtc_error_s = 0.0
        self._publish(new)

    # ----------------------------------------------------------- clock status
    def _dst(self, t: float) -> bool:
        """Summer time at t, from a per-year cache (is_dst builds datetimes; this runs every step)."""
        window = self._dst_window
        if window is None or not window[0] <= t < window[1]:
            window = self._dst_window = self._window_for(t)
        return window[2] <= t < window[3]

    def _window_for(self, t: float) -> tuple[float, float, float, float]:
        year = datetime.fromtimestamp(t, UTC).year
        edges = self.meter.localtime.dst_window(year) or (0.0, 0.0)
        first = datetime(year, 1, 1, tzinfo=UTC).timestamp()
        last = datetime(year + 1, 1, 1, tzinfo=UTC).timestamp()
        return (first, last, edges[0], edges[1])

    def _publish(self, t: float) -> None:
        meter = self.meter
        meter.clock_status = self.rtc_bits | (CLOCK_DST_ACTIVE if self._dst(t) else 0)
        meter.powered = self.down_since is None

    # ------------------------------------------------------------ persistence
    def state(self) -> dict:
        """Counters, the open failure and the RTC status."""
        return {
            "down_since": self.down_since,
            "short": self.short_count,
            "long": self.long_count,
            "long_s": self.long_duration_s,
            "last_s": self.last_duration_s,
            "rtc_error_s": self.rtc_error_s,
            "rtc_bits": self.rtc_bits,
            "installed": self.installed,
        }

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.down_since = state["down_since"]
        self.short_count = int(state["short"])
        self.long_count = int(state["long"])
        self.long_duration_s = float(state["long_s"])
        self.last_duration_s = int(state["last_s"])
        self.rtc_error_s = float(state["rtc_error_s"])
        self.rtc_bits = int(state["rtc_bits"])
        self.installed = state.get("installed", self.installed)
        self.battery_flagged = self.battery_flat(self.meter.t)
        self.meter.replace_battery = self.battery_flagged
        self._publish(self.meter.t)
