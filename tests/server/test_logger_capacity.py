"""Class 7 attribute 8 (profile_entries) is each logger's capacity, not the entries in use (gurux-dlms)."""

from __future__ import annotations

import pytest
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSProfileGeneric

from k351c.meter.analysis import depth_for

# the data sheet's load profile depth for A+/A-/R+/R- at 15 minutes: 175 days of 96 entries
CAPACITIES = {
    "1.0.99.1.0.255": 175 * 96,
    "0.0.98.1.0.255": 36,  # debiting logger: the last 36 periods
    "0.0.98.2.0.255": 120,  # debiting logger 2, daily: 120 days
    "0.0.99.98.0.255": 250,
    "0.0.99.98.1.255": 100,
    "0.0.99.98.4.255": 250,
    "1.0.99.97.0.255": 100,
}


@pytest.mark.parametrize("hdlc", [False, True], ids=["wrapper", "hdlc"])
def test_every_logger_reports_its_capacity(running_meter, hdlc):
    settings = running_meter.runtime.settings
    physical = 1000 + int(running_meter.meter.config.serial) % 10000
    port = settings.hdlc_port if hdlc else settings.dlms_port
    s = GuruxSession(port, 32, "12345678", hdlc=hdlc, physical=physical)
    s.connect()
    analysis = running_meter.meter.function("analysis")
    expected = {**CAPACITIES, "1.0.99.2.0.255": depth_for(len(analysis.channels))}
    try:
        for code, capacity in expected.items():
            logger = GXDLMSProfileGeneric(code)
            in_use = s.read(logger, 7)
            assert (code, s.read(logger, 8)) == (code, capacity)
            assert in_use < capacity
    finally:
        s.close()
