"""MeterConfig: the five codes, the serial number and the configuration file's tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

import tomli_w

from k351c.codes import tables as tb
from k351c.codes.configcodes import (
    CONFIG_CODES,
    Config1,
    Config2,
    Config3,
    Config5,
    FixedCode,
    compact,
)
from k351c.codes.metrology import Metrology
from k351c.codes.settings import DisplayTable, Settings, TariffTable
from k351c.codes.typenumber import PREFIX, TypeNumber
from k351c.errors import ConfigError

CODE_KINDS: dict[str, type[FixedCode]] = {"type": TypeNumber, **CONFIG_CODES}
CODE_FIELDS = ("type_number", "config1", "config2", "config3", "config5")
_FIELD_KIND = dict(zip(CODE_FIELDS, CODE_KINDS.values(), strict=True))
DEFAULT_CODES = {
    "type_number": "685-35BC423-070",
    "config1": "3-1-000-00-2",
    "config2": "001-01-01-1",
    "config3": "00-0-01-0-00-001-001-01",
    "config5": "000-001-1-1",
}
DEFAULT_SERIAL = "12345678"
C = TypeVar("C", bound=FixedCode)


def detect_kind(text: str) -> str:
    """Which code text is: "type", "config1", "config2", "config3" or "config5", by its shape."""
    raw = compact(text)
    if raw.startswith(PREFIX) and len(raw) == 13:
        return "type"
    if len(raw) == 16:
        return "config3"
    groups = tuple(len(g) for g in str(text).replace(" ", "-").split("-") if g)
    by_groups = {(1, 1, 3, 2, 1): "config1", (3, 2, 2, 1): "config2", (3, 3, 1, 1): "config5"}
    if groups in by_groups:
        return by_groups[groups]
    if len(raw) == 8:
        fits = [kind for kind in ("config1", "config2", "config5") if _parses(kind, text)]
        if len(fits) == 1:
            return fits[0]
        detail = "ambiguous; give the kind" if fits else "fits no code"
        raise ConfigError("code kind", text, fits or list(CODE_KINDS), detail)
    shapes = [f"{kind}: {cls.shape()}" for kind, cls in CODE_KINDS.items()]
    raise ConfigError("code", text, shapes, "not the shape of any code")


def _parses(kind: str, text: str) -> bool:
    """Whether text is a valid code of this kind."""
    try:
        CODE_KINDS[kind].parse(text)
    except ConfigError:
        return False
    return True


def parse_code(text: str, kind: str | None = None) -> FixedCode:
    """Parse any code; kind ("type", "config1", ...) forces it, else it is told by its shape."""
    kind = kind or detect_kind(text)
    if kind not in CODE_KINDS:
        raise ConfigError("code kind", kind, list(CODE_KINDS))
    return CODE_KINDS[kind].parse(text)


def _check_serial(serial: object) -> str:
    """A serial number: 8..10 decimal digits, as a string."""
    text = str(serial)
    if not (text.isascii() and text.isdigit() and 8 <= len(text) <= 10):
        raise ConfigError("serial", serial, "8..10 decimal digits")
    return text


@dataclass(frozen=True, slots=True)
class MeterConfig:
    """Everything the meter is configured by; str and parsed codes both accepted."""

    type_number: TypeNumber
    config1: Config1
    config2: Config2
    config3: Config3
    config5: Config5
    serial: str = DEFAULT_SERIAL
    settings: Settings = field(default_factory=Settings.default)
    metrology: Metrology = field(default_factory=Metrology)

    def __post_init__(self) -> None:
        for name, kind in _FIELD_KIND.items():
            object.__setattr__(self, name, kind.parse(getattr(self, name)))
        object.__setattr__(self, "serial", _check_serial(self.serial))
        if self.settings is None:
            object.__setattr__(self, "settings", Settings.default())
        self.settings.display(self.config2.fff)
        self.settings.tariff(self.config3.xxx)
        if self.metrology is None:
            object.__setattr__(self, "metrology", Metrology())
        if not isinstance(self.metrology, Metrology):
            raise ConfigError("metrology", self.metrology, "a Metrology")
        self.metrology.check(self.meter_class)

    # --- constructors -----------------------------------------------------------------------

    @classmethod
    def default(cls) -> MeterConfig:
        """The embedded default: 685-35BC423-070, 3-1-000-00-2, 001-01-01-1, ..., serial 12345678."""
        return _default_config() if cls is MeterConfig else cls.from_codes()

    @classmethod
    def from_codes(
        cls,
        type_number: str | TypeNumber | None = None,
        config1: str | Config1 | None = None,
        config2: str | Config2 | None = None,
        config3: str | Config3 | None = None,
        config5: str | Config5 | None = None,
        serial: str | int = DEFAULT_SERIAL,
        settings: Settings | None = None,
        metrology: Metrology | None = None,
    ) -> MeterConfig:
        """Build from the data sheet's codes; an omitted code takes the default's."""
        def code(kind: type[C], value: str | C | None, name: str) -> C:
            return kind.parse(value if value is not None else DEFAULT_CODES[name])

        return cls(
            code(TypeNumber, type_number, "type_number"),
            code(Config1, config1, "config1"),
            code(Config2, config2, "config2"),
            code(Config3, config3, "config3"),
            code(Config5, config5, "config5"),
            serial=str(serial),
            settings=settings or Settings.default(),
            metrology=metrology or Metrology(),
        )

    def to_dict(self) -> dict[str, Any]:
        """The configuration-file form of this configuration."""
        codes = {name: str(getattr(self, name)) for name in CODE_FIELDS}
        data = {"meter": {"serial": self.serial}, "codes": codes, **self.settings.to_dict()}
        if self.metrology.to_dict():
            data["metrology"] = self.metrology.to_dict()
        return data

    def to_toml(self) -> str:
        """The configuration file text; ``configfile.load_text`` of it gives an equal MeterConfig."""
        return tomli_w.dumps(self.to_dict())

    def codes(self) -> dict[str, str]:
        """The canonical codes by name (type_number, config1, config2, config3, config5)."""
        return {name: str(getattr(self, name)) for name in CODE_FIELDS}

    # --- derived properties the meter uses ------------------------------------------------

    @property
    def nominal_voltage(self) -> float:
        """Nominal phase voltage (V)."""
        return 230.0

    @property
    def nominal_frequency(self) -> float:
        """Nominal frequency (50.0 or 60.0 Hz)."""
        return self.type_number.phases_info.frequency

    @property
    def aron(self) -> bool:
        """Whether this is an Aron (3x230 V, two-element) meter."""
        return self.type_number.phases_info.aron

    @property
    def meter_class(self) -> str:
        """Accuracy class: "B", "C", "1" or "0.5"."""
        return self.type_number.meter_class

    @property
    def energy_channels(self) -> tuple[str, ...]:
        """Measured energy types, from ("A+", "A-", "R+", "R-")."""
        return self.type_number.energy_channels

    @property
    def has_export(self) -> bool:
        """Whether A- is measured."""
        return "A-" in self.energy_channels

    @property
    def has_reactive(self) -> bool:
        """Whether reactive energy is measured."""
        return "R+" in self.energy_channels

    @property
    def integration_minutes(self) -> int:
        """Integration period (5, 15, 30, 60 min)."""
        return self.config1.integration_minutes

    @property
    def ct_primary(self) -> int:
        """CT primary current (A)."""
        return self.config5.ct_primary

    @property
    def ct_secondary(self) -> int:
        """CT secondary current (always 5 A)."""
        return tb.CT_SECONDARY

    @property
    def ct_ratio(self) -> float:
        """CT ratio primary/secondary."""
        return self.ct_primary / self.ct_secondary

    @property
    def ct_locked(self) -> bool:
        """Whether the CT ratio is locked (legal data)."""
        return self.config5.ct_locked

    @property
    def utc_offset_minutes(self) -> int:
        """Standard-time offset from UTC (minutes)."""
        return self.config3.utc_offset_minutes

    @property
    def dst_rule(self) -> str:
        """Summer time rule: "none" or "eu"."""
        return self.config3.dst_rule

    @property
    def load_profile_primary(self) -> bool:
        """Whether the load profile logs primary energy."""
        return self.config3.qq == 1

    @property
    def decimals(self) -> int:
        """Decimals of displayed primary energy (0, 1, 2)."""
        return self.config1.decimals

    @property
    def led_on_without_consumption(self) -> bool:
        """Whether the LED stays lit without consumption."""
        return self.config1.b == 2

    @property
    def pulse_output_primary(self) -> bool:
        """Whether module pulse outputs count primary energy."""
        return self.config3.m == 1

    @property
    def pulse_length_ms(self) -> int:
        """Module pulse output length (30 or 80 ms)."""
        return self.config2.pulse_length_ms

    @property
    def alarm_input(self) -> bool:
        """Whether the alarm input is enabled."""
        return self.config2.alarm_input

    @property
    def pulse_input_unit(self) -> str:
        """Pulse input unit: "", "kWh", "m3", "L"."""
        return self.config3.pulse_input_unit

    @property
    def module_code(self) -> int:
        """The module (CCC), e.g. 40 for the IP101i TCP/IP module."""
        return self.config1.ccc

    @property
    def io_functions(self) -> tuple[tb.IoFunction, tb.IoFunction]:
        """The function of I/O 1 and I/O 2 (DD)."""
        return (self.config1.io.io1, self.config1.io.io2)

    @property
    def target_day(self) -> int:
        """Debiting target day of month (1..28), 0 = externally controlled."""
        return self.config2.gg

    @property
    def debiting_months(self) -> tuple[int, int] | None:
        """(interval months, first month), None = externally controlled."""
        return self.config2.debiting_months

    @property
    def debiting_logger2(self) -> str:
        """Debiting logger 2 period: "daily", "weekly", "monthly"."""
        return self.config5.logger2

    @property
    def country(self) -> str:
        """The sheet's country code, e.g. "DE", "UK", "CH (IT)"."""
        return self.type_number.country_info.code

    @property
    def holiday_country(self) -> str:
        """ISO country code for the `holidays` library (UK -> GB, CH (..) -> CH)."""
        return self.type_number.country_info.holidays

    @property
    def holiday_subdiv(self) -> str | None:
        """`holidays` subdivision: the file's [holidays] subdiv, else the country's default."""
        return self.settings.holiday_subdiv or self.type_number.country_info.subdiv

    @property
    def holiday_language(self) -> str | None:
        """`holidays` language for the Swiss regions, else None (the country's default)."""
        return self.type_number.country_info.language

    @property
    def rf_code(self) -> int:
        """Built-in RF code (RRR), 0 = none."""
        return self.config5.rrr

    @property
    def display_table(self) -> DisplayTable:
        """The display table FFF refers to (auto, manual, backup lists)."""
        return self.settings.display(self.config2.fff)

    @property
    def tariff_table(self) -> TariffTable | None:
        """The tariff table config 3 refers to; None for 000 (tariff 1 only)."""
        return self.settings.tariff(self.config3.xxx)

    def describe(self) -> list[tuple[str, str, str, str]]:
        """(code name, field, code, meaning) for every position of the five codes."""
        return [(name, *row) for name in CODE_FIELDS for row in getattr(self, name).describe()]


@cache
def _default_config() -> MeterConfig:
    """Build the default once; it is immutable, so every caller may share it."""
    return MeterConfig.from_codes()
