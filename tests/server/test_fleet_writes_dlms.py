"""Writes to a fleet meter's twin-carried values outlive its twin and a restart (gurux-dlms, HLS-GMAC).

The undervoltage limit of a fleet meter is computed by its single-meter twin (k351c.meter.fleet_twin);
its writes are journaled (k351c.meter.fleet_writes), saved with the fleet's state and replayed into a
rebuilt twin. The alarm register is kept in the fleet's tamper arrays (k351c.meter.fleet_tamper),
saved with the state too. A management client writes them, the twin is dropped, the
fleet is stopped and started again from its state, and the client reads the written values back.
"""

from __future__ import annotations

from gurux_dlms.enums import DataType
from gurux_dlms.objects import GXDLMSData, GXDLMSProfileGeneric, GXDLMSRegister
from gurux_secure import SecureSession

from k351c import Fleet, MeterConfig
from k351c.clock import SimClock, parse_instant
from k351c.server.fleet import STATE_FILE, FleetServer
from testkit import ServedFleet, bound_block

N = 4
START = parse_instant("2026-02-27T00:00:00Z").timestamp()
AT = START + 2 * 86400
ALARMS, UNDERVOLTAGE = "0.0.97.98.0.255", "1.0.12.31.0.255"
ANALYSIS, MANUAL_LIST = "1.0.99.2.0.255", "0.0.21.0.2.255"


def _serve(state, fleet: Fleet) -> tuple[ServedFleet, int]:
    sockets = bound_block(N)
    server = FleetServer(
        fleet,
        SimClock(fleet.t, rate=0),
        dlms_base_port=min(sockets),
        state=state,
        test_keys=True,
        tick=0.2,
    )
    return ServedFleet(server, sockets), min(sockets)


def _read(port: int) -> tuple[int, float]:
    session = SecureSession(port)
    session.connect()
    try:
        register = GXDLMSRegister(UNDERVOLTAGE)
        session.read(register, 3)
        return int(session.read(GXDLMSData(ALARMS), 2)), float(session.read(register, 2))
    finally:
        session.close()


def _write(port: int, alarms: int, volts: float) -> list[int]:
    session = SecureSession(port)
    session.connect()
    try:
        alarm = GXDLMSData(ALARMS)
        session.read(alarm, 2)
        alarm.value = alarms
        register = GXDLMSRegister(UNDERVOLTAGE)
        session.read(register, 3)
        session.read(register, 2)
        register.value = round(volts * 10)  # 0.1 V units on the wire (scaler -1)
        register.setDataType(2, DataType.UINT16)
        return [session.write(alarm, 2).error, session.write(register, 2).error]
    finally:
        session.close()


def test_twin_value_writes_outlive_the_twin_and_a_restart(tmp_path):
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    fleet.advance_to(AT)
    running, base = _serve(tmp_path, fleet)
    try:
        before = _read(base + 1)
        assert _write(base + 2, 6, 200.0) == [0, 0]
        assert _read(base + 2) == (6, 200.0)
        running.server.fleet.twins.forget([2])  # dropped from the cache: rebuilt from the journal
        assert _read(base + 2) == (6, 200.0)
    finally:
        running.stop()
    restored = Fleet.load(tmp_path / STATE_FILE, MeterConfig.default())
    assert len(restored.writes) == 0  # the limit is in the quality arrays, the alarms in the tamper's
    running, base = _serve(tmp_path, restored)
    try:
        assert _read(base + 2) == (6, 200.0)
        assert _read(base + 1) == before  # the other meters were not written
    finally:
        running.stop()


def _settings(port: int) -> tuple[int, int, int]:
    """Analysis logger: capture objects and period; manual display list: its entries."""
    session = SecureSession(port)
    session.connect()
    try:
        analysis, manual = GXDLMSProfileGeneric(ANALYSIS), GXDLMSProfileGeneric(MANUAL_LIST)
        session.read(analysis, 3)
        session.read(manual, 3)
        return (
            len(analysis.captureObjects),
            int(session.read(analysis, 4)),
            len(manual.captureObjects),
        )
    finally:
        session.close()


def test_logger_and_display_list_settings_outlive_the_twin_and_a_restart(tmp_path):
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    fleet.advance_to(AT)
    running, base = _serve(tmp_path, fleet)
    try:
        default = _settings(base + 2)
        session = SecureSession(base + 2)
        session.connect()
        try:
            analysis, manual = GXDLMSProfileGeneric(ANALYSIS), GXDLMSProfileGeneric(MANUAL_LIST)
            session.read(analysis, 3)
            session.read(manual, 3)
            analysis.captureObjects = analysis.captureObjects[:2]
            analysis.capturePeriod = 60
            manual.captureObjects = manual.captureObjects[:-1]  # keeps the legal readings
            assert [session.write(analysis, 3).error, session.write(analysis, 4).error] == [0, 0]
            assert session.write(manual, 3).error == 0
        finally:
            session.close()
        written = (2, 60, default[2] - 1)
        assert _settings(base + 2) == written != default
        running.server.fleet.twins.forget([2])
        assert _settings(base + 2) == written
    finally:
        running.stop()
    running, base = _serve(tmp_path, Fleet.load(tmp_path / STATE_FILE, MeterConfig.default()))
    try:
        assert _settings(base + 2) == written
        assert _settings(base + 1) == default
    finally:
        running.stop()


def test_a_refused_write_is_not_journaled(tmp_path):
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    fleet.advance_to(AT)
    running, base = _serve(tmp_path, fleet)
    try:
        errors = _write(base + 3, 1, 240.0)  # above the nominal 230 V: no undervoltage limit
        assert errors[0] == 0 and errors[1] != 0
        assert len(running.server.fleet.writes.of(3)) == 0
        assert _read(base + 3)[0] == 1  # the alarm register's write was made
    finally:
        running.stop()
