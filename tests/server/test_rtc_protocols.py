"""The RTC's drift as head-ends see it: gurux reads and corrects the clock, pwitab reads 0.9.1/0.9.2."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from gurux_client import GuruxSession
from gurux_dlms import GXDateTime
from gurux_dlms.objects import GXDLMSClock
from test_optical_server import pwitab_readout

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.codes import RtcSettings, Settings
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime
from testkit import ServedMeter

T0 = 1767225600.0  # 2026-01-01T00:00:00Z
DAY = 86400.0
PPM = 1000.0  # 86.4 s a day, so two days show well above a second


def drifting_meter() -> Meter:
    settings = dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=PPM))
    meter = Meter(MeterConfig.from_codes(settings=settings), clock=SimClock(T0, rate=0))
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(2 * DAY)
    return meter


@pytest.fixture
def served():
    from k351c.server.dlms import wrapper_listener

    runtime = Runtime(drifting_meter(), keys=KeyStore(None, test_keys=True), tick=0.2)
    running = ServedMeter(runtime, [wrapper_listener])
    yield running
    running.stop()


def test_gurux_sees_the_drift_and_a_clock_set_corrects_it(served):
    true_now = T0 + 2 * DAY
    ahead = 2 * DAY * PPM * 1e-6
    s = GuruxSession(served.runtime.settings.dlms_port, 32, "12345678")
    s.connect()
    try:
        clock = GXDLMSClock("0.0.1.0.0.255")
        s.read(clock, 2)
        assert clock.time.value.timestamp() - true_now == pytest.approx(ahead, abs=1.0)
        clock.time = GXDateTime(datetime.fromtimestamp(true_now, UTC))
        assert s.write(clock, 2).error == 0
        again = GXDLMSClock("0.0.1.0.0.255")
        s.read(again, 2)
        assert again.time.value.timestamp() == pytest.approx(true_now, abs=1.0)
    finally:
        s.close()
    assert served.call(lambda: served.meter.t - served.meter.clock.timestamp()) == pytest.approx(
        0.0, abs=1e-6
    )


def test_optical_readout_shows_the_drifted_time():
    meter = drifting_meter()
    _, readout = pwitab_readout(meter)
    lines = {d.address: d.value for d in readout.data if d.address}
    shown = meter.read("0-0:1.0.0.255").value
    assert shown.timestamp() - (T0 + 2 * DAY) == pytest.approx(172.8, abs=1e-3)
    assert lines["0-0:0.9.1"] == shown.strftime("%H:%M:%S")  # 2 min 52.8 s past the hour
    assert lines["0-0:0.9.2"] == shown.strftime("%y-%m-%d")
