"""Run a meter's listeners in a background asyncio loop on free ports (shared by the server tests)."""

from __future__ import annotations

import asyncio
import socket
import threading

from k351c.server.runtime import Runtime


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningMeter:
    """A Runtime serving in a thread; stop() ends it and waits."""

    def __init__(self, runtime: Runtime, listeners) -> None:
        self.runtime = runtime
        self.meter = runtime.meter
        self.loop = asyncio.new_event_loop()
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

    def call(self, fn, *args):
        """Run fn in the server's loop thread (the meter is not thread-safe) and return its result."""
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(fn, *args), self.loop)
        return future.result(10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.runtime.stopping.set)
        self.thread.join(10)


async def _as_coroutine(fn, *args):
    return fn(*args)
