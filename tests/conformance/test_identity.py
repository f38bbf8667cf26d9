"""Association identity over HLS-GMAC with gurux: ciphered context name; SAP and system title follow the serial."""

from __future__ import annotations

import pytest
from conformance_harness import PHYSICAL, serve_meter
from gurux_dlms.objects import GXDLMSAssociationLogicalName, GXDLMSSapAssignment
from gurux_reader import ReaderSession, next_invocation_counter

CIPHERED_LN_CONTEXT = 3  # 2.16.756.5.8.1.3 logical-name-referencing-with-ciphering


@pytest.fixture
def served():
    running = serve_meter()
    yield running
    running.stop()


def hls_session(served, hdlc: bool) -> ReaderSession:
    port = served.port("hdlc_port" if hdlc else "dlms_port")
    session = ReaderSession(port, "hls", hdlc, 1024, PHYSICAL, next_invocation_counter(port, hdlc, PHYSICAL))
    session.connect()
    return session


@pytest.mark.parametrize("hdlc", [False, True])
def test_association_shows_the_ciphered_context_and_hls_mechanism(served, hdlc):
    session = hls_session(served, hdlc)
    try:
        association = GXDLMSAssociationLogicalName("0.0.40.0.0.255")
        session.read(association, 4)
        session.read(association, 6)
        assert association.applicationContextName.contextId == CIPHERED_LN_CONTEXT
        assert int(association.authenticationMechanismName.mechanismId) == 5  # HLS-GMAC
    finally:
        session.close()


def test_sap_assignment_and_system_title_follow_a_serial_change(served):
    served.call(lambda: served.meter.reconfigure(serial="87654321"))
    public = ReaderSession(served.port("dlms_port"), "public", False, 1024, PHYSICAL)
    public.connect()
    try:
        sap = GXDLMSSapAssignment("0.0.41.0.0.255")
        public.read(sap, 2)
        assert [(int(a), str(n)) for a, n in sap.sapAssignmentList] == [(1, "KAM87654321")]
    finally:
        public.close()
    session = hls_session(served, hdlc=False)
    try:
        assert bytes(session.client.settings.sourceSystemTitle) == b"KAM" + (87654321).to_bytes(5, "big")
    finally:
        session.close()
