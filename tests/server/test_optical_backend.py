"""The meter adapter of the optical port, byte level through the sans-IO server (no sockets)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import Meter, MeterConfig, SimClock
from k351c.errors import AccessDenied, ConfigError
from k351c.meter.objects import ValueDef
from k351c.obis import Obis
from k351c.protocols.iec62056_21 import NEED_DATA, Iec62056Server, Send, bcc
from k351c.server.optical_backend import Lockout, MeterOpticalBackend, short_address
from k351c.units import Unit

PASSWORD = "12345678"


def _meter(config1: str = "3-1-000-00-2") -> Meter:
    """A frozen meter at 2026-01-01 01:00 local."""
    return Meter(
        MeterConfig.from_codes(config1=config1), clock=SimClock("2026-01-01T00:00:00Z", rate=0)
    )


def _talk(server: Iec62056Server, data: bytes) -> bytes:
    """Bytes the server sends back for these bytes."""
    server.receive_data(data, 0.0)
    out = b""
    while (event := server.next_event()) is not NEED_DATA:
        if isinstance(event, Send):
            out += event.data
    return out


def _block(start: int, text: str) -> bytes:
    """SOH/STX text ETX BCC."""
    body = text.encode() + b"\x03"
    return bytes((start,)) + body + bytes((bcc(body),))


def test_readout_bytes_start_with_the_identification() -> None:
    server = Iec62056Server(MeterOpticalBackend(_meter(), PASSWORD))
    assert _talk(server, b"/?12345678!\r\n") == b"/KAM6\\2K351C\r\n"
    readout = _talk(server, b"\x06060\r\n")
    head = "0-0:96.1.0(12345678)\r\n0-0:96.1.1(685-35BC423-070)\r\n0-0:0.9.1(01:00:00)\r\n0-0:0.9.2(26-01-01)\r\n"
    assert readout.startswith(b"\x02" + head.encode() + b"1-0:1.8.0(0.00*kWh)\r\n")
    assert readout[-2] == 0x03 and readout[-1] == bcc(readout[1:-1])
    assert b"!\r\n\x03" in readout


def test_programming_bytes_write_and_refuse() -> None:
    meter = _meter()
    server = Iec62056Server(MeterOpticalBackend(meter, PASSWORD))
    _talk(server, b"/?!\r\n")
    assert _talk(server, b"\x06051\r\n") == _block(1, "P0\x02(12345678)")
    assert _talk(server, _block(1, "P1\x02(12345678)")) == b"\x06"
    assert _talk(server, _block(1, "W1\x021-0:0.4.2(1500)")) == b"\x06"
    assert meter.ct_primary == 1500
    assert _talk(server, _block(1, "W1\x021-0:1.8.0(0)")) == _block(2, "(ERROR: LEGAL DATA)")
    assert _talk(server, _block(1, "R1\x020-0:128.90.5()")) == _block(
        2, "0-0:128.90.5(000-300-1-1)"
    )
    assert _talk(server, _block(1, "B0")) == b""


@pytest.mark.parametrize(
    ("config1", "text"),
    [("1-1-000-00-2", "1234"), ("2-1-000-00-2", "1234.5"), ("3-1-000-00-2", "1234.56")],
)
def test_energy_decimals_follow_config1(config1: str, text: str) -> None:
    backend = MeterOpticalBackend(_meter(config1), PASSWORD)
    assert backend.format(1234567, "Wh") == (text, "kWh")
    assert backend.format(2988, "W") == ("2.988", "kW")
    assert backend.format(230.04, "V", -1) == ("230.0", "V")


def test_lockout_counts_wrong_passwords_and_ends() -> None:
    now = [0.0]
    backend = MeterOpticalBackend(_meter(), PASSWORD, lockout=Lockout(lambda: now[0], 3, 300))
    assert not backend.check_password(2, PASSWORD)  # P2 is not offered: counts as wrong
    assert not backend.check_password(1, "1")
    assert not backend.is_locked()
    assert not backend.check_password(1, "2")
    assert backend.is_locked()
    now[0] = 299.0
    assert backend.is_locked()
    now[0] = 300.0
    assert not backend.is_locked()
    assert backend.check_password(1, PASSWORD)


def test_writes_that_change_nothing() -> None:
    meter = _meter()
    backend = MeterOpticalBackend(meter, PASSWORD)
    before = meter.config
    with pytest.raises(AccessDenied, match="legal data"):
        backend.write("1-0:0.4.5", "1")
    with pytest.raises(ConfigError):
        backend.write("0-0:21.0.1", ";".join(["1.8.0"] * 17))
    with pytest.raises(ConfigError):
        backend.write("0-0:21.0.3", "1.8.0;9.9.9")
    with pytest.raises(ConfigError):
        backend.write("0-0:0.9.1", "25:00:00")
    with pytest.raises(LookupError):
        backend.write("nonsense", "1")
    assert meter.config is before


def test_historical_objects_are_the_debiting_values() -> None:
    meter = _meter()
    meter.objects.add(ValueDef(Obis(1, 0, 1, 8, 0, 7), 3, lambda: 5000, Unit.WATT_HOUR, legal=True))
    lines = MeterOpticalBackend(meter, PASSWORD).debiting_lines()
    assert [(d.address, d.value, d.unit) for d in lines] == [("1-0:1.8.0*7", "5.00", "kWh")]


MANUAL_CODES = [c for c in _meter().config.display_table.manual]


LEGAL = ["1-0:1.8.0.255", "1-0:2.8.0.255"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(MANUAL_CODES), unique=True, max_size=28), st.integers(1, 6))
def test_display_list_write_read_round_trip(chosen: list[str], parts: int) -> None:
    meter = _meter()
    codes = LEGAL + [c for c in chosen if c not in LEGAL]
    backend = MeterOpticalBackend(meter, PASSWORD)
    short = [short_address(Obis.parse(c)) for c in codes]
    size = max(1, -(-len(short) // parts))
    chunks = [short[i : i + size] for i in range(0, len(short), size)] or [[]]
    for chunk in chunks[:-1]:
        backend.write("0-0:21.0.2", ";".join(chunk) + ";")
        assert meter.config.display_table.manual == tuple(MANUAL_CODES)
    backend.write("0-0:21.0.2", ";".join(chunks[-1]))
    assert meter.config.display_table.manual == tuple(codes)
    line = backend.read("0-0:21.0.2", "")
    assert [v for v in (line.value, *(v for v, _ in line.more)) if v] == short


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("1-0:1.8.0;1-0:1.8.0;1-0:2.8.0", "each reading once"),
        ("1-0:1.8.1", "legal readings"),
        ("1-0:1.8.0;1-0:2.8.0;1-0:99.1.0", "not a logger"),
    ],
)
def test_display_list_write_is_display_set_list_with_its_checks(value: str, why: str) -> None:
    meter = _meter()
    backend = MeterOpticalBackend(meter, PASSWORD)
    before = meter.config.display_table.manual
    with pytest.raises(ConfigError, match=why):
        backend.write("0-0:21.0.2", value)
    assert meter.config.display_table.manual == before
