"""DLMS unit codes (IEC 62056-6-2, table of enumerated units) and their names."""

from enum import IntEnum


class Unit(IntEnum):
    """The enumerated units a register's scaler_unit carries."""

    YEAR = 1
    MONTH = 2
    WEEK = 3
    DAY = 4
    HOUR = 5
    MINUTE = 6
    SECOND = 7
    DEGREE = 8
    DEGREE_CELSIUS = 9
    CURRENCY = 10
    METRE = 11
    METRE_PER_SECOND = 12
    CUBIC_METRE = 13
    CUBIC_METRE_CORRECTED = 14
    CUBIC_METRE_PER_HOUR = 15
    LITRE = 20
    KILOGRAM = 21
    NEWTON = 22
    WATT = 27
    VOLT_AMPERE = 28
    VAR = 29
    WATT_HOUR = 30
    VOLT_AMPERE_HOUR = 31
    VAR_HOUR = 32
    AMPERE = 33
    COULOMB = 34
    VOLT = 35
    VOLT_PER_METRE = 36
    FARAD = 37
    OHM = 38
    HERTZ = 44
    ACTIVE_ENERGY_METER_CONSTANT = 45
    REACTIVE_ENERGY_METER_CONSTANT = 46
    APPARENT_ENERGY_METER_CONSTANT = 47
    PERCENTAGE = 56
    AMPERE_HOUR = 57
    OTHER = 254
    COUNT = 255


UNIT_NAMES: dict[Unit, str] = {
    Unit.WATT: "W",
    Unit.VOLT_AMPERE: "VA",
    Unit.VAR: "var",
    Unit.WATT_HOUR: "Wh",
    Unit.VOLT_AMPERE_HOUR: "VAh",
    Unit.VAR_HOUR: "varh",
    Unit.AMPERE: "A",
    Unit.VOLT: "V",
    Unit.HERTZ: "Hz",
    Unit.SECOND: "s",
    Unit.MINUTE: "min",
    Unit.HOUR: "h",
    Unit.DAY: "d",
    Unit.CUBIC_METRE: "m3",
    Unit.LITRE: "l",
    Unit.DEGREE: "deg",
    Unit.DEGREE_CELSIUS: "degC",
    Unit.PERCENTAGE: "%",
    Unit.ACTIVE_ENERGY_METER_CONSTANT: "imp/kWh",
    Unit.REACTIVE_ENERGY_METER_CONSTANT: "imp/kvarh",
    Unit.OTHER: "",
    Unit.COUNT: "",
}


def unit_name(unit: Unit | int | None) -> str:
    """The short printable name of a DLMS unit ('' for counts and unitless values)."""
    if unit is None:
        return ""
    return UNIT_NAMES.get(Unit(unit), Unit(unit).name.lower())
