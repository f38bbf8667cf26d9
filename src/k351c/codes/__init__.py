"""Type number and configuration codes of the data sheet, and MeterConfig (the bottom layer)."""

from k351c.codes.config import (
    CODE_FIELDS,
    CODE_KINDS,
    DEFAULT_CODES,
    MeterConfig,
    detect_kind,
    parse_code,
)
from k351c.codes.configcodes import Config1, Config2, Config3, Config5, FixedCode
from k351c.codes.server import ServerSettings
from k351c.codes.settings import (
    DayProfile,
    DisplayTable,
    RtcSettings,
    Season,
    Settings,
    TariffTable,
    Thresholds,
    WeekProfile,
)
from k351c.codes.tables import Country, IoConfig, IoDirection, IoFunction, Module
from k351c.codes.typenumber import TypeNumber

__all__ = [
    "CODE_FIELDS",
    "CODE_KINDS",
    "DEFAULT_CODES",
    "Config1",
    "Config2",
    "Config3",
    "Config5",
    "Country",
    "DayProfile",
    "DisplayTable",
    "FixedCode",
    "IoConfig",
    "IoDirection",
    "IoFunction",
    "MeterConfig",
    "Module",
    "Season",
    "ServerSettings",
    "Settings",
    "TariffTable",
    "RtcSettings",
    "Thresholds",
    "TypeNumber",
    "WeekProfile",
    "detect_kind",
    "parse_code",
]
