"""Each fleet meter's logical device (specs assembled once, objects built per meter on demand) answers
every attribute exactly as a list built for that one meter."""

import numpy as np

from k351c import MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes.tables import CT_PRIMARY
from k351c.cosem import build_object_list
from k351c.cosem.device import push_specs
from k351c.cosem.model import Level, RequestContext
from k351c.cosem.security import invocation_counter, security_setup
from k351c.meter.fleet import Fleet
from k351c.meter.fleet_view import MeterView
from k351c.server.fleet import FleetServer

CT_RATIOS = np.array(sorted(CT_PRIMARY.values()))  # every ratio configuration 5 SSS encodes
START = parse_instant("2025-01-01T00:00:00Z").timestamp()


def test_each_meters_logical_device_equals_its_own_object_list():
    fleet = Fleet(MeterConfig.default(), meters=150, start=START, ct_primary=CT_RATIOS[np.arange(150) % CT_RATIOS.size])
    fleet.add_outage(START + 3600, START + 5400, np.arange(100, 120))
    fleet.advance_to(START + 86400 + 1234)
    server = FleetServer(fleet, SimClock(START + 86400, rate=0), test_keys=True)
    compared = 0
    for level in Level:
        ctx = RequestContext(level, association={"conformance": 0x1C1F, "max_receive_pdu": 1024})
        for i in (7, 110, 0, 149, 7):  # back and forth, one meter inside the outage
            reference = build_object_list(MeterView(fleet, i))
            shared = server.endpoint(i).objects
            reference.add(security_setup(server.security(i)))  # as a single meter's runtime adds them
            reference.add(invocation_counter(server.security(i)))
            for spec in push_specs(lambda view: server.push.port(view.i)):
                reference.add(spec.build(MeterView(fleet, i), reference))
            assert [(o.class_id, o.obis) for o in reference] == [(o.class_id, o.obis) for o in shared]
            assert reference.find(64, "0-0:43.0.0.255") is not None
            for obj in reference:
                ln = obj.obis.to_bytes()
                for attribute in obj.attributes:
                    expected = reference.get(ctx, obj.class_id, ln, attribute)
                    assert shared.get(ctx, obj.class_id, ln, attribute) == expected, (i, obj.obis, attribute)
                    compared += 1
    assert compared > 1000


def test_a_fleet_meter_offers_the_single_meters_object_list():
    from k351c import Meter
    from k351c.server.dlms import endpoint_for
    from k351c.server.keys import KeyStore
    from k351c.server.push import PushService
    from k351c.server.runtime import Runtime

    fleet = Fleet(MeterConfig.default(), meters=3, start=START)
    server = FleetServer(fleet, SimClock(START + 3600, rate=0), test_keys=True)
    view = fleet.meter(1)
    meter = Meter(view.config, clock=SimClock(START, rate=0), load=view.load)
    runtime = Runtime(meter, keys=KeyStore(None, test_keys=True))
    single = endpoint_for(runtime).objects
    PushService(runtime, None)  # the served meter's push setups (serve's push listener adds them)
    listed = sorted((o.class_id, str(o.obis)) for o in server.endpoint(1).objects)
    assert listed == sorted((o.class_id, str(o.obis)) for o in single)
    assert (64, "0-0:43.0.0.255") in listed and (7, "0-0:98.1.0.255") in listed and len(listed) > 250
    assert {(40, f"0-{b}:25.9.0.255") for b in (0, 1, 2)} <= set(listed)


def test_a_fleet_meter_builds_only_the_objects_it_is_asked_for():
    from k351c.axdr.enums import DataAccessResult
    from k351c.cosem.device import LogicalDevice

    fleet = Fleet(MeterConfig.default(), meters=4, start=START)
    fleet.advance_to(START + 3600)
    server = FleetServer(fleet, SimClock(START + 3600, rate=0), test_keys=True)
    ctx = RequestContext(Level.READING)
    devices = [server.endpoint(i).objects for i in (2, 3)]
    assert all(isinstance(d, LogicalDevice) and len(d._objects) == 0 for d in devices)
    serial = bytes([0, 0, 96, 1, 0, 255])
    answers = [d.get(ctx, 1, serial, 2).value for d in (*devices, *devices)]  # meters interleaved
    assert answers == [fleet.serial(2), fleet.serial(3)] * 2
    assert all(len(d._objects) == 1 for d in devices)
    assert devices[0].get(ctx, 3, serial, 2) == DataAccessResult.OBJECT_CLASS_INCONSISTENT
    assert devices[0].get(ctx, 1, bytes([0, 0, 96, 1, 99, 255]), 2) == DataAccessResult.OBJECT_UNDEFINED
    assert len(list(devices[0])) == len(devices[0]) > 250
