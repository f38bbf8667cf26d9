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
from datetime import datetime
from pathlib import Path

from k351c.axdr.cosem_datetime import CosemDateTime
from k351c.axdr.types import Data, DataType
from k351c.codes.server import ServerSettings
from k351c.cosem.device import push_specs
from k351c.cosem.model import Level, ObjectList, RequestContext
from k351c.cosem.push import PushSetup, default_setups
from k351c.meter.eventlog import KIND_CODES, EventCode
from k351c.meter.function import Event
from k351c.meter.quality_rule import END_CODE, START_CODE
from k351c.meter.tamper import ALARM_OF_CODE, SOURCES
from k351c.obis import Obis
from k351c.protocols.dlms.apdu import LongInvokeIdAndPriority
from k351c.protocols.dlms.apdu_misc import DataNotification
from k351c.protocols.dlms.security import CipherKind, SecurityControl, cipher_apdu
from k351c.protocols.wrapper import WrapperFrame
from k351c.server.keys import _write_json
from k351c.server.runtime import Runtime
from k351c.server.security import MeterSecurity, security_for

log = logging.getLogger("k351c.push")
_TASKS: set[asyncio.Task[None]] = set()  # running delivery loops (the loop keeps only weak references)

PUSH_FILE = "push.json"
CCC_INTERVAL = 10.0
DAY = 86400.0
SERVER_SAP = 1
CONNECT_TIMEOUT = 3.0


def _alarm_codes() -> frozenset[int]:
    """Event codes that raise the alarm push: power down/up, tamper, voltage quality, alarm-register causes."""
    quality = {int(c) + p for c in (*START_CODE.values(), *END_CODE.values()) for p in range(3)}
    tamper = {int(c) for start, end, _, _ in SOURCES.values() for c in (start, end)}
    power = {int(EventCode.POWER_DOWN), int(EventCode.POWER_UP)}
    return frozenset(quality | tamper | power | {int(c) for c in ALARM_OF_CODE})


PUSH_OF_CODE: dict[int, str] = {
    **dict.fromkeys(_alarm_codes(), "alarm"),
    int(EventCode.END_OF_BILLING_PERIOD): "scheduled",
}
"""The push setup an event code triggers (serve's meters and every fleet meter, one rule)."""


def event_code(event: Event) -> int:
    """An event's code, or the code its log files it under (a debiting stop: 232)."""
    return event.code or int(KIND_CODES.get(event.kind, 0))


def notification_apdu(
    objects: ObjectList, setup: PushSetup, now: datetime, invoke_id: int
) -> bytes:
    """The data-notification APDU of ``setup``: its objects' values read from ``objects`` now."""
    ctx = RequestContext(Level.MANAGEMENT, setup.client_sap)
    values = []
    for class_id, obis, attribute in setup.objects:
        value = objects.get(ctx, class_id, Obis.parse(obis).to_bytes(), attribute)
        values.append(value if isinstance(value, Data) else Data(DataType.NULL_DATA, None))
    stamp = CosemDateTime.from_datetime(now)
    return DataNotification(
        LongInvokeIdAndPriority(invoke_id), Data.structure(*values), stamp
    ).to_bytes()


def cipher_notification(apdu: bytes, security: MeterSecurity) -> bytes:
    """``apdu`` general-glo-ciphered (authenticated and encrypted) with the meter's keys and counter."""
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


def apply_settings(setups: dict[str, PushSetup], settings: ServerSettings) -> None:
    """The [server] settings' push destinations and protection, where set, over ``setups``."""
    for name, setup in setups.items():
        destination = getattr(settings, f"{name}_push_destination")
        if destination is not None:
            setup.destination = destination
        ciphered = getattr(settings, f"{name}_push_ciphered")
        if ciphered is not None:
            setup.ciphered = ciphered


def push_frame(setup: PushSetup, apdu: bytes) -> bytes:
    """The wrapper frame that carries a notification of ``setup`` to its head-end."""
    return WrapperFrame(SERVER_SAP, setup.client_sap, apdu).to_bytes()


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
        apply_settings(self.setups, runtime.settings)
        meter = runtime.meter
        self.last_ccc = meter.t
        self.last_day = meter.t // DAY
        for spec in push_specs(lambda meter: self):
            runtime.objects.add(spec.build(meter, runtime.objects))

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        data = json.loads(self.path.read_text())
        for name, raw in data.get("setups", {}).items():
            if name in self.setups:
                self.setups[name] = PushSetup.from_dict(raw)
        self.backlog = [Pending(**p) for p in data.get("backlog", [])]
        self.invoke_id = int(data.get("invoke_id", 0))

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

    def changed(self, setup: PushSetup) -> None:
        """A setup was written: persist it."""
        self.save()

    # ---- triggers ----------------------------------------------------------------------------
    def trigger(self, setup: PushSetup) -> None:
        """Ask for a notification of ``setup`` after the current step (method 1 'push')."""
        self._triggers.add(setup.name)

    def on_event(self, event: Event) -> None:
        """Meter events: alarms go to the alarm push, debiting stops to the scheduled push (PUSH_OF_CODE)."""
        name = PUSH_OF_CODE.get(event_code(event))
        if name is not None:
            self._triggers.add(name)

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
        self.invoke_id = (self.invoke_id + 1) & 0xFFFFFF
        apdu = notification_apdu(self.runtime.objects, setup, self.runtime.meter.now, self.invoke_id)
        return cipher_notification(apdu, security_for(self.runtime)) if setup.ciphered else apdu

    def enqueue(self, setup: PushSetup) -> None:
        """Build a notification and put it in the persisted backlog."""
        frame = push_frame(setup, self.notification(setup))
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
