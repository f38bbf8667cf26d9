"""REST API: readings, one register, the load profile (JSON or CSV) and the event logs."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from k351c.clock import parse_instant
from k351c.errors import ConfigError
from k351c.meter.objects import ProfileData, ValueDef
from k351c.server.runtime import Runtime

LOAD_PROFILE = "1-0:99.1.0.255"
EVENT_LOGS = {
    "standard": "0-0:99.98.0.255",
    "fraud": "0-0:99.98.1.255",
    "power_quality": "0-0:99.98.4.255",
    "power_failure": "1-0:99.97.0.255",
}


def jsonable(value: Any) -> Any:
    """A value as JSON carries it: datetimes in ISO 8601, bytes in hex, numpy scalars as numbers."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, int, float)):
        return value.item()
    return value


def is_logger(definition: ValueDef) -> bool:
    """Whether a value is a profile (class 7), left out of the readings list."""
    return definition.class_id == 7


def reading_json(runtime: Runtime, definition: ValueDef) -> dict[str, Any]:
    """One reading: OBIS, value (scaler applied), unit, description, capture time."""
    reading = runtime.meter.reading(definition.obis)
    return {
        "obis": str(definition.obis),
        "value": jsonable(reading.value),
        "unit": reading.unit,
        "scaler": definition.scaler,
        "class_id": definition.class_id,
        "description": definition.description,
        "captured": jsonable(reading.captured),
    }


def profile_json(
    runtime: Runtime, obis: str, low: datetime | None = None, high: datetime | None = None
) -> dict:
    """A profile's columns, units and rows (first column the clock), limited to [low, high]."""
    meter = runtime.meter
    profile = meter.profile(obis)
    units = []
    for column in profile.columns:
        definition = meter.objects.get(column) if column.count(":") == 1 else None
        units.append(
            meter.reading(column).unit if definition is not None and not is_logger(definition) else ""
        )
    rows = [r for r in profile.rows if _within(r, low, high)]
    return {
        "obis": obis,
        "columns": profile.columns,
        "units": units,
        "capture_period": profile.capture_period,
        "rows": [jsonable(list(r)) for r in rows],
    }


def _within(row: tuple, low: datetime | None, high: datetime | None) -> bool:
    first = row[0] if row else None
    if not isinstance(first, datetime):
        return low is None and high is None
    return (low is None or first >= low) and (high is None or first <= high)


def _instant(name: str, text: str | None) -> datetime | None:
    if text is None or text == "":
        return None
    try:
        return parse_instant(text)
    except (ConfigError, ValueError) as exc:
        raise HTTPException(422, f"{name}: {text!r} is not an ISO 8601 instant ({exc})") from None


def add_api_routes(app: FastAPI, runtime: Runtime) -> None:
    """Mount /api/readings, /api/registers/{obis}, /api/loadprofile and /api/events."""
    meter = runtime.meter

    @app.get("/api/readings", tags=["readings"])
    async def readings() -> list[dict]:
        """Every value of the meter (registers, instantaneous values, settings), loggers excluded."""
        runtime.sync()
        return [reading_json(runtime, d) for d in meter.objects if not is_logger(d)]

    @app.get("/api/registers/{obis}", tags=["readings"])
    async def register(obis: str) -> dict:
        """One value by OBIS ("1-0:1.8.0.255", "1-0:1.8.0" or "1.8.0"); a logger gives its profile."""
        runtime.sync()
        try:
            definition = meter.objects.lookup(obis)
        except ConfigError as exc:
            raise HTTPException(404, str(exc)) from None
        if is_logger(definition) or isinstance(definition.get(), ProfileData):
            return profile_json(runtime, str(definition.obis))
        return reading_json(runtime, definition)

    @app.get(
        "/api/loadprofile",
        tags=["profiles"],
        responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
    )
    async def loadprofile(
        request: Request,
        start: str | None = Query(None, alias="from"),
        end: str | None = Query(None, alias="to"),
        format: str | None = None,
    ) -> Response:
        """The load profile 1-0:99.1.0.255 from..to (ISO 8601), as JSON, or CSV (?format=csv or Accept: text/csv)."""
        runtime.sync()
        if LOAD_PROFILE not in meter.objects:
            raise HTTPException(404, "this meter has no load profile")
        data = profile_json(runtime, LOAD_PROFILE, _instant("from", start), _instant("to", end))
        wants_csv = format == "csv" or (
            format is None and "text/csv" in request.headers.get("accept", "")
        )
        if wants_csv:
            return Response(
                to_csv(data),
                media_type="text/csv",
                headers={"Content-Disposition": 'attachment; filename="loadprofile.csv"'},
            )
        return JSONResponse(data)

    @app.get("/api/events", tags=["profiles"])
    async def events() -> dict:
        """The event logs (standard, fraud, power quality, power failure): clock and code (or duration) rows."""
        runtime.sync()
        return {
            name: profile_json(runtime, obis)
            for name, obis in EVENT_LOGS.items()
            if obis in meter.objects
        }


def to_csv(data: dict) -> str:
    """A profile as CSV: a header of OBIS codes (with units), one line per entry."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [f"{c} [{u}]" if u else c for c, u in zip(data["columns"], data["units"], strict=True)]
    )
    writer.writerows(data["rows"])
    return out.getvalue()
