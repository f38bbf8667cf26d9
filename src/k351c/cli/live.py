"""The live terminal view started by `k351c serve`: the LCD and main readings, keys for the push button."""

from __future__ import annotations

import asyncio
import contextlib
import sys

from rich.console import Console
from rich.live import Live

from k351c.cli.view import meter_view
from k351c.meter.display import Display
from k351c.server.runtime import Runtime

PRESS_KEYS = {" ", "b", "B"}
TEST_KEYS = {"t", "T"}


async def live_view(runtime: Runtime) -> None:
    """Show the LCD and main readings, refreshed every tick, until the runtime stops."""
    console = Console(file=sys.stdout)
    if not console.is_terminal:
        return None
    live = Live(meter_view(runtime.meter), console=console, refresh_per_second=4)
    live.start()

    def refresh(meter) -> None:
        live.update(meter_view(meter))

    runtime.on_tick.append(refresh)
    restore = _read_keys(runtime, refresh)

    async def stop_when_done() -> None:
        await runtime.stopping.wait()
        restore()
        live.stop()

    asyncio.get_running_loop().create_task(stop_when_done())
    return None


def handle_key(runtime: Runtime, key: str) -> bool:
    """Act on one key: space/b presses the left push button, t starts the display test; True if used."""
    try:
        display = runtime.meter.function(Display)
    except KeyError:
        return False
    if key in PRESS_KEYS:
        runtime.sync()
        display.press()
        return True
    if key in TEST_KEYS:
        runtime.sync()
        display.display_test()
        return True
    return False


def _read_keys(runtime: Runtime, refresh):
    """Read single keys from stdin when it is a terminal; returns how to restore the terminal."""
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        return lambda: None
    try:
        import termios
        import tty
    except ImportError:  # pragma: no cover - not on POSIX
        return lambda: None
    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    loop = asyncio.get_running_loop()

    def on_key() -> None:
        key = stdin.read(1)
        if handle_key(runtime, key):
            refresh(runtime.meter)

    loop.add_reader(fd, on_key)

    def restore() -> None:
        with contextlib.suppress(Exception):
            loop.remove_reader(fd)
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    return restore
