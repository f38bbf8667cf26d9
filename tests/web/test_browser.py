"""End to end as a person would: `k351c serve`, the page in headless Chromium (DevTools protocol), the button.

Chromium is Debian's (`apt-get install chromium`); the test skips only when no chromium binary
exists. Set K351C_SCREENSHOTS=docs to refresh docs/screenshot-lcd.png and docs/screenshot-profile.png.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = next(
    (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p),
    None,
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary (apt-get install chromium)"
)
START = "2026-03-02T00:00:00Z"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def wait_for(probe, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class DevTools:
    """A minimal Chrome DevTools protocol client over websocket-client."""

    def __init__(self, ws_url: str) -> None:
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=15, suppress_origin=True)
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def eval(self, expression: str):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        return result.get("result", {}).get("value")

    def label(self, element_id: str) -> str:
        return (
            self.eval(f"document.getElementById({element_id!r}).getAttribute('aria-label')") or ""
        )

    def click(self, element_id: str) -> None:
        rect = self.eval(
            f"JSON.stringify(document.getElementById({element_id!r}).getBoundingClientRect())"
        )
        box = json.loads(rect)
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self.ws.close()


def prefill_state(state: Path) -> None:
    """One simulated day in the state directory, so the load profile has entries to plot."""
    from k351c import Meter, MeterConfig, SimClock
    from k351c.meter.loads_profile import household_load
    from k351c.store import SqliteStore

    config = MeterConfig.default()
    state.mkdir(parents=True, exist_ok=True)
    meter = Meter(
        config,
        clock=SimClock(START, rate=0),
        store=SqliteStore(state / "meter.sqlite"),
        load=household_load(config),
    )
    meter.run_for(86400)
    meter.store.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    prefill_state(state)
    port = free_port()
    exe = shutil.which("k351c", path=str(Path(sys.executable).parent)) or "k351c"
    env = {k: v for k, v in os.environ.items() if k != "K351C_WEB_TOKEN"}
    args = [
        exe,
        "serve",
        "--state",
        str(state),
        "--rate",
        "5",
        "--dlms-port",
        "0",
        "--hdlc-port",
        "0",
        "--optical-port",
        "0",
        "--mbus-port",
        "0",
        "--web-port",
        str(port),
        "--quiet",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: get_json(f"{base}/api/lcd"), 60, "k351c serve's web page")
        token = (state / "web-token").read_text().strip()
        yield base, token
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium")
    args = [
        CHROMIUM,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "--window-size=1100,900",
        "about:blank",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        wait_for(
            lambda: port_file.exists() and port_file.read_text().strip(),
            30,
            "chromium's DevTools port",
        )
        port = int(port_file.read_text().split()[0])
        pages = wait_for(
            lambda: [
                t for t in get_json(f"http://127.0.0.1:{port}/json/list") if t["type"] == "page"
            ],
            15,
            "a chromium page",
        )
        tools = DevTools(pages[0]["webSocketDebuggerUrl"])
        yield tools
        tools.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def screenshot_dir(tmp_path: Path) -> Path:
    return ROOT / "docs" if os.environ.get("K351C_SCREENSHOTS") == "docs" else tmp_path


def short(obis: str) -> str:
    return obis.split(":")[1].rsplit(".", 1)[0]


def test_push_button_in_the_browser(served, browser, tmp_path):
    base, token = served
    browser.call("Page.navigate", url=f"{base}/?token={token}")
    wait_for(lambda: browser.label("lcd-obis"), 20, "the LCD's identification field")
    auto = get_json(f"{base}/api/display")["lists"]
    assert browser.eval("document.getElementById('lcd').dataset.mode") == "auto"
    assert browser.eval("document.getElementById('lcd').dataset.reading") in auto["auto"]
    assert browser.label("phase-1").startswith("L1 voltage present")
    assert (
        browser.eval(
            'document.querySelectorAll(\'script[src^="http"], link[href^="http"]\').length'
        )
        == 0
    )
    wait_for(
        lambda: browser.eval("document.getElementById('io-module').textContent"), 10, "I/O panel"
    )
    io = get_json(f"{base}/api/io")
    assert browser.eval("document.getElementById('io-module').textContent") == (
        f"{io['module']['code']:03d} {io['module']['name']}"
    )
    assert browser.eval("document.querySelectorAll('#io-lines li').length") == 2
    browser.screenshot(screenshot_dir(tmp_path) / "screenshot-lcd.png")

    manual = auto["manual"]
    browser.click("push-button")
    wait_for(
        lambda: browser.eval("document.getElementById('lcd').dataset.mode") == "manual",
        10,
        "manual mode",
    )
    wait_for(lambda: browser.label("lcd-obis") == short(manual[0]), 10, "the first manual reading")
    shown = float(browser.label("lcd-value"))
    register = get_json(f"{base}/api/registers/{manual[0]}")
    assert register["unit"] == "Wh" and browser.label("lcd-unit") == "kWh"
    assert shown == pytest.approx(register["value"] / 1000, abs=0.05)

    static = {"0-0:96.1.0.255", "1-0:0.4.2.255"}
    for index in range(1, len(manual)):
        browser.click("push-button")
        wait_for(
            lambda i=index: (
                browser.label("lcd-obis") == short(manual[i])
                and browser.eval("document.getElementById('lcd').dataset.reading") == manual[i]
            ),
            10,
            f"manual reading {manual[index]}",
        )
        if manual[index] in static:
            value = get_json(f"{base}/api/registers/{manual[index]}")["value"]
            assert browser.label("lcd-value") == str(value)
            assert browser.label("lcd-obis") == get_json(f"{base}/api/lcd")["obis"]
            break
    else:
        pytest.fail("the manual list has no static reading to compare")


def test_load_profile_view(served, browser, tmp_path):
    base, _ = served
    browser.call("Page.navigate", url=f"{base}/profile")
    wait_for(lambda: browser.eval("typeof Plotly") == "object", 20, "plotly.js served locally")
    entries = wait_for(
        lambda: int(browser.eval("document.getElementById('loadprofile').dataset.entries || 0")),
        20,
        "load profile entries",
    )
    assert entries == len(get_json(f"{base}/api/loadprofile")["rows"]) or entries >= 96
    wait_for(
        lambda: browser.eval("document.querySelectorAll('#voltage .main-svg').length") > 0,
        10,
        "voltage plot",
    )
    wait_for(
        lambda: "standard" in (browser.eval("document.getElementById('events').innerText") or ""),
        10,
        "events",
    )
    time.sleep(0.5)
    browser.screenshot(screenshot_dir(tmp_path) / "screenshot-profile.png")
