"""An in-memory Store for tests, notebooks and fleets that recompute their history."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from k351c.store.base import LogEntry

_SCALARS = (int, float, str, bool, bytes, type(None))


def _copy(value: Any) -> Any:
    """A deep copy of JSON-like trees without copy.deepcopy's memo (scalars and tuples of them are shared)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        return [x if type(x) in _SCALARS else _copy(x) for x in value]
    if kind is dict:
        return {k: v if type(v) in _SCALARS else _copy(v) for k, v in value.items()}
    if kind is tuple and all(type(x) in _SCALARS for x in value):
        return value
    return copy.deepcopy(value)


class MemoryStore:
    """Keeps everything in dicts and lists; values are deep-copied so callers cannot alias them."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._logs: dict[str, list[LogEntry]] = {}
        self._seq: dict[str, int] = {}

    def get(self, key: str) -> Any | None:
        """The value last committed under ``key``, or None."""
        return copy.deepcopy(self._values.get(key))

    def commit(
        self,
        puts: Mapping[str, Any] = {},
        appends: Iterable[tuple[str, float, Any]] = (),
        trims: Mapping[str, int] = {},
    ) -> None:
        """Apply puts, appends and trims."""
        for key, value in puts.items():
            self._values[key] = _copy(value)
        for log, t, data in appends:
            seq = self._seq.get(log, 0) + 1
            self._seq[log] = seq
            self._logs.setdefault(log, []).append(LogEntry(seq, float(t), _copy(data)))
        for log, keep in trims.items():
            entries = self._logs.get(log, [])
            if len(entries) > keep:
                del entries[: len(entries) - keep]

    def entries(
        self,
        log: str,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[LogEntry]:
        """Records of a log in order, optionally within [since, until]."""
        out = [
            e
            for e in self._logs.get(log, [])
            if (since is None or e.t >= since) and (until is None or e.t <= until)
        ]
        return out[:limit] if limit is not None else out

    def close(self) -> None:
        """Nothing to release."""
