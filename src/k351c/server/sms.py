"""SMS reading through the GSM module (053), with a simulated SMS gateway as a small HTTP endpoint.

``POST /sms`` with JSON ``{"from": "+4512345678", "text": "READ 1.8.0"}`` (or the text as a
plain body) answers ``{"to": ..., "text": reply}``. Commands, case-insensitive:

- ``READ <OBIS> [<OBIS> ...]`` -- registers as ``1.8.0=12.345 kWh`` separated by ``;``
- ``STATUS`` -- serial, local time, tariff, error register, relays
- ``HELP`` -- the command list

A reply is one SMS: at most 160 characters (longer replies end with ``...``).
GPRS is DLMS over TCP: the wrapper listener serves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from k351c.errors import K351CError
from k351c.meter.core import Meter
from k351c.meter.loadcontrol import LoadControl
from k351c.meter.readings import Reading

log = logging.getLogger("k351c.server.sms")

GSM_MODULE = 53
SMS_LENGTH = 160
HELP = "READ <OBIS>...; STATUS; HELP"


def _fit(text: str) -> str:
    return text if len(text) <= SMS_LENGTH else text[: SMS_LENGTH - 3] + "..."


def _short(obis: str) -> str:
    parts = obis.replace("-", ":").split(":")[-1].split(".")
    return ".".join(parts[:3]) if len(parts) >= 3 else obis


def _format(reading: Reading) -> str:
    value = reading.value
    text = value.isoformat(timespec="minutes") if hasattr(value, "isoformat") else str(value)
    return f"{_short(reading.obis)}={text}{' ' + reading.unit if reading.unit else ''}"


def _read(meter: Meter, codes: list[str]) -> str:
    if not codes:
        return "ERR READ needs an OBIS code"
    out = []
    for code in codes:
        try:
            reading = meter.read(code)
        except K351CError:
            out.append(f"{code}=?")
            continue
        out.append(_format(reading) if isinstance(reading, Reading) else f"{code}=profile")
    return "; ".join(out)


def _status(meter: Meter) -> str:
    parts = [f"SN {meter.config.serial}", meter.now.strftime("%Y-%m-%d %H:%M"), f"T{meter.tariff}"]
    if "0-0:97.97.0.255" in meter.objects:
        parts.append(f"ERR {meter.reading('0-0:97.97.0.255').value}")
    with contextlib.suppress(KeyError):
        relays = meter.function(LoadControl).relays
        parts += [f"R{i + 1} {'ON' if r.output_state else 'OFF'}" for i, r in enumerate(relays)]
    return ", ".join(parts)


def sms_reply(meter: Meter, text: str) -> str:
    """The reply SMS to an incoming SMS text."""
    words = text.split()
    command = words[0].upper() if words else ""
    if command == "READ":
        return _fit(_read(meter, words[1:]))
    if command == "STATUS":
        return _fit(_status(meter))
    if command == "HELP":
        return HELP
    return _fit(f"ERR unknown command; {HELP}")


async def _handle(
    meter: Meter, lock: asyncio.Lock, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        request = await reader.readuntil(b"\r\n\r\n")
        head = request.decode("latin-1").split("\r\n")
        length = next(
            (int(h.split(":", 1)[1]) for h in head if h.lower().startswith("content-length:")), 0
        )
        body = (await reader.readexactly(length)).decode("utf-8", "replace") if length else ""
        status, payload = _respond(meter, head[0], body)
        if status == 200:
            async with lock:
                meter.sync()
                payload["text"] = sms_reply(meter, payload.pop("incoming"))
        data = json.dumps(payload).encode()
        writer.write(
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Bad Request'}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + data
        )
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


def _respond(meter: Meter, request_line: str, body: str) -> tuple[int, dict]:
    parts = request_line.split()
    if len(parts) < 2 or parts[0] != "POST" or parts[1] != "/sms":
        return 400, {"error": "POST /sms with the SMS text"}
    try:
        message = json.loads(body) if body.lstrip().startswith("{") else {"text": body}
    except json.JSONDecodeError:
        return 400, {"error": "body is neither JSON nor text"}
    return 200, {"to": str(message.get("from", "")), "incoming": str(message.get("text", ""))}


async def serve_sms(
    meter: Meter, host: str, port: int, lock: asyncio.Lock | None = None
) -> asyncio.AbstractServer:
    """Start the simulated SMS gateway for one meter."""
    guard = lock or asyncio.Lock()
    return await asyncio.start_server(lambda r, w: _handle(meter, guard, r, w), host, port)


async def sms_listener(runtime) -> asyncio.AbstractServer | None:
    """A Runtime listener factory: the SMS gateway when the GSM module (053) is fitted (setting sms_port)."""
    port = runtime.settings.sms_port
    if runtime.meter.config.module_code != GSM_MODULE or not port:
        return None
    server = await serve_sms(runtime.meter, runtime.host, port, runtime.lock)
    log.info("SMS gateway on http://%s:%d/sms", runtime.host, port)
    return server
