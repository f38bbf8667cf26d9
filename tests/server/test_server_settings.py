"""One ServerSettings for the listeners and the COSEM setup objects: what a head-end reads is what the link does."""

from __future__ import annotations

import pytest
import typer
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSHdlcSetup, GXDLMSTcpUdpSetup

from k351c import Meter, MeterConfig, SimClock
from k351c.cli import serve as serve_cli
from k351c.codes.server import ServerSettings, flag_fields
from k351c.errors import ConfigError
from k351c.server.fleet import fleet_settings
from k351c.server.runtime import Runtime
from testkit import ServedMeter, serve


def start(**settings) -> ServedMeter:
    """A default meter with wrapper and HDLC listeners on ports bound to 0 and these settings."""
    return serve(**settings)


@pytest.mark.parametrize("physical", [None, 17], ids=["serial-rule", "set"])
def test_hdlc_setup_device_address_is_the_address_the_link_answers(physical) -> None:
    running = start(physical_address=physical, hdlc_inactivity=90)
    try:
        answered = physical if physical is not None else 1000 + 12345678 % 10000
        settings = running.runtime.settings
        s = GuruxSession(settings.hdlc_port, 32, "12345678", hdlc=True, physical=answered)
        s.connect()
        try:
            setup = GXDLMSHdlcSetup("0.0.22.0.0.255")
            assert s.read(setup, 9) == answered
            assert s.read(setup, 8) == 90
        finally:
            s.close()
    finally:
        running.stop()


def test_tcp_udp_setup_shows_the_limits_the_listener_enforces() -> None:
    running = start()
    try:
        settings = running.runtime.settings
        assert settings.max_connections == 64 and settings.tcp_inactivity == 300
        s = GuruxSession(settings.dlms_port, 32, "12345678")
        s.connect()
        try:
            setup = GXDLMSTcpUdpSetup("0.0.25.0.0.255")
            assert s.read(setup, 2) == settings.dlms_port
            assert s.read(setup, 5) == settings.max_connections
            assert s.read(setup, 6) == settings.tcp_inactivity
        finally:
            s.close()
    finally:
        running.stop()


def test_runtime_settings_are_validated() -> None:
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-03-01T00:00:00Z", rate=0))
    with pytest.raises(ConfigError, match="max_connections"):
        Runtime(meter, settings={"max_connections": 300})
    with pytest.raises(ConfigError, match="did you mean 'dlms_port'"):
        Runtime(meter, settings={"dlms_prot": 1})
    assert Runtime(meter).settings == ServerSettings()


def test_serve_flags_are_derived_from_the_schema() -> None:
    app = typer.Typer()
    app.command()(serve_cli.serve)
    command = typer.main.get_command(app)
    params = {p.opts[0]: p for p in command.params if p.param_type_name == "option"}
    for name, flag in flag_fields().items():
        info = ServerSettings.model_fields[name]
        assert flag in params, f"[server] {name} has no flag {flag}"
        assert params[flag].help.startswith(info.description)
        assert params[flag].default == info.default
    assert {"--dlms-port", "--hdlc-port", "--max-connections", "--serial", "--host"} <= set(
        flag_fields().values()
    )


def test_fleet_flags_of_server_keys_are_the_schema_s() -> None:
    from k351c.cli.fleet import fleet

    app = typer.Typer()
    app.command()(fleet)
    command = typer.main.get_command(app)
    params = {p.opts[0]: p for p in command.params if p.param_type_name == "option"}
    for name in ("max_connections", "tcp_inactivity", "hdlc_inactivity"):
        info = ServerSettings.model_fields[name]
        flag = flag_fields()[name]
        assert params[flag].default == info.default and params[flag].help == info.description


def test_a_given_flag_wins_over_the_file_and_none_keeps_it() -> None:
    from_file = ServerSettings(max_connections=8, physical_address=40)
    merged = from_file.with_flags({"max_connections": 16, "physical_address": None})
    assert merged.max_connections == 16 and merged.physical_address == 40
    with pytest.raises(ConfigError, match="max_connections"):
        from_file.with_flags({"max_connections": 0})


def test_a_fleet_refuses_one_physical_address_for_many_meters() -> None:
    with pytest.raises(ConfigError, match="physical_address"):
        fleet_settings(ServerSettings(physical_address=40), 2)
    assert fleet_settings(ServerSettings(physical_address=40), 1).physical_address == 40


def test_bench_section_of_the_schema_has_the_bench_keys() -> None:
    from k351c.codes.schema import BenchSection
    from k351c.server.bench.options import BENCH_KEYS

    assert set(BenchSection.model_fields) == set(BENCH_KEYS)


def test_fleet_listeners_enforce_max_connections_of_the_file() -> None:
    import socket
    import time

    from k351c.meter.fleet import Fleet
    from k351c.server.fleet import FleetServer
    from testkit import ServedFleet, bound_block

    fleet = Fleet(MeterConfig.default(), meters=2, start=SimClock("2026-03-01T00:00:00Z").timestamp())
    sockets = bound_block(2)
    base = min(sockets)
    server = FleetServer(
        fleet,
        SimClock("2026-03-01T00:10:00Z", rate=0),
        dlms_base_port=base,
        test_keys=True,
        settings=ServerSettings(max_connections=2, tcp_inactivity=30),
    )
    running = ServedFleet(server, sockets)
    try:
        held = [socket.create_connection(("127.0.0.1", base), timeout=3) for _ in range(2)]
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", base), timeout=3) as extra:
            extra.settimeout(2)
            assert extra.recv(10) == b""  # the third is closed at once
        for sock in held:
            sock.close()
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", base), timeout=3) as again:
            again.settimeout(0.5)
            with pytest.raises(TimeoutError):
                again.recv(10)  # admitted: open and waiting for a request
    finally:
        running.stop()
