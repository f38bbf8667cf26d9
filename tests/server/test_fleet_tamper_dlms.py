"""A served fleet meter's tamper registers over DLMS (gurux-dlms, HLS-GMAC): read, cleared, kept.

The fleet's tamper arrays (k351c.meter.fleet_tamper) answer the error and alarm registers and the
event store the fraud log; gurux reads them on the meter whose cover was opened, clears its alarm
register by a write, and reads the cleared value back after a restart from the fleet's state.
"""

from __future__ import annotations

from gurux_dlms.objects import GXDLMSData, GXDLMSProfileGeneric
from gurux_secure import SecureSession

from k351c import Fleet, MeterConfig
from k351c.clock import SimClock, parse_instant
from k351c.meter.tamper import Alarm
from k351c.server.fleet import STATE_FILE, FleetServer
from testkit import ServedFleet, bound_block

N = 3
START = parse_instant("2026-02-27T00:00:00Z").timestamp()
ERRORS, ALARMS, FRAUD = "0.0.97.97.0.255", "0.0.97.98.0.255", "0.0.99.98.1.255"


def _serve(state, fleet: Fleet) -> tuple[ServedFleet, int]:
    sockets = bound_block(N)
    server = FleetServer(
        fleet, SimClock(fleet.t, rate=0), dlms_base_port=min(sockets), state=state, test_keys=True, tick=0.2
    )
    return ServedFleet(server, sockets), min(sockets)


def _registers(port: int, clear: bool = False) -> tuple[int, int, list[int], int | None]:
    """Error register, alarm register, fraud-log codes, and the write's error when ``clear``."""
    session = SecureSession(port)
    session.connect()
    try:
        alarm = GXDLMSData(ALARMS)
        values = int(session.read(GXDLMSData(ERRORS), 2)), int(session.read(alarm, 2))
        fraud = GXDLMSProfileGeneric(FRAUD)
        session.read(fraud, 3)
        codes = [int(row[1]) for row in session.read(fraud, 2)]
        written = None
        if clear:
            alarm.value = 0
            written = session.write(alarm, 2).error
        return (*values, codes, written)
    finally:
        session.close()


def test_gurux_reads_and_clears_the_alarm_register_of_a_tampered_fleet_meter(tmp_path):
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    fleet.advance_to(START + 3600.0)
    fleet.set_tamper("meter_cover", opened=True, meters=[1])
    fleet.advance_to(START + 7200.0)
    fleet.set_tamper("meter_cover", opened=False, meters=[1])
    fleet.advance_to(START + 86400.0)
    running, base = _serve(tmp_path, fleet)
    try:
        cover = int(Alarm.METER_COVER)
        assert _registers(base + 1, clear=True) == (cover, cover, [44, 45], 0)
        assert _registers(base + 1) == (cover, 0, [44, 45], None)  # the error stays latched
        assert _registers(base + 0) == (0, 0, [], None)
    finally:
        running.stop()
    restored = Fleet.load(tmp_path / STATE_FILE, MeterConfig.default())
    running, base = _serve(tmp_path, restored)
    try:
        assert _registers(base + 1) == (int(Alarm.METER_COVER), 0, [44, 45], None)
    finally:
        running.stop()
