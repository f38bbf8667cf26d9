"""The push storm's cost: alarm notifications of a feeder outage over every meter, per CPU second.

A fleet of N meters (a push destination for the alarm setup, as ``--push-destination`` gives) runs
through an outage of every meter; the server then builds each meter's two notifications of the storm
(power down, power up: ``FleetPush.notification``, framed as sent) and the CPU time of building them
is measured. Beside it, in the same run, a sample is built the way it was before the lazy view
(meter/fleet_values.py): over each meter's full ``MeterView`` and ``LogicalDevice``; both give the
same bytes (checked on the sample).
"""

from __future__ import annotations

import time

import numpy as np

from k351c import MeterConfig, SimClock
from k351c.codes.server import ServerSettings
from k351c.cosem.device import LogicalDevice
from k351c.meter.fleet import Fleet
from k351c.meter.fleet_view import MeterView
from k351c.server.fleet import FleetServer
from k351c.server.push import notification_apdu, push_frame

EDGES = 2  # an outage makes each meter push power down and power up


def storm(meters: int, start: float, full_sample: int = 500) -> dict:
    """Alarm notifications per CPU second for ``meters`` meters (lazy views) and a full-view sample."""
    fleet = Fleet(MeterConfig.default(), meters=meters, start=start)
    fleet.add_outage(start + 600, start + 900, np.arange(meters))
    server = FleetServer(
        fleet, SimClock(start + 1200, rate=0), test_keys=True, cache=16,
        settings=ServerSettings(alarm_push_destination="127.0.0.1:4059"),
    )
    server.sync()
    setup = server.push.setup(0, "alarm")
    server.push.notification(0, setup)  # the values' owners are learned once per fleet
    t0 = time.process_time()
    for _ in range(EDGES):
        for i in range(meters):
            server.push.notification(i, setup)
    lazy_cpu = time.process_time() - t0

    sample = range(min(full_sample, meters))
    t0 = time.process_time()
    full_frames = []
    for i in sample:
        device = LogicalDevice(server._bind(), MeterView(fleet, i))
        full_frames.append(push_frame(setup, notification_apdu(device, setup, device.meter.now, 1)))
    full_cpu = time.process_time() - t0
    lazy_frames = [
        push_frame(setup, notification_apdu(server._device(i), setup, MeterView(fleet, i, lazy=True).now, 1))
        for i in sample
    ]
    assert lazy_frames == full_frames, "a lazy view's notification differs from the full view's"
    return {
        "storm_notifications": EDGES * meters,
        "storm_cpu_s": round(lazy_cpu, 2),
        "storm_notifications_per_cpu_s": round(EDGES * meters / lazy_cpu, 1),
        "storm_notifications_per_cpu_s_full_view": round(len(sample) / full_cpu, 1),
    }
