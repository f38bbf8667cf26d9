"""Fuzz targets for every codec: seeds from real captures, a mutator, and one checker per codec.

Each checker takes arbitrary bytes and raises AssertionError (or an unexpected exception) when a
property is broken: only RemoteProtocolError where the API allows it, progress on every call,
bounded buffers, and the same events whether bytes come one at a time or all at once.
Shared by the hypothesis tests (tests/fuzz) and the long run (benchmarks/fuzz.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from k351c.axdr.codec import decode_data, encode_data
from k351c.errors import AccessDenied, ConfigError, RemoteProtocolError
from k351c.protocols import wrapper
from k351c.protocols.dlms import Aare, Aarq, Rlre, Rlrq, encode_apdu
from k351c.protocols.dlms import parse_apdu as dlms_parse_apdu
from k351c.protocols.hdlc import ApduReceived, FrameDropped, HdlcServerConnection, LinkState
from k351c.protocols.hdlc import parse_frame as hdlc_parse_frame
from k351c.protocols.iec62056_21 import NEED_DATA as IEC_NEED_DATA
from k351c.protocols.iec62056_21 import DataLine, Iec62056Server
from k351c.protocols.iec62056_21 import parse_frame as iec_parse_frame
from k351c.protocols.mbus import MBusSlave, StaticBackend, decode_records, electricity_records
from k351c.protocols.mbus import parse_frame as mbus_parse_frame
from k351c.protocols.mbus.electricity import ElectricityValues

H = bytes.fromhex

# Captures from the codec tests: Green Book, gurux-dlms, a real meter session, EN 13757-3, IEC 62056-21.
AXDR_SEEDS = [
    H("0202090c07ea0101040000000080000011ff"),
    H("0106060000000a0600000014"),
    H("020412000809060000010000ff0f02120000"),
    H("0c07d20c04030a060bff007800"),
    H("1305020212001100060000000506000000070600000009"),
    H("0a084b414d3132333435"),
    H("0403c0a0"),
    H("17409000001840000000000000"),
]
APDU_SEEDS = [
    H("c001c100080000010000ff0200"),
    H("c001c100030100010800ff0200"),
    H("c401c100090c07ea01010400000000800000"),
    H("c101c100080000010000ff0200090c07ea0101040000000000ff000000"),
    H("c301c1000f0000280000ff010100"),
    H(
        "c001c100070100630100ff0201010204020412000809060000010000ff0f02120000"
        "090c07ea0101ff00000000000000090c07ea0102ff000000000000000100"
    ),
    H("c001c100070100630100ff02010202040600000001060000000a120001120000"),
    H("0f00000001" + "0c07d20c04030a060bff007800" + "0202090101" + "1200ff"),
    H("c40281000000000105010203"),
    H("c00201000000000103"),
    H("c7010d"),
]
ACSE_SEEDS = [
    H("601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0"),
    H("6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F040000501F01F40007"),
    H(
        "6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
        "BE10040E01000000065F1F040000181DFFFF"
    ),
    H(
        "605da109060760857405080103a60a04084d4d4d0000bc614e8a0207808b0760857405080205ac128010"
        "fc9485a83ce48c5a79b21d0cbccab754be230421211f3000000001d061000a04ec615571c4ca5676a23c"
        "b02e0f3b43a1ee9c3b5c56"
    ),
    H("6203800100"),
    H("6300"),
]
HDLC_SEEDS = [
    H("7EA00703219301 0F7E".replace(" ", "")),
    H("7EA0070321930F017E"),
    H("7EA020030393FEC981801405020080060200800704000000010804000000 01CE6A7E".replace(" ", "")),
    H(
        "7EA0440303106594E6E600603 6A109060760857405080101 8A0207808B0760857405080201AC0A800878527750"
        "62457846BE10040E01000000065F1F0400007E1F0100AFDF7E".replace(" ", "")
    ),
    H("7EA007030331949 77E".replace(" ", "")),
    H("7EA01903033 2ECC8E6E600C00187000100006001 00FF0200FB987E".replace(" ", "")),
    H("7EA00A00022275219307927E"),
    H("7EA01903CD13DDA8E6E600C001C000010000600100FF020018F57E"),
    H("7EA00A000222752153 E6D37E".replace(" ", "")),
]
WRAPPER_SEEDS = [
    H("000100100001000DC001C100080000010000FF0200"),
    H("0001000100100012C401C100090C07EA01010400000000800000"),
    H("000100100001001F601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0"),
]
IEC_SEEDS = [
    b"/?!\r\n",
    b"/?12345678!\r\n",
    b"\x06050\r\n",
    b"\x06051\r\n",
    b"\x06052\r\n",
    b"\x01P1\x02(00000000)\x03a",
    b"\x01R1\x021.8.0()\x03Z",
    b"\x01W1\x020.4.2(200)\x03V",
    b"\x01B0\x03q",
    b"/KAM5\\2K351C\r\n",
    b"\x15",
]
MBUS_SEEDS = [
    H("681F1F680802727856341224400107550000000313153100DA023B13018B60043718021816"),
    H("1040014116"),
    H("105B015C16"),
    H("107BFE7916"),
    H("6803036853FE50A116"),
    H("680B0B6873FE5107F87856341224FFFF01FF16"),
    H("680606685301510 17A01D716".replace(" ", "")),
    b"\xe5",
]
RECORD_SEEDS = [
    H("0313153100DA023B13018B6004371802"),
    H("046D04234231"),
    H("426C5F2C"),
    H("0A0334F1"),
    H("2F2F01FD1701") + b"\x1f\x01\x02",
    H("0C0412345678"),
    H("84800104786856341200"),
]

INTERESTING = [
    0x00,
    0x01,
    0x02,
    0x03,
    0x06,
    0x0F,
    0x10,
    0x16,
    0x68,
    0x7E,
    0x7F,
    0x80,
    0x81,
    0x82,
    0x83,
    0x84,
    0xA0,
    0xE5,
    0xE6,
    0xFE,
    0xFF,
]


def mutate(seed: bytes, rng: random.Random, corpus: list[bytes] | None = None) -> bytes:
    """A few random edits of seed: flips, interesting bytes, inserts, deletes, repeats, splices."""
    data = bytearray(seed)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(pos, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1 and data:
            data[min(pos, len(data) - 1)] = rng.choice(INTERESTING)
        elif op == 2:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3 and data:
            del data[pos : pos + rng.randint(1, 8)]
        elif op == 4 and data:
            chunk = data[pos : pos + rng.randint(1, 16)]
            data[pos:pos] = chunk * rng.randint(1, 4)
        elif op == 5 and corpus:
            other = rng.choice(corpus)
            cut = rng.randrange(len(other) + 1)
            data = data[:pos] + other[cut:]
        elif op == 6:
            data = data[:pos]
    return bytes(data)


def whole_and_bytewise(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """The same input as one chunk (none when empty) and as single octets."""
    return ([data] if data else []), [data[i : i + 1] for i in range(len(data))]


def _only_remote_errors(fn: Callable[[bytes], object], data: bytes) -> object | None:
    """fn(data), or None when it refused the input with RemoteProtocolError."""
    try:
        return fn(data)
    except RemoteProtocolError:
        return None


def check_axdr(data: bytes) -> None:
    """decode_data refuses garbage with RemoteProtocolError; what it accepts re-encodes stably."""
    result = _only_remote_errors(decode_data, data)
    if result is None:
        return
    value, end = result
    assert 0 < end <= len(data)
    encoded = encode_data(value)
    again, used = decode_data(encoded)
    assert used == len(encoded) and encode_data(again) == encoded


def check_apdu(data: bytes) -> None:
    """parse_apdu refuses garbage with RemoteProtocolError; what it accepts re-encodes stably."""
    apdu = _only_remote_errors(dlms_parse_apdu, data)
    if apdu is None:
        return
    encoded = encode_apdu(apdu)
    assert encode_apdu(dlms_parse_apdu(encoded)) == encoded


def check_acse(data: bytes) -> None:
    """AARQ/AARE/RLRQ/RLRE decoders refuse garbage with RemoteProtocolError and re-encode stably."""
    for cls in (Aarq, Aare, Rlrq, Rlre):
        message = _only_remote_errors(cls.from_bytes, data)
        if message is not None:
            encoded = message.to_bytes()
            assert cls.from_bytes(encoded).to_bytes() == encoded


def check_hdlc_frame(data: bytes) -> None:
    """parse_frame never raises and always makes progress until it asks for more bytes."""
    buf = bytearray(data)
    for _ in range(len(data) + 2):
        consumed, parsed = hdlc_parse_frame(buf)
        assert 0 <= consumed <= len(buf)
        if consumed == 0:
            assert parsed is None
            break
        del buf[:consumed]
    else:
        raise AssertionError("parse_frame did not converge")
    assert len(buf) <= 2 + 0x7FF + 2


def _hdlc_run(chunks: list[bytes]) -> tuple[list[object], bytes]:
    """Feed chunks to a point-to-point HDLC server, answering every numbered APDU; (events, output).

    A dropped frame counts by its reason: its data is a log excerpt of whatever was buffered.
    """
    link = HdlcServerConnection(6678, max_apdu=1024)
    events: list[object] = []
    out = bytearray()
    for chunk in chunks:
        link.receive_data(chunk)
        while (event := link.next_event()) is not wrapper.NEED_DATA:
            events.append(("dropped", event.reason) if isinstance(event, FrameDropped) else event)
            if (
                isinstance(event, ApduReceived)
                and not event.unnumbered
                and link.state is LinkState.NRM
            ):
                link.send_apdu(b"\xc4\x01\xc1\x00\x09\x00")
        out += link.data_to_send()
        assert len(link._buffer) <= 2 * (0x7FF + 2)
    return events, bytes(out)


def check_hdlc_server(data: bytes) -> None:
    """HdlcServerConnection never raises on line bytes; one byte at a time equals all at once."""
    whole, bytewise = whole_and_bytewise(data)
    assert _hdlc_run(whole) == _hdlc_run(bytewise)


def _wrapper_run(chunks: list[bytes]) -> tuple[list[object], bool]:
    """Feed chunks to a WrapperConnection: (events, refused with RemoteProtocolError)."""
    conn = wrapper.WrapperConnection(max_length=256)
    events: list[object] = []
    try:
        for chunk in chunks:
            conn.receive_data(chunk)
            while (event := conn.next_event()) is not wrapper.NEED_DATA:
                events.append(event)
            assert len(conn._buffer) <= wrapper.HEADER_LENGTH + 256
    except RemoteProtocolError:
        return events, True
    return events, False


def check_wrapper(data: bytes) -> None:
    """parse_wrapper/WrapperConnection: only RemoteProtocolError, bounded, chunking-independent."""
    result = _only_remote_errors(wrapper.parse_wrapper, data)
    if result is not None:
        consumed, frame = result
        assert (consumed == 0) == (frame is None)
    whole, bytewise = whole_and_bytewise(data)
    assert _wrapper_run(whole) == _wrapper_run(bytewise)


class FuzzBackend:
    """A tiny optical meter: two registers, one legal; wrong passwords lock after three tries."""

    def __init__(self) -> None:
        self.values = {
            "1.8.0": DataLine("1.8.0", "0001234.567", "kWh"),
            "0.4.2": DataLine("0.4.2", "100"),
        }
        self.failures = 0

    def identification(self) -> str:
        """Identification text."""
        return "K351C"

    def device_address(self) -> str:
        """The serial number."""
        return "12345678"

    def readout(self) -> list[DataLine]:
        """All registers."""
        return list(self.values.values())

    def is_locked(self) -> bool:
        """Locked after three wrong passwords."""
        return self.failures >= 3

    def check_password(self, level: int, password: str) -> bool:
        """P1 password 00000000."""
        ok = level == 1 and password == "00000000"
        self.failures = 0 if ok else self.failures + 1
        return ok

    def read(self, address: str, params: str) -> DataLine:
        """A register or LookupError."""
        return self.values[address]

    def write(self, address: str, value: str) -> None:
        """Legal energy refused, digits only."""
        if address == "1.8.0":
            raise AccessDenied("legal data")
        if address not in self.values:
            raise LookupError(address)
        if not value.isdigit():
            raise ConfigError(address, value, "digits")
        self.values[address] = DataLine(address, value)


def check_iec_frame(data: bytes) -> None:
    """IEC 62056-21 parse_frame never raises and makes progress on every input."""
    for option in (False, True):
        buf = bytearray(data)
        for _ in range(len(data) + 2):
            consumed, _frame = iec_parse_frame(buf, option_select=option)
            assert 0 <= consumed <= len(buf)
            if consumed == 0:
                break
            del buf[:consumed]
        else:
            raise AssertionError("parse_frame did not converge")


def _iec_run(chunks: list[bytes]) -> tuple[list[object], int]:
    """Feed chunks to an optical server (no clock): (events, buffered octets)."""
    server = Iec62056Server(FuzzBackend(), max_baud=9600)
    events: list[object] = []
    for chunk in chunks:
        if server.state.name == "HDLC":
            server.reset()
        server.receive_data(chunk)
        while (event := server.next_event()) is not IEC_NEED_DATA:
            events.append(event)
    return events, len(server._buf)


def check_iec_server(data: bytes) -> None:
    """Iec62056Server never raises, holds at most a frame of input, same events byte by byte.

    The leftover may differ: an over-long `/` line dropped in one chunk takes a trailing `/` with it.
    """
    whole, bytewise = whole_and_bytewise(data)
    events, buffered = _iec_run(whole)
    one_by_one, left = _iec_run(bytewise)
    assert buffered <= 1024 and left <= 1024
    assert one_by_one == events


def _mbus_slave() -> MBusSlave:
    """A slave at primary address 1 with the electricity records."""
    values = ElectricityValues(energy_import_wh=1000, voltages_v=(230.0, 231.0, 232.0))
    return MBusSlave(
        StaticBackend(ident=12345678, primary_address=1, data=electricity_records(values))
    )


def check_mbus(data: bytes) -> None:
    """M-Bus parse_frame and MBusSlave never raise; byte by byte equals all at once; energy unchanged."""
    buf = bytearray(data)
    while buf:
        consumed, _frame = mbus_parse_frame(buf)
        assert 0 <= consumed <= len(buf)
        if consumed == 0:
            break
        del buf[:consumed]
    assert len(buf) < 6 + 255
    slave, other = _mbus_slave(), _mbus_slave()
    whole = slave.feed(data)
    assert whole == b"".join(other.feed(data[i : i + 1]) for i in range(len(data)))
    assert list(slave.backend.records()) == list(_mbus_slave().backend.records())


def check_records(data: bytes) -> None:
    """decode_records refuses garbage only with RemoteProtocolError."""
    _only_remote_errors(decode_records, data)


@dataclass(frozen=True)
class Target:
    """One fuzz target: seeds and the property checker."""

    seeds: list[bytes]
    check: Callable[[bytes], None]


TARGETS: dict[str, Target] = {
    "axdr": Target(AXDR_SEEDS, check_axdr),
    "apdu": Target(APDU_SEEDS + ACSE_SEEDS, check_apdu),
    "acse": Target(ACSE_SEEDS, check_acse),
    "hdlc_frame": Target(HDLC_SEEDS, check_hdlc_frame),
    "hdlc_server": Target(HDLC_SEEDS, check_hdlc_server),
    "wrapper": Target(WRAPPER_SEEDS, check_wrapper),
    "iec_frame": Target(IEC_SEEDS, check_iec_frame),
    "iec_server": Target(IEC_SEEDS, check_iec_server),
    "mbus": Target(MBUS_SEEDS, check_mbus),
    "mbus_records": Target(RECORD_SEEDS, check_records),
}
