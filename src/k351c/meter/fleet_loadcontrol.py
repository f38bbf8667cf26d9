"""Load control relays over a fleet's arrays: each meter's disconnect control objects and log, no twin.

The transitions are the single meter's (k351c.meter.loadcontrol: ``triggered``, ``manual_trigger``,
``checked_mode``, the class 70 state diagram); a fleet meter's relays are rows of ``state`` and
``mode``, its disconnector control log 0-0:99.98.2 rows of ``log`` (instant, meter, code) with the
single meter's depth. ``control(i)`` is meter i's relays with the interface the class 70 objects
(k351c.cosem.disconnect) and the I/O module use. Relays a tariff-sync output drives switch with the
tariff over time; a fleet with such a configuration leaves its relays to the twin (``supported``).
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from k351c.meter.eventlog import CLOCK
from k351c.meter.fleet_function import FleetFunction
from k351c.meter.io import TARIFF_SYNC
from k351c.meter.loadcontrol import (
    CODE_OBIS,
    LOG_DEPTH,
    LOG_OBIS,
    RELAY_OBIS,
    ControlMode,
    ControlState,
    Trigger,
    checked_mode,
    manual_trigger,
    next_state,
    relays_of,
    triggered,
)
from k351c.meter.objects import ProfileData

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet
    from k351c.meter.fleet_view import MeterView


class FleetLoadControl(FleetFunction):
    """Every meter's relays (state, control mode) and disconnector control log as arrays."""

    name = "load_control"

    def __init__(self, fleet: Fleet) -> None:
        super().__init__(fleet)
        config, n = fleet.config, fleet.n
        self.count = relays_of(config)
        self.supported = not any(f in TARIFF_SYNC for f in config.io_functions)
        self.state = np.full((n, self.count), int(ControlState.CONNECTED), dtype=np.int8)
        self.mode = np.full((n, self.count), int(ControlMode.MODE_5), dtype=np.int8)
        self.last_code = np.zeros(n, dtype=np.int64)
        self.changes = np.zeros(n, dtype=np.int64)  # state changes recorded (the toggle output's parity)
        self.log = np.empty((0, 3))  # (meter time, meter, code), in the order recorded

    def control(self, i: int) -> MeterRelays:
        """Meter i's relays."""
        return MeterRelays(self, i)

    def trigger(self, i: int, trigger: Trigger, relay: int = 1) -> ControlState:
        """Apply a trigger to meter i's relay; AccessDenied when its control mode does not allow it."""
        column = self.control(i).checked(relay)
        new, code = triggered(
            ControlMode(int(self.mode[i, column])), ControlState(int(self.state[i, column])), trigger
        )
        self.state[i, column] = int(new)
        self._record(i, code)
        return new

    def local(self, i: int, connect: bool, relay: int = 1) -> ControlState | None:
        """A local trigger (a module input); None when the control mode does not allow it now."""
        column = self.control(i).checked(relay)
        wanted = Trigger.LOCAL_RECONNECT if connect else Trigger.LOCAL_DISCONNECT
        state = ControlState(int(self.state[i, column]))
        if next_state(ControlMode(int(self.mode[i, column])), state, wanted) is None:
            return None
        return self.trigger(i, wanted, relay)

    def set_mode(self, i: int, mode: object, relay: int = 1) -> None:
        """Write meter i's control_mode; mode 0 connects a relay that is not (logged as 61)."""
        checked = checked_mode(mode)
        column = self.control(i).checked(relay)
        self.mode[i, column] = int(checked)
        if checked is ControlMode.NONE and self.state[i, column] != ControlState.CONNECTED:
            self.state[i, column] = int(ControlState.CONNECTED)
            self._record(i, int(Trigger.MANUAL_RECONNECT))

    def _record(self, i: int, code: int) -> None:
        fleet = self.fleet
        self.log = np.concatenate([self.log, [[fleet.rtc.meter_time(fleet.t), i, code]]])
        self.last_code[i] = code
        self.changes[i] += 1

    def rows(self, i: int) -> list[tuple[float, int]]:
        """Meter i's disconnector control log: (meter time, code), oldest first, at most its depth."""
        mine = self.log[self.log[:, 1] == i]
        return [(float(t), int(code)) for t, _, code in mine[-LOG_DEPTH:]]

    def arrays(self) -> dict[str, np.ndarray]:
        """Relay states and modes, last codes, change counts and the log."""
        return {
            "state": self.state,
            "mode": self.mode,
            "last_code": self.last_code,
            "changes": self.changes,
            "log": self.log,
        }

    def restore(self, arrays: dict[str, np.ndarray], t: float) -> None:
        """Load arrays written by ``arrays``."""
        self.state = np.asarray(arrays["state"], dtype=np.int8).copy()
        self.mode = np.asarray(arrays["mode"], dtype=np.int8).copy()
        self.last_code = np.asarray(arrays["last_code"], dtype=np.int64).copy()
        self.changes = np.asarray(arrays["changes"], dtype=np.int64).copy()
        self.log = np.asarray(arrays["log"], dtype=np.float64).reshape(-1, 3).copy()


@dataclasses.dataclass(frozen=True)
class RelayView:
    """One relay of one fleet meter as the class 70 object reads it."""

    state: ControlState
    mode: ControlMode

    @property
    def output_state(self) -> bool:
        """True when the consumer is connected."""
        return self.state is ControlState.CONNECTED


class MeterRelays:
    """Meter i's relays with ``LoadControl``'s interface (relay, methods, control mode)."""

    def __init__(self, control: FleetLoadControl, i: int) -> None:
        self.control, self.i = control, i

    def checked(self, number: int) -> int:
        """The column of relay ``number``; ConfigError as ``LoadControl.relay``."""
        from k351c.errors import ConfigError

        if not 1 <= number <= self.control.count:
            raise ConfigError(
                "relay", number, list(range(1, self.control.count + 1)) or "none (no load control module)"
            )
        return number - 1

    @property
    def relays(self) -> list[RelayView]:
        """Every relay now."""
        return [self.relay(k + 1) for k in range(self.control.count)]

    def relay(self, number: int) -> RelayView:
        """Relay 1 or 2 now."""
        column, c = self.checked(number), self.control
        return RelayView(ControlState(int(c.state[self.i, column])), ControlMode(int(c.mode[self.i, column])))

    def remote_disconnect(self, relay: int = 1) -> ControlState:
        """Class 70 method 1."""
        return self.control.trigger(self.i, Trigger.REMOTE_DISCONNECT, relay)

    def remote_reconnect(self, relay: int = 1) -> ControlState:
        """Class 70 method 2."""
        return self.control.trigger(self.i, Trigger.REMOTE_RECONNECT, relay)

    def manual(self, relay: int = 1) -> ControlState:
        """The push button."""
        return self.control.trigger(self.i, manual_trigger(self.relay(relay).state), relay)

    def set_mode(self, mode: int, relay: int = 1) -> None:
        """Write control_mode (attribute 4)."""
        self.control.set_mode(self.i, mode, relay)


def add_load_control_values(view: MeterView) -> None:
    """Add meter ``view.i``'s relays (output_state), disconnector control log and last code, from the arrays."""
    control, template = view.fleet.load_control, view.fleet.twins.template()
    if not control.count or not control.supported:
        return
    relays = MeterRelays(control, view.i)
    for number, obis in enumerate(RELAY_OBIS[: control.count], 1):
        relay = template.get(obis)
        if relay is not None:
            view.objects.add(dataclasses.replace(relay, get=partial(_output_state, relays, number)))
    log, code = template.get(LOG_OBIS), template.get(CODE_OBIS)
    to_local = view.localtime.to_local

    def rows() -> ProfileData:
        return ProfileData([CLOCK, str(CODE_OBIS)], [(to_local(t), c) for t, c in control.rows(view.i)])

    if log is not None:
        view.objects.add(dataclasses.replace(log, get=rows))
    if code is not None:
        view.objects.add(dataclasses.replace(code, get=lambda: int(control.last_code[view.i])))


def _output_state(relays: MeterRelays, number: int) -> bool:
    """Relay ``number``'s output_state now (True: the consumer is connected)."""
    return relays.relay(number).output_state
