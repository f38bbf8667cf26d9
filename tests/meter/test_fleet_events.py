"""The fleet's event store (k351c.meter.fleet_events): compact records, the single meter's logs and depths."""

from __future__ import annotations

import numpy as np
import pytest

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.errors import LocalProtocolError
from k351c.meter.eventlog import LOGS, EventCode
from k351c.meter.powerfail import CLOCK_DOUBTFUL, CLOCK_DST_ACTIVE, CLOCK_INVALID, PowerFail

T0 = parse_instant("2026-03-20T00:00:00Z").timestamp()
APRIL = parse_instant("2026-04-02T00:00:00Z").timestamp()
DEPTH = {spec.name: spec.depth for spec in LOGS}


def _fleet(n: int = 5) -> Fleet:
    return Fleet(MeterConfig.default(), meters=n, clock=SimClock(T0, rate=0))


def test_an_event_of_every_meter_is_one_record_and_each_code_goes_to_its_log():
    fleet = _fleet(1000)
    fleet.run_for(3600)
    fleet.events.record(T0 + 10, EventCode.END_OF_BILLING_PERIOD)
    fleet.events.record(T0 + 20, EventCode.TERMINAL_COVER_REMOVED, [3])
    fleet.events.record(T0 + 30, EventCode.UNDER_VOLTAGE_L2, np.arange(1000))
    assert len(fleet.events.logs["standard"]) == 1
    assert fleet.events.logs["power_quality"].meters == [None]  # every meter: one record
    assert fleet.events.rows(3, "fraud") == [(T0 + 20, 40)] and fleet.events.rows(4, "fraud") == []
    assert fleet.events.rows(999, "standard") == [(T0 + 10, 232)]
    assert fleet.events.last_code(999, "power_quality") == 78
    fleet.events.record(T0 + 40, 17)  # no log takes code 17
    assert fleet.events.rows(0, "standard") == [(T0 + 10, 232)]


def test_times_per_meter_are_grouped_by_instant_and_rows_are_in_time_then_record_order():
    fleet = _fleet()
    fleet.run_for(3600)
    fleet.events.record(np.array([T0 + 50, T0 + 5, T0 + 50]), EventCode.ASSOCIATION_AUTHENTICATION_FAILURE, [0, 1, 2])
    assert len(fleet.events.logs["fraud"]) == 2
    fleet.events.record(T0 + 5, EventCode.METER_COVER_REMOVED, [1])
    fleet.events.record(T0 + 1, EventCode.METER_COVER_CLOSED, [1])
    assert fleet.events.rows(1, "fraud") == [(T0 + 1, 45), (T0 + 5, 46), (T0 + 5, 44)]
    assert fleet.events.last_code(1, "fraud") == 44  # the last recorded at the last instant
    fleet.events.record(T0 + np.arange(5.0), EventCode.UNDER_VOLTAGE_L1)  # every meter, its own instant
    assert [fleet.events.rows(i, "power_quality") for i in (0, 4)] == [[(T0, 77)], [(T0 + 4, 77)]]
    with pytest.raises(LocalProtocolError):
        fleet.events.record(np.array([T0, T0 + 1]), EventCode.UNDER_VOLTAGE_L1, [1, 2, 3])


def test_the_log_keeps_the_single_meters_depth_and_drops_what_no_meter_shows():
    fleet = _fleet()
    fleet.run_for(86400)
    for j in range(2000):
        fleet.events.record(T0 + j, EventCode.CONFIGURATION_CHANGED, None if j % 2 else [j % 5])
    rows = fleet.events.rows(0, "standard")
    assert len(rows) == DEPTH["standard"] == 250
    assert rows[-1] == (T0 + 1999, 230) and rows[0][0] > T0 + 1000
    assert len(fleet.events.logs["standard"]) <= 2 * 512  # bounded
    assert fleet.events.last_code(4, "standard") == 230


def test_reset_empties_one_meters_log_and_keeps_its_last_code_and_capture_adds_it():
    fleet = _fleet()
    fleet.run_for(600)
    fleet.events.record(T0 + 100, EventCode.CT_RATIO_CHANGED, [1, 2])
    fleet.events.reset(1, "standard")
    assert fleet.events.rows(1, "standard") == [] and fleet.events.rows(2, "standard") == [(T0 + 100, 231)]
    assert fleet.events.last_code(1, "standard") == 231
    fleet.run_for(60)
    fleet.events.capture(1, "standard")
    assert fleet.events.rows(1, "standard") == [(T0 + 660, 231)]


def test_outage_edges_as_the_meter_sees_its_voltage_and_future_events_wait_for_their_time():
    fleet = _fleet()
    fleet.add_outage(T0 + 3600, T0 + 7200, [1, 2])
    fleet.add_outage(T0 + 5000, T0 + 9000, [2, 3])  # meter 2: one failure 3600..9000
    fleet.run_for(6000)
    assert fleet.events.rows(2, "standard") == [(T0 + 3600, 1)]
    fleet.run_for(4000)
    assert fleet.events.rows(1, "standard") == [(T0 + 3600, 1), (T0 + 7200, 2)]
    assert fleet.events.rows(2, "standard") == [(T0 + 3600, 1), (T0 + 9000, 2)]
    assert fleet.events.rows(3, "standard") == [(T0 + 5000, 1), (T0 + 9000, 2)]
    assert fleet.events.rows(0, "standard") == []


def test_summer_time_change_is_one_record_for_all_meters():
    fleet = _fleet(50)
    fleet.run_for(10 * 86400)
    spring = fleet.localtime.next_change(T0)
    assert [r for r in fleet.events.rows(49, "standard")] == [(spring, 3)]
    assert len(fleet.events.logs["standard"]) == 1


def test_the_store_survives_a_save_and_restore(tmp_path):
    fleet = _fleet()
    fleet.add_outage(T0 + 3600, T0 + 7200, [1])
    fleet.run_for(86400)
    fleet.meter(2).set_ct_ratio(1000)
    fleet.events.record(T0 + 9000, EventCode.REPLAY_ATTACK, [4])
    fleet.events.reset(1, "standard")
    fleet.save(tmp_path / "fleet.npz")
    again = Fleet.load(tmp_path / "fleet.npz", MeterConfig.default())
    for i in range(5):
        for spec in LOGS:
            assert again.events.rows(i, spec.name) == fleet.events.rows(i, spec.name)
            assert again.events.last_code(i, spec.name) == fleet.events.last_code(i, spec.name)
    assert again.events.rows(2, "standard") == [(T0 + 86400, 231)]
    assert again.events.last_code(1, "standard") == 2
    again.run_for(20 * 86400)
    assert [c for _, c in again.events.rows(0, "standard")] == [3, 232]  # 29 March, 1 April


WRITES = [  # (at, OBIS, method, argument): a voltage limit, a display list, analysis channels and period, power threshold
    (5000.0, "1-0:12.31.0.255", "set", 2100),
    (6000.0, "0-0:21.0.2.255", "set_columns", ["1-0:1.8.0.255", "1-0:2.8.0.255"]),
    (7000.0, "1-0:99.2.0.255", "set_columns", ["0-0:1.0.0.255", "1-0:32.7.0.255"]),
    (8000.0, "1-0:99.2.0.255", "set_period", 600),
    (8500.0, "0-0:128.10.1.255", "set", 40000),
]


def _write(target, run, writes) -> None:  # noqa: ANN001
    for at, obis, method, argument in writes:
        run(at)
        getattr(target.objects.lookup(obis), method)(argument)
    run(9000.0)


def test_settings_written_to_a_fleet_meter_log_configuration_changes_as_the_single_meter_does():
    fleet = _fleet(3)
    view = fleet.meter(1)
    _write(view, lambda at: fleet.run_for(T0 + at - fleet.t), WRITES)
    single = Meter(view.config, clock=SimClock(T0, rate=0), load=view.load)
    _write(single, lambda at: single.run_for(T0 + at - single.true_t), WRITES)
    expected = [(row[0].timestamp(), row[1]) for row in single.read("0-0:99.98.0.255").rows]
    assert fleet.events.rows(1, "standard") == expected == [(T0 + at, 230) for at, *_ in WRITES]
    assert fleet.events.rows(0, "standard") == []


def test_a_flat_battery_and_a_failure_longer_than_the_supercap_make_the_clock_invalid_as_in_powerfail():
    """The data sheet's options all carry a battery that lasts 10 years: a flat one is forced on both sides.

    (The RTC's standing still moves the single meter's time back; a fleet shares one clock and does not.)
    """
    fleet = Fleet(MeterConfig.default(), meters=2, clock=SimClock(APRIL, rate=0))
    fleet.battery = False
    fleet.add_outage(APRIL + 86400, APRIL + 9 * 86400, [1])  # 8 days: the supercap's 7 and one standing still
    fleet.run_for(10 * 86400)
    view = fleet.meter(1)
    single = Meter(view.config, clock=SimClock(APRIL, rate=0), load=view.load)
    single.function(PowerFail).battery = False
    single.run_for(10 * 86400)
    rows = [(row[0].timestamp(), row[1]) for row in single.read("0-0:99.98.0.255").rows]
    assert rows[0][1] == EventCode.REPLACE_BATTERY  # at the single meter's first step (none in a fleet)
    assert fleet.events.rows(1, "standard") == rows[1:] == [(APRIL + 86400, 1), (APRIL + 9 * 86400, 2), (APRIL + 9 * 86400, 6)]
    assert view.clock_status == single.clock_status == CLOCK_INVALID | CLOCK_DOUBTFUL | CLOCK_DST_ACTIVE
    assert fleet.meter(0).clock_status == CLOCK_DST_ACTIVE and fleet.events.rows(0, "standard") == []


def test_the_vectorised_summer_time_rule_is_the_scalar_one():
    lt = Fleet(MeterConfig.default(), meters=1, start=T0).localtime
    edges = [lt.next_change(T0 + year * 365.25 * 86400) for year in range(-3, 4)]
    edges += [lt.next_change(edge) for edge in edges]  # the autumn ones
    instants = np.concatenate([np.array(edges)[:, None] + np.array([-1.0, -0.25, 0.0, 0.5, 1.0]), [[T0, 1e9, 4e9, 0.0, 1.5]]])
    flat = instants.reshape(-1)
    assert lt.is_dst(flat).tolist() == [lt.is_dst(float(t)) for t in flat]
    assert lt.is_dst(instants).shape == instants.shape and lt.is_dst(flat).sum() > 10
    for edge in edges:  # each change flips it: on at the spring edge, off at the autumn edge
        assert lt.is_dst(np.array([edge - 1.0, edge])).tolist() in ([False, True], [True, False])
