"""Tariffs: the tariff control table in local time, public holidays, the module's tariff and pulse inputs."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import ConfigError, ConstantLoad, Meter, MeterConfig, SimClock
from k351c.codes.tables import IO_CONFIGS
from k351c.meter.localtime import LocalTime
from k351c.meter.tariffs import TariffCalendar, Tariffs, external_tariff

BERLIN = ZoneInfo("Europe/Berlin")
EPOCH = datetime(2026, 1, 1, tzinfo=BERLIN).timestamp()
# German nationwide public holidays of 2026, by hand.
DE_2026 = {
    date(2026, 1, 1),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 14),
    date(2026, 5, 25),
    date(2026, 10, 3),
    date(2026, 12, 25),
    date(2026, 12, 26),
}


def table_001(local: datetime) -> int:
    """Tariff table 001 of the embedded configuration, written out by hand."""
    day = local.date()
    if day in DE_2026 or day.weekday() >= 5 or (day.month, day.day) in ((12, 24), (12, 31)):
        return 2
    return 1 if 6 <= local.hour < 22 else 2


def calendar() -> TariffCalendar:
    return TariffCalendar(MeterConfig.default().tariff_table, LocalTime(60, "eu"), "DE")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 365 * 86400 - 1))
def test_calendar_matches_table_001_written_out(offset):
    t = EPOCH + offset
    cal = calendar()
    tariff, until = cal.window(t)
    assert tariff == table_001(datetime.fromtimestamp(t, BERLIN))
    assert until > t
    assert cal.tariff_at(until - 1) == tariff


def test_switch_times_follow_summer_time():
    cal = calendar()
    morning = datetime(2026, 7, 1, 6, 0, tzinfo=BERLIN).timestamp()  # 04:00 UTC in summer
    assert cal.tariff_at(morning - 1) == 2 and cal.tariff_at(morning) == 1
    assert cal.window(morning - 60)[1] == morning
    winter = datetime(2026, 11, 2, 6, 0, tzinfo=BERLIN).timestamp()  # 05:00 UTC
    assert cal.window(winter - 60)[1] == winter


def test_holidays_by_country():
    assert calendar().is_holiday(date(2026, 4, 3))
    assert not calendar().is_holiday(date(2026, 4, 2))
    swiss = MeterConfig.from_codes(type_number="685-35BC423-059")
    cal = TariffCalendar(
        None,
        LocalTime(60, "eu"),
        swiss.holiday_country,
        swiss.holiday_subdiv,
        swiss.holiday_language,
    )
    assert cal.is_holiday(date(2026, 8, 1))  # Swiss national day
    assert cal.window(EPOCH) == (1, None)


def make_meter(**codes) -> Meter:
    return Meter(
        MeterConfig.from_codes(**codes), clock=SimClock(EPOCH, rate=0), functions=[Tariffs()]
    )


def test_a_week_of_energy_split_over_the_tariff_windows():
    start = datetime(2026, 3, 23, tzinfo=BERLIN).timestamp()  # Monday; summer time starts on Sunday
    meter = Meter(MeterConfig.default(), clock=SimClock(start, rate=0), functions=[Tariffs()])
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(7 * 86400)
    hours = {1: 0, 2: 0}
    for h in range(7 * 24):
        hours[table_001(datetime.fromtimestamp(start + h * 3600, BERLIN))] += 1
    assert meter.read("1-0:1.8.1.255").value == hours[1] * 3450 == 5 * 16 * 3450
    assert meter.read("1-0:1.8.2.255").value == hours[2] * 3450
    assert meter.read("1-0:1.8.3.255").value == meter.read("1-0:1.8.4.255").value == 0


def test_current_tariff_register():
    meter = make_meter()
    assert meter.read("0-0:96.14.0.255").value == 2  # New Year's Day
    meter.run_for(4 * 86400 + 6 * 3600)  # Monday 2026-01-05 06:00
    assert meter.read("0-0:96.14.0.255").value == 1
    no_table = make_meter(config3="00-0-01-0-00-000-001-01")
    assert no_table.read("0-0:96.14.0.255").value == 1
    assert no_table.function("tariffs").next_boundary(no_table.t) is None


# DD -> [(I/O 1 level, I/O 2 level, tariff)]
INPUT_CASES = {
    1: [(0, 0, 1), (1, 0, 2), (0, 1, 3), (1, 1, 4)],
    2: [(1, 1, 1), (0, 1, 2), (1, 0, 3), (0, 0, 4)],
    **dict.fromkeys((7, 9, 11), [(0, 0, 1), (1, 0, 2), (0, 1, 1)]),
    **dict.fromkeys((8, 10, 12), [(1, 0, 1), (0, 0, 2), (1, 1, 1)]),
    13: [(0, 0, 1), (0, 1, 2), (1, 0, 1)],
    14: [(0, 1, 1), (0, 0, 2), (1, 1, 1)],
}


@pytest.mark.parametrize(
    "dd",
    [
        dd
        for dd, io in IO_CONFIGS.items()
        if "tariff" in io.name.lower() and "sync" not in io.name.lower()
    ],
)
def test_every_dd_code_with_tariff_inputs_controls_the_tariff(dd):
    functions = (IO_CONFIGS[dd].io1, IO_CONFIGS[dd].io2)
    for io1, io2, tariff in INPUT_CASES[dd]:
        assert external_tariff(functions, [bool(io1), bool(io2)]) == tariff


def test_external_tariff_inputs_drive_the_meter():
    meter = make_meter(config1="3-1-008-01-2")
    meter.set_load(ConstantLoad(current=5.0))
    tariffs = meter.function("tariffs")
    assert tariffs.external
    for io1, io2, tariff in INPUT_CASES[1]:
        tariffs.set_input(1, io1)
        tariffs.set_input(2, io2)
        meter.run_for(3600)
        assert meter.read("0-0:96.14.0.255").value == tariff
    assert [meter.read(f"1-0:1.8.{k}.255").value for k in range(1, 5)] == [3450] * 4
    assert meter.read("0-0:128.12.2.255").value == 1
    with pytest.raises(ConfigError):
        tariffs.set_input(3, 1)


def test_pulse_input_counts_active_edges():
    meter = make_meter(config1="3-1-000-03-2")
    tariffs = meter.function("tariffs")
    assert not tariffs.external
    for level in (1, 0, 1, 1, 0):
        tariffs.set_input(1, level)
    tariffs.pulse(10)
    assert meter.read("0-0:128.11.0.255").value == 12
    inverted = make_meter(config1="3-1-000-19-2").function("tariffs")
    for level in (1, 0, 1, 0):
        inverted.set_input(1, level)
    assert inverted.pulses == 2


def test_inputs_survive_a_restart():
    meter = make_meter(config1="3-1-008-01-2")
    meter.function("tariffs").set_input(2, 1)
    meter.function("tariffs").pulse(3)
    meter.run_for(60)
    again = Meter(
        meter.config, clock=SimClock(EPOCH, rate=0), store=meter.store, functions=[Tariffs()]
    )
    assert again.function("tariffs").levels == [False, True]
    assert again.read("0-0:96.14.0.255").value == 3


def _all_tariff_3(meter: Meter):
    """The meter's settings with its active tariff table replaced by one that is tariff 3 all day."""
    import dataclasses

    from k351c.codes.settings import TariffTable

    settings = meter.config.settings
    active = meter.config.tariff_table
    flat = TariffTable.from_dict(
        {
            "id": active.id,
            "name": "flat 3",
            "day_profiles": {"all": {"00:00": 3}},
            "week_profiles": {"w": ["all"] * 7},
            "seasons": [{"name": "y", "start": "01-01", "week": "w"}],
        }
    )
    tables = tuple(flat if t.id == active.id else t for t in settings.tariff_tables)
    return dataclasses.replace(settings, tariff_tables=tables)


def test_reconfigure_rebuilds_the_calendar_at_once():
    meter = make_meter()
    meter.run_for(12 * 3600)
    assert meter.read("0-0:96.14.0.255").value == 2  # 1 January, a holiday
    events = []
    meter.subscribe(events.append)
    meter.reconfigure(settings=_all_tariff_3(meter))
    assert meter.function("tariffs").calendar.table.name == "flat 3"
    assert meter.read("0-0:96.14.0.255").value == 3
    assert [e.data for e in events if e.kind == "tariff_changed"] == [{"old": 2, "new": 3}]
    meter.run_for(86400)
    assert meter.read("0-0:96.14.0.255").value == 3


def test_restart_with_changed_settings_uses_the_new_table():
    meter = make_meter()
    meter.run_for(12 * 3600)
    meter.reconfigure(settings=_all_tariff_3(meter))
    again = Meter(
        MeterConfig.default(),
        clock=SimClock(meter.t, rate=0),
        store=meter.store,
        functions=[Tariffs()],
    )
    assert again.config.tariff_table.name == "flat 3"
    assert again.function("tariffs").calendar.table.name == "flat 3"
    again.run_for(3600)
    assert again.read("0-0:96.14.0.255").value == 3


def test_begin_step_notices_a_config_swapped_without_an_event():
    import dataclasses

    meter = make_meter()
    meter.run_for(12 * 3600)
    meter.config = dataclasses.replace(meter.config, settings=_all_tariff_3(meter))
    meter.run_for(60)
    assert meter.read("0-0:96.14.0.255").value == 3
