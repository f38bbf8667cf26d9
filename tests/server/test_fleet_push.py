"""Push on every fleet meter: serve's push setups per meter (written and persisted per meter), pushes
raised by the fleet's events by serve's rule, received by a TCP head-end and decoded with gurux."""

from __future__ import annotations

import numpy as np
from dlms_cosem.protocol.xdlms import DataNotification

from k351c import MeterConfig, SimClock
from k351c.axdr.enums import DataAccessResult
from k351c.axdr.types import Data, DataType
from k351c.clock import parse_instant
from k351c.codes.server import ServerSettings
from k351c.cosem.device import LogicalDevice
from k351c.cosem.model import Level, RequestContext
from k351c.cosem.push import ALARM_PUSH, CCC_PUSH
from k351c.meter.fleet import Fleet
from k351c.meter.fleet_values import LazyValues
from k351c.meter.fleet_view import MeterView
from k351c.server.fleet import FleetServer
from k351c.server.push import PUSH_OF_CODE, notification_apdu
from testkit import HeadEnd, ServedFleet
from testkit import decode_notification as decode

START = parse_instant("2026-03-01T00:00:00Z").timestamp()
MANAGEMENT = RequestContext(Level.MANAGEMENT, association={"conformance": 0x1C1F, "max_receive_pdu": 1024})
ALARM = ALARM_PUSH.to_bytes()


def _server(state=None, meters: int = 12, **settings) -> FleetServer:  # noqa: ANN001
    fleet = Fleet(MeterConfig.default(), meters=meters, start=START)
    fleet.add_outage(START + 600, START + 900, np.arange(4, 8))
    return FleetServer(
        fleet, SimClock(START + 1200, rate=0), state=state, test_keys=True, tick=0.05,
        settings=ServerSettings(**settings),
    )


def _destination(port: int) -> Data:
    return Data.structure(
        Data(DataType.ENUM, 0), Data(DataType.OCTET_STRING, f"127.0.0.1:{port}".encode()), Data(DataType.ENUM, 0)
    )


def test_outage_storm_and_alarm_pushes_reach_the_head_end():
    head_end = HeadEnd()
    server = _server(alarm_push_destination=f"127.0.0.1:{head_end.port}")
    fleet = server.fleet

    def record(code: int, meters) -> None:  # noqa: ANN001
        fleet.events.record(fleet.rtc.meter_time(fleet.t), code, meters)

    running = ServedFleet(server)
    try:
        frames = head_end.wait(8)  # meters 4-7: power down and power up each, from the event store
        running.loop.call_soon_threadsafe(record, 3, None)  # a DST change raises no push
        running.loop.call_soon_threadsafe(lambda: fleet.set_tamper("meter_cover", True, meters=[2]))
        running.loop.call_soon_threadsafe(lambda: server.push.port(9).trigger(server.push.setup(9, "alarm")))
        frames = head_end.wait(11, timeout=3.0)
    finally:
        running.stop()
        head_end.close()
    assert len(frames) == 10
    serials, alarms, invoke_ids = [], {}, {}
    for frame in frames:
        envelope = DataNotification.from_bytes(frame[8:])  # dlms-cosem reads the APDU, gurux the body
        assert envelope.date_time.timestamp() == START + 1200
        values = decode(frame).value
        invoke_ids.setdefault(str(values[1]), []).append(envelope.long_invoke_id_and_priority.long_invoke_id)
        assert bytes(values[0]) == bytes((0, 0, 25, 9, 0, 255))
        serials.append(str(values[1]))
        alarms[str(values[1])] = int(values[3])
    assert alarms[fleet.serial(2)] != 0 and alarms[fleet.serial(9)] == 0  # the cover alarm of meter 2
    assert {serial: sorted(ids) for serial, ids in invoke_ids.items()} == {
        fleet.serial(i): [1, 2] if 4 <= i <= 7 else [1] for i in (2, 4, 5, 6, 7, 9)
    }  # each meter counts its own notifications
    assert sorted(serials) == sorted([fleet.serial(i) for i in (4, 5, 6, 7, 2, 9)] + [fleet.serial(i) for i in (4, 5, 6, 7)])
    assert server.pushes_sent == 10


def test_push_setups_are_per_meter_written_as_serves_and_persist(tmp_path):
    server = _server(tmp_path)
    objects = server.endpoint(3).objects
    assert objects.set(MANAGEMENT, 40, ALARM, 3, _destination(4100)) == DataAccessResult.SUCCESS
    assert objects.set(MANAGEMENT, 40, ALARM, 5, Data(DataType.LONG_UNSIGNED, 17)) == DataAccessResult.SUCCESS
    reading = RequestContext(Level.READING)
    assert objects.set(reading, 40, ALARM, 5, Data(DataType.LONG_UNSIGNED, 1)) != DataAccessResult.SUCCESS
    bad = Data.structure(Data(DataType.ENUM, 0), Data(DataType.OCTET_STRING, b"nohost"), Data(DataType.ENUM, 0))
    assert objects.set(MANAGEMENT, 40, ALARM, 3, bad) != DataAccessResult.SUCCESS
    server.save()
    again = _server(tmp_path)
    assert again.push.setup(3, "alarm").destination == "127.0.0.1:4100"
    assert again.push.setup(3, "alarm").randomisation == 17
    assert again.push.setup(4, "alarm").destination == ""  # meter 4 keeps the defaults
    served = again.endpoint(3).objects.get(MANAGEMENT, 40, ALARM, 3)
    assert served.items()[1].as_bytes() == b"127.0.0.1:4100"
    assert again.endpoint(4).objects.get(MANAGEMENT, 40, ALARM, 3).items()[1].as_bytes() == b""


def test_only_meters_with_a_destination_push_and_the_rule_is_serves():
    server = _server()
    assert PUSH_OF_CODE[1] == PUSH_OF_CODE[2] == PUSH_OF_CODE[44] == PUSH_OF_CODE[77] == "alarm"
    assert PUSH_OF_CODE[232] == "scheduled" and 3 not in PUSH_OF_CODE  # DST is no alarm
    ccc = CCC_PUSH.to_bytes()
    assert server.endpoint(5).objects.set(MANAGEMENT, 40, ccc, 3, _destination(1)) == DataAccessResult.SUCCESS
    assert server.endpoint(6).objects.get(MANAGEMENT, 40, ccc, 3).items()[1].as_bytes() == b""
    assert server.push._with_destination("ccc").tolist() == [5]
    assert sorted(server.push.meters) == [5]  # meter 6 was only read: nothing kept
    assert server.push._with_destination("alarm").size == 0


def test_ciphered_push_of_a_fleet_meter_decodes_with_its_keys():
    server = _server(alarm_push_ciphered=True, alarm_push_destination="127.0.0.1:9")
    server.sync()
    frame = server.push.notification(6, server.push.setup(6, "alarm"))
    assert frame[8] == 0xDB  # general-glo-ciphering
    values = decode(frame, ciphered=True).value
    assert str(values[1]) == server.fleet.serial(6)
    plain = server.push.notification(6, server.push.setup(6, "ccc"))
    assert decode(plain).value[0] == CCC_PUSH.to_bytes() and len(decode(plain).value) == 14


def test_invoke_ids_count_per_meter_and_persist(tmp_path):
    server = _server(tmp_path)
    server.sync()
    setup = server.push.setup(1, "alarm")
    ids = [decode(server.push.notification(1, setup)).invokeId for _ in range(3)]
    assert ids == [1, 2, 3] and decode(server.push.notification(2, setup)).invokeId == 1
    server.save()
    again = _server(tmp_path)
    again.sync()
    assert decode(again.push.notification(1, setup)).invokeId == 4


def test_notifications_over_the_storms_lazy_views_are_the_full_views():
    server = _server()
    server.sync()
    fleet = server.fleet
    fleet.set_tamper("terminal_cover", True, meters=[5])
    for i in (0, 5, 11):
        device = server._device(i)  # not served: a lazy view making only what the setups name
        assert isinstance(device.meter.objects, LazyValues)
        full = LogicalDevice(server._bind(), MeterView(fleet, i))
        for setup in server.push.defaults.values():
            now = full.meter.now
            assert notification_apdu(device, setup, now, 7) == notification_apdu(full, setup, now, 7), setup.name
        assert len(device.meter.objects._defs) < len(full.meter.objects)
