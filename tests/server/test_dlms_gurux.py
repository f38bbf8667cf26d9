"""Interoperability: the independent gurux-dlms client reads and writes the meter over wrapper and HDLC."""

from __future__ import annotations

import pytest
from gurux_client import GuruxSession
from gurux_dlms import GXDLMSException
from gurux_dlms.enums import AssociationResult, SourceDiagnostic
from gurux_dlms.objects import GXDLMSClock, GXDLMSData, GXDLMSRegister


def session(running_meter, hdlc: bool, client_sap: int = 16, password: str | None = None) -> GuruxSession:
    settings = running_meter.runtime.settings
    port = settings.hdlc_port if hdlc else settings.dlms_port
    physical = 1000 + int(running_meter.meter.config.serial) % 10000
    s = GuruxSession(port, client_sap, password, hdlc=hdlc, physical=physical)
    s.connect()
    return s


@pytest.mark.parametrize("hdlc", [False, True], ids=["wrapper", "hdlc"])
def test_public_client_reads_identity_clock_and_energy(running_meter, hdlc):
    meter = running_meter.meter
    s = session(running_meter, hdlc)
    try:
        name = s.read(GXDLMSData("0.0.42.0.0.255"), 2)
        assert bytes(name).decode() == "KAM" + meter.config.serial
        register = GXDLMSRegister("1.0.1.8.0.255")
        s.read(register, 3)
        value = s.read(register, 2)
        expected = meter.read("1-0:1.8.0.255")
        assert register.unit == 30 and register.scaler == 1.0
        assert value == expected.value
        clock = GXDLMSClock("0.0.1.0.0.255")
        s.read(clock, 2)
        assert clock.time.value.timestamp() == pytest.approx(meter.t, abs=1)
    finally:
        s.close()


@pytest.mark.parametrize("hdlc", [False, True], ids=["wrapper", "hdlc"])
def test_reading_client_with_lls_reads_instantaneous_values(running_meter, hdlc):
    meter = running_meter.meter
    s = session(running_meter, hdlc, client_sap=32, password="12345678")
    try:
        for code in ("1.0.32.7.0.255", "1.0.31.7.0.255", "1.0.1.7.0.255", "1.0.13.7.0.255"):
            register = GXDLMSRegister(code)
            s.read(register, 3)
            value = s.read(register, 2)  # gurux applies the scaler it read from attribute 3
            obis = "1-0:" + ".".join(code.split(".")[2:])
            assert value == pytest.approx(meter.read(obis).value)
    finally:
        s.close()


def test_wrong_password_is_refused(running_meter):
    with pytest.raises(GXDLMSException) as refused:
        session(running_meter, False, client_sap=32, password="00000000")
    assert refused.value.result == AssociationResult.PERMANENT_REJECTED
    assert refused.value.diagnostic == SourceDiagnostic.AUTHENTICATION_FAILURE
