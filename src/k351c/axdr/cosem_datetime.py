"""COSEM date, time and date-time (IEC 62056-6-2 4.1.6.1, Blue Book): octets and aware datetimes.

date-time is 12 octets: year (2, big-endian), month, day of month, day of week (1 = Monday),
hour, minute, second, hundredths, deviation (int16), clock status.  date is the first 5 octets,
time the 4 octets hour..hundredths.  "Not specified" is 0xFFFF for the year, 0xFF for the other
octets and 0x8000 for the deviation.  Month 0xFD/0xFE mean the end/begin of daylight saving time,
day of month 0xFD/0xFE the second-last/last day of the month.

Deviation convention: the Blue Book defines the deviation as the minutes of *local time to UTC*,
i.e. UTC = local time + deviation.  Central European Time (UTC+01:00) is therefore -60, and
US Eastern (UTC-05:00) is +300.  gurux-dlms (default, ``useUtc2NormalTime`` off) and dlms-cosem
21.3.2 both negate the Python UTC offset in the same way; some companion standards use the
opposite sign, which we do not follow.  Note that dlms-cosem 21.3.2 decodes a deviation of 0 as
"no time zone" (naive datetime); we decode it as UTC.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import IntFlag

from k351c.errors import LocalProtocolError, RemoteProtocolError

NOT_SPECIFIED = 0xFF
YEAR_NOT_SPECIFIED = 0xFFFF
DEVIATION_NOT_SPECIFIED = -0x8000

_DATE = struct.Struct(">HBBB")
_DATETIME = struct.Struct(">HBBBBBBBhB")


class InvalidCosemTime(RemoteProtocolError, ValueError):
    """A COSEM date/time cannot become a Python datetime (unspecified or out-of-range field)."""


class ClockStatus(IntFlag):
    """Clock status octet of a COSEM date-time (Blue Book 4.1.6.1)."""

    OK = 0x00
    INVALID_VALUE = 0x01
    DOUBTFUL_VALUE = 0x02
    DIFFERENT_CLOCK_BASE = 0x04
    INVALID_CLOCK_STATUS = 0x08
    DAYLIGHT_SAVING_ACTIVE = 0x80
    NOT_SPECIFIED = 0xFF


def _byte(value: int, name: str) -> int:
    if not 0 <= value <= 0xFF:
        raise LocalProtocolError(f"COSEM {name} {value} is not an octet")
    return value


@dataclass(frozen=True, slots=True)
class CosemDate:
    """A 5-octet COSEM date; 0xFF(FF) fields mean "not specified"."""

    year: int = YEAR_NOT_SPECIFIED
    month: int = NOT_SPECIFIED
    day: int = NOT_SPECIFIED
    weekday: int = NOT_SPECIFIED

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> CosemDate:
        """Decode exactly 5 octets."""
        if len(data) != 5:
            raise RemoteProtocolError(f"COSEM date needs 5 octets, got {len(data)}")
        return cls(*_DATE.unpack(data))

    def to_bytes(self) -> bytes:
        """The 5 octets on the wire."""
        try:
            return _DATE.pack(self.year, self.month, self.day, self.weekday)
        except struct.error as exc:
            raise LocalProtocolError(f"COSEM date {self} has a field out of range") from exc

    @classmethod
    def from_date(cls, value: date) -> CosemDate:
        """A fully specified date, with the ISO day of week (1 = Monday)."""
        return cls(value.year, value.month, value.day, value.isoweekday())

    def to_date(self) -> date:
        """The Python date; raises InvalidCosemTime when a field is wildcarded or invalid."""
        try:
            return date(self.year, self.month, self.day)
        except ValueError as exc:
            raise InvalidCosemTime(f"COSEM date {self} is not a calendar date") from exc


@dataclass(frozen=True, slots=True)
class CosemTime:
    """A 4-octet COSEM time; 0xFF fields mean "not specified"."""

    hour: int = NOT_SPECIFIED
    minute: int = NOT_SPECIFIED
    second: int = NOT_SPECIFIED
    hundredths: int = NOT_SPECIFIED

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> CosemTime:
        """Decode exactly 4 octets."""
        if len(data) != 4:
            raise RemoteProtocolError(f"COSEM time needs 4 octets, got {len(data)}")
        return cls(data[0], data[1], data[2], data[3])

    def to_bytes(self) -> bytes:
        """The 4 octets on the wire."""
        return bytes(
            (
                _byte(self.hour, "hour"),
                _byte(self.minute, "minute"),
                _byte(self.second, "second"),
                _byte(self.hundredths, "hundredths"),
            )
        )

    @classmethod
    def from_time(cls, value: time) -> CosemTime:
        """A fully specified time (microseconds truncated to hundredths)."""
        return cls(value.hour, value.minute, value.second, value.microsecond // 10000)

    def to_time(self) -> time:
        """The Python time (unspecified seconds and hundredths count as 0); raises InvalidCosemTime."""
        hundredths = 0 if self.hundredths == NOT_SPECIFIED else self.hundredths
        second = 0 if self.second == NOT_SPECIFIED else self.second
        try:
            return time(self.hour, self.minute, second, hundredths * 10000)
        except ValueError as exc:
            raise InvalidCosemTime(f"COSEM time {self} is not a time of day") from exc


@dataclass(frozen=True, slots=True)
class CosemDateTime:
    """A 12-octet COSEM date-time: local date and time, deviation (minutes local to UTC), status."""

    year: int = YEAR_NOT_SPECIFIED
    month: int = NOT_SPECIFIED
    day: int = NOT_SPECIFIED
    weekday: int = NOT_SPECIFIED
    hour: int = NOT_SPECIFIED
    minute: int = NOT_SPECIFIED
    second: int = NOT_SPECIFIED
    hundredths: int = NOT_SPECIFIED
    deviation: int = DEVIATION_NOT_SPECIFIED
    status: int = ClockStatus.OK

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> CosemDateTime:
        """Decode exactly 12 octets."""
        if len(data) != 12:
            raise RemoteProtocolError(f"COSEM date-time needs 12 octets, got {len(data)}")
        return cls(*_DATETIME.unpack(data))

    def to_bytes(self) -> bytes:
        """The 12 octets on the wire."""
        try:
            return _DATETIME.pack(
                self.year,
                self.month,
                self.day,
                self.weekday,
                self.hour,
                self.minute,
                self.second,
                self.hundredths,
                self.deviation,
                self.status,
            )
        except struct.error as exc:
            raise LocalProtocolError(f"COSEM date-time {self} has a field out of range") from exc

    @property
    def date(self) -> CosemDate:
        """The date part."""
        return CosemDate(self.year, self.month, self.day, self.weekday)

    @property
    def time(self) -> CosemTime:
        """The time part."""
        return CosemTime(self.hour, self.minute, self.second, self.hundredths)

    @classmethod
    def from_datetime(
        cls, value: datetime, status: int = ClockStatus.OK, *, with_weekday: bool = True
    ) -> CosemDateTime:
        """Local fields and deviation of an aware datetime (naive: deviation not specified)."""
        offset = value.utcoffset()
        deviation = (
            DEVIATION_NOT_SPECIFIED if offset is None else -int(offset.total_seconds() // 60)
        )
        return cls(
            value.year,
            value.month,
            value.day,
            value.isoweekday() if with_weekday else NOT_SPECIFIED,
            value.hour,
            value.minute,
            value.second,
            value.microsecond // 10000,
            deviation,
            int(status),
        )

    def to_datetime(self, default_tz: timezone | None = None) -> datetime:
        """The aware datetime (deviation not specified: default_tz, else naive); InvalidCosemTime."""
        local = datetime.combine(self.date.to_date(), self.time.to_time())
        if self.deviation == DEVIATION_NOT_SPECIFIED:
            return local if default_tz is None else local.replace(tzinfo=default_tz)
        if not -840 <= self.deviation <= 840:
            raise InvalidCosemTime(f"COSEM deviation {self.deviation} out of range")
        return local.replace(tzinfo=timezone(timedelta(minutes=-self.deviation)))

    @property
    def clock_status(self) -> ClockStatus:
        """The status octet as flags."""
        return ClockStatus(self.status)
