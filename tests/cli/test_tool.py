"""`k351c tool` against a live optical port: a full programming session over TCP, and its errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pandas as pd
import pytest
from typer.testing import CliRunner

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.cli.main import app
from k351c.cli.tool import display_chunks
from k351c.server.keys import KeyStore
from k351c.server.optical import OpticalPort
from k351c.server.runtime import Runtime

runner = CliRunner()


def _serve(meter: Meter) -> Iterator[int]:
    """Run the meter's optical port on a free port in a background loop; yield the port."""
    runtime = Runtime(meter, keys=KeyStore(None, test_keys=True))
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    found: dict[str, int] = {}

    async def main() -> None:
        runtime.stopping = asyncio.Event()
        server = await OpticalPort(runtime).listen("127.0.0.1", 0)
        found["port"] = server.sockets[0].getsockname()[1]
        ready.set()
        await runtime.stopping.wait()
        server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(5)
    try:
        yield found["port"]
    finally:
        loop.call_soon_threadsafe(runtime.stopping.set)
        thread.join(5)
        loop.close()


def _meter(**codes: str) -> Meter:
    """A frozen-clock meter with two days of load."""
    meter = Meter(MeterConfig.from_codes(**codes), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    meter.set_load(ConstantLoad(current=5.0, angle=20.0))
    meter.run_for(2 * 86400)
    return meter


@pytest.fixture
def meter() -> Meter:
    """A fresh meter per test (the tests write to it)."""
    return _meter()


@pytest.fixture
def tool(meter: Meter):
    """Run `k351c tool --port P --password ... <args>` against the meter."""
    gen = _serve(meter)
    port = next(gen)

    def run(*args: str, password: str = "12345678"):
        return runner.invoke(app, ["tool", "--port", str(port), "--password", password, *args])

    yield run
    gen.close()


def test_read_all_and_one(tool, meter: Meter) -> None:
    result = tool("read")
    assert result.exit_code == 0, result.output
    assert "0-0:96.1.0 12345678" in result.output
    one = tool("read", "1.8.0")
    wh = meter.read("1-0:1.8.0.255").value
    assert one.output.strip() == f"1-0:1.8.0 {int(wh / 10) / 100:.2f} kWh"
    lp = tool("read", "1-0:1.29.0.255")
    assert lp.exit_code == 0 and lp.output.startswith("1-0:1.29.0 ")


def test_full_programming_session(tool, meter: Meter, tmp_path) -> None:
    assert tool("set-ct", "400/5").exit_code == 0
    assert meter.ct_primary == 400
    assert tool("set-serial", "87654321").exit_code == 0
    assert meter.config.serial == "87654321"
    codes = [f"1-0:{c}.8.{t}" for c in (1, 2, 3, 4) for t in range(5)] + ["1-0:32.7.0", "0-0:1.0.0"]
    result = tool("display", "set", "manual", *codes)
    assert result.exit_code == 0, result.output
    assert meter.config.display_table.manual == tuple(f"{c}.255" for c in codes)
    shown = tool("display", "show", "manual")
    assert shown.output.strip() == "manual: " + " ".join(codes)
    assert tool("set-clock", "2026-02-01T10:00:00+01:00").exit_code == 0
    assert meter.now.isoformat() == "2026-02-01T10:00:00+01:00"
    out = tool("codes").output
    assert "type number: 685-35BC423-070" in out and "config5: 000-080-1-1" in out  # SSS follows the CT ratio set above
    csv = tmp_path / "lp.csv"
    result = tool("export", str(csv), "--from", "2026-01-02 00:00", "--to", "2026-01-02 23:45")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(csv)
    assert len(frame) == 96
    assert "1-0:1.29.0.255 [Wh]" in frame.columns
    parquet = tmp_path / "lp.parquet"
    assert tool("export", str(parquet)).exit_code == 0
    assert len(pd.read_parquet(parquet)) >= 96


def test_helpful_errors(tool, meter: Meter) -> None:
    wrong = tool("set-serial", "11111111", password="00000000")
    assert wrong.exit_code == 1 and "wrong password" in wrong.output
    bad = tool("set-serial", "12")
    assert bad.exit_code == 1 and "refused the value" in bad.output
    assert tool("set-ct", "400/1").exit_code == 2
    assert meter.config.serial == "12345678"


def test_locked_ct_ratio_and_legal_data() -> None:
    meter = _meter(config5="000-080-2-1")
    gen = _serve(meter)
    port = next(gen)
    try:
        args = ["tool", "--port", str(port), "--password", "12345678"]
        result = runner.invoke(app, [*args, "set-ct", "200/5"])
        assert result.exit_code == 1 and "CT ratio is locked" in result.output
        assert meter.ct_primary == 400
    finally:
        gen.close()


def test_no_meter_is_a_clear_error() -> None:
    result = runner.invoke(app, ["tool", "--port", "1", "read"])
    assert result.exit_code == 1 and "cannot connect" in result.output


def test_display_chunks_continue_with_a_semicolon() -> None:
    codes = [f"1-0:{c}.8.{t}" for c in range(1, 60) for t in range(1)]
    chunks = display_chunks(codes)
    assert all(c.endswith(";") for c in chunks[:-1]) and not chunks[-1].endswith(";")
    assert all(len(c) <= 128 for c in chunks)
    assert ";".join(c.rstrip(";") for c in chunks).split(";") == codes
    assert display_chunks([]) == [""]
