"""Push: alarm and CCC data-notifications reach a TCP head-end and decode with gurux; backlog and retries."""

from __future__ import annotations

import time

import pytest

from k351c.server.keys import KeyStore
from k351c.server.push import PUSH_FILE, push_listener
from k351c.server.runtime import Runtime
from testkit import HeadEnd, ServedMeter, make_meter, refusing_socket
from testkit import decode_notification as decode


def start(tmp_path, **settings) -> ServedMeter:
    from k351c.server.dlms import wrapper_listener

    meter = make_meter(days=1 / 24)
    runtime = Runtime(meter, keys=KeyStore(tmp_path, test_keys=True), settings=settings, tick=0.05)
    return ServedMeter(runtime, [wrapper_listener, push_listener])


def test_alarm_push_on_tamper_decoded_by_gurux(tmp_path):
    head_end = HeadEnd()
    running = start(tmp_path, alarm_push_destination=f"127.0.0.1:{head_end.port}")
    try:
        running.call(lambda: running.meter.function("tamper").set("meter_cover", True))
        (frame,) = head_end.wait(1)[:1]
    finally:
        running.stop()
        head_end.close()
    assert frame[8] == 0x0F  # data-notification
    values = decode(frame).value
    assert bytes(values[0]) == bytes((0, 0, 25, 9, 0, 255))
    assert str(values[1]) == running.meter.config.serial
    assert int(values[3]) != 0  # the alarm register shows the cover alarm


def test_ciphered_ccc_push_every_ten_seconds(tmp_path):
    head_end = HeadEnd()
    running = start(
        tmp_path, ccc_push_destination=f"127.0.0.1:{head_end.port}", ccc_push_ciphered=True
    )
    try:
        for _ in range(2):
            running.call(running.meter.clock.jump, 10)
            time.sleep(0.3)
        frames = head_end.wait(2)
    finally:
        running.stop()
        head_end.close()
    assert len(frames) >= 2 and all(f[8] == 0xDB for f in frames)  # general-glo-ciphering
    values = decode(frames[0], ciphered=True).value
    assert bytes(values[0]) == bytes((0, 2, 25, 9, 0, 255))
    assert len(values) == 3 + 11
    voltage = values[3 + 4]
    assert 200 < float(voltage) * 0.1 < 260 or 200 < float(voltage) < 260


def test_backlog_survives_restart_and_is_retried(tmp_path):
    reserved = refusing_socket()  # the head-end's port, down until HeadEnd listens on it
    port = reserved.getsockname()[1]
    running = start(tmp_path, alarm_push_destination=f"127.0.0.1:{port}")
    running.call(lambda: running.runtime.push.setups["alarm"].__setattr__("repetition_delay", 600))
    running.call(lambda: running.runtime.push.trigger(running.runtime.push.setups["alarm"]))
    time.sleep(0.3)
    running.stop()
    assert (tmp_path / PUSH_FILE).exists()
    assert running.runtime.push.backlog, "the head-end was down: the notification must wait"
    head_end = HeadEnd(reserved)
    again = start(tmp_path)
    try:
        frames = head_end.wait(1)
    finally:
        again.stop()
        head_end.close()
    assert len(frames) == 1 and decode(frames[0]).value is not None
    assert again.runtime.push.backlog == []


@pytest.mark.parametrize("retries", [0])
def test_undeliverable_notification_dropped_after_retries(tmp_path, retries):
    refusing = refusing_socket()
    running = start(tmp_path, alarm_push_destination=f"127.0.0.1:{refusing.getsockname()[1]}")
    push = running.runtime.push
    running.call(lambda: push.setups["alarm"].__setattr__("retries", retries))
    running.call(lambda: push.trigger(push.setups["alarm"]))
    time.sleep(0.5)
    running.stop()
    refusing.close()
    assert push.backlog == []
