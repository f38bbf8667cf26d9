"""The optical port on a serial line: a pty pair stands in for the optical head's cable."""

from __future__ import annotations

import asyncio
import json
import os
import select
import sys
import threading
import tty

import pytest

from k351c import Meter, MeterConfig, SimClock
from k351c.cli.tool import OpticalSession
from k351c.server.keys import KeyStore
from k351c.server.optical import OpticalPort, serve_serial
from k351c.server.runtime import Runtime

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")


class PtyLine:
    """The tool's Line on the master side of the pty (the baud rate is the slave's business)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.bauds: list[int] = []

    def write(self, data: bytes) -> None:
        """Send bytes to the meter."""
        os.write(self.fd, data)

    def read(self, timeout: float) -> bytes:
        """Bytes from the meter within timeout."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        return os.read(self.fd, 4096) if ready else b""

    def set_baud(self, baud: int) -> None:
        """Remember the switch."""
        self.bauds.append(baud)

    def close(self) -> None:
        """The test closes the fd."""


@pytest.fixture
def serial_meter():
    """A meter serving its optical protocol on the slave side of a pty; yields the master fd."""
    master, slave = os.openpty()
    tty.setraw(master)
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    runtime = Runtime(meter, keys=KeyStore(None, test_keys=True))
    loop = asyncio.new_event_loop()
    opened = threading.Event()

    async def main() -> None:
        runtime.stopping = asyncio.Event()
        await serve_serial(OpticalPort(runtime), os.ttyname(slave), lambda line: opened.set())

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert opened.wait(5)
    try:
        yield meter, master
    finally:
        loop.call_soon_threadsafe(runtime.stopping.set)
        thread.join(5)
        loop.close()
        os.close(master)
        os.close(slave)


def test_readout_and_programming_over_a_serial_line(serial_meter) -> None:
    meter, master = serial_meter
    line = PtyLine(master)
    session = OpticalSession(line, timeout=3.0)
    lines = session.readout()
    assert lines[0].address == "0-0:96.1.0" and lines[0].value == "12345678"
    assert line.bauds[-2:] == [19200, 300]
    session = OpticalSession(line, timeout=3.0)
    session.login("12345678")
    session.write("0-0:96.1.0", "11223344")
    session.close()
    assert meter.config.serial == "11223344"


def test_trace_records_the_serial_line_like_a_tcp_listener(tmp_path) -> None:
    """DESIGN.md: --trace writes every frame of every listener; the optical head's serial line is one."""
    from k351c.server.bench import Bench, bench_options

    master, slave = os.openpty()
    tty.setraw(master)
    device = os.ttyname(slave)
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    runtime = Runtime(meter, keys=KeyStore(None, test_keys=True))
    trace = tmp_path / "trace.jsonl"
    runtime.bench = Bench(bench_options(trace=trace), meter.clock.timestamp)
    loop = asyncio.new_event_loop()
    opened = threading.Event()

    async def main() -> None:
        runtime.stopping = asyncio.Event()
        await serve_serial(OpticalPort(runtime), device, lambda line: opened.set())

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    try:
        assert opened.wait(5)
        lines = OpticalSession(PtyLine(master), timeout=3.0).readout()
        assert lines[0].value == "12345678"
    finally:
        loop.call_soon_threadsafe(runtime.stopping.set)
        thread.join(5)
        loop.close()
        runtime.bench.close()
        os.close(master)
        os.close(slave)
    records = [json.loads(text) for text in trace.read_text().splitlines()]
    seen = [(r["direction"], r["decoded"].get("message")) for r in records if r["direction"] in ("in", "out")]
    assert seen[:4] == [("in", "Request"), ("out", "Identification"), ("in", "OptionSelect"), ("out", "Readout")]
    assert {r["listener"] for r in records} == {f"optical:{device}"}


class RecordingLine:
    """The transport/writer subset of a serial line, recording what reached it and when."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.transport = self

    def write(self, data: bytes) -> None:
        """Record the bytes."""
        self.sent.append(data)

    async def drain(self) -> None:
        """Nothing buffered."""

    def is_closing(self) -> bool:
        """Never closing."""
        return False

    def get_extra_info(self, name: str, default=None):  # noqa: ANN001, ANN201
        """No peer name."""
        return default


def test_serial_drain_waits_for_the_link_delayed_answer_before_a_baud_change() -> None:
    """With --link-latency the answer leaves later; the baud switch after drain() must not overtake it."""
    from k351c.server.bench import Bench, bench_options
    from k351c.server.optical import LineWriter

    async def scenario() -> tuple[list[bytes], float]:
        bench = Bench(bench_options(link_latency=60.0))
        tap = bench.tap("optical:/dev/ttyX", "optical", 0)
        line = RecordingLine()
        writer = LineWriter(line, tap.connect(line))
        loop = asyncio.get_running_loop()
        start = loop.time()
        writer.write(b"/KAM6\\2K351C\r\n")
        await writer.drain()
        return list(line.sent), loop.time() - start

    sent, waited = asyncio.run(scenario())
    assert sent == [b"/KAM6\\2K351C\r\n"]
    assert waited >= 0.055
