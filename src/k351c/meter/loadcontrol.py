"""Load control relays with DLMS disconnect-control semantics (interface class 70, Blue Book 4.5.8).

Each relay of a load control module (053 GSM8i/2x5A, 055, 058, 069) is one disconnect control
object: ``output_state`` (True = consumer connected), ``control_state`` (0 disconnected,
1 connected, 2 ready for reconnection) and ``control_mode`` (0..6), changed by the triggers of the
standard's state diagram. Relay 1 is 0-0:96.3.10.255, relay 2 0-1:96.3.10.255. Every change is
recorded in the disconnector control log 0-0:99.98.2.255 with the IDIS event codes 59..69.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from k351c.errors import AccessDenied, ConfigError
from k351c.meter.eventlog import RingLog
from k351c.meter.function import Event, MeterFunction, bound
from k351c.meter.objects import ProfileData, ValueDef
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.core import Meter

RELAY_OBIS = (Obis(0, 0, 96, 3, 10), Obis(0, 1, 96, 3, 10))
LOG_OBIS = Obis(0, 0, 99, 98, 2)
CODE_OBIS = Obis(0, 0, 96, 11, 2)
LOG_NAME = "eventlog.disconnector"
LOG_DEPTH = 100
CLOCK = "0-0:1.0.0.255"
RELAYS_OF_MODULE = {53: 2, 55: 1, 58: 1, 69: 2}
"""CCC -> number of relays of the fitted load control module."""


class ControlState(IntEnum):
    """control_state (attribute 3) of class 70."""

    DISCONNECTED = 0
    CONNECTED = 1
    READY_FOR_RECONNECTION = 2


class ControlMode(IntEnum):
    """control_mode (attribute 4) of class 70: which transitions are allowed."""

    NONE = 0
    MODE_1 = 1
    MODE_2 = 2
    MODE_3 = 3
    MODE_4 = 4
    MODE_5 = 5
    MODE_6 = 6


class Trigger(IntEnum):
    """What asks for a change; the value is the IDIS event code logged when it succeeds."""

    REMOTE_DISCONNECT = 62
    REMOTE_RECONNECT = 63
    MANUAL_DISCONNECT = 60
    MANUAL_RECONNECT = 61
    LOCAL_DISCONNECT = 64
    LOCAL_RECONNECT = 69


READY_CODE = 59
"""IDIS: disconnector ready for manual reconnection."""

_D, _C, _R = ControlState.DISCONNECTED, ControlState.CONNECTED, ControlState.READY_FOR_RECONNECTION
_T = Trigger

TRANSITIONS: dict[str, tuple[Trigger, ControlState, ControlState]] = {
    "a": (_T.REMOTE_RECONNECT, _D, _C),
    "b": (_T.REMOTE_DISCONNECT, _C, _D),
    "c": (_T.REMOTE_DISCONNECT, _R, _D),
    "d": (_T.REMOTE_RECONNECT, _D, _R),
    "e": (_T.MANUAL_RECONNECT, _R, _C),
    "f": (_T.MANUAL_DISCONNECT, _C, _R),
    "g": (_T.LOCAL_DISCONNECT, _C, _R),
    "h": (_T.LOCAL_RECONNECT, _R, _C),
}
"""The state diagram's transitions by their letter: (trigger, from, to)."""

MODES: dict[ControlMode, str] = {
    ControlMode.NONE: "",
    ControlMode.MODE_1: "bcfgde",
    ControlMode.MODE_2: "bcfgae",
    ControlMode.MODE_3: "bcgde",
    ControlMode.MODE_4: "bcgae",
    ControlMode.MODE_5: "bcfgdeh",
    ControlMode.MODE_6: "bcgdeh",
}
"""Allowed transitions per control mode (Blue Book table of class 70)."""


def next_state(mode: ControlMode, state: ControlState, trigger: Trigger) -> ControlState | None:
    """The state a trigger leads to under a control mode, or None when the mode forbids it."""
    for letter in MODES[mode]:
        wanted, source, target = TRANSITIONS[letter]
        if wanted is trigger and source is state:
            return target
    return None


def triggered(
    mode: ControlMode, state: ControlState, trigger: Trigger
) -> tuple[ControlState, int]:
    """The state a trigger leads to and the code it logs; AccessDenied when the mode forbids it."""
    new = next_state(mode, state, trigger)
    if new is None:
        raise AccessDenied(
            f"{trigger.name.lower()} is not allowed in {state.name.lower()} under control mode {int(mode)}"
        )
    ready = trigger is Trigger.REMOTE_RECONNECT and new is ControlState.READY_FOR_RECONNECTION
    return new, READY_CODE if ready else int(trigger)


def manual_trigger(state: ControlState) -> Trigger:
    """What the push button asks for: reconnection when ready, disconnection otherwise."""
    return Trigger.MANUAL_RECONNECT if state is ControlState.READY_FOR_RECONNECTION else Trigger.MANUAL_DISCONNECT


def checked_mode(mode: object) -> ControlMode:
    """A control_mode (0..6); ConfigError otherwise."""
    if mode not in ControlMode._value2member_map_:
        raise ConfigError("control_mode", mode, list(range(7)))
    return ControlMode(mode)  # type: ignore[arg-type]  # mode is one of its values, checked above


def relays_of(config) -> int:  # noqa: ANN001
    """Relays of a configuration: the load control module's, or those its I/O configuration drives."""
    names = {f.name for f in config.io_functions}
    if names & {"LOAD_CONTROL_2_OUT", "TOGGLE_LOAD_CONTROL_OUT"}:
        io = 2
    else:
        io = int(bool(names & {"LOAD_CONTROL_OUT", "LOAD_CONTROL_1_OUT", "LOAD_CONTROL_IN"}))
    return max(RELAYS_OF_MODULE.get(config.module_code, 0), io)


@dataclass
class Relay:
    """One disconnect control object's state."""

    state: ControlState = ControlState.CONNECTED
    mode: ControlMode = ControlMode.MODE_5

    @property
    def output_state(self) -> bool:
        """True when the consumer is connected."""
        return self.state is ControlState.CONNECTED


class LoadControl(MeterFunction):
    """The load control relays of the fitted module, driven remotely (DLMS), manually or locally."""

    name = "load_control"

    def __init__(self, relays: int | None = None, mode: ControlMode = ControlMode.MODE_5) -> None:
        self._count = relays
        self._mode = ControlMode(mode)
        self.relays: list[Relay] = []
        self.log = RingLog(LOG_NAME, LOG_DEPTH)
        self.last_code = 0

    def attach(self, meter: Meter) -> None:
        """Create the relays of the fitted module and register their objects and the log."""
        super().attach(meter)
        count = self._count
        if count is None:
            count = relays_of(meter.config)
        self.relays = [Relay(mode=self._mode) for _ in range(count)]
        self.log.load(meter)
        if self.log.rows:
            self.last_code = int(self.log.rows[-1][1])
        add = meter.objects.add
        for i, obis in enumerate(RELAY_OBIS[:count]):
            add(
                ValueDef(
                    obis,
                    70,
                    bound(lambda i: self.relays[i].output_state, i),
                    description=f"disconnect control, relay {i + 1} (class 70; output_state)",
                )
            )
        if count:
            add(
                ValueDef(
                    LOG_OBIS,
                    7,
                    lambda: ProfileData([CLOCK, str(CODE_OBIS)], self.log.local_rows(meter)),
                    description=f"disconnector control log, depth {LOG_DEPTH}",
                    capacity=lambda: LOG_DEPTH,
                )
            )
            add(
                ValueDef(
                    CODE_OBIS, 1, lambda: self.last_code, description="last disconnector event code"
                )
            )

    def relay(self, number: int) -> Relay:
        """Relay 1 or 2; ConfigError if the module has no such relay."""
        if not 1 <= number <= len(self.relays):
            raise ConfigError(
                "relay",
                number,
                list(range(1, len(self.relays) + 1)) or "none (no load control module)",
            )
        return self.relays[number - 1]

    def trigger(self, trigger: Trigger, relay: int = 1, source: str = "") -> ControlState:
        """Apply a trigger; AccessDenied when the control mode does not allow it from this state."""
        r = self.relay(relay)
        new, code = triggered(r.mode, r.state, trigger)
        old, r.state = r.state, new
        self._record(trigger, relay, old, new, source, code)
        return new

    def _record(
        self, trigger: Trigger, relay: int, old: ControlState, new: ControlState, source: str, code: int
    ) -> None:
        meter, t = self.meter, self.meter.t
        self.log.append(meter, t, (t, code))
        self.last_code = code
        data = {
            "relay": relay,
            "trigger": trigger.name.lower(),
            "old": int(old),
            "new": int(new),
            "output_state": new is ControlState.CONNECTED,
            "source": source,
        }
        meter.emit(Event(t, "disconnect_control", code=code, data=data))
        meter.commit()

    def remote_disconnect(self, relay: int = 1) -> ControlState:
        """Class 70 method 1."""
        return self.trigger(Trigger.REMOTE_DISCONNECT, relay, "remote")

    def remote_reconnect(self, relay: int = 1) -> ControlState:
        """Class 70 method 2 (to ready_for_reconnection or connected, by control mode)."""
        return self.trigger(Trigger.REMOTE_RECONNECT, relay, "remote")

    def manual(self, relay: int = 1) -> ControlState:
        """The push button: manual reconnection when ready, otherwise manual disconnection."""
        return self.trigger(manual_trigger(self.relay(relay).state), relay, "manual")

    def local(self, connect: bool, relay: int = 1, source: str = "local") -> ControlState | None:
        """A local trigger (module input, tariff sync, limiter); None when it is not allowed or not needed."""
        r = self.relay(relay)
        wanted = Trigger.LOCAL_RECONNECT if connect else Trigger.LOCAL_DISCONNECT
        if next_state(r.mode, r.state, wanted) is None:
            return None
        return self.trigger(wanted, relay, source)

    def set_mode(self, mode: int, relay: int = 1) -> None:
        """Write control_mode (attribute 4)."""
        checked = checked_mode(mode)
        r = self.relay(relay)
        r.mode = checked
        if r.mode is ControlMode.NONE and r.state is not ControlState.CONNECTED:
            old, r.state = r.state, ControlState.CONNECTED
            trigger = Trigger.MANUAL_RECONNECT
            self._record(trigger, relay, old, r.state, "mode 0", int(trigger))
        self.meter.commit()

    def state(self) -> dict:
        """Relay states and modes."""
        return {
            "relays": [[int(r.state), int(r.mode)] for r in self.relays],
            "last_code": self.last_code,
        }

    def restore(self, state: dict) -> None:
        """Load a state written by state()."""
        for relay, (st, mode) in zip(self.relays, state.get("relays", []), strict=False):
            relay.state, relay.mode = ControlState(st), ControlMode(mode)
        self.last_code = int(state.get("last_code", self.last_code))
