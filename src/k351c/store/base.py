"""The Store protocol: key/value state plus append-only logs, written in one transaction per commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One record of an append-only log (load profile entry, event, billing snapshot...)."""

    seq: int
    t: float
    data: Any


class Store(Protocol):
    """What the meter needs of permanent memory."""

    def get(self, key: str) -> Any | None:
        """The value last committed under ``key``, or None."""
        ...

    def commit(
        self,
        puts: Mapping[str, Any] = {},
        appends: Iterable[tuple[str, float, Any]] = (),
        trims: Mapping[str, int] = {},
    ) -> None:
        """Write values, append log records and trim logs to their depth, all in one transaction."""
        ...

    def entries(
        self, log: str, since: float | None = None, until: float | None = None, limit: int | None = None
    ) -> list[LogEntry]:
        """Records of a log in order, optionally within [since, until] by time."""
        ...

    def close(self) -> None:
        """Release the backend."""
        ...
