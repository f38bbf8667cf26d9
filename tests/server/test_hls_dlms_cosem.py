"""Interoperability: the dlms-cosem 21.3.2 client as the management client with HLS-GMAC and ciphering."""

from __future__ import annotations

import pytest
from dlms_cosem import cosem, enumerations
from dlms_cosem.clients.dlms_client import DlmsClient
from dlms_cosem.exceptions import DlmsClientException
from dlms_cosem_client import hls_gmac_client
from gurux_secure import TEST_AK, TEST_EK, next_invocation_counter
from test_hls_gurux import start

from k351c.axdr.codec import decode_data
from k351c.cosem.model import Level, RequestContext


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    running = start(tmp_path_factory.mktemp("cosem"), days=1)
    yield running
    running.stop()


def client(port: int, ek: bytes = TEST_EK, dedicated: bool = False) -> DlmsClient:
    return hls_gmac_client(port, next_invocation_counter(port), ek, dedicated)


@pytest.mark.parametrize("dedicated", [False, True], ids=["global", "dedicated"])
def test_dlms_cosem_hls_gmac_reads_a_register(served, dedicated):
    port = served.runtime.settings.dlms_port
    attribute = cosem.CosemAttribute(
        enumerations.CosemInterface.REGISTER, cosem.Obis(1, 0, 1, 8, 0), 2
    )
    with client(port, dedicated=dedicated).session() as c:
        raw = c.get(attribute)
    value, _ = decode_data(raw, 0)
    ctx = RequestContext(Level.MANAGEMENT, 1)
    expected = served.call(served.runtime.objects.get, ctx, 3, bytes((1, 0, 1, 8, 0, 255)), 2)
    assert value == expected and value.value > 0


def test_dlms_cosem_wrong_key_refused(served):
    port = served.runtime.settings.dlms_port
    with pytest.raises(DlmsClientException, match="REJECTED_PERMANENT.*AUTHENTICATION_FAILED"):
        with client(port, ek=TEST_AK).session():
            pass
