"""One write path: a value written over DLMS (dlms-cosem), the optical port (pwitab) or the web API (httpx)
goes through the same domain method, so a bad value gets the same refusal on each and changes nothing."""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from dlms_cosem import cosem, dlms_data, enumerations
from iec62056_21 import messages as pw_messages
from iec62056_21.client import Iec6205621Client
from iec62056_21.transports import TcpTransport

from k351c import ConstantLoad
from k351c.errors import ConfigError
from testkit import ServedMeter, bound_socket, make_meter, refusing_socket, serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from dlms_cosem_client import hls_gmac_client  # noqa: E402

pytestmark = pytest.mark.timeout(60)

PASSWORD = "12345678"
TOKEN = "one-write-path"
THRESHOLD = "0-0:128.10.1.255"
CT = "1-0:0.4.2.255"
MANUAL_LIST = "0-0:21.0.2.255"
ANALYSIS = "1-0:99.2.0.255"
COUNTERS = itertools.count(1000, 100)


def capture_objects(*codes: tuple[int, bytes, int]) -> bytes:
    """A capture_objects array in A-XDR, by hand: dlms-cosem 21.3.2 cannot encode a nested array."""
    out = bytearray([0x01, len(codes)])
    for class_id, ln, attribute in codes:
        out += bytes([0x02, 0x04, 0x12]) + class_id.to_bytes(2, "big")
        out += bytes([0x09, 0x06]) + ln + bytes([0x0F, attribute, 0x12, 0x00, 0x00])
    return bytes(out)


# (what, optical address and value, DLMS class/OBIS/attribute/A-XDR value, the state the write would change)
BAD_WRITES: list[tuple[str, str, str, tuple[int, tuple, int, bytes], Callable]] = [
    (
        "power threshold below zero",
        "0-0:128.10.1",
        "-1",
        (3, (0, 0, 128, 10, 1), 2, dlms_data.DoubleLongData(-1000).to_bytes()),
        lambda m: (m.read(THRESHOLD).value, m.config.settings.thresholds),
    ),
    (
        "CT ratio that configuration 5 cannot encode",
        "1-0:0.4.2",
        "7",
        (1, (1, 0, 0, 4, 2), 2, dlms_data.DoubleLongUnsignedData(7).to_bytes()),
        lambda m: (m.ct_primary, str(m.config.config5)),
    ),
    (
        "display list naming a code the meter lacks",
        "0-0:21.0.2",
        "1-0:99.99.0",
        (7, (0, 0, 21, 0, 2), 3, capture_objects((3, bytes([1, 0, 99, 99, 0, 255]), 2))),
        lambda m: (m.read(MANUAL_LIST).columns, m.config.display_table),
    ),
    (
        "analysis capture period of 7 minutes",
        "0-0:128.92.1",
        "7",
        (7, (1, 0, 99, 2, 0), 4, dlms_data.DoubleLongUnsignedData(420).to_bytes()),
        lambda m: (m.read(ANALYSIS).capture_period, m.read(ANALYSIS).columns),
    ),
]


@pytest.fixture(scope="module")
def running():
    """One meter (frozen clock) with the wrapper, optical and web listeners."""
    from k351c.server.dlms import wrapper_listener
    from k351c.server.optical import optical_listener
    from k351c.web.listener import web_listener

    optical = bound_socket()
    port = optical.getsockname()[1]
    web = refusing_socket()  # the web listener binds its own socket: hold the port until then
    web_port = web.getsockname()[1]
    meter = make_meter(days=1 / 24, load=ConstantLoad(current=5.0))
    web.close()
    listeners = [wrapper_listener, optical_listener(port), web_listener(web_port, None, TOKEN)]
    served = serve(meter, listeners, sockets={port: optical})
    served.optical_port, served.web_port = port, web_port
    yield served
    served.stop()


def on_loop(served: ServedMeter, fn: Callable, *args: object) -> object:
    """Call ``fn`` on the runtime's loop thread (the meter is not thread-safe) and return its result."""

    async def call() -> object:
        return fn(*args)

    return asyncio.run_coroutine_threadsafe(call(), served.loop).result(10)


def dlms_set(served: ServedMeter, class_id: int, obis: tuple, attribute: int, value: bytes):
    """SET one attribute over the wrapper in a management (HLS-GMAC) association of dlms-cosem."""
    client = hls_gmac_client(served.port("dlms_port"), invocation_counter=next(COUNTERS))
    target = cosem.CosemAttribute(enumerations.CosemInterface(class_id), cosem.Obis(*obis), attribute)
    with client.session() as session:
        return session.set(target, value).result


def optical_write(served: ServedMeter, address: str, value: str) -> object:
    """W1 in programming mode with pwitab; returns its answer: an ACK byte or the error message."""
    client = Iec6205621Client(TcpTransport(address=("127.0.0.1", served.optical_port), timeout=5))
    client.connect()
    try:
        challenge = client.access_programming_mode()
        assert (challenge.command, challenge.command_type) == ("P", 0)
        login = pw_messages.CommandMessage("P", 1, pw_messages.DataSet(address="", value=PASSWORD))
        client.transport.send(login.to_bytes())
        assert client._recv_ack() == "\x06"
        request = pw_messages.CommandMessage.for_single_write(address, value)
        client.transport.send(request.to_bytes())
        first = client.transport.recv(1)
        if first == b"\x06":
            return "ACK"
        rest = client.transport.simple_read(start_char="(", end_char="\x03")
        client.transport.recv(1)  # BCC
        client.send_break()
        return (first + rest).decode("ascii").strip("\x02\x03")
    finally:
        client.disconnect()


@pytest.mark.parametrize(("what", "address", "text", "dlms", "state"), BAD_WRITES, ids=[c[0] for c in BAD_WRITES])
def test_a_bad_value_gets_the_same_refusal_over_dlms_and_optical(running, what, address, text, dlms, state):
    before = on_loop(running, state, running.meter)
    answer = optical_write(running, address, text)
    assert answer == "(ERROR: BAD VALUE)", (what, answer)
    assert on_loop(running, state, running.meter) == before
    result = dlms_set(running, *dlms)
    assert result == enumerations.DataAccessResult.OTHER_REASON, (what, result)
    assert on_loop(running, state, running.meter) == before


def test_the_python_api_refuses_the_same_values_with_a_config_error(running):
    meter = running.meter

    def snapshot(code: str) -> tuple:
        return meter.read(code).value, meter.config

    for code, value in ((THRESHOLD, -1000), (CT, 7)):
        before = on_loop(running, snapshot, code)
        with pytest.raises(ConfigError):
            on_loop(running, meter.write, code, value)
        assert on_loop(running, snapshot, code) == before


def test_a_threshold_written_over_dlms_is_kept_in_the_settings_as_over_optical(running):
    assert dlms_set(running, 3, (0, 0, 128, 10, 1), 2, dlms_data.DoubleLongData(3000).to_bytes()) == (
        enumerations.DataAccessResult.SUCCESS
    )
    dlms_kept = on_loop(running, lambda: running.meter.config.settings.thresholds.power_threshold_w)
    assert optical_write(running, "0-0:128.10.1", "4.5") == "ACK"
    optical_kept = on_loop(running, lambda: running.meter.config.settings.thresholds.power_threshold_w)
    assert (dlms_kept, optical_kept) == (3000.0, 4500.0)
    assert on_loop(running, lambda: running.meter.read(THRESHOLD).value) == 4500.0


def test_a_bad_display_list_gets_the_same_refusal_over_the_web_dlms_and_optical(running):
    def lists(meter):
        return meter.read(MANUAL_LIST).columns, meter.config.display_table

    before = on_loop(running, lists, running.meter)
    with httpx.Client(base_url=f"http://127.0.0.1:{running.web_port}", timeout=5) as web:
        answer = web.put(
            "/api/display/manual",
            json={"readings": ["1-0:1.8.0.255", "1-0:99.99.0.255"]},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    assert answer.status_code == 422 and "1-0:99.99.0" in answer.json()["detail"], answer.text
    assert optical_write(running, "0-0:21.0.2", "1-0:1.8.0;1-0:99.99.0") == "(ERROR: BAD VALUE)"
    codes = capture_objects((3, bytes([1, 0, 1, 8, 0, 255]), 2), (3, bytes([1, 0, 99, 99, 0, 255]), 2))
    assert dlms_set(running, 7, (0, 0, 21, 0, 2), 3, codes) == enumerations.DataAccessResult.OTHER_REASON
    assert on_loop(running, lists, running.meter) == before
