"""Billing over seven simulated months, checked against a model built here from first principles.

The load changes every UTC hour in a known way; the tariff of each hour comes from tariff table 002
written out again below, local time from zoneinfo Europe/Berlin, and the German public holidays are
listed by hand. The meter crosses month ends, both DST changes, the leap day 2028-02-29, the season
changes, a forward clock adjustment over a debiting stop, a backward one, and restarts on a SQLite
store in the middle of a period and exactly at a debiting stop.
"""

import dataclasses
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from k351c import Meter, MeterConfig, SimClock
from k351c.codes.settings import Settings, Thresholds
from k351c.meter.billing import Billing
from k351c.meter.demand import Demand
from k351c.meter.hours import HourCounter
from k351c.meter.loads import Segments
from k351c.meter.metrology import PhaseInputs
from k351c.meter.tariffs import Tariffs
from k351c.store import SqliteStore

BERLIN = ZoneInfo("Europe/Berlin")
CT = 20  # 100/5 A
THRESHOLD_W = 50000.0
DE_HOLIDAYS = {
    date(2027, 10, 3),
    date(2027, 12, 25),
    date(2027, 12, 26),
    date(2028, 1, 1),
    date(2028, 4, 14),
    date(2028, 4, 17),
}


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def hour_load(h: int) -> tuple[float, float]:
    """(current per phase, angle) of UTC hour number h: 1..5 A; export every 11th, reactive some."""
    current = 1.0 + (h * 7) % 5
    angle = 180.0 if h % 11 == 0 else 90.0 if h % 11 == 5 else 0.0
    return current, angle


class HourlyLoad:
    """The known load: constant within each UTC hour, balanced, 230 V."""

    def segments(self, t0: float, t1: float) -> Segments:
        edges = np.arange((np.floor(t0 / 3600) + 1) * 3600, t1, 3600.0)
        times = np.concatenate(([t0], edges, [t1]))
        hours = np.floor(times[:-1] / 3600).astype(int)
        rows = [hour_load(int(h)) for h in hours]
        n = len(rows)
        cur = np.array([[r[0]] * 3 for r in rows])
        ang = np.array([[r[1]] * 3 for r in rows])
        return Segments(times, PhaseInputs(np.full((n, 3), 230.0), cur, ang, np.full(n, 50.0)))


def tariff_of(local: datetime) -> int:
    """Tariff table 002 of the embedded configuration, written out by hand."""
    day = local.date()
    if day in DE_HOLIDAYS or day.weekday() >= 5:
        return 4
    h = local.hour
    if h < 7:
        return 4
    if h >= 21:
        return 3
    summer = (4, 1) <= (day.month, day.day) < (10, 1)
    if summer:
        return 2
    return 1 if h < 11 or h >= 17 else 2


class Model:
    """What the meter must hold: registers, peaks and counters after each hour of the timeline."""

    def __init__(self) -> None:
        self.reg = dict.fromkeys(
            [
                "A+",
                "A-",
                "R+",
                "R-",
                *(f"A+T{k}" for k in range(1, 5)),
                *(f"R+T{k}" for k in range(1, 5)),
            ],
            0,
        )
        self.hours = 0
        self.threshold_count = 0
        self.stops = 0
        self.pulses = 0
        self.peaks: dict[str, tuple[int, float | None]] = {}
        self.acc = dict.fromkeys(["P+", "P+T1", "P+T2", "Q+"], 0)
        self.reset_peaks()

    def reset_peaks(self) -> None:
        self.peaks = dict.fromkeys(
            ["P+", "P+T1", "P+T2", "Q+", "Q+T1", "Q+T2", "S+", "S-"], (0, None)
        )

    def hour(self, start: float) -> None:
        current, angle = hour_load(int(start // 3600))
        wh = int(690 * current) * CT  # 3 x 230 V x I for one hour, primary
        tariff = tariff_of(datetime.fromtimestamp(start, BERLIN))
        kind = {0.0: "A+", 180.0: "A-", 90.0: "R+"}[angle]
        self.reg[kind] += wh
        if kind in ("A+", "R+"):
            self.reg[f"{kind}T{tariff}"] += wh
        self.hours += 1
        end = start + 3600
        demand = {
            "P+": wh if kind == "A+" else 0,
            "Q+": wh if kind == "R+" else 0,
            "S+": wh if kind != "A-" else 0,
            "S-": wh if kind == "A-" else 0,
        }
        for name, (value, _) in self.peaks.items():
            base, _, t = name.partition("T")
            if demand[base] > value and (not t or int(t) == tariff):
                self.peaks[name] = (demand[base], end)
        self.threshold_count += demand["P+"] > THRESHOLD_W

    def snapshot(self, t: float) -> dict:
        self.stops += 1
        for name in self.acc:
            self.acc[name] += self.peaks[name][0]
        local = datetime.fromtimestamp(t, BERLIN)
        row = {
            "0-0:1.0.0.255": local,
            "0-0:1.0.0.255:4": 0,
            "0-0:96.8.0.255": self.hours,
            "0-0:0.1.0.255": self.stops,
            "0-0:128.10.0.255": self.threshold_count,
            "0-0:128.11.0.255": self.pulses,
            "1-0:0.4.2.255": 100,
        }
        codes = {"A+": "1.8.0", "A-": "2.8.0", "R+": "3.8.0", "R-": "4.8.0"}
        codes |= {f"A+T{k}": f"1.8.{k}" for k in range(1, 5)} | {
            f"R+T{k}": f"3.8.{k}" for k in range(1, 5)
        }
        row |= {f"1-0:{code}.255": self.reg[name] for name, code in codes.items()}
        peak_codes = {
            "P+": "1.6.0",
            "P+T1": "1.6.1",
            "P+T2": "1.6.2",
            "Q+": "3.6.0",
            "Q+T1": "3.6.1",
            "Q+T2": "3.6.2",
            "S+": "9.6.0",
            "S-": "10.6.0",
        }
        for name, code in peak_codes.items():
            value, when = self.peaks[name]
            row[f"1-0:{code}.255"] = value
            row[f"1-0:{code}.255:4"] = 0
            if not name.startswith("S"):
                row[f"1-0:{code}.255:5"] = (
                    None if when is None else datetime.fromtimestamp(when, BERLIN)
                )
        acc_codes = {"P+": "1.2.0", "P+T1": "1.2.1", "P+T2": "1.2.2", "Q+": "3.2.0"}
        row |= {f"1-0:{code}.255": self.acc[name] for name, code in acc_codes.items()}
        self.reset_peaks()
        return row


def month_starts(t0: float, t1: float) -> list[float]:
    """Local midnights of the 1st of a month in (t0, t1]."""
    out = []
    local = datetime.fromtimestamp(t0, BERLIN)
    year, month = local.year, local.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        t = datetime(year, month, 1, tzinfo=BERLIN).timestamp()
        if t > t1:
            return out
        out.append(t)


START = utc("2027-09-15T00:00:00")
JUMP_FORWARD = (utc("2027-12-31T22:00:00"), utc("2028-01-01T01:00:00"))  # 23:00 -> 02:00 local
JUMP_BACK = (utc("2028-02-10T12:00:00"), utc("2028-02-10T10:00:00"))
RESTART_MID = utc("2027-11-17T13:30:00")
RESTART_AT_STOP = datetime(2028, 3, 1, tzinfo=BERLIN).timestamp()
PULSES = {utc("2027-10-20T08:00:00"): 7, utc("2028-03-10T08:00:00"): 5}
END = utc("2028-04-20T00:00:00")


def midnights(t0: float, t1: float) -> set[float]:
    """Local midnights in (t0, t1]."""
    day = datetime.fromtimestamp(t0, BERLIN).date()
    out = set()
    while (t := datetime(day.year, day.month, day.day, tzinfo=BERLIN).timestamp()) <= t1:
        if t > t0:
            out.add(t)
        day = date.fromordinal(day.toordinal() + 1)
    return out


DAILY = ("A+", "A-", "R+", "R-", "A+T1", "A+T2", "A+T3", "A+T4")


def expected_snapshots() -> tuple[Model, list[dict], list[tuple]]:
    """Walk the meter's timeline hour by hour and take the snapshots where the meter must."""
    model, rows, daily = Model(), [], []
    segments = [(START, JUMP_FORWARD[0]), (JUMP_FORWARD[1], JUMP_BACK[0]), (JUMP_BACK[1], END)]
    for index, (t0, t1) in enumerate(segments):
        if index == 1:  # the stop and the midnight skipped by the forward jump, caught up once
            rows.append(model.snapshot(t0))
            daily.append((datetime.fromtimestamp(t0, BERLIN), *(model.reg[k] for k in DAILY)))
        stops, days = set(month_starts(t0, t1)), midnights(t0, t1)
        for start in np.arange(t0, t1, 3600.0):
            end = float(start) + 3600
            if float(start) in PULSES:
                model.pulses += PULSES[float(start)]
            model.hour(float(start))
            if end in stops:
                rows.append(model.snapshot(end))
            if end in days:
                daily.append((datetime.fromtimestamp(end, BERLIN), *(model.reg[k] for k in DAILY)))
    return model, rows, daily


def make_config() -> MeterConfig:
    settings = dataclasses.replace(
        Settings.default(), thresholds=Thresholds(power_threshold_w=THRESHOLD_W)
    )
    return MeterConfig.from_codes(
        config1="3-1-000-03-4",
        config2="001-01-01-1",
        config3="00-0-01-0-00-002-001-01",
        config5="000-020-1-1",
        settings=settings,
    )


def boot(store) -> Meter:
    meter = Meter(
        make_config(),
        clock=SimClock(START, rate=0),
        store=store,
        functions=[Tariffs(), Demand(), HourCounter(), Billing()],
    )
    meter.set_load(HourlyLoad())
    return meter


def run_to(meter: Meter, t: float) -> None:
    meter.run_for(t - meter.t)


def drive(tmp_path) -> Meter:
    store = SqliteStore(tmp_path / "meter.sqlite")
    meter = boot(store)
    marks = sorted([*PULSES, RESTART_MID, JUMP_FORWARD[0], JUMP_BACK[0], RESTART_AT_STOP, END])
    for mark in marks:
        run_to(meter, mark)
        if mark in PULSES:
            meter.function("tariffs").set_input(1, True)
            meter.function("tariffs").set_input(1, False)
            meter.function("tariffs").pulse(PULSES[mark] - 1)
        elif mark in (RESTART_MID, RESTART_AT_STOP):
            meter = boot(store)
            assert meter.t == mark
        elif mark == JUMP_FORWARD[0]:
            meter.set_clock(JUMP_FORWARD[1])
        elif mark == JUMP_BACK[0]:
            meter.set_clock(JUMP_BACK[1])
    return meter


@pytest.fixture(scope="module")
def driven(tmp_path_factory) -> Meter:
    return drive(tmp_path_factory.mktemp("scenario"))


def test_billing_scenario_matches_the_independent_model(driven):
    meter = driven
    model, expected, _ = expected_snapshots()
    logger = meter.read("0-0:98.1.0.255")
    got = [dict(zip(logger.columns, row, strict=True)) for row in logger.rows]
    assert len(expected) == 7  # Oct..Apr month starts, January caught up after the jump
    assert len(got) == len(expected)
    assert set(logger.columns) == set(expected[0])
    for want, row in zip(expected, got, strict=True):
        assert row == want, want["0-0:1.0.0.255"]
        assert row["0-0:1.0.0.255"].utcoffset() == want["0-0:1.0.0.255"].utcoffset()
    registers = {"A+": "1.8.0", "A-": "2.8.0", "R+": "3.8.0", "R-": "4.8.0"}
    registers |= {f"A+T{k}": f"1.8.{k}" for k in range(1, 5)} | {
        f"R+T{k}": f"3.8.{k}" for k in range(1, 5)
    }
    for name, code in registers.items():
        assert meter.read(f"1-0:{code}.255").value == model.reg[name], name
        assert meter.read(f"1-1:{code}.255").value == model.reg[name] // CT, name
    assert meter.read("0-0:96.8.0.255").value == model.hours
    assert meter.read("0-0:0.1.0.255").value == model.stops
    assert meter.read("0-0:128.10.0.255").value == model.threshold_count
    assert meter.read("1-0:1.6.0.255").value == model.peaks["P+"][0]
    assert meter.read("1-0:1.2.0.255").value == model.acc["P+"]


def test_every_tariff_of_the_model_is_used_and_the_stops_fall_on_local_midnight():
    model, expected, _ = expected_snapshots()
    assert all(model.reg[f"A+T{k}"] > 0 for k in range(1, 5))
    assert sum(model.reg[f"A+T{k}"] for k in range(1, 5)) == model.reg["A+"]
    times = [row["0-0:1.0.0.255"] for row in expected]
    assert times[3].isoformat() == "2028-01-01T02:00:00+01:00"  # caught up at the adjusted time
    assert {t.utcoffset().seconds for t in times} == {3600, 7200}
    assert all((t.hour, t.minute, t.day) == (0, 0, 1) for i, t in enumerate(times) if i != 3)


def test_debiting_logger_2_keeps_the_last_120_local_midnights(driven):
    meter = driven
    _, _, daily = expected_snapshots()
    logger = meter.read("0-0:98.2.0.255")
    assert logger.columns[0] == "0-0:1.0.0.255" and logger.capture_period == 86400
    got = [(row[0], *row[2:]) for row in logger.rows]
    assert got == daily[-120:]
    assert any(row[0].isoformat() == "2028-02-29T00:00:00+01:00" for row in logger.rows)
