"""Display tables, tariff tables (activity calendar shape) and thresholds of the configuration file."""

from datetime import date

import pytest

from k351c.codes import (
    DayProfile,
    DisplayTable,
    Season,
    Settings,
    TariffTable,
    Thresholds,
    WeekProfile,
)
from k351c.errors import ConfigError


def test_default_tables():
    settings = Settings.default()
    table = settings.display(1)
    assert table.auto[0] == "1-0:1.8.0.255"
    assert len(table.auto) <= 16 and len(table.manual) <= 30 and len(table.backup) <= 8
    assert settings.display(2).name == "A+ only"
    assert settings.tariff(0) is None
    assert settings.tariff(1).non_working == "low"
    assert settings.thresholds == Thresholds()


def test_missing_ids_name_the_code_position():
    with pytest.raises(ConfigError, match="config2 FFF display configuration: '007'"):
        Settings.default().display(7)
    with pytest.raises(ConfigError, match="config3 000 tariff control table: '042'") as info:
        Settings.default().tariff(42)
    assert info.value.allowed[0] == "000"


def test_display_lists_are_canonical_obis_and_limited():
    table = DisplayTable(5, auto=("1.8.0", "1-0:2.8.0"))
    assert table.auto == ("1-0:1.8.0.255", "1-0:2.8.0.255")
    with pytest.raises(ConfigError, match="at most 16"):
        DisplayTable(5, auto=("1.8.0",) * 17)
    with pytest.raises(ConfigError, match="at most 8"):
        DisplayTable(5, backup=("1.8.0",) * 9)
    with pytest.raises(ConfigError, match="OBIS"):
        DisplayTable(5, manual=("not obis",))
    with pytest.raises(ConfigError, match="display table id"):
        DisplayTable(1000)


def test_day_profile_sorts_and_wraps():
    profile = DayProfile("p", (("22:00", 2), ("6:00", 1)))
    assert profile.switches == (("06:00", 1), ("22:00", 2))
    assert profile.tariff_at(0) == 2
    assert profile.tariff_at(6 * 60 - 1) == 2
    assert profile.tariff_at(6 * 60) == 1
    assert profile.tariff_at(22 * 60) == 2


@pytest.mark.parametrize(
    ("switches", "match"),
    [
        ((("06:00", 5),), "tariff"),
        ((("24:00", 1),), "HH:MM"),
        ((("6h", 1),), "HH:MM"),
        ((), "at least one"),
        ((("06:00", 1), ("6:00", 2)), "distinct"),
    ],
)
def test_bad_day_profiles(switches, match):
    with pytest.raises(ConfigError, match=match):
        DayProfile("p", switches)


def test_default_tariff_table_one():
    table = Settings.default().tariff(1)
    monday, saturday = date(2026, 3, 2), date(2026, 3, 7)
    assert table.tariff_at(monday, 12 * 60) == 1
    assert table.tariff_at(monday, 23 * 60) == 2
    assert table.tariff_at(saturday, 12 * 60) == 2
    assert table.tariff_at(monday, 12 * 60, holiday=True) == 2
    assert table.tariff_at(date(2026, 12, 24), 12 * 60) == 2


def test_seasons_of_tariff_table_two():
    table = Settings.default().tariff(2)
    assert [s.start for s in table.seasons] == ["01-01", "04-01", "10-01"]
    assert table.season_for(date(2026, 3, 31)).week == "winter"
    assert table.season_for(date(2026, 4, 1)).week == "summer"
    assert table.season_for(date(2026, 12, 31)).week == "winter"
    wednesday = date(2026, 7, 1)
    assert table.tariff_at(wednesday, 8 * 60) == 2
    assert table.tariff_at(date(2026, 1, 7), 8 * 60) == 1


def _table(**overrides):
    fields = dict(
        id=9,
        name="t",
        day_profiles=(DayProfile("d", (("00:00", 1),)),),
        week_profiles=(WeekProfile("w", ("d",) * 7),),
        seasons=(Season("s", "02-01", "w"),),
    )
    return TariffTable(**{**fields, **overrides})


def test_season_before_the_first_start_wraps_to_the_last():
    table = _table(seasons=(Season("a", "02-01", "w"), Season("b", "11-01", "w")))
    assert table.season_for(date(2026, 1, 15)).name == "b"


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"week_profiles": (WeekProfile("w", ("x",) * 7),)}, "week profile 'w'"),
        ({"seasons": (Season("s", "02-01", "nope"),)}, "season 's' week"),
        ({"seasons": ()}, "at least one season"),
        ({"non_working": "nope"}, "non_working"),
        ({"special_days": (("13-01", "d"),)}, "special day"),
        ({"special_days": (("2026-01-01", "nope"),)}, "special day 2026-01-01"),
    ],
)
def test_bad_tariff_tables(overrides, match):
    with pytest.raises(ConfigError, match=match):
        _table(**overrides)


def test_bad_week_and_season_shapes():
    with pytest.raises(ConfigError, match="7 day profiles"):
        WeekProfile("w", ("d",) * 6)
    with pytest.raises(ConfigError, match="MM-DD"):
        Season("s", "2026-02-01", "w")
    with pytest.raises(ConfigError, match="MM-DD"):
        Season("s", "02-30", "w")


def test_special_day_with_year_wins():
    day_profiles = (DayProfile("d", (("00:00", 1),)), DayProfile("x", (("00:00", 3),)))
    table = _table(day_profiles=day_profiles, special_days=(("2026-05-05", "x"),))
    assert table.tariff_at(date(2026, 5, 5), 0) == 3
    assert table.tariff_at(date(2027, 5, 5), 0) == 1


def test_thresholds():
    th = Thresholds()
    assert th.undervoltage_v(230.0) == pytest.approx(207.0)
    assert th.overvoltage_v(230.0) == pytest.approx(253.0)
    assert th.min_duration_s == 60
    for bad in (
        {"undervoltage_percent": 5.0},
        {"overvoltage_percent": -1.0},
        {"min_duration_s": -1},
        {"power_threshold_w": -5.0},
    ):
        with pytest.raises(ConfigError):
            Thresholds(**bad)


def test_settings_dict_round_trip_and_partial_files():
    settings = Settings.default()
    assert Settings.from_dict(settings.to_dict()) == settings
    partial = Settings.from_dict({"thresholds": {"power_threshold_w": 500.0}})
    assert partial.thresholds.power_threshold_w == 500.0
    assert partial.display_tables == settings.display_tables
    only = Settings.from_dict({"display": [{"id": 3, "auto": ["1.8.0"]}]})
    assert [t.id for t in only.display_tables] == [3]
    with pytest.raises(ConfigError, match="display table ids"):
        Settings.from_dict({"display": [{"id": 3}, {"id": 3}]})
    with pytest.raises(ConfigError, match="tariff table"):
        Settings.from_dict({"tariff": [{"id": 3}]})


def test_passive_calendar_activation_and_debiting_round_trip_and_validation():
    import dataclasses
    import tomllib

    import tomli_w

    from k351c.codes.settings import Debiting, PassiveCalendar

    parts = {
        "name": "p",
        "seasons": [["s", "01-01", "w"]],
        "weeks": [["w", [1] * 7]],
        "days": [[1, [["22:00", 2], ["06:00", 1]]]],
        "names": {"1": "day"},
    }
    passive = PassiveCalendar.from_dict(parts)
    assert passive.days == ((1, (("06:00", 1), ("22:00", 2))),)
    base = Settings.default()
    full = dataclasses.replace(
        base,
        passive_calendar=passive,
        calendar_activation="2026-03-01T00:00:00+01:00",
        debiting=Debiting(15, 13, "6:30"),
    )
    assert full.debiting.execution_time == "06:30"
    assert full.calendar_activation == 1772319600.0
    assert Settings.from_dict(tomllib.loads(tomli_w.dumps(full.to_dict()))) == full
    assert "calendar" not in base.to_dict() and "debiting" not in base.to_dict()
    for bad, field in (
        (lambda: Debiting(target_day=29), "debiting target_day"),
        (lambda: Debiting(interval=25), "debiting interval"),
        (lambda: Debiting(execution_time="25:00"), "debiting execution_time"),
        (lambda: Debiting.from_dict({"when": 1}), "debiting"),
        (
            lambda: dataclasses.replace(base, calendar_activation="2026-03-01T00:00"),
            "calendar activation",
        ),
        (
            lambda: PassiveCalendar.from_dict({**parts, "weeks": [["w", [1] * 6]]}),
            "calendar passive week",
        ),
        (lambda: PassiveCalendar.from_dict({**parts, "days": [[1, [["06:00", 7]]]]}), "tariff"),
    ):
        with pytest.raises(ConfigError, match=field):
            bad()
