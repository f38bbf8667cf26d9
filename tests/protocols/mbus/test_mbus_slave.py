"""The slave state machine: addressing, FCB, address change, selection, search over a bus."""

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from k351c.protocols.mbus.electricity import ElectricityValues, electricity_records
from k351c.protocols.mbus.frames import CI, ShortFrame, parse_frame
from k351c.protocols.mbus.header import Identification, Selection
from k351c.protocols.mbus.master import (
    Telegram,
    WiredBus,
    parse_reply,
    read_primary,
    req_ud1,
    req_ud2,
    search_secondary,
    select,
    set_primary_address,
    snd_nke,
    snd_ud,
)
from k351c.protocols.mbus.records import DataField, DataRecord, ManufacturerData
from k351c.protocols.mbus.slave import MBusSlave, Repeat, StaticBackend

ACK = b"\xe5"


def make_slave(ident: int = 12345678, address: int = 1, **kwargs) -> MBusSlave:
    values = ElectricityValues(energy_import_wh=1000, voltages_v=(230.0, 231.0, 232.0))
    backend = StaticBackend(ident=ident, primary_address=address, data=electricity_records(values))
    return MBusSlave(backend, **kwargs)


def test_request_response_table() -> None:
    slave = make_slave()
    assert slave.feed(snd_nke(1)) == ACK
    assert slave.feed(snd_nke(2)) == b""
    assert slave.feed(snd_nke(0xFE)) == ACK
    assert slave.feed(snd_nke(0xFF)) == b""
    assert slave.feed(req_ud1(1)) == ACK
    assert isinstance(parse_reply(slave.feed(req_ud2(1))), Telegram)
    assert isinstance(parse_reply(slave.feed(req_ud2(0xFE, fcb=True))), Telegram)
    assert slave.feed(req_ud2(0xFF)) == b""
    assert slave.feed(req_ud2(0xFD)) == b""  # not selected
    assert slave.feed(snd_ud(1, CI.SET_BAUD_2400, b"\x00")) == ACK


def test_bytes_one_at_a_time() -> None:
    slave = make_slave()
    request = snd_nke(1) + req_ud2(1, fcb=True)
    out = b"".join(slave.feed(request[i : i + 1]) for i in range(len(request)))
    assert out[:1] == ACK and isinstance(parse_reply(out[1:]), Telegram)


def test_fcb_repeat_and_toggle() -> None:
    slave = make_slave()
    slave.feed(snd_nke(1))
    first = slave.feed(req_ud2(1, fcb=True))
    slave.backend.data = [DataRecord(DataField.INT8, b"\x2b", 7)]
    assert slave.feed(req_ud2(1, fcb=True)) == first  # FCB not toggled: lost reply repeated
    toggled = parse_reply(slave.feed(req_ud2(1, fcb=False)))
    assert toggled.records == (DataRecord(DataField.INT8, b"\x2b", 7),)
    assert toggled.header.access_number == parse_reply(first).header.access_number + 1


def test_refresh_repeat_policy() -> None:
    slave = make_slave(repeat=Repeat.REFRESH)
    slave.feed(snd_nke(1))
    slave.feed(req_ud2(1))
    slave.backend.data = [DataRecord(DataField.INT8, b"\x2b", 7)]
    again = parse_reply(slave.feed(req_ud2(1)))
    assert again.records == (DataRecord(DataField.INT8, b"\x2b", 7),)


def test_multi_telegram_on_fcb_toggle() -> None:
    slave = make_slave()
    slave.backend.data = [DataRecord(DataField.INT32, b"\x2b", i) for i in range(60)]
    slave.feed(snd_nke(1))
    seen, fcb = [], True
    for _ in range(3):
        telegram = parse_reply(slave.feed(req_ud2(1, fcb=fcb)))
        seen += [r.value for r in telegram.records if isinstance(r, DataRecord)]
        fcb = not fcb
        if not isinstance(telegram.records[-1], ManufacturerData):
            break
    assert seen == list(range(60))


def test_primary_address_change() -> None:
    slave = make_slave(address=1)
    assert slave.feed(set_primary_address(1, 42)) == ACK
    assert slave.backend.primary_address == 42
    assert slave.feed(req_ud2(1)) == b""
    assert isinstance(parse_reply(slave.feed(req_ud2(42))), Telegram)
    assert slave.feed(set_primary_address(42, 200)) == ACK
    assert slave.backend.primary_address == 200
    assert slave.feed(set_primary_address(200, 42)) == ACK
    unsupported = bytes.fromhex("017AFB")  # 251 is not a primary address
    assert slave.feed(snd_ud(42, CI.DATA_SEND, unsupported)) == ACK
    assert slave.feed(snd_ud(42, CI.DATA_SEND, b"\x01\xfd")) == ACK  # malformed record
    assert slave.backend.primary_address == 42


def test_secondary_selection() -> None:
    slave = make_slave(ident=12345678)
    assert slave.feed(select(Selection("1234FFFF"))) == ACK and slave.selected
    assert isinstance(parse_reply(slave.feed(req_ud2(0xFD))), Telegram)
    assert slave.feed(select(Selection("9FFFFFFF"))) == b"" and not slave.selected
    assert slave.feed(req_ud2(0xFD)) == b""
    slave.feed(select(Selection.of(Identification(12345678, "KAM", 1, 2))))
    assert slave.selected
    assert slave.feed(snd_nke(0xFD)) == ACK and not slave.selected


def test_bad_checksum_ignored() -> None:
    slave = make_slave()
    bad = bytearray(req_ud2(1))
    bad[3] ^= 0xFF
    assert slave.feed(bytes(bad)) == b""


def test_search_three_slaves_on_one_bus() -> None:
    idents = [12345678, 12349999, 87654321]
    bus = WiredBus([make_slave(ident=i, address=0) for i in idents])
    found = search_secondary(bus.transact)
    assert [f.ident for f in found] == idents
    assert all(f.manufacturer == "KAM" and f.medium == 2 for f in found)


def test_wildcard_collision_garbles() -> None:
    bus = WiredBus([make_slave(ident=12345678, address=0), make_slave(ident=12349999, address=0)])
    assert bus.transact(select(Selection("1234FFFF"))) == ACK
    heard = bus.transact(req_ud2(0xFD))
    assert heard and parse_frame(heard)[1] is None


def test_read_primary_with_timestamp() -> None:
    values = ElectricityValues(energy_import_wh=5, timestamp=datetime(2026, 3, 1, 12, 30))
    slave = MBusSlave(StaticBackend(ident=1, primary_address=3, data=electricity_records(values)))
    telegram = read_primary(WiredBus([slave]).transact, 3)
    assert telegram.records[-1].value == datetime(2026, 3, 1, 12, 30)


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data) -> None:
    slave = make_slave()
    slave.feed(data)
    slave.feed(select(Selection()) + bytes(data[:10]))


def test_slave_replies_are_ignored_by_slaves() -> None:
    slave = make_slave(address=8)
    assert slave.feed(ShortFrame(0x08, 8).to_bytes()) == b""
