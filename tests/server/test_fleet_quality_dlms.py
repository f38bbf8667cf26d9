"""A head-end sets a fleet meter's undervoltage limit and resets its L1 maximum over DLMS (gurux-dlms, HLS-GMAC).

The served fleet meter has a sag scheduled (a voltage event of its load): 95 % of its voltage, above
the default 207 V limit but below the 225 V the client writes. The fleet's clock then moves on, and
gurux reads the counters, the duration, the minimum and the maximum reached since the reset; each
equals what a single ``Meter`` on the same load, written and reset at the same instants, shows.
"""

from __future__ import annotations

import time

import pytest
from gurux_dlms.enums import DataType
from gurux_dlms.objects import GXDLMSData, GXDLMSExtendedRegister, GXDLMSRegister
from gurux_secure import SecureSession

from k351c import Fleet, Meter, MeterConfig
from k351c.clock import SimClock, parse_instant
from k351c.server.fleet import FleetServer
from testkit import ServedFleet, bound_block

N = 3
START = parse_instant("2026-03-02T00:00:00Z").timestamp()
AT = START + 86400.0 + 437.0  # inside an interval
LATER = AT + 3 * 3600.0 + 11.0
LIMIT, MINIMUM, MAXIMUM = "1.0.12.31.0.255", "1.0.32.3.0.255", "1.0.32.6.0.255"
COUNT, DURATION = "1.0.32.32.0.255", "1.0.32.33.0.255"


def _write_limit_and_reset(port: int, volts: float) -> tuple[int, int, float]:
    session = SecureSession(port)
    session.connect()
    try:
        limit = GXDLMSRegister(LIMIT)
        session.read(limit, 3)
        session.read(limit, 2)
        limit.value = round(volts * 10)  # 0.1 V units on the wire (scaler -1)
        limit.setDataType(2, DataType.UINT16)
        written = session.write(limit, 2).error
        maximum = GXDLMSExtendedRegister(MAXIMUM)
        session.read(maximum, 3)
        reset = session.request(maximum.reset(session.client)).error
        return written, reset, float(session.read(limit, 2))
    finally:
        session.close()


def _read(port: int) -> dict[str, object]:
    session = SecureSession(port)
    session.connect()
    try:
        out: dict[str, object] = {}
        for code in (LIMIT, MINIMUM, DURATION):
            register = GXDLMSRegister(code)
            session.read(register, 3)
            out[code] = session.read(register, 2)
        out[COUNT] = session.read(GXDLMSData(COUNT), 2)
        maximum = GXDLMSExtendedRegister(MAXIMUM)
        session.read(maximum, 3)
        out[MAXIMUM] = session.read(maximum, 2)
        out["reached"] = session.read(maximum, 5)
        return out
    finally:
        session.close()


def test_a_limit_written_and_a_maximum_reset_over_dlms_act_as_on_the_single_meter(tmp_path):
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    fleet.add_voltage_event(AT + 1800.0, AT + 5400.0, [1], (1,), 0.95)
    fleet.add_voltage_event(AT + 7000.0, AT + 7030.0, [1], (1,), 0.9)  # too short to count
    fleet.advance_to(AT)
    sockets = bound_block(N)
    clock = SimClock(fleet.t, rate=0)
    server = FleetServer(fleet, clock, dlms_base_port=min(sockets), state=tmp_path, test_keys=True, tick=0.1)
    running, port = ServedFleet(server, sockets), min(sockets) + 1
    try:
        assert _write_limit_and_reset(port, 225.0) == (0, 0, 225.0)
        assert _read(port)[MAXIMUM] == 0  # nothing measured since the reset
        clock.set(LATER)
        deadline = time.monotonic() + 30
        while running.server.fleet.t < LATER and time.monotonic() < deadline:
            time.sleep(0.05)
        read = _read(port)
    finally:
        running.stop()
    view = fleet.meter(1)
    single = Meter(view.config, clock=SimClock(START, rate=0), load=view.load)
    single.run_for(AT - START)
    single.objects.lookup("1-0:12.31.0.255").set(2250)
    single.objects.lookup("1-0:32.6.0.255").reset()
    single.run_for(LATER - AT)
    assert read[COUNT] == single.read("1-0:32.32.0.255").value == 1  # the short one did not count
    assert read[DURATION] == single.read("1-0:32.33.0.255").value == 3600
    assert float(read[LIMIT]) == pytest.approx(225.0)
    assert float(read[MINIMUM]) == pytest.approx(single.read("1-0:32.3.0.255").value, abs=0.05)
    assert float(read[MINIMUM]) < 225.0 * 0.99
    maximum = single.read("1-0:32.6.0.255")
    assert float(read[MAXIMUM]) == pytest.approx(maximum.value, abs=0.05)
    assert read["reached"].value.timestamp() == maximum.captured.timestamp() >= AT
