"""The M-Bus listener on TCP, read by pyMeterBus over pyserial's socket:// transport."""

from __future__ import annotations

import asyncio
import os
import select
import threading
import tty
from collections.abc import Iterator
from decimal import Decimal

import meterbus
import pytest
import serial

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.protocols.mbus.header import Identification
from k351c.protocols.mbus.master import (
    parse_reply,
    req_ud2,
    search_secondary,
    set_primary_address,
    snd_nke,
)
from k351c.server.mbus import MBusBus, MeterBackend, serve_mbus_bus, serve_mbus_serial
from k351c.store import MemoryStore

ACK = b"\xe5"


def make_meter(serial_number: str = "7012345678", store=None) -> Meter:
    """A meter with a 068 module and a pulse input in m3, one simulated hour of load, frozen clock."""
    config = MeterConfig.from_codes(
        config1="3-1-068-13-2", config3="00-0-01-0-02-001-001-01", serial=serial_number
    )
    meter = Meter(
        config, clock=SimClock("2026-03-01T10:00:00Z", rate=0), store=store or MemoryStore()
    )
    meter.set_load(ConstantLoad(230.0, (5.0, 4.0, 3.0), 25.0))
    meter.run_for(3600)
    meter.function("io").pulse(1234)
    return meter


class Loop:
    """An asyncio loop in a thread, hosting servers for blocking clients."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.servers: list[asyncio.AbstractServer] = []

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)

    def close(self) -> None:
        async def shutdown() -> None:
            for server in self.servers:
                server.close()
            await asyncio.sleep(0.05)

        self.run(shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(2)


@pytest.fixture
def loop() -> Iterator[Loop]:
    runner = Loop()
    yield runner
    runner.close()


def start(loop: Loop, meters: list[Meter]) -> tuple[serial.Serial, MBusBus]:
    """Serve the meters on one TCP bus; a pyserial socket:// port connected to it."""
    server, bus = loop.run(serve_mbus_bus(meters, "127.0.0.1", 0))
    loop.servers.append(server)
    port = server.sockets[0].getsockname()[1]
    line = serial.serial_for_url(f"socket://127.0.0.1:{port}", timeout=0.3)
    return line, bus


def value(meter: Meter, obis: str) -> Decimal:
    reading = meter.read(obis)
    return Decimal(str(reading.value)) * (1000 if reading.unit.startswith("k") else 1)


def test_pymeterbus_reads_the_meter_registers(loop: Loop) -> None:
    meter = make_meter()
    line, _ = start(loop, [meter])
    meterbus.send_ping_frame(line, 0)
    assert meterbus.recv_frame(line, 1) == ACK
    meterbus.send_request_frame(line, 0)
    frame = meterbus.load(meterbus.recv_frame(line, meterbus.FRAME_DATA_LENGTH))
    assert frame.secondary_address == "123456782D2C0102"
    assert frame.manufacturer == "KAM"
    records = frame.records
    energy = [r for r in records if r.unit == "Wh"]
    assert energy[0].value == value(meter, "1-0:1.8.0.255") > 0
    assert energy[1].value == value(meter, "1-0:2.8.0.255")
    watts = [r for r in records if r.unit == "W"]
    assert watts[0].value == round(value(meter, "1-0:1.7.0.255") - value(meter, "1-0:2.7.0.255"))
    volts = [float(r.value) for r in records if r.unit == "V"]
    amps = [float(r.value) for r in records if r.unit == "A"]
    assert volts == pytest.approx(
        [float(value(meter, f"1-0:{c}.7.0.255")) for c in (32, 52, 72)], abs=0.05
    )
    assert amps == pytest.approx(
        [float(value(meter, f"1-0:{c}.7.0.255")) for c in (31, 51, 71)], abs=0.0005
    )
    assert [r.value for r in records if r.unit == "date time"] == [
        "2026-03-01T12:00"
    ]  # local time, GMT+1
    pulse = [r for r in records if r.unit == "m^3"]
    assert float(pulse[-1].value) == pytest.approx(float(value(meter, "0-0:128.11.1.255")))
    line.close()


def test_tariff_and_reactive_records_match_our_parser(loop: Loop) -> None:
    meter = make_meter()
    line, _ = start(loop, [meter])
    line.write(req_ud2(0))
    telegram = parse_reply(meterbus.recv_frame(line, meterbus.FRAME_DATA_LENGTH))
    energy = {
        (r.vib[0] & 0x7F, r.tariff, len(r.vib)): r.value
        for r in telegram.records
        if r.vib[0] & 0x7F == 0x03 or r.vib[0] == 0xFB
    }
    assert energy[(0x03, 0, 1)] == value(meter, "1-0:1.8.0.255")
    for tariff in range(1, 5):
        assert energy[(0x03, tariff, 1)] == value(meter, f"1-0:1.8.{tariff}.255")
    assert telegram.header.status == 0
    line.close()


def test_primary_address_change_is_persisted(loop: Loop) -> None:
    store = MemoryStore()
    meter = make_meter(store=store)
    line, bus = start(loop, [meter])
    line.write(set_primary_address(0, 17))
    assert line.read(1) == ACK
    meterbus.send_ping_frame(line, 17)
    assert meterbus.recv_frame(line, 1) == ACK
    assert MeterBackend(meter).primary_address == 17
    line.close()


def test_fcb_toggles_the_access_number_and_repeat_refreshes(loop: Loop) -> None:
    meter = make_meter()
    line, bus = start(loop, [meter])
    line.write(snd_nke(0))
    assert line.read(1) == ACK
    numbers = []
    for fcb in (True, False, False):
        line.write(req_ud2(0, fcb))
        numbers.append(
            parse_reply(meterbus.recv_frame(line, meterbus.FRAME_DATA_LENGTH)).header.access_number
        )
    assert numbers[1] == numbers[0] + 1 and numbers[2] == numbers[1]
    line.close()


def test_secondary_selection_with_wildcards_and_search_on_a_shared_bus(loop: Loop) -> None:
    meters = [make_meter(f"701234567{i}") for i in range(3)]
    line, bus = start(loop, meters)
    meterbus.send_select_frame(line, "3456756FFFFFFFFF".replace("56F", "FFF")[:8] + "2D2C0102")
    assert line.read(1) == b""
    meterbus.send_select_frame(line, "12345671FFFFFFFF")
    assert meterbus.recv_frame(line, 1) == ACK
    meterbus.send_request_frame(line, 253)
    assert meterbus.load(
        meterbus.recv_frame(line, meterbus.FRAME_DATA_LENGTH)
    ).secondary_address.startswith("12345671")
    found = search_secondary(bus.transact)
    assert [i.ident for i in found] == [12345670, 12345671, 12345672]
    assert found[0] == Identification(12345670, "KAM", 1, 2)
    line.close()


def test_serial_line_on_a_pty(loop: Loop) -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    meter = make_meter()
    line = loop.run(serve_mbus_serial(MBusBus([meter]), os.ttyname(slave)))
    loop.servers.append(line)
    try:
        heard = b""
        for _ in range(25):  # the server flushes its input when it opens the port: retry until it listens
            os.write(master, snd_nke(0))
            if select.select([master], [], [], 0.2)[0]:
                heard = os.read(master, 1)
                break
        assert heard == ACK
    finally:
        os.close(master)
        os.close(slave)
