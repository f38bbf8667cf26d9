"""EN 13757-3 fixed data header, manufacturer code, BCD ident numbers and secondary selection."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import NamedTuple

from k351c.errors import LocalProtocolError, RemoteProtocolError

HEADER_LENGTH = 12
SELECTION_LENGTH = 8
WILDCARD_MANUFACTURER = 0xFFFF
WILDCARD_BYTE = 0xFF


class Medium(IntEnum):
    """Device type (medium) codes, EN 13757-3 table 3 (selection)."""

    OTHER = 0x00
    OIL = 0x01
    ELECTRICITY = 0x02
    GAS = 0x03
    HEAT = 0x04
    STEAM = 0x05
    WARM_WATER = 0x06
    WATER = 0x07
    HEAT_COST_ALLOCATOR = 0x08
    COMPRESSED_AIR = 0x09
    COOLING_OUTLET = 0x0A
    COOLING_INLET = 0x0B
    HEAT_INLET = 0x0C
    HEAT_COOLING = 0x0D
    BUS_SYSTEM = 0x0E
    UNKNOWN = 0x0F
    HOT_WATER = 0x15
    COLD_WATER = 0x16
    PRESSURE = 0x18
    AD_CONVERTER = 0x19


class Status(IntFlag):
    """Status byte of the fixed header, EN 13757-3 table 5."""

    APPLICATION_BUSY = 0x01
    APPLICATION_ERROR = 0x02
    POWER_LOW = 0x04
    PERMANENT_ERROR = 0x08
    TEMPORARY_ERROR = 0x10
    MANUFACTURER_1 = 0x20
    MANUFACTURER_2 = 0x40
    MANUFACTURER_3 = 0x80


def encode_manufacturer(code: str) -> int:
    """Three letters A-Z to the 15-bit EN 13757-3 manufacturer id (KAM -> 0x2C2D)."""
    if len(code) != 3 or not all("A" <= c <= "Z" for c in code):
        raise LocalProtocolError(f"manufacturer must be three letters A-Z, got {code!r}")
    a, b, c = (ord(ch) - 64 for ch in code)
    return (a << 10) | (b << 5) | c


def decode_manufacturer(value: int) -> str:
    """The 15-bit manufacturer id back to three letters."""
    letters = ((value >> 10) & 0x1F, (value >> 5) & 0x1F, value & 0x1F)
    return "".join(chr(64 + x) for x in letters)


def encode_bcd(value: int, length: int) -> bytes:
    """Unsigned value as length bytes of BCD, least significant byte first."""
    if not 0 <= value < 10 ** (2 * length):
        raise LocalProtocolError(f"{value} does not fit {2 * length} BCD digits")
    return int(str(value).rjust(2 * length, "0"), 16).to_bytes(length, "little")


def decode_bcd(data: bytes) -> int:
    """Unsigned BCD, least significant byte first; a nibble above 9 is a peer error."""
    text = data[::-1].hex()
    if not text.isdigit():
        raise RemoteProtocolError(f"invalid BCD {data.hex()}")
    return int(text)


class Identification(NamedTuple):
    """Secondary address of a slave: what a backend's identification() returns."""

    ident: int
    manufacturer: str
    version: int
    medium: int

    def to_bytes(self) -> bytes:
        """The 8 bytes ident (BCD), manufacturer, version, medium as in the header."""
        if not 0 <= self.version <= 0xFF or not 0 <= self.medium <= 0xFF:
            raise LocalProtocolError("version and medium are one byte each")
        man = encode_manufacturer(self.manufacturer).to_bytes(2, "little")
        return encode_bcd(self.ident, 4) + man + bytes([self.version, self.medium])

    @classmethod
    def from_bytes(cls, data: bytes) -> Identification:
        """Parse the first 8 bytes of a fixed header."""
        if len(data) < SELECTION_LENGTH:
            raise RemoteProtocolError("identification needs 8 bytes")
        man = decode_manufacturer(int.from_bytes(data[4:6], "little"))
        return cls(decode_bcd(data[0:4]), man, data[6], data[7])

    @property
    def secondary_address(self) -> str:
        """The 16 hex digit form libmbus and pyMeterBus print (bytes as on the wire)."""
        raw = self.to_bytes()
        return f"{self.ident:08d}" + raw[4:].hex().upper()


@dataclass(frozen=True, slots=True)
class FixedHeader:
    """The 12-byte data header after CI=72h."""

    identification: Identification
    access_number: int = 0
    status: int = 0
    signature: int = 0

    def to_bytes(self) -> bytes:
        """12 bytes: ident, manufacturer, version, medium, access no, status, signature."""
        if not 0 <= self.access_number <= 0xFF or not 0 <= self.status <= 0xFF:
            raise LocalProtocolError("access number and status are one byte each")
        tail = bytes([self.access_number, self.status]) + self.signature.to_bytes(2, "little")
        return self.identification.to_bytes() + tail

    @classmethod
    def from_bytes(cls, data: bytes) -> FixedHeader:
        """Parse the first 12 bytes of a variable data structure."""
        if len(data) < HEADER_LENGTH:
            raise RemoteProtocolError("fixed header needs 12 bytes")
        ident = Identification.from_bytes(data[:8])
        return cls(ident, data[8], data[9], int.from_bytes(data[10:12], "little"))


@dataclass(frozen=True, slots=True)
class Selection:
    """A secondary selection mask; F nibbles in the ident and all-F fields are wildcards."""

    ident: str = "FFFFFFFF"
    manufacturer: int = WILDCARD_MANUFACTURER
    version: int = WILDCARD_BYTE
    medium: int = WILDCARD_BYTE

    def __post_init__(self) -> None:
        if len(self.ident) != 8 or any(c not in "0123456789F" for c in self.ident):
            raise LocalProtocolError(f"ident mask must be 8 of 0-9/F, got {self.ident!r}")

    @classmethod
    def of(cls, ident: Identification) -> Selection:
        """The exact selection of one slave."""
        return cls(
            f"{ident.ident:08d}",
            encode_manufacturer(ident.manufacturer),
            ident.version,
            ident.medium,
        )

    def to_bytes(self) -> bytes:
        """The 8 bytes of SND_UD CI=52h user data."""
        ident = bytes.fromhex(self.ident)[::-1]
        return ident + self.manufacturer.to_bytes(2, "little") + bytes([self.version, self.medium])

    @classmethod
    def from_bytes(cls, data: bytes) -> Selection:
        """Parse SND_UD CI=52h user data (nibbles A-E in the ident are a peer error)."""
        if len(data) != SELECTION_LENGTH:
            raise RemoteProtocolError(f"selection needs 8 bytes, got {len(data)}")
        ident = data[3::-1].hex().upper()
        if any(c in "ABCDE" for c in ident):
            raise RemoteProtocolError(f"invalid ident mask {ident}")
        return cls(ident, int.from_bytes(data[4:6], "little"), data[6], data[7])

    def matches(self, ident: Identification) -> bool:
        """True when the slave with this identification is selected by this mask."""
        digits = f"{ident.ident:08d}"
        if any(m != "F" and m != d for m, d in zip(self.ident, digits, strict=True)):
            return False
        if self.manufacturer != WILDCARD_MANUFACTURER:
            if self.manufacturer != encode_manufacturer(ident.manufacturer):
                return False
        if self.version != WILDCARD_BYTE and self.version != ident.version:
            return False
        return self.medium == WILDCARD_BYTE or self.medium == ident.medium
