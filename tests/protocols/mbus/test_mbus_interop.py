"""pyMeterBus as an independent oracle: it parses our RSP_UD, our slave understands its requests."""

from datetime import datetime
from decimal import Decimal

import meterbus
import pytest

from k351c.protocols.mbus.electricity import ElectricityValues, electricity_records
from k351c.protocols.mbus.master import WiredBus, parse_reply
from k351c.protocols.mbus.slave import MBusSlave, StaticBackend

ACK = b"\xe5"


class Line:
    """A fake serial port that sends what pyMeterBus writes through our bus."""

    def __init__(self, bus: WiredBus) -> None:
        self.bus = bus
        self.heard = b""

    def write(self, data: bytes) -> None:
        self.heard += self.bus.transact(bytes(data))


def make_bus(address: int = 5) -> tuple[WiredBus, MBusSlave]:
    values = ElectricityValues(
        energy_import_wh=123456789,
        energy_export_wh=4321,
        power_w=-1500,
        voltages_v=(230.1, 231.2, 229.9),
        currents_a=(5.123, 0.5, 10),
        timestamp=datetime(2026, 1, 2, 3, 4),
        fabrication_number=87654321,
    )
    data = electricity_records(values)
    slave = MBusSlave(StaticBackend(ident=12345678, primary_address=address, data=data))
    return WiredBus([slave]), slave


def test_pymeterbus_parses_our_rsp_ud() -> None:
    bus, _ = make_bus()
    line = Line(bus)
    meterbus.send_ping_frame(line, 5)
    assert line.heard == ACK
    line.heard = b""
    meterbus.send_request_frame(line, 5)
    frame = meterbus.load(line.heard)
    assert frame.secondary_address == "123456782D2C0102"
    assert frame.manufacturer == "KAM"
    got = [(r.value, r.unit) for r in frame.records]
    assert got[0] == (Decimal(123456780), "Wh")
    assert got[1] == (Decimal(4321), "Wh")
    assert frame.records[1].interpreted["unit_enh"] == "VIFUnitEnhExt.NEGATIVE_ACCUMULATION"
    assert got[2] == (Decimal(-1500), "W")
    volts = [float(v) for v, unit in got[3:6]]
    assert volts == pytest.approx([230.1, 231.2, 229.9]) and got[3][1] == "V"
    amps = [float(v) for v, unit in got[6:9]]
    assert amps == pytest.approx([5.123, 0.5, 10]) and got[6][1] == "A"
    assert got[9] == ("2026-01-02T03:04", "date time")
    assert got[10][0] == Decimal(87654321)


def test_our_parser_agrees_with_pymeterbus() -> None:
    bus, slave = make_bus()
    raw = bus.transact(bytes(meterbus.send_request_frame(None, 5)))
    ours = parse_reply(raw)
    theirs = meterbus.load(raw)
    assert len(ours.records) == len(theirs.records)
    assert ours.header.access_number == theirs.body.bodyHeader.acc_nr_field.parts[0]


def test_pymeterbus_selection_is_understood() -> None:
    bus, slave = make_bus(address=0)
    line = Line(bus)
    meterbus.send_select_frame(line, "1234FFFF2D2CFFFF")
    assert line.heard == ACK and slave.selected
    line.heard = b""
    meterbus.send_request_frame(line, 253)
    assert meterbus.load(line.heard).secondary_address == "123456782D2C0102"
    line.heard = b""
    meterbus.send_select_frame(line, "9999FFFFFFFFFFFF")
    assert line.heard == b"" and not slave.selected


def test_pymeterbus_multi_request_fcb() -> None:
    bus, _ = make_bus()
    frame = bytes(meterbus.send_request_frame_multi(None, 5))
    assert frame[1] == 0x7B
    assert meterbus.load(bus.transact(frame)).manufacturer == "KAM"
