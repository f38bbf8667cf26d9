"""Run one meter in asyncio: keep it advancing with its clock, host the listeners, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from k351c.codes.server import ServerSettings
from k351c.cosem import ObjectList, build_object_list
from k351c.meter.core import Meter
from k351c.server.keys import KeyStore

if TYPE_CHECKING:
    from k351c.server.bench import Bench
    from k351c.server.push import PushService
    from k351c.server.security import MeterSecurity

log = logging.getLogger("k351c.server")


class Listener(Protocol):
    """What a listener factory starts: a TCP server or a served serial line."""

    def close(self) -> None:
        """Stop accepting and serving."""

    async def wait_closed(self) -> None:
        """Wait until closed."""


ListenerFactory = Callable[["Runtime"], Awaitable[Listener | None]]


@dataclass
class Runtime:
    """The running meter and what serves it; listeners register themselves in ``servers``."""

    meter: Meter
    host: str = "127.0.0.1"
    tick: float = 1.0
    servers: list[Listener] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    on_tick: list[Callable[[Meter], None]] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    keys: KeyStore = field(default_factory=lambda: KeyStore(None, test_keys=True))
    settings: ServerSettings = field(default_factory=ServerSettings)
    _objects: ObjectList | None = None
    advance: Callable[[float], None] | None = None
    bench: Bench | None = None
    security: MeterSecurity | None = None  # HLS keys and policy, made once by security_for
    push: PushService | None = None  # set by the push listener

    def __post_init__(self) -> None:
        self.settings = ServerSettings.coerce(self.settings)

    @property
    def objects(self) -> ObjectList:
        """The COSEM object list of the meter (built once, shared by every listener)."""
        if self._objects is None:
            self._objects = build_object_list(self.meter, self.settings)
        return self._objects

    def sync(self) -> None:
        """Bring the meter up to its clock before answering a request (at most once per simulated second)."""
        if self.meter.clock.timestamp() - self.meter.true_t >= 1.0:
            self._advance()

    def _advance(self) -> None:
        target = self.meter.clock.timestamp()
        if self.advance is not None:
            self.advance(target)
        else:
            self.meter.advance_to(target)

    async def run(self, listeners: list[ListenerFactory]) -> None:
        """Start the listeners, tick the meter until stopped, then close everything and commit."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stopping.set)
        try:
            for factory in listeners:
                server = await factory(self)
                if server is not None:
                    self.servers.append(server)
            log.info("meter %s serving (%d listeners)", self.meter.config.serial, len(self.servers))
            while not self.stopping.is_set():
                self._tick()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), timeout=self.tick)
        finally:
            for server in self.servers:
                server.close()
            for server in self.servers:
                with contextlib.suppress(Exception):
                    await server.wait_closed()
            self._advance()
            self.meter.store.close()
            log.info("meter stopped; state committed")

    def _tick(self) -> None:
        try:
            self._advance()
        except Exception:  # keep measuring even if the store fails; the next tick retries
            log.exception("meter step failed; retrying at the next tick")
        for callback in self.on_tick:
            callback(self.meter)
