"""The optical port listener: pwitab reads our mode C readout over TCP, programming, lockout, mode E, fuzz."""

from __future__ import annotations

import asyncio
import math
import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from iec62056_21.client import Iec6205621Client
from iec62056_21.transports import TcpTransport

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.cli.tool_session import OpticalSession, TcpLine, ToolError
from k351c.protocols.iec62056_21 import Timing
from k351c.server.keys import KeyStore
from k351c.server.optical import OpticalPort
from k351c.server.optical_backend import Lockout
from k351c.server.runtime import Runtime

PASSWORD = "12345678"


class FakeTime:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def make_meter(days: float = 0.25, **codes: str) -> Meter:
    """A frozen-clock meter with some days of a 5 A inductive load behind it (from 28 January)."""
    meter = Meter(MeterConfig.from_codes(**codes), clock=SimClock("2026-01-28T00:00:00Z", rate=0))
    meter.set_load(ConstantLoad(current=5.0, angle=30.0))
    meter.run_for(days * 86400)
    return meter


@contextmanager
def optical_port(meter: Meter, **options) -> Iterator[tuple[Runtime, int]]:
    """The optical port of a runtime listening on a free loopback port in a background loop."""
    runtime = Runtime(meter, keys=KeyStore(None, test_keys=True))
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    found: dict[str, int] = {}

    async def main() -> None:
        runtime.stopping = asyncio.Event()
        server = await OpticalPort(runtime, **options).listen("127.0.0.1", 0)
        found["port"] = server.sockets[0].getsockname()[1]
        ready.set()
        await runtime.stopping.wait()
        server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(5)
    try:
        yield runtime, found["port"]
    finally:
        loop.call_soon_threadsafe(runtime.stopping.set)
        thread.join(5)
        loop.close()


def pwitab_readout(meter: Meter) -> tuple[Iec6205621Client, object]:
    """pwitab's mode C standard readout of the meter's optical port: its client and the readout."""
    with optical_port(meter) as (_, port):
        client = Iec6205621Client(TcpTransport(address=("127.0.0.1", port), timeout=5))
        client.connect()
        try:
            return client, client.standard_readout()
        finally:
            client.disconnect()


@contextmanager
def session(port: int, timeout: float = 3.0) -> Iterator[OpticalSession]:
    """Our tool's dialogue on the port."""
    s = OpticalSession(TcpLine("127.0.0.1", port, timeout), timeout=timeout)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module")
def meter() -> Meter:
    """One meter for the read-only tests, past the 1 February debiting stop."""
    return make_meter(days=6)


def _expected(meter: Meter, address: str) -> float | str:
    """What a readout line must say for an address, computed from meter.read."""
    reading = meter.read(address)
    value = reading.value
    if reading.unit in ("Wh", "varh"):
        return f"{math.floor(value / 10 + 1e-9) / 100:.2f}"
    if reading.unit in ("W", "var", "VA"):
        return f"{value / 1000:.3f}"
    if reading.scaler < 0:
        return f"{value:.{-reading.scaler}f}"
    return str(value)


def test_pwitab_reads_mode_c_readout_equal_to_meter_read(meter: Meter) -> None:
    client, readout = pwitab_readout(meter)
    assert client.manufacturer_id == "KAM"
    lines = {d.address: (d.value, d.unit) for d in readout.data if d.address}
    assert lines["0-0:96.1.0"] == ("12345678", None)
    assert lines["0-0:96.1.1"][0] == "685-35BC423-070"
    now = meter.read("0-0:1.0.0.255").value
    assert lines["0-0:0.9.1"][0] == now.strftime("%H:%M:%S")
    assert lines["0-0:0.9.2"][0] == now.strftime("%y-%m-%d")
    assert lines["1-0:1.8.0"] == (_expected(meter, "1-0:1.8.0.255"), "kWh")
    assert lines["1-0:3.8.0"] == (_expected(meter, "1-0:3.8.0.255"), "kvarh")
    assert lines["1-0:1.6.0"] == (_expected(meter, "1-0:1.6.0.255"), "kW")
    assert lines["1-0:32.7.0"] == (_expected(meter, "1-0:32.7.0.255"), "V")
    assert lines["1-0:31.7.0"] == (_expected(meter, "1-0:31.7.0.255"), "A")
    manual = [
        c for c in meter.config.display_table.manual if c not in ("0-0:1.0.0.255", "0-0:96.1.0.255")
    ]
    for code in manual:
        assert lines[code.removesuffix(".255")][0] == _expected(meter, code), code
    # debiting values of the last stop, VZ = the stop counter
    stops = meter.read("0-0:0.1.0.255").value
    last = meter.read("0-0:98.1.0.255")
    row = dict(zip(last.columns, last.rows[-1], strict=False))
    kwh = f"{math.floor(row['1-0:1.8.0.255'] / 10 + 1e-9) / 100:.2f}"
    assert lines[f"1-0:1.8.0*{stops}"] == (kwh, "kWh")


def test_programming_session_reads_and_writes(meter: Meter) -> None:
    fresh = make_meter()
    with optical_port(fresh) as (_, port), session(port) as s:
        s.login(PASSWORD)
        assert s.read("1-0:1.8.0")[0].value == _expected(fresh, "1-0:1.8.0.255")
        assert s.read("0-0:128.90.1")[0].value == "3-1-000-00-2"
        s.write("1-0:0.4.2", "400")
        s.write("0-0:96.1.0", "87654321")
        s.write("0-0:21.0.2", "1.8.0;2.8.0;")
        s.write("0-0:21.0.2", "0-0:1.0.0")
        s.write("0-0:1.0.0", "2026-03-01 12:00:00")
        manual = s.read("0-0:21.0.2")[0]
    assert fresh.ct_primary == 400
    assert fresh.config.serial == "87654321"
    assert fresh.config.display_table.manual == ("1-0:1.8.0.255", "1-0:2.8.0.255", "0-0:1.0.0.255")
    assert (manual.value, manual.more) == ("1-0:1.8.0", (("1-0:2.8.0", ""), ("0-0:1.0.0", "")))
    assert fresh.now.strftime("%Y-%m-%d %H:%M") == "2026-03-01 12:00"


def test_legal_data_is_refused_and_unchanged(meter: Meter) -> None:
    before = meter.read("1-0:1.8.0.255").value
    with optical_port(meter) as (_, port), session(port) as s:
        s.login(PASSWORD)
        with pytest.raises(ToolError, match="legal data"):
            s.write("1-0:1.8.0", "0")
        with pytest.raises(ToolError, match="legal data"):
            s.write("1-0:0.4.5", "1")
        with pytest.raises(ToolError, match="read only"):
            s.write("1-0:32.7.0", "1")
        with pytest.raises(ToolError, match="no 9-9:9.9.9"):
            s.read("9-9:9.9.9")
        with pytest.raises(ToolError, match="refused the value"):
            s.write("0-0:96.1.0", "12")
    assert meter.read("1-0:1.8.0.255").value == before
    assert meter.config.serial == "12345678"


def test_locked_ct_ratio_is_refused() -> None:
    meter = make_meter(config5="000-080-2-1")
    with optical_port(meter) as (_, port), session(port) as s:
        s.login(PASSWORD)
        with pytest.raises(ToolError, match="CT ratio is locked"):
            s.write("1-0:0.4.2", "400")
    assert meter.ct_primary == 400


def test_wrong_passwords_lock_programming_mode(meter: Meter) -> None:
    clock = FakeTime()
    with optical_port(meter, lockout=Lockout(clock, limit=3, duration=300)) as (_, port):
        for _ in range(3):
            with session(port) as s, pytest.raises(ToolError, match="wrong password"):
                s.login("00000000")
        with session(port) as s, pytest.raises(ToolError, match="locked"):
            s.login(PASSWORD)
        clock.t += 301
        with session(port) as s:
            s.login(PASSWORD)
            assert s.read("0-0:96.1.0")[0].value == "12345678"


def test_inactivity_ends_programming_mode(meter: Meter) -> None:
    timing = Timing(inactivity=0.3)
    with (
        optical_port(meter, timing=timing, idle_close=5) as (_, port),
        session(port, timeout=1.0) as s,
    ):
        s.login(PASSWORD)
        time.sleep(0.8)
        with pytest.raises(ToolError, match="did not answer"):
            s.read("0-0:96.1.0")


def test_idle_connection_is_closed(meter: Meter) -> None:
    with optical_port(meter, idle_close=0.3) as (_, port):
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            assert sock.recv(10) == b""


def _recv_until(sock: socket.socket, end: bytes) -> bytes:
    """Bytes up to and including `end`."""
    data = b""
    while not data.endswith(end):
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def test_random_bytes_never_crash_or_hang(meter: Meter) -> None:
    rng = random.Random(62056)
    alphabet = b"/?!\r\n\x01\x02\x03\x04\x06\x15PRWB0123456789().*;:-" + bytes(range(256))
    with optical_port(meter, timing=Timing(inter_character=0.05)) as (_, port):
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            for _ in range(200):
                blob = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))
                sock.sendall(blob)
            sock.settimeout(0.3)
            try:
                while sock.recv(65536):
                    pass
            except TimeoutError:
                pass
        with session(port) as s:
            lines = s.readout()
    assert any(line.address == "0-0:96.1.0" for line in lines)


def test_programming_writes_debiting_settings_and_power_threshold() -> None:
    fresh = make_meter()
    with optical_port(fresh) as (_, port), session(port) as s:
        s.login(PASSWORD)
        assert s.read("0-0:128.91.1")[0].value == "01"
        s.write("0-0:128.91.1", "15")
        s.write("0-0:128.91.2", "13")
        s.write("0-0:128.91.3", "06:30")
        s.write("0-0:128.10.1", "3.5")
        with pytest.raises(ToolError, match="refused the value"):
            s.write("0-0:128.91.1", "29")
        with pytest.raises(ToolError, match="refused the value"):
            s.write("0-0:128.91.3", "25:00")
        assert s.read("0-0:128.91.2")[0].value == "13"
    debiting = fresh.config.settings.debiting
    assert (debiting.target_day, debiting.interval, debiting.execution_time) == (15, 13, "06:30")
    assert fresh.config.settings.thresholds.power_threshold_w == 3500.0
    stop = fresh.localtime.to_local(fresh.function("billing").stops.next)
    assert (stop.year, stop.month, stop.day, stop.hour, stop.minute) == (2027, 1, 15, 6, 30)
    again = Meter(
        fresh.config.__class__.default(), clock=SimClock(fresh.t, rate=0), store=fresh.store
    )
    assert again.config.settings.debiting == debiting


def test_pwitab_programming_mode_on_the_real_optical_port() -> None:
    """pwitab's programming-mode dialogue against the served meter: P0, P1, R1, W1, legal refusal, B0."""
    from iec62056_21 import messages as pw_messages

    fresh = make_meter()
    before = fresh.read("1-0:1.8.0.255").value
    with optical_port(fresh) as (_, port):
        client = Iec6205621Client(TcpTransport(address=("127.0.0.1", port), timeout=5))
        client.connect()
        try:
            challenge = client.access_programming_mode()
            assert (challenge.command, challenge.command_type) == ("P", 0)
            wrong = pw_messages.CommandMessage("P", 1, pw_messages.DataSet(address="", value="12345679"))
            client.transport.send(wrong.to_bytes())
            assert client._recv_ack() == "\x15"  # NAK: the wrong password opens nothing
            login = pw_messages.CommandMessage("P", 1, pw_messages.DataSet(address="", value=PASSWORD))
            client.transport.send(login.to_bytes())
            assert client._recv_ack() == "\x06"
            energy = client.read_single_value("1-0:1.8.0")
            assert (energy.value, energy.unit) == (_expected(fresh, "1-0:1.8.0.255"), "kWh")
            client.write_single_value("1-0:0.4.2", "400")
            with pytest.raises(ValueError, match="invalid response"):
                client.write_single_value("1-0:1.8.0", "0")
            client.send_break()
        finally:
            client.disconnect()
    assert fresh.ct_primary == 400
    assert fresh.read("1-0:1.8.0.255").value == before
