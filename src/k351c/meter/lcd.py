"""The LCD model: what each segment field of the 351C display shows, as a pure function of the meter.

Fields (data sheet "Display"): 9-digit value field, unit field, 7-digit OBIS identification field
(C.D.E), quadrant indicator, text field, error symbol, tariff indication, supply voltage indicator
and current direction per phase, and the meter constant LED. ``lcd_state(meter)`` never changes
the meter; the web page and the terminal view draw the LcdState it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from k351c.meter.display import Display
from k351c.meter.function import MeterFunction
from k351c.meter.metrology import VOLTAGE_PRESENT_FRACTION, no_load_threshold
from k351c.meter.objects import ValueDef
from k351c.meter.tamper import Tamper
from k351c.meter.tariffs import Tariffs
from k351c.obis import Obis
from k351c.units import Unit, unit_name

F = TypeVar("F", bound=MeterFunction)

if TYPE_CHECKING:
    from k351c.meter.core import Meter

VALUE_DIGITS = 9
ID_DIGITS = 7
ENERGY_INTEGER_DIGITS = 7
"""Configuration 1 A: primary energy is shown as 7.0, 7.1 or 7.2: 7 integer digits, then it rolls over."""
I_MAX = 6.0
"""Maximum current of X2 = 5: 0.05 - 5(6) A, secondary; more is flagged on the display."""
LED_CONSTANT = 10000  # imp/kWh, the active LED
# Bits of the error register that light the error symbol (docs/loggers.md), with what they mean.
ERROR_CAUSES = {0x0001: "critical error", 0x0100: "cover open", 0x0400: "magnetic influence"}
KILO_UNITS = {
    Unit.WATT_HOUR: "kWh",
    Unit.VAR_HOUR: "kvarh",
    Unit.VOLT_AMPERE_HOUR: "kVAh",
    Unit.WATT: "kW",
    Unit.VAR: "kvar",
    Unit.VOLT_AMPERE: "kVA",
}
ENERGY_C = {1: "A+", 2: "A-", 3: "R+", 4: "R-", 9: "S+", 10: "S-"}
POWER_C = {
    1: "P+",
    2: "P-",
    3: "Q+",
    4: "Q-",
    9: "S+",
    10: "S-",
    11: "I",
    12: "U",
    13: "PF",
    14: "f",
}
TEXT_OF = {
    (0, 1, 0): "RESETS",
    (0, 4, 2): "CT",
    (96, 1, 0): "SERIAL",
    (96, 1, 1): "TYPE",
    (96, 14, 0): "TARIFF",
    (96, 8, 0): "HOURS",
    (97, 97, 0): "ERROR",
    (97, 98, 0): "ALARM",
}


@dataclass(frozen=True, slots=True)
class LcdState:
    """Everything the display shows at one instant; each text is what its segments spell."""

    value: str
    unit: str
    obis: str
    text: str
    quadrants: tuple[int, ...]
    error: bool
    error_causes: tuple[str, ...]
    tariffs: tuple[int, ...]
    phases: tuple[bool, bool, bool]
    directions: tuple[str, str, str]
    led_on: bool
    led_hz: float
    pulses: int
    mode: str
    position: int = 0
    length: int = 0
    reading: str = ""
    test: bool = False
    overcurrent: tuple[int, ...] = ()

    @classmethod
    def all_segments(cls, pulses: int = 0) -> LcdState:
        """The display test: every segment lit."""
        return cls(
            value="8" * VALUE_DIGITS,
            unit="kvarh",
            obis="8.8.8" + "8" * (ID_DIGITS - 3),
            text="88888888",
            quadrants=(1, 2, 3, 4),
            error=True,
            error_causes=(),
            tariffs=(1, 2, 3, 4),
            phases=(True, True, True),
            directions=("±", "±", "±"),
            led_on=True,
            led_hz=0.0,
            pulses=pulses,
            mode="test",
            test=True,
            overcurrent=(1, 2, 3),
        )


def lcd_state(meter: Meter) -> LcdState:
    """The LCD of ``meter`` at its current time (pure: reads, never changes)."""
    display = _function(meter, Display)
    pulses = display.pulses if display is not None else 0
    if display is not None and display.mode() == "test":
        return LcdState.all_segments(pulses)
    code = display.current() if display is not None else _first(meter)
    mode, position, length = display.position() if display is not None else ("auto", 0, 1)
    value, unit, ident, text = ("", "", "", "") if code is None else show_reading(meter, code)
    error_bits = _error_bits(meter)
    hz = led_frequency(meter)
    steady = hz == 0.0 and meter.config.led_on_without_consumption
    return LcdState(
        value=value,
        unit=unit,
        obis=ident,
        text=text,
        quadrants=_quadrants(meter),
        error=bool(error_bits),
        error_causes=tuple(name for bit, name in ERROR_CAUSES.items() if error_bits & bit),
        tariffs=(meter.tariff,) if _has_tariffs(meter) else (),
        phases=_phases(meter),
        directions=_directions(meter),
        led_on=steady or (hz > 0.0 and pulses % 2 == 1),
        led_hz=hz,
        pulses=pulses,
        mode=mode,
        position=position,
        length=length,
        reading=code or "",
        overcurrent=overcurrent(meter),
    )


def _has_tariffs(meter: Meter) -> bool:
    """Tariffs are selected: a tariff control table, or tariff inputs of the fitted module."""
    tariffs = _function(meter, Tariffs)
    return meter.config.tariff_table is not None or (tariffs is not None and tariffs.external)


def overcurrent(meter: Meter) -> tuple[int, ...]:
    """The phases (1..3) whose secondary current is above Imax (6 A): flagged on the display."""
    currents = meter.instant.last()["current"]
    return tuple(i + 1 for i, amps in enumerate(currents) if amps > I_MAX)


def show_reading(meter: Meter, code: str) -> tuple[str, str, str, str]:
    """(value field, unit field, identification field, text field) of one reading."""
    definition = meter.objects.lookup(code)
    obis = definition.obis
    raw = definition.get()
    text = label(obis)
    ident = obis.short if obis.f == 255 else f"{obis.short}*{_period(meter, obis):02d}"
    if isinstance(raw, datetime):
        return raw.strftime("%H:%M:%S"), "", ident, raw.strftime("%Y-%m-%d")
    value, unit = format_value(meter, definition, raw)
    return value, unit, ident, text


def _period(meter: Meter, obis: Obis) -> int:
    """VZ of a historical value: the debiting stop counter (mod 100) for the last period (F = 101)."""
    if obis.f <= 99:
        return obis.f
    counter = meter.objects.get("0-0:0.1.0.255")
    return int(counter.get()) % 100 if counter is not None else 0


def format_value(meter: Meter, definition: ValueDef, raw: Any) -> tuple[str, str]:
    """The value field text (truncated to its decimals, last 9 digits) and the unit field text."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return _fit(str(raw)), unit_name(definition.unit) if definition.unit else ""
    number = Decimal(raw) if isinstance(raw, int) else Decimal(repr(float(raw)))
    number = number.scaleb(definition.scaler)
    unit = definition.unit
    decimals = max(0, -definition.scaler)
    rolls = False
    if unit in KILO_UNITS:
        number = number.scaleb(-3)
        rolls = definition.obis.d == 8 and definition.obis.b == 0
        decimals = meter.config.decimals if rolls else 3
    shown = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)
    if rolls:
        shown = shown % (10**ENERGY_INTEGER_DIGITS)
    unit_text = "" if unit is None else KILO_UNITS.get(unit, unit_name(unit))
    return _fit(f"{shown:f}"), unit_text


def _fit(text: str) -> str:
    """Keep the last 9 digits (a register rolls over on the display, as on the real LCD)."""
    digits = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i].isalnum():
            digits += 1
            if digits > VALUE_DIGITS:
                return text[i + 1 :].lstrip(".")
    return text


def label(obis: Obis) -> str:
    """The text field of a reading: quantity, phase, tariff; "SEC" for secondary values."""
    c, d, e = obis.c, obis.d, obis.e
    prefix = "SEC " if obis.b == 1 else ""
    if (c, d, e) in TEXT_OF:
        return TEXT_OF[(c, d, e)]
    phase = ""
    if 21 <= c <= 80:
        phase, c = f" L{(c - 1) // 20}", (c - 1) % 20 + 1
    if d == 8:
        name = ENERGY_C.get(c, "")
        tariff = f" T{e}" if e else ""
        return f"{prefix}{name}{phase}{tariff}".strip()
    if d == 7:
        return f"{prefix}{POWER_C.get(c, '')}{phase}".strip()
    if d in (6, 2):
        kind = "MAX" if d == 6 else "ACC"
        return f"{prefix}{POWER_C.get(c, '')}{phase} {kind}{f' T{e}' if e else ''}".strip()
    if d in (3, 32, 36):
        return {3: "MIN", 32: "UNDER", 36: "OVER"}[d] + f" {POWER_C.get(c, '')}{phase}"
    return prefix.strip()


def led_frequency(meter: Meter) -> float:
    """Flashes per second of the active LED: |P| (secondary) x 10000 imp/kWh."""
    p = abs(float(meter.instant.p_total[-1]))
    return p * LED_CONSTANT / 3.6e6


def _quadrants(meter: Meter) -> tuple[int, ...]:
    p, q = float(meter.instant.p_total[-1]), float(meter.instant.q_total[-1])
    if not _any_current(meter) or (p == 0.0 and q == 0.0):
        return ()
    if p >= 0:
        return (1,) if q >= 0 else (4,)
    return (2,) if q >= 0 else (3,)


def _any_current(meter: Meter) -> bool:
    return bool((meter.instant.current[-1] > no_load_threshold(meter.config.meter_class)).any())


def _phases(meter: Meter) -> tuple[bool, bool, bool]:
    volts = [float(v) for v in meter.instant.voltage[-1]]
    limit = VOLTAGE_PRESENT_FRACTION * meter.config.nominal_voltage
    lit = [v >= limit for v in volts] + [False] * 3
    return lit[0], lit[1], lit[2]


def _directions(meter: Meter) -> tuple[str, str, str]:
    threshold = no_load_threshold(meter.config.meter_class)
    out = []
    for current, power in zip(meter.instant.current[-1], meter.instant.p[-1], strict=False):
        out.append("" if float(current) <= threshold else ("+" if float(power) >= 0 else "-"))
    out += [""] * 3
    return out[0], out[1], out[2]


def _error_bits(meter: Meter) -> int:
    tamper = _function(meter, Tamper)
    if tamper is None or not tamper.error_symbol:
        return 0
    return tamper.error_register & sum(ERROR_CAUSES) or 1


def _function(meter: Meter, kind: type[F]) -> F | None:
    try:
        return meter.function(kind)
    except KeyError:
        return None


def _first(meter: Meter) -> str | None:
    auto = meter.config.display_table.auto
    return auto[0] if auto and auto[0] in meter.objects else None
