"""The ordering (type) number 685-X1X2X3X4X5X6X7-X8X9X10 of the data sheet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from k351c.codes import tables as tb
from k351c.codes.configcodes import FixedCode, compact, split_fields
from k351c.codes.tables import CodeField
from k351c.errors import ConfigError

PREFIX = "685"
SHAPE = "685-X1X2X3X4X5X6X7-X8X9X10"

_COUNTRY_TEXT = {code: f"{c.code} {c.name}" for code, c in tb.COUNTRIES.items()}


@dataclass(frozen=True, slots=True)
class TypeNumber(FixedCode):
    """A K351C type number; each position holds the sheet's code character(s)."""

    phases: str
    current: str
    klass: str
    generation: str
    energy: str
    hardware: str
    tariff: str
    country: str

    KIND: ClassVar[str] = "type number"
    LAYOUT: ClassVar[tuple[CodeField, ...]] = (
        CodeField("phases", "X1", "phases", 1, {k: v.name for k, v in tb.PHASES.items()}, False),
        CodeField("current", "X2", "current", 1, tb.CURRENTS, False),
        CodeField("klass", "X3", "class", 1, tb.CLASSES, False),
        CodeField("generation", "X4", "generation", 1, tb.GENERATIONS, False),
        CodeField(
            "energy",
            "X5",
            "energy type",
            1,
            {k: "/".join(v) for k, v in tb.ENERGY_TYPES.items()},
            False,
        ),
        CodeField("hardware", "X6", "hardware option", 1, tb.HARDWARE, False),
        CodeField("tariff", "X7", "tariff", 1, tb.TARIFFS, False),
        CodeField("country", "X8X9X10", "country code", 3, _COUNTRY_TEXT, False),
    )

    @classmethod
    def prefix(cls) -> str:
        """Type-number positions are named on their own, e.g. "X3 class"."""
        return ""

    @classmethod
    def shape(cls) -> str:
        """The printed shape."""
        return SHAPE

    @classmethod
    def parse(cls, text: str | Self) -> Self:
        """Parse "685-35BC423-070", "685 35BC423 070", "685-3-5B-C4-23-070" and the like."""
        if not isinstance(text, str):
            return text
        raw = compact(text)
        if not raw.startswith(PREFIX):
            raise ConfigError("type number", text, SHAPE, f"must start with {PREFIX}")
        return cls(**split_fields(cls, raw[len(PREFIX) :], str(text)))

    def __str__(self) -> str:
        codes = self.codes()
        return f"{PREFIX}-{''.join(codes[:7])}-{codes[7]}"

    def describe(self) -> list[tuple[str, str, str]]:
        """One (field, code, meaning) row per position, after the fixed 685 product code."""
        return [("685 product", PREFIX, "Kamstrup 351C"), *FixedCode.describe(self)]

    @property
    def phases_info(self) -> tb.Phases:
        """The X1 row."""
        return tb.PHASES[self.phases]

    @property
    def energy_channels(self) -> tuple[str, ...]:
        """Energy types measured, from ("A+", "A-", "R+", "R-")."""
        return tb.ENERGY_TYPES[self.energy]

    @property
    def meter_class(self) -> str:
        """Accuracy class of active energy: "B", "C", "1" or "0.5"."""
        return tb.METER_CLASS[self.klass]

    @property
    def country_info(self) -> tb.Country:
        """The X8-X10 row."""
        return tb.COUNTRIES[self.country]
