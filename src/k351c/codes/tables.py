"""The data sheet's ordering and configuration tables, as data: one entry per printed row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

# --- field layout -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeField:
    """One position of a code: its letters on the sheet, width, and the allowed values."""

    attr: str
    position: str
    label: str
    width: int
    meanings: Mapping[int, str] | Mapping[str, str]
    numeric: bool = True
    allowed_text: str | None = None

    def code_text(self, value: object) -> str:
        """The value as the sheet prints it (zero-padded digits, or the letter)."""
        if self.numeric and isinstance(value, int) and not isinstance(value, bool):
            return f"{value:0{self.width}d}"
        return str(value)

    def allowed(self) -> list[str] | str:
        """The allowed codes, as ConfigError reports them."""
        if self.allowed_text is not None:
            return self.allowed_text
        return [self.code_text(key) for key in self.meanings]


# --- type number 685-X1X2X3X4X5X6X7-X8X9X10 -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phases:
    """X1: network, frequency and whether it is an Aron (two-element) meter."""

    name: str
    aron: bool
    frequency: float


PHASES: dict[str, Phases] = {
    "2": Phases("3x230V (Aron) / 50 Hz", True, 50.0),
    "3": Phases("3x230/400V / 50 Hz", False, 50.0),
    "4": Phases("3x230/400V / 60 Hz", False, 60.0),
}
CURRENTS: dict[str, str] = {"5": "0.05 - 5(6) A"}
CLASSES: dict[str, str] = {
    "B": "Class B (MID), reactive class 2",
    "C": "Class C (MID), reactive class 2",
    "1": "Class 1 (IEC), reactive class 2",
    "5": "Class 0.5 (IEC), reactive class 2",
}
METER_CLASS: dict[str, str] = {"B": "B", "C": "C", "1": "1", "5": "0.5"}
GENERATIONS: dict[str, str] = {"C": "Generation C"}
ENERGY_TYPES: dict[str, tuple[str, ...]] = {
    "1": ("A+",),
    "2": ("A+", "A-"),
    "3": ("A+", "R+"),
    "4": ("A+", "A-", "R+", "R-"),
}
HARDWARE: dict[str, str] = {
    "2": "Supercap and battery",
    "5": "Kamstrup RF, supercap and battery",
}
TARIFFS: dict[str, str] = {"3": "Configurable"}


@dataclass(frozen=True, slots=True)
class Country:
    """X8-X10: the sheet's country, and how the `holidays` library names its public holidays."""

    code: str
    name: str
    holidays: str
    subdiv: str | None = None
    language: str | None = None


# UK is ISO "GB" in `holidays`. The Swiss parts map to a representative canton of that
# language region (Ticino, Zurich, Geneva) and the region's language.
COUNTRIES: dict[str, Country] = {
    "010": Country("DK", "Denmark", "DK"),
    "025": Country("RU", "Russia", "RU"),
    "031": Country("ES", "Spain", "ES"),
    "036": Country("HR", "Croatia", "HR"),
    "040": Country("NO", "Norway", "NO"),
    "045": Country("LV", "Latvia", "LV"),
    "049": Country("LT", "Lithuania", "LT"),
    "050": Country("UK", "Great Britain", "GB"),
    "055": Country("AT", "Austria", "AT"),
    "059": Country("CH (IT)", "Switzerland (Italian part)", "CH", "TI", "it"),
    "061": Country("EE", "Estonia", "EE"),
    "063": Country("CH (DE)", "Switzerland (German part)", "CH", "ZH", "de"),
    "064": Country("PL", "Poland", "PL"),
    "065": Country("CH (FR)", "Switzerland (French part)", "CH", "GE", "fr"),
    "067": Country("IS", "Iceland", "IS"),
    "070": Country("DE", "Germany", "DE"),
    "078": Country("BE", "Belgium", "BE"),
    "080": Country("NL", "The Netherlands", "NL"),
    "084": Country("FI", "Finland", "FI"),
    "090": Country("SE", "Sweden", "SE"),
    "110": Country("SA", "Saudi Arabia", "SA"),
    "120": Country("ZA", "South Africa", "ZA"),
    "151": Country("CL", "Chile", "CL"),
}

# --- configuration 1: A-B-CCC-DD-E --------------------------------------------------------------

DECIMALS: dict[int, int] = {1: 0, 2: 1, 3: 2}
DECIMALS_TEXT: dict[int, str] = {
    1: "7.0 primary energy (0 decimals)",
    2: "7.1 primary energy (1 decimal)",
    3: "7.2 primary energy (2 decimals)",
}
LED: dict[int, str] = {
    1: "LED switched off without consumption",
    2: "LED switched on without consumption",
}


class IoDirection(Enum):
    """Direction of one module I/O line, as the sheet's I/O 1 / I/O 2 columns print it."""

    NONE = "-"
    INPUT = "Input"
    OUTPUT = "Output"


@dataclass(frozen=True, slots=True)
class Module:
    """CCC: a plug-in module and its I/O lines; None where the sheet says "see module data sheet"."""

    name: str
    io1: IoDirection | None
    io2: IoDirection | None


_IN, _OUT, _NO = IoDirection.INPUT, IoDirection.OUTPUT, IoDirection.NONE

MODULES: dict[int, Module] = {
    0: Module("No module", _NO, _NO),
    1: Module("S0-supply module", _NO, _OUT),
    8: Module("Tariff control, 4 tariff, 230V input", _IN, _IN),
    18: Module("Tariff control, 4 tariff, 230V input, current loop", _IN, _IN),
    40: Module("IP101i, TCP/IP module", _IN, _NO),
    53: Module("GSM8i ; GSM8i/RF ; GSM8i/2x5A load control", None, None),
    55: Module("Pulse input and load control module", _IN, _OUT),
    58: Module("Load control module, 5A", _IN, _OUT),
    64: Module("Wireless M-Bus module", _IN, _NO),
    68: Module("M-Bus module, 8 pins with secondary addressing", _IN, _IN),
    69: Module("Load control module, 2 x 5A", _OUT, _OUT),
    71: Module("MUC module", None, None),
    72: Module("RS-485 module, multidrop", _IN, _OUT),
    75: Module("Data/pulse module, dual pulse, 9600", None, None),
}


class IoFunction(Enum):
    """What one module I/O line does under a DD input/output configuration."""

    NONE = "none"
    TARIFF_4 = "4-tariff in"
    TARIFF_4_INV = "4-tariff in, inverted"
    TARIFF_2 = "2-tariff in"
    TARIFF_2_INV = "2-tariff in, inverted"
    PULSE_IN = "pulse in"
    PULSE_IN_INV = "pulse in, inverted"
    ALARM_IN = "alarm in"
    ALARM_IN_INV = "alarm in, inverted"
    LOAD_CONTROL_IN = "load control in"
    A_PLUS_OUT = "A+ pulse out"
    A_MINUS_OUT = "A- pulse out"
    R_PLUS_OUT = "R+ pulse out"
    DEBITING_STOP_OUT = "debiting stop out"
    LOAD_CONTROL_STATUS_OUT = "load control status out"
    LOAD_TARIFF_SYNC_OUT = "load tariff sync out"
    LOAD_TARIFF_SYNC_INV_OUT = "load tariff sync out, inverted"
    TARIFF_SYNC_LOAD_CONTROL_OUT = "4-tariff sync load control out"
    TARIFF_SYNC_LOAD_CONTROL_INV_OUT = "4-tariff sync load control out, inverted"
    LOAD_CONTROL_1_OUT = "load control 1 out"
    LOAD_CONTROL_2_OUT = "load control 2 out"
    LOAD_CONTROL_OUT = "load control out"
    TOGGLE_LOAD_CONTROL_OUT = "toggle load control 1 & 2 out"

    @property
    def direction(self) -> IoDirection:
        """Whether the line is an input or an output for this function."""
        if self is IoFunction.NONE:
            return IoDirection.NONE
        return IoDirection.OUTPUT if self.name.endswith("_OUT") else IoDirection.INPUT

    @property
    def inverted(self) -> bool:
        """True for the sheet's "inverted" variants (active low)."""
        return "_INV" in self.name


@dataclass(frozen=True, slots=True)
class IoConfig:
    """DD: a named input/output configuration, one function per I/O line."""

    name: str
    io1: IoFunction
    io2: IoFunction


_F = IoFunction
IO_CONFIGS: dict[int, IoConfig] = {
    0: IoConfig("No function", _F.NONE, _F.NONE),
    1: IoConfig("4-tariff", _F.TARIFF_4, _F.TARIFF_4),
    2: IoConfig("4-tariff inverted", _F.TARIFF_4_INV, _F.TARIFF_4_INV),
    3: IoConfig("Pulse in / alarm in", _F.PULSE_IN, _F.ALARM_IN),
    4: IoConfig("Pulse in / inverted alarm in", _F.PULSE_IN, _F.ALARM_IN_INV),
    5: IoConfig("Pulse in / A+ out", _F.PULSE_IN, _F.A_PLUS_OUT),
    6: IoConfig("R+ out / A+ out", _F.R_PLUS_OUT, _F.A_PLUS_OUT),
    7: IoConfig("2-tariff / alarm in", _F.TARIFF_2, _F.ALARM_IN),
    8: IoConfig("2-tariff inverted / alarm in", _F.TARIFF_2_INV, _F.ALARM_IN),
    9: IoConfig("2-tariff / alarm in inverted", _F.TARIFF_2, _F.ALARM_IN_INV),
    10: IoConfig("2-tariff inverted / alarm in inverted", _F.TARIFF_2_INV, _F.ALARM_IN_INV),
    11: IoConfig("2-tariff / A+ out", _F.TARIFF_2, _F.A_PLUS_OUT),
    12: IoConfig("2-tariff inverted / A+ out", _F.TARIFF_2_INV, _F.A_PLUS_OUT),
    13: IoConfig("Pulse in / 2-tariff", _F.PULSE_IN, _F.TARIFF_2),
    14: IoConfig("Pulse in / 2-tariff inverted", _F.PULSE_IN, _F.TARIFF_2_INV),
    15: IoConfig("Debiting stop / -", _F.DEBITING_STOP_OUT, _F.NONE),
    16: IoConfig("A- out / A+ out", _F.A_MINUS_OUT, _F.A_PLUS_OUT),
    17: IoConfig(
        "Load control / Load control status", _F.LOAD_CONTROL_IN, _F.LOAD_CONTROL_STATUS_OUT
    ),
    18: IoConfig("Pulse in / Load tariff sync", _F.PULSE_IN, _F.LOAD_TARIFF_SYNC_OUT),
    19: IoConfig("Pulse in inverted / Load tariff sync", _F.PULSE_IN_INV, _F.LOAD_TARIFF_SYNC_OUT),
    20: IoConfig("Pulse in / Load tariff sync inverted", _F.PULSE_IN, _F.LOAD_TARIFF_SYNC_INV_OUT),
    21: IoConfig(
        "Pulse in inverted / Load tariff sync inverted",
        _F.PULSE_IN_INV,
        _F.LOAD_TARIFF_SYNC_INV_OUT,
    ),
    22: IoConfig(
        "4-tariff sync load control",
        _F.TARIFF_SYNC_LOAD_CONTROL_OUT,
        _F.TARIFF_SYNC_LOAD_CONTROL_OUT,
    ),
    23: IoConfig(
        "4-tariff sync load control inverted",
        _F.TARIFF_SYNC_LOAD_CONTROL_INV_OUT,
        _F.TARIFF_SYNC_LOAD_CONTROL_INV_OUT,
    ),
    26: IoConfig("Load control 1 / Load control 2", _F.LOAD_CONTROL_1_OUT, _F.LOAD_CONTROL_2_OUT),
    27: IoConfig("Pulse in / Load control", _F.PULSE_IN, _F.LOAD_CONTROL_OUT),
    28: IoConfig("Pulse in / Toggle Load control 1 & 2", _F.PULSE_IN, _F.TOGGLE_LOAD_CONTROL_OUT),
}

# The sheet does not print codes for E; ours number its four rows in order.
INTEGRATION_MINUTES: dict[int, int] = {1: 5, 2: 15, 3: 30, 4: 60}

# --- configuration 2: FFF-GG-HH-I ---------------------------------------------------------------

TARGET_DAYS: dict[int, str] = {0: "Externally controlled"} | {
    day: f"Day {day} of the month" for day in range(1, 29)
}
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def _debiting_intervals() -> dict[int, tuple[int, int] | None]:
    """HH rows in the sheet's order: none, monthly, then every 2/3/6/12 months by first month."""
    rows: list[tuple[int, int] | None] = [None, (1, 1)]
    for interval, firsts in ((2, 2), (3, 3), (6, 6), (12, 12)):
        rows += [(interval, first) for first in range(1, firsts + 1)]
    return dict(enumerate(rows))


DEBITING_INTERVALS: dict[int, tuple[int, int] | None] = _debiting_intervals()
_INTERVAL_NAMES = {1: "Monthly", 2: "Every second month", 3: "Every third month"}
_INTERVAL_NAMES |= {6: "Half-yearly", 12: "Yearly"}


def _debiting_text(months: tuple[int, int] | None) -> str:
    """The sheet's wording of one HH row."""
    if months is None:
        return "None (externally controlled)"
    interval, first = months
    if interval == 1:
        return "Monthly"
    return f"{_INTERVAL_NAMES[interval]}, {_MONTHS[first - 1]}"


DEBITING_TEXT: dict[int, str] = {code: _debiting_text(m) for code, m in DEBITING_INTERVALS.items()}


@dataclass(frozen=True, slots=True)
class PulseAlarm:
    """I: pulse output length and whether the alarm input is used."""

    pulse_ms: int
    alarm: bool


PULSE_ALARM: dict[int, PulseAlarm] = {
    1: PulseAlarm(30, False),
    2: PulseAlarm(30, True),
    3: PulseAlarm(80, False),
    4: PulseAlarm(80, True),
}
PULSE_ALARM_TEXT: dict[int, str] = {
    code: f"{p.pulse_ms} msec pulse output length, {'alarm' if p.alarm else 'no alarm'}"
    for code, p in PULSE_ALARM.items()
}

# --- configuration 3: JJ-K-LL-M-NN-000-PPP-QQ ---------------------------------------------------

NOT_AVAILABLE: dict[int, str] = {0: "None (not available)"}
GMT_OFFSET_HOURS: dict[int, int] = {code: code if code <= 12 else code - 24 for code in range(24)}
_GMT_PLACES = {0: " (London)", 1: " (DK, DE, FR, ES, NO, SE)", 2: " (FI)"}
GMT_TEXT: dict[int, str] = {
    code: f"GMT{hours:+d}{_GMT_PLACES.get(code, '')}" for code, hours in GMT_OFFSET_HOURS.items()
}
PULSE_OUTPUT: dict[int, str] = {0: "Pulses for secondary energy", 1: "Pulses for primary energy"}
PULSE_INPUT_UNITS: dict[int, str] = {0: "", 1: "kWh", 2: "m3", 3: "L"}
PULSE_INPUT_TEXT: dict[int, str] = {0: "None", 1: "kWh", 2: "m\u00b3", 3: "L"}
DST_RULES: dict[int, str] = {0: "none", 1: "eu"}
DST_TEXT: dict[int, str] = {0: "None", 1: "EU summer/normal time"}
LOAD_PROFILE: dict[int, str] = {1: "Primary energy", 2: "Secondary energy"}

# --- configuration 5: RRR-SSS-T-U ---------------------------------------------------------------

RF_CODES: dict[int, str] = {
    0: "None",
    318: "CH 318 RF",
    319: "EU 319 RF",
    327: "SE 327 RF",
    328: "SE 328 RF",
    339: "NO 339 RF",
    348: "DK 348 RF",
    349: "DK 349 RF",
    359: "FI 359 RF",
    369: "PL 369 RF",
}
# SSS is the primary current divided by 5 A: 001 = 5/5 A ... 600 = 3000/5 A.
_CT_CODES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 40, 60, 80, 100, 200, 300, 400, 500, 600)
CT_PRIMARY: dict[int, int] = {code: code * 5 for code in _CT_CODES}
CT_SECONDARY = 5
CT_TEXT: dict[int, str] = {code: f"{amps}A / 5A" for code, amps in CT_PRIMARY.items()}
CT_LOCK: dict[int, str] = {1: "Configurable", 2: "Locked"}
LOGGER2: dict[int, str] = {1: "daily", 2: "weekly", 3: "monthly"}
LOGGER2_TEXT: dict[int, str] = {1: "Daily values", 2: "Weekly values", 3: "Monthly values"}
