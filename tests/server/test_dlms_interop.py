"""Interoperability matrix: gurux-dlms and dlms-cosem, over the wrapper and over HDLC, against one meter.

Every value read must equal ``meter.read`` at the same simulated instant (SimClock rate 0).
The meter's HDLC physical address is set to 17 here: dlms-cosem 21.3.2 cannot encode a 4-octet server
address (see dlms_cosem_client.py); gurux reaches the meter either way (test_dlms_gurux.py uses the default).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from dlms_cosem import enumerations
from dlms_cosem.cosem import CosemAttribute
from dlms_cosem.cosem import Obis as CosemObis
from dlms_cosem.cosem.capture_object import CaptureObject
from dlms_cosem.cosem.selective_access import RangeDescriptor
from dlms_cosem.exceptions import DlmsClientException
from dlms_cosem.protocol import xdlms
from dlms_cosem.time import datetime_from_bytes, datetime_to_bytes
from dlms_cosem_client import CosemSession
from gurux_client import GuruxSession
from gurux_dlms import GXDateTime, GXDLMSException
from gurux_dlms.enums import AssociationResult as GuruxAssociationResult
from gurux_dlms.enums import SourceDiagnostic
from gurux_dlms.objects import (
    GXDLMSAssociationLogicalName,
    GXDLMSClock,
    GXDLMSData,
    GXDLMSProfileGeneric,
    GXDLMSRegister,
)

from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime
from testkit import ServedMeter, make_meter

PHYSICAL = 17
CLIENTS = [("gurux", False), ("gurux", True), ("dlms_cosem", False), ("dlms_cosem", True)]
IDS = ["gurux-wrapper", "gurux-hdlc", "cosem-wrapper", "cosem-hdlc"]
ENERGY = [f"1-{b}:{c}.8.{t}.255" for b in (0, 1) for c in (1, 2, 3, 4) for t in range(5)]
INSTANT = [
    "1-0:1.7.0.255",
    "1-0:2.7.0.255",
    "1-0:3.7.0.255",
    "1-0:9.7.0.255",
    "1-0:21.7.0.255",
    "1-0:32.7.0.255",
    "1-0:52.7.0.255",
    "1-0:72.7.0.255",
    "1-0:31.7.0.255",
    "1-0:13.7.0.255",
    "1-0:14.7.0.255",
]
LOAD_PROFILE = "1-0:99.1.0.255"
START = datetime(2026, 3, 1, 0, 0, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture(scope="module")
def served():
    """A meter with 32 days of load profile, wrapper and HDLC listeners, frozen clock."""
    from k351c.server.dlms import hdlc_listener, wrapper_listener

    meter = make_meter(days=32, start="2026-02-28T23:00:00Z")
    settings = {
        "physical_address": PHYSICAL,
        "auth_free_attempts": 100,
    }
    running = ServedMeter(
        Runtime(meter, keys=KeyStore(None, test_keys=True), settings=settings, tick=0.2),
        [wrapper_listener, hdlc_listener],
    )
    yield running
    running.stop()


def open_session(served, kind: str, hdlc: bool, client_sap: int = 16, password: str | None = None):
    """A connected, associated session of either client."""
    settings = served.runtime.settings
    port = settings.hdlc_port if hdlc else settings.dlms_port
    cls = GuruxSession if kind == "gurux" else CosemSession
    session = cls(port, client_sap, password, hdlc=hdlc, physical=PHYSICAL)
    session.connect()
    return session


def obis_dots(obis: str) -> str:
    """ "1-0:1.8.0.255" -> "1.0.1.8.0.255" (gurux's spelling)."""
    return obis.replace("-", ".").replace(":", ".")


def read_register(session, obis: str) -> tuple[float, int]:
    """(value with scaler applied, unit code) of a class 3 register, with either client."""
    if isinstance(session, GuruxSession):
        register = GXDLMSRegister(obis_dots(obis))
        session.read(register, 3)
        return session.read(register, 2), register.unit
    scaler, unit = session.get(3, obis, 3)
    return session.get(3, obis, 2) * 10**scaler, unit


def unit_code(meter, obis: str) -> int:
    """The DLMS unit code the meter declares for a value (255 = count/unitless)."""
    unit = meter.objects.get(obis).unit
    return 255 if unit is None else int(unit)


def read_value(session, class_id: int, obis: str, attr: int):
    """The plain decoded value of one attribute."""
    if isinstance(session, GuruxSession):
        reply = session.request(session.client.read(_gurux_object(class_id, obis), attr))
        return reply.value
    return session.get(class_id, obis, attr)


def _gurux_object(class_id: int, obis: str):
    kinds = {
        1: GXDLMSData,
        3: GXDLMSRegister,
        8: GXDLMSClock,
        7: GXDLMSProfileGeneric,
        15: GXDLMSAssociationLogicalName,
    }
    return kinds[class_id](obis_dots(obis))


def refusal(session, class_id: int, obis: str, attr: int) -> int | None:
    """The data-access-result code of a refused GET (None if it succeeded)."""
    if isinstance(session, GuruxSession):
        try:
            reply = session.request(session.client.read(_gurux_object(class_id, obis), attr))
        except GXDLMSException as exc:
            return exc.errorCode
        return reply.error or None
    response = session.result(class_id, obis, attr)
    if isinstance(response, xdlms.GetResponseNormalWithError):
        return int(response.error)
    return None


@pytest.fixture(params=CLIENTS, ids=IDS)
def client(request, served):
    """(kind, hdlc) of one matrix cell."""
    return request.param


def test_identity_clock_and_every_energy_register(served, client):
    meter = served.meter
    s = open_session(served, *client)
    try:
        name = read_value(s, 1, "0-0:42.0.0.255", 2)
        assert bytes(name).decode() == "KAM" + meter.config.serial
        if isinstance(s, GuruxSession):
            clock = GXDLMSClock("0.0.1.0.0.255")
            s.read(clock, 2)
            moment = clock.time.value
        else:
            moment, _ = datetime_from_bytes(s.get(8, "0-0:1.0.0.255", 2))
        assert moment.timestamp() == meter.t
        for obis in ENERGY:
            value, unit = read_register(s, obis)
            expected = meter.read(obis)
            assert value == pytest.approx(expected.value), obis
            assert unit == unit_code(meter, obis), obis
    finally:
        s.close()


def test_instantaneous_values_for_reading_client_only(served, client):
    meter = served.meter
    public = open_session(served, *client)
    try:
        for obis in INSTANT[:3]:
            assert refusal(public, 3, obis, 2) == 3  # read-write-denied
        assert refusal(public, 1, "0-0:42.0.128.255", 2) == 4  # object-undefined
    finally:
        public.close()
    s = open_session(served, *client, client_sap=32, password="12345678")
    try:
        for obis in INSTANT:
            value, unit = read_register(s, obis)
            assert value == pytest.approx(meter.read(obis).value), obis
            assert unit == unit_code(meter, obis), obis
    finally:
        s.close()


def test_object_list_by_block_transfer(served, client):
    from k351c.cosem.model import Level

    s = open_session(served, *client, client_sap=32, password="12345678")
    try:
        if isinstance(s, GuruxSession):
            association = GXDLMSAssociationLogicalName()
            s.read(association, 2)
            got = {(o.objectType.value, o.logicalName) for o in association.objectList}
            expected = {
                (o.class_id, obis_dots(str(o.obis)))
                for o in served.runtime.objects
                if o.visible_to(Level.READING)
            }
        else:
            entries = s.get(15, "0-0:40.0.0.255", 2)
            got = {(e[0], bytes(e[2])) for e in entries}
            expected = {
                (o.class_id, o.obis.to_bytes())
                for o in served.runtime.objects
                if o.visible_to(Level.READING)
            }
        assert got == expected and len(got) > 150
    finally:
        s.close()


def _cosem_profile(s: CosemSession, obis: str, access) -> list:
    return s.get(7, obis, 2, access)


class ByEntry:
    """An entry descriptor dlms-cosem can send (its own EntryDescriptor.to_bytes is not implemented)."""

    def __init__(self, first: int, last: int) -> None:
        self.first, self.last = first, last

    def to_bytes(self) -> bytes:
        """Selector 2 and the structure {from_entry, to_entry, from_selected_value, to_selected_value}."""
        return bytes.fromhex(f"02020406{self.first:08x}06{self.last:08x}120001120000")


def _clock_capture() -> CaptureObject:
    return CaptureObject(
        CosemAttribute(enumerations.CosemInterface.CLOCK, CosemObis(0, 0, 1, 0, 0), 2), 0
    )


def test_a_month_of_load_profile_by_range_and_by_entry(served, client):
    profile = served.meter.read(LOAD_PROFILE)
    low, high = START + timedelta(days=1), START + timedelta(days=31)
    wanted = [r for r in profile.rows if low <= r[0] <= high]
    assert len(wanted) == 30 * 96 + 1
    energy = profile.columns.index("1-0:1.29.0.255")
    s = open_session(served, *client, client_sap=32, password="12345678")
    try:
        if isinstance(s, GuruxSession):
            pg = GXDLMSProfileGeneric(obis_dots(LOAD_PROFILE))
            s.read(pg, 3)
            rows = s.request(s.client.readRowsByRange(pg, low, high)).value
            entries = s.request(s.client.readRowsByEntry(pg, 11, 100)).value
        else:
            rows = _cosem_profile(s, LOAD_PROFILE, RangeDescriptor(_clock_capture(), low, high))
            entries = _cosem_profile(s, LOAD_PROFILE, ByEntry(11, 110))
        assert len(rows) == len(wanted)
        assert [r[energy] for r in rows] == [w[energy] for w in wanted]
        assert [r[energy] for r in entries] == [w[energy] for w in profile.rows[10:110]]
    finally:
        s.close()


@pytest.mark.parametrize("obis", ["0-0:98.1.0.255", "0-0:99.98.0.255", "1-0:99.97.0.255"])
def test_debiting_logger_and_event_logs(served, client, obis):
    expected = served.meter.read(obis)
    s = open_session(served, *client, client_sap=32, password="12345678")
    try:
        rows = read_value(s, 7, obis, 2) or []
        assert len(rows) == len(expected.rows)
        for row, want in zip(rows, expected.rows, strict=True):
            assert len(row) == len(want)
            assert [v for v in row if isinstance(v, int)] == [
                v for v in want if isinstance(v, int) and not isinstance(v, bool)
            ]
    finally:
        s.close()


def test_legal_data_refuses_set_and_nothing_changes(served, client):
    meter = served.meter
    before = meter.read("1-0:1.8.0.255").value
    s = open_session(served, *client, client_sap=32, password="12345678")
    try:
        if isinstance(s, GuruxSession):
            register = GXDLMSRegister("1.0.1.8.0.255")
            s.read(register, 3)
            register.value = 1
            assert s.write(register, 2).error == 3
        else:
            response = s.set(3, "1-0:1.8.0.255", 2, bytes.fromhex("150000000000000001"))
            assert int(response.result) == 3
    finally:
        s.close()
    assert meter.read("1-0:1.8.0.255").value == before


@pytest.mark.parametrize(
    "password",
    ["12345679", "02345678", "1234567", "123456789", "12345678 ", " 12345678", "1234567\x00"],
    ids=["last-char", "first-char", "shorter", "longer", "trailing-space", "leading-space", "nul"],
)
def test_wrong_password_is_refused_with_authentication_failure(served, client, password):
    """Each client sees the AARE: rejected-permanent, acse-service-user authentication-failure (13)."""
    if client[0] == "gurux":
        with pytest.raises(GXDLMSException) as refused:
            open_session(served, *client, client_sap=32, password=password)
        assert refused.value.result == GuruxAssociationResult.PERMANENT_REJECTED
        assert refused.value.diagnostic == SourceDiagnostic.AUTHENTICATION_FAILURE
    else:
        with pytest.raises(DlmsClientException) as refused:
            open_session(served, *client, client_sap=32, password=password)
        text = str(refused.value)
        assert "AssociationResult.REJECTED_PERMANENT" in text
        assert "AcseServiceUserDiagnostics.AUTHENTICATION_FAILED" in text
    session = open_session(served, *client, client_sap=32, password="12345678")
    session.close()


def _capture_array(codes: list[str]) -> bytes:
    """capture_objects as A-XDR bytes, built by hand: {class 3, logical name, attribute 2, data index 0}."""
    out = bytearray([0x01, len(codes)])
    for code in codes:
        ln = bytes(int(x) for x in obis_dots(code).split("."))
        out += bytes.fromhex("02041200030906") + ln + bytes.fromhex("0f02120000")
    return bytes(out)


def test_reading_client_sets_clock_and_display_list(served, client):
    """Runs last in the module: it moves the meter's clock (by one minute per matrix cell)."""
    meter = served.meter
    target = meter.now + timedelta(minutes=1)
    codes = ["1-0:1.8.0.255", "1-0:2.8.0.255"] if client[1] else ["1-0:1.8.0.255", "1-0:3.8.0.255"]
    s = open_session(served, *client, client_sap=32, password="12345678")
    try:
        if isinstance(s, GuruxSession):
            clock = GXDLMSClock("0.0.1.0.0.255")
            clock.time = GXDateTime(target)
            assert s.write(clock, 2).error == 0
            display = GXDLMSProfileGeneric("0.0.21.0.1.255")
            for code in codes:
                display.addCaptureObject(GXDLMSRegister(obis_dots(code)), 2, 0)
            assert s.write(display, 3).error == 0
        else:
            data = b"\x09\x0c" + datetime_to_bytes(target)
            assert int(s.set(8, "0-0:1.0.0.255", 2, data).result) == 0
            assert int(s.set(7, "0-0:21.0.1.255", 3, _capture_array(codes)).result) == 0
    finally:
        s.close()
    assert meter.t == target.timestamp()
    assert served.call(lambda: meter.read("0-0:21.0.1.255").columns) == codes
    events = served.call(lambda: meter.read("0-0:99.98.0.255").rows)
    assert any(row[0] == target for row in events)
