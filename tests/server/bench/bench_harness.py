"""A meter with DLMS (wrapper, HDLC), optical and M-Bus listeners behind the head-end bench."""

from __future__ import annotations

from k351c.server.bench import Bench, bench_options
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime
from testkit import ServedMeter, bound_socket, make_meter

ALL_LISTENERS = ["wrapper", "hdlc", "optical", "mbus"]


def bench_meter(tmp_path, listeners=("wrapper", "hdlc"), **flags) -> ServedMeter:
    """A frozen-clock meter with test keys serving ``listeners`` through a bench built from ``flags``.

    ``link_listeners=None`` applies the link to every listener (the TCP wrapper too).
    """
    from k351c.server.dlms import hdlc_listener, wrapper_listener
    from k351c.server.mbus import mbus_listener
    from k351c.server.optical import optical_listener

    meter = make_meter(days=1 / 24)
    runtime = Runtime(meter, keys=KeyStore(None, test_keys=True), tick=0.2)
    if "link_listeners" in flags:
        flags["table"] = {"link_listeners": flags.pop("link_listeners") or ALL_LISTENERS}
    options = bench_options(**flags)
    runtime.bench = Bench(options, meter.clock.timestamp) if options.active else None
    sockets = {name: bound_socket() for name in ("optical", "mbus")}
    ports = {name: sock.getsockname()[1] for name, sock in sockets.items()}
    factories = {
        "wrapper": wrapper_listener,
        "hdlc": hdlc_listener,
        "optical": optical_listener(ports["optical"]),
        "mbus": mbus_listener(ports["mbus"]),
    }
    running = ServedMeter(
        runtime,
        [factories[name] for name in listeners],
        ports=("dlms_port", "hdlc_port"),
        sockets={sock.getsockname()[1]: sock for sock in sockets.values()},
    )
    ports.update(wrapper=running.port("dlms_port"), hdlc=running.port("hdlc_port"))
    running.ports = ports  # type: ignore[attr-defined]
    return running


def physical_address(meter) -> int:  # noqa: ANN001
    """The meter's default HDLC physical address."""
    return 1000 + int(meter.config.serial) % 10000


def eventually(check, timeout: float = 5.0) -> bool:  # noqa: ANN001
    """Whether ``check()`` becomes true within ``timeout`` seconds (the server runs in its own thread)."""
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
