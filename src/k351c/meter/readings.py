"""What a read by OBIS returns: a Reading for a value, a Profile for a logger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Reading:
    """A physical value as the meter shows it: scaler applied, DLMS unit name, capture time."""

    obis: str
    value: Any
    unit: str = ""
    scaler: int = 0
    captured: datetime | None = None
    status: Any = None

    def __float__(self) -> float:
        return float(self.value)


@dataclass(frozen=True, slots=True)
class Profile:
    """A logger's buffer: capture objects' OBIS codes and one tuple per entry."""

    obis: str
    columns: list[str]
    rows: list[tuple] = field(default_factory=list)
    capture_period: int = 0
