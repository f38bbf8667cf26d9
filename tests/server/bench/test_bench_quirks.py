"""Real-meter quirks as a gurux head-end meets them: refusals, timeouts, and what makes them pass."""

from __future__ import annotations

import json
import time

import pytest
from bench_harness import bench_meter, physical_address
from dlms_cosem.protocol.acse import ApplicationAssociationResponse
from gurux_client import GuruxSession
from gurux_dlms import GXByteBuffer, GXDLMSException, GXReplyData
from gurux_dlms.objects import GXDLMSData, GXDLMSRegister

A_PLUS = "1.0.1.8.0.255"


def gurux(running, hdlc: bool = False, timeout: float = 5.0, **kwargs) -> GuruxSession:
    port = running.ports["hdlc" if hdlc else "wrapper"]
    s = GuruxSession(port, hdlc=hdlc, physical=physical_address(running.meter), **kwargs)
    s.sock.settimeout(timeout)
    return s


def test_single_association_refuses_a_second_one_until_the_first_is_released(tmp_path):
    running = bench_meter(tmp_path, quirks=["single-association"])
    try:
        first = gurux(running)
        first.connect()
        second = gurux(running, hdlc=True)  # another listener of the same meter
        with pytest.raises(GXDLMSException) as refused:
            second.connect()
        assert refused.value.result == 2  # rejected-transient
        second.sock.close()
        first.close()
        third = gurux(running, hdlc=True)
        third.connect()
        assert third.read(GXDLMSRegister(A_PLUS), 2) is not None
        third.close()
    finally:
        running.stop()


def test_without_the_quirk_two_associations_are_served(tmp_path):
    running = bench_meter(tmp_path)
    try:
        first, second = gurux(running), gurux(running, hdlc=True)
        first.connect()
        second.connect()
        first.close()
        second.close()
    finally:
        running.stop()


def test_no_release_leaves_the_release_request_unanswered(tmp_path):
    running = bench_meter(tmp_path, quirks=["no-release"])
    try:
        s = gurux(running, timeout=5)
        s.connect()
        s.read(GXDLMSRegister(A_PLUS), 2)
        s.sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            s.request(s.client.releaseRequest())
        s.sock.close()
    finally:
        running.stop()


def _bad_version_aarq(s: GuruxSession) -> bytes:
    """Gurux's AARQ with DLMS version 5 in its InitiateRequest: the meter must refuse it."""
    aarq = bytes(s.client.aarqRequest()[0])
    initiate = aarq.index(bytes.fromhex("01000000065f1f"))
    return aarq[: initiate + 4] + b"\x05" + aarq[initiate + 5 :]


@pytest.mark.parametrize("quirk", [False, True], ids=["standard", "quirk"])
def test_aare_without_user_info_on_rejection(tmp_path, quirk):
    running = bench_meter(tmp_path, quirks=["aare-without-user-info"] if quirk else [])
    try:
        s = gurux(running)
        s.sock.sendall(_bad_version_aarq(s))
        time.sleep(0.3)
        answer = s.sock.recv(1000)
        s.sock.close()
    finally:
        running.stop()
    aare = answer[8:]
    assert aare[0] == 0x61
    assert (b"\xbe" in aare) is not quirk  # user-information [30] with the confirmedServiceError
    parsed = ApplicationAssociationResponse.from_bytes(aare)  # dlms-cosem reads the AARE
    assert int(parsed.result) == 1  # rejected-permanent either way
    if quirk:
        assert parsed.user_information is None
    else:
        error = parsed.user_information.content.error
        assert error.name == "DLMS_VERSION_TOO_LOW"
    reply = GXReplyData()
    s.client.getData(GXByteBuffer(answer), reply, None)
    with pytest.raises(GXDLMSException) as refused:  # gurux refuses it either way
        s.client.parseAareResponse(reply.data)
    assert int(refused.value.result) == 1


def test_slow_first_answer_needs_a_patient_head_end(tmp_path):
    running = bench_meter(tmp_path, quirks=["slow-first-answer"])
    try:
        impatient = gurux(running, timeout=1.0)
        with pytest.raises(TimeoutError):
            impatient.connect()
        impatient.sock.close()
        patient = gurux(running, timeout=6.0)
        start = time.perf_counter()
        patient.connect()
        assert time.perf_counter() - start >= 3.0
        start = time.perf_counter()
        patient.read(GXDLMSRegister(A_PLUS), 2)
        assert time.perf_counter() - start < 1.0  # only the first answer is slow
        patient.close()
    finally:
        running.stop()


def test_strict_invoke_id_times_out_a_repeated_invoke_id(tmp_path):
    running = bench_meter(tmp_path, quirks=["strict-invoke-id"])
    try:
        s = gurux(running, timeout=5)
        s.connect()
        s.read(GXDLMSRegister(A_PLUS), 2)
        s.sock.settimeout(0.5)
        with pytest.raises(TimeoutError):  # gurux keeps invoke id 1 by default
            s.read(GXDLMSData("0.0.42.0.0.255"), 2)
        s.sock.close()
        # gurux-dlms (Python) frames carry settings.invokeId; its autoIncreaseInvokeID sets
        # another attribute (invokeID) and changes nothing, so the head-end counts itself
        counting = gurux(running)
        counting.connect()
        counting.read(GXDLMSRegister(A_PLUS), 2)
        counting.client.settings.invokeId = 2
        name = counting.read(GXDLMSData("0.0.42.0.0.255"), 2)
        assert bytes(name).decode().startswith("KAM")
        counting.close()
    finally:
        running.stop()


def _ded_answer_counters(tmp_path, quirks: list[str]) -> list[int]:
    """Invocation counters of the meter's ded-ciphered answers over two gurux HLS sessions."""
    from gurux_secure import SecureSession

    trace = tmp_path / f"ded-{len(quirks)}.jsonl"
    running = bench_meter(tmp_path, trace=trace, quirks=quirks)
    try:
        for key in (bytes(range(16)), bytes(range(16, 32))):
            s = SecureSession(running.ports["wrapper"])
            s.client.ciphering.dedicatedKey = key
            s.connect()
            value = s.read(GXDLMSRegister(A_PLUS), 2)  # gurux deciphers what the meter sent
            assert value == pytest.approx(running.meter.read("1-0:1.8.0.255").value, abs=1)
            s.read(GXDLMSData("0.0.42.0.0.255"), 2)
            s.close()
    finally:
        running.stop()
    counters = []
    for line in trace.read_text().splitlines():
        record = json.loads(line)
        apdu = record["decoded"].get("apdu", {})
        if record["direction"] == "out" and apdu.get("service") == "ded-get-response":
            counters.append(apdu["security_header"]["invocation_counter"])
    return counters


def test_counter_per_dedicated_key_restarts_with_each_key(tmp_path):
    assert _ded_answer_counters(tmp_path, ["counter-per-dedicated-key"]) == [1, 2, 1, 2]
    standard = _ded_answer_counters(tmp_path, [])
    assert len(standard) == 4 and standard == sorted(set(standard)) and standard[0] > 2


@pytest.mark.parametrize("hdlc", [False, True], ids=["wrapper", "hdlc"])
@pytest.mark.parametrize("quirk", [False, True], ids=["standard", "quirk"])
def test_release_closes_connection(tmp_path, quirk, hdlc):
    running = bench_meter(tmp_path, quirks=["release-closes-connection"] if quirk else [])
    try:
        s = gurux(running, hdlc=hdlc)
        s.connect()
        s.read(GXDLMSRegister(A_PLUS), 2)
        s.request(s.client.releaseRequest())  # the RLRE comes either way
        if quirk:  # then the meter hangs up: a head-end reusing the connection must reconnect
            with pytest.raises(ConnectionError):
                s.request(s.client.aarqRequest())
        else:
            s.request(s.client.aarqRequest())
            assert s.read(GXDLMSRegister(A_PLUS), 2) is not None
        s.sock.close()
    finally:
        running.stop()
