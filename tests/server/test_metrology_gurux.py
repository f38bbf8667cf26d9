"""gurux-dlms reads what the metrology shows: Aron phases, a phase without voltage, apparent power totals."""

from __future__ import annotations

import math

import pytest
from gurux_client import GuruxSession
from gurux_dlms.objects import GXDLMSData, GXDLMSRegister

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.loads import HarmonicLoad
from k351c.meter.metrology import aron_voltage
from k351c.meter.scenario import ScenarioLoad, Window
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime
from testkit import ServedMeter

T0 = "2026-03-01T00:00:00Z"


def serve(meter: Meter) -> ServedMeter:
    from k351c.server.dlms import wrapper_listener

    runtime = Runtime(meter, keys=KeyStore(None, test_keys=True), tick=0.2)
    return ServedMeter(runtime, [wrapper_listener])


def read_all(running: ServedMeter, codes: list[str]) -> dict[str, float]:
    """Each register's value as gurux scales it, read by the LLS reading client."""
    s = GuruxSession(running.runtime.settings.dlms_port, 32, "12345678")
    s.connect()
    try:
        values = {}
        for code in codes:
            name = code.replace("-", ".").replace(":", ".")
            if code.endswith(".40.0.255") or code.startswith("0-0:96.7"):  # counters: class 1
                values[code] = float(s.read(GXDLMSData(name), 2))
                continue
            register = GXDLMSRegister(name)
            s.read(register, 3)
            values[code] = float(s.read(register, 2))
        return values
    finally:
        s.close()


@pytest.fixture(scope="module")
def aron():
    meter = Meter(MeterConfig.from_codes(type_number="685-25BC423-070"), clock=SimClock(T0, rate=0))
    meter.set_load(ConstantLoad(voltage=aron_voltage(230.0), current=4.0, angle=0.0))
    meter.run_for(2 * 86400)
    running = serve(meter)
    yield running
    running.stop()


def test_aron_meter_over_dlms_reads_pf_one_line_voltages_and_no_l2_failure(aron):
    codes = [f"1-0:{c}.7.0.255" for c in (13, 33, 53, 73, 32, 52, 72, 31, 51, 71, 1, 9)]
    codes += [f"1-0:{c}.40.0.255" for c in (32, 52, 72)] + ["0-0:96.7.21.255"]
    got = read_all(aron, codes)
    ratio = aron.meter.ct_ratio
    for c in (13, 33, 53, 73):
        assert got[f"1-0:{c}.7.0.255"] == pytest.approx(1.0)
    for c in (32, 52, 72):
        assert got[f"1-0:{c}.7.0.255"] == pytest.approx(230.0, abs=0.1)
        assert got[f"1-0:{c}.40.0.255"] == 0
    for c in (31, 51, 71):
        assert got[f"1-0:{c}.7.0.255"] == pytest.approx(4.0 * ratio, abs=0.05)  # primary
    assert got["0-0:96.7.21.255"] == 0
    assert got["1-0:1.7.0.255"] == pytest.approx(math.sqrt(3) * 230 * 4 * ratio, rel=1e-3)
    assert got["1-0:9.7.0.255"] == pytest.approx(got["1-0:1.7.0.255"], rel=1e-3)


@pytest.fixture(scope="module")
def unbalanced():
    t0 = SimClock(T0, rate=0).timestamp()
    base = HarmonicLoad(
        ConstantLoad(voltage=(230.0, 228.0, 233.0), current=(5.0, 2.0, 3.5), angle=(5, 50, -25)),
        ((5, 6.0, 1.2, 30.0), (3, 2.0, 0.5, 0.0)),
    )
    meter = Meter(MeterConfig.default(), clock=SimClock(T0, rate=0))
    windows = [
        Window(t0 + 600, t0 + 1200, voltage=0.0),
        Window(t0 + 3600, t0 + 86400, (2,), voltage=0.0),
    ]
    meter.set_load(ScenarioLoad(base, windows))
    meter.run_for(7200)
    running = serve(meter)
    yield running
    running.stop()


def test_phase_without_voltage_still_shows_its_current_over_dlms(unbalanced):
    got = read_all(
        unbalanced, ["1-1:71.7.0.255", "1-1:72.7.0.255", "1-1:61.7.0.255", "1-0:14.7.0.255"]
    )
    rms = math.sqrt(3.5**2 + 1.2**2 + 0.5**2)  # fundamental, 5th and 3rd harmonic currents
    assert got["1-1:71.7.0.255"] == pytest.approx(rms, abs=0.01)
    assert got["1-1:72.7.0.255"] < 115.0 and got["1-1:61.7.0.255"] == 0.0  # lost: no power
    assert got["1-0:14.7.0.255"] == pytest.approx(50.0)


def test_an_all_phase_outage_is_one_power_failure_over_dlms(unbalanced):
    codes = ["0-0:96.7.0.255", "0-0:96.7.21.255"] + [f"1-0:{c}.40.0.255" for c in (32, 52, 72)]
    got = read_all(unbalanced, codes)
    assert got["0-0:96.7.0.255"] == 1  # the 10-minute outage of all phases
    assert got["0-0:96.7.21.255"] == 1  # only the L3 loss is a phase failure
    assert [got[f"1-0:{c}.40.0.255"] for c in (32, 52, 72)] == [0, 0, 1]


def test_apparent_power_total_is_the_sum_of_the_phases_over_dlms(unbalanced):
    phases = [f"1-1:{c}.7.0.255" for c in (29, 49)]
    codes = phases + ["1-1:9.7.0.255", "1-1:1.7.0.255", "1-1:13.7.0.255", "1-1:33.7.0.255"]
    codes += ["1-1:53.7.0.255", "1-1:21.7.0.255", "1-1:41.7.0.255"]
    got = read_all(unbalanced, codes)
    assert got["1-1:9.7.0.255"] == pytest.approx(sum(got[c] for c in phases), abs=1.0)
    assert got["1-1:13.7.0.255"] == pytest.approx(
        got["1-1:1.7.0.255"] / got["1-1:9.7.0.255"], abs=1e-3
    )
    assert got["1-1:1.7.0.255"] == pytest.approx(
        got["1-1:21.7.0.255"] + got["1-1:41.7.0.255"], abs=1.0
    )
    assert min(got["1-1:33.7.0.255"], got["1-1:53.7.0.255"]) <= got["1-1:13.7.0.255"] + 1e-3
    assert got["1-1:13.7.0.255"] <= max(got["1-1:33.7.0.255"], got["1-1:53.7.0.255"]) + 1e-3


@pytest.fixture(scope="module")
def pulsing():
    config = MeterConfig.from_codes(
        config1="3-1-068-05-2",  # M-Bus module, I/O 2: A+ pulse output
        config2="001-01-01-3",  # 80 ms pulses
        config3="00-0-01-1-01-001-001-01",  # M = 1: module pulses of primary energy
        config5="000-020-1-1",  # CT 100/5
    )
    meter = Meter(config, clock=SimClock(T0, rate=0))
    meter.set_load(ConstantLoad(current=2.0))
    meter.run_for(3600)
    meter.set_ct_ratio(1000)
    meter.set_load(ConstantLoad(voltage=253.0, current=20.0))  # beyond what 30 ms S0 pulses allow
    meter.run_for(60)
    running = serve(meter)
    yield running
    running.stop()


def test_pulse_outputs_over_dlms(pulsing):
    codes = ["0-0:128.14.0.255", "0-0:128.14.2.255", "0-0:128.14.3.255"]
    codes += ["0-0:128.14.4.255", "0-0:128.14.5.255", "1-1:1.8.0.255"]
    s = GuruxSession(pulsing.runtime.settings.dlms_port, 32, "12345678")
    s.connect()
    try:
        got = {}
        for code in codes:
            name = code.replace("-", ".").replace(":", ".")
            kind = (
                GXDLMSRegister
                if code.split(":")[1].startswith(("128.14.0", "128.14.2", "1.8"))
                else GXDLMSData
            )
            obj = kind(name)
            if kind is GXDLMSRegister:
                s.read(obj, 3)
            got[code] = float(s.read(obj, 2))
    finally:
        s.close()
    assert got["0-0:128.14.3.255"] == 10  # the constant of CT 1000/5, not of 100/5 (100)
    secondary_wh = 3 * 230 * 2.0 + 3 * 253 * 20.0 / 60
    assert got["1-1:1.8.0.255"] == pytest.approx(secondary_wh, abs=1)
    # S0: 5000 imp/kWh of secondary energy, at most 16.7 pulses/s during the 60 s overload
    assert got["0-0:128.14.0.255"] == pytest.approx(3 * 230 * 2.0 * 5 + 60 * 1000 / 60, abs=2)
    assert got["0-0:128.14.5.255"] == pytest.approx(3 * 253 * 20.0 / 60 * 5 - 1000, abs=2)
    # module: 10 imp/kWh of primary energy = 8.4 pulses/s during the overload, 80 ms allow 6.25
    module_hz = 3 * 253 * 20.0 * 200 / 1000 * 10 / 3600
    assert got["0-0:128.14.4.255"] == pytest.approx((module_hz - 6.25) * 60, abs=2)
    assert got["0-0:128.14.2.255"] == pytest.approx(
        3 * 230 * 2.0 * 20 / 1000 * 100 + 6.25 * 60, abs=2
    )
