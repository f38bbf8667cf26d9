"""gurux-dlms reads a class-limit meter's own error in its energy registers and instantaneous power."""

from __future__ import annotations

import math

import pytest
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSRegister

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.codes.metrology import Metrology
from k351c.meter.accuracy import error_at
from k351c.server.dlms import wrapper_listener
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime
from testkit import ServedMeter

T0 = "2026-03-01T00:00:00Z"
HOURS = 24.0


@pytest.fixture(scope="module")
def served():
    config = MeterConfig.from_codes(metrology=Metrology(accuracy="class-limit"))
    meter = Meter(config, clock=SimClock(T0, rate=0))
    meter.set_load(ConstantLoad(current=5.0, angle=60.0))
    meter.run_for(HOURS * 3600.0)
    running = ServedMeter(
        Runtime(meter, keys=KeyStore(None, test_keys=True), tick=0.2), [wrapper_listener]
    )
    yield running
    running.stop()


def read(running: ServedMeter, codes: list[str]) -> dict[str, float]:
    """Each register's value as gurux scales it (reading client, LLS)."""
    session = GuruxSession(running.runtime.settings.dlms_port, 32, "12345678")
    session.connect()
    try:
        values = {}
        for code in codes:
            register = GXDLMSRegister(code.replace("-", ".").replace(":", "."))
            session.read(register, 3)
            values[code] = float(session.read(register, 2))
        return values
    finally:
        session.close()


def test_gurux_reads_the_energy_and_power_of_a_meter_at_the_class_limit(served):
    config = served.meter.config
    ep, eq = error_at(config, int(config.serial), 5.0, 60.0)
    assert abs(float(ep[0])) >= 0.97 and abs(float(eq[0])) >= 0.97 * 2.0 - 1e-9
    got = read(served, ["1-0:1.8.0.255", "1-0:3.8.0.255", "1-0:1.7.0.255"])
    p_true = 3 * 230.0 * 5.0 * 0.5
    q_true = 3 * 230.0 * 5.0 * math.sin(math.radians(60.0))
    assert got["1-0:1.8.0.255"] == pytest.approx(p_true * HOURS * (1 + ep[0] / 100), abs=1.0)
    assert got["1-0:3.8.0.255"] == pytest.approx(q_true * HOURS * (1 + eq[0] / 100), abs=1.0)
    assert got["1-0:1.7.0.255"] == pytest.approx(p_true * (1 + ep[0] / 100), abs=1.0)
