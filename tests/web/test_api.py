"""The web application with FastAPI's TestClient: LCD, push button, token, REST API, CSV, metrics, assets."""

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.server.runtime import Runtime
from k351c.web.app import create_app
from k351c.web.listener import resolve_token

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def runtime():
    """A fresh meter per test: the button, the display test and the lists change the LCD's state."""
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    meter.set_load(ConstantLoad(current=5.0, angle=20.0))
    meter.run_for(6 * 3600)
    return Runtime(meter)


@pytest.fixture
def client(runtime):
    with TestClient(create_app(runtime, TOKEN)) as c:
        yield c


def test_page_is_served_with_local_assets_only(client):
    page = client.get("/")
    assert page.status_code == 200
    assert (
        'id="lcd-value"' in page.text and 'id="lcd-obis"' in page.text and "aria-label" in page.text
    )
    for text in (page.text, client.get("/profile").text, client.get("/docs").text):
        assert "https://" not in text and "http://" not in text
    assert client.get("/static/lcd.js").status_code == 200
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000


def test_lcd_shows_the_auto_list(client, runtime):
    state = client.get("/api/lcd").json()
    display = runtime.meter.function("display")
    assert state["mode"] == "auto"
    assert state["reading"] == display.current()
    assert state["obis"] == state["reading"].split(":")[1].rsplit(".", 1)[0]
    assert state["phases"] == [True, True, True] and state["quadrants"] == [1]


def test_button_needs_the_token(client):
    assert client.post("/api/button").status_code == 401
    assert client.post("/api/button", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_button_walks_the_manual_list(client, runtime):
    manual = client.get("/api/display").json()["lists"]["manual"]
    first = client.post("/api/button", headers=AUTH).json()
    second = client.post("/api/button", headers={"X-K351C-Token": TOKEN}).json()
    assert (first["mode"], first["reading"], second["reading"]) == ("manual", manual[0], manual[1])
    register = client.get(f"/api/registers/{manual[0]}").json()
    assert register["unit"] == "Wh"
    assert float(first["value"]) == pytest.approx(register["value"] / 1000, abs=0.01)
    runtime.meter.run_for(120)
    assert client.get("/api/lcd").json()["mode"] == "auto"


def test_set_display_list(client):
    bad = client.put("/api/display/auto", json={"readings": ["1-0:1.8.0.101"]}, headers=AUTH)
    assert bad.status_code == 422 and "1-0:1.8.0.101" in bad.json()["detail"]
    over = client.put("/api/display/backup", json={"readings": ["1.8.0"] * 9}, headers=AUTH)
    assert over.status_code == 422
    assert client.put("/api/display/backup", json={"readings": ["1.8.0"]}).status_code == 401
    ok = client.put("/api/display/backup", json={"readings": ["1.8.0", "2.8.0"]}, headers=AUTH)
    assert ok.json()["readings"] == ["1-0:1.8.0.255", "1-0:2.8.0.255"]


def test_display_test(client):
    state = client.post("/api/display-test", headers=AUTH).json()
    assert state["test"] and state["value"] == "888888888"


def test_readings_and_registers(client, runtime):
    readings = {r["obis"]: r for r in client.get("/api/readings").json()}
    assert readings["1-0:1.8.0.255"]["value"] == runtime.meter.read("1.8.0").value
    assert "1-0:99.1.0.255" not in readings
    one = client.get("/api/registers/1.8.0").json()
    assert one["obis"] == "1-0:1.8.0.255" and one["unit"] == "Wh"
    assert client.get("/api/registers/1-0:32.7.0.255").json()["value"] == 230.0
    assert client.get("/api/registers/9.9.9").status_code == 404
    assert client.get("/api/registers/not-obis").status_code == 404


def test_loadprofile_json_and_csv(client):
    data = client.get("/api/loadprofile").json()
    assert data["columns"][0] == "0-0:1.0.0.255" and len(data["rows"]) >= 20
    part = client.get(
        "/api/loadprofile",
        params={"from": "2026-01-01T03:00:00+01:00", "to": "2026-01-01T04:00:00+01:00"},
    ).json()
    assert len(part["rows"]) == 5
    text = client.get("/api/loadprofile?format=csv").text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "0-0:1.0.0.255" and len(rows) == len(data["rows"]) + 1
    by_accept = client.get("/api/loadprofile", headers={"Accept": "text/csv"})
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert client.get("/api/loadprofile", params={"from": "yesterday"}).status_code == 422


def test_events_and_quality(client):
    events = client.get("/api/events").json()
    assert "standard" in events and events["standard"]["columns"][0] == "0-0:1.0.0.255"
    quality = client.get("/api/quality").json()
    assert quality["columns"][1] == "U L1" and quality["rows"][-1][1] == 230.0


def test_metrics(client):
    text = client.get("/metrics").text
    assert "k351c_energy_total{description=" in text and 'obis="1-0:1.8.0.255"' in text
    assert "k351c_value{" in text and "k351c_led_pulses_total" in text


def test_openapi_lists_the_api(client):
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/readings",
        "/api/registers/{obis}",
        "/api/loadprofile",
        "/api/events",
        "/api/button",
    ):
        assert path in spec["paths"]


def test_stream_sends_lcd_events(runtime):
    app = create_app(runtime, TOKEN)
    runtime.stopping.clear()
    with TestClient(app) as c, c.stream("GET", "/api/stream") as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                state = json.loads(line[6:])
                break
        runtime.stopping.set()
    runtime.stopping.clear()
    assert "value" in state and "obis" in state


def test_token_is_kept_in_the_state_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("K351C_WEB_TOKEN", raising=False)
    first = resolve_token(tmp_path)
    assert first == resolve_token(tmp_path) and (tmp_path / "web-token").stat().st_mode & 0o077 == 0
    assert resolve_token(tmp_path, "given") == "given"
    monkeypatch.setenv("K351C_WEB_TOKEN", "env")
    assert resolve_token(tmp_path) == "env"
