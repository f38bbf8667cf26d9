"""Activity calendar (class 20 version 0) over the meter's tariff table, with a passive calendar.

The active calendar is the tariff control table that configuration 3 names (``meter.config.tariff_table``);
day ids are the positions of its day profiles (1..n) and each switch runs the tariffication script
0-0:10.0.100.255 with the tariff as selector. The passive calendar and its activation time live in the
meter's ``CalendarKeeper`` (``k351c.meter.calendar``, installed by the meter's catalog, so activation happens
at its instant in simulated time whether or not a COSEM object list was ever built).
"""

from __future__ import annotations

from k351c.axdr.cosem_datetime import (
    DEVIATION_NOT_SPECIFIED,
    NOT_SPECIFIED,
    YEAR_NOT_SPECIFIED,
    CosemDateTime,
    CosemTime,
)
from k351c.axdr.types import Data, DataType
from k351c.codes.settings import DayProfile
from k351c.cosem.classes import CLASS_VERSION, logical_name
from k351c.cosem.model import Attribute, CosemObject, Level, Method, RequestContext
from k351c.errors import AccessDenied, ConfigError
from k351c.meter.calendar import KEEPER, CalendarKeeper, table_parts
from k351c.meter.core import Meter
from k351c.obis import Obis

ACTIVITY_CALENDAR = Obis(0, 0, 13, 0, 0)
TARIFF_SCRIPT = Obis(0, 0, 10, 0, 100)
# ------------------------------------------------------------------------ A-XDR encoding
def _text(value: str) -> Data:
    return Data(DataType.OCTET_STRING, value.encode())


def _name(data: Data) -> str:
    raw = data.as_bytes() if data.type == DataType.OCTET_STRING else str(data.value).encode()
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _season_start(mmdd: str) -> Data:
    month, day = int(mmdd[:2]), int(mmdd[3:])
    start = CosemDateTime(
        YEAR_NOT_SPECIFIED, month, day, NOT_SPECIFIED, 0, 0, 0, 0, DEVIATION_NOT_SPECIFIED, 0
    )
    return Data(DataType.OCTET_STRING, start.to_bytes())


def _u8(value: int) -> Data:
    return Data(DataType.UNSIGNED, int(value))


def seasons_data(parts: dict) -> Data:
    """season_profile: {season_profile_name, season_start, week_name} per season."""
    return Data.array(
        [Data.structure(_text(n), _season_start(s), _text(w)) for n, s, w in parts["seasons"]]
    )


def weeks_data(parts: dict) -> Data:
    """week_profile_table: {week_profile_name, day id Monday..Sunday} per week."""
    return Data.array(
        [Data.structure(_text(n), *(_u8(i) for i in ids)) for n, ids in parts["weeks"]]
    )


def days_data(parts: dict) -> Data:
    """day_profile_table: {day_id, [{start_time, script_logical_name, script_selector}]} per day."""
    script = Data(DataType.OCTET_STRING, TARIFF_SCRIPT.to_bytes())

    def action(hhmm: str, tariff: int) -> Data:
        start = CosemTime(int(hhmm[:2]), int(hhmm[3:]), 0, 0).to_bytes()
        return Data.structure(
            Data(DataType.OCTET_STRING, start), script, Data(DataType.LONG_UNSIGNED, int(tariff))
        )

    return Data.array(
        [
            Data.structure(_u8(i), Data.array([action(t, k) for t, k in switches]))
            for i, switches in parts["days"]
        ]
    )


def _items(value: Data, what: str, width: int) -> list[tuple[Data, ...]]:
    if value.type != DataType.ARRAY:
        raise ConfigError(what, value.type.name, "an array")
    out = []
    for item in value.items():
        if item.type != DataType.STRUCTURE or len(fields := item.items()) != width:
            raise ConfigError(what, item, f"structures of {width} elements")
        out.append(tuple(fields))
    return out


def _octets(data: Data, size: int, what: str) -> bytes:
    if data.type != DataType.OCTET_STRING or len(data.as_bytes()) != size:
        raise ConfigError(what, data, f"an octet-string of {size} octets")
    return data.as_bytes()


def parse_seasons(value: Data) -> list[list]:
    """season_profile written by a client -> [[name, "MM-DD", week name], ...]."""
    out = []
    for name, start, week in _items(value, "season_profile", 3):
        when = CosemDateTime.from_bytes(_octets(start, 12, "season_start"))
        if not (1 <= when.month <= 12 and 1 <= when.day <= 31):
            raise ConfigError("season_start", when, "a date-time with month and day specified")
        out.append([_name(name), f"{when.month:02d}-{when.day:02d}", _name(week)])
    if not out:
        raise ConfigError("season_profile", [], "at least one season")
    return out


def parse_weeks(value: Data) -> list[list]:
    """week_profile_table written by a client -> [[name, [7 day ids]], ...]."""
    return [
        [_name(e[0]), [d.as_int() for d in e[1:]]] for e in _items(value, "week_profile_table", 8)
    ]


def parse_days(value: Data) -> list[list]:
    """day_profile_table written by a client -> [[day id, [["HH:MM", tariff], ...]], ...]."""
    out = []
    for day_id, schedule in _items(value, "day_profile_table", 2):
        switches: list[tuple[str, int]] = []
        for start, _script, selector in _items(schedule, "day_schedule", 3):
            time = CosemTime.from_bytes(_octets(start, 4, "start_time"))
            if not (0 <= time.hour <= 23 and 0 <= time.minute <= 59):
                raise ConfigError("start_time", time, "hour and minute specified")
            if selector.as_int() not in (1, 2, 3, 4):
                raise ConfigError("script_selector", selector.value, "the tariff, 1..4")
            switches.append((f"{time.hour:02d}:{time.minute:02d}", selector.as_int()))
        DayProfile(f"day {day_id.value}", tuple(switches))
        out.append([day_id.as_int(), [list(switch) for switch in switches]])
    return out


# ---------------------------------------------------------------------------- class 20
def calendar_keeper(meter) -> CalendarKeeper | None:  # noqa: ANN001
    """The meter's calendar keeper (its catalog installs it); None for a meter without one (fleet views)."""
    if not isinstance(meter, Meter):
        return None
    try:
        keeper = meter.function(KEEPER)
    except KeyError:
        return None
    return keeper if isinstance(keeper, CalendarKeeper) else None


def _activation_data(meter, keeper: CalendarKeeper | None) -> Data:  # noqa: ANN001
    if keeper is None or keeper.activation is None:
        return Data(DataType.OCTET_STRING, CosemDateTime().to_bytes())
    local = meter.localtime.to_local(keeper.activation)
    return Data(DataType.OCTET_STRING, CosemDateTime.from_datetime(local).to_bytes())


def parse_activation(meter, value: Data) -> float | None:  # noqa: ANN001
    """activate_passive_calendar_time -> POSIX time; all fields unspecified -> None (no activation)."""
    when = CosemDateTime.from_bytes(_octets(value, 12, "activate_passive_calendar_time"))
    if (
        when.year == YEAR_NOT_SPECIFIED
        and when.month == NOT_SPECIFIED
        and when.day == NOT_SPECIFIED
    ):
        return None
    moment = when.to_datetime()
    if moment.tzinfo is None:
        return meter.localtime.from_local(moment)
    return moment.timestamp()


def activity_calendar(meter, keeper: CalendarKeeper | None = None) -> CosemObject:  # noqa: ANN001
    """Class 20 0-0:13.0.0.255: active calendar = the tariff table; passive settable by management."""

    def active() -> dict:
        return table_parts(meter.config.tariff_table)

    def passive() -> dict:
        return keeper.parts() if keeper is not None else active()

    def writer(key: str, parse):  # noqa: ANN001, ANN202
        def set_(value: Data, ctx: RequestContext) -> None:
            if keeper is None:
                raise AccessDenied("this meter's calendar is not settable")
            parts = keeper.parts()
            parsed = parse(value)
            parts[key] = parsed
            if key == "days":
                known = parts.get("names", {})
                parts["names"] = {str(i): known.get(str(i), f"day {i}") for i, _ in parsed}
            keeper.store_passive(parts)

        return set_

    def set_activation(value: Data, ctx: RequestContext) -> None:
        if keeper is None:
            raise AccessDenied("this meter's calendar is not settable")
        keeper.store_passive(activation=parse_activation(meter, value))

    def activate(params: Data | None, ctx: RequestContext) -> None:
        if keeper is None:
            raise AccessDenied("this meter's calendar is not settable")
        keeper.activate(meter.t, "command")

    def get(fn):  # noqa: ANN001, ANN202
        return lambda ctx: fn()

    read, write = Level.READING, Level.MANAGEMENT
    attrs = {
        1: logical_name(ACTIVITY_CALENDAR),
        2: Attribute(get(lambda: _text(active()["name"])), read_level=read),
        3: Attribute(get(lambda: seasons_data(active())), read_level=read),
        4: Attribute(get(lambda: weeks_data(active())), read_level=read),
        5: Attribute(get(lambda: days_data(active())), read_level=read),
        6: Attribute(get(lambda: _text(passive()["name"])), writer("name", _name), read, write),
        7: Attribute(
            get(lambda: seasons_data(passive())), writer("seasons", parse_seasons), read, write
        ),
        8: Attribute(get(lambda: weeks_data(passive())), writer("weeks", parse_weeks), read, write),
        9: Attribute(get(lambda: days_data(passive())), writer("days", parse_days), read, write),
        10: Attribute(lambda ctx: _activation_data(meter, keeper), set_activation, read, write),
    }
    methods = {1: Method(activate, Level.MANAGEMENT)}
    return CosemObject(
        20,
        CLASS_VERSION[20],
        ACTIVITY_CALENDAR,
        attrs,
        methods,
        description="activity calendar: the tariff table (active) and a passive one",
    )
