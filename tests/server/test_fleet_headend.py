"""The head-end sweep of benchmarks/fleet.py, run against a served fleet: every meter answers it right.

The sweep is gurux-dlms's HLS-GMAC management association with each meter's keys derived from the fleet
secret, then the clock, A+, a day of load profile by range and the last debiting entry by entry.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from k351c import Fleet, MeterConfig
from k351c.clock import SimClock, parse_instant
from k351c.meter.energy import PRIMARY
from k351c.server.fleet import FleetPasswords, FleetServer
from testkit import ServedFleet, bound_block

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from fleet_headend import HeadEnd, sweep  # noqa: E402

N = 6
START = parse_instant("2026-02-28T00:00:00Z").timestamp()
SERVED_AT = START + 86400 + 6 * 3600  # 1 March 06:00: one debiting stop, a whole day of profile


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    state = tmp_path_factory.mktemp("headend")
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    sockets = bound_block(N)
    server = FleetServer(
        fleet, SimClock(SERVED_AT, rate=0), dlms_base_port=min(sockets), state=state, tick=0.2
    )
    running = ServedFleet(server, sockets)
    yield running, min(sockets), state
    running.stop()


def test_every_meter_answers_the_sweep_with_its_own_keys_twice(served):
    running, base, state = served
    fleet = running.server.fleet
    passwords = FleetPasswords(state, test_keys=False)
    head_end = HeadEnd(lambda i: passwords.keys(fleet.serial(i)), datetime(2026, 2, 28, tzinfo=UTC))
    head_end.learn(base, 0)
    for _ in range(2):  # the second round's invocation counters continue the first's
        reads, _ = sweep(head_end, [(base + i, i) for i in range(N)], threads=3)
        assert [r.error for r in reads] == [""] * N
        assert all(r.ok for r in reads)
    assert [r.energy for r in reads] == [fleet.registers(i, PRIMARY)[0, 0] for i in range(N)]
    assert {r.profile_rows for r in reads} == {96}
    assert {r.clock.value.year for r in reads} == {2026}


def test_a_meter_with_another_meters_keys_fails_the_sweep(served):
    running, base, state = served
    fleet = running.server.fleet
    passwords = FleetPasswords(state, test_keys=False)
    head_end = HeadEnd(lambda i: passwords.keys(fleet.serial(0)), datetime(2026, 2, 28, tzinfo=UTC))
    head_end.model = {"unused": None}
    read = head_end.sweep_meter(base + 1, 1)
    assert not read.ok and read.error
