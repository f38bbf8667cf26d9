"""The live terminal view started by `k351c serve` (refreshes with each tick)."""

from __future__ import annotations

import asyncio
import sys

from rich.console import Console
from rich.live import Live

from k351c.cli.view import readings_table
from k351c.server.runtime import Runtime


async def live_view(runtime: Runtime) -> None:
    """Show the main readings, refreshed every tick, until the runtime stops."""
    console = Console(file=sys.stdout)
    if not console.is_terminal:
        return None
    live = Live(readings_table(runtime.meter), console=console, refresh_per_second=2)
    live.start()

    def refresh(meter) -> None:
        live.update(readings_table(meter))

    runtime.on_tick.append(refresh)

    async def stop_when_done() -> None:
        await runtime.stopping.wait()
        live.stop()

    asyncio.get_running_loop().create_task(stop_when_done())
    return None
