"""A trace of a gurux conformance sweep (every attribute of every object, LLS and HLS, plain, glo- and
ded-ciphered, block transfer, with-list, set, action, refusals) has no undecoded APDU, and
`k351c trace decode` prints it with the ciphered APDUs opened."""

from __future__ import annotations

import json

import pytest
from bench_harness import bench_meter
from gurux_client import GuruxSession
from gurux_dlms import GXDLMSException
from gurux_dlms.enums import ObjectType
from gurux_dlms.objects import (
    GXDLMSAssociationLogicalName,
    GXDLMSClock,
    GXDLMSData,
    GXDLMSRegister,
)
from gurux_secure import SecureSession
from typer.testing import CliRunner

from k351c.cli.main import app

SKIP_CLASSES = {ObjectType.NONE}


def read_everything(s: GuruxSession) -> int:
    """Read the object list (block transfer), then every attribute of every object; the count read."""
    association = GXDLMSAssociationLogicalName()
    s.read(association, 2)
    done = 0
    for obj in association.objectList:
        if obj.objectType in SKIP_CLASSES:
            continue
        for attribute in range(1, obj.getAttributeCount() + 1):
            try:
                s.read(obj, attribute)
                done += 1
            except (GXDLMSException, ValueError, TypeError, IndexError, KeyError):
                done += 1  # a refusal or a value gurux cannot model is still an answer
    return done


def ciphered_session(port: int, dedicated: bool) -> SecureSession:
    s = SecureSession(port)
    if dedicated:
        s.client.ciphering.dedicatedKey = bytes(range(16, 32))
    s.sock.settimeout(10)
    s.connect()
    return s


@pytest.fixture(scope="module")
def sweep_trace(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("sweep")
    path = tmp_path / "sweep.jsonl"
    running = bench_meter(tmp_path, trace=path)
    port = running.ports["wrapper"]
    try:
        reading = GuruxSession(port, 32, "12345678")
        reading.sock.settimeout(10)
        reading.client.maxReceivePDUSize = 512  # long answers come in blocks
        reading.connect()
        assert read_everything(reading) > 300
        pairs = [(GXDLMSRegister("1.0.1.8.0.255"), 2), (GXDLMSData("0.0.96.1.0.255"), 2)]
        reply = reading.request(reading.client.readList(pairs)[0])
        assert reply is not None
        clock = GXDLMSClock("0.0.1.0.0.255")
        reading.read(clock, 2)
        reading.write(clock, 2)
        reading.close()
        for dedicated in (False, True):
            secure = ciphered_session(port, dedicated)
            secure.read(GXDLMSRegister("1.0.1.8.0.255"), 2)
            secure.read(GXDLMSData("0.0.43.1.0.255"), 2)
            plain_get = "000100010001000d" "c001c100030100010800ff0200"  # plain on a ciphered one
            assert secure.raw(bytes.fromhex(plain_get))[0] == 0xD8  # exception-response
            secure.close()
        refused = GuruxSession(port, 32, "00000000")
        with pytest.raises(GXDLMSException):
            refused.connect()
        refused.sock.close()
    finally:
        running.stop()
    return path


def _apdus(view: dict):
    apdu = view.get("apdu")
    while isinstance(apdu, dict):
        yield apdu
        apdu = apdu.get("deciphered")


def test_sweep_trace_has_no_undecoded_apdu(sweep_trace):
    records = [json.loads(line) for line in sweep_trace.read_text().splitlines()]
    frames = [r for r in records if r["direction"] in ("in", "out")]
    services = [a["service"] for r in frames for a in _apdus(r["decoded"])]
    assert "undecoded" not in services
    assert all("error" not in r["decoded"] for r in frames)
    for expected in (
        "AARQ", "AARE", "RLRQ", "RLRE",
        "get-request-normal", "get-response-normal", "get-request-next",
        "get-response-with-datablock", "get-request-with-list", "get-response-with-list",
        "set-request-normal", "set-response-normal",
        "action-request-normal", "action-response-normal", "exception-response",
        "glo-get-request", "glo-get-response", "ded-get-request", "ded-get-response",
        "glo-action-request", "glo-action-response",
    ):
        assert expected in services, expected
    refusals = [a["refusal"] for r in frames for a in _apdus(r["decoded"]) if "refusal" in a]
    assert any("authentication-failure" in reason for reason in refusals)
    assert any("read-write-denied" in reason or "object-undefined" in reason for reason in refusals) or refusals


def test_ciphered_apdus_are_opened_with_the_meter_keys(sweep_trace):
    records = [json.loads(line) for line in sweep_trace.read_text().splitlines()]
    ciphered = [
        apdu for r in records if r["direction"] in ("in", "out")
        for apdu in [r["decoded"].get("apdu", {})] if apdu.get("service", "").startswith(("glo-", "ded-"))
    ]
    assert ciphered
    for apdu in ciphered:
        assert apdu["security_header"]["suite"] == 0
        assert apdu["deciphered"]["service"].startswith(("get-", "action-", "set-"))
    energy = [a for a in ciphered if a["deciphered"].get("attribute", {}).get("obis") == "1-0:1.8.0.255"]
    assert len(energy) == 2  # glo- and ded- sessions


def test_trace_decode_prints_the_sweep(sweep_trace):
    result = CliRunner().invoke(app, ["trace", "decode", str(sweep_trace), "--test-keys"])
    assert result.exit_code == 0, result.output
    assert "undecoded" not in result.output
    assert "get-request-normal invoke 1 3/1-0:1.8.0.255/2" in result.output
    assert "ded-get-request" in result.output and "glo-get-response" in result.output
    plain = CliRunner().invoke(app, ["trace", "decode", str(sweep_trace)])
    assert "keys or system title not known" in plain.output  # without keys it says so


def test_trace_decode_reads_a_raw_hex_capture(tmp_path):
    capture = tmp_path / "capture.txt"
    capture.write_text(
        "# a GET of A+ over the wrapper and the meter's answer, marked > (to it) and < (from it)\n"
        "> 000100100001000D C001C100030100010800FF0200\n"
        "< 0001000100100009 C401C1000600000A22\n"
    )
    result = CliRunner().invoke(app, ["trace", "decode", str(capture)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "in  wrapper get-request-normal invoke 1 3/1-0:1.8.0.255/2" in lines[0]
    assert "out wrapper get-response-normal invoke 1" in lines[2]
    assert '"result": 2594' in lines[3]
    snrm = tmp_path / "snrm.txt"
    snrm.write_text("7e a0 0a 00 02 12 a5 21 93 fa 51 7e\n")  # gurux's SNRM to physical address 1234
    hdlc = CliRunner().invoke(app, ["trace", "decode", str(snrm), "--kind", "hdlc", "--json"])
    record = json.loads(hdlc.output)
    assert record["direction"] == "in"
    assert record["decoded"]["hdlc"]["type"] == "SNRM"
    assert record["decoded"]["hdlc"]["destination"] == {"upper": 1, "lower": 1234}
    bad = CliRunner().invoke(app, ["trace", "decode", str(capture), "--kind", "ascii"])
    assert bad.exit_code == 2 and "--kind" in bad.output
