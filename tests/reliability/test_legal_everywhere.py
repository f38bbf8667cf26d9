"""Legal data refused over every interface of one running meter: DLMS (HLS), optical, M-Bus, web, Python."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import httpx
import pytest
from dlms_cosem import cosem, enumerations

from k351c import ConstantLoad
from k351c.cli.tool_session import OpticalSession, TcpLine
from k351c.errors import AccessDenied
from k351c.protocols.iec62056_21.messages import ErrorMessage
from testkit import ServedMeter, bound_socket, make_meter, refusing_socket, serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from dlms_cosem_client import hls_gmac_client  # noqa: E402

pytestmark = pytest.mark.timeout(60)

TOKEN = "reliability-token"
ENERGY = "1-0:1.8.0.255"


@pytest.fixture(scope="module")
def running():
    """One meter (frozen clock) with the wrapper, optical, M-Bus and web listeners."""
    from k351c.server.dlms import wrapper_listener
    from k351c.server.mbus import mbus_listener
    from k351c.server.optical import optical_listener
    from k351c.web.listener import web_listener

    sockets = {name: bound_socket() for name in ("optical", "mbus")}
    ports = {name: sock.getsockname()[1] for name, sock in sockets.items()}
    web = refusing_socket()  # the web listener binds its own socket: hold the port until then
    ports["web"] = web.getsockname()[1]
    listeners = [
        wrapper_listener,
        optical_listener(ports["optical"]),
        mbus_listener(ports["mbus"]),
        web_listener(ports["web"], None, TOKEN),
    ]
    meter = make_meter(days=1 / 24, load=ConstantLoad(current=5.0))
    web.close()
    served = serve(meter, listeners, sockets={ports[n]: s for n, s in sockets.items()})
    ports["dlms_port"] = served.port("dlms_port")
    served.ports = ports
    yield served
    served.stop()


def on_loop(served: ServedMeter, fn, *args):
    """Call `fn` on the runtime's loop thread and return its result."""

    async def call():
        return fn(*args)

    return asyncio.run_coroutine_threadsafe(call(), served.loop).result(10)


def legal_values(served: ServedMeter) -> dict[str, object]:
    """Every legal value the meter reads, by OBIS (profiles as their rows)."""
    meter = served.meter
    codes = [str(d.obis) for d in meter.objects if d.legal]
    assert ENERGY in codes
    assert meter.read(ENERGY).value > 0, "a zero register would hide a write of 0"

    def read_all():
        out = {}
        for code in codes:
            reading = meter.read(code)
            out[code] = getattr(reading, "value", None) if hasattr(reading, "value") else reading
        return out

    return on_loop(served, read_all)


def test_dlms_hls_management_set_of_energy_is_read_write_denied(running) -> None:
    before = legal_values(running)
    client = hls_gmac_client(running.ports["dlms_port"], invocation_counter=1)
    answers = []
    with client.session() as c:
        for obis in ((1, 0, 1, 8, 0), (1, 0, 2, 8, 0), (1, 0, 1, 8, 1)):
            attribute = cosem.CosemAttribute(
                enumerations.CosemInterface.REGISTER, cosem.Obis(*obis), 2
            )
            answers.append(c.set(attribute, bytes.fromhex("0600000000")))
    for answer in answers:
        assert answer.result == enumerations.DataAccessResult.READ_WRITE_DENIED, answer
    assert legal_values(running) == before


def test_optical_w1_of_energy_answers_legal_data(running) -> None:
    before = legal_values(running)
    session = OpticalSession(TcpLine("127.0.0.1", running.ports["optical"], 3.0), timeout=3.0)
    try:
        session.login("12345678")
        for address in ("1-0:1.8.0", "1-0:2.8.0", "1-0:1.8.1"):
            answer = session._exchange(session.client.w1(address, "0"))
            assert answer == ErrorMessage("ERROR: LEGAL DATA"), (address, answer)
        answer = session._exchange(session.client.w1("1-0:0.4.3", "1"))  # CT denominator
        assert isinstance(answer, ErrorMessage), answer
    finally:
        session.close()
    assert legal_values(running) == before


def mbus_long_frame(c: int, address: int, ci: int, data: bytes) -> bytes:
    """An EN 13757-2 long frame `68 L L 68 C A CI data CS 16`, built by hand."""
    body = bytes((c, address, ci)) + data
    return bytes((0x68, len(body), len(body), 0x68)) + body + bytes((sum(body) & 0xFF, 0x16))


# SND_UD (C=0x53/0x73) with CI 0x51 data send: energy records in Wh (VIF 03) and kWh (VIF 06),
# a tariff-1 storage record, and CI 0x50 application reset; to primary address 0 and broadcast.
MBUS_ATTEMPTS = [
    (0x53, 0x00, 0x51, bytes.fromhex("0403 00000000")),
    (0x73, 0x00, 0x51, bytes.fromhex("0C06 00000000")),
    (0x53, 0x00, 0x51, bytes.fromhex("841003 00000000")),
    (0x53, 0x00, 0x51, bytes.fromhex("04833C 00000000")),
    (0x53, 0xFE, 0x51, bytes.fromhex("0403 FFFFFFFF")),
    (0x53, 0x00, 0x50, b""),
]


def test_mbus_snd_ud_cannot_change_energy(running) -> None:
    before = legal_values(running)
    with socket.create_connection(("127.0.0.1", running.ports["mbus"]), timeout=2) as sock:
        sock.settimeout(0.5)
        for c, address, ci, data in MBUS_ATTEMPTS:
            sock.sendall(mbus_long_frame(c, address, ci, data))
            try:
                answer = sock.recv(64)
            except TimeoutError:
                answer = b""
            assert answer in (b"", b"\xe5"), answer.hex()
    assert legal_values(running) == before


def test_web_writes_need_the_token_and_no_endpoint_writes_energy(running) -> None:
    before = legal_values(running)
    base = f"http://127.0.0.1:{running.ports['web']}"
    with httpx.Client(base_url=base, timeout=5) as web:
        spec = web.get("/openapi.json").json()
        writing = [
            (method, path)
            for path, item in spec["paths"].items()
            for method in item
            if method in ("post", "put", "patch", "delete")
        ]
        assert writing, "the web API has writing endpoints to guard"
        for method, path in writing:
            url = path.replace("{kind}", "manual").replace("{obis}", ENERGY)
            url = url.replace("{", "").replace("}", "")
            answer = web.request(method.upper(), url, json={})
            assert answer.status_code in (401, 403), (method, path, answer.status_code)
            bad = web.request(method.upper(), url, json={}, headers={"X-K351C-Token": "wrong"})
            assert bad.status_code in (401, 403), (method, path, bad.status_code)
        assert not [p for _, p in writing if "register" in p or "reading" in p or "energy" in p]
        for method in ("PUT", "POST", "PATCH", "DELETE"):
            answer = web.request(
                method,
                f"/api/registers/{ENERGY}",
                json={"value": 0},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert answer.status_code == 405, (method, answer.status_code)
        assert web.get(f"/api/registers/{ENERGY}").status_code == 200
    assert legal_values(running) == before


def test_python_api_write_of_legal_data_raises_access_denied(running) -> None:
    before = legal_values(running)
    for code in before:
        with pytest.raises(AccessDenied):
            on_loop(running, running.meter.write, code, 0)
    assert legal_values(running) == before
