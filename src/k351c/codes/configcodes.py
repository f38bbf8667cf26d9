"""Configuration codes 1, 2, 3 and 5 of the data sheet: parse, format, describe, validate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Self

from k351c.codes import tables as tb
from k351c.codes.tables import CodeField
from k351c.errors import ConfigError

_SEPARATORS = re.compile(r"[\s\-]+")

Row = tuple[str, str, str]


def compact(text: str) -> str:
    """The code without dashes and spaces, upper-cased: any grouping parses the same."""
    return _SEPARATORS.sub("", str(text)).upper()


def field_name(prefix: str, spec: CodeField) -> str:
    """The name ConfigError gives a position, e.g. "config2 HH debiting logging interval"."""
    return f"{prefix}{spec.position} {spec.label}"


def check_field(prefix: str, spec: CodeField, value: object) -> None:
    """Raise ConfigError unless value is one of the position's allowed codes."""
    wrong_type = spec.numeric and (not isinstance(value, int) or isinstance(value, bool))
    if wrong_type or value not in spec.meanings:
        raise ConfigError(field_name(prefix, spec), spec.code_text(value), spec.allowed())


def split_fields(code_cls: type[FixedCode], raw: str, original: str) -> dict:
    """Cut a compact code into its positions; report the first position that is wrong."""
    prefix, kind, layout = code_cls.prefix(), code_cls.KIND, code_cls.LAYOUT
    offset = 0
    values: dict[str, object] = {}
    for spec in layout:
        piece = raw[offset : offset + spec.width]
        if len(piece) < spec.width:
            raise ConfigError(kind, original, code_cls.shape(), f"ends before {spec.position}")
        if spec.numeric:
            if not piece.isdigit():
                raise ConfigError(field_name(prefix, spec), piece, spec.allowed())
            values[spec.attr] = int(piece)
        else:
            values[spec.attr] = piece
        check_field(prefix, spec, values[spec.attr])
        offset += spec.width
    if offset != len(raw):
        detail = f"extra characters {raw[offset:]!r} after {layout[-1].position}"
        raise ConfigError(kind, original, code_cls.shape(), detail)
    return values


def _format_of(layout: tuple[CodeField, ...]) -> str:
    """The printed shape of a code, e.g. "A-B-CCC-DD-E"."""
    return "-".join(spec.position for spec in layout)


class FixedCode:
    """Shared behaviour of the fixed-width codes; subclasses are frozen dataclasses with LAYOUT."""

    __slots__ = ()
    KIND: ClassVar[str]
    LAYOUT: ClassVar[tuple[CodeField, ...]]

    @classmethod
    def prefix(cls) -> str:
        """What error field names start with."""
        return f"{cls.KIND} "

    def __post_init__(self) -> None:
        for spec in self.LAYOUT:
            check_field(self.prefix(), spec, getattr(self, spec.attr))

    @classmethod
    def parse(cls, text: str | Self) -> Self:
        """Parse the code with any grouping of dashes and spaces."""
        if not isinstance(text, str):
            return text
        return cls(**split_fields(cls, compact(text), text))

    @classmethod
    def shape(cls) -> str:
        """The printed shape, e.g. "A-B-CCC-DD-E"."""
        return _format_of(cls.LAYOUT)

    def codes(self) -> list[str]:
        """Each position's code as printed."""
        return [spec.code_text(getattr(self, spec.attr)) for spec in self.LAYOUT]

    def __str__(self) -> str:
        return "-".join(self.codes())

    def describe(self) -> list[Row]:
        """One (field, code, meaning) row per position."""
        rows = []
        for spec in self.LAYOUT:
            value = getattr(self, spec.attr)
            rows.append(
                (f"{spec.position} {spec.label}", spec.code_text(value), spec.meanings[value])
            )
        return rows


def _ids(what: str) -> dict[int, str]:
    """Meanings of a 3-digit table id that the configuration file resolves."""
    return {code: f"{what} {code:03d}" for code in range(1000)}


_MODULE_TEXT = {code: m.name for code, m in tb.MODULES.items()}
_IO_TEXT = {code: io.name for code, io in tb.IO_CONFIGS.items()}
_E_TEXT = {code: f"{minutes} min." for code, minutes in tb.INTEGRATION_MINUTES.items()}


@dataclass(frozen=True, slots=True)
class Config1(FixedCode):
    """Configuration 1, A-B-CCC-DD-E: decimals, LED, module, I/O configuration, integration.

    E has no printed codes on the sheet; ours number its rows 1/2/3/4 = 5/15/30/60 min.
    A DD that does not fit the module's I/O lines is allowed (modules are retrofitted
    later); io_conflicts() lists the mismatches.
    """

    a: int
    b: int
    ccc: int
    dd: int
    e: int

    KIND: ClassVar[str] = "config1"
    LAYOUT: ClassVar[tuple[CodeField, ...]] = (
        CodeField("a", "A", "decimals in display", 1, tb.DECIMALS_TEXT),
        CodeField("b", "B", "LED configuration", 1, tb.LED),
        CodeField("ccc", "CCC", "module", 3, _MODULE_TEXT),
        CodeField("dd", "DD", "input/output configuration", 2, _IO_TEXT),
        CodeField("e", "E", "integration period", 1, _E_TEXT),
    )

    @property
    def decimals(self) -> int:
        """Decimals of primary energy on the display (0, 1 or 2)."""
        return tb.DECIMALS[self.a]

    @property
    def module(self) -> tb.Module:
        """The module row of CCC."""
        return tb.MODULES[self.ccc]

    @property
    def io(self) -> tb.IoConfig:
        """The input/output configuration row of DD."""
        return tb.IO_CONFIGS[self.dd]

    @property
    def integration_minutes(self) -> int:
        """Integration period of demand and load profile (5, 15, 30 or 60)."""
        return tb.INTEGRATION_MINUTES[self.e]

    def io_conflicts(self) -> tuple[str, ...]:
        """Lines where DD needs a direction the module's line does not have (advisory only)."""
        conflicts = []
        lines = ((1, self.module.io1, self.io.io1), (2, self.module.io2, self.io.io2))
        for line, direction, function in lines:
            if direction is None or function.direction is direction:
                continue
            if function is tb.IoFunction.NONE:
                continue
            conflicts.append(
                f"I/O {line}: DD {self.dd:02d} wants {function.direction.value.lower()}"
                f" ({function.value}), module {self.ccc:03d} has {direction.value}"
            )
        return tuple(conflicts)


_I_TEXT = tb.PULSE_ALARM_TEXT


@dataclass(frozen=True, slots=True)
class Config2(FixedCode):
    """Configuration 2, FFF-GG-HH-I: display table, target date, debiting interval, pulse/alarm."""

    fff: int
    gg: int
    hh: int
    i: int

    KIND: ClassVar[str] = "config2"
    LAYOUT: ClassVar[tuple[CodeField, ...]] = (
        CodeField(
            "fff", "FFF", "display configuration", 3, _ids("Display table"), allowed_text="000..999"
        ),
        CodeField("gg", "GG", "target date", 2, tb.TARGET_DAYS),
        CodeField("hh", "HH", "debiting logging interval", 2, tb.DEBITING_TEXT),
        CodeField("i", "I", "pulse output length/alarm input", 1, _I_TEXT),
    )

    @property
    def debiting_months(self) -> tuple[int, int] | None:
        """(interval in months, first month 1..12), or None when externally controlled."""
        return tb.DEBITING_INTERVALS[self.hh]

    @property
    def pulse_length_ms(self) -> int:
        """Pulse output length in milliseconds (30 or 80)."""
        return tb.PULSE_ALARM[self.i].pulse_ms

    @property
    def alarm_input(self) -> bool:
        """Whether the alarm input is enabled."""
        return tb.PULSE_ALARM[self.i].alarm


@dataclass(frozen=True, slots=True)
class Config3(FixedCode):
    """Configuration 3, JJ-K-LL-M-NN-000-PPP-QQ: time zone, pulses, tariff table, DST, profile."""

    jj: int
    k: int
    ll: int
    m: int
    nn: int
    xxx: int
    ppp: int
    qq: int

    KIND: ClassVar[str] = "config3"
    LAYOUT: ClassVar[tuple[CodeField, ...]] = (
        CodeField("jj", "JJ", "not available", 2, tb.NOT_AVAILABLE),
        CodeField("k", "K", "not available", 1, tb.NOT_AVAILABLE),
        CodeField("ll", "LL", "GMT offset", 2, tb.GMT_TEXT),
        CodeField("m", "M", "pulse output (module port)", 1, tb.PULSE_OUTPUT),
        CodeField("nn", "NN", "unit pulse input", 2, tb.PULSE_INPUT_TEXT),
        CodeField(
            "xxx",
            "000",
            "tariff control table",
            3,
            _ids("Tariff table") | {0: "None (tariff 1 only)"},
            allowed_text="000..999",
        ),
        CodeField("ppp", "PPP", "summer/normal time table", 3, tb.DST_TEXT),
        CodeField("qq", "QQ", "load profile based on", 2, tb.LOAD_PROFILE),
    )

    @property
    def utc_offset_minutes(self) -> int:
        """Standard-time offset from UTC in minutes."""
        return tb.GMT_OFFSET_HOURS[self.ll] * 60

    @property
    def dst_rule(self) -> str:
        """ "none" or "eu"."""
        return tb.DST_RULES[self.ppp]

    @property
    def pulse_input_unit(self) -> str:
        """ "", "kWh", "m3" or "L"."""
        return tb.PULSE_INPUT_UNITS[self.nn]


@dataclass(frozen=True, slots=True)
class Config5(FixedCode):
    """Configuration 5, RRR-SSS-T-U: RF code, CT ratio, ratio lock, debiting logger 2."""

    rrr: int
    sss: int
    t: int
    u: int

    KIND: ClassVar[str] = "config5"
    LAYOUT: ClassVar[tuple[CodeField, ...]] = (
        CodeField("rrr", "RRR", "RF code", 3, tb.RF_CODES),
        CodeField("sss", "SSS", "transformer ratio", 3, tb.CT_TEXT),
        CodeField("t", "T", "transformer ratio configurable or locked", 1, tb.CT_LOCK),
        CodeField("u", "U", "debiting logger 2 based on", 1, tb.LOGGER2_TEXT),
    )

    @property
    def ct_primary(self) -> int:
        """CT primary current in A (SSS x 5)."""
        return tb.CT_PRIMARY[self.sss]

    @property
    def ct_locked(self) -> bool:
        """Whether the CT ratio is locked (legal, never writable)."""
        return self.t == 2

    @property
    def logger2(self) -> str:
        """ "daily", "weekly" or "monthly"."""
        return tb.LOGGER2[self.u]


def ct_sss(primary: object) -> int:
    """The SSS code of a CT primary current; ConfigError for a ratio SSS cannot encode."""
    for code, amps in tb.CT_PRIMARY.items():
        if primary == amps and isinstance(primary, int) and not isinstance(primary, bool):
            return code
    raise ConfigError(
        "CT primary current",
        primary,
        f"a ratio configuration 5 SSS encodes, 5..3000 A: {sorted(tb.CT_PRIMARY.values())}",
    )


CONFIG_CODES: dict[str, type[FixedCode]] = {
    "config1": Config1,
    "config2": Config2,
    "config3": Config3,
    "config5": Config5,
}
