"""Helpers shared by the whole suite (tests/ is on sys.path through tests/conftest.py)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time

import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime


def unprivileged(argv: list[str]) -> list[str]:
    """argv run without root's privileges: as root, through setpriv with every capability dropped.

    Root bypasses directory permissions (CAP_DAC_OVERRIDE); with an empty bounding set the same uid
    is held to the mode bits like any user, and can still run the interpreter under /root.
    """
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv (util-linux) is missing")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", *argv]


START = "2026-03-01T00:00:00Z"
LISTENER_PORTS = {
    "wrapper_listener": "dlms_port",
    "hdlc_listener": "hdlc_port",
    "sms_listener": "sms_port",
}


def make_meter(
    days: float = 0.0,
    start: str = START,
    load: object | None = None,
    config: MeterConfig | None = None,
    store: object | None = None,
    **codes: str,
) -> Meter:
    """A meter on a frozen simulated clock, run ``days`` under ``load`` (default 5/4/3 A, 10/20/30 deg)."""
    config = config or (MeterConfig.from_codes(**codes) if codes else MeterConfig.default())
    meter = Meter(config, clock=SimClock(start, rate=0), **({"store": store} if store else {}))
    meter.set_load(load or ConstantLoad(current=(5.0, 4.0, 3.0), angle=(10.0, 20.0, 30.0)))
    if days:
        meter.run_for(days * 86400)
    return meter


def bound_socket(host: str = "127.0.0.1") -> socket.socket:
    """A listening TCP socket on a port the kernel chose (bind to 0): nobody else can take it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def refusing_socket(host: str = "127.0.0.1") -> socket.socket:
    """A TCP socket bound to a port the kernel chose and not listening: connections are refused.

    The port stays reserved while the socket is open; ``sock.listen()`` turns it into a server.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    return sock


class PreboundLoop(asyncio.SelectorEventLoop):
    """An event loop whose create_server serves an already bound socket when asked for its port.

    The listeners are the production ones (``create_server(host, port)``); the port they read from
    the settings is one this test process bound to 0 and still holds, so there is no window in which
    another process can take it (the race of "find a free port, close it, bind it again").
    """

    def __init__(self, sockets: dict[int, socket.socket]) -> None:
        super().__init__()
        self._sockets = sockets

    async def create_server(self, protocol_factory, host=None, port=None, **kwargs):  # noqa: ANN001
        sock = self._sockets.pop(port, None) if port else None
        if sock is None:
            return await super().create_server(protocol_factory, host, port, **kwargs)
        kwargs.pop("reuse_address", None)
        kwargs.pop("reuse_port", None)
        return await super().create_server(protocol_factory, sock=sock, **kwargs)


class ServedMeter:
    """A Runtime serving its listeners in a background asyncio loop; stop() ends it.

    Every port setting a listener needs (dlms_port, hdlc_port, ...) that is not given is bound to
    port 0 before the start and written back into ``runtime.settings``, so the COSEM objects that
    show the port (TCP-UDP setup) and the test both see the port actually served.
    """

    def __init__(
        self,
        runtime: Runtime,
        listeners: list,
        ports: tuple[str, ...] = (),
        sockets: dict[int, socket.socket] | None = None,
    ) -> None:
        """``sockets``: more bound sockets by port, for listeners given their port directly."""
        self.runtime = runtime
        self.meter = runtime.meter
        wanted = [LISTENER_PORTS[f.__name__] for f in listeners if f.__name__ in LISTENER_PORTS]
        sockets = dict(sockets or {})
        bound = {}
        for key in dict.fromkeys([*wanted, *ports]):
            if key not in runtime.settings.model_fields_set or not getattr(runtime.settings, key):
                sock = bound_socket(runtime.host)
                bound[key] = sock.getsockname()[1]
                sockets[bound[key]] = sock
        runtime.settings = runtime.settings.with_flags(bound)  # a frozen ServerSettings, re-validated
        self.settings = runtime.settings
        self._unused = sockets  # the loop takes each socket a listener asks for out of this dict
        self.loop = PreboundLoop(sockets)
        self.thread = threading.Thread(target=self._run, args=(listeners,), daemon=True)
        self.ready = threading.Event()
        self.thread.start()
        assert self.ready.wait(10), "listeners did not start"

    def _run(self, listeners) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self.runtime.stopping = asyncio.Event()
            self.runtime.on_tick.append(lambda meter: self.ready.set())
            await self.runtime.run(listeners)

        self.loop.run_until_complete(main())

    def port(self, key: str = "dlms_port") -> int:
        """The port served for a setting (bound by this harness or given by the test)."""
        return int(getattr(self.settings, key))

    def call(self, fn, *args):  # noqa: ANN001
        """Run fn in the server's loop thread (the meter is not thread-safe) and return its result."""
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(fn, *args), self.loop)
        return future.result(10)

    def stop(self) -> None:
        """Stop the runtime, wait for its thread and close any socket no listener took."""
        self.loop.call_soon_threadsafe(self.runtime.stopping.set)
        self.thread.join(10)
        for sock in self._unused.values():
            sock.close()


async def _as_coroutine(fn, *args):  # noqa: ANN001
    return fn(*args)


def serve(
    meter: Meter | None = None,
    listeners: list | None = None,
    tick: float = 0.2,
    sockets: dict[int, socket.socket] | None = None,
    **settings,
) -> ServedMeter:
    """A meter (default: make_meter(days=1/24)) served with test keys on ports bound to 0."""
    from k351c.server.dlms import hdlc_listener, wrapper_listener

    meter = meter or make_meter(days=1 / 24)
    runtime = Runtime(meter, keys=KeyStore(None, test_keys=True), settings=settings, tick=tick)
    return ServedMeter(runtime, listeners or [wrapper_listener, hdlc_listener], sockets=sockets)


def bound_block(count: int, host: str = "127.0.0.1", first: int = 20000) -> dict[int, socket.socket]:
    """``count`` sockets bound to consecutive ports (for fleets: meter i on base + i), held open.

    Hand them to a PreboundLoop: the fleet's listeners then serve these very sockets, so no other
    process can take a port between the search and the start.
    """
    for base in range(first, 65536 - count, count + 1000):
        block: dict[int, socket.socket] = {}
        try:
            for port in range(base, base + count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                block[port] = sock
                sock.bind((host, port))
            return block
        except OSError:
            for sock in block.values():
                sock.close()
    raise RuntimeError(f"no block of {count} free ports")


def free_base(count: int, first: int, step: int, reuse_address: bool = False) -> int:
    """A base port with ``count`` consecutive ports free right now (bound and released at once).

    The search runs from ``first`` in strides of ``step``; each xdist worker starts half a stride
    further on, so parallel workers search apart.
    """
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    for base in range(first + step // 2 * worker, 65536 - count, step):
        socks: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                socks.append(sock)
                if reuse_address:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError(f"no block of {count} free ports")


class ServedFleet:
    """A FleetServer in a background PreboundLoop; stop() ends it and closes unused sockets."""

    def __init__(self, server, sockets: dict[int, socket.socket] | None = None) -> None:  # noqa: ANN001
        self.server = server
        self._unused = dict(sockets or {})
        self.loop = PreboundLoop(self._unused)
        self.started = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.started.wait(60), "fleet did not start"
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self.server.stopping = asyncio.Event()
            self.server.on_tick.append(lambda fleet: self.started.set())
            await self.server.run()

        try:
            self.loop.run_until_complete(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self.error = exc
            self.started.set()

    def stop(self) -> None:
        """Stop serving, wait for the loop thread, close any socket no listener took."""
        self.loop.call_soon_threadsafe(self.server.stopping.set)
        self.thread.join(30)
        for sock in self._unused.values():
            sock.close()


class HeadEnd:
    """A TCP listener that collects whole wrapper frames."""

    def __init__(self, sock: socket.socket | None = None) -> None:
        """Listen on a new port, or start listening on ``sock`` (bound earlier, refusing until now)."""
        self.sock = sock or socket.create_server(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.frames: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            data = b""
            with conn:
                while chunk := conn.recv(65536):
                    data += chunk
            while len(data) >= 8:
                size = 8 + int.from_bytes(data[6:8], "big")
                self.frames.append(data[:size])
                data = data[size:]

    def wait(self, count: int, timeout: float = 5.0) -> list[bytes]:
        end = time.monotonic() + timeout
        while len(self.frames) < count and time.monotonic() < end:
            time.sleep(0.02)
        return self.frames

    def close(self) -> None:
        self.sock.close()


def decode_notification(frame: bytes, ciphered: bool = False):  # noqa: ANN201 - a gurux GXReplyData
    """Decode a wrapper-framed data-notification with gurux's independent parser (lab keys if ciphered)."""
    from gurux_dlms import GXByteBuffer, GXReplyData
    from gurux_dlms.enums import InterfaceType
    from gurux_dlms.GXDLMSNotify import GXDLMSNotify
    from gurux_dlms.secure.GXDLMSSecureNotify import GXDLMSSecureNotify

    from k351c.server.keys import TEST_KEYS

    if ciphered:
        notify = GXDLMSSecureNotify(True, 1, 102, InterfaceType.WRAPPER)
        notify.ciphering.blockCipherKey = bytes.fromhex(TEST_KEYS["encryption_key"])
        notify.ciphering.authenticationKey = bytes.fromhex(TEST_KEYS["authentication_key"])
    else:
        notify = GXDLMSNotify(True, 1, 102, InterfaceType.WRAPPER)
    reply = GXReplyData()
    assert notify.getData(GXByteBuffer(frame), reply)
    return reply
