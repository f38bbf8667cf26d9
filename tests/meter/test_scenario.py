"""Scenarios: parsing, the override load, the player, and a multi-month run checked against computed expectations."""

import pytest

from k351c import ConfigError, ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.eventlog import EventLogs
from k351c.meter.loadprofile import LoadProfile, ProfileStatus
from k351c.meter.powerfail import PowerFail
from k351c.meter.quality import VoltageQuality
from k351c.meter.scenario import Scenario, ScenarioLoad, ScenarioPlayer, Window
from k351c.meter.scenario_schema import parse_duration
from k351c.meter.tamper import Tamper

T0 = 1767225600.0  # 2026-01-01T00:00:00Z
DAY = 86400.0

SCENARIO = """
name = "quarter"
[scenario]
from = "2026-01-01T00:00:00Z"
to = "2026-04-01T00:00:00Z"
[load]
current = 2.0
[[events]]
at = "2026-01-05T06:00:00Z"
kind = "outage"
duration = "90s"
[[events]]
at = "2026-01-10T02:07:00Z"
kind = "outage"
duration = "5h"
[[events]]
at = "2026-02-01T10:00:00Z"
kind = "outage"
phases = [3]
duration = "30m"
[[events]]
at = "2026-02-03T12:00:00Z"
kind = "sag"
phases = [1]
voltage = 195.0
duration = "10m"
[[events]]
at = "2026-02-14T09:30:00Z"
kind = "tamper"
what = "terminal_cover"
duration = "15m"
[[events]]
at = "2026-03-01T00:00:00Z"
kind = "magnetic"
duration = "1h"
[[events]]
at = "2026-03-10T12:00:00Z"
kind = "clock"
shift = "-10m"
"""


def test_parse_duration():
    assert (
        parse_duration(90) == 90 and parse_duration("15m") == 900 and parse_duration("2h") == 7200
    )
    assert parse_duration("7d") == 7 * DAY
    with pytest.raises(ConfigError):
        parse_duration("soon")


def test_bad_scenarios_are_refused():
    with pytest.raises(ConfigError):
        Scenario.from_text('[[events]]\nat = "2026-01-01T00:00:00Z"\nkind = "earthquake"')
    with pytest.raises(ConfigError):
        Scenario.from_text('[[events]]\nat = "yesterday"\nkind = "outage"')
    with pytest.raises(ConfigError):
        Scenario.from_text(
            '[[events]]\nat = "2026-01-01T00:00:00Z"\nkind = "sag"\nphases = [4]\nvoltage = 1'
        )


def test_scenario_load_splits_and_overrides():
    load = ScenarioLoad(
        ConstantLoad(current=1.0),
        [Window(100, 200, (1,), voltage=0.0), Window(150, 300, current=(5.0, 6.0, 7.0))],
    )
    seg = load.segments(0, 400)
    assert list(seg.times) == [0, 100, 150, 200, 300, 400]
    assert seg.inputs.voltage[:, 1].tolist() == [230, 0, 0, 230, 230]
    assert seg.inputs.current[:, 2].tolist() == [1, 1, 7, 7, 1]
    assert load.segments(500, 600).times.tolist() == [500, 600]


def test_examples_parse():
    from pathlib import Path

    for path in Path(__file__).parents[2].joinpath("examples").glob("*.toml"):
        assert Scenario.from_toml(path).actions or Scenario.from_toml(path).windows


def test_a_quarter_year_against_computed_expectations():
    scenario = Scenario.from_text(SCENARIO)
    meter = Meter(
        MeterConfig.default(),
        clock=SimClock(scenario.start, rate=0),
        functions=[PowerFail(), VoltageQuality(), Tamper(), EventLogs(), LoadProfile()],
    )
    player = ScenarioPlayer(meter, scenario)
    t = scenario.start
    while t < scenario.end:
        t = min(t + 7 * DAY, scenario.end)
        player.advance_to(t)
    # time covered: the quarter plus the 10 minutes the clock was set back; 1380 W while supplied
    off_all = 90 + 5 * 3600
    seconds = scenario.end - scenario.start + 600
    expected_wh = (
        1380 * (seconds - off_all) - 460 * 1800 - 70 * 600
    ) / 3600  # L3 lost 30 min, L1 sag
    total = meter.read("1-1:1.8.0.255").value
    assert abs(total - expected_wh) <= 1
    rows = meter.function("load_profile").entries()
    assert sum(r[2] for r in rows) + meter.function("load_profile").running()[0] == total
    # one entry per 15 minutes, plus the two repeated by the clock set back 10 minutes
    assert len(rows) == (scenario.end - scenario.start) // 900 + 1
    powered_down = [r[0] for r in rows if r[1] & ProfileStatus.POWER_DOWN]
    outage1 = T0 + 4 * DAY + 6 * 3600
    outage2 = T0 + 9 * DAY + 2 * 3600 + 420
    assert powered_down[0] == outage1 + 900
    assert powered_down[1:] == [outage2 - 420 + 900 * k for k in range(1, 22)]
    full = [r for r in rows if r[1] == 0 and r[0] < T0 + 31 * DAY]
    assert all(r[2] in (344, 345, 346) for r in full)
    assert sum(1 for r in rows if r[1] & ProfileStatus.CLOCK_ADJUSTED) == 1
    # counters
    assert meter.read("0-0:96.7.128.255").value == 1 and meter.read("0-0:96.7.5.255").value == 1
    assert meter.read("0-0:96.7.19.255").value == 5 * 3600
    assert meter.read("1-0:72.40.0.255").value == 1  # the L3 loss; full outages are power failures
    assert (
        meter.read("0-0:96.7.21.255").value == 1
    )  # the L3 loss alone: outages are not phase failures
    assert meter.read("1-0:32.32.0.255").value == 1 and meter.read("1-0:32.33.0.255").value == 600
    # logs
    logs = meter.function("eventlog")
    standard = [c for _, c in logs.entries("standard")]
    assert standard == [1, 2, 1, 2, 4, 5, 3]  # summer time from 29 March
    assert [c for _, c in logs.entries("fraud")] == [40, 41, 42, 43]
    assert logs.entries("fraud")[0][0] == T0 + 44 * DAY + 9.5 * 3600
    quality = [c for _, c in logs.entries("power_quality")]
    assert quality == [
        88,
        92,
        77,
        83,
    ]  # L3 lost and back, L1 sag; full outages log in the standard log
    failures = meter.read("1-0:99.97.0.255").rows
    assert [(r[0].timestamp(), r[1]) for r in failures] == [(outage1, 90), (outage2, 18000)]
    assert meter.read("0-0:97.98.0.255").value == 0x0004 | 0x0200 | 0x0400
