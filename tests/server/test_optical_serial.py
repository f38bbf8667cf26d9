"""The optical port on a serial line: a pty pair stands in for the optical head's cable."""

from __future__ import annotations

import asyncio
import json
import os
import select
import sys
import threading
import tty
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from k351c import Meter, MeterConfig, SimClock
from k351c.cli.tool_session import OpticalSession
from k351c.server.bench.link import runtime_tap
from k351c.server.keys import KeyStore
from k351c.server.optical import OpticalPort
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
    with serial_loop(OpticalPort(runtime), os.ttyname(slave)):
        yield meter, master
    os.close(master)
    os.close(slave)


@contextmanager
def serial_loop(port: OpticalPort, device: str) -> Iterator[None]:
    """The optical port served on ``device`` by an event loop in a thread, until the block ends."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    tap = runtime_tap(port.runtime, f"optical:{device}", "optical")
    line = asyncio.run_coroutine_threadsafe(port.serve_serial(device, tap), loop).result(5)
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(_close(line), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


async def _close(line) -> None:  # noqa: ANN001
    line.close()
    await line.wait_closed()


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
    try:
        with serial_loop(OpticalPort(runtime), device):
            lines = OpticalSession(PtyLine(master), timeout=3.0).readout()
        assert lines[0].value == "12345678"
    finally:
        runtime.bench.close()
        os.close(master)
        os.close(slave)
    records = [json.loads(text) for text in trace.read_text().splitlines()]
    seen = [(r["direction"], r["decoded"].get("message")) for r in records if r["direction"] in ("in", "out")]
    assert seen[:4] == [("in", "Request"), ("out", "Identification"), ("in", "OptionSelect"), ("out", "Readout")]
    assert {r["listener"] for r in records} == {f"optical:{device}"}


class RecordingSerial:
    """The pyserial port of a line: records when its baud rate changes."""

    port = "/dev/ttyX"
    baudrate, bytesize, parity = 300, 7, "E"

    def __init__(self, loop: asyncio.AbstractEventLoop, sent: list) -> None:
        self.loop, self.sent = loop, sent

    def flush(self) -> None:
        """tcdrain: nothing is buffered here."""

    def __setattr__(self, name: str, value) -> None:  # noqa: ANN001
        if name == "baudrate":
            self.sent.append(("baud", value))
        object.__setattr__(self, name, value)


class RecordingTransport(asyncio.Transport):
    """A serial transport that records what reached the line, in order with the baud rate changes."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.sent: list = []
        self.serial = RecordingSerial(loop, self.sent)

    def write(self, data: bytes) -> None:
        """Record the bytes."""
        self.sent.append(("data", data))

    def get_write_buffer_size(self) -> int:
        """Written at once."""
        return 0

    def is_closing(self) -> bool:
        """Never closing."""
        return False

    def pause_reading(self) -> None:
        """Nothing to pause."""

    def resume_reading(self) -> None:
        """Nothing to resume."""

    def get_extra_info(self, name: str, default=None):  # noqa: ANN001, ANN201
        """The serial port, no peer name."""
        return self.serial if name == "serial" else default


def test_serial_line_change_waits_for_the_link_delayed_answer() -> None:
    """With --link-latency the answer leaves later; the baud switch after it must not overtake it."""
    from k351c.server.bench import Bench, bench_options, tapped_protocol
    from k351c.server.transport import SessionProtocol

    class Answer:
        partial = False

        def __init__(self, link) -> None:  # noqa: ANN001
            self.link = link

        def feed(self, data: bytes, now: float) -> bytes:
            self.link.write(b"/KAM6\\2K351C\r\n")
            self.link.set_line(9600, False)
            return b""

        def poll(self, now: float) -> bytes:
            return b""

        def release(self) -> None:
            pass

    async def scenario() -> tuple[list, float]:
        loop = asyncio.get_running_loop()
        bench = Bench(bench_options(link_latency=60.0))
        tap = bench.tap("optical:/dev/ttyX", "optical", 0)
        transport = RecordingTransport(loop)
        protocol = tapped_protocol(tap, lambda: SessionProtocol(Answer, "optical", None))()
        protocol.connection_made(transport)
        start = loop.time()
        protocol.data_received(b"/?!\r\n")
        while len(transport.sent) < 2 and loop.time() - start < 2:
            await asyncio.sleep(0.005)
        return transport.sent, loop.time() - start

    sent, waited = asyncio.run(scenario())
    assert sent == [("data", b"/KAM6\\2K351C\r\n"), ("baud", 9600)]
    assert waited >= 0.055
