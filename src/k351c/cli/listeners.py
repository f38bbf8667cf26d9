"""Which listeners `k351c serve` starts, from its options (each protocol adds its factory here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from k351c.server.runtime import ListenerFactory


@dataclass(frozen=True)
class ListenerOptions:
    """Ports and switches of `k351c serve` (0 = off)."""

    host: str = "127.0.0.1"
    dlms_port: int = 4059
    hdlc_port: int = 4060
    optical_port: int = 4062
    mbus_port: int = 4063
    web_port: int = 8351
    serial: str | None = None
    state: Path | None = None
    test_keys: bool = False
    scenario: Path | None = None
    quiet: bool = False
    web_token: str | None = None


def listener_factories(options: ListenerOptions) -> list[ListenerFactory]:
    """The coroutines that start each enabled listener and the terminal view."""
    from k351c.cosem.disconnect import disconnect_hook
    from k351c.server.dlms import hdlc_listener, wrapper_listener
    from k351c.server.mbus import mbus_listener
    from k351c.server.multidrop import multidrop_serial_listener
    from k351c.server.optical import optical_listener
    from k351c.server.push import push_listener
    from k351c.server.sms import sms_listener
    from k351c.server.wmbus import wmbus_listener
    from k351c.web.listener import web_listener

    factories: list[ListenerFactory] = [
        wrapper_listener,
        hdlc_listener,
        push_listener,
        optical_listener(options.optical_port, options.serial),
        mbus_listener(options.mbus_port, options.serial),
        disconnect_hook,
        multidrop_serial_listener(options.serial),
        wmbus_listener,
        sms_listener,
        web_listener(options.web_port, options.state, options.web_token),
    ]
    if not options.quiet:
        from k351c.cli.live import live_view

        factories.append(live_view)
    return factories
