"""A fleet of 1,000 meters in one process, read over DLMS by the independent gurux client."""

from __future__ import annotations

import numpy as np
import pytest
from gurux_client import GuruxSession
from gurux_dlms import GXDLMSException
from gurux_dlms.objects import GXDLMSClock, GXDLMSData, GXDLMSProfileGeneric, GXDLMSRegister

from k351c import MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes.tables import CT_PRIMARY
from k351c.errors import ConfigError
from k351c.meter.energy import PRIMARY, SECONDARY
from k351c.meter.fleet import Fleet
from k351c.server.dlms_peers import HdlcPeer
from k351c.server.fleet import FleetPasswords, FleetServer, raise_file_limit
from testkit import ServedFleet, bound_block

CT_RATIOS = np.array(sorted(CT_PRIMARY.values()))  # every ratio configuration 5 SSS encodes

N = 1000
START = "2026-03-01T00:00:00Z"


@pytest.fixture(scope="module")
def fleet_server(tmp_path_factory):
    start = parse_instant(START).timestamp()
    fleet = Fleet(MeterConfig.default(), meters=N, start=start, ct_primary=CT_RATIOS[np.arange(N) % CT_RATIOS.size])
    fleet.add_outage(start + 86400 + 3600, start + 86400 + 5400, np.arange(100, 150))
    clock = SimClock(start + 2 * 86400 + 600, rate=0)
    sockets = bound_block(2 * N + 2)
    base = min(sockets)
    hdlc_base, shared, shared_hdlc = base + N, base + 2 * N, base + 2 * N + 1
    server = FleetServer(
        fleet,
        clock,
        dlms_base_port=base,
        hdlc_base_port=hdlc_base,
        shared_port=shared,
        shared_hdlc_port=shared_hdlc,
        state=tmp_path_factory.mktemp("fleet"),
        test_keys=True,
        tick=0.2,
        cache=64,
    )
    running = ServedFleet(server, sockets)
    yield running, base
    running.stop()


def _physical(fleet: Fleet, i: int) -> int:
    return int(fleet.serial(i)) % 10000 + 1000


def _read_energy(session: GuruxSession) -> float:
    register = GXDLMSRegister("1.0.1.8.0.255")
    session.read(register, 3)
    return session.read(register, 2)


@pytest.mark.parametrize("i", [0, 1, 137, 512, N - 1])
def test_sample_of_meters_on_their_own_ports(fleet_server, i):
    running, base = fleet_server
    fleet = running.server.fleet
    s = GuruxSession(base + i)
    s.connect()
    try:
        name = s.read(GXDLMSData("0.0.42.0.0.255"), 2)
        assert bytes(name).decode() == "KAM" + fleet.serial(i)
        serial = s.read(GXDLMSData("0.0.96.1.0.255"), 2)
        assert str(serial) == fleet.serial(i)
        assert _read_energy(s) == fleet.registers(i, PRIMARY)[0, 0]
        clock = GXDLMSClock("0.0.1.0.0.255")
        s.read(clock, 2)
        assert clock.time.value.timestamp() == pytest.approx(fleet.t, abs=1)
    finally:
        s.close()


def test_reading_client_reads_secondary_energy_ct_ratio_and_load_profile(fleet_server):
    running, base = fleet_server
    fleet, i = running.server.fleet, 321
    s = GuruxSession(base + i, client_sap=32, password="12345678")
    s.connect()
    try:
        register = GXDLMSRegister("1.1.1.8.0.255")
        s.read(register, 3)
        assert s.read(register, 2) == fleet.registers(i, SECONDARY)[0, 0]
        assert s.read(GXDLMSData("1.0.0.4.2.255"), 2) == fleet.ct_primary[i]
        profile = GXDLMSProfileGeneric("1.0.99.1.0.255")
        s.read(profile, 3)
        s.read(profile, 2)
        rows = fleet.profile(i)
        assert len(profile.buffer) == len(rows)
        assert [int(v) for v in profile.buffer[-1][2:]] == list(rows[-1][2:])
    finally:
        s.close()


def test_wrong_password_is_refused(fleet_server):
    running, base = fleet_server
    with pytest.raises(GXDLMSException):
        GuruxSession(base + 5, client_sap=32, password="00000000").connect()


@pytest.mark.parametrize("i", [3, 777])
def test_hdlc_port_per_meter(fleet_server, i):
    running, base = fleet_server
    fleet = running.server.fleet
    s = GuruxSession(base + N + i, hdlc=True, physical=_physical(fleet, i))
    s.connect()
    try:
        assert _read_energy(s) == fleet.registers(i, PRIMARY)[0, 0]
    finally:
        s.close()


@pytest.mark.parametrize("i", [0, 42, N - 1])
def test_shared_wrapper_port_routes_by_destination_wport(fleet_server, i):
    running, base = fleet_server
    fleet = running.server.fleet
    s = GuruxSession(base + 2 * N)
    s.client.serverAddress = i + 1
    s.connect()
    try:
        assert str(s.read(GXDLMSData("0.0.96.1.0.255"), 2)) == fleet.serial(i)
        assert _read_energy(s) == fleet.registers(i, PRIMARY)[0, 0]
    finally:
        s.close()


@pytest.mark.parametrize("i", [9, 600])
def test_shared_hdlc_port_routes_by_physical_address(fleet_server, i):
    running, base = fleet_server
    fleet = running.server.fleet
    s = GuruxSession(base + 2 * N + 1, hdlc=True, physical=_physical(fleet, i))
    s.connect()
    try:
        assert str(s.read(GXDLMSData("0.0.96.1.0.255"), 2)) == fleet.serial(i)
    finally:
        s.close()


def test_feeder_outage_shows_in_the_logs_over_dlms(fleet_server):
    running, base = fleet_server
    fleet, i = running.server.fleet, 120
    s = GuruxSession(base + i, client_sap=32, password="12345678")
    s.connect()
    try:
        log = GXDLMSProfileGeneric("1.0.99.97.0.255")
        s.read(log, 3)
        s.read(log, 2)
        assert len(log.buffer) == 1 and int(log.buffer[0][1]) == 1800
        events = GXDLMSProfileGeneric("0.0.99.98.0.255")
        s.read(events, 3)
        s.read(events, 2)
        assert [int(row[1]) for row in events.buffer] == [1, 2]
    finally:
        s.close()
    flagged = [row for row in fleet.profile(i) if row[1] & 0x80]
    assert len(flagged) == 2


def test_view_cache_stays_bounded(fleet_server):
    running, _ = fleet_server
    assert len(running.server.views) <= 64


def test_state_saved_and_restored(tmp_path):
    start = parse_instant(START).timestamp()
    fleet = Fleet(MeterConfig.default(), meters=20, start=start)
    fleet.advance_to(start + 86400 * 2 + 100)
    fleet.save(tmp_path / "fleet.npz")
    again = Fleet.load(tmp_path / "fleet.npz")
    assert np.array_equal(again.counts, fleet.counts) and again.t == fleet.t
    assert again.profile(3) == fleet.profile(3)


def test_passwords_are_per_meter_and_persist(tmp_path):
    first = FleetPasswords(tmp_path, test_keys=False)
    again = FleetPasswords(tmp_path, test_keys=False)
    assert first.password("100") == again.password("100") != first.password("101")
    assert FleetPasswords(None, test_keys=True).password("100") == "12345678"


def test_file_limit_refuses_impossible_port_counts():
    with pytest.raises(ConfigError, match="listening ports"):
        raise_file_limit(10**9)


def test_routed_hdlc_peer_resolves_complete_frames_and_keeps_partial_ones():
    from gurux_dlms import GXDLMSClient
    from gurux_dlms.enums import Authentication, InterfaceType

    client = GXDLMSClient(
        True,
        16,
        GXDLMSClient.getServerAddress(1, 1001),
        Authentication.NONE,
        None,
        InterfaceType.HDLC,
    )
    frame = bytes(client.snrmRequest())
    called: list[int] = []
    peer = HdlcPeer(route=lambda physical: called.append(physical))
    assert peer.feed(frame[:5], 0.0) == b""
    assert called == []
    assert peer.feed(frame[5:] + frame[:5], 0.0) == b""
    assert called == [1001]
    assert bytes(peer.scan) == frame[:5]
