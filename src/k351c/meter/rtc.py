"""The meter's real-time clock against true time: drift while it runs, time lost, corrections.

The meter's time (``Meter.t``) is what its RTC says: every step boundary, log entry and time stamp
is in it. The load and the injected Clock are true time. ``offset`` is meter time minus true time;
it grows by ``drift_ppm`` x 1e-6 per second while the RTC runs (on mains and on its backup alike:
one crystal), jumps back when the RTC stopped (backup exhausted) and is cleared by a clock set.
With drift 0 and no offset, meter time is true time and nothing here changes a single bit.
"""

from __future__ import annotations

from typing import overload

import numpy as np

from k351c.meter.loads import LoadSource, Segments


class Rtc:
    """Maps meter time to true time; keeps the offset between them."""

    def __init__(self, drift_ppm: float = 0.0) -> None:
        self.set_drift(drift_ppm)
        self.offset = 0.0
        self.pending_jump = 0.0

    def set_drift(self, drift_ppm: float) -> None:
        """Take the rate error (ppm) of the configuration in force."""
        self.drift = float(drift_ppm) * 1e-6
        self.rate = 1.0 + self.drift

    @property
    def exact(self) -> bool:
        """Whether meter time is true time (no drift, no offset)."""
        return self.drift == 0.0 and self.offset == 0.0

    @overload
    def true_time(self, t_meter: float) -> float: ...
    @overload
    def true_time(self, t_meter: np.ndarray) -> np.ndarray: ...
    def true_time(self, t_meter: float | np.ndarray) -> float | np.ndarray:
        """The true instant at which the RTC shows ``t_meter`` (now or later, while it runs)."""
        return t_meter - self.offset

    def meter_time(self, t_true: float, t_meter_now: float) -> float:
        """What the RTC will show at true ``t_true``, if it runs from ``t_meter_now`` until then."""
        if self.drift == 0.0:
            return t_true + self.offset
        return t_meter_now + (t_true - self.true_time(t_meter_now)) * self.rate

    def segments(self, load: LoadSource, t0: float, t1: float) -> Segments:
        """The load over meter time [t0, t1]: its times in meter time, its durations true."""
        if self.exact:
            return load.segments(t0, t1)
        r0 = t0 - self.offset
        r1 = t1 - self.offset_after(t1 - t0)
        true = load.segments(r0, r1)
        times = t0 + (true.times - r0) * self.rate
        times[-1] = t1
        return Segments(times, true.inputs, true.durations)

    def offset_after(self, seconds: float) -> float:
        """The offset once the RTC has run ``seconds`` more of its own time."""
        return self.offset + seconds * self.drift / self.rate if self.drift else self.offset

    def ran(self, t0_meter: float, t1_meter: float) -> None:
        """The RTC ran from ``t0_meter`` to ``t1_meter``: take the offset it built up meanwhile."""
        if self.drift:
            self.offset = self.offset_after(t1_meter - t0_meter)

    def lose(self, seconds: float) -> None:
        """The RTC stood still for ``seconds`` (backup exhausted): applied after the current step."""
        self.pending_jump -= float(seconds)

    def set(self, t_meter: float, t_true: float) -> None:
        """A clock set: the RTC now shows ``t_meter`` at true ``t_true``."""
        self.offset = float(t_meter) - float(t_true)

    def state(self) -> float:
        """The offset to persist."""
        return self.offset

    def restore(self, offset: float) -> None:
        """Load an offset written by state()."""
        self.offset = float(offset)
