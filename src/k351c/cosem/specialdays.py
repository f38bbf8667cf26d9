"""Special days table (class 11) and the end-of-billing single action schedule (class 22).

Special days come from the active tariff table (``special_days``: "MM-DD" every year or "YYYY-MM-DD")
and, when the table follows public holidays, from the country's holidays of this year and the next
(day id of the table's non-working day profile). Indexes follow the date, so they are stable: an
every-year day MM-DD has index MM*100+DD (101..1231), a dated day 2000 + days since 2000-01-01.
The management client inserts and deletes the table's own entries; public holidays are read-only.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from k351c.axdr.cosem_datetime import (
    NOT_SPECIFIED,
    YEAR_NOT_SPECIFIED,
    CosemDate,
    CosemTime,
)
from k351c.axdr.types import Data, DataType
from k351c.codes.settings import Debiting
from k351c.codes.tables import DEBITING_INTERVALS
from k351c.cosem.classes import CLASS_VERSION, logical_name
from k351c.cosem.model import Attribute, CosemObject, Level, Method, RequestContext
from k351c.cosem.script import END_OF_BILLING_SCRIPT
from k351c.errors import ConfigError
from k351c.meter.billing import debiting_plan
from k351c.meter.calendar import replace_table
from k351c.meter.tariffs import public_holidays
from k351c.obis import Obis

SPECIAL_DAYS = Obis(0, 0, 11, 0, 0)
BILLING_SCHEDULE = Obis(0, 0, 15, 0, 0)
EPOCH = date(2000, 1, 1)
DATED_BASE = 2000


def entry_index(when: str) -> int:
    """The stable index of a special day "MM-DD" or "YYYY-MM-DD"."""
    parts = [int(p) for p in when.split("-")]
    if len(parts) == 2:
        return parts[0] * 100 + parts[1]
    days = (date(*parts) - EPOCH).days
    if not 0 <= days <= 0xFFFF - DATED_BASE:
        raise ConfigError("special day date", when, "2000-01-01..2179-06-06")
    return DATED_BASE + days


def _cosem_date(when: str) -> CosemDate:
    parts = [int(p) for p in when.split("-")]
    if len(parts) == 2:
        return CosemDate(YEAR_NOT_SPECIFIED, parts[0], parts[1], NOT_SPECIFIED)
    return CosemDate.from_date(date(*parts))


def _holidays(meter, table) -> list[str]:  # noqa: ANN001
    config = meter.config
    if not (table.public_holidays and table.non_working and config.holiday_country):
        return []
    calendar = public_holidays(
        config.holiday_country, config.holiday_subdiv, config.holiday_language
    )
    year = meter.now.year
    for y in (year, year + 1):
        date(y, 1, 1) in calendar  # noqa: B015 -- expands the calendar to that year
    return sorted(d.isoformat() for d in calendar if year <= d.year <= year + 1)


def special_day_entries(meter) -> list[tuple[int, str, str, bool]]:  # noqa: ANN001
    """(index, date "MM-DD"/"YYYY-MM-DD", day profile name, from the table) of the active calendar."""
    table = meter.config.tariff_table
    if table is None:
        return []
    own = dict(table.special_days)
    out = [(entry_index(w), w, p, True) for w, p in own.items()]
    for when in _holidays(meter, table):
        if when not in own and when[5:] not in own:
            out.append((entry_index(when), when, table.non_working, False))
    return sorted(out, key=lambda e: (e[1][-5:], e[1]))


def _day_ids(table) -> dict[str, int]:  # noqa: ANN001
    return {p.name: i + 1 for i, p in enumerate(table.day_profiles)}


def _entries_data(meter) -> Data:  # noqa: ANN001
    table = meter.config.tariff_table
    ids = _day_ids(table) if table is not None else {}
    return Data.array(
        [
            Data.structure(
                Data(DataType.LONG_UNSIGNED, index),
                Data(DataType.OCTET_STRING, _cosem_date(when).to_bytes()),
                Data(DataType.UNSIGNED, ids[profile]),
            )
            for index, when, profile, _ in special_day_entries(meter)
        ]
    )


def _active(meter):  # noqa: ANN001, ANN202
    table = meter.config.tariff_table
    if table is None:
        raise ConfigError(
            "config3 000 tariff control table", "000", "a tariff table id (no calendar)"
        )
    return table


def _insert(meter):  # noqa: ANN001, ANN202
    def call(params: Data | None, ctx: RequestContext) -> None:
        if params is None or params.type != DataType.STRUCTURE or len(params.items()) != 3:
            raise ConfigError(
                "spec_day_entry", params, "structure {index, specialday_date, day_id}"
            )
        _, raw_date, day_id = params.items()
        if raw_date.type != DataType.OCTET_STRING or len(raw_date.as_bytes()) != 5:
            raise ConfigError("specialday_date", raw_date, "an octet-string of 5 octets")
        day = CosemDate.from_bytes(raw_date.as_bytes())
        when = f"{day.month:02d}-{day.day:02d}"
        if day.year != YEAR_NOT_SPECIFIED:
            when = f"{day.year:04d}-{when}"
        table = _active(meter)
        names = {i: n for n, i in _day_ids(table).items()}
        if day_id.as_int() not in names:
            raise ConfigError("day_id", day_id.value, sorted(names))
        entry_index(when)
        specials = dict(table.special_days)
        specials[when] = names[day_id.as_int()]
        replace_table(
            meter, dataclasses.replace(table, special_days=tuple(sorted(specials.items())))
        )

    return call


def _delete(meter):  # noqa: ANN001, ANN202
    def call(params: Data | None, ctx: RequestContext) -> None:
        if params is None or params.type not in (DataType.LONG_UNSIGNED, DataType.UNSIGNED):
            raise ConfigError("index", params, "a long-unsigned index")
        index = params.as_int()
        found = [e for e in special_day_entries(meter) if e[0] == index]
        if not found:
            raise ConfigError(
                "special day index", index, [e[0] for e in special_day_entries(meter)]
            )
        if not found[0][3]:
            raise ConfigError(
                "special day index",
                index,
                "a day of the tariff table (public holidays are the country's)",
            )
        table = _active(meter)
        specials = tuple((w, p) for w, p in table.special_days if w != found[0][1])
        replace_table(meter, dataclasses.replace(table, special_days=specials))

    return call


def special_days_table(meter) -> CosemObject:  # noqa: ANN001
    """Class 11 0-0:11.0.0.255: the calendar's special days; insert/delete by the management client."""
    attrs = {
        1: logical_name(SPECIAL_DAYS),
        2: Attribute(lambda ctx: _entries_data(meter), read_level=Level.READING),
    }
    methods = {1: Method(_insert(meter)), 2: Method(_delete(meter))}
    return CosemObject(
        11,
        CLASS_VERSION[11],
        SPECIAL_DAYS,
        attrs,
        methods,
        description="special days: the tariff table's and the country's public holidays",
    )


def execution_times(
    target_day: int, months: tuple[int, int] | None, minute: int = 0
) -> tuple[int, list[tuple[CosemTime, CosemDate]]]:
    """(type, execution_time) of the debiting stops: the execution time on day GG of each debiting month."""
    if not target_day or months is None:
        return 1, []
    at = CosemTime(minute // 60, minute % 60, 0, 0)
    interval, first = months
    if interval == 1:
        return 1, [(at, CosemDate(YEAR_NOT_SPECIFIED, NOT_SPECIFIED, target_day, NOT_SPECIFIED))]
    chosen = [m for m in range(1, 13) if (m - first) % interval == 0]
    return 3, [(at, CosemDate(YEAR_NOT_SPECIFIED, m, target_day, NOT_SPECIFIED)) for m in chosen]


def parse_execution_times(value: Data) -> Debiting:
    """execution_time written by a client -> the debiting overrides (GG, HH code, execution time)."""
    if value.type != DataType.ARRAY:
        raise ConfigError("execution_time", value.type.name, "an array")
    pairs = []
    for item in value.items():
        if item.type != DataType.STRUCTURE or len(item.items()) != 2:
            raise ConfigError("execution_time", item, "structures {time, date}")
        raw_time, raw_date = item.items()
        pairs.append((raw_time.as_bytes(), raw_date.as_bytes()))
    if not pairs:
        return Debiting(target_day=0, interval=0)
    times = {CosemTime.from_bytes(t) for t, _ in pairs}
    dates = [CosemDate.from_bytes(d) for _, d in pairs]
    at = times.pop()
    if times or not (0 <= at.hour <= 23 and 0 <= at.minute <= 59):
        raise ConfigError("execution_time time", at, "one time of day, HH:MM, for every entry")
    days = {d.day for d in dates}
    day = days.pop()
    if days or not 1 <= day <= 28:
        raise ConfigError("execution_time date day", day, "one day of month 1..28 (GG)")
    months = sorted(d.month for d in dates)
    at_text = f"{at.hour:02d}:{at.minute:02d}"
    if months == [NOT_SPECIFIED]:
        return Debiting(day, 1, at_text)
    for code, plan in DEBITING_INTERVALS.items():
        if plan is not None and [m for m in range(1, 13) if (m - plan[1]) % plan[0] == 0] == months:
            return Debiting(day, code, at_text)
    raise ConfigError("execution_time months", months, "the debiting months of an HH code")


def billing_schedule(meter) -> CosemObject:  # noqa: ANN001
    """Class 22 0-0:15.0.0.255: the end of billing period (GG/HH, execution time from the settings)."""
    script = Data.structure(
        Data(DataType.OCTET_STRING, END_OF_BILLING_SCRIPT.to_bytes()),
        Data(DataType.LONG_UNSIGNED, 1),
    )

    def plan() -> tuple[int, list[tuple[CosemTime, CosemDate]]]:
        return execution_times(*debiting_plan(meter.config))

    def when(ctx: RequestContext) -> Data:
        return Data.array(
            [
                Data.structure(
                    Data(DataType.OCTET_STRING, t.to_bytes()),
                    Data(DataType.OCTET_STRING, d.to_bytes()),
                )
                for t, d in plan()[1]
            ]
        )

    def set_when(value: Data, ctx: RequestContext) -> None:
        settings = meter.config.settings
        debiting = parse_execution_times(value)
        meter.reconfigure(settings=dataclasses.replace(settings, debiting=debiting))

    attrs = {
        1: logical_name(BILLING_SCHEDULE),
        2: Attribute(lambda ctx: script, read_level=Level.READING),
        3: Attribute(lambda ctx: Data(DataType.ENUM, plan()[0]), read_level=Level.READING),
        4: Attribute(when, set_when, Level.READING, Level.MANAGEMENT),
    }
    return CosemObject(
        22,
        CLASS_VERSION.get(22, 0),
        BILLING_SCHEDULE,
        attrs,
        description="single action schedule: end of billing period (debiting stop, GG/HH)",
    )
