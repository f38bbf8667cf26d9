"""Serve a fleet over DLMS: a port per meter and/or shared ports routed by address, one tick for all meters.

Addressing (docs/fleet.md):
- wrapper, a port per meter: meter i listens on ``dlms_base_port + i`` (destination wPort 1 or 0x7F);
- HDLC, a port per meter: meter i on ``hdlc_base_port + i`` (physical address (serial mod 10000) + 1000);
- wrapper, one shared port: destination wPort ``i + 1`` selects meter i;
- HDLC, one shared port: the frame's lower server address (the physical address) selects the meter.

Connections run on the one transport layer (k351c.server.transport) with the DLMS sessions of
k351c.server.dlms_peers; endpoints come from ``k351c.server.dlms.dlms_endpoint`` like a served meter's.
The COSEM object list is assembled once per server as specs (k351c.cosem.device); the listener
resolves the meter from the request's address, and meter i's endpoint answers through its own
``LogicalDevice`` over ``MeterView(fleet, i)``, which builds an object the first time a request asks
for it (endpoints are kept in an LRU cache, with their counters).
Every meter offers public, reading (LLS) and management (HLS-GMAC) associations; its keys and counters
come from k351c.server.fleet_keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import resource
import secrets
from collections.abc import Callable
from functools import partial
from pathlib import Path

from k351c.clock import Clock
from k351c.codes.server import ServerSettings
from k351c.cosem.device import DeviceSpecs, LogicalDevice, object_specs, push_specs, security_specs
from k351c.errors import ConfigError
from k351c.meter.fleet import Fleet
from k351c.meter.fleet_view import MeterView, ViewCache
from k351c.server.bench import Bench
from k351c.server.dlms import HDLC_TICK, dlms_endpoint, own_route
from k351c.server.dlms_peers import HdlcPeer, WrapperPeer
from k351c.server.endpoint import DlmsEndpoint
from k351c.server.fleet_keys import FleetKeyStore, derive_keys, meter_directory
from k351c.server.fleet_push import FleetPush
from k351c.server.keys import MeterKeys, SecurityState
from k351c.server.ratelimit import RateLimiter, RatePolicy
from k351c.server.security import MeterSecurity, failure_reporter, system_title
from k351c.server.transport import ConnectionLimit, Link, SessionFactory, listen_tcp

log = logging.getLogger("k351c.fleet")

TEST_PASSWORD = "12345678"
STATE_FILE = "fleet.npz"
SECRET_FILE = "fleet-secret"
SPARE_DESCRIPTORS = 64


def raise_file_limit(needed: int) -> int:
    """Raise RLIMIT_NOFILE to the hard limit; ConfigError if ``needed`` descriptors still do not fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed + SPARE_DESCRIPTORS)
    if target > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if needed + SPARE_DESCRIPTORS > soft:
        raise ConfigError(
            "--meters",
            needed,
            f"at most {soft - SPARE_DESCRIPTORS} listening ports in one process "
            f"(open-file limit {soft}; raise it with `ulimit -Hn`, use --shared-port or --processes)",
        )
    return soft


class FleetPasswords:
    """LLS passwords per meter: the lab password with test keys, else an HMAC of the serial by a fleet secret."""

    def __init__(self, state: Path | None, test_keys: bool) -> None:
        self.secret: bytes | None = None
        if test_keys:
            return
        path = Path(state) / SECRET_FILE if state is not None else None
        if path is not None and path.exists():
            self.secret = bytes.fromhex(path.read_text().strip())
            return
        self.secret = secrets.token_bytes(32)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.secret.hex())
            path.chmod(0o600)

    def keys(self, serial: str) -> MeterKeys:
        """All keys of meter ``serial``: the lab keys, or derived from the fleet secret (server/fleet_keys.py)."""
        if self.secret is None:
            return MeterKeys.test()
        return derive_keys(self.secret, serial, self.password(serial))

    def password(self, serial: str) -> str:
        """The LLS password (8 digits) of the meter with this serial number."""
        if self.secret is None:
            return TEST_PASSWORD
        digest = hmac.new(self.secret, serial.encode(), hashlib.sha256).digest()
        return f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"


class FleetServer:
    """A fleet on asyncio: endpoints on demand, listeners, the tick that advances every meter, state saves."""

    def __init__(
        self,
        fleet: Fleet,
        clock: Clock,
        host: str = "127.0.0.1",
        *,
        dlms_base_port: int = 0,
        hdlc_base_port: int = 0,
        shared_port: int = 0,
        shared_hdlc_port: int = 0,
        state: Path | None = None,
        test_keys: bool = False,
        tick: float = 1.0,
        save_every: float = 300.0,
        cache: int = 256,
        push_destination: str | None = None,
        bench: Bench | None = None,
        first_index: int = 0,
        settings: ServerSettings | None = None,
    ) -> None:
        self.fleet, self.clock, self.host = fleet, clock, host
        self.bench, self.first_index = bench, first_index
        self.settings = fleet_settings(settings or ServerSettings(), fleet.n)
        self.ports = (dlms_base_port, hdlc_base_port, shared_port, shared_hdlc_port)
        self.state = Path(state) if state is not None else None
        self.passwords = FleetPasswords(self.state, test_keys)
        self.tick, self.save_every = tick, save_every
        self.views = ViewCache(fleet, cache, self._endpoint)
        self.securities: dict[int, MeterSecurity] = {}
        self.specs: DeviceSpecs | None = None
        self.servers: list[asyncio.AbstractServer] = []
        self.stopping = asyncio.Event()
        self.on_tick: list[Callable[[Fleet], None]] = []
        self.push = FleetPush(
            fleet, self.state, self.settings, self._device, self.security,
            push_destination,
        )
        self.by_physical = {
            self.settings.physical_address_for(fleet.serial(i)): i for i in range(min(fleet.n, 10000))
        }

    # ------------------------------------------------------------ endpoints
    def _bind(self) -> DeviceSpecs:
        """The fleet's one set of object specs (assembled once, at start), with each meter's security."""
        if self.specs is None:
            template = MeterView(self.fleet, 0)
            self.specs = DeviceSpecs([
                *object_specs(template, self.settings),
                *security_specs(lambda view: self.security(view.i)),
                *push_specs(lambda view: self.push.port(view.i)),
            ], template)
        return self.specs

    def security(self, i: int) -> MeterSecurity:
        """Meter i's security keeper (derived keys, its own persisted counters), built on first use."""
        found = self.securities.get(i)
        if found is None:
            serial = self.fleet.serial(i)
            directory = meter_directory(self.state, serial)
            limiter = RateLimiter(self.clock.timestamp, RatePolicy.from_settings(self.settings))
            limiter.on_failure = failure_reporter(
                lambda: self.fleet.rtc.meter_time(self.clock.timestamp()),
                lambda event: self.fleet.events.record_event(event, [i]),
            )
            found = self.securities[i] = MeterSecurity(
                FleetKeyStore(self.passwords.keys(serial), directory),
                SecurityState(directory, policy=self.settings.security_policy),
                system_title(serial),
                limiter,
            )
        return found

    def _endpoint(self, i: int) -> DlmsEndpoint:
        serial = self.fleet.serial(i)
        password = self.passwords.password(serial)
        return dlms_endpoint(
            LogicalDevice(self._bind(), MeterView(self.fleet, i)),
            serial,
            lambda: password,
            lambda: self.security(i),
            self.settings,
            sync=self.sync,
            bench=self.bench,
            meter=self.first_index + i,
        )

    def _device(self, i: int) -> LogicalDevice:
        """Meter i's object list: its endpoint's if kept, else one for this use over a lazy view, which
        makes only the values a notification names (a push storm keeps the head-ends' endpoints in
        the cache)."""
        kept = self.views.peek(i)
        if kept is not None:
            assert isinstance(kept.objects, LogicalDevice)
            return kept.objects
        return LogicalDevice(self._bind(), MeterView(self.fleet, i, lazy=True))

    def endpoint(self, i: int) -> DlmsEndpoint:
        """The DLMS endpoint of meter i (built on demand, LRU-cached)."""
        return self.views.get(i)

    def sync(self) -> None:
        """Bring every meter up to the clock (whole intervals; the running one is added on read)."""
        self.fleet.advance_to(self.clock.timestamp())

    def _route_shared(self, destination: int) -> DlmsEndpoint | None:
        return self.endpoint(destination - 1) if 1 <= destination <= self.fleet.n else None

    def _by_address(self, physical: int) -> DlmsEndpoint | None:
        i = self.by_physical.get(physical)
        return self.endpoint(i) if i is not None else None

    def _own_wrapper(self, i: int, link: Link) -> WrapperPeer:
        return WrapperPeer(own_route(self.endpoint(i)))

    def _own_hdlc(self, i: int, link: Link) -> HdlcPeer:
        return HdlcPeer([self.endpoint(i)])

    def _shared_wrapper(self, link: Link) -> WrapperPeer:
        return WrapperPeer(self._route_shared)

    def _shared_hdlc(self, link: Link) -> HdlcPeer:
        return HdlcPeer(route=self._by_address)

    # ------------------------------------------------------------ listeners
    async def start(self) -> None:
        """Open every listener; ConfigError naming the port when one cannot be opened."""
        dlms, hdlc, shared, shared_hdlc = self.ports
        per_meter = int(bool(dlms)) + int(bool(hdlc))
        raise_file_limit(per_meter * self.fleet.n + 2)
        self._bind()
        for i in range(self.fleet.n):
            if dlms:
                await self._listen(partial(self._own_wrapper, i), dlms + i, "wrapper", i)
            if hdlc:
                await self._listen(partial(self._own_hdlc, i), hdlc + i, "hdlc", i)
        if shared:
            await self._listen(self._shared_wrapper, shared, "wrapper")
        if shared_hdlc:
            await self._listen(self._shared_hdlc, shared_hdlc, "hdlc")
        log.info("fleet of %d meters serving on %d listeners", self.fleet.n, len(self.servers))

    async def _listen(
        self, factory: SessionFactory, port: int, kind: str, meter: int | None = None
    ) -> None:
        """Serve ``factory``'s sessions on ``port`` with the settings' idle time-out, through the bench's tap.

        A meter's own port admits ``max_connections`` at a time; a shared port is a gateway to every
        meter of the fleet and admits ``max_connections`` per meter.
        """
        settings = self.settings
        per_port = settings.max_connections * (1 if meter is not None else self.fleet.n)
        what = f"fleet {kind} port {port}"
        tap = None
        if self.bench is not None:
            tap = self.bench.tap(f"{kind}:{port}", kind, None if meter is None else self.first_index + meter)
        server = await listen_tcp(
            factory,
            what,
            self.host,
            port,
            idle_timeout=settings.tcp_inactivity if kind == "wrapper" else settings.hdlc_inactivity,
            limit=ConnectionLimit(per_port, what),
            tick=HDLC_TICK if kind == "hdlc" else None,
            tap=tap,
            backlog=16,
        )
        self.servers.append(server)

    # ----------------------------------------------------------------- run
    async def run(self) -> None:
        """Serve until stopped: tick every ``tick`` s, save the state every ``save_every`` s and at the end."""
        loop = asyncio.get_running_loop()
        try:
            await self.start()
            last_save = loop.time()
            while not self.stopping.is_set():
                self.step()
                if self.state is not None and loop.time() - last_save >= self.save_every:
                    self.save()
                    last_save = loop.time()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), timeout=self.tick)
        finally:
            for server in self.servers:
                server.close()
            self.sync()
            if self.state is not None:
                self.save()
            log.info("fleet stopped; state saved")

    def step(self) -> None:
        """One tick: advance the fleet, raise the pushes of its events (an outage: a push storm), run callbacks."""
        self.sync()
        self.push.on_tick()
        for callback in self.on_tick:
            callback(self.fleet)
        for security in self.securities.values():
            security.flush()

    def save(self) -> None:
        """Write the fleet state (atomic replace) and the meters' client counters into the state directory."""
        assert self.state is not None
        self.fleet.save(self.state / STATE_FILE)
        self.push.save()
        for security in self.securities.values():
            security.flush()

    @property
    def pushes_sent(self) -> int:
        """Notifications delivered so far."""
        return self.push.sent


def fleet_settings(settings: ServerSettings, meters: int) -> ServerSettings:
    """The [server] settings a fleet runs with; one fixed physical address cannot serve many meters."""
    if settings.physical_address is not None and meters > 1:
        raise ConfigError(
            "server.physical_address",
            settings.physical_address,
            "unset in a fleet: meter i answers at (its serial mod 10000) + 1000",
        )
    return settings

