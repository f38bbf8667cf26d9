"""The configuration file's tables: display lists, tariff (activity calendar) tables, thresholds."""

from __future__ import annotations

import bisect
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources

from k351c.errors import ConfigError
from k351c.obis import Obis

DISPLAY_LIMITS = {"auto": 16, "manual": 30, "backup": 8}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TARIFFS = (1, 2, 3, 4)


def _check_id(what: str, value: object) -> int:
    """A table id: an integer 0..999 (printed with 3 digits in the codes)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 999:
        raise ConfigError(f"{what} id", value, "0..999")
    return value


def parse_hhmm(field_name: str, text: str) -> int:
    """Minutes after midnight of "HH:MM" (00:00..23:59)."""
    try:
        hours, minutes = (int(part) for part in str(text).split(":"))
    except ValueError:
        raise ConfigError(field_name, text, "HH:MM, 00:00..23:59") from None
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ConfigError(field_name, text, "HH:MM, 00:00..23:59")
    return hours * 60 + minutes


def _parse_day(field_name: str, text: str) -> tuple[int | None, int, int]:
    """(year or None, month, day) of "MM-DD" (every year) or "YYYY-MM-DD"."""
    parts = str(text).split("-")
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) == 2:
            date(2000, numbers[0], numbers[1])
            return None, numbers[0], numbers[1]
        if len(numbers) == 3:
            date(*numbers)
            return numbers[0], numbers[1], numbers[2]
    except ValueError:
        pass
    raise ConfigError(field_name, text, "MM-DD or YYYY-MM-DD")


@dataclass(frozen=True, slots=True)
class DisplayTable:
    """One display configuration (FFF): the auto, manual and backup-powered lists of OBIS codes."""

    id: int
    name: str = ""
    auto: tuple[str, ...] = ()
    manual: tuple[str, ...] = ()
    backup: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_id("display table", self.id)
        for list_name, limit in DISPLAY_LIMITS.items():
            items = tuple(str(Obis.parse(x)) for x in getattr(self, list_name))
            if len(items) > limit:
                raise ConfigError(
                    f"display table {self.id:03d} {list_name}",
                    len(items),
                    f"at most {limit} readings",
                )
            object.__setattr__(self, list_name, items)

    def to_dict(self) -> dict:
        """The table as the configuration file writes it."""
        return {
            "id": self.id,
            "name": self.name,
            "auto": list(self.auto),
            "manual": list(self.manual),
            "backup": list(self.backup),
        }


@dataclass(frozen=True, slots=True)
class DayProfile:
    """A day profile: switch times ("HH:MM", tariff 1-4); before the first switch the last applies."""

    name: str
    switches: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        where = f"day profile {self.name!r}"
        if not self.switches:
            raise ConfigError(where, (), "at least one (HH:MM, tariff) switch")
        cleaned = []
        for time_text, tariff in self.switches:
            minute = parse_hhmm(f"{where} switch time", time_text)
            if tariff not in TARIFFS:
                raise ConfigError(f"{where} tariff", tariff, list(TARIFFS))
            cleaned.append((minute, f"{minute // 60:02d}:{minute % 60:02d}", tariff))
        cleaned.sort()
        if len({m for m, _, _ in cleaned}) != len(cleaned):
            raise ConfigError(f"{where} switch times", self.switches, "distinct times")
        object.__setattr__(self, "switches", tuple((text, tariff) for _, text, tariff in cleaned))

    def tariff_at(self, minute_of_day: int) -> int:
        """The tariff in force at this minute of the (local) day."""
        minutes = [int(text[:2]) * 60 + int(text[3:]) for text, _ in self.switches]
        index = bisect.bisect_right(minutes, minute_of_day) - 1
        return self.switches[index][1]


@dataclass(frozen=True, slots=True)
class WeekProfile:
    """A week profile: one day profile name per weekday, Monday first."""

    name: str
    days: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ConfigError(
                f"week profile {self.name!r}", self.days, "7 day profiles, Monday..Sunday"
            )


@dataclass(frozen=True, slots=True)
class Season:
    """A season: from its start date ("MM-DD") every year, the week profile it uses."""

    name: str
    start: str
    week: str

    def __post_init__(self) -> None:
        year, month, day = _parse_day(f"season {self.name!r} start", self.start)
        if year is not None:
            raise ConfigError(f"season {self.name!r} start", self.start, "MM-DD")
        object.__setattr__(self, "start", f"{month:02d}-{day:02d}")


@dataclass(frozen=True, slots=True)
class TariffTable:
    """A tariff control table (config 3 "000"), shaped like the DLMS activity calendar."""

    id: int
    name: str
    day_profiles: tuple[DayProfile, ...]
    week_profiles: tuple[WeekProfile, ...]
    seasons: tuple[Season, ...]
    public_holidays: bool = True
    non_working: str | None = None
    special_days: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        where = f"tariff table {_check_id('tariff table', self.id):03d}"
        days = {p.name for p in self.day_profiles}
        weeks = {w.name for w in self.week_profiles}
        for week in self.week_profiles:
            for day in week.days:
                if day not in days:
                    raise ConfigError(f"{where} week profile {week.name!r}", day, sorted(days))
        if not self.seasons:
            raise ConfigError(f"{where} seasons", (), "at least one season")
        for season in self.seasons:
            if season.week not in weeks:
                raise ConfigError(
                    f"{where} season {season.name!r} week", season.week, sorted(weeks)
                )
        object.__setattr__(self, "seasons", tuple(sorted(self.seasons, key=lambda s: s.start)))
        if self.non_working is not None and self.non_working not in days:
            raise ConfigError(f"{where} non_working", self.non_working, sorted(days))
        for when, profile in self.special_days:
            _parse_day(f"{where} special day", when)
            if profile not in days:
                raise ConfigError(f"{where} special day {when}", profile, sorted(days))

    def day_profile(self, name: str) -> DayProfile:
        """The day profile called name."""
        return next(p for p in self.day_profiles if p.name == name)

    def season_for(self, day: date) -> Season:
        """The season in force on day (before the first start, the year's last season goes on)."""
        key = f"{day.month:02d}-{day.day:02d}"
        current = self.seasons[-1]
        for season in self.seasons:
            if season.start <= key:
                current = season
        return current

    def day_profile_for(self, day: date, holiday: bool = False) -> DayProfile:
        """Special day, else public holiday (non_working), else the season's week profile."""
        specials = dict(self.special_days)
        for key in (day.isoformat(), f"{day.month:02d}-{day.day:02d}"):
            if key in specials:
                return self.day_profile(specials[key])
        if holiday and self.public_holidays and self.non_working is not None:
            return self.day_profile(self.non_working)
        season = self.season_for(day)
        week = next(w for w in self.week_profiles if w.name == season.week)
        return self.day_profile(week.days[day.weekday()])

    def tariff_at(self, day: date, minute_of_day: int, holiday: bool = False) -> int:
        """The tariff (1-4) at a local date and minute; holiday says it is a public holiday."""
        return self.day_profile_for(day, holiday).tariff_at(minute_of_day)

    def to_dict(self) -> dict:
        """The table as the configuration file writes it."""
        data: dict = {"id": self.id, "name": self.name, "public_holidays": self.public_holidays}
        if self.non_working is not None:
            data["non_working"] = self.non_working
        data["day_profiles"] = {p.name: dict(p.switches) for p in self.day_profiles}
        data["week_profiles"] = {w.name: list(w.days) for w in self.week_profiles}
        data["seasons"] = [{"name": s.name, "start": s.start, "week": s.week} for s in self.seasons]
        if self.special_days:
            data["special_days"] = dict(self.special_days)
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> TariffTable:
        """Build a table from its configuration-file form."""
        where = f"tariff table {data.get('id')!r}"
        try:
            return cls(
                id=data["id"],
                name=str(data.get("name", "")),
                day_profiles=tuple(
                    DayProfile(name, tuple(switches.items()))
                    for name, switches in data["day_profiles"].items()
                ),
                week_profiles=tuple(
                    WeekProfile(name, tuple(days)) for name, days in data["week_profiles"].items()
                ),
                seasons=tuple(Season(s["name"], s["start"], s["week"]) for s in data["seasons"]),
                public_holidays=bool(data.get("public_holidays", True)),
                non_working=data.get("non_working"),
                special_days=tuple(data.get("special_days", {}).items()),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(where, exc, "id, day_profiles, week_profiles, seasons") from None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Voltage-quality and power thresholds (percent of nominal voltage, seconds, primary W)."""

    undervoltage_percent: float = -10.0
    overvoltage_percent: float = 10.0
    min_duration_s: int = 60
    power_threshold_w: float = 2000.0

    def __post_init__(self) -> None:
        if not -100.0 < self.undervoltage_percent < 0.0:
            raise ConfigError(
                "thresholds undervoltage_percent", self.undervoltage_percent, "-100 < x < 0"
            )
        if not self.overvoltage_percent > 0.0:
            raise ConfigError("thresholds overvoltage_percent", self.overvoltage_percent, "x > 0")
        if self.min_duration_s < 0:
            raise ConfigError("thresholds min_duration_s", self.min_duration_s, "x >= 0")
        if self.power_threshold_w < 0:
            raise ConfigError("thresholds power_threshold_w", self.power_threshold_w, "x >= 0")

    def undervoltage_v(self, nominal: float) -> float:
        """Undervoltage limit in volts for a nominal voltage."""
        return nominal * (1.0 + self.undervoltage_percent / 100.0)

    def overvoltage_v(self, nominal: float) -> float:
        """Overvoltage limit in volts for a nominal voltage."""
        return nominal * (1.0 + self.overvoltage_percent / 100.0)

    def to_dict(self) -> dict:
        """The thresholds as the configuration file writes them."""
        return {
            "undervoltage_percent": float(self.undervoltage_percent),
            "overvoltage_percent": float(self.overvoltage_percent),
            "min_duration_s": int(self.min_duration_s),
            "power_threshold_w": float(self.power_threshold_w),
        }


MAX_DRIFT_PPM = 1000.0


@dataclass(frozen=True, slots=True)
class RtcSettings:
    """The real-time clock: its rate error while running, ppm (+ fast, - slow; 0 keeps runs exact)."""

    drift_ppm: float = 0.0

    def __post_init__(self) -> None:
        value = self.drift_ppm
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not -MAX_DRIFT_PPM <= value <= MAX_DRIFT_PPM
        ):
            raise ConfigError("rtc drift_ppm", value, f"a number -{MAX_DRIFT_PPM:g}..{MAX_DRIFT_PPM:g}")

    def to_dict(self) -> dict:
        """The [rtc] table as the configuration file writes it."""
        return {"drift_ppm": float(self.drift_ppm)}

    @classmethod
    def from_dict(cls, data: Mapping) -> RtcSettings:
        """Build from the configuration file's [rtc] table."""
        unknown = set(data) - {"drift_ppm"}
        if unknown:
            raise ConfigError("rtc", sorted(unknown), "drift_ppm")
        return cls(**data)


def _check_byte(what: str, value: object) -> int:
    """A DLMS unsigned (0..255): day ids of the activity calendar."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 255:
        raise ConfigError(what, value, "0..255")
    return value


@dataclass(frozen=True, slots=True)
class PassiveCalendar:
    """The passive activity calendar (class 20 attributes 6-9) by day ids, as the client wrote it.

    Each part is checked on its own; whether weeks name existing day ids is checked at activation,
    as a client writes the parts one at a time.
    """

    name: str
    seasons: tuple[tuple[str, str, str], ...]
    weeks: tuple[tuple[str, tuple[int, ...]], ...]
    days: tuple[tuple[int, tuple[tuple[str, int], ...]], ...]
    names: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        where = "calendar passive"
        if not self.seasons:
            raise ConfigError(f"{where} seasons", (), "at least one season")
        seasons = []
        for name, start, week in self.seasons:
            season = Season(str(name), str(start), str(week))
            seasons.append((season.name, season.start, season.week))
        weeks = []
        for name, ids in self.weeks:
            if len(ids) != 7:
                raise ConfigError(f"{where} week {name!r}", ids, "7 day ids, Monday..Sunday")
            weeks.append((str(name), tuple(_check_byte(f"{where} week day id", i) for i in ids)))
        days = []
        for day_id, switches in self.days:
            _check_byte(f"{where} day id", day_id)
            profile = DayProfile(f"{where} day {day_id}", tuple((t, k) for t, k in switches))
            days.append((day_id, profile.switches))
        names = tuple((_check_byte(f"{where} names day id", int(i)), str(n)) for i, n in self.names)
        object.__setattr__(self, "name", str(self.name))
        object.__setattr__(self, "seasons", tuple(seasons))
        object.__setattr__(self, "weeks", tuple(weeks))
        object.__setattr__(self, "days", tuple(days))
        object.__setattr__(self, "names", names)

    def to_dict(self) -> dict:
        """The calendar parts as the activity calendar keeps them (JSON and TOML friendly)."""
        return {
            "name": self.name,
            "seasons": [list(s) for s in self.seasons],
            "weeks": [[n, list(ids)] for n, ids in self.weeks],
            "days": [[i, [list(x) for x in sw]] for i, sw in self.days],
            "names": {str(i): n for i, n in self.names},
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> PassiveCalendar:
        """Build it from to_dict()'s form (or the activity calendar's old persisted parts)."""
        try:
            return cls(
                name=str(data.get("name", "")),
                seasons=tuple(tuple(s) for s in data["seasons"]),
                weeks=tuple((n, tuple(int(i) for i in ids)) for n, ids in data["weeks"]),
                days=tuple((int(i), tuple((t, int(k)) for t, k in sw)) for i, sw in data["days"]),
                names=tuple((int(i), n) for i, n in data.get("names", {}).items()),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                "calendar passive", exc, "name, seasons, weeks, days, names"
            ) from None


def parse_activation(value: object) -> float | None:
    """An activation instant: None, POSIX seconds or an ISO date-time with its UTC offset."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConfigError("calendar activation", value, "an ISO date-time with a UTC offset")
    return moment.timestamp()


@dataclass(frozen=True, slots=True)
class Debiting:
    """Overrides of the debiting stop: target day (GG), interval (HH code) and execution time."""

    target_day: int | None = None
    interval: int | None = None
    execution_time: str | None = None

    def __post_init__(self) -> None:
        gg, hh = self.target_day, self.interval
        if gg is not None and (
            not isinstance(gg, int) or isinstance(gg, bool) or not 0 <= gg <= 28
        ):
            raise ConfigError("debiting target_day", gg, "0..28 (0 = externally controlled)")
        if hh is not None and (
            not isinstance(hh, int) or isinstance(hh, bool) or not 0 <= hh <= 24
        ):
            raise ConfigError("debiting interval", hh, "an HH code 00..24 (00 = none)")
        if self.execution_time is not None:
            minute = parse_hhmm("debiting execution_time", self.execution_time)
            object.__setattr__(self, "execution_time", f"{minute // 60:02d}:{minute % 60:02d}")

    @property
    def minute(self) -> int:
        """Minutes after local midnight of the stop (00:00 unless overridden)."""
        text = self.execution_time or "00:00"
        return int(text[:2]) * 60 + int(text[3:])

    def to_dict(self) -> dict:
        """The overrides that are set, as the configuration file writes them."""
        data: dict[str, int | str | None] = {
            "target_day": self.target_day,
            "interval": self.interval,
            "execution_time": self.execution_time,
        }
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping) -> Debiting:
        """Build the overrides from the configuration file's [debiting] table."""
        unknown = set(data) - {"target_day", "interval", "execution_time"}
        if unknown:
            raise ConfigError("debiting", sorted(unknown), "target_day, interval, execution_time")
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Analysis:
    """The analysis logger's [analysis]: channels (OBIS codes) and capture period; None = default."""

    channels: tuple[str, ...] | None = None
    interval_minutes: int | None = None

    def __post_init__(self) -> None:
        if self.channels is not None:
            if isinstance(self.channels, str) or not all(
                isinstance(c, str) for c in self.channels
            ):
                raise ConfigError("analysis channels", self.channels, "a list of OBIS codes")
            object.__setattr__(self, "channels", tuple(self.channels))
        minutes = self.interval_minutes
        if minutes is not None and (not isinstance(minutes, int) or isinstance(minutes, bool)):
            raise ConfigError("analysis interval_minutes", minutes, "1, 5, 10, 15, 30 or 60")

    def to_dict(self) -> dict:
        """The keys that are set, as the configuration file writes them."""
        data = {"channels": list(self.channels or ()), "interval_minutes": self.interval_minutes}
        return {k: v for k, v in data.items() if v}

    @classmethod
    def from_dict(cls, data: Mapping) -> Analysis:
        """The configuration file's [analysis] table."""
        unknown = set(data) - {"channels", "interval_minutes"}
        if unknown:
            raise ConfigError("analysis", sorted(unknown), "channels, interval_minutes")
        channels = data.get("channels")
        return cls(None if channels is None else tuple(channels), data.get("interval_minutes"))


@dataclass(frozen=True, slots=True)
class Settings:
    """All tables of a configuration file; codes refer to display and tariff tables by id."""

    display_tables: tuple[DisplayTable, ...]
    tariff_tables: tuple[TariffTable, ...]
    thresholds: Thresholds = field(default_factory=Thresholds)
    holiday_subdiv: str | None = None
    passive_calendar: PassiveCalendar | None = None
    calendar_activation: float | None = None
    debiting: Debiting = field(default_factory=Debiting)
    rtc: RtcSettings = field(default_factory=RtcSettings)
    analysis: Analysis = field(default_factory=Analysis)

    def __post_init__(self) -> None:
        object.__setattr__(self, "calendar_activation", parse_activation(self.calendar_activation))
        if self.passive_calendar is not None and not isinstance(
            self.passive_calendar, PassiveCalendar
        ):
            raise ConfigError("calendar passive", self.passive_calendar, "a PassiveCalendar")
        if not isinstance(self.debiting, Debiting):
            raise ConfigError("debiting", self.debiting, "a Debiting")
        if not isinstance(self.rtc, RtcSettings):
            raise ConfigError("rtc", self.rtc, "an RtcSettings")
        if not isinstance(self.analysis, Analysis):
            raise ConfigError("analysis", self.analysis, "an Analysis")
        for what, tables in (("display", self.display_tables), ("tariff", self.tariff_tables)):
            ids = [table.id for table in tables]
            if len(set(ids)) != len(ids):
                raise ConfigError(f"{what} table ids", ids, "each id once")

    def display(self, table_id: int) -> DisplayTable:
        """The display table with this id (config 2 FFF)."""
        for table in self.display_tables:
            if table.id == table_id:
                return table
        known = [f"{t.id:03d}" for t in self.display_tables]
        raise ConfigError(
            "config2 FFF display configuration",
            f"{table_id:03d}",
            known,
            "not in the configuration file's display tables",
        )

    def tariff(self, table_id: int) -> TariffTable | None:
        """The tariff table with this id (config 3 "000"); None for 000 (tariff 1 only)."""
        if table_id == 0:
            return None
        for table in self.tariff_tables:
            if table.id == table_id:
                return table
        known = ["000"] + [f"{t.id:03d}" for t in self.tariff_tables]
        raise ConfigError(
            "config3 000 tariff control table",
            f"{table_id:03d}",
            known,
            "not in the configuration file's tariff tables",
        )

    @classmethod
    def from_dict(cls, data: Mapping, base: Settings | None = None) -> Settings:
        """Tables from a parsed configuration file; a kind of table it omits comes from base."""
        base = base if base is not None else Settings.default()
        displays = base.display_tables
        if "display" in data:
            displays = tuple(_display_from_dict(d) for d in data["display"])
        tariffs = base.tariff_tables
        if "tariff" in data:
            tariffs = tuple(TariffTable.from_dict(d) for d in data["tariff"])
        thresholds = Thresholds(**{**base.thresholds.to_dict(), **data.get("thresholds", {})})
        subdiv = data.get("holidays", {}).get("subdiv", base.holiday_subdiv)
        calendar = data.get("calendar", {})
        passive = base.passive_calendar
        if "passive" in calendar:
            passive = PassiveCalendar.from_dict(calendar["passive"])
        activation = calendar.get("activation", base.calendar_activation)
        debiting = base.debiting
        if "debiting" in data:
            debiting = Debiting.from_dict(data["debiting"])
        rtc = RtcSettings.from_dict(data["rtc"]) if "rtc" in data else base.rtc
        analysis = base.analysis
        if "analysis" in data:
            analysis = Analysis.from_dict(data["analysis"])
        return cls(
            displays, tariffs, thresholds, subdiv, passive, activation, debiting, rtc, analysis
        )

    def to_dict(self) -> dict:
        """The tables as the configuration file writes them."""
        data: dict = {"thresholds": self.thresholds.to_dict(), "rtc": self.rtc.to_dict()}
        if self.holiday_subdiv is not None:
            data["holidays"] = {"subdiv": self.holiday_subdiv}
        calendar: dict = {}
        if self.passive_calendar is not None:
            calendar["passive"] = self.passive_calendar.to_dict()
        if self.calendar_activation is not None:
            moment = datetime.fromtimestamp(self.calendar_activation, UTC)
            calendar["activation"] = moment.isoformat()
        if calendar:
            data["calendar"] = calendar
        if self.debiting.to_dict():
            data["debiting"] = self.debiting.to_dict()
        if self.analysis.to_dict():
            data["analysis"] = self.analysis.to_dict()
        data["display"] = [t.to_dict() for t in self.display_tables]
        data["tariff"] = [t.to_dict() for t in self.tariff_tables]
        return data

    @classmethod
    def default(cls) -> Settings:
        """The tables of the embedded default configuration file."""
        return _default_settings()


def _display_from_dict(data: Mapping) -> DisplayTable:
    """A display table from its configuration-file form."""
    try:
        return DisplayTable(
            id=data["id"],
            name=str(data.get("name", "")),
            auto=tuple(data.get("auto", ())),
            manual=tuple(data.get("manual", ())),
            backup=tuple(data.get("backup", ())),
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError("display table", exc, "id, auto, manual, backup") from None


def default_toml() -> dict:
    """The embedded default configuration file, parsed."""
    text = resources.files("k351c").joinpath("data/default.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def _default_settings() -> Settings:
    """Parse the embedded tables once."""
    data = default_toml()
    empty = Settings((), (), Thresholds())
    return Settings.from_dict(data, base=empty)
