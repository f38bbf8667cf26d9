"""The one source of time: every component takes a Clock; nothing else reads wall time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


def parse_instant(value: str | datetime | float | int) -> datetime:
    """Turn an ISO string, datetime or epoch seconds into an aware UTC datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), UTC)
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class Clock(Protocol):
    """What every component needs of time."""

    rate: float  # simulated seconds per real second (1 for the host's clock)

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def timestamp(self) -> float:
        """The current instant as POSIX seconds."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never jump back (for timeouts)."""
        ...


class SystemClock:
    """Wall-clock time of the host."""

    rate = 1.0

    def now(self) -> datetime:
        """The host's current instant (UTC)."""
        return datetime.now(UTC)

    def timestamp(self) -> float:
        """The host's current POSIX time."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never jump (for timeouts)."""
        return time.monotonic()


class SimClock:
    """Simulated time: starts at ``epoch`` and runs ``rate`` times real time (0 = frozen)."""

    def __init__(self, epoch: str | datetime | float = "2026-01-01T00:00:00Z", rate: float = 1.0) -> None:
        if rate < 0:
            raise ValueError(f"rate must be >= 0, got {rate}")
        self.rate = float(rate)
        self._base = parse_instant(epoch).timestamp()
        self._real_base = time.monotonic()

    def timestamp(self) -> float:
        """Simulated POSIX seconds now."""
        return self._base + (time.monotonic() - self._real_base) * self.rate

    def now(self) -> datetime:
        """Simulated instant now (UTC)."""
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def monotonic(self) -> float:
        """Real seconds from an arbitrary origin (timeouts stay real even when time is simulated)."""
        return time.monotonic()

    def set(self, instant: str | datetime | float) -> None:
        """Put the simulated clock at ``instant``; it keeps running at ``rate`` from there."""
        self._base = parse_instant(instant).timestamp()
        self._real_base = time.monotonic()

    def jump(self, delta: float | timedelta) -> None:
        """Move the simulated clock by ``delta`` (seconds or timedelta, may be negative)."""
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        self.set(self.timestamp() + seconds)
