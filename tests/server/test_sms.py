"""SMS gateway of the GSM module: commands answered by the real HTTP endpoint (httpx client)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.server.sms import SMS_LENGTH, serve_sms, sms_reply


def make_meter() -> Meter:
    config = MeterConfig.from_codes(config1="3-1-053-26-2", serial="7012345678")
    meter = Meter(config, clock=SimClock("2026-03-01T10:00:00Z", rate=0))
    meter.set_load(ConstantLoad(230.0, 5.0))
    meter.run_for(3600)
    return meter


def test_commands() -> None:
    meter = make_meter()
    energy = meter.read("1-0:1.8.0.255")
    assert sms_reply(meter, "read 1.8.0") == f"1.8.0={energy.value} {energy.unit}"
    assert sms_reply(meter, "READ 1.8.0 9.9.9").endswith("9.9.9=?")
    status = sms_reply(meter, "STATUS")
    assert status.startswith("SN 7012345678, 2026-03-01 12:00, T") and "R1 ON" in status
    assert sms_reply(meter, "HELP").startswith("READ")
    assert sms_reply(meter, "bogus").startswith("ERR")
    assert len(sms_reply(meter, "READ " + " ".join(["1.8.0"] * 40))) == SMS_LENGTH


@pytest.mark.parametrize("body", ['{"from": "+4511223344", "text": "READ 1.8.0"}', "READ 1.8.0"])
def test_http_gateway(body: str) -> None:
    meter = make_meter()

    async def exchange() -> httpx.Response:
        server = await serve_sms(meter, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with httpx.AsyncClient() as client:
            response = await client.post(f"http://127.0.0.1:{port}/sms", content=body)
            bad = await client.get(f"http://127.0.0.1:{port}/other")
        server.close()
        assert bad.status_code == 400
        return response

    response = asyncio.run(exchange())
    assert response.status_code == 200
    reply = response.json()
    assert reply["text"].startswith("1.8.0=")
    assert reply["to"] == ("+4511223344" if body.startswith("{") else "")
