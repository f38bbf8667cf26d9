"""A date-time whose deviation is "not specified" (0x8000) is the meter's local time (IEC 62056-6-2).

gurux-dlms sends the clock SET and the range bounds with its DEVITATION skip (deviation 0x8000;
weekday, seconds, hundredths and status unspecified too). The meter is on CET with the EU summer-time rule.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from gurux_client import GuruxSession
from gurux_dlms import GXDateTime, GXDLMSClient
from gurux_dlms.enums import DataType, DateTimeSkips
from gurux_dlms.objects import GXDLMSClock, GXDLMSProfileGeneric

WILDCARDS = (
    DateTimeSkips.DEVITATION
    | DateTimeSkips.DAY_OF_WEEK
    | DateTimeSkips.SECOND
    | DateTimeSkips.MILLISECOND
    | DateTimeSkips.STATUS
)


def wall(*fields: int) -> GXDateTime:
    """A local wall time as gurux sends it with the deviation (and other fields) unspecified."""
    moment = GXDateTime(datetime(*fields))
    moment.skip |= WILDCARDS
    return moment


def reading_session(running_meter) -> GuruxSession:
    s = GuruxSession(running_meter.runtime.settings.dlms_port, 32, "12345678")
    s.connect()
    return s


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ((2026, 12, 1, 12, 0, 0), "2026-12-01T11:00:00"),
        ((2026, 7, 1, 12, 0, 0), "2026-07-01T10:00:00"),
    ],
    ids=["winter", "summer"],
)
def test_clock_set_without_deviation_is_local_time(running_meter, local, utc):
    s = reading_session(running_meter)
    try:
        clock = GXDLMSClock("0.0.1.0.0.255")
        clock.time = wall(*local)
        assert s.write(clock, 2).error == 0
    finally:
        s.close()
    expected = datetime.fromisoformat(utc).replace(tzinfo=UTC).timestamp()
    assert running_meter.meter.t == pytest.approx(expected, abs=1)


def test_range_read_with_unspecified_deviation_bounds_is_local_time(running_meter):
    profile = running_meter.call(running_meter.meter.read, "1-0:99.1.0.255")
    low = datetime(2026, 3, 2, 6, 0, tzinfo=UTC).timestamp() - 3600  # 06:00 CET
    high = low + 12 * 3600
    wanted = [r for r in profile.rows if low <= r[0].timestamp() <= high]
    s = reading_session(running_meter)
    try:
        logger = GXDLMSProfileGeneric("1.0.99.1.0.255")
        s.read(logger, 3)
        reply = s.request(
            s.client.readRowsByRange(logger, wall(2026, 3, 2, 6), wall(2026, 3, 2, 18))
        )
        assert reply.error == 0
        rows = reply.value
    finally:
        s.close()
    assert len(rows) == len(wanted) == 49
    first = GXDLMSClient.changeType(rows[0][0], DataType.DATETIME).value
    assert first.replace(tzinfo=None) == datetime(2026, 3, 2, 6, 0)  # local, as the meter stores it
    assert list(rows[-1][2:]) == list(wanted[-1][2:])
