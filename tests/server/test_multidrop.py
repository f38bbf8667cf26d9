"""RS-485 multidrop: three meters on one HDLC bus (TCP), polled in turn by gurux over one connection."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSData

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.errors import ConfigError
from k351c.protocols.hdlc.frame import Address, Command, Control, HdlcFrame
from k351c.server.keys import KeyStore
from k351c.server.multidrop import meter_endpoint, serve_multidrop

SERIALS = ("71000001", "71000002", "71000003")


@pytest.fixture
def bus():
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    meters = []
    for serial in SERIALS:
        meter = Meter(
            MeterConfig.from_codes(config1="3-1-072-00-2", serial=serial),
            clock=SimClock("2026-01-01T00:00:00Z", rate=0),
        )
        meter.set_load(ConstantLoad(230.0, 1.0))
        meters.append(meter)
    endpoints = [meter_endpoint(m, KeyStore(None, test_keys=True)) for m in meters]
    server = asyncio.run_coroutine_threadsafe(
        serve_multidrop(endpoints, "127.0.0.1", 0), loop
    ).result(5)
    yield server.sockets[0].getsockname()[1], endpoints
    loop.call_soon_threadsafe(server.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(2)


def test_head_end_polls_each_meter_in_turn_on_one_connection(bus) -> None:
    port, endpoints = bus
    first = GuruxSession(port, hdlc=True, physical=endpoints[0].physical_address)
    try:
        for endpoint, serial in zip(endpoints, SERIALS, strict=True):
            session = GuruxSession(port, hdlc=True, physical=endpoint.physical_address)
            session.sock.close()
            session.sock = first.sock
            session.connect()
            assert session.read(GXDLMSData("0.0.96.1.0.255"), 2) == serial
            session.request(session.client.releaseRequest())
            session.request([session.client.disconnectRequest()])
    finally:
        first.sock.close()


def test_other_addresses_and_all_station_get_no_answer(bus) -> None:
    port, endpoints = bus
    with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
        for physical in (999, 0x3FFF):
            snrm = HdlcFrame(Address(1, physical, 4), Address(16), Control(Command.SNRM))
            sock.sendall(snrm.to_bytes())
            with pytest.raises(TimeoutError):
                sock.recv(100)


def test_duplicate_physical_addresses_are_refused() -> None:
    meter = Meter(MeterConfig.from_codes(serial="71000001"), clock=SimClock(rate=0))
    with pytest.raises(ConfigError):
        asyncio.run(
            serve_multidrop(
                [meter_endpoint(meter, KeyStore(None)), meter_endpoint(meter, KeyStore(None))], "127.0.0.1", 0
            )
        )
