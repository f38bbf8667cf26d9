"""The conformance suite's gurux reader-flow sweep (tests/conformance) with --trace on: over the wrapper
and HDLC, public, LLS and HLS, with a 256-octet PDU (block transfer, HDLC segmentation) — every frame
decodes, no APDU is undecoded, every ciphered one opens, and the sweep still passes."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "conformance"))
from conformance_harness import DAYS, PHYSICAL, T0  # noqa: E402
from gurux_reader import ReaderSession, next_invocation_counter, sweep  # noqa: E402

from k351c.server.bench import Bench, bench_options  # noqa: E402
from k351c.server.keys import KeyStore  # noqa: E402
from k351c.server.runtime import Runtime  # noqa: E402
from testkit import ServedMeter, make_meter  # noqa: E402

pytestmark = pytest.mark.timeout(300)
NOW = datetime(2026, 3, 4, tzinfo=UTC)


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    from k351c.server.dlms import hdlc_listener, wrapper_listener

    path = tmp_path_factory.mktemp("conformance") / "sweep.jsonl"
    meter = make_meter(days=DAYS, start=T0)
    runtime = Runtime(
        meter, keys=KeyStore(None, test_keys=True), settings={"physical_address": PHYSICAL}, tick=0.2
    )
    runtime.bench = Bench(bench_options(trace=path), meter.clock.timestamp)
    running = ServedMeter(runtime, [wrapper_listener, hdlc_listener])
    yield running, path
    running.stop()


def _apdus(view: dict):
    apdu = view.get("apdu")
    while isinstance(apdu, dict):
        yield apdu
        apdu = apdu.get("deciphered")


@pytest.mark.parametrize("transport", ["wrapper", "hdlc"])
def test_reader_flow_trace_decodes_completely(traced, transport):
    running, path = traced
    hdlc = transport == "hdlc"
    port = running.port("hdlc_port" if hdlc else "dlms_port")
    before = len(path.read_text().splitlines()) if path.exists() else 0
    for association in ("public", "lls", "hls"):
        counter = next_invocation_counter(port, hdlc, PHYSICAL) if association == "hls" else 0
        session = ReaderSession(port, association, hdlc, 256, PHYSICAL, counter)
        session.connect()
        try:
            outcome = sweep(session, NOW, True)
        finally:
            session.close()
        assert outcome.failed == {}
    records = [json.loads(line) for line in path.read_text().splitlines()[before:]]
    frames = [r for r in records if r["direction"] in ("in", "out")]
    assert len(frames) > 1000
    assert [r["seq"] for r in frames if "error" in r["decoded"]] == []
    apdus = [a for r in frames for a in _apdus(r["decoded"])]
    assert [a for a in apdus if a["service"] == "undecoded"] == []
    assert [a for a in apdus if a.get("plaintext", "") is None] == []  # every ciphered APDU opened
    services = {a["service"] for a in apdus}
    assert {"get-request-next", "get-response-with-datablock", "glo-get-request"} <= services
    if hdlc:
        assert any(r["decoded"].get("segment") for r in frames)  # segmented answers reassembled
