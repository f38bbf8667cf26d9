"""DESIGN.md's "OBIS codes that must exist" table, read as an outsider with gurux-dlms.

Each code must be in the association view with the interface class the table names (min voltage
class 3, max class 4) and readable with that class over the wrapper and over HDLC, at the default
physical address (serial mod 10000) + 1000 and at the all-station address 0x3FFF.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gurux_dlms.enums import ObjectType
from gurux_dlms.objects import GXDLMSData, GXDLMSExtendedRegister, GXDLMSRegister

sys.path.insert(0, str(Path(__file__).resolve().parent / "conformance"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "cosem"))
from gurux_reader import ReaderSession  # noqa: E402
from test_obisdoc import DESIGN_CODES  # noqa: E402

from testkit import make_meter, serve  # noqa: E402

pytestmark = pytest.mark.timeout(120)

UNITS = {27: "W", 28: "VA", 29: "var", 30: "Wh", 31: "VAh", 32: "varh", 33: "A", 35: "V", 44: "Hz"}
DESIGN_UNITS = {"Wh", "varh", "W", "var", "VA", "V", "A", "Hz"}
ALL_STATIONS = 0x3FFF


def gurux_ln(code: str) -> str:
    """1-0:1.8.0.255 -> 1.0.1.8.0.255 (gurux's spelling)."""
    return code.replace("-", ".").replace(":", ".")


@pytest.fixture(scope="module")
def served():
    """A default meter (serial 12345678, test keys) on the wrapper and HDLC with default addressing.

    The push listener installs the push setups, as `k351c serve` always does.
    """
    from k351c.server.dlms import hdlc_listener, wrapper_listener
    from k351c.server.push import push_listener

    running = serve(make_meter(days=1 / 24), [wrapper_listener, hdlc_listener, push_listener])
    yield running
    running.stop()


def session(served, association: str, hdlc: bool, physical: int = 0) -> ReaderSession:
    """A connected gurux session (LLS password 12345678 under test keys)."""
    port = served.port("hdlc_port" if hdlc else "dlms_port")
    reader = ReaderSession(port, association, hdlc, 1024, physical)
    reader.connect()
    return reader


def test_every_design_code_has_the_design_class_in_the_association_view(served) -> None:
    reader = session(served, "lls", hdlc=False)
    try:
        view = reader.client.parseObjects(reader.request([reader.client.getObjectsRequest()]).data, True)
    finally:
        reader.close()
    present = {(obj.logicalName, int(obj.objectType)) for obj in view}
    missing = [(c, k) for c, k in DESIGN_CODES.items() if (gurux_ln(c), k) not in present]
    assert not missing, f"(OBIS, class) of DESIGN.md absent from the association view: {missing}"


@pytest.mark.parametrize("physical", [None, ALL_STATIONS], ids=["serial-rule", "all-station"])
def test_registers_read_with_the_design_class_and_units_over_hdlc(served, physical) -> None:
    address = int(served.meter.config.serial) % 10000 + 1000 if physical is None else physical
    reader = session(served, "lls", hdlc=True, physical=address)
    try:
        for code, klass in DESIGN_CODES.items():
            if klass not in (3, 4):
                continue
            obj = (GXDLMSRegister if klass == 3 else GXDLMSExtendedRegister)(gurux_ln(code))
            reader.read(obj, 3)
            assert reader.read(obj, 2) is not None, code
            unit = UNITS.get(int(obj.unit))
            if code.startswith("1-") and unit is not None:
                assert unit in DESIGN_UNITS, (code, unit)
    finally:
        reader.close()


def test_minimum_voltage_is_a_class_3_register_resettable_maximum_class_4(served) -> None:
    reader = session(served, "lls", hdlc=False)
    try:
        minimum = GXDLMSRegister("1.0.32.3.0.255")
        reader.read(minimum, 3)
        assert reader.read(minimum, 2) == pytest.approx(230.0, abs=3.0)  # gurux applies the scaler
        maximum = GXDLMSExtendedRegister("1.0.32.6.0.255")
        reader.read(maximum, 3)
        assert reader.read(maximum, 2) == pytest.approx(230.0, abs=3.0)
        assert reader.read(maximum, 5) is not None  # the time the maximum was reached
        assert minimum.objectType == ObjectType.REGISTER
    finally:
        reader.close()


def test_public_client_reads_identity_at_the_all_station_address(served) -> None:
    reader = session(served, "public", hdlc=True, physical=ALL_STATIONS)
    try:
        name = reader.read(GXDLMSData("0.0.42.0.0.255"), 2)
        serial = reader.read(GXDLMSData("0.0.96.1.0.255"), 2)
    finally:
        reader.close()
    assert (name if isinstance(name, str) else bytes(name).decode()) == "KAM" + served.meter.config.serial
    assert isinstance(serial, str) and serial.isdigit() and serial == served.meter.config.serial
