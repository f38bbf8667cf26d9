"""Our trace decoder on APDUs the meter sends that a gurux read does not provoke: data-notification,
event-notification, confirmed-service-error, exception-response, ciphered with unknown keys; and the
framers fed one byte at a time give the same frames as fed at once."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from k351c import MeterConfig, SimClock
from k351c.axdr.enums import (
    ConfirmedServiceErrorChoice,
    InitiateError,
    ServiceError,
    ServiceErrorChoice,
    StateError,
)
from k351c.axdr.types import Data
from k351c.meter.fleet import Fleet
from k351c.protocols.decode import ApduDecoder, StreamDecoder
from k351c.protocols.dlms.apdu import ConfirmedServiceError, CosemAttribute
from k351c.protocols.dlms.apdu_misc import EventNotificationRequest, ExceptionResponse
from k351c.protocols.dlms.security import CipherKind, SecurityControl, cipher_apdu
from k351c.server.fleet import FleetServer


def test_data_notification_of_a_fleet_alarm_push():
    start = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
    fleet = Fleet(MeterConfig.default(), meters=2, start=start, ct_primary=np.array([5, 5]))
    server = FleetServer(fleet, SimClock(start, rate=0), test_keys=True)
    server.push.invoke[1] = 4
    frame = server.push.notification(1, server.push.setup(1, "alarm"))
    decoder = StreamDecoder("wrapper")
    (raw,) = decoder.frames(frame, False)
    view = decoder.describe(raw, False)
    apdu = view["apdu"]
    assert apdu["service"] == "data-notification" and apdu["invoke_id"] == 5
    setup, serial, clock, _alarms, _errors = apdu["body"]
    assert setup["as_obis"] == "0-0:25.9.0.255" and serial == fleet.serial(1)
    assert clock["as_date_time"] == "2026-03-01T01:00:00+01:00"


def test_event_notification_names_the_object():
    apdu = EventNotificationRequest(
        CosemAttribute(1, bytes([0, 0, 97, 98, 0, 255]), 2), Data.double_long_unsigned(4)
    ).to_bytes()
    view = ApduDecoder().decode(apdu, False)
    assert view["service"] == "event-notification-request"
    assert view["attribute"] == {"class_id": 1, "obis": "0-0:97.98.0.255", "attribute": 2}
    assert view["value"] == 4


@pytest.mark.parametrize(
    ("message", "service", "reason"),
    [
        (
            ConfirmedServiceError(
                ConfirmedServiceErrorChoice.INITIATE_ERROR,
                ServiceErrorChoice.INITIATE,
                InitiateError.DLMS_VERSION_TOO_LOW,
            ),
            "confirmed-service-error",
            "initiate-error: initiate: dlms-version-too-low",
        ),
        (
            ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE),
            "exception-response",
            "service-not-allowed: operation-not-possible",
        ),
    ],
)
def test_refusals_carry_the_reason(message, service, reason):
    view = ApduDecoder().decode(message.to_bytes(), False)
    assert view["service"] == service
    assert view["refusal"].startswith(reason)


def test_ciphered_apdu_without_keys_shows_its_security_header():
    ek, ak = bytes(16), bytes(range(16))
    plain = bytes.fromhex("c401c1000600000a22")
    control = SecurityControl(0, authenticated=True, encrypted=True)
    apdu = cipher_apdu(plain, CipherKind.GLOBAL, control, b"KAM\x00\x00\x00\x00\x01", 77, ek, ak)
    blind = ApduDecoder().decode(apdu, False)
    assert blind["service"] == "glo-get-response"
    assert blind["security_header"]["invocation_counter"] == 77
    assert blind["security_header"]["encrypted"] and blind["plaintext"] is None
    seeing = ApduDecoder(lambda: (ek, ak))
    seeing.server_title = b"KAM\x00\x00\x00\x00\x01"
    opened = seeing.decode(apdu, False)
    assert opened["deciphered"]["service"] == "get-response-normal"
    assert opened["deciphered"]["result"] == 2594


def test_unknown_apdu_is_reported_not_raised():
    view = ApduDecoder().decode(b"\x05\x01\x02", True)
    assert view["service"] == "undecoded" and "error" in view


@pytest.mark.parametrize(
    ("kind", "stream"),
    [
        ("wrapper", "000100100001000dc001c100030100010800ff0200" * 2),
        ("hdlc", "7ea00a000212a52193fa517e" * 2),
        ("mbus", "e5" + "105b005b16" + "e5"),
        ("optical", "2f3f210d0a" + "063035300d0a"),
    ],
)
def test_framers_one_byte_at_a_time_equal_all_at_once(kind, stream):
    data = bytes.fromhex(stream)
    whole = StreamDecoder(kind).frames(data, True)
    trickle = StreamDecoder(kind)
    pieces = [f for i in range(len(data)) for f in trickle.frames(data[i : i + 1], True)]
    assert pieces == whole and len(whole) >= 2
