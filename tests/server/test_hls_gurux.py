"""Interoperability: gurux-dlms as the management client with HLS-GMAC, security suite 0, over TCP."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from gurux_client import GuruxSession
from gurux_dlms import GXDLMSException
from gurux_dlms.enums import ErrorCode, Security, SourceDiagnostic
from gurux_dlms.objects import (
    GXDLMSClock,
    GXDLMSProfileGeneric,
    GXDLMSRegister,
    GXDLMSSecuritySetup,
)
from gurux_dlms.objects.enums import GlobalKeyType
from gurux_secure import TEST_AK, TEST_EK, SecureSession

from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime
from testkit import ServedMeter, make_meter

NEW_EK = bytes.fromhex("11111111222222223333333344444444")
NEW_AK = bytes.fromhex("55555555666666667777777788888888")


def start(tmp_path, test_keys: bool = True, days: int = 2, **settings) -> ServedMeter:
    from k351c.server.dlms import wrapper_listener

    meter = make_meter(days=days)
    runtime = Runtime(
        meter, keys=KeyStore(tmp_path, test_keys=test_keys), settings=settings, tick=0.2
    )
    return ServedMeter(runtime, [wrapper_listener])


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    running = start(tmp_path_factory.mktemp("hls"))
    yield running
    running.stop()


def port_of(running: ServedMeter) -> int:
    return running.runtime.settings.dlms_port


@pytest.mark.parametrize("security", [Security.AUTHENTICATION_ENCRYPTION, Security.AUTHENTICATION])
def test_hls_gmac_reads_registers_clock_and_profile_by_range(served, security, caplog):
    if security is Security.AUTHENTICATION:
        served.call(served.runtime.security.state.set_policy, 1)
    caplog.set_level(logging.DEBUG)
    s = SecureSession(port_of(served), security=security)
    s.connect()
    try:
        register = GXDLMSRegister("1.0.1.8.0.255")
        s.read(register, 3)
        value = s.read(register, 2)
        expected = served.call(served.meter.read, "1-0:1.8.0.255")
        assert float(value) == pytest.approx(
            expected.value * 1000 ** ("k" in expected.unit)
        )  # gurux scales
        assert s.read(GXDLMSClock("0.0.1.0.0.255"), 2) is not None
        pg = GXDLMSProfileGeneric("1.0.99.1.0.255")
        s.read(pg, 3)
        profile = served.call(served.meter.read, "1-0:99.1.0.255")
        low = profile.rows[0][0] + timedelta(hours=6)
        high = low + timedelta(hours=12)
        rows = s.request(s.client.readRowsByRange(pg, low, high)).value
        assert len(rows) == len([r for r in profile.rows if low <= r[0] <= high]) == 49
        assert s.read(GXDLMSSecuritySetup("0.0.43.0.0.255"), 5)[:3] == b"KAM"
    finally:
        s.close()
        served.call(served.runtime.security.state.set_policy, 3)
    text = caplog.text.upper()
    for key in (TEST_EK.hex().upper(), TEST_AK.hex().upper(), "D0D1D2D3"):
        assert key not in text


def test_wrong_key_refused(served):
    s = SecureSession(port_of(served), ek=NEW_EK)
    try:
        with pytest.raises(GXDLMSException) as refused:
            s.connect()
        assert refused.value.diagnostic == SourceDiagnostic.AUTHENTICATION_FAILURE
    finally:
        s.sock.close()


def test_replayed_frame_refused(served):
    s = SecureSession(port_of(served))
    s.connect()
    try:
        (frame,) = s.client.read(GXDLMSRegister("1.0.1.8.0.255"), 2)
        first, again = s.raw(frame), s.raw(frame)
        assert first[0] == 0xCC  # glo-get-response
        assert (
            again == bytes((0xD8, 1, 6)) + again[3:]
        )  # exception-response, invocation-counter-error
        old = SecureSession(port_of(served), counter=1)
        with pytest.raises(GXDLMSException):
            old.connect()
        old.sock.close()
    finally:
        s.sock.close()


def test_plain_request_on_a_ciphered_association_refused(served):
    s = SecureSession(port_of(served))
    s.connect()
    try:
        plain = bytes.fromhex(
            "000100010001000DC001C100030100010800FF0200"
        )  # wrapper + GET of 1.8.0
        assert s.raw(plain)[:3] == bytes((0xD8, 1, 1))
    finally:
        s.sock.close()


def test_key_transfer_changes_keys_old_refused_and_persisted(tmp_path):
    running = start(tmp_path, test_keys=False, days=0)
    keys = running.runtime.keys.keys
    ek, ak, kek = keys.key("encryption_key"), keys.key("authentication_key"), keys.key("master_key")
    try:
        s = SecureSession(port_of(running), ek=ek, ak=ak)
        s.connect()
        setup = GXDLMSSecuritySetup("0.0.43.0.0.255")
        pairs = [(GlobalKeyType.UNICAST_ENCRYPTION, NEW_EK), (GlobalKeyType.AUTHENTICATION, NEW_AK)]
        s.request(setup.globalKeyTransfer(s.client, kek, pairs))
        s.sock.close()
        old = SecureSession(port_of(running), ek=ek, ak=ak)
        with pytest.raises(GXDLMSException):
            old.connect()
        old.sock.close()
        new = SecureSession(port_of(running), ek=NEW_EK, ak=NEW_AK)
        new.connect()
        assert new.read(GXDLMSRegister("1.0.1.8.0.255"), 2) is not None
        new.close()
    finally:
        running.stop()
    reloaded = KeyStore(tmp_path).keys
    assert (reloaded.key("encryption_key"), reloaded.key("authentication_key")) == (NEW_EK, NEW_AK)


def refused(session) -> None:
    """The association is refused (gurux raises); the socket is closed either way."""
    try:
        with pytest.raises(GXDLMSException):
            session.connect()
    finally:
        session.sock.close()


def test_failed_logins_are_delayed_then_locked_out_and_logged(tmp_path):
    running = start(
        tmp_path, days=0, auth_free_attempts=2, auth_base_delay=10, auth_lockout_after=3
    )
    port = port_of(running)
    jump = lambda seconds: running.call(running.meter.clock.jump, seconds)  # noqa: E731
    events = []
    running.call(running.meter.subscribe, events.append)
    try:
        for _ in range(2):
            refused(SecureSession(port, ek=NEW_EK))
        refused(SecureSession(port))  # the right key, but within the delay after two failures
        jump(11)
        SecureSession(port).connect()
        refused(GuruxSession(port, 32, "00000000"))
        refused(GuruxSession(port, 32, "00000000"))
        jump(11)
        refused(GuruxSession(port, 32, "00000000"))
        jump(600)
        refused(GuruxSession(port, 32, "12345678"))  # locked out for an hour
        jump(3001)
        ok = GuruxSession(port, 32, "12345678")
        ok.connect()
        ok.close()
    finally:
        running.stop()
    failures = [e for e in events if e.kind == "authentication_failed"]
    assert [e.data["client_sap"] for e in failures] == [1, 1, 32, 32, 32]
    assert failures[-1].log == "standard" and failures[-1].data["locked_out"]
    assert failures[1].data["blocked_for"] == 10 and failures[-1].data["blocked_for"] == 3600


def test_aare_asks_for_authentication_and_the_reader_flow_follows_it(served):
    s = SecureSession(port_of(served))
    s.connect()  # GXDLMSReader: pass 3/4 only because isAuthenticationRequired says so
    try:
        assert s.client.isAuthenticationRequired
        assert s.read(GXDLMSRegister("1.0.1.8.0.255"), 2) is not None
    finally:
        s.close()
    lls = GuruxSession(port_of(served), 32, "12345678")
    lls.connect()
    try:
        assert not lls.client.isAuthenticationRequired
    finally:
        lls.close()


def test_pass_3_with_a_wrong_f_stoc_is_refused_and_opens_nothing(served):
    """gurux answers a challenge the meter did not send: f(StoC) fails, the association stays shut.

    The pass-3 APDU is ciphered and authenticated with the right keys, so it passes the security
    layer and reaches the f(StoC) check itself.
    """
    events: list = []
    served.call(served.meter.subscribe, events.append)
    s = SecureSession(port_of(served))
    try:
        GuruxSession.connect(s)  # AARQ / AARE only
        assert s.client.isAuthenticationRequired
        stoc = bytearray(s.client.settings.stoCChallenge)
        stoc[-1] ^= 0x01
        s.client.settings.stoCChallenge = bytes(stoc)
        reply = s.request(s.client.getApplicationAssociationRequest())
        assert reply.error == ErrorCode.READ_WRITE_DENIED  # the ACTION answer to a wrong f(StoC)
        with pytest.raises(Exception, match="parseApplicationAssociationResponse failed"):
            s.client.parseApplicationAssociationResponse(reply.data)
        (frame,) = s.client.read(GXDLMSRegister("1.0.1.8.0.255"), 2)
        assert s.raw(frame)[:1] == b"\xd8"  # exception-response: the GET is not served
    finally:
        s.sock.close()
    failed = [e for e in events if e.kind == "authentication_failed"]
    assert [e.data["client_sap"] for e in failed] == [1]
