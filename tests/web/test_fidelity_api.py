"""Web API write routes of the meter's external controls (token-protected), with httpx's TestClient."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.server.runtime import Runtime
from k351c.web.app import create_app

TOKEN = "fid-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def external_runtime() -> Runtime:
    """GG = 00 (externally controlled debiting), 40 days of 5 A behind it."""
    meter = Meter(
        MeterConfig.from_codes(config2="001-00-01-1"),
        clock=SimClock("2026-01-05T00:00:00Z", rate=0),
    )
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(40 * 86400)
    return Runtime(meter)


def test_debiting_stop_route_needs_the_token_and_ends_the_period() -> None:
    runtime = external_runtime()
    client = TestClient(create_app(runtime, TOKEN))
    assert client.post("/api/debiting-stop").status_code == 401
    assert client.post("/api/debiting-stop", headers={"Authorization": "Bearer no"}).status_code == 401
    assert runtime.meter.read("0-0:0.1.0.255").value == 0
    answer = client.post("/api/debiting-stop", headers=AUTH)
    assert answer.status_code == 200
    assert answer.json()["counter"] == 1
    assert runtime.meter.read("0-0:0.1.0.255").value == 1
    register = client.get("/api/registers/0-0:0.1.0.255").json()
    assert register["value"] == 1


def test_lcd_flags_overcurrent_and_the_manual_list_takes_historical_values() -> None:
    runtime = external_runtime()
    runtime.meter.function("billing").debiting_stop()
    runtime.meter.set_load(ConstantLoad(current=(7.0, 5.0, 5.0)))
    runtime.meter.run_for(10)
    client = TestClient(create_app(runtime, TOKEN))
    assert client.get("/api/lcd").json()["overcurrent"] == [1]
    manual = client.get("/api/display").json()["lists"]["manual"]
    answer = client.put(
        "/api/display/manual", json={"readings": [*manual, "1-0:1.8.0.101"]}, headers=AUTH
    )
    assert answer.status_code == 200, answer.text
    assert "1-0:1.8.0.101" in answer.json()["readings"]
    refused = client.put("/api/display/auto", json={"readings": ["1-0:1.8.0.101"]}, headers=AUTH)
    assert refused.status_code == 422
    value = client.get("/api/registers/1-0:1.8.0.101").json()["value"]
    assert value == pytest.approx(runtime.meter.read("1-0:1.8.0.101").value)
    assert value > 0
