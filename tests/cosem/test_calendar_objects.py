"""Activity calendar (20), special days (11), billing schedule (22) and class 15 method 1, bound to a meter."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import Meter, MeterConfig, SimClock
from k351c.axdr.codec import encode_data
from k351c.axdr.cosem_datetime import CosemDate, CosemDateTime
from k351c.axdr.enums import ActionResult, DataAccessResult
from k351c.axdr.types import Data, DataType
from k351c.codes.configfile import load
from k351c.cosem import Level, RequestContext, build_object_list
from k351c.cosem.calendar import days_data, parse_days, parse_seasons, seasons_data
from k351c.cosem.infra import object_list_entry
from k351c.meter.function import Event
from k351c.obis import Obis
from k351c.store import MemoryStore

CAL = Obis.parse("0-0:13.0.0.255").to_bytes()
SPECIAL = Obis.parse("0-0:11.0.0.255").to_bytes()
SCHEDULE = Obis.parse("0-0:15.0.0.255").to_bytes()
PUBLIC, READING, MANAGEMENT = (RequestContext(level) for level in Level)
HLS = RequestContext(
    Level.MANAGEMENT, 1, association={"mechanism_name": bytes.fromhex("60857405080205")}
)
LLS = RequestContext(
    Level.READING, 32, association={"mechanism_name": bytes.fromhex("60857405080201")}
)
SCRIPT = bytes.fromhex("00000a0064ff")  # 0-0:10.0.100.255, the tariffication script table


def make_meter(store=None) -> Meter:
    """A default meter (tariff table 001: workday 06-22 T1 else T2, weekends and holidays T2)."""
    return Meter(MeterConfig.default(), clock=SimClock("2026-01-05T00:00:00Z"), store=store)


def u8(value: int) -> Data:
    return Data(DataType.UNSIGNED, value)


def day(day_id: int, *switches: tuple[int, int, int]) -> Data:
    actions = [
        Data.structure(
            Data(DataType.OCTET_STRING, bytes((h, m, 0, 0))),
            Data(DataType.OCTET_STRING, SCRIPT),
            Data(DataType.LONG_UNSIGNED, tariff),
        )
        for h, m, tariff in switches
    ]
    return Data.structure(u8(day_id), Data.array(actions))


def week(name: bytes, *ids: int) -> Data:
    return Data.structure(Data(DataType.OCTET_STRING, name), *(u8(i) for i in ids))


def season(name: bytes, month: int, mday: int, week_name: bytes) -> Data:
    start = CosemDateTime(0xFFFF, month, mday, 0xFF, 0, 0, 0, 0, -0x8000, 0).to_bytes()
    return Data.structure(
        Data(DataType.OCTET_STRING, name),
        Data(DataType.OCTET_STRING, start),
        Data(DataType.OCTET_STRING, week_name),
    )


def test_active_day_profile_table_is_the_tariff_table() -> None:
    objects = build_object_list(make_meter())
    value = objects.get(READING, 20, CAL, 5)
    # day 1 "workday": 06:00 T1, 22:00 T2; day 2 "low": 00:00 T2 -- bytes as the Blue Book lays them out
    assert encode_data(value).hex() == (
        "0102"
        "020211010102"
        "0203090406000000090600000a0064ff120001"
        "0203090416000000090600000a0064ff120002"
        "020211020101"
        "0203090400000000090600000a0064ff120002"
    )
    weeks = objects.get(READING, 20, CAL, 4)
    assert [int(d.value) for d in weeks.value[0].value[1:]] == [1, 1, 1, 1, 1, 2, 2]
    assert parse_seasons(objects.get(READING, 20, CAL, 3)) == [["all year", "01-01", "normal"]]
    assert objects.get(READING, 20, CAL, 2).value == b"day/night, weekends and holidays low"


def test_rights_public_none_reading_reads_management_writes_passive() -> None:
    objects = build_object_list(make_meter())
    assert objects.get(PUBLIC, 20, CAL, 5) == DataAccessResult.READ_WRITE_DENIED
    new_days = Data.array([day(1, (0, 0, 3))])
    assert objects.set(READING, 20, CAL, 9, new_days) == DataAccessResult.READ_WRITE_DENIED
    assert objects.set(MANAGEMENT, 20, CAL, 5, new_days) == DataAccessResult.READ_WRITE_DENIED
    assert (
        objects.action(READING, 20, CAL, 1, Data(DataType.INTEGER, 0))[0]
        == ActionResult.READ_WRITE_DENIED
    )
    assert objects.set(MANAGEMENT, 20, CAL, 9, new_days) == DataAccessResult.SUCCESS
    assert parse_days(objects.get(READING, 20, CAL, 9)) == [[1, [["00:00", 3]]]]


def passive_flat_t3(objects) -> None:
    """Write a passive calendar: every day tariff 3 from 00:00, tariff 4 from 12:00."""
    assert (
        objects.set(MANAGEMENT, 20, CAL, 6, Data(DataType.OCTET_STRING, b"flat"))
        == DataAccessResult.SUCCESS
    )
    assert objects.set(MANAGEMENT, 20, CAL, 9, Data.array([day(1, (0, 0, 3), (12, 0, 4))])) == 0
    assert objects.set(MANAGEMENT, 20, CAL, 8, Data.array([week(b"w", *[1] * 7)])) == 0
    assert objects.set(MANAGEMENT, 20, CAL, 7, Data.array([season(b"s", 1, 1, b"w")])) == 0


def test_activate_passive_calendar_replaces_the_tariff_table_logged_and_persisted() -> None:
    store = MemoryStore()
    meter = make_meter(store)
    events: list[Event] = []
    meter.subscribe(events.append)
    objects = build_object_list(meter)
    meter.run_for(13 * 3600)  # Monday 14:00 local: tariff 1
    assert meter.tariff == 1
    passive_flat_t3(objects)
    assert meter.config.tariff_table.name == "day/night, weekends and holidays low"
    result, _ = objects.action(MANAGEMENT, 20, CAL, 1, Data(DataType.INTEGER, 0))
    assert result == ActionResult.SUCCESS
    table = meter.config.tariff_table
    assert (table.id, table.name, table.day_profiles[0].switches) == (
        1,
        "flat",
        (("00:00", 3), ("12:00", 4)),
    )
    assert meter.tariff == 4
    assert objects.get(READING, 20, CAL, 2).value == b"flat"
    changed = [e for e in events if e.kind == "configuration_changed"]
    assert changed and all(e.log == "standard" for e in changed)
    assert "settings" in changed[-1].data["fields"]
    meter.run_for(12 * 3600)
    assert meter.tariff == 3
    restarted = make_meter(store)
    build_object_list(restarted)
    assert restarted.config.tariff_table.name == "flat"
    assert restarted.tariff == 3


def test_scheduled_activation_happens_at_its_instant_and_survives_a_restart() -> None:
    store = MemoryStore()
    meter = make_meter(store)
    objects = build_object_list(meter)
    passive_flat_t3(objects)
    when = CosemDateTime(
        2026, 1, 5, 0xFF, 3, 0, 0, 0, -0x8000, 0
    )  # local (UTC+1) 03:00, meter at 01:00
    value = Data(DataType.OCTET_STRING, when.to_bytes())
    assert objects.set(MANAGEMENT, 20, CAL, 10, value) == DataAccessResult.SUCCESS
    assert CosemDateTime.from_bytes(objects.get(READING, 20, CAL, 10).value).hour == 3
    meter.run_for(3600)
    restarted = make_meter(store)
    objects = build_object_list(restarted)
    assert restarted.config.tariff_table.name != "flat"
    restarted.run_for(3600 - 1)  # local 02:59:59
    assert restarted.config.tariff_table.name != "flat"
    restarted.run_for(2)
    assert restarted.config.tariff_table.name == "flat"
    assert restarted.tariff == 3
    assert objects.get(READING, 20, CAL, 10).value == CosemDateTime().to_bytes()


def test_inconsistent_passive_calendar_is_refused_and_nothing_changes() -> None:
    meter = make_meter()
    objects = build_object_list(meter)
    before = meter.config.settings
    assert objects.set(MANAGEMENT, 20, CAL, 8, Data.array([week(b"normal", *[9] * 7)])) == 0
    result, _ = objects.action(MANAGEMENT, 20, CAL, 1, Data(DataType.INTEGER, 0))
    assert result != ActionResult.SUCCESS
    assert meter.config.settings.tariff_tables == before.tariff_tables
    assert meter.config.settings.passive_calendar.weeks == (("normal", (9,) * 7),)
    passive = meter.config.settings.passive_calendar
    bad_time = Data.array([day(1, (25, 0, 1))])
    assert objects.set(MANAGEMENT, 20, CAL, 9, bad_time) != DataAccessResult.SUCCESS
    bad_tariff = Data.array([day(1, (1, 0, 7))])
    assert objects.set(MANAGEMENT, 20, CAL, 9, bad_tariff) != DataAccessResult.SUCCESS
    assert meter.config.settings.passive_calendar == passive


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 255),
            st.dictionaries(
                st.tuples(st.integers(0, 23), st.integers(0, 59)), st.integers(1, 4), min_size=1
            ),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda d: d[0],
    )
)
def test_day_profile_table_round_trip(days) -> None:
    parts = {
        "days": [
            [i, [[f"{h:02d}:{m:02d}", t] for (h, m), t in sorted(sw.items())]] for i, sw in days
        ],
        "seasons": [["a", "03-01", "w"]],
    }
    assert parse_days(days_data(parts)) == parts["days"]
    assert parse_seasons(seasons_data(parts)) == parts["seasons"]


def entries(objects) -> list[tuple[int, CosemDate, int]]:
    value = objects.get(READING, 11, SPECIAL, 2)
    return [
        (int(i.value), CosemDate.from_bytes(d.value), int(k.value))
        for i, d, k in (e.value for e in value.value)
    ]


def test_special_days_from_the_table_and_public_holidays() -> None:
    meter = make_meter()
    objects = build_object_list(meter)
    found = entries(objects)
    by_index = {i: (d, k) for i, d, k in found}
    assert by_index[1224] == (CosemDate(0xFFFF, 12, 24, 0xFF), 2)  # "12-24": low, every year
    dated = {d.to_date() for _, d, _ in found if d.year != 0xFFFF}
    assert {date(2026, 1, 1), date(2026, 12, 25), date(2027, 1, 1)} <= dated  # German holidays
    assert all(k == 2 for _, _, k in found)
    assert objects.get(PUBLIC, 11, SPECIAL, 2) == DataAccessResult.READ_WRITE_DENIED


def test_special_day_insert_and_delete_go_to_the_settings() -> None:
    meter = make_meter()
    objects = build_object_list(meter)
    entry = Data.structure(
        Data(DataType.LONG_UNSIGNED, 0),
        Data(DataType.OCTET_STRING, CosemDate(2026, 1, 7, 0xFF).to_bytes()),
        u8(2),
    )
    assert objects.action(READING, 11, SPECIAL, 1, entry)[0] == ActionResult.READ_WRITE_DENIED
    assert objects.action(MANAGEMENT, 11, SPECIAL, 1, entry)[0] == ActionResult.SUCCESS
    assert ("2026-01-07", "low") in meter.config.tariff_table.special_days
    index = next(i for i, d, _ in entries(objects) if d.year == 2026 and (d.month, d.day) == (1, 7))
    meter.run_for(2 * 86400 + 12 * 3600)  # Wednesday 2026-01-07 noon local: a special (low) day
    assert meter.tariff == 2
    holiday = next(
        i for i, d, _ in entries(objects) if d.year == 2026 and (d.month, d.day) == (1, 1)
    )
    assert objects.action(MANAGEMENT, 11, SPECIAL, 2, Data(DataType.LONG_UNSIGNED, holiday))[0] != 0
    assert objects.action(MANAGEMENT, 11, SPECIAL, 2, Data(DataType.LONG_UNSIGNED, index))[0] == 0
    assert ("2026-01-07", "low") not in meter.config.tariff_table.special_days
    assert meter.tariff == 1
    unknown_day = Data.structure(entry.value[0], entry.value[1], u8(9))
    assert objects.action(MANAGEMENT, 11, SPECIAL, 1, unknown_day)[0] != ActionResult.SUCCESS


def test_billing_schedule_matches_the_next_debiting_stop() -> None:
    meter = make_meter()
    objects = build_object_list(meter)
    script = objects.get(READING, 22, SCHEDULE, 2)
    assert bytes(script.value[0].value) == Obis.parse("0-0:10.0.1.255").to_bytes()
    assert objects.get(READING, 22, SCHEDULE, 3).value == 1
    (entry,) = objects.get(READING, 22, SCHEDULE, 4).value
    time, when = bytes(entry.value[0].value), CosemDate.from_bytes(entry.value[1].value)
    stop = meter.localtime.to_local(meter.function("billing").stops.next)
    assert time == bytes(4)
    assert (when.day, stop.day, stop.hour, stop.minute) == (1, 1, 0, 0)
    assert when.month == 0xFF and when.year == 0xFFFF
    assert objects.set(READING, 22, SCHEDULE, 4, Data.array([])) != DataAccessResult.SUCCESS


def test_management_sets_the_billing_execution_time_through_the_settings() -> None:
    from k351c.axdr.cosem_datetime import CosemTime

    meter = make_meter()
    objects = build_object_list(meter)
    at = Data(DataType.OCTET_STRING, CosemTime(6, 30, 0, 0).to_bytes())
    on = Data(DataType.OCTET_STRING, CosemDate(0xFFFF, 3, 15, 0xFF).to_bytes())
    value = Data.array([Data.structure(at, on)])
    assert objects.set(MANAGEMENT, 22, SCHEDULE, 4, value) == DataAccessResult.SUCCESS
    debiting = meter.config.settings.debiting
    assert (debiting.target_day, debiting.interval, debiting.execution_time) == (15, 15, "06:30")
    stop = meter.localtime.to_local(meter.function("billing").stops.next)
    assert (stop.month, stop.day, stop.hour, stop.minute) == (3, 15, 6, 30)
    (entry,) = objects.get(READING, 22, SCHEDULE, 4).value
    assert bytes(entry.value[0].value) == CosemTime(6, 30, 0, 0).to_bytes()
    bad = Data.array(
        [Data.structure(at, Data(DataType.OCTET_STRING, CosemDate(0xFFFF, 3, 30, 0xFF).to_bytes()))]
    )
    assert objects.set(MANAGEMENT, 22, SCHEDULE, 4, bad) != DataAccessResult.SUCCESS
    assert meter.config.settings.debiting == debiting


@pytest.mark.parametrize(("ctx", "shown"), [(HLS, 1), (LLS, 0)])
def test_association_shows_reply_to_hls_authentication_to_hls_clients(ctx, shown) -> None:
    objects = build_object_list(make_meter())
    association = objects.find(15, "0-0:40.0.0.255")
    entry = object_list_entry(association, ctx.level, ctx)
    methods = entry.value[3].value[1].value
    assert [(int(m.value[0].value), int(m.value[1].value)) for m in methods] == [(1, shown)]
    listed = objects.get(ctx, 15, Obis.parse("0-0:40.0.0.255").to_bytes(), 2)
    mine = next(
        e
        for e in listed.value
        if bytes(e.value[2].value) == Obis.parse("0-0:40.0.0.255").to_bytes()
    )
    assert int(mine.value[3].value[1].value[0].value[1].value) == shown
    result, _ = objects.action(
        HLS, 15, Obis.parse("0-0:40.0.0.255").to_bytes(), 1, Data(DataType.OCTET_STRING, b"")
    )
    assert (
        result == ActionResult.READ_WRITE_DENIED
    )  # no HLS pass 3 pending outside the secure layer


def test_calendar_objects_are_in_the_object_list_of_every_level_that_reads_them() -> None:
    objects = build_object_list(make_meter())
    for cls, ln in ((20, CAL), (11, SPECIAL), (22, SCHEDULE)):
        obj = objects.find(cls, ln)
        assert obj is not None
        assert obj.visible_to(Level.READING) and obj.visible_to(Level.MANAGEMENT)
        assert not obj.visible_to(Level.PUBLIC)


SERVER_TESTS = Path(__file__).resolve().parents[1] / "server"


def _server_module(name: str):
    """A helper module of tests/server (gurux_client, conftest), loaded by path."""
    if str(SERVER_TESTS) not in sys.path:
        sys.path.insert(0, str(SERVER_TESTS))  # gurux_client and the conftest import their siblings
    spec = importlib.util.spec_from_file_location(
        f"k351c_server_tests_{name}", SERVER_TESTS / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def running_meter():
    """tests/server/conftest.py's running_meter: a default meter served on free ports, test keys."""
    yield from _server_module("conftest").running_meter.__wrapped__()


def test_gurux_reads_the_day_profile_table_over_the_wrapper(running_meter) -> None:
    from gurux_dlms.objects import GXDLMSActivityCalendar

    session = _server_module("gurux_client").GuruxSession(
        running_meter.runtime.settings.dlms_port, 32, "12345678"
    )
    try:
        session.connect()
        calendar = GXDLMSActivityCalendar("0.0.13.0.0.255")
        session.read(calendar, 5)
    finally:
        session.close()
    days = {d.dayId: d for d in calendar.dayProfileTableActive}
    assert sorted(days) == [1, 2]
    workday = [
        (a.startTime.value.hour, a.startTime.value.minute, a.scriptSelector)
        for a in days[1].daySchedules
    ]
    assert workday == [(6, 0, 1), (22, 0, 2)]
    assert days[2].daySchedules[0].scriptLogicalName == "0.0.10.0.100.255"


def test_passive_calendar_and_activation_live_in_the_settings() -> None:
    store = MemoryStore()
    meter = make_meter(store)
    objects = build_object_list(meter)
    passive_flat_t3(objects)
    when = CosemDateTime(2026, 2, 1, 0xFF, 0, 0, 0, 0, -0x8000, 0)
    assert objects.set(MANAGEMENT, 20, CAL, 10, Data(DataType.OCTET_STRING, when.to_bytes())) == 0
    settings = meter.config.settings
    assert settings.passive_calendar.name == "flat"
    assert settings.calendar_activation == meter.localtime.from_local(when.to_datetime())
    data = meter.config.to_dict()
    assert data["calendar"]["passive"]["name"] == "flat"
    assert load(data).meter.settings == settings
    assert meter.store.get("f:activity_calendar") is None
    restarted = make_meter(store)
    objects = build_object_list(restarted)
    assert objects.get(READING, 20, CAL, 6).value == b"flat"


def test_an_old_persisted_passive_calendar_is_still_read_and_moves_into_the_settings() -> None:
    from k351c.meter.calendar import table_parts

    store = MemoryStore()
    meter = make_meter(store)
    parts = table_parts(meter.config.tariff_table)
    parts["name"] = "old"
    parts["days"] = [[1, [["00:00", 4]]], [2, [["00:00", 4]]]]
    activation = meter.t + 3600
    store.commit({"f:activity_calendar": {"passive": parts, "activation": activation}})
    restarted = make_meter(store)
    objects = build_object_list(restarted)
    assert objects.get(READING, 20, CAL, 6).value == b"old"
    assert CosemDateTime.from_bytes(objects.get(READING, 20, CAL, 10).value).hour == 2
    restarted.run_for(3601)
    assert restarted.config.tariff_table.name == "old"
    assert restarted.tariff == 4
    assert restarted.config.settings.calendar_activation is None
    assert restarted.config.settings.passive_calendar.name == "old"
