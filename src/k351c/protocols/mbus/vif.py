"""What a VIB means: quantity, unit and decimal exponent, from the EN 13757-3 VIF tables."""

from __future__ import annotations

from dataclasses import dataclass

from k351c.protocols.mbus.records import EXTENSION, PLAIN_TEXT_VIF

FIRST_EXTENSION = 0xFD
SECOND_EXTENSION = 0xFB
COMBINABLE_EXTENSION = 0xFC

POSITIVE_ACCUMULATION = 0x3B
NEGATIVE_ACCUMULATION = 0x3C
CORRECTION_FACTOR = 0x70

PHASES = {0x01: "L1", 0x02: "L2", 0x03: "L3", 0x04: "N"}


@dataclass(frozen=True, slots=True)
class Meaning:
    """Quantity, unit and decimal exponent a VIB gives to a record's integer value."""

    quantity: str
    unit: str
    exponent: int = 0
    qualifiers: tuple[str, ...] = ()


def _ranged(
    table: dict[int, Meaning], first: int, count: int, quantity: str, unit: str, exp0: int
) -> None:
    for n in range(count):
        table[first + n] = Meaning(quantity, unit, exp0 + n)


PRIMARY: dict[int, Meaning] = {}
_ranged(PRIMARY, 0x00, 8, "energy", "Wh", -3)
_ranged(PRIMARY, 0x08, 8, "energy", "J", 0)
_ranged(PRIMARY, 0x10, 8, "volume", "m3", -6)
_ranged(PRIMARY, 0x18, 8, "mass", "kg", -3)
_ranged(PRIMARY, 0x28, 8, "power", "W", -3)
_ranged(PRIMARY, 0x30, 8, "power", "J/h", 0)
for _n, _unit in enumerate(("s", "min", "h", "d")):
    PRIMARY[0x20 + _n] = Meaning("on time", _unit)
    PRIMARY[0x24 + _n] = Meaning("operating time", _unit)
    PRIMARY[0x70 + _n] = Meaning("averaging duration", _unit)
    PRIMARY[0x74 + _n] = Meaning("actuality duration", _unit)
PRIMARY.update(
    {
        0x6C: Meaning("date", "date"),
        0x6D: Meaning("date time", "datetime"),
        0x6E: Meaning("units for HCA", ""),
        0x78: Meaning("fabrication number", ""),
        0x79: Meaning("enhanced identification", ""),
        0x7A: Meaning("bus address", ""),
    }
)

FIRST: dict[int, Meaning] = {}
_ranged(FIRST, 0x40, 16, "voltage", "V", -9)
_ranged(FIRST, 0x50, 16, "current", "A", -12)
FIRST.update(
    {
        0x08: Meaning("access number", ""),
        0x09: Meaning("medium", ""),
        0x0A: Meaning("manufacturer", ""),
        0x0B: Meaning("parameter set identification", ""),
        0x0C: Meaning("model version", ""),
        0x0D: Meaning("hardware version", ""),
        0x0E: Meaning("firmware version", ""),
        0x0F: Meaning("software version", ""),
        0x16: Meaning("password", ""),
        0x17: Meaning("error flags", ""),
        0x1A: Meaning("digital output", ""),
        0x1B: Meaning("digital input", ""),
        0x60: Meaning("reset counter", ""),
        0x61: Meaning("cumulation counter", ""),
    }
)

SECOND: dict[int, Meaning] = {}
_ranged(SECOND, 0x00, 2, "energy", "Wh", 5)
_ranged(SECOND, 0x02, 2, "reactive energy", "varh", 3)
_ranged(SECOND, 0x14, 4, "reactive power", "var", 0)
_ranged(SECOND, 0x28, 2, "power", "W", 5)


def _combinable(vifes: bytes, meaning: Meaning) -> Meaning:
    exponent, qualifiers = meaning.exponent, list(meaning.qualifiers)
    i = 0
    while i < len(vifes):
        code = vifes[i] & 0x7F
        if code == POSITIVE_ACCUMULATION:
            qualifiers.append("positive accumulation")
        elif code == NEGATIVE_ACCUMULATION:
            qualifiers.append("negative accumulation")
        elif CORRECTION_FACTOR <= code <= CORRECTION_FACTOR + 7:
            exponent += code - CORRECTION_FACTOR - 6
        elif code == COMBINABLE_EXTENSION & 0x7F and i + 1 < len(vifes):
            i += 1
            phase = PHASES.get(vifes[i] & 0x7F)
            qualifiers.append(f"phase {phase}" if phase else f"extension {vifes[i] & 0x7F:#04x}")
        else:
            qualifiers.append(f"vife {code:#04x}")
        i += 1
    return Meaning(meaning.quantity, meaning.unit, exponent, tuple(qualifiers))


def describe(vib: bytes) -> Meaning | None:
    """The meaning of a VIB, or None for VIFs outside the tables this project uses."""
    if not vib:
        return None
    first = vib[0]
    if first & 0x7F == PLAIN_TEXT_VIF:
        length = vib[1]
        text = bytes(vib[2 : 2 + length])[::-1].decode("ascii", errors="replace")
        return _combinable(vib[2 + length :], Meaning("plain text unit", text))
    if first in (FIRST_EXTENSION, SECOND_EXTENSION):
        if len(vib) < 2:
            return None
        table = FIRST if first == FIRST_EXTENSION else SECOND
        base = table.get(vib[1] & 0x7F)
        return None if base is None else _combinable(vib[2:], base)
    base = PRIMARY.get(first & 0x7F)
    if base is None:
        return None
    return _combinable(vib[1:] if first & EXTENSION else b"", base)
