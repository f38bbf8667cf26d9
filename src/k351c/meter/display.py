"""The display lists and the left push button: auto scroll, manual list, backup list (data sheet "Display").

Auto scroll shows the auto list, one reading every 10 s of meter time. A press of the left
push button enters the manual list (first reading) and each further press advances it; two
minutes after the last press the meter returns to auto scroll. Without supply (all phases
below 50 % Un) the backup list is shown and the button advances it. The lists come from the
configuration file's display table (config 2 FFF) and are set through ``set_list`` (API),
DLMS (capture objects of 0-0:21.0.1/2/3.255) or the optical port; each change is persisted
with ``meter.reconfigure(settings=...)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from k351c.codes.settings import DISPLAY_LIMITS, DisplayTable
from k351c.errors import ConfigError
from k351c.meter.function import Event, MeterFunction
from k351c.meter.objects import Access, ObjectTable, ProfileData, ValueDef
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.codes import MeterConfig
    from k351c.meter.core import Meter

SCROLL_S = 10.0
MANUAL_TIMEOUT_S = 120.0
DISPLAY_TEST_S = 5.0
KINDS = ("auto", "manual", "backup")
LIST_OBIS = {
    "auto": Obis(0, 0, 21, 0, 1),
    "manual": Obis(0, 0, 21, 0, 2),
    "backup": Obis(0, 0, 21, 0, 3),
}
# C of the total active energy register of each active energy type (IEC 62056-6-1).
LEGAL_C = {"A+": 1, "A-": 2}


def is_historical(obis: Obis) -> bool:
    """Whether a code is a historical (billing period) value: F != 255."""
    return obis.f != 255


class Display(MeterFunction):
    """The three display lists, the push button and which reading the LCD shows at meter time t."""

    name = "display"

    def __init__(self) -> None:
        self.manual_index = 0
        self.backup_index = 0
        self.last_press: float | None = None
        self.auto_epoch = 0.0
        self.test_until: float | None = None
        self.pulses = 0
        self.last_pulse_t: float | None = None

    def attach(self, meter: Meter) -> None:
        """Add the display list objects 0-0:21.0.1/2/3.255 and count the LED pulses."""
        super().attach(meter)
        self.auto_epoch = meter.t
        for kind in KINDS:
            meter.objects.add(
                ValueDef(
                    LIST_OBIS[kind],
                    7,
                    self._profile_getter(kind),
                    set=self._list_setter(kind),
                    description=f"display list {kind} (capture objects = readings, one row of current values)",
                    write_access=Access.READING,
                    set_columns=self._list_setter(kind),
                    capacity=lambda: 1,
                )
            )
        meter.subscribe(self._on_event)

    # ---------------------------------------------------------------- lists
    @property
    def legal(self) -> tuple[str, ...]:
        """The legal readings the manual list always holds: total primary active energy per energy type."""
        return legal_readings(self.meter.config)

    def configured(self, kind: str) -> tuple[str, ...]:
        """The list as the configuration holds it."""
        return getattr(self.meter.config.display_table, _kind(kind))

    def readings(self, kind: str) -> tuple[str, ...]:
        """The list as the meter shows it: codes it has, with missing legal readings first in the manual list."""
        return shown_readings(self.meter.objects, self.meter.config, kind, self.configured(kind))

    def validate(self, kind: str, codes: Iterable[object]) -> tuple[str, ...]:
        """Canonical codes of a list, or ConfigError naming the bad reading or the limit."""
        return validated_list(self.meter.objects, self.meter.config, kind, codes)

    def set_list(self, kind: str, codes: Iterable[object]) -> None:
        """Replace one list of the active display table (validated, persisted, logged)."""
        kind = _kind(kind)
        items = self.validate(kind, codes)
        config = self.meter.config
        changes: dict[str, Any] = {kind: items}  # the list field of that kind
        table: DisplayTable = dataclasses.replace(config.display_table, **changes)
        tables = tuple(table if t.id == table.id else t for t in config.settings.display_tables)
        self.meter.reconfigure(settings=dataclasses.replace(config.settings, display_tables=tables))

    def _profile_getter(self, kind: str):
        return lambda: list_profile(self.meter.objects, self.readings(kind))

    def _list_setter(self, kind: str):
        return lambda codes: self.set_list(kind, codes)

    # -------------------------------------------------------------- button
    @property
    def supplied(self) -> bool:
        """Whether the meter has supply (at least one phase at 50 % Un or more)."""
        return bool(self.meter.instant.powered[-1])

    def mode(self, t: float | None = None) -> str:
        """ "test", "backup", "manual" or "auto" at meter time t (default now)."""
        t = self.meter.t if t is None else t
        if self.test_until is not None and t < self.test_until:
            return "test"
        if not self.supplied:
            return "backup"
        if self.last_press is not None and t - self.last_press < MANUAL_TIMEOUT_S:
            return "manual"
        return "auto"

    def press(self, t: float | None = None) -> str | None:
        """A press of the left push button; returns the reading now shown."""
        t = self.meter.t if t is None else t
        mode = self.mode(t)
        if mode == "backup":
            self.backup_index += 1
        elif mode == "manual":
            self.manual_index += 1
        else:
            self.manual_index = 0
        self.test_until = None
        if mode != "backup":
            self.last_press = t
            self.auto_epoch = t + MANUAL_TIMEOUT_S
        return self.current(t)

    def display_test(self, t: float | None = None, seconds: float = DISPLAY_TEST_S) -> None:
        """Show every segment for a few seconds (as at power-up)."""
        t = self.meter.t if t is None else t
        self.test_until = t + seconds

    def current(self, t: float | None = None) -> str | None:
        """The OBIS code shown at meter time t, or None (empty list, display test)."""
        t = self.meter.t if t is None else t
        mode = self.mode(t)
        if mode == "test":
            return None
        if mode == "auto":
            items = self.readings("auto")
            index = int(max(t - self.auto_epoch, 0.0) // SCROLL_S)
        else:
            items = self.readings(mode)
            index = self.manual_index if mode == "manual" else self.backup_index
        return items[index % len(items)] if items else None

    def position(self, t: float | None = None) -> tuple[str, int, int]:
        """(mode, index in its list, list length) at meter time t."""
        t = self.meter.t if t is None else t
        mode = self.mode(t)
        if mode == "test":
            return mode, 0, 0
        items = self.readings(mode)
        code = self.current(t)
        return mode, items.index(code) if code in items else 0, len(items)

    def _on_event(self, event: Event) -> None:
        if event.kind == "pulses":
            count = int(event.data.get("led_active", 0))
            if count:
                self.pulses += count
                self.last_pulse_t = event.t
        elif event.kind == "power_up":
            self.display_test(event.t)

    def on_time_set(self, old: float, new: float) -> None:
        """A clock adjustment restarts the auto scroll at the new time."""
        self.auto_epoch = new
        self.last_press = None
        self.test_until = None

    def state(self) -> dict:
        """Button state and the LED pulse count."""
        return {
            "manual_index": self.manual_index,
            "backup_index": self.backup_index,
            "last_press": self.last_press,
            "auto_epoch": self.auto_epoch,
            "pulses": self.pulses,
        }

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.manual_index = int(state.get("manual_index", 0))
        self.backup_index = int(state.get("backup_index", 0))
        self.last_press = state.get("last_press")
        self.auto_epoch = float(state.get("auto_epoch", self.auto_epoch))
        self.pulses = int(state.get("pulses", 0))


def legal_readings(config: MeterConfig) -> tuple[str, ...]:
    """The legal readings a manual list always holds: total primary active energy per energy type."""
    return tuple(str(Obis(1, 0, c, 8, 0)) for q, c in LEGAL_C.items() if q in config.energy_channels)


def shown_readings(
    objects: ObjectTable, config: MeterConfig, kind: str, configured: Iterable[str]
) -> tuple[str, ...]:
    """A list as the meter shows it: codes it has, with missing legal readings first in the manual list."""
    items = [c for c in configured if _showable(objects, c)]
    if kind == "manual":
        items = [c for c in legal_readings(config) if c not in items] + items
    return tuple(items)


def _showable(objects: ObjectTable, code: str) -> bool:
    definition = objects.get(code)
    return definition is not None and definition.class_id != 7


def validated_list(
    objects: ObjectTable, config: MeterConfig, kind: str, codes: Iterable[object]
) -> tuple[str, ...]:
    """Canonical codes of a list, or ConfigError naming the bad reading or the limit."""
    kind = _kind(kind)
    field = f"display list {kind}"
    if isinstance(codes, (str, bytes)):
        raise ConfigError(field, codes, "a list of OBIS codes")
    out: list[str] = []
    for item in codes:
        if not isinstance(item, str | Obis):
            raise ConfigError(field, item, "OBIS codes")
        code = str(Obis.parse(item))
        definition = objects.get(code)
        if definition is None:
            raise ConfigError(f"{field} reading", code, "a reading of this meter (see docs/obis.md)")
        if definition.class_id == 7:
            raise ConfigError(f"{field} reading", code, "a value, not a logger (profile)")
        if kind == "auto" and is_historical(definition.obis):
            raise ConfigError(
                f"{field} reading", code, "no historical values (F = 255) in the auto list"
            )
        if code in out:
            raise ConfigError(f"{field} reading", code, "each reading once")
        out.append(code)
    limit = DISPLAY_LIMITS[kind]
    if len(out) > limit:
        raise ConfigError(field, len(out), f"at most {limit} readings")
    legal = legal_readings(config)
    if kind == "manual":
        missing = [c for c in legal if c not in out]
        if missing:
            raise ConfigError(
                field,
                missing,
                f"a list holding the legal readings {list(legal)}",
                "legal readings cannot be deselected",
            )
    return tuple(out)


def list_profile(objects: ObjectTable, readings: Iterable[str]) -> ProfileData:
    """A display list as class 7: the readings as capture objects, one row of their current values."""
    columns = list(readings)
    return ProfileData(columns, [tuple(objects.lookup(c).get() for c in columns)], 0)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ConfigError("display list", kind, list(KINDS))
    return kind
