"""Push: data-notification APDUs to a head-end over TCP (wrapper framing), with retries and a backlog.

Three push setups (class 40): on alarm (tamper, power failure and return, voltage quality, alarm
register), scheduled (daily, and at each debiting stop: the billing values), and the Consumer
Communication Channel (instantaneous values every 10 s of meter time). Each notification is built
after the meter step that triggered it, optionally general-glo-ciphered with the meter's keys, put
in a backlog persisted in the state directory, and delivered by one asyncio task with retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path

from k351c.axdr.cosem_datetime import CosemDateTime
from k351c.axdr.types import Data, DataType
from k351c.codes.server import ServerSettings
from k351c.cosem.model import Level, RequestContext
from k351c.cosem.push import ALARM_PUSH, CCC_PUSH, SCHEDULED_PUSH, PushSetup, push_setup_object
from k351c.meter.function import Event
from k351c.obis import Obis
from k351c.protocols.dlms.apdu import LongInvokeIdAndPriority
from k351c.protocols.dlms.apdu_misc import DataNotification
from k351c.protocols.dlms.security import CipherKind, SecurityControl, cipher_apdu
from k351c.protocols.wrapper import WrapperFrame
from k351c.server.keys import _write_json
from k351c.server.runtime import Runtime
from k351c.server.security import security_for

log = logging.getLogger("k351c.push")
_TASKS: set[asyncio.Task[None]] = set()  # running delivery loops (the loop keeps only weak references)

PUSH_FILE = "push.json"
ALARM_KINDS = frozenset({"alarm", "tamper", "power_down", "power_up", "voltage_quality"})
CCC_INTERVAL = 10.0
DAY = 86400.0
SERVER_SAP = 1
CONNECT_TIMEOUT = 3.0
CLOCK = (8, "0-0:1.0.0.255", 2)
SERIAL = (1, "0-0:96.1.0.255", 2)


def default_setups() -> dict[str, PushSetup]:
    """The three push setups with their object lists (destinations off)."""

    def own(obis: Obis) -> tuple[int, str, int]:
        return (40, str(obis), 1)

    energy = [(3, f"1-0:{c}.8.0.255", 2) for c in (1, 2, 3, 4)]
    instant = [(3, f"1-0:{c}.7.0.255", 2) for c in (1, 2, 3, 4, 32, 52, 72, 31, 51, 71, 14)]
    return {
        "alarm": PushSetup(
            "alarm",
            str(ALARM_PUSH),
            [own(ALARM_PUSH), SERIAL, CLOCK, (1, "0-0:97.98.0.255", 2), (1, "0-0:97.97.0.255", 2)],
        ),
        "scheduled": PushSetup(
            "scheduled",
            str(SCHEDULED_PUSH),
            [own(SCHEDULED_PUSH), SERIAL, CLOCK, (1, "0-0:0.1.0.255", 2), *energy],
        ),
        "ccc": PushSetup("ccc", str(CCC_PUSH), [own(CCC_PUSH), SERIAL, CLOCK, *instant], retries=0),
    }


@dataclass
class Pending:
    """One notification waiting for delivery."""

    setup: str
    destination: str
    frame: str
    attempts: int = 0
    due: float = 0.0


class PushService:
    """Builds notifications on events and schedules, keeps the backlog, delivers it."""

    def __init__(self, runtime: Runtime, state_dir: Path | None) -> None:
        self.runtime = runtime
        self.path = state_dir / PUSH_FILE if state_dir is not None else None
        self.setups = default_setups()
        self.backlog: list[Pending] = []
        self.invoke_id = 0
        self._triggers: set[str] = set()
        self.wake = asyncio.Event()
        self._load()
        self._apply_settings(runtime.settings)
        meter = runtime.meter
        self.last_ccc = meter.t
        self.last_day = meter.t // DAY
        for setup in self.setups.values():
            runtime.objects.add(push_setup_object(setup, lambda s: self.save(), self.trigger))

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        data = json.loads(self.path.read_text())
        for name, raw in data.get("setups", {}).items():
            if name in self.setups:
                self.setups[name] = PushSetup.from_dict(raw)
        self.backlog = [Pending(**p) for p in data.get("backlog", [])]
        self.invoke_id = int(data.get("invoke_id", 0))

    def _apply_settings(self, settings: ServerSettings) -> None:
        for name, setup in self.setups.items():
            destination = getattr(settings, f"{name}_push_destination")
            if destination is not None:
                setup.destination = destination
            ciphered = getattr(settings, f"{name}_push_ciphered")
            if ciphered is not None:
                setup.ciphered = ciphered

    def save(self) -> None:
        """Persist the setups and the backlog (before a notification is first sent)."""
        if self.path is None:
            return
        data = {
            "setups": {n: s.to_dict() for n, s in self.setups.items()},
            "backlog": [vars(p) for p in self.backlog],
            "invoke_id": self.invoke_id,
        }
        _write_json(self.path, data)

    # ---- triggers ----------------------------------------------------------------------------
    def trigger(self, setup: PushSetup) -> None:
        """Ask for a notification of ``setup`` after the current step (method 1 'push')."""
        self._triggers.add(setup.name)

    def on_event(self, event: Event) -> None:
        """Meter events: alarms go to the alarm push, debiting stops to the scheduled push."""
        if event.kind in ALARM_KINDS:
            self._triggers.add("alarm")
        elif event.kind == "debiting_stop":
            self._triggers.add("scheduled")

    def on_tick(self, meter) -> None:  # noqa: ANN001
        """After each meter tick: the daily and 10-second schedules, then the pending triggers."""
        if meter.t // DAY != self.last_day:
            self.last_day = meter.t // DAY
            self._triggers.add("scheduled")
        if meter.t - self.last_ccc >= CCC_INTERVAL:
            self.last_ccc = meter.t
            self._triggers.add("ccc")
        triggers, self._triggers = self._triggers, set()
        for name in sorted(triggers):
            setup = self.setups[name]
            if setup.destination:
                self.enqueue(setup)

    # ---- notifications -----------------------------------------------------------------------
    def notification(self, setup: PushSetup) -> bytes:
        """The data-notification APDU of ``setup`` now (general-glo-ciphered if configured)."""
        ctx = RequestContext(Level.MANAGEMENT, setup.client_sap)
        values = []
        for class_id, obis, attribute in setup.objects:
            value = self.runtime.objects.get(ctx, class_id, Obis.parse(obis).to_bytes(), attribute)
            values.append(value if isinstance(value, Data) else Data(DataType.NULL_DATA, None))
        self.invoke_id = (self.invoke_id + 1) & 0xFFFFFF
        stamp = CosemDateTime.from_datetime(self.runtime.meter.now)
        apdu = DataNotification(
            LongInvokeIdAndPriority(self.invoke_id), Data.structure(*values), stamp
        ).to_bytes()
        if not setup.ciphered:
            return apdu
        security = security_for(self.runtime)
        ek, ak = security.keys()
        control = SecurityControl(0, True, True)
        return cipher_apdu(
            apdu,
            CipherKind.GENERAL_GLOBAL,
            control,
            security.server_title,
            security.next_counter(),
            ek,
            ak,
        )

    def enqueue(self, setup: PushSetup) -> None:
        """Build a notification and put it in the persisted backlog."""
        frame = WrapperFrame(SERVER_SAP, setup.client_sap, self.notification(setup)).to_bytes()
        delay = random.uniform(0, setup.randomisation) if setup.randomisation else 0.0  # noqa: S311
        due = asyncio.get_running_loop().time() + delay
        self.backlog.append(Pending(setup.name, setup.destination, frame.hex(), 0, due))
        self.save()
        self.wake.set()

    # ---- delivery ----------------------------------------------------------------------------
    async def deliver_forever(self) -> None:
        """Send due notifications until the runtime stops; failures are retried, then dropped."""
        loop = asyncio.get_running_loop()
        for pending in self.backlog:
            pending.due = min(pending.due, loop.time())
        while not self.runtime.stopping.is_set():
            now = loop.time()
            for pending in [p for p in self.backlog if p.due <= now]:
                await self._attempt(pending, loop.time())
            self.wake.clear()
            due = [p.due for p in self.backlog]
            timeout = max(min(due) - loop.time(), 0.01) if due else 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), min(timeout, 1.0))

    async def _attempt(self, pending: Pending, now: float) -> None:
        setup = self.setups[pending.setup]
        if await send_frame(pending.destination, bytes.fromhex(pending.frame)):
            self.backlog.remove(pending)
        else:
            pending.attempts += 1
            if pending.attempts > setup.retries:
                log.warning(
                    "push %s to %s dropped after %d attempts",
                    setup.name,
                    pending.destination,
                    pending.attempts,
                )
                self.backlog.remove(pending)
            else:
                pending.due = now + setup.repetition_delay
        self.save()


async def send_frame(destination: str, frame: bytes) -> bool:
    """Open a TCP connection to "host:port", write the frame, close; False if it could not."""
    host, _, port = destination.rpartition(":")
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, int(port)), CONNECT_TIMEOUT
        )
    except (OSError, ValueError, TimeoutError) as exc:
        log.info("push to %s failed: %s", destination, exc)
        return False
    try:
        writer.write(frame)
        await writer.drain()
        return True
    except OSError:
        return False
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def push_listener(runtime: Runtime) -> None:
    """Start the push service of the runtime (no listening socket: it only connects out)."""
    state_dir = runtime.keys.path.parent if runtime.keys.path is not None else None
    service = PushService(runtime, state_dir)
    runtime.meter.subscribe(service.on_event)
    runtime.on_tick.append(service.on_tick)
    runtime.push = service
    task = asyncio.get_running_loop().create_task(service.deliver_forever())
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    return None
