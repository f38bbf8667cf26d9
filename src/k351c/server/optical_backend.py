"""The meter behind the optical port: readout list, programming addresses and the password lockout."""

from __future__ import annotations

import dataclasses
import hmac
import logging
import math
from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from k351c.errors import AccessDenied, ConfigError, LocalProtocolError
from k351c.meter.analysis import AnalysisLogger
from k351c.meter.billing import LAST_PERIOD_F, Billing
from k351c.meter.core import Meter
from k351c.meter.display import Display
from k351c.meter.readings import Profile, Reading
from k351c.obis import Obis
from k351c.protocols.iec62056_21 import DataLine, unit_field
from k351c.units import unit_name

log = logging.getLogger("k351c.server.optical")

SERIAL = Obis(0, 0, 96, 1, 0)
TYPE_NUMBER = Obis(0, 0, 96, 1, 1)
CLOCK = Obis(0, 0, 1, 0, 0)
TIME = Obis(0, 0, 0, 9, 1)
DATE = Obis(0, 0, 0, 9, 2)
CT_NUMERATOR = Obis(1, 0, 0, 4, 2)
STOP_COUNTER = Obis(0, 0, 0, 1, 0)
DEBITING_LOGGER = Obis(0, 0, 98, 1, 0)
DISPLAY_LISTS: dict[Obis, str] = {
    Obis(0, 0, 21, 0, 1): "auto",
    Obis(0, 0, 21, 0, 2): "manual",
    Obis(0, 0, 21, 0, 3): "backup",
}
CONFIG_CODES: dict[Obis, str] = {
    Obis(0, 0, 128, 90, 1): "config1",
    Obis(0, 0, 128, 90, 2): "config2",
    Obis(0, 0, 128, 90, 3): "config3",
    Obis(0, 0, 128, 90, 5): "config5",
}
"""Optical-port addresses of the configuration codes (read only; manufacturer range)."""
DEBITING: dict[Obis, str] = {
    Obis(0, 0, 128, 91, 1): "target_day",
    Obis(0, 0, 128, 91, 2): "interval",
    Obis(0, 0, 128, 91, 3): "execution_time",
}
"""Optical-port addresses of the debiting overrides (GG, HH code, execution time HH:MM), R1 and W1."""
ANALYSIS_PERIOD = Obis(0, 0, 128, 92, 1)
"""Optical-port address of the analysis logger's capture period (minutes), R1 and W1."""
ANALYSIS_CHANNELS = Obis(0, 0, 128, 92, 2)
"""Optical-port address of the analysis logger's channels (`c1;c2;...`, continued like a display list)."""
END_OF_BILLING_SCRIPT = Obis(0, 0, 10, 0, 1)
"""W1 of a script id (1) here executes the end-of-billing-period script: a debiting stop now."""

KILO_UNITS = {"Wh": "kWh", "varh": "kvarh", "VAh": "kVAh", "W": "kW", "var": "kvar", "VA": "kVA"}
ENERGY_UNITS = {"Wh", "varh", "VAh"}
POWER_DECIMALS = 3
CONTINUE = ";"
"""A display-list write whose value ends with this is continued by the next write to the same list."""

PROFILE_TIME = "%Y-%m-%d %H:%M"


def short_address(obis: Obis) -> str:
    """The address as the readout writes it: A-B:C.D.E, with *F for a historical value."""
    base = f"{obis.a}-{obis.b}:{obis.c}.{obis.d}.{obis.e}"
    return base if obis.f == 255 else f"{base}*{obis.f}"


def _parse_address(address: str) -> Obis:
    """OBIS of an address (`1.8.0`, `1-0:1.8.0`, `1-0:1.8.0*12`, `1-0:1.8.0.255`)."""
    try:
        return Obis.parse(address.strip())
    except ConfigError:
        raise LookupError(address) from None


def _number(value: float, decimals: int, truncate: bool = False) -> str:
    """A number with fixed decimals; energies are cut (never shown higher than registered)."""
    if truncate:
        scale = 10**decimals
        value = math.floor(value * scale + 1e-9) / scale
    return f"{value:.{decimals}f}"


def _timestamp(value: datetime) -> str:
    """A local date-time as `YYYY-MM-DD hh:mm:ss` (the meter's own zone)."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


@dataclasses.dataclass(frozen=True, slots=True)
class DataBlock:
    """Several data lines answering one R1 (a logger); on the wire they are CR LF separated lines."""

    lines: tuple[DataLine, ...]

    def to_text(self, error: type[Exception] = LocalProtocolError) -> str:
        """The lines as text, each checked like a single data set."""
        return "\r\n".join(line.to_text(error) for line in self.lines)


@dataclasses.dataclass
class Lockout:
    """Wrong optical passwords: `limit` in a row lock programming mode for `duration` seconds."""

    now: Callable[[], float]
    limit: int = 3
    duration: float = 300.0
    failures: int = 0
    locked_until: float | None = None

    def is_locked(self) -> bool:
        """True while a lockout runs."""
        if self.locked_until is not None and self.now() >= self.locked_until:
            self.locked_until = None
        return self.locked_until is not None

    def record(self, ok: bool, who: str = "") -> None:
        """Count a password attempt; the limit-th wrong one in a row starts the lockout."""
        if ok:
            self.failures = 0
            return
        self.failures += 1
        log.warning("optical port: wrong password (%d of %d) %s", self.failures, self.limit, who)
        if self.failures >= self.limit:
            self.failures = 0
            self.locked_until = self.now() + self.duration
            log.warning("optical port: programming mode locked for %.0f s", self.duration)


class MeterOpticalBackend:
    """OpticalBackend of a Meter: what a connection on the optical port reads and writes."""

    def __init__(
        self,
        meter: Meter,
        password: str | Callable[[], str],
        lockout: Lockout | None = None,
        sync: Callable[[], None] | None = None,
        identification: str = "K351C",
    ) -> None:
        self.meter = meter
        self._password = password if callable(password) else lambda: password
        self.lockout = lockout or Lockout(meter.clock.monotonic)
        self._sync = sync or meter.sync
        self._ident = identification
        self._pending: dict[Obis, list[str]] = {}

    # ------------------------------------------------------------- identification
    def identification(self) -> str:
        """Identification text after `/KAM<baud>`."""
        return self._ident

    def device_address(self) -> str:
        """The serial number (meter number)."""
        return self.meter.config.serial

    # -------------------------------------------------------------------- readout
    def readout(self) -> list[DataLine]:
        """Identification, the manual display list, then the values of the last debiting stop."""
        self._sync()
        lines = self._identification_lines()
        for code in self.meter.config.display_table.manual:
            obis = Obis.parse(code)
            if obis in (CLOCK, SERIAL, TYPE_NUMBER) or obis not in self.meter.objects:
                continue
            line = self._line(obis)
            if line is not None:
                lines.append(line)
        lines.extend(self.debiting_lines())
        return lines

    def _identification_lines(self) -> list[DataLine]:
        """Serial, type number, time and date of the meter's clock."""
        now = self.meter.now
        return [
            DataLine(short_address(SERIAL), self.meter.config.serial),
            DataLine(short_address(TYPE_NUMBER), str(self.meter.config.type_number)),
            DataLine(short_address(TIME), now.strftime("%H:%M:%S")),
            DataLine(short_address(DATE), now.strftime("%y-%m-%d")),
        ]

    def _line(self, obis: Obis, address: str | None = None) -> DataLine | None:
        """The data line of a meter value, None for a profile."""
        result = self.meter.read(obis)
        if isinstance(result, Profile):
            return None
        value, unit = self.format(result.value, result.unit, result.scaler)
        more: tuple[tuple[str, str], ...] = ()
        if isinstance(result, Reading) and result.captured is not None:
            more = ((_timestamp(result.captured), ""),)
        return DataLine(address or short_address(obis), value, unit, more)

    def format(self, value: Any, unit: str, scaler: int = 0) -> tuple[str, str]:
        """(value text, unit text) as the display shows it: k-units, the configured energy decimals.

        The unit is written as a data set may carry it (``imp/kWh`` -> ``imp kWh-1``).
        """
        value_text, unit_text = self._format(value, unit, scaler)
        return value_text, unit_field(unit_text)

    def _format(self, value: Any, unit: str, scaler: int) -> tuple[str, str]:
        if value is None:
            return "", ""
        if isinstance(value, datetime):
            return _timestamp(value), ""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return str(value), ""
        if unit in KILO_UNITS:
            energy = unit in ENERGY_UNITS
            decimals = self.meter.config.decimals if energy else POWER_DECIMALS
            return _number(value / 1000.0, decimals, truncate=energy), KILO_UNITS[unit]
        if scaler < 0:
            return _number(value, -scaler), unit
        if isinstance(value, float) and not value.is_integer():
            return repr(value), unit
        return str(int(value)), unit

    def debiting_lines(self) -> list[DataLine]:
        """Historical values (OBIS F = billing period): from the object table, else the debiting logger."""
        historical = [
            d.obis
            for d in self.meter.objects
            if d.obis.f not in (255, LAST_PERIOD_F) and d.class_id in (3, 4)
        ]
        if historical:
            return [line for obis in historical if (line := self._line(obis)) is not None]
        if DEBITING_LOGGER not in self.meter.objects:
            return []
        profile = self.meter.read(DEBITING_LOGGER)
        if not isinstance(profile, Profile) or not profile.rows:
            return []
        row = dict(zip(profile.columns, profile.rows[-1], strict=False))
        stops = row.get(str(STOP_COUNTER))
        vz = int(stops) % 100 if isinstance(stops, int) else 1
        lines = []
        for column, value in row.items():
            definition = None if column.count(":") > 1 else self.meter.objects.get(column)
            if definition is None or definition.obis.a != 1:
                continue
            obis = definition.obis
            text, unit = self.format(value, unit_name(definition.unit), definition.scaler)
            lines.append(DataLine(short_address(dataclasses.replace(obis, f=vz)), text, unit))
        return lines

    # ------------------------------------------------------------ programming mode
    def is_locked(self) -> bool:
        """True while wrong passwords keep programming mode locked."""
        return self.lockout.is_locked()

    def check_password(self, level: int, password: str) -> bool:
        """P1 with the meter's LLS password; every other level or password is wrong and counts."""
        ok = level == 1 and hmac.compare_digest(password.encode(), self._password().encode())
        self.lockout.record(ok, f"(P{level}, meter {self.meter.config.serial})")
        return ok

    def read(self, address: str, params: str) -> DataLine | DataBlock:
        """R1/R2: the value of an address (display lists, codes, profiles and every meter value)."""
        self._sync()
        obis = _parse_address(address)
        if obis in DISPLAY_LISTS:
            codes = getattr(self.meter.config.display_table, DISPLAY_LISTS[obis])
            short = [_short_code(c) for c in codes]
            return DataLine(
                address, short[0] if short else "", "", tuple((c, "") for c in short[1:])
            )
        if obis in DEBITING:
            return DataLine(address, self._debiting_text(obis))
        if obis == ANALYSIS_PERIOD:
            return DataLine(address, str(self.meter.function(AnalysisLogger).interval_minutes))
        if obis == ANALYSIS_CHANNELS:
            short = [_short_code(c) for c in self.meter.function(AnalysisLogger).channels]
            return DataLine(address, short[0], "", tuple((c, "") for c in short[1:]))
        if obis in CONFIG_CODES:
            return DataLine(address, str(getattr(self.meter.config, CONFIG_CODES[obis])))
        if obis in (TIME, DATE):
            line = self._identification_lines()[2 if obis == TIME else 3]
            return DataLine(address, line.value)
        if obis.f != 255 and obis not in self.meter.objects:
            for line in self.debiting_lines():
                if _parse_address(line.address) == obis:
                    return DataLine(address, line.value, line.unit)
            raise LookupError(address)
        if obis not in self.meter.objects:
            raise LookupError(address)
        result = self.meter.read(obis)
        if isinstance(result, Profile):
            return self._profile_lines(address, result, params)
        found = self._line(obis, address)
        assert found is not None
        return found

    def _profile_lines(self, address: str, profile: Profile, params: str) -> DataBlock:
        """A logger: a header line (columns with units), then one address-less line per row in range."""
        start, end = _range(params)
        units = []
        for column in profile.columns:
            definition = None if column.count(":") > 1 else self.meter.objects.get(column)
            units.append(unit_field(unit_name(definition.unit)) if definition is not None else "")
        header = DataLine(
            address,
            profile.columns[0],
            units[0],
            tuple(zip(profile.columns[1:], units[1:], strict=True)),
        )
        lines = [header]
        for row in profile.rows:
            stamp = row[0]
            if isinstance(stamp, datetime):
                naive = stamp.replace(tzinfo=None)
                if (start and naive < start) or (end and naive > end):
                    continue
            cells = [_cell(v) for v in row]
            lines.append(DataLine("", cells[0], "", tuple((c, "") for c in cells[1:])))
        return DataBlock(tuple(lines))

    def write(self, address: str, value: str) -> None:
        """W1/W2: display lists, serial, CT ratio, clock and the other settable values; legal data never."""
        obis = _parse_address(address)
        if obis in DISPLAY_LISTS:
            self._write_display(obis, value)
            return
        if obis in (CLOCK, TIME, DATE):
            self._write_clock(obis, value)
            return
        if obis in DEBITING:
            self._write_debiting(obis, value)
            return
        if obis == END_OF_BILLING_SCRIPT:
            self._execute_script(value)
            return
        if obis in (ANALYSIS_PERIOD, ANALYSIS_CHANNELS):
            self._write_analysis(obis, value)
            return
        definition = self.meter.objects.get(obis)
        if definition is None:
            raise LookupError(address)
        if obis == CT_NUMERATOR and self.meter.config.ct_locked:
            raise AccessDenied("CT ratio locked")
        if definition.legal:
            raise AccessDenied("legal data")
        reset = definition.reset
        if reset is not None and definition.set is None:
            if value.strip() not in ("", "0"):
                raise ConfigError(short_address(obis), value, "empty or 0: reset the register")
            reset()
            log.info("optical port: %s reset", short_address(obis))
            return
        if definition.set is None:
            raise AccessDenied("read only")
        if obis == SERIAL:
            self.meter.write(obis, value.strip())
        elif obis == CT_NUMERATOR:
            self.meter.write(obis, _integer(address, value))
        else:
            self._write_number(obis, definition.unit, value, definition.scaler)
        log.info("optical port: %s set to %s", short_address(obis), value)

    def _write_number(self, obis: Obis, unit: Any, value: str, scaler: int = 0) -> None:
        """A settable number, given as the port shows it (kW for W, 207.0 V for 2070 x 0.1 V)."""
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(short_address(obis), value, "a number") from None
        if unit_name(unit) in KILO_UNITS:
            number *= 1000.0
        number = round(number / 10.0**scaler, 9)
        self.meter.write(obis, int(number) if number.is_integer() else number)

    def _debiting_text(self, obis: Obis) -> str:
        """GG, HH or the execution time in force (overrides, else configuration 2)."""
        config = self.meter.config
        override = getattr(config.settings.debiting, DEBITING[obis])
        if DEBITING[obis] == "target_day":
            return f"{config.target_day if override is None else override:02d}"
        if DEBITING[obis] == "interval":
            return f"{config.config2.hh if override is None else override:02d}"
        return override or "00:00"

    def _write_debiting(self, obis: Obis, value: str) -> None:
        """GG (00..28), HH (00..24) or the execution time (HH:MM) into the settings, persisted."""
        name = DEBITING[obis]
        text = value.strip()
        new: str | int = text if name == "execution_time" else _integer(f"debiting {name}", text)
        settings = self.meter.config.settings
        changes: dict[str, Any] = {name: new}  # the field DEBITING names for this OBIS code
        debiting = dataclasses.replace(settings.debiting, **changes)
        self.meter.reconfigure(settings=dataclasses.replace(settings, debiting=debiting))
        log.info("optical port: debiting %s set to %s", name, text)

    def _execute_script(self, value: str) -> None:
        """Execute script ``value`` of 0-0:10.0.1: 1 = end of billing period (a debiting stop now)."""
        if _integer("script_identifier", value) != 1:
            raise ConfigError("script_identifier", value.strip(), "1 (end of billing period)")
        self.meter.function(Billing).debiting_stop(source="optical")
        log.info("optical port: end of billing period executed")

    def _write_analysis(self, obis: Obis, value: str) -> None:
        """The analysis logger's period (minutes) or channels (continued with `;`), via configure."""
        analysis = self.meter.function(AnalysisLogger)
        if obis == ANALYSIS_PERIOD:
            analysis.configure(analysis.channels, _integer("analysis period", value))
            return
        pending = self._pending.setdefault(obis, [])
        pending.extend(code.strip() for code in value.split(CONTINUE) if code.strip())
        if value.endswith(CONTINUE):
            return
        analysis.configure(self._pending.pop(obis))
        log.info("optical port: analysis logger channels set")

    def _write_display(self, obis: Obis, value: str) -> None:
        """Collect a (possibly continued) list, then set it through Display.set_list (its checks)."""
        pending = self._pending.setdefault(obis, [])
        pending.extend(code.strip() for code in value.split(CONTINUE) if code.strip())
        if value.endswith(CONTINUE):
            return
        codes = self._pending.pop(obis)
        name = DISPLAY_LISTS[obis]
        self.meter.function(Display).set_list(name, codes)
        log.info("optical port: display list %s set (%d readings)", name, len(codes))

    def _write_clock(self, obis: Obis, value: str) -> None:
        """Set the clock from local `YYYY-MM-DD hh:mm:ss`, or only its time (0.9.1) or date (0.9.2)."""
        now = self.meter.now.replace(tzinfo=None, microsecond=0)
        try:
            if obis == TIME:
                new = datetime.combine(now.date(), time.fromisoformat(value.strip()))
            elif obis == DATE:
                new = datetime.combine(
                    datetime.strptime(value.strip(), "%y-%m-%d").date(), now.time()
                )
            else:
                new = datetime.fromisoformat(value.strip())
        except ValueError:
            allowed = {TIME: "hh:mm:ss", DATE: "YY-MM-DD"}.get(obis, "YYYY-MM-DD hh:mm:ss")
            raise ConfigError(short_address(obis), value, allowed) from None
        instant = new.timestamp() if new.tzinfo else self.meter.localtime.from_local(new)
        self.meter.set_clock(instant)


def _short_code(code: str) -> str:
    """A display-list entry in the readout's address form."""
    return short_address(Obis.parse(code))


def _integer(field: str, value: str) -> int:
    """A whole number or ConfigError."""
    try:
        return int(value.strip())
    except ValueError:
        raise ConfigError(field, value, "a whole number") from None


def _cell(value: Any) -> str:
    """A profile cell as text (times in the meter's local time; a value not captured is empty)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _timestamp(value)
    return str(value)


def _range(params: str) -> tuple[datetime | None, datetime | None]:
    """`start;end` of a profile read, each `YYYY-MM-DD hh:mm` local or empty."""
    if not params.strip():
        return None, None
    parts = (params.split(";") + [""])[:2]
    try:
        start, end = (
            datetime.strptime(p.strip(), PROFILE_TIME) if p.strip() else None for p in parts
        )
    except ValueError:
        raise ConfigError("profile range", params, "start;end as YYYY-MM-DD hh:mm") from None
    return start, end


__all__ = ["DataBlock", "Lockout", "MeterOpticalBackend", "short_address"]
