"""Push on every fleet meter: its push setups (as serve's), the event rule that triggers them, delivery.

Every meter has serve's three push setups (k351c.cosem.push.default_setups, with the [server]
settings' destinations applied as serve applies them). A meter's setups are the shared defaults until
one is written (its push setup objects work on a copy, kept from the first write); a meter whose
setups were written keeps them in
``STATE/meters/SERIAL/push.json`` (beside its security state), read back at start. The notification
invoke ids of all meters are one array saved in ``STATE/push-invoke.npy``.

Triggers: each event the fleet's event store (``fleet.events``) files for meter i raises the setup
serve's rule names (``PUSH_OF_CODE``: power down/up, tamper, voltage quality and alarm causes ->
alarm; end of billing period -> scheduled); the scheduled push also goes out at each new day and the
CCC push every 10 s, as serve's. A feeder outage is one case: every meter it takes down files power
down and power up, and each raises its alarm push (a push storm). Each notification is built by
serve's code (``notification_apdu``, ciphered with the meter's keys if its setup says so) from the
meter's own object list when its randomised delay has passed, and sent with ``send_frame``, retried
``retries`` times ``repetition_delay`` s apart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from k351c.codes.server import ServerSettings
from k351c.cosem.device import LogicalDevice
from k351c.cosem.push import PushSetup, default_setups
from k351c.meter.fleet import Fleet
from k351c.server.fleet_keys import meter_directory
from k351c.server.keys import _write_json
from k351c.server.push import (
    CCC_INTERVAL,
    DAY,
    PUSH_FILE,
    PUSH_OF_CODE,
    apply_settings,
    cipher_notification,
    notification_apdu,
    push_frame,
    send_frame,
)
from k351c.server.security import MeterSecurity

log = logging.getLogger("k351c.fleet.push")

INVOKE_FILE = "push-invoke.npy"
STORM_RANDOMISATION = 30  # s: the alarm push's randomisation when a fleet is given one push destination


@dataclass
class MeterPush:
    """One fleet meter's push setups (a ``PushPort``): written ones persist in the meter's directory."""

    owner: FleetPush
    i: int
    setups: dict[str, PushSetup]

    def changed(self, setup: PushSetup) -> None:
        """Persist this meter's setups (a push setup attribute was written)."""
        self.owner.save_meter(self)

    def trigger(self, setup: PushSetup) -> None:
        """Method 1 (push): a notification of ``setup`` now."""
        self.owner.raise_push(setup.name, np.array([self.i]))


class FleetPush:
    """The push setups, triggers and deliveries of a fleet's meters."""

    def __init__(
        self,
        fleet: Fleet,
        state: Path | None,
        settings: ServerSettings,
        objects: Callable[[int], LogicalDevice],
        security: Callable[[int], MeterSecurity],
        destination: str | None = None,
    ) -> None:
        self.fleet, self.state = fleet, state
        self.objects, self.security = objects, security
        self.defaults = default_setups()
        apply_settings(self.defaults, settings)
        if destination:
            self.defaults["alarm"].destination = destination
            self.defaults["alarm"].randomisation = STORM_RANDOMISATION
        self.meters: dict[int, MeterPush] = {}
        self.invoke = np.zeros(fleet.n, dtype=np.uint32)
        self.sent = 0
        self.last_day = fleet.t // DAY
        self.last_ccc = fleet.t
        self.cursor = fleet.events.seq  # events filed before the server started are not pushed
        self._tasks: set[asyncio.Task] = set()
        self._load()

    # ---- per-meter setups --------------------------------------------------------------------
    def _load(self) -> None:
        if self.state is None:
            return
        if (self.state / INVOKE_FILE).exists():
            saved = np.load(self.state / INVOKE_FILE)
            self.invoke[: min(saved.size, self.fleet.n)] = saved[: self.fleet.n]
        for path in sorted((self.state / "meters").glob(f"*/{PUSH_FILE}")):
            i = int(path.parent.name) - self.fleet.first_serial
            if 0 <= i < self.fleet.n and self.fleet.serial(i) == path.parent.name:
                raw = json.loads(path.read_text())["setups"]
                setups = {name: PushSetup.from_dict(raw[name]) for name in self.defaults}
                self.meters[i] = MeterPush(self, i, setups)

    def port(self, i: int) -> MeterPush:
        """Meter i's push keeper; a meter never written gets a copy of the defaults, kept once written
        (a push storm reads every meter's alarm setup and keeps nothing)."""
        found = self.meters.get(i)
        if found is None:
            setups = {n: dataclasses.replace(s, objects=list(s.objects)) for n, s in self.defaults.items()}
            found = MeterPush(self, i, setups)
        return found

    def setup(self, i: int, name: str) -> PushSetup:
        """Meter i's setup ``name`` as it is now (the defaults for a meter never asked)."""
        found = self.meters.get(i)
        return found.setups[name] if found is not None else self.defaults[name]

    def save_meter(self, meter: MeterPush) -> None:
        """Keep meter's written setups and write them into its directory (if the fleet has one)."""
        self.meters[meter.i] = meter
        directory = meter_directory(self.state, self.fleet.serial(meter.i))
        if directory is not None:
            data = {"setups": {n: s.to_dict() for n, s in meter.setups.items()}}
            _write_json(directory / PUSH_FILE, data, sync=False)

    def save(self) -> None:
        """Persist the invoke ids (setups are written when they change)."""
        if self.state is not None:
            self.state.mkdir(parents=True, exist_ok=True)
            np.save(self.state / INVOKE_FILE, self.invoke)

    # ---- triggers ----------------------------------------------------------------------------
    def on_code(self, code: int, meters: np.ndarray | None = None) -> None:
        """Meters (None = all) recorded event ``code``: the setup serve's rule names pushes."""
        name = PUSH_OF_CODE.get(int(code))
        if name is not None:
            self.raise_push(name, np.arange(self.fleet.n) if meters is None else meters)

    def on_tick(self) -> None:
        """After each fleet step: the events filed since the last step, then the daily scheduled push
        and the 10 s CCC push, as serve's."""
        t = self.fleet.t
        self.fleet.events.catch_up(t)
        events, self.cursor = self.fleet.events.since(self.cursor)
        for code, meters in events:
            self.on_code(code, meters)
        if t // DAY != self.last_day:
            self.last_day = t // DAY
            self.raise_push("scheduled", self._with_destination("scheduled"))
        if t - self.last_ccc >= CCC_INTERVAL:
            self.last_ccc = t
            self.raise_push("ccc", self._with_destination("ccc"))

    def _with_destination(self, name: str) -> np.ndarray:
        """Meters whose setup ``name`` has a destination (every meter when the default has one)."""
        own = {i: bool(m.setups[name].destination) for i, m in self.meters.items()}
        if self.defaults[name].destination:
            off = [i for i, on in own.items() if not on]
            return np.setdiff1d(np.arange(self.fleet.n), np.array(off, dtype=np.int64))
        return np.array(sorted(i for i, on in own.items() if on), dtype=np.int64)

    def raise_push(self, name: str, meters: Iterable[int] | np.ndarray) -> None:
        """Start the delivery of setup ``name`` of each of ``meters`` that has a destination."""
        chosen = [i for i in np.asarray(meters, dtype=np.int64).tolist() if self.setup(i, name).destination]
        loop = _running_loop()
        if loop is None:
            if chosen:
                log.info("no event loop: %d pushes of setup %s not sent", len(chosen), name)
            return
        for i in chosen:
            setup = self.setup(i, name)
            delay = random.uniform(0, setup.randomisation) if setup.randomisation else 0.0  # noqa: S311
            task = loop.create_task(self._deliver(i, setup, delay))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # ---- notifications -----------------------------------------------------------------------
    def notification(self, i: int, setup: PushSetup) -> bytes:
        """Meter i's data-notification of ``setup`` now, framed (ciphered if the setup says so)."""
        self.invoke[i] = (int(self.invoke[i]) + 1) & 0xFFFFFF
        device = self.objects(i)
        apdu = notification_apdu(device, setup, device.meter.now, int(self.invoke[i]))
        if setup.ciphered:
            apdu = cipher_notification(apdu, self.security(i))
        return push_frame(setup, apdu)

    async def _deliver(self, i: int, setup: PushSetup, delay: float) -> None:
        await asyncio.sleep(delay)
        frame = self.notification(i, setup)
        for attempt in range(setup.retries + 1):
            if await send_frame(setup.destination, frame):
                self.sent += 1
                return
            if attempt < setup.retries:
                await asyncio.sleep(setup.repetition_delay)
        log.warning("push %s of meter %d to %s dropped", setup.name, i, setup.destination)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None

