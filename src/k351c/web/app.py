"""The web page's FastAPI application: LCD page, push button, I/O panel, live stream, REST API, /metrics.

Everything is served from this process (no CDN): the page's SVG/JS/CSS from ``web/static`` and
plotly.js from the installed ``plotly`` package. Writing endpoints (push button, display test,
display lists, module inputs, the debiting stop) need the write token (``Authorization: Bearer <token>`` or ``X-K351C-Token``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import secrets
from collections import deque
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from k351c.errors import AccessDenied, ConfigError
from k351c.meter.billing import Billing
from k351c.meter.display import Display
from k351c.meter.lcd import lcd_state
from k351c.server.runtime import Runtime
from k351c.web.api import add_api_routes, jsonable
from k351c.web.io import IoEvents, add_io_routes, io_json
from k351c.web.lcd_page import render_lcd_page
from k351c.web.metrics import metrics_registry, metrics_response
from k351c.web.traffic import add_traffic_routes

STATIC = Path(str(resources.files("k351c.web").joinpath("static")))
STREAM_POLL_S = 0.25
KEEPALIVE_S = 15.0
HISTORY = 3600
IO_STREAM_EVENTS = 20


class DisplayList(BaseModel):
    """A display list as OBIS codes, in the order shown."""

    readings: list[str]


def plotly_js() -> Path:
    """The plotly.min.js bundled with the installed plotly package (served locally, no internet)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def lcd_json(runtime: Runtime) -> dict[str, Any]:
    """The LCD state as JSON, with the simulated clock rate so the page can flash the LED in real time."""
    data = dataclasses.asdict(lcd_state(runtime.meter))
    data["rate"] = runtime.meter.clock.rate
    data["time"] = runtime.meter.now.isoformat()
    data["serial"] = runtime.meter.config.serial
    return data


def create_app(runtime: Runtime, token: str | None = None) -> FastAPI:
    """The web application over one running meter; ``token`` guards the writing endpoints."""
    app = FastAPI(
        title="k351c meter",
        version="1",
        docs_url=None,
        redoc_url=None,
        description="Kamstrup 351C twin: LCD, push button, registers, load profile, events, metrics.",
    )
    app.state.runtime = runtime
    app.state.token = token or secrets.token_urlsafe(16)
    app.state.history = deque(maxlen=HISTORY)
    _sample(app)
    runtime.on_tick.append(lambda meter: _sample(app))
    _add_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.io_events = add_io_routes(app, runtime, require_token)
    _add_live_routes(app, runtime)
    add_api_routes(app, runtime)
    add_traffic_routes(app, runtime)

    registry = metrics_registry(runtime)

    @app.get("/metrics", tags=["metrics"])
    async def metrics() -> Response:
        """Prometheus text exposition: energy counters, instantaneous gauges, LED pulses, tariff."""
        runtime.sync()
        return metrics_response(registry)

    return app


def require_token(
    request: Request,
    authorization: str | None = Header(None),
    x_k351c_token: str | None = Header(None),
) -> None:
    """Refuse a writing request without the write token."""
    given = x_k351c_token or ""
    if authorization and authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    if not secrets.compare_digest(given.encode(), request.app.state.token.encode()):
        raise HTTPException(401, "a write token is needed (Authorization: Bearer <token>)")


def _sample(app: FastAPI) -> None:
    meter = app.state.runtime.meter
    inst = meter.instant
    app.state.history.append(
        (
            meter.now.isoformat(),
            *(round(float(v), 2) for v in inst.voltage[-1]),
            *(round(float(v), 3) for v in inst.current[-1]),
            round(float(inst.frequency[-1]), 3),
        )
    )


def _add_pages(app: FastAPI) -> None:
    def page(name: str):
        async def serve() -> HTMLResponse:
            return HTMLResponse((STATIC / name).read_text(encoding="utf-8"))

        return serve

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        app.state.runtime.sync()
        return HTMLResponse(render_lcd_page(html, lcd_json(app.state.runtime)))

    app.get("/profile", include_in_schema=False)(page("profile.html"))
    app.get("/docs", include_in_schema=False)(page("docs.html"))
    app.get("/traffic", include_in_schema=False)(page("traffic.html"))

    @app.get("/static/plotly.min.js", include_in_schema=False)
    async def plotly() -> FileResponse:
        return FileResponse(plotly_js(), media_type="application/javascript")


def _add_live_routes(app: FastAPI, runtime: Runtime) -> None:
    display = runtime.meter.function(Display)
    _add_lcd_routes(app, runtime, display)
    _add_display_list_routes(app, runtime, display)
    _add_quality_route(app, runtime)
    _add_billing_route(app, runtime)


def _add_lcd_routes(app: FastAPI, runtime: Runtime, display: Display) -> None:
    @app.get("/api/lcd", tags=["display"])
    async def lcd() -> dict:
        """What the LCD shows now (each field's text, indicators, LED)."""
        runtime.sync()
        return lcd_json(runtime)

    @app.get("/api/stream", tags=["display"])
    async def stream(request: Request) -> StreamingResponse:
        """Server-sent events: the LCD state (``lcd``) and the module's I/O state with its new events (``io``)."""
        return StreamingResponse(
            _events(request, runtime, app.state.io_events),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )

    @app.post("/api/button", tags=["display"], dependencies=[Depends(require_token)])
    async def button() -> dict:
        """Press the left push button (manual list, or the backup list without supply)."""
        runtime.sync()
        display.press()
        return lcd_json(runtime)

    @app.post("/api/display-test", tags=["display"], dependencies=[Depends(require_token)])
    async def display_test() -> dict:
        """Light every segment for 5 s of meter time."""
        runtime.sync()
        display.display_test()
        return lcd_json(runtime)


def _add_billing_route(app: FastAPI, runtime: Runtime) -> None:
    @app.post("/api/debiting-stop", tags=["billing"], dependencies=[Depends(require_token)])
    async def debiting_stop() -> dict:
        """End the debiting period now (the external stop of GG/HH 00): counter and snapshot."""
        runtime.sync()
        runtime.meter.function(Billing).debiting_stop(source="web")
        return {
            "counter": jsonable(runtime.meter.reading("0-0:0.1.0.255").value),
            "time": runtime.meter.now.isoformat(),
        }


def _add_display_list_routes(app: FastAPI, runtime: Runtime, display: Display) -> None:
    @app.get("/api/display", tags=["display"])
    async def lists() -> dict:
        """The three display lists as shown (manual with its legal readings) and the current mode."""
        runtime.sync()
        mode, position, length = display.position()
        return {
            "mode": mode,
            "position": position,
            "legal": list(display.legal),
            "lists": {kind: list(display.readings(kind)) for kind in ("auto", "manual", "backup")},
        }

    @app.put("/api/display/{kind}", tags=["display"], dependencies=[Depends(require_token)])
    async def set_list(kind: str, body: DisplayList) -> JSONResponse:
        """Replace a display list (auto <= 16 without historical values, manual <= 30 with the legal readings,
        backup <= 8); 422 names the bad reading or the limit."""
        try:
            display.set_list(kind, body.readings)
        except (ConfigError, AccessDenied) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        return JSONResponse({"kind": kind, "readings": list(display.readings(kind))})


def _add_quality_route(app: FastAPI, runtime: Runtime) -> None:
    @app.get("/api/quality", tags=["readings"])
    async def quality() -> dict:
        """Recent voltage, current and frequency samples (one per tick) and the voltage-quality registers."""
        runtime.sync()
        columns = ["time", "U L1", "U L2", "U L3", "I L1", "I L2", "I L3", "f"]
        codes = [
            str(d.obis)
            for d in runtime.meter.objects
            if d.obis.a == 1 and d.obis.c in (32, 52, 72) and d.obis.d in (3, 6, 32, 36)
        ]
        registers = {c: jsonable(runtime.meter.reading(c).value) for c in codes}
        return {
            "columns": columns,
            "rows": [list(r) for r in app.state.history],
            "registers": registers,
        }


async def _events(request: Request, runtime: Runtime, io_events: IoEvents):
    last, last_io = "", ""
    seq = io_events.seq
    quiet = 0.0
    while not runtime.stopping.is_set():
        if await request.is_disconnected():
            return
        sent = False
        payload = json.dumps(lcd_json(runtime), default=str)
        if payload != last:
            last, sent = payload, True
            yield f"event: lcd\ndata: {payload}\n\n"
        io_payload = _io_payload(runtime)
        fresh = io_events.since(seq, IO_STREAM_EVENTS)
        if io_payload is not None and (io_payload != last_io or fresh):
            seq, last_io, sent = io_events.seq, io_payload, True
            yield f'event: io\ndata: {{"state": {io_payload}, "events": {json.dumps(fresh)}}}\n\n'
        if sent:
            quiet = 0.0
        elif quiet >= KEEPALIVE_S:
            quiet = 0.0
            yield ": keep-alive\n\n"
        await asyncio.sleep(STREAM_POLL_S)
        quiet += STREAM_POLL_S


def _io_payload(runtime: Runtime) -> str | None:
    try:
        return json.dumps(io_json(runtime), default=str)
    except HTTPException:
        return None
