"""The configuration file's schema: every section and key typed, ranged and documented once.

`ConfigFile` is the whole file (pydantic, unknown sections and keys refused). Each section is one
small class; to add a section, write its class and add one field to `ConfigFile`. The meter's own
types (MeterConfig, Settings, ServerSettings) are built from the validated file, and their checks
run inside the validators here, so a mistake is reported with its place in the file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from k351c.codes.accuracy_limits import TEMPERATURE_RANGE
from k351c.codes.configcodes import Config1, Config2, Config3, Config5
from k351c.codes.metrology import AccuracyKind, Metrology
from k351c.codes.problems import METER_CHECK
from k351c.codes.server import ServerSettings
from k351c.codes.settings import (
    DISPLAY_LIMITS,
    MAX_DRIFT_PPM,
    Debiting,
    PassiveCalendar,
    TariffTable,
    parse_activation,
    parse_hhmm,
)
from k351c.codes.typenumber import TypeNumber
from k351c.errors import ConfigError
from k351c.obis import Obis


def _checked(check: Any) -> Any:
    """A validator running one of the meter's own checks; its ConfigError becomes a field error."""

    def run(value: Any) -> Any:
        _run(check, value)
        return value

    return AfterValidator(run)


def _run(check: Any, value: Any) -> None:
    """Run one of the meter's checks inside a validator; its ConfigError becomes a located error."""
    try:
        check(value)
    except ConfigError as exc:
        context = {"allowed": str(exc.allowed), "part": exc.field, "value": exc.value}
        raise PydanticCustomError(METER_CHECK, "{allowed}", context) from None




def _serial_text(value: Any) -> Any:
    """Serial numbers may be written as a TOML integer."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


ObisText = Annotated[str, _checked(Obis.parse)]
# code fields: a string the code's own parser accepts, kept as written
TypeNumberText = Annotated[str, _checked(TypeNumber.parse)]
Config1Text = Annotated[str, _checked(Config1.parse)]
Config2Text = Annotated[str, _checked(Config2.parse)]
Config3Text = Annotated[str, _checked(Config3.parse)]
Config5Text = Annotated[str, _checked(Config5.parse)]
Hhmm = Annotated[str, _checked(lambda t: parse_hhmm("time", t))]


class Section(BaseModel):
    """A table of the file: unknown keys are mistakes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MeterSection(Section):
    """[meter]: the meter's identity."""

    serial: Annotated[str, BeforeValidator(_serial_text)] = Field(
        "12345678",
        pattern=r"^[0-9]{8,10}$",
        description="Serial number (0-0:96.1.0.255): 8..10 decimal digits.",
    )


class CodesSection(Section):
    """[codes]: the type number and configuration codes of the data sheet."""

    type_number: TypeNumberText = Field(
        "685-35BC423-070", description="Type number 685-X1X2X3X4X5X6X7-X8X9X10 (docs/codes.md)."
    )
    config1: Config1Text = Field(
        "3-1-000-00-2",
        description="Configuration 1: decimals, LED, module, I/O, integration period.",
    )
    config2: Config2Text = Field(
        "001-01-01-1",
        description="Configuration 2: display table, target day, debiting interval, "
        "pulse length and alarm input.",
    )
    config3: Config3Text = Field(
        "00-0-01-0-00-001-001-01",
        description="Configuration 3: time zone, pulse energy, pulse "
        "input unit, tariff table, summer time rule, load profile energy.",
    )
    config5: Config5Text = Field(
        "000-001-1-1",
        description="Configuration 5: RF module, CT primary current, CT ratio "
        "lock, debiting logger 2 period.",
    )


class ThresholdsSection(Section):
    """[thresholds]: voltage-quality and power thresholds."""

    undervoltage_percent: float = Field(
        -10.0, gt=-100.0, lt=0.0, description="Undervoltage limit, percent of nominal voltage."
    )
    overvoltage_percent: float = Field(
        10.0, gt=0.0, description="Overvoltage limit, percent of nominal voltage."
    )
    min_duration_s: int = Field(
        60, ge=0, description="Seconds an under/overvoltage must last to be counted."
    )
    power_threshold_w: float = Field(
        2000.0, ge=0.0, description="Primary P+ (W) above which the power threshold counter counts."
    )


class RtcSection(Section):
    """[rtc]: the real-time clock."""

    drift_ppm: float = Field(
        0.0,
        ge=-MAX_DRIFT_PPM,
        le=MAX_DRIFT_PPM,
        description="Rate error of the RTC while the meter runs, ppm (+ fast, - slow; the data "
        "sheet's typical is 5). The meter's time, and so every time stamp, drifts by it until a "
        "clock set; 0 (default) keeps runs deterministic.",
    )


class HolidaysSection(Section):
    """[holidays]: public holidays of the tariff tables."""

    subdiv: str | None = Field(
        None,
        description='`holidays` subdivision overriding the country\'s (e.g. a German state, "BY").',
    )


class PassiveCalendarSection(Section):
    """[calendar.passive]: the passive activity calendar by day ids, as a client wrote it."""

    name: str = Field("", description="Calendar name (class 20 attribute 6).")
    seasons: list[tuple[str, str, str]] = Field(
        description='[name, start "MM-DD", week name] per season.'
    )
    weeks: list[tuple[str, list[int]]] = Field(
        description="[name, [7 day ids, Monday..Sunday]] per week profile."
    )
    days: list[tuple[int, list[tuple[str, int]]]] = Field(
        description='[day id, [["HH:MM", tariff 1..4], ...]] per day profile.'
    )
    names: dict[str, str] = Field({}, description="Day id -> day profile name.")

    @model_validator(mode="after")
    def _calendar(self) -> PassiveCalendarSection:
        _run(PassiveCalendar.from_dict, self.model_dump())
        return self


class CalendarSection(Section):
    """[calendar]: the passive activity calendar and when it becomes active."""

    passive: PassiveCalendarSection | None = Field(
        None, description="The passive calendar (class 20 attributes 6-9)."
    )
    activation: datetime | float | str | None = Field(
        None,
        description="When the passive calendar becomes active: an ISO date-time with its "
        "UTC offset (or POSIX seconds).",
    )

    @model_validator(mode="after")
    def _activation(self) -> CalendarSection:
        _run(parse_activation, self.activation)
        return self


class DebitingSection(Section):
    """[debiting]: overrides of the debiting stop of configuration 2."""

    target_day: int | None = Field(
        None, ge=0, le=28, description="Target day of month GG (0 = externally controlled)."
    )
    interval: int | None = Field(
        None, ge=0, le=24, description="Debiting interval HH code, 00..24 (00 = none)."
    )
    execution_time: Hhmm | None = Field(
        None, description='Local time of day of the stop, "HH:MM" (default 00:00).'
    )

    @model_validator(mode="after")
    def _debiting(self) -> DebitingSection:
        _run(Debiting.from_dict, self.model_dump(exclude_none=True))
        return self


class AnalysisSection(Section):
    """[analysis]: the analysis logger 1-0:99.2.0.255 (also settable over DLMS and the optical port)."""

    channels: list[ObisText] | None = Field(
        None,
        min_length=1,
        max_length=16,
        description="1..16 registers by OBIS (class 1/3/4), each once; instantaneous values "
        "(D = 7) are averaged over the period, the others sampled at its end.",
    )
    interval_minutes: Literal[1, 5, 10, 15, 30, 60] | None = Field(
        None, description="Capture period in minutes (default 15)."
    )


class DisplayTableSection(Section):
    """[[display]]: one display table (configuration 2 FFF) of OBIS codes."""

    id: int = Field(ge=0, le=999, description="Table id, the FFF of configuration 2.")
    name: str = Field("", description="A name for people.")
    auto: list[ObisText] = Field(
        [], max_length=DISPLAY_LIMITS["auto"], description="Auto-scroll list (<= 16 readings)."
    )
    manual: list[ObisText] = Field(
        [], max_length=DISPLAY_LIMITS["manual"], description="Push-button list (<= 30 readings)."
    )
    backup: list[ObisText] = Field(
        [], max_length=DISPLAY_LIMITS["backup"], description="Backup-powered list (<= 8 readings)."
    )


class SeasonEntry(Section):
    """A season of a tariff table."""

    name: str = Field(description="Season name.")
    start: str = Field(description='First day, "MM-DD", every year.')
    week: str = Field(description="The week profile it uses.")


class TariffTableSection(Section):
    """[[tariff]]: one tariff control table (configuration 3 "000"), like the activity calendar."""

    id: int = Field(ge=1, le=999, description='Table id, the "000" of configuration 3.')
    name: str = Field("", description="A name for people.")
    public_holidays: bool = Field(
        True, description="Public holidays (the `holidays` library) run the non_working profile."
    )
    non_working: str | None = Field(None, description="Day profile of public holidays.")
    day_profiles: dict[str, dict[Hhmm, Annotated[int, Field(ge=1, le=4)]]] = Field(
        description='Day profiles: {"HH:MM" = tariff 1..4}.'
    )
    week_profiles: dict[str, Annotated[list[str], Field(min_length=7, max_length=7)]] = Field(
        description="Week profiles: 7 day profile names, Monday first."
    )
    seasons: list[SeasonEntry] = Field(min_length=1, description="Seasons by start date.")
    special_days: dict[str, str] = Field(
        {}, description='"MM-DD" or "YYYY-MM-DD" -> day profile; wins over everything.'
    )

    @model_validator(mode="after")
    def _table(self) -> TariffTableSection:
        _run(TariffTable.from_dict, self.model_dump())
        return self


class ErrorPointEntry(Section):
    """One point of a custom error table."""

    current: float = Field(gt=0.0, le=6.0, description="Secondary current, A (up to Imax 6 A).")
    error: float = Field(ge=-100.0, le=100.0, description="The meter's error there, percent.")
    angle: float | None = Field(
        None,
        ge=-180.0,
        le=180.0,
        description="Degrees the current lags the voltage (default 0 active, 90 reactive).",
    )
    quantity: Literal["active", "reactive"] = Field("active", description="Which energy errs.")


class CustomAccuracySection(Section):
    """[metrology.custom]: the table of accuracy = "custom", its coefficients and spread."""

    spread: float = Field(0.0, ge=0.0, le=10.0, description="+- percent per meter, by serial.")
    temperature_coefficient: float = Field(
        0.0, ge=-1.0, le=1.0, description="Percent per K away from 23 degC."
    )
    voltage_coefficient: float = Field(
        0.0, ge=-1.0, le=1.0, description="Percent per percent of Un away from Un."
    )
    frequency_coefficient: float = Field(
        0.0, ge=-2.0, le=2.0, description="Percent per percent of fn away from fn."
    )
    points: list[ErrorPointEntry] = Field(
        [], description="Error points, interpolated in log(current) and in angle (>= 2 active)."
    )


class MetrologySection(Section):
    """[metrology]: the meter's own measuring error and the ambient temperature (docs/metrology.md)."""

    accuracy: AccuracyKind = Field(
        "ideal",
        description='"ideal", "typical" (well inside the class), "class-limit" (at the edge of '
        'the class) or "custom" (the [metrology.custom] table).',
    )
    temperature: float = Field(
        23.0,
        ge=TEMPERATURE_RANGE[0],
        le=TEMPERATURE_RANGE[1],
        description="Ambient temperature, degC (meter.set_temperature overrides it).",
    )
    daily_swing: float = Field(
        0.0, ge=0.0, le=40.0, description="Amplitude (K) of a daily temperature cycle; 0 = none."
    )
    hottest_hour: float = Field(
        15.0, ge=0.0, le=24.0, description="Local standard time of the cycle's maximum, hours."
    )
    temperature_spread: float = Field(
        0.0, ge=0.0, le=30.0, description="+- K of ambient per meter, seeded by its serial."
    )
    custom: CustomAccuracySection = Field(
        default_factory=CustomAccuracySection, description='The table of accuracy = "custom".'
    )

    @model_validator(mode="after")
    def _metrology(self) -> MetrologySection:
        _run(Metrology.from_dict, self.model_dump(exclude_none=True))
        return self


class BenchSection(Section):
    """[bench]: the head-end bench (flags --trace, --link-*, --fault, --quirk win over it)."""

    trace: str | None = Field(None, description="JSON Lines file of every frame (--trace).")
    link_latency: float = Field(0.0, ge=0.0, description="Added one-way delay, ms (--link-latency).")
    link_jitter: float = Field(0.0, ge=0.0, description="Random extra delay, ms (--link-jitter).")
    link_bps: int = Field(0, ge=0, description="Line speed, bit/s; 0 = unlimited (--link-bps).")
    link_listeners: list[Literal["wrapper", "hdlc", "optical", "mbus"]] = Field(
        ["hdlc", "mbus", "optical"], description="Listeners the link emulation applies to."
    )
    fault: list[str] = Field(
        [], description='Injected faults, "KIND=RATE[,seed=S][@FIRST-LAST]" (--fault).'
    )
    quirk: list[str] = Field(
        [], description='Real-meter quirks, "NAME[@FIRST-LAST]" (--quirk), e.g. single-association.'
    )


class ConfigFile(Section):
    """A k351c configuration file. Every section is optional; defaults are the embedded ones."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="k351c configuration file")

    meter: MeterSection = Field(default_factory=MeterSection, description="The meter's identity.")
    codes: CodesSection = Field(
        default_factory=CodesSection, description="Type number and configuration codes."
    )
    thresholds: ThresholdsSection = Field(
        default_factory=ThresholdsSection, description="Voltage-quality and power thresholds."
    )
    rtc: RtcSection = Field(default_factory=RtcSection, description="The real-time clock.")
    holidays: HolidaysSection = Field(
        default_factory=HolidaysSection, description="Public holidays."
    )
    calendar: CalendarSection = Field(
        default_factory=CalendarSection, description="Passive activity calendar and its activation."
    )
    debiting: DebitingSection = Field(
        default_factory=DebitingSection, description="Overrides of the debiting stop."
    )
    analysis: AnalysisSection = Field(
        default_factory=AnalysisSection, description="Analysis logger channels and period."
    )
    display: list[DisplayTableSection] | None = Field(
        None, description="Display tables; if given, they replace all embedded ones."
    )
    tariff: list[TariffTableSection] | None = Field(
        None, description="Tariff tables; if given, they replace all embedded ones."
    )
    metrology: MetrologySection = Field(
        default_factory=MetrologySection,
        description="The meter's own error (accuracy kind) and ambient temperature.",
    )
    bench: BenchSection = Field(
        default_factory=BenchSection, description="Head-end bench: trace, link, faults, quirks."
    )
    server: ServerSettings = Field(
        default_factory=ServerSettings,
        description="Listeners, HDLC link, limits, security and pushes "
        "(flags of `k351c serve` override these).",
    )


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the configuration file (editors validate and complete with it)."""
    schema = ConfigFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
