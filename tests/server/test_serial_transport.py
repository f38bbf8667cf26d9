"""Serial lines on the one transport layer: one opener for optical, M-Bus and RS-485, and a bus on a pty."""

from __future__ import annotations

import asyncio
import os
import select
import sys
import threading
import time
import tty
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from gurux_dlms import GXByteBuffer, GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.errors import ConfigError
from k351c.server.keys import KeyStore
from k351c.server.mbus import mbus_listener
from k351c.server.multidrop import meter_endpoint, multidrop_serial_listener, serve_multidrop_serial
from k351c.server.optical import optical_listener
from k351c.server.runtime import Runtime

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")

MISSING = "/dev/k351c-no-such-line"


def meter_with(config1: str | None = None, serial: str = "12345678") -> Meter:
    codes = {"config1": config1} if config1 else {}
    meter = Meter(MeterConfig.from_codes(serial=serial, **codes), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    meter.set_load(ConstantLoad(230.0, 1.0))
    return meter


@pytest.mark.parametrize(
    ("config1", "factory"),
    [
        (None, lambda: optical_listener(0, MISSING)),
        ("3-1-068-13-2", lambda: mbus_listener(0, MISSING)),
        ("3-1-072-00-2", lambda: multidrop_serial_listener(MISSING)),
    ],
    ids=["optical", "mbus", "rs485"],
)
def test_an_unusable_serial_device_is_a_config_error_naming_the_flag(config1, factory) -> None:
    runtime = Runtime(meter_with(config1), keys=KeyStore(None, test_keys=True))

    async def start() -> None:
        await factory()(runtime)

    with pytest.raises(ConfigError) as caught:
        asyncio.run(start())
    assert caught.value.field == "--serial"
    assert MISSING in str(caught.value)


@contextmanager
def loop_thread() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def exchange(fd: int, frame: bytes, timeout: float = 3.0) -> bytes:
    """Write an HDLC frame to the bus; the answer frame (flag to flag), or b"" if none came."""
    os.write(fd, frame)
    data = b""
    while not (len(data) > 2 and data.endswith(b"\x7e")):
        if not select.select([fd], [], [], timeout)[0]:
            return data
        data += os.read(fd, 4096)
    return data


def test_gurux_frames_reach_each_meter_of_an_rs485_bus_on_a_serial_line() -> None:
    """Two meters on one pty; gurux's SNRM to each physical address gets that meter's UA, no other."""
    master, slave = os.openpty()
    tty.setraw(master)
    meters = [meter_with("3-1-072-00-2", serial) for serial in ("11110001", "11110002")]
    endpoints = [meter_endpoint(m, KeyStore(None, test_keys=True)) for m in meters]
    with loop_thread() as loop:
        line = asyncio.run_coroutine_threadsafe(
            serve_multidrop_serial(endpoints, os.ttyname(slave)), loop
        ).result(5)
        try:
            for endpoint in endpoints:
                client = GXDLMSClient(
                    True, 16, GXDLMSClient.getServerAddress(1, endpoint.physical_address),
                    Authentication.NONE, None, InterfaceType.HDLC,
                )
                answer = exchange(master, bytes(client.snrmRequest()))
                reply = GXReplyData()
                assert client.getData(GXByteBuffer(answer), reply, None), answer.hex()
                client.parseUAResponse(reply.data)
            stranger = GXDLMSClient(
                True, 16, GXDLMSClient.getServerAddress(1, 4321), Authentication.NONE, None,
                InterfaceType.HDLC,
            )
            assert exchange(master, bytes(stranger.snrmRequest()), timeout=0.5) == b""
        finally:
            asyncio.run_coroutine_threadsafe(_close(line), loop).result(5)
            os.close(master)
            os.close(slave)


async def _close(line) -> None:  # noqa: ANN001
    line.close()
    await line.wait_closed()


def test_a_master_that_stops_reading_the_serial_line_is_no_longer_read() -> None:
    """Back-pressure on a serial line: M-Bus answers pile up unread, so the meter stops reading the
    line and the master's writes block (reading on would buffer answers without bound)."""
    from k351c.server.mbus import MBusBus, serve_mbus_serial

    master, slave = os.openpty()
    tty.setraw(master)
    os.set_blocking(master, False)
    requests = bytes.fromhex("105b005b16107b007b16") * 50  # REQ_UD2, FCB toggling: ~40x the octets back
    with loop_thread() as loop:
        line = asyncio.run_coroutine_threadsafe(
            serve_mbus_serial(MBusBus([meter_with("3-1-068-13-2")]), os.ttyname(slave)), loop
        ).result(5)
        try:
            sent, blocked_since, deadline = 0, None, time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    sent += os.write(master, requests)
                    blocked_since = None
                except BlockingIOError:
                    blocked_since = blocked_since or time.monotonic()
                    if time.monotonic() - blocked_since >= 1.0:
                        break
                    time.sleep(0.01)
            assert blocked_since is not None and time.monotonic() - blocked_since >= 1.0, (
                f"the meter read {sent} octets of requests whose answers nobody read"
            )
            assert sent < 4 * 2**20
        finally:
            asyncio.run_coroutine_threadsafe(_close(line), loop).result(5)
            os.close(master)
            os.close(slave)
