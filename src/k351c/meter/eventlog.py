"""Event logs with the IDIS / DLMS UA event codes (standard, fraud, power quality) and the persisted ring buffer."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, TypedDict

from k351c.meter.function import Event, MeterFunction, Step, bound
from k351c.meter.objects import ProfileData, ValueDef
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.core import Meter

CLOCK = "0-0:1.0.0.255"
RESET = "reset"


class EventCode(IntEnum):
    """Event codes of the IDIS / DSMR event logs (the numbers head-ends decode)."""

    POWER_DOWN = 1
    POWER_UP = 2
    DAYLIGHT_SAVING_CHANGED = 3
    CLOCK_ADJUSTED_OLD_TIME = 4
    CLOCK_ADJUSTED_NEW_TIME = 5
    CLOCK_INVALID = 6
    REPLACE_BATTERY = 7
    TERMINAL_COVER_REMOVED = 40
    TERMINAL_COVER_CLOSED = 41
    STRONG_DC_FIELD_DETECTED = 42
    NO_STRONG_DC_FIELD_ANYMORE = 43
    METER_COVER_REMOVED = 44
    METER_COVER_CLOSED = 45
    ASSOCIATION_AUTHENTICATION_FAILURE = 46
    DECRYPTION_OR_AUTHENTICATION_FAILURE = 47
    REPLAY_ATTACK = 48
    UNDER_VOLTAGE_L1 = 77
    UNDER_VOLTAGE_L2 = 78
    UNDER_VOLTAGE_L3 = 79
    OVER_VOLTAGE_L1 = 80
    OVER_VOLTAGE_L2 = 81
    OVER_VOLTAGE_L3 = 82
    VOLTAGE_L1_NORMAL = 83
    VOLTAGE_L2_NORMAL = 84
    VOLTAGE_L3_NORMAL = 85
    PHASE_OUTAGE_L1 = 86
    PHASE_OUTAGE_L2 = 87
    PHASE_OUTAGE_L3 = 88
    PHASE_RETURNED_L1 = 90
    PHASE_RETURNED_L2 = 91
    PHASE_RETURNED_L3 = 92
    # Manufacturer-specific codes (IDIS leaves 230..255 to the manufacturer), standard event log.
    CONFIGURATION_CHANGED = 230
    CT_RATIO_CHANGED = 231
    END_OF_BILLING_PERIOD = 232
    ALARM_INPUT_ACTIVE = 233
    ALARM_INPUT_INACTIVE = 234


@dataclass(frozen=True, slots=True)
class LogSpec:
    """One event log: its name, profile OBIS, event-code object and depth (entries)."""

    name: str
    obis: str
    code_obis: str
    depth: int
    codes: frozenset[int]


# Events other functions emit without a code of their own, filed under their log's code.
KIND_CODES: dict[str, EventCode] = {
    "debiting_stop": EventCode.END_OF_BILLING_PERIOD,
    "authentication_failed": EventCode.ASSOCIATION_AUTHENTICATION_FAILURE,
    "deciphering_failed": EventCode.DECRYPTION_OR_AUTHENTICATION_FAILURE,
    "replay_refused": EventCode.REPLAY_ATTACK,
}


def _codes(low: int, high: int) -> frozenset[int]:
    return frozenset(c for c in EventCode if low <= c <= high)


LOGS: tuple[LogSpec, ...] = (
    LogSpec(
        "standard", "0-0:99.98.0.255", "0-0:96.11.0.255", 250, _codes(1, 39) | _codes(230, 255)
    ),
    LogSpec("fraud", "0-0:99.98.1.255", "0-0:96.11.1.255", 100, _codes(40, 59)),
    LogSpec("power_quality", "0-0:99.98.4.255", "0-0:96.11.4.255", 250, _codes(76, 99)),
)


def log_of(code: int) -> str | None:
    """The name of the log an event code is filed under (None: no event log takes it)."""
    for spec in LOGS:
        if code in spec.codes:
            return spec.name
    return None


def event_code(event: Event) -> int | None:
    """The code an event is logged with: its own, or its kind's (``KIND_CODES``); None if it has none."""
    if event.code:
        return int(event.code)
    found = KIND_CODES.get(event.kind)
    return None if found is None else int(found)


class RingLog:
    """A bounded log kept in memory (deque) and mirrored to permanent memory with meter.log_append."""

    def __init__(self, name: str, depth: int) -> None:
        self.name = name
        self.depth = depth
        self.rows: deque[tuple] = deque(maxlen=depth)

    def load(self, meter: Meter) -> None:
        """Rebuild the rows from permanent memory (those after the last reset marker)."""
        self.rows = deque(maxlen=self.depth)
        for entry in meter.store.entries(self.name):
            if isinstance(entry.data, dict) and entry.data.get(RESET):
                self.rows.clear()
            else:
                self.rows.append(tuple(entry.data))

    def append(self, meter: Meter, t: float, row: Iterable) -> None:
        """Add a row (its first element is the POSIX time) and queue it for the next commit."""
        self.rows.append(tuple(row))
        meter.log_append(self.name, t, list(row), self.depth + 1)

    def reset(self, meter: Meter, depth: int | None = None) -> None:
        """Empty the log (persisted as a reset marker), optionally with a new depth."""
        if depth is not None:
            self.depth = depth
        self.rows = deque(maxlen=self.depth)
        meter.log_append(self.name, meter.t, {RESET: True}, self.depth + 1)

    def local_rows(self, meter: Meter) -> list[tuple]:
        """Rows with the POSIX time replaced by the meter's local datetime."""
        to_local = meter.localtime.to_local
        return [(to_local(row[0]), *row[1:]) for row in self.rows]


def column_value(meter: Meter, column: str) -> object:
    """The raw value a capture column "A-B:C.D.E.F[:attr]" holds now (attribute 2, or 5 = capture time)."""
    parts = column.split(":")
    attr = int(parts[2]) if len(parts) > 2 else 2
    definition = meter.objects.lookup(":".join(parts[:2]))
    if attr == 2:
        return definition.get()
    if attr == 5 and definition.capture_time is not None:
        return definition.capture_time()
    return None


class LogHooks(TypedDict):
    """A logger's class 7 methods, given to its ValueDef as ``**hooks``."""

    reset: Callable[[], None]
    capture: Callable[[], None]


def log_methods(meter: Meter, log: RingLog, columns: Callable[[], list[str]]) -> LogHooks:
    """Hooks for a logger's class 7 methods: reset empties ``log``, capture appends the columns' values now."""

    def capture() -> None:
        t = meter.t
        log.append(meter, t, (t, *(column_value(meter, c) for c in columns()[1:])))
        meter.commit()

    def reset() -> None:
        log.reset(meter)
        meter.commit()

    return LogHooks(reset=reset, capture=capture)


class EventLogs(MeterFunction):
    """Standard, fraud and power-quality logs; events are recorded by their code, clock changes as 4 and 5."""

    name = "eventlog"

    def __init__(self, depths: dict[str, int] | None = None) -> None:
        depths = depths or {}
        self.specs = {s.name: s for s in LOGS}
        self.logs = {
            s.name: RingLog(f"eventlog.{s.name}", depths.get(s.name, s.depth)) for s in LOGS
        }
        self.last_code = {s.name: 0 for s in LOGS}
        self._next_dst: float | None = None

    def attach(self, meter: Meter) -> None:
        """Add the logs and their last-event-code objects; listen to every event."""
        super().attach(meter)
        for spec in LOGS:
            log = self.logs[spec.name]
            log.load(meter)
            if log.rows:
                self.last_code[spec.name] = int(log.rows[-1][1])
            meter.objects.add(
                ValueDef(
                    Obis.parse(spec.obis),
                    7,
                    self._profile_getter(spec),
                    description=f"{spec.name} event log, depth {log.depth}",
                    capacity=bound(lambda log: log.depth, log),
                    **log_methods(meter, log, bound(lambda spec: [CLOCK, spec.code_obis], spec)),
                )
            )
            meter.objects.add(
                ValueDef(
                    Obis.parse(spec.code_obis),
                    1,
                    self._code_getter(spec.name),
                    description=f"last {spec.name} event code",
                )
            )
        meter.subscribe(self._on_event)
        self._next_dst = meter.localtime.next_change(meter.t)

    def _profile_getter(self, spec: LogSpec):
        return lambda: ProfileData(
            [CLOCK, spec.code_obis], self.logs[spec.name].local_rows(self.meter)
        )

    def _code_getter(self, name: str):
        return lambda: self.last_code[name]

    def record(self, t: float, code: int) -> None:
        """Append an event code to the log its number belongs to (unknown codes are ignored)."""
        name = log_of(code)
        if name is not None:
            self.logs[name].append(self.meter, t, (t, int(code)))
            self.last_code[name] = int(code)

    def entries(self, name: str) -> list[tuple[float, int]]:
        """(POSIX time, code) of a log, oldest first."""
        return [(float(t), int(c)) for t, c in self.logs[name].rows]

    def _on_event(self, event: Event) -> None:
        if event.kind == "clock_adjusted":
            self.record(float(event.data["old"]), EventCode.CLOCK_ADJUSTED_OLD_TIME)
            self.record(float(event.data["new"]), EventCode.CLOCK_ADJUSTED_NEW_TIME)
        elif (code := event_code(event)) is not None:
            self.record(event.t, code)

    def next_boundary(self, t: float) -> float | None:
        """The next summer-time change (logged as event 3)."""
        return self._next_dst

    def on_step(self, step: Step) -> None:
        """Log the regular summer-time change when a step ends on it."""
        if self._next_dst is not None and step.t1 >= self._next_dst:
            self.record(self._next_dst, EventCode.DAYLIGHT_SAVING_CHANGED)
            self._next_dst = self.meter.localtime.next_change(step.t1)

    def on_time_set(self, old: float, new: float) -> None:
        """A clock adjustment is no summer-time change; look for the next one from the new time."""
        self._next_dst = self.meter.localtime.next_change(new)

    def state(self) -> dict:
        """The last codes (rows live in their persisted logs)."""
        return {"last_code": dict(self.last_code), "next_dst": self._next_dst}

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        self.last_code.update({k: int(v) for k, v in state.get("last_code", {}).items()})
        self._next_dst = state.get("next_dst", self._next_dst)
