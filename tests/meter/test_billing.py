"""Debiting stops per GG/HH, commanded stops, the debiting logger's list and depth, logger 2, hour counter."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.billing import DEBITING_DEPTH, Billing, next_debiting_stop, next_logger2_time
from k351c.meter.demand import Demand
from k351c.meter.hours import HourCounter
from k351c.meter.localtime import LocalTime
from k351c.meter.tariffs import Tariffs

BERLIN = ZoneInfo("Europe/Berlin")
EPOCH = datetime(2026, 1, 1, tzinfo=BERLIN).timestamp()
LT = LocalTime(60, "eu")

# HH -> debiting months, from the data sheet's wording.
HH_MONTHS = {
    1: set(range(1, 13)),
    2: {1, 3, 5, 7, 9, 11},
    3: {2, 4, 6, 8, 10, 12},
    4: {1, 4, 7, 10},
    5: {2, 5, 8, 11},
    6: {3, 6, 9, 12},
    7: {1, 7},
    8: {2, 8},
    9: {3, 9},
    10: {4, 10},
    11: {5, 11},
    12: {6, 12},
    **{12 + m: {m} for m in range(1, 13)},
}
SHEET_LIST = [
    "0-0:1.0.0.255",
    "0-0:1.0.0.255:4",
    "0-0:96.8.0.255",
    "0-0:0.1.0.255",
    "0-0:128.10.0.255",
    "0-0:128.11.0.255",
    "1-0:0.4.2.255",
    "1-0:1.8.0.255",
    "1-0:2.8.0.255",
    "1-0:3.8.0.255",
    "1-0:4.8.0.255",
    "1-0:1.8.1.255",
    "1-0:1.8.2.255",
    "1-0:1.8.3.255",
    "1-0:1.8.4.255",
    "1-0:3.8.1.255",
    "1-0:3.8.2.255",
    "1-0:3.8.3.255",
    "1-0:3.8.4.255",
    "1-0:1.6.0.255",
    "1-0:1.6.0.255:5",
    "1-0:1.6.0.255:4",
    "1-0:1.2.0.255",
    "1-0:1.2.1.255",
    "1-0:1.2.2.255",
    "1-0:3.6.0.255",
    "1-0:3.6.0.255:5",
    "1-0:3.6.0.255:4",
    "1-0:3.2.0.255",
    "1-0:1.6.1.255",
    "1-0:1.6.1.255:5",
    "1-0:1.6.1.255:4",
    "1-0:1.6.2.255",
    "1-0:1.6.2.255:5",
    "1-0:1.6.2.255:4",
    "1-0:3.6.1.255",
    "1-0:3.6.1.255:5",
    "1-0:3.6.1.255:4",
    "1-0:3.6.2.255",
    "1-0:3.6.2.255:5",
    "1-0:3.6.2.255:4",
    "1-0:9.6.0.255",
    "1-0:9.6.0.255:4",
    "1-0:10.6.0.255",
    "1-0:10.6.0.255:4",
]


def make_meter(start: float = EPOCH, store=None, **codes) -> Meter:
    functions = [Tariffs(), Demand(), HourCounter(), Billing()]
    return Meter(
        MeterConfig.from_codes(**codes),
        clock=SimClock(start, rate=0),
        store=store,
        functions=functions,
    )


def at(*args) -> float:
    return datetime(*args, tzinfo=BERLIN).timestamp()


@pytest.mark.parametrize("hh", sorted(HH_MONTHS))
@pytest.mark.parametrize("gg", [1, 15, 28])
def test_scheduled_stops_for_every_hh_code(hh, gg):
    config = MeterConfig.from_codes(config2=f"001-{gg:02d}-{hh:02d}-1")
    t, stops = EPOCH - 1, []
    while (t := next_debiting_stop(LT, config.target_day, config.debiting_months, t)) < at(
        2029, 1, 1
    ):
        stops.append(datetime.fromtimestamp(t, BERLIN))
    assert {s.month for s in stops} == HH_MONTHS[hh]
    assert len(stops) == 3 * len(HH_MONTHS[hh])
    assert all((s.day, s.hour, s.minute) == (gg, 0, 0) for s in stops)


def test_externally_controlled_has_no_schedule():
    for config2 in ("001-00-01-1", "001-01-00-1"):
        config = MeterConfig.from_codes(config2=config2)
        assert next_debiting_stop(LT, config.target_day, config.debiting_months, EPOCH) is None
    meter = make_meter(config2="001-00-00-1")
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(40 * 86400)
    assert meter.read("0-0:98.1.0.255").rows == []
    meter.function("billing").debiting_stop()
    assert meter.read("0-0:0.1.0.255").value == 1
    assert len(meter.read("0-0:98.1.0.255").rows) == 1


def test_monthly_stop_stores_the_sheets_list_then_resets_peaks():
    meter = make_meter()
    events = []
    meter.subscribe(lambda e: events.append(e) if e.kind == "debiting_stop" else None)
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(at(2026, 2, 1) - EPOCH)
    logger = meter.read("0-0:98.1.0.255")
    assert logger.columns == SHEET_LIST
    row = dict(zip(logger.columns, logger.rows[0], strict=True))
    hours = 31 * 24
    assert row["0-0:1.0.0.255"] == datetime(2026, 2, 1, tzinfo=BERLIN)
    assert row["0-0:96.8.0.255"] == hours
    assert row["0-0:0.1.0.255"] == 1
    assert row["1-0:1.8.0.255"] == hours * 3450
    assert row["1-0:1.8.1.255"] + row["1-0:1.8.2.255"] == hours * 3450
    assert row["1-0:1.6.0.255"] == 3450 == row["1-0:1.2.0.255"]
    assert row["1-0:1.6.0.255:5"] == datetime(2026, 1, 1, 0, 15, tzinfo=BERLIN)
    assert row["0-0:128.10.0.255"] == hours * 4
    assert meter.read("1-0:1.6.0.255").value == 0
    assert meter.read("1-0:1.2.0.255").value == 3450
    assert [e.data["counter"] for e in events] == [1]
    assert logger.rows[0][logger.columns.index("1-0:0.4.2.255")] == 5


def test_logger_depth_keeps_the_latest_periods():
    meter = make_meter(config2="001-00-00-1")
    billing = meter.function("billing")
    for _ in range(DEBITING_DEPTH + 4):
        meter.run_for(3600)
        billing.debiting_stop()
    rows = meter.read("0-0:98.1.0.255").rows
    assert DEBITING_DEPTH >= 36 and len(rows) == DEBITING_DEPTH
    assert [r[3] for r in rows] == list(range(5, DEBITING_DEPTH + 5))
    assert meter.read("0-0:98.1.0.255").columns == SHEET_LIST


def test_clock_back_over_a_stop_does_not_repeat_it_and_forward_catches_up_once():
    meter = make_meter(start=at(2026, 1, 31, 22))
    meter.run_for(3 * 3600)  # past the stop at Feb 1 00:00
    meter.set_clock(datetime(2026, 1, 31, 23, tzinfo=BERLIN))
    meter.run_for(3 * 3600)
    assert meter.read("0-0:0.1.0.255").value == 1
    meter.set_clock(datetime(2026, 4, 15, tzinfo=BERLIN))  # skips March 1 and April 1
    times = [r[0] for r in meter.read("0-0:98.1.0.255").rows]
    assert times == [datetime(2026, 2, 1, tzinfo=BERLIN), datetime(2026, 4, 15, tzinfo=BERLIN)]
    meter.run_for(at(2026, 5, 1) - meter.t)
    assert meter.read("0-0:0.1.0.255").value == 3


def test_hour_counter_counts_only_hours_with_supply():
    meter = make_meter()
    meter.set_load(ConstantLoad(current=1.0))
    meter.run_for(5 * 3600)
    meter.set_load(ConstantLoad(voltage=0.0, current=0.0))
    meter.run_for(3 * 3600)
    meter.set_load(ConstantLoad(voltage=(230.0, 0.0, 0.0), current=0.0))
    meter.run_for(5400)
    reading = meter.read("0-0:96.8.0.255")
    assert (reading.value, reading.unit) == (6, "h")


@pytest.mark.parametrize(
    ("u", "kind", "first", "second"),
    [
        (1, "daily", (2026, 1, 2), (2026, 1, 3)),
        (2, "weekly", (2026, 1, 5), (2026, 1, 12)),
        (3, "monthly", (2026, 2, 1), (2026, 3, 1)),
    ],
)
def test_debiting_logger_2(u, kind, first, second):
    assert next_logger2_time(LT, kind, EPOCH) == at(*first)
    assert next_logger2_time(LT, kind, at(*first)) == at(*second)
    meter = make_meter(config5=f"000-001-1-{u}")
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(at(*second) - EPOCH)
    logger = meter.read("0-0:98.2.0.255")
    assert [r[0] for r in logger.rows] == [
        datetime(*first, tzinfo=BERLIN),
        datetime(*second, tzinfo=BERLIN),
    ]
    assert logger.rows[-1][2] == round((at(*second) - EPOCH) / 3600 * 3450)
    assert logger.columns[2] == "1-0:1.8.0.255"


def test_settings_override_gg_hh_and_the_execution_time():
    import dataclasses

    from k351c.codes.settings import Debiting

    meter = Meter(MeterConfig.default(), clock=SimClock(EPOCH, rate=0), functions=[Billing()])
    settings = meter.config.settings
    meter.reconfigure(settings=dataclasses.replace(settings, debiting=Debiting(15, 13, "06:30")))
    expected = datetime(2026, 1, 15, 6, 30, tzinfo=BERLIN).timestamp()
    assert meter.function("billing").stops.next == expected
    meter.run_for(expected - EPOCH - 1)
    assert meter.read("0-0:0.1.0.255").value == 0
    meter.run_for(1)
    assert meter.read("0-0:0.1.0.255").value == 1
    assert (
        meter.function("billing").stops.next
        == datetime(2027, 1, 15, 6, 30, tzinfo=BERLIN).timestamp()
    )
    again = Meter(
        MeterConfig.default(),
        clock=SimClock(meter.t, rate=0),
        store=meter.store,
        functions=[Billing()],
    )
    assert again.function("billing").stops.next == meter.function("billing").stops.next


def test_execution_time_shifts_the_stop():
    stop = next_debiting_stop(LT, 1, (1, 1), EPOCH, minute=90)
    assert stop == datetime(2026, 1, 1, 1, 30, tzinfo=BERLIN).timestamp()
