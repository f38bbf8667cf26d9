"""--trace: every frame of a gurux session on wrapper and HDLC is recorded and decoded."""

from __future__ import annotations

import json

import pytest
from bench_harness import bench_meter, physical_address
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSClock, GXDLMSData, GXDLMSRegister


@pytest.mark.parametrize("hdlc", [False, True], ids=["wrapper", "hdlc"])
def test_trace_records_a_gurux_read_decoded(tmp_path, hdlc):
    path = tmp_path / "trace.jsonl"
    running = bench_meter(tmp_path, trace=path)
    try:
        port = running.ports["hdlc" if hdlc else "wrapper"]
        s = GuruxSession(port, 16, None, hdlc=hdlc, physical=physical_address(running.meter))
        s.connect()
        s.read(GXDLMSRegister("1.0.1.8.0.255"), 2)
        s.read(GXDLMSData("0.0.42.0.0.255"), 2)
        s.read(GXDLMSClock("0.0.1.0.0.255"), 2)
        s.close()
    finally:
        running.stop()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    frames = [r for r in records if r["direction"] in ("in", "out")]
    assert {r["direction"] for r in frames} == {"in", "out"}
    for record in frames:
        assert record["listener"].startswith("hdlc:" if hdlc else "wrapper:")
        assert bytes.fromhex(record["hex"])
        assert record["time"].startswith("2026-03-01T01:00")
    apdus = [r["decoded"]["apdu"] for r in frames if "apdu" in r["decoded"]]
    services = [a["service"] for a in apdus]
    assert services[:2] == ["AARQ", "AARE"]
    assert services.count("get-request-normal") == 3
    assert services.count("get-response-normal") == 3
    assert services[-2:] == ["RLRQ", "RLRE"]
    assert [a["event"] for a in apdus if "event" in a] == ["associated", "released"]
    assert [r["direction"] for r in records][0] == "connect"
    energy = next(a for a in apdus if a.get("attribute", {}).get("obis") == "1-0:1.8.0.255")
    assert energy["attribute"] == {"class_id": 3, "obis": "1-0:1.8.0.255", "attribute": 2}
    assert energy["invoke_id"] == 1
    answer = apdus[apdus.index(energy) + 1]
    expected = running.meter.read("1-0:1.8.0.255").value
    assert answer["result"] == pytest.approx(expected, abs=1)  # Wh, scaler 0
    name = apdus[apdus.index(energy) + 3]
    assert bytes.fromhex(name["result"]).decode() == "KAM" + running.meter.config.serial
    assert all(a["service"] != "undecoded" for a in apdus)
    if hdlc:
        kinds = [r["decoded"]["hdlc"]["type"] for r in frames]
        assert kinds[:2] == ["SNRM", "UA"] and kinds[-2:] == ["DISC", "UA"]
