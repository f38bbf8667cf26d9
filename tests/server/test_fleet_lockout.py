"""Failed authentication of a fleet meter is counted per meter outside its endpoint: wrong LLS passwords
lock the meter even when its endpoint was dropped from the cache between attempts, and after a restart."""

from __future__ import annotations

import pytest
from gurux_client import GuruxSession
from gurux_dlms import GXDLMSException

from k351c import MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes.server import ServerSettings
from k351c.meter.fleet import Fleet
from k351c.server.fleet import FleetServer
from testkit import ServedFleet, bound_block

START = parse_instant("2026-03-01T00:00:00Z").timestamp()
N = 8
LOCKOUT = ServerSettings(auth_free_attempts=3, auth_lockout_after=3, auth_lockout_period=3600.0)


def _serve(state, clock: SimClock) -> tuple[ServedFleet, int]:  # noqa: ANN001
    sockets = bound_block(N)
    base = min(sockets)
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    server = FleetServer(
        fleet, clock, dlms_base_port=base, state=state, test_keys=True, tick=0.05, cache=1, settings=LOCKOUT
    )
    return ServedFleet(server, sockets), base


def _associates(port: int, password: str) -> bool:
    session = GuruxSession(port, client_sap=32, password=password)
    try:
        session.connect()
    except GXDLMSException:
        return False
    session.close()
    return True


@pytest.mark.parametrize("meter", [5])
def test_wrong_passwords_lock_a_fleet_meter_across_evictions_and_a_restart(tmp_path, meter):
    clock = SimClock(START + 600, rate=0)
    running, base = _serve(tmp_path, clock)
    try:
        for attempt in range(3):
            assert not _associates(base + meter, f"0000000{attempt}")
            assert _associates(base + 2, "12345678")  # meter 2's endpoint evicts meter 5's (cache of 1)
        assert len(running.server.views) == 1
        assert not _associates(base + meter, "12345678"), "locked out: even the right password is refused"
        assert _associates(base + 3, "12345678")  # other meters are not locked
    finally:
        running.stop()
    running, base = _serve(tmp_path, clock)
    try:
        assert not _associates(base + meter, "12345678"), "the lockout survives a restart"
        clock.jump(3601)
        assert _associates(base + meter, "12345678")
    finally:
        running.stop()


def test_two_free_failures_and_a_success_leave_no_lock(tmp_path):
    clock = SimClock(START + 600, rate=0)
    running, base = _serve(tmp_path, clock)
    try:
        for _ in range(2):
            assert not _associates(base + 1, "99999999")
        assert _associates(base + 1, "12345678")
        for _ in range(2):
            assert not _associates(base + 1, "99999999")
        assert _associates(base + 1, "12345678")  # the success reset the run: 2 + 2 failures never lock
    finally:
        running.stop()
