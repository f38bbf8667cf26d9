"""Fixtures that run a meter's listeners in a background asyncio loop on free ports."""

from __future__ import annotations

import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime
from testkit import ServedMeter

__all__ = ["running_meter"]


@pytest.fixture
def running_meter(tmp_path):
    """A default meter (test keys, frozen simulated clock after one hour of 5 A load) with DLMS listeners."""
    from k351c.server.dlms import hdlc_listener, wrapper_listener

    clock = SimClock("2026-03-01T00:00:00Z", rate=0)
    meter = Meter(MeterConfig.default(), clock=clock)
    meter.set_load(ConstantLoad(current=(5.0, 4.0, 3.0), angle=(10.0, 20.0, 30.0)))
    meter.run_for(86400 * 3)
    runtime = Runtime(meter, keys=KeyStore(None, test_keys=True), tick=0.2)
    running = ServedMeter(runtime, [wrapper_listener, hdlc_listener])
    yield running
    running.stop()
