"""Where trace records go: a JSON Lines file, a ring of recent records for the web page, counters."""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO

RING = 5000


class TraceSink:
    """Appends one JSON object per line to ``path`` (if any) and keeps the last records in memory."""

    def __init__(self, path: Path | None = None, ring: int = RING) -> None:
        self.path = path
        self.recent: deque[dict] = deque(maxlen=ring)
        self.sequence = 0
        self._file: IO[str] | None = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115

    def write(self, record: dict) -> None:
        """Number the record, keep it and append it to the file as one line."""
        self.sequence += 1
        record["seq"] = self.sequence
        self.recent.append(record)
        if self._file is not None:
            self._file.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")

    def select(
        self,
        after: int = 0,
        connection: str | None = None,
        listener: str | None = None,
        service: str | None = None,
    ) -> Iterator[dict]:
        """The kept records after sequence ``after`` that match every given filter."""
        for record in self.recent:
            if record["seq"] <= after:
                continue
            if connection and str(record.get("connection")) != connection:
                continue
            if listener and record.get("listener") != listener:
                continue
            if service and service not in services_of(record):
                continue
            yield record

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


def services_of(record: dict) -> list[str]:
    """Every service name in a record (the APDU's and a deciphered one's), for filtering."""
    names = []
    apdu = record.get("decoded", {}).get("apdu")
    while isinstance(apdu, dict):
        if "service" in apdu:
            names.append(apdu["service"])
        apdu = apdu.get("deciphered")
    return names


class FaultCounters(Counter):
    """How many faults of each kind were injected on each listener: (kind, listener) -> count."""
