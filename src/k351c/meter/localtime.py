"""Local time of the meter: the GMT offset of configuration 3 LL and the summer-time rule PPP."""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import numpy as np


@functools.lru_cache(maxsize=256)
def _last_sunday_0100_utc(year: int, month: int) -> float:
    last_day = calendar.monthrange(year, month)[1]
    day = datetime(year, month, last_day, 1, 0, tzinfo=UTC)
    day -= timedelta(days=(day.weekday() - 6) % 7)
    return day.timestamp()


@dataclass(frozen=True, slots=True)
class LocalTime:
    """Standard offset plus the EU rule (last Sunday of March/October at 01:00 UTC) or none."""

    utc_offset_minutes: int = 60
    dst_rule: str = "eu"

    def dst_window(self, year: int) -> tuple[float, float] | None:
        """Start and end of summer time in a year as POSIX seconds, or None without a rule."""
        if self.dst_rule != "eu":
            return None
        return _last_sunday_0100_utc(year, 3), _last_sunday_0100_utc(year, 10)

    def is_dst(self, t):  # noqa: ANN001, ANN201
        """Whether summer time is in force at POSIX time t (a float, or an array of them: a fleet's instants)."""
        if not isinstance(t, np.ndarray):
            return self._in_summer(t, datetime.fromtimestamp(t, UTC).year)
        years = t.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
        out = np.zeros(t.shape, dtype=bool)
        for year in np.unique(years).tolist():
            hit = years == year
            out[hit] = self._in_summer(t[hit], year)
        return out

    def _in_summer(self, t, year: int):  # noqa: ANN001, ANN202
        """The rule: t lies in the year's summer-time window (none without a rule)."""
        window = self.dst_window(year)
        if window is None:
            return np.zeros(t.shape, dtype=bool) if isinstance(t, np.ndarray) else False
        return (window[0] <= t) & (t < window[1])

    def offset_minutes(self, t: float) -> int:
        """Local offset from UTC at t, in minutes (summer time adds 60)."""
        return self.utc_offset_minutes + (60 if self.is_dst(t) else 0)

    def to_local(self, t: float) -> datetime:
        """The local wall-clock time at t, with its fixed offset as tzinfo."""
        offset = timezone(timedelta(minutes=self.offset_minutes(t)))
        return datetime.fromtimestamp(t, offset)

    def from_local(self, local: datetime) -> float:
        """POSIX seconds of a naive local wall time (the earlier instant where ambiguous)."""
        naive = local.replace(tzinfo=None)
        guess = naive.replace(tzinfo=UTC).timestamp() - self.utc_offset_minutes * 60
        for candidate in (guess - 3600, guess):
            if self.to_local(candidate).replace(tzinfo=None) == naive:
                return candidate
        return guess - (3600 if self.is_dst(guess) else 0)

    def next_change(self, t: float) -> float | None:
        """The next summer-time change strictly after t, or None without a rule."""
        year = datetime.fromtimestamp(t, UTC).year
        for y in (year, year + 1):
            window = self.dst_window(y)
            if window is None:
                return None
            for edge in window:
                if edge > t:
                    return edge
        return None
