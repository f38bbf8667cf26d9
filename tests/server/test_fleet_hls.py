"""Every fleet meter offers the management association: gurux-dlms HLS-GMAC (suite 0) with per-meter keys.

Keys: the lab keys with --test-keys; otherwise HKDF-SHA256 of the fleet secret over the serial number
(k351c.server.fleet_keys), printed by `k351c keys show --meter i`. Invocation counters are per meter
and persist across a restart of the fleet.
"""

from __future__ import annotations

import pytest
from gurux_client import GuruxSession
from gurux_dlms import GXDLMSException
from gurux_dlms.enums import Security
from gurux_dlms.objects import GXDLMSData, GXDLMSProfileGeneric, GXDLMSRegister
from gurux_secure import SecureSession, next_invocation_counter
from typer.testing import CliRunner

from k351c import Fleet, MeterConfig
from k351c.cli.main import app
from k351c.clock import SimClock, parse_instant
from k351c.meter.energy import PRIMARY
from k351c.server.fleet import FleetServer
from testkit import ServedFleet, bound_block

N = 12
START = parse_instant("2026-02-27T00:00:00Z").timestamp()


def _serve(state, test_keys: bool) -> tuple[ServedFleet, int]:
    fleet = Fleet(MeterConfig.default(), meters=N, start=START)
    sockets = bound_block(N)
    base = min(sockets)
    server = FleetServer(
        fleet,
        SimClock(START + 3 * 86400 + 600, rate=0),
        dlms_base_port=base,
        state=state,
        test_keys=test_keys,
        tick=0.2,
    )
    return ServedFleet(server, sockets), base


@pytest.fixture(scope="module")
def lab_fleet(tmp_path_factory):
    running, base = _serve(tmp_path_factory.mktemp("lab"), test_keys=True)
    yield running, base
    running.stop()


@pytest.mark.parametrize("i", [0, 7])
def test_management_client_reads_energy_and_the_debiting_logger_with_lab_keys(lab_fleet, i):
    running, base = lab_fleet
    fleet = running.server.fleet
    s = SecureSession(base + i, security=Security.AUTHENTICATION_ENCRYPTION)
    s.connect()
    try:
        register = GXDLMSRegister("1.0.1.8.0.255")
        s.read(register, 3)
        assert s.read(register, 2) == fleet.registers(i, PRIMARY)[0, 0]
        debiting = GXDLMSProfileGeneric("0.0.98.1.0.255")
        s.read(debiting, 3)
        s.read(debiting, 2)
        twin = fleet.meter(i).read("0-0:98.1.0.255")
        assert len(debiting.buffer) == len(twin.rows) >= 1  # the 1 March stop, over HLS
        title = s.read(GXDLMSData("0.0.43.1.0.255"), 2)
        assert int(title) >= 1  # the management client's counter was recorded for this meter
    finally:
        s.close()


def test_counters_are_per_meter(lab_fleet):
    running, base = lab_fleet
    before = next_invocation_counter(base + 3)
    s = SecureSession(base + 2)
    s.connect()
    s.close()
    assert next_invocation_counter(base + 3) == before
    assert next_invocation_counter(base + 2) > 1


def test_derived_keys_serve_hls_keys_show_prints_them_and_counters_survive_a_restart(tmp_path):
    running, base = _serve(tmp_path, test_keys=False)
    try:
        result = CliRunner().invoke(app, ["keys", "show", "--state", str(tmp_path), "--meter", "5"])
        assert result.exit_code == 0, result.output
        shown = dict(line.split()[:2] for line in result.output.splitlines() if line.strip())
        ek, ak = bytes.fromhex(shown["encryption_key"]), bytes.fromhex(shown["authentication_key"])
        assert shown["serial"] == running.server.fleet.serial(5)
        with pytest.raises(GXDLMSException, match="Authentication failure"):  # not the lab keys
            SecureSession(base + 5).connect()
        s = SecureSession(base + 5, ek=ek, ak=ak)
        s.connect()
        s.close()
        counter = next_invocation_counter(base + 5)
        other = CliRunner().invoke(app, ["keys", "show", "--state", str(tmp_path), "--meter", "6"])
        assert shown["encryption_key"] not in other.output
    finally:
        running.stop()
    running, base = _serve(tmp_path, test_keys=False)
    try:
        assert next_invocation_counter(base + 5) >= counter
        s = SecureSession(base + 5, ek=ek, ak=ak)
        s.connect()
        s.close()
        public = GuruxSession(base + 5)
        public.connect()
        public.close()
    finally:
        running.stop()


@pytest.mark.parametrize("dedicated", [False, True], ids=["global", "dedicated"])
def test_dlms_cosem_reads_a_fleet_meter_over_hls_gmac(lab_fleet, dedicated):
    from dlms_cosem import cosem, enumerations
    from dlms_cosem_client import hls_gmac_client

    from k351c.axdr.codec import decode_data

    running, base = lab_fleet
    fleet, i = running.server.fleet, 9
    client = hls_gmac_client(base + i, next_invocation_counter(base + i), dedicated=dedicated)
    attribute = cosem.CosemAttribute(
        enumerations.CosemInterface.REGISTER, cosem.Obis(1, 0, 1, 8, 0), 2
    )
    with client.session() as c:
        raw = c.get(attribute)
    value, _ = decode_data(raw, 0)
    assert value.value == fleet.registers(i, PRIMARY)[0, 0] > 0
