"""The module slot over the web API: inputs driven by POST, outputs seen in /api/io, the event ring,
the live stream and /metrics (modules 055 with DD 05 / 27 and 008 with the 4-tariff DD 01)."""

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.function import Event
from k351c.server.runtime import Runtime
from k351c.web.app import create_app
from k351c.web.io import IoEvents

TOKEN = "io-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def make_runtime(ccc: str, dd: str) -> Runtime:
    """A meter with module ``ccc`` and I/O configuration ``dd`` under a steady 5 A load."""
    config = MeterConfig.from_codes(config1=f"3-1-{ccc}-{dd}-2")
    meter = Meter(config, clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    meter.set_load(ConstantLoad(current=5.0, angle=20.0))
    meter.run_for(1)
    return Runtime(meter)


def client_for(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime, TOKEN))


def kinds(client: TestClient, kind: str, since: int = 0) -> list[dict]:
    events = client.get("/api/io/events", params={"since": since}).json()["events"]
    return [e for e in events if e["kind"] == kind]


def test_pulse_input_and_load_control_module():
    runtime = make_runtime("055", "27")
    client = client_for(runtime)
    state = client.get("/api/io").json()
    assert state["module"] == {
        "code": 55,
        "name": "Pulse input and load control module",
        "io": ["input", "output"],
    }
    assert state["dd"] == {"code": 27, "name": "Pulse in / Load control"}
    line1, line2 = state["lines"]
    assert (line1["function"], line1["direction"], line1["level"]) == ("pulse in", "input", 0)
    assert (line2["function"], line2["direction"], line2["relay"]) == (
        "load control out",
        "output",
        1,
    )
    assert line2["level"] == 1
    assert state["relays"] == [
        {
            "relay": 1,
            "obis": "0-0:96.3.10.255",
            "state": "connected",
            "control_state": 1,
            "mode": 5,
            "connected": True,
        }
    ]
    assert state["pulse_input"]["count"] == 0


def test_writing_needs_the_token():
    client = client_for(make_runtime("055", "27"))
    assert client.post("/api/io/pulse", json={"count": 3}).status_code == 401
    assert client.post("/api/io/1", json={"level": 1}).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/api/io/1", json={"level": 1}, headers=wrong).status_code == 401
    assert client.get("/api/io").json()["pulse_input"]["count"] == 0
    assert client.get("/api/io/events").json()["events"] == []


def test_pulse_input_counts_bursts_and_edges():
    runtime = make_runtime("055", "27")
    client = client_for(runtime)
    after = client.post("/api/io/pulse", json={"count": 7}, headers=AUTH).json()
    assert after["pulse_input"]["count"] == 7
    client.post("/api/io/1", json={"level": 1}, headers={"X-K351C-Token": TOKEN})
    state = client.post("/api/io/1", json={"level": 0}, headers=AUTH).json()
    assert state["pulse_input"]["count"] == 8 and state["lines"][0]["level"] == 0
    assert runtime.meter.read("0-0:128.11.0.255").value == 8
    assert [e["level"] for e in kinds(client, "input_changed")] == [1, 0]
    text = client.get("/metrics").text
    assert "k351c_io_input_pulses_total 8.0" in text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/io/2", {"level": 1}),
        ("/api/io/3", {"level": 1}),
        ("/api/io/1", {"level": 2}),
        ("/api/io/pulse", {"count": -1}),
        ("/api/io/pulse", {"count": "many"}),
    ],
)
def test_bad_inputs_are_refused(path, body):
    client = client_for(make_runtime("055", "27"))
    response = client.post(path, json=body, headers=AUTH)
    assert response.status_code == 422
    assert client.get("/api/io").json()["pulse_input"]["count"] == 0


def test_output_line_follows_the_relay():
    runtime = make_runtime("055", "27")
    client = client_for(runtime)
    runtime.meter.function("load_control").remote_disconnect(1)
    state = client.get("/api/io").json()
    assert state["lines"][1]["level"] == 0
    assert state["relays"][0]["state"] == "disconnected" and not state["relays"][0]["connected"]
    changed = kinds(client, "output_changed")
    assert changed[-1]["line"] == 2 and changed[-1]["level"] == 0
    assert kinds(client, "disconnect_control")[-1]["trigger"] == "remote_disconnect"
    text = client.get("/metrics").text
    assert 'k351c_relay_connected{relay="1"} 0.0' in text
    assert 'k351c_relay_control_state{relay="1"} 0.0' in text
    assert 'k351c_io_level{direction="output",function="load control out",line="2"} 0.0' in text


def test_pulse_output_events_and_counter():
    runtime = make_runtime("055", "05")
    client = client_for(runtime)
    seq = client.get("/api/io/events").json()["seq"]
    before = runtime.meter.read("0-0:128.14.2.255").value
    runtime.meter.run_for(60)
    pulses = kinds(client, "pulse_output", since=seq)
    sent = runtime.meter.read("0-0:128.14.2.255").value
    assert pulses and all(p["line"] == 2 and p["function"] == "A+ pulse out" for p in pulses)
    assert sum(p["count"] for p in pulses) == sent - before > 0
    assert pulses[-1]["time"] == runtime.meter.now.isoformat() == "2026-01-01T01:01:01+01:00"
    assert client.get("/api/io").json()["lines"][1]["pulses"] == sent
    text = client.get("/metrics").text
    assert f'k351c_io_output_pulses_total{{function="A+ pulse out",line="2"}} {float(sent)}' in text
    last = client.get("/api/io/events", params={"limit": 1}).json()["events"]
    assert len(last) == 1 and last[0]["seq"] == client.get("/api/io/events").json()["seq"]


def test_tariff_inputs_set_the_current_tariff():
    runtime = make_runtime("008", "01")
    client = client_for(runtime)
    meter = runtime.meter
    state = client.get("/api/io").json()
    assert [line["function"] for line in state["lines"]] == ["4-tariff in", "4-tariff in"]
    assert state["pulse_input"] is None and state["relays"] == []
    assert client.post("/api/io/pulse", json={"count": 1}, headers=AUTH).status_code == 422
    tariffs = {}
    for levels, wanted in (((1, 0), 2), ((0, 1), 3), ((1, 1), 4), ((0, 0), 1)):
        for line, level in enumerate(levels, start=1):
            client.post(f"/api/io/{line}", json={"level": level}, headers=AUTH)
        before = client.get(f"/api/registers/1-0:1.8.{wanted}.255").json()["value"]
        meter.run_for(3600)
        current = client.get("/api/registers/0-0:96.14.0.255").json()["value"]
        grown = client.get(f"/api/registers/1-0:1.8.{wanted}.255").json()["value"] - before
        tariffs[levels] = (current, grown > 0)
    assert tariffs == {(1, 0): (2, True), (0, 1): (3, True), (1, 1): (4, True), (0, 0): (1, True)}
    changes = [(e["old"], e["new"]) for e in kinds(client, "tariff_changed")]
    assert changes[-4:] == [(changes[-4][0], 2), (2, 3), (3, 4), (4, 1)]
    assert client.get("/api/io").json()["tariff"] == 1


def test_stream_carries_the_io_state_and_new_events():
    runtime = make_runtime("055", "05")
    app = create_app(runtime, TOKEN)
    runtime.meter.run_for(5)
    runtime.stopping.clear()
    message = None
    with TestClient(app) as c, c.stream("GET", "/api/stream") as response:
        kind = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "io":
                message = json.loads(line[6:])
                break
        runtime.stopping.set()
    runtime.stopping.clear()
    assert message["state"]["dd"]["code"] == 5
    assert message["events"] == []


def test_page_has_the_io_panel_and_local_script():
    client = client_for(make_runtime("055", "27"))
    page = client.get("/").text
    assert 'id="io-panel"' in page and '<script src="/static/io.js"></script>' in page
    script = client.get("/static/io.js")
    assert script.status_code == 200 and 'addEventListener("io"' in script.text
    assert "http://" not in script.text and "https://" not in script.text
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/io", "/api/io/{line}", "/api/io/pulse", "/api/io/events"} <= set(paths)


class _Localtime:
    def to_local(self, t: float) -> datetime:
        return datetime.fromtimestamp(t, UTC)


class _Meter:
    def __init__(self) -> None:
        self.listeners = []
        self.localtime = _Localtime()

    def subscribe(self, listener) -> None:
        self.listeners.append(listener)


class _Runtime:
    def __init__(self) -> None:
        self.meter = _Meter()


@settings(max_examples=60, deadline=None)
@given(
    kinds_seen=st.lists(st.sampled_from(["pulse_output", "output_changed", "tick", "x"])),
    size=st.integers(1, 8),
    since=st.integers(0, 40),
    limit=st.integers(0, 10),
)
def test_ring_keeps_the_newest_io_events(kinds_seen, size, since, limit):
    runtime = _Runtime()
    ring = IoEvents(runtime, size)  # type: ignore[arg-type]
    for n, kind in enumerate(kinds_seen):
        runtime.meter.listeners[0](Event(1.767e9 + n, kind, data={"n": n}))
    kept = [n for n, k in enumerate(kinds_seen) if k in ("pulse_output", "output_changed")]
    assert ring.seq == len(kept)
    assert [e["n"] for e in ring.since(0)] == kept[-size:]
    got = ring.since(since, limit)
    assert all(e["seq"] > since for e in got) and len(got) <= min(limit, size)
    assert [e["seq"] for e in got] == sorted(e["seq"] for e in got)
