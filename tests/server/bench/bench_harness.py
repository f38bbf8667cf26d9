"""A meter with DLMS (wrapper, HDLC), optical and M-Bus listeners behind the head-end bench."""

from __future__ import annotations

from server_harness import RunningMeter, free_port

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.server.bench import Bench, bench_options
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime


def bench_meter(tmp_path, listeners=("wrapper", "hdlc"), **flags) -> RunningMeter:
    """A frozen-clock meter with test keys serving ``listeners`` through a bench built from ``flags``."""
    from k351c.server.dlms import hdlc_listener, wrapper_listener
    from k351c.server.mbus import mbus_listener
    from k351c.server.optical import optical_listener

    clock = SimClock("2026-03-01T00:00:00Z", rate=0)
    meter = Meter(MeterConfig.default(), clock=clock)
    meter.set_load(ConstantLoad(current=(5.0, 4.0, 3.0), angle=(10.0, 20.0, 30.0)))
    meter.run_for(3600)
    ports = {name: free_port() for name in ("wrapper", "hdlc", "optical", "mbus")}
    settings = {"dlms_port": ports["wrapper"], "hdlc_port": ports["hdlc"]}
    runtime = Runtime(meter, keys=KeyStore(None, test_keys=True), settings=settings, tick=0.2)
    if "link_listeners" in flags:  # None: every listener, the TCP wrapper too
        kinds = flags.pop("link_listeners") or ["wrapper", "hdlc", "optical", "mbus"]
        flags["table"] = {"link_listeners": kinds}
    options = bench_options(**flags)
    runtime.bench = Bench(options, clock.timestamp) if options.active else None
    factories = {
        "wrapper": wrapper_listener,
        "hdlc": hdlc_listener,
        "optical": optical_listener(ports["optical"]),
        "mbus": mbus_listener(ports["mbus"]),
    }
    running = RunningMeter(runtime, [factories[name] for name in listeners])
    running.ports = ports  # type: ignore[attr-defined]
    return running


def physical_address(meter) -> int:  # noqa: ANN001
    """The meter's default HDLC physical address."""
    return 1000 + int(meter.config.serial) % 10000
