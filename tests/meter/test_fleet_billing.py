"""Demand and billing of a fleet from its arrays: equal to the single meter, no twin, persisted.

Each case runs a fleet and, for chosen meters, ``Meter(view.config, clock=SimClock(T0), load=view.load)``
the same way (CT change, commanded stop), then compares every demand and billing object: the 8 peaks
with capture time and status, accumulated peaks, threshold counter, hour counter, stop counter, the
debiting logger, debiting logger 2 and every F=101 value.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import pytest

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes.settings import Debiting
from k351c.meter.billing import DEBITING_LOGGER, DEBITING_LOGGER_2, LAST_PERIOD_F, STOP_COUNTER
from k351c.meter.demand import ACCUMULATED, PEAKS, THRESHOLD_COUNTER
from k351c.meter.hours import HOUR_COUNTER
from k351c.meter.readings import Profile

T0 = parse_instant("2026-02-27T00:00:00Z").timestamp()
DAY = 86400.0


def _codes(objects) -> list[str]:
    """Every demand and billing object a fleet meter serves from the arrays."""
    wanted = {str(o[0]) for o in PEAKS.values()} | {str(o) for o in ACCUMULATED.values()}
    wanted |= {str(THRESHOLD_COUNTER), str(HOUR_COUNTER), str(STOP_COUNTER)}
    wanted |= {str(DEBITING_LOGGER), str(DEBITING_LOGGER_2)}
    out = [str(d.obis) for d in objects if str(d.obis) in wanted or d.obis.f == LAST_PERIOD_F]
    assert len(out) >= len(wanted) + 20  # the F=101 values are there too
    return out


def _config(gg=None, hh=None, minute=None, minutes=15) -> MeterConfig:
    config = MeterConfig.default()
    if minutes != 15:
        code = {5: "3-1-000-00-1", 30: "3-1-000-00-3", 60: "3-1-000-00-4"}[minutes]
        config = MeterConfig.from_codes(config1=code, serial=config.serial)
    debiting = Debiting(target_day=gg, interval=hh, execution_time=minute)
    return dataclasses.replace(config, settings=dataclasses.replace(config.settings, debiting=debiting))


def _assert_same(view, twin) -> None:
    codes = _codes(twin.objects)
    differ = [c for c in codes if view.read(c) != twin.read(c)]
    assert differ == [], {c: (view.read(c), twin.read(c)) for c in differ[:3]}


def _twin(view, t0: float, steps) -> Meter:
    twin = Meter(view.config, clock=SimClock(t0, rate=0), load=view.load)
    for what in steps:
        what(twin)
    return twin


@pytest.mark.parametrize(
    ("gg", "hh", "minute", "minutes", "t0", "days"),
    [
        (None, None, None, 15, T0, 35),  # the configuration's GG/HH: 1 March and 1 April
        (3, 1, "06:00", 15, T0, 9),  # day 3 of every month at 06:00
        (2, 2, None, 60, T0, 4),  # every second month from January: 2 March
        (28, 6, "23:45", 30, parse_instant("2026-03-20T00:00:00Z").timestamp(), 12),  # DST
        (0, 0, None, 15, T0, 3),  # externally controlled: commanded stops only
        (None, None, None, 5, T0, 3),  # 5-minute periods close inside the 15-minute load grid
    ],
    ids=["configured", "day-3-06h", "bimonthly-60min", "march-dst-30min", "external", "5min"],
)
def test_demand_and_billing_objects_equal_the_single_meter(gg, hh, minute, minutes, t0, days):
    fleet = Fleet(_config(gg, hh, minute, minutes), meters=3, clock=SimClock(t0, rate=0))
    stop_at = t0 + 2 * DAY + 700.0  # inside an outage of meter 2 and inside an interval
    fleet.add_outage(stop_at - 3000.0, stop_at + 4000.0, [2])  # across the commanded stop
    fleet.run_for(DAY + 650.0)
    fleet.meter(1).set_ct_ratio(1000)
    fleet.run_for(stop_at - fleet.t)
    fleet.meter(0).function("billing").debiting_stop("script")
    fleet.meter(2).function("billing").debiting_stop("script")
    fleet.run_for(t0 + days * DAY + 1234.0 - fleet.t)  # read inside an interval
    end = fleet.t
    assert len(fleet.twins) == 0
    for i in range(3):
        view = fleet.meter(i)
        steps = [lambda m: m.run_for(DAY + 650.0)]
        if i == 1:
            steps.append(lambda m: m.set_ct_ratio(1000))
        steps.append(lambda m: m.run_for(stop_at - m.true_t))
        if i != 1:
            steps.append(lambda m: m.function("billing").debiting_stop(source="script"))
        steps.append(lambda m: m.run_for(end - m.true_t))
        _assert_same(view, _twin(view, t0, steps))
    rows = fleet.meter(0).read(str(DEBITING_LOGGER)).rows
    assert len(rows) >= 1 and fleet.meter(0).read("1-0:1.6.0.255").value > 0


def test_reading_the_last_debiting_entry_of_1000_meters_builds_no_twin():
    fleet = Fleet(MeterConfig.default(), meters=1000, clock=SimClock(T0, rate=0))
    fleet.run_for(3 * DAY)  # across the 1 March stop
    last = []
    elapsed = 0.0
    for i in range(fleet.n):
        view = fleet.meter(i)  # meter i's own view: its values, nothing shared with the others
        started = time.perf_counter()
        last.append(view.read(str(DEBITING_LOGGER)).rows[-1])
        elapsed += time.perf_counter() - started
    assert len(fleet.twins) == 0
    assert elapsed < 5.0, elapsed
    a_plus = [row[7] for row in last]
    assert len(set(a_plus)) > 900  # every meter its own registers
    assert all(row[3] == 1 for row in last)  # the stop counter column
    when = parse_instant("2026-03-01T00:00:00+01:00")
    assert {row[0] for row in last} == {when}


def test_billing_state_survives_a_restart(tmp_path):
    one = Fleet(MeterConfig.default(), meters=3, clock=SimClock(T0, rate=0))
    one.run_for(2 * DAY + 1000.0)
    one.meter(1).function("billing").debiting_stop("web")
    one.run_for(500.0)
    one.save(tmp_path / "f.npz")
    two = Fleet.load(tmp_path / "f.npz")
    assert two.billing.commands == one.billing.commands
    for fleet in (one, two):
        fleet.advance_to(T0 + 33 * DAY)
        fleet.t = T0 + 33 * DAY
    for i in range(3):
        for code in _codes(one.meter(i).objects):
            assert two.meter(i).read(code) == one.meter(i).read(code), code
    assert one.meter(1).read(str(STOP_COUNTER)).value == 3


def test_an_older_layout_is_migrated_with_a_warning(tmp_path, caplog):
    import json

    fleet = Fleet(MeterConfig.default(), meters=2, clock=SimClock(T0, rate=0))
    fleet.run_for(3 * DAY)
    fleet.save(tmp_path / "f.npz")
    with np.load(tmp_path / "f.npz") as data:
        arrays = {k: v for k, v in data.items() if not k.startswith("billing_")}
    meta = json.loads(bytes(arrays["meta"]).decode()) | {"version": 3}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "g.npz", **arrays)
    with caplog.at_level(logging.WARNING):
        old = Fleet.load(tmp_path / "g.npz")
    assert "layout version 3" in caplog.text
    assert np.array_equal(old.counts, fleet.counts)
    assert old.meter(0).read(str(STOP_COUNTER)).value == 0
    old.advance_to(T0 + 33 * DAY)  # the next stop (1 April) still comes
    assert old.meter(0).read(str(STOP_COUNTER)).value == 1


def test_a_debiting_time_off_the_interval_grid_is_refused():
    from k351c.errors import ConfigError

    with pytest.raises(ConfigError, match="debiting minute"):
        Fleet(_config(1, 1, "06:10"), meters=2, clock=SimClock(T0, rate=0))


def test_peaks_follow_the_threshold_written_to_one_meter():
    fleet = Fleet(MeterConfig.default(), meters=2, clock=SimClock(T0, rate=0))
    view = fleet.meter(1)
    view.objects.lookup("0-0:128.10.1.255").set(0.0)
    fleet.run_for(DAY)
    assert fleet.meter(1).read(str(THRESHOLD_COUNTER)).value == 96
    assert fleet.meter(0).read(str(THRESHOLD_COUNTER)).value < 96
    assert isinstance(view.read(str(DEBITING_LOGGER_2)), Profile)


def test_power_failures_come_from_the_outages_with_the_log_reset_journaled():
    fleet = Fleet(MeterConfig.default(), meters=2, clock=SimClock(T0, rate=0))
    fleet.add_outage(T0 + 1000.0, T0 + 1100.0, [0])  # short
    fleet.add_outage(T0 + 5000.0, T0 + 6000.0, [0, 1])  # long
    fleet.add_outage(T0 + 5500.0, T0 + 7000.0, [0])  # overlapping: one failure with the one before
    fleet.add_outage(T0 + 20000.0, T0 + 20400.0, [0])
    fleet.run_for(10000.0)
    fleet.meter(0).objects.lookup("1-0:99.97.0.255").reset()
    fleet.run_for(DAY - 10000.0)
    twin = Meter(fleet.meter(0).config, clock=SimClock(T0, rate=0), load=fleet.meter(0).load)
    twin.run_for(10000.0)
    twin.objects.lookup("1-0:99.97.0.255").reset()
    twin.run_for(DAY - 10000.0)
    fleet.twins.forget(np.arange(2))  # the values below come from the outages, not a twin
    codes = ["0-0:96.7.0.255", "0-0:96.7.5.255", "0-0:96.7.128.255", "0-0:96.7.19.255"]
    codes += ["0-0:96.7.15.255", "1-0:99.97.0.255"]
    for code in codes:
        assert fleet.meter(0).read(code) == twin.read(code), code
    assert len(fleet.twins) == 0
    assert fleet.meter(0).read("0-0:96.7.0.255").value == 3
    assert len(fleet.meter(0).read("1-0:99.97.0.255").rows) == 1  # the reset dropped two
    assert fleet.meter(1).read("0-0:96.7.5.255").value == 1
