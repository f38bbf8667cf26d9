"""DESIGN.md: the web LCD's fields carry their shown text in an aria-label, read here without JavaScript."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi.testclient import TestClient

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.server.runtime import Runtime
from k351c.web.app import create_app


class Labels(HTMLParser):
    """The attributes of every element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.elements[str(found["id"])] = found


def served_page(client: TestClient) -> dict[str, dict[str, str | None]]:
    """The page as served, by element id."""
    parser = Labels()
    parser.feed(client.get("/").text)
    return parser.elements


def test_served_page_labels_the_lcd_digits_before_any_script_runs() -> None:
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    meter.set_load(ConstantLoad(current=5.0, angle=20.0))
    meter.run_for(2 * 3600)
    with TestClient(create_app(Runtime(meter), "token")) as client:
        state = client.get("/api/lcd").json()
        page = served_page(client)
        assert page["lcd-value"]["aria-label"] == state["value"] and any(c.isdigit() for c in state["value"])
        assert page["lcd-obis"]["aria-label"] == state["obis"]
        assert page["lcd-unit"]["aria-label"] == state["unit"]
        assert page["lcd"]["data-reading"] == state["reading"] and page["lcd"]["data-mode"] == "auto"
        assert page["phase-1"]["aria-label"] == "L1 voltage present, import"
        assert page["quadrants"]["aria-label"] == "quadrant 1" and page["error"]["aria-label"] == "no error"
        shown = float(state["value"])
        reading = meter.read(state["reading"])
        factor = 1000.0 if state["unit"].startswith("k") and not reading.unit.startswith("k") else 1.0
        assert abs(shown * factor - float(reading.value)) <= max(1.0, 0.01 * abs(float(reading.value)))
        client.post("/api/button", headers={"Authorization": "Bearer token"})
        after = client.get("/api/lcd").json()
        page = served_page(client)
        assert page["lcd-value"]["aria-label"] == after["value"] and page["lcd"]["data-mode"] == "manual"
