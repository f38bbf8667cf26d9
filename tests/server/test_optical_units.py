"""Optical data sets follow IEC 62056-21's character rules: a unit never carries '/', a value never None.

The meter constant's unit imp/kWh killed the port (R1 unanswered, the readout cut after the
identification line); logger rows printed Python's None for values not captured. Read with pwitab's
iec62056-21 client.
"""

from __future__ import annotations

from iec62056_21 import messages as pw_messages
from test_optical_fidelity import programming
from test_optical_server import make_meter, pwitab_readout

from k351c import Meter, MeterConfig, SimClock
from k351c.protocols.iec62056_21 import unit_field


def test_unit_field_rules():
    assert unit_field("imp/kWh") == "imp kWh-1"
    assert unit_field("imp/kvarh") == "imp kvarh-1"
    assert unit_field("kWh") == "kWh"
    assert unit_field("m3(n)!") == "m3n"
    assert len(unit_field("x" * 40)) == 16


def test_r1_of_the_meter_constant_is_answered_and_the_port_lives_on():
    meter = make_meter()
    with programming(meter) as client:
        constant = client.read_single_value("1-0:0.3.0")
        assert (constant.value, constant.unit) == ("10000", "imp kWh-1")
        reactive = client.read_single_value("1-0:0.3.1")
        assert (reactive.value, reactive.unit) == ("10000", "imp kvarh-1")
        energy = client.read_single_value("1-0:1.8.0")
        assert energy.unit == "kWh"


def test_readout_goes_on_past_the_meter_constant_in_a_display_list():
    meter = make_meter()
    codes = ["1-0:0.3.0.255", "1-0:1.8.0.255", "1-0:2.8.0.255"]
    meter.function("display").set_list("manual", codes)
    _, readout = pwitab_readout(meter)
    lines = {d.address: (d.value, d.unit) for d in readout.data if d.address}
    assert lines["1-0:0.3.0"] == ("10000", "imp kWh-1")
    assert lines["1-0:1.8.0"][1] == "kWh" and lines["1-0:2.8.0"][1] == "kWh"


def test_logger_rows_never_print_none():
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-31T23:00:00Z", rate=0))
    meter.run_for(7200)  # no load: the peaks of the period have no capture time
    meter.function("billing").debiting_stop()
    with programming(meter) as client:
        request = pw_messages.CommandMessage.for_single_read("0-0:98.1.0", "")
        client.transport.send(request.to_bytes())
        answer = client.read_response()
    values = [d.value for d in answer.data]
    assert len(answer.data) == 2 * len(meter.read("0-0:98.1.0.255").columns)  # header, one row
    assert "None" not in values and "" in values
