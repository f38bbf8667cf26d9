"""The live traffic view and the fault counters: what a gurux session left in the bench, over HTTP."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from gurux_dlms.objects import GXDLMSData, GXDLMSRegister

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server" / "bench"))
from bench_harness import bench_meter  # noqa: E402
from gurux_client import GuruxSession  # noqa: E402

from k351c.web.app import create_app  # noqa: E402


def test_traffic_api_filters_downloads_and_counts_faults(tmp_path):
    running = bench_meter(tmp_path, trace=tmp_path / "t.jsonl", faults=["stall=1,seconds=0.05"])
    try:
        port = running.ports["wrapper"]
        s = GuruxSession(port, 16)
        s.sock.settimeout(3)
        s.connect()
        s.read(GXDLMSRegister("1.0.1.8.0.255"), 2)
        s.read(GXDLMSData("0.0.42.0.0.255"), 2)
        s.sock.close()
    finally:
        running.stop()
    with TestClient(create_app(running.runtime, "token")) as client:
        page = client.get("/traffic")
        assert page.status_code == 200 and "/static/traffic.js" in page.text
        assert client.get("/static/traffic.js").status_code == 200
        everything = client.get("/api/traffic").json()
        assert everything["tracing"] and everything["records"]
        gets = client.get("/api/traffic", params={"service": "get-request-normal"}).json()
        objects = [r["decoded"]["apdu"]["attribute"]["obis"] for r in gets["records"]]
        assert objects == ["1-0:1.8.0.255", "0-0:42.0.0.255"]
        after = client.get("/api/traffic", params={"after": gets["last"]}).json()
        assert all(r["seq"] > gets["last"] for r in after["records"])
        none = client.get("/api/traffic", params={"listener": "mbus:1"}).json()
        assert none["records"] == []
        download = client.get("/api/traffic.jsonl", params={"service": "get-response-normal"})
        lines = [json.loads(line) for line in download.text.splitlines()]
        assert len(lines) == 2 and all(r["faults"] == ["stall"] for r in lines)
        assert "attachment" in download.headers["content-disposition"]
        metrics = client.get("/metrics").text
        expected = f'k351c_bench_faults_injected_total{{kind="stall",listener="wrapper:{port}"}} 3.0'
        assert expected in metrics
