"""The optical port's programming mode on the meter's external controls, with pwitab's iec62056-21 client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from iec62056_21 import messages as pw_messages
from iec62056_21.client import Iec6205621Client
from iec62056_21.transports import TcpTransport
from test_optical_server import PASSWORD, make_meter, optical_port

from k351c import Meter


@contextmanager
def programming(meter: Meter) -> Iterator[Iec6205621Client]:
    """pwitab's client in programming mode (P1 with the meter's password) on the meter's optical port."""
    with optical_port(meter) as (_, port):
        client = Iec6205621Client(TcpTransport(address=("127.0.0.1", port), timeout=5))
        client.connect()
        try:
            client.access_programming_mode()
            password = pw_messages.CommandMessage("P", 1, pw_messages.DataSet(address="", value=PASSWORD))
            client.transport.send(password.to_bytes())
            assert client._recv_ack() == "\x06"
            yield client
            client.send_break()
        finally:
            client.disconnect()


def test_w1_on_the_script_table_ends_an_externally_controlled_period() -> None:
    meter = make_meter(days=40, config2="001-00-01-1")
    assert meter.read("0-0:0.1.0.255").value == 0
    with programming(meter) as client:
        client.write_single_value("0-0:10.0.1", "1")
        with pytest.raises(ValueError, match="invalid response"):
            client.write_single_value("0-0:10.0.1", "2")
    assert meter.read("0-0:0.1.0.255").value == 1
    assert len(meter.read("0-0:98.1.0.255").rows) == 1


def test_w1_sets_voltage_limits_in_volts_and_resets_an_extreme() -> None:
    meter = make_meter(days=1)
    assert meter.read("1-0:32.6.0.255").value > 200.0
    with programming(meter) as client:
        client.write_single_value("1-0:12.31.0", "215.5")
        client.write_single_value("1-0:32.6.0", "")
        value = client.read_single_value("1-0:12.31.0")
        with pytest.raises(ValueError, match="invalid response"):
            client.write_single_value("1-0:12.35.0", "100")  # below Un: refused
        with pytest.raises(ValueError, match="invalid response"):
            client.write_single_value("1-0:32.3.0", "5")
    assert value.value == "215.5"
    assert meter.read("1-0:12.31.0.255").value == pytest.approx(215.5)
    assert meter.read("1-0:12.35.0.255").value == pytest.approx(253.0)
    assert meter.read("1-0:32.6.0.255").value == 0
    assert meter.read("1-0:32.3.0.255").value > 200.0


def test_w1_sets_the_analysis_logger_channels_and_period() -> None:
    meter = make_meter()
    with programming(meter) as client:
        client.write_single_value("0-0:128.92.2", "1-0:32.7.0;1-0:52.7.0;")
        client.write_single_value("0-0:128.92.2", "1-0:1.8.0")
        client.write_single_value("0-0:128.92.1", "5")
        period = client.read_single_value("0-0:128.92.1")
        with pytest.raises(ValueError, match="invalid response"):
            client.write_single_value("0-0:128.92.1", "7")
        with pytest.raises(ValueError, match="invalid response"):
            client.write_single_value("0-0:128.92.2", "1-0:99.1.0")
    assert period.value == "5"
    assert meter.function("analysis").channels == ["1-0:32.7.0.255", "1-0:52.7.0.255", "1-0:1.8.0.255"]
    assert meter.read("1-0:99.2.0.255").capture_period == 300
