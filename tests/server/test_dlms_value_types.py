"""Counters keep one A-XDR type wide enough for their range; a value that cannot be encoded is refused.

Read with gurux-dlms, as a head-end would: the pulse counters past 32,767 (they were int16 and the GET
went unanswered), the debiting logger that captures one of them, and a GET of an unencodable value.
"""

from __future__ import annotations

import pytest
from gurux_client import GuruxSession
from gurux_dlms.enums import DataType as GuruxType
from gurux_dlms.objects import GXDLMSProfileGeneric, GXDLMSRegister

from k351c.axdr.types import Data, DataType
from k351c.cosem.model import Attribute, CosemObject, Level, ObjectList
from k351c.obis import Obis
from k351c.protocols.dlms.association import AssociationServer

AARQ = bytes.fromhex("601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0")
PULSES_IN, PULSES_OUT = 70_000, 5_000_000_000


def reading_session(running_meter) -> GuruxSession:
    s = GuruxSession(running_meter.runtime.settings.dlms_port, 32, "12345678")
    s.connect()
    return s


def set_counters(meter) -> None:
    meter.function("tariffs").pulse(PULSES_IN)
    meter.function("io").counters[0].count = PULSES_OUT


@pytest.mark.parametrize(
    ("obis", "expected"),
    [("0.0.128.11.0.255", PULSES_IN), ("0.0.128.14.1.255", PULSES_OUT), ("0.0.128.14.2.255", 0)],
)
def test_counters_past_int16_read_as_long64_unsigned(running_meter, obis, expected):
    running_meter.call(set_counters, running_meter.meter)
    s = reading_session(running_meter)
    try:
        reply = s.request(s.client.read(GXDLMSRegister(obis), 2))
        assert reply.error == 0
        assert reply.valueType == GuruxType.UINT64
        assert int(reply.value) == expected
    finally:
        s.close()


def test_debiting_logger_with_a_large_pulse_count_stays_readable(running_meter):
    meter = running_meter.meter
    running_meter.call(set_counters, meter)
    running_meter.call(meter.function("billing").debiting_stop)
    s = reading_session(running_meter)
    try:
        logger = GXDLMSProfileGeneric("0.0.98.1.0.255")
        s.read(logger, 3)
        codes = [obj.logicalName for obj, _ in logger.captureObjects]
        rows = s.read(logger, 2)
        assert rows, "the debiting logger has the entry of the stop"
        assert rows[-1][codes.index("0.0.128.11.0.255")] == PULSES_IN
    finally:
        s.close()


def _unencodable_objects() -> ObjectList:
    big = Attribute(lambda ctx: Data(DataType.LONG, 40_000), read_level=Level.PUBLIC)
    fine = Attribute(lambda ctx: Data(DataType.LONG, 1), read_level=Level.PUBLIC)
    return ObjectList(
        [
            CosemObject(1, 0, Obis(0, 0, 128, 99, 1), {2: big}),
            CosemObject(1, 0, Obis(0, 0, 128, 99, 2), {2: fine}),
        ]
    )


def _get(instance: bytes, invoke: int = 0xC1) -> bytes:
    return bytes((0xC0, 1, invoke, 0, 1)) + instance + bytes((2, 0))


def test_a_value_that_cannot_be_encoded_gets_other_reason_not_silence():
    server = AssociationServer(_unencodable_objects(), lambda *args: False)
    assert server.handle(16, AARQ)[0] == 0x61
    big, fine = bytes((0, 0, 128, 99, 1, 255)), bytes((0, 0, 128, 99, 2, 255))
    assert server.handle(16, _get(big)) == bytes((0xC4, 1, 0xC1, 1, 250))  # other-reason
    with_list = bytes((0xC0, 3, 0xC1, 2)) + b"".join(
        bytes((0, 1)) + code + bytes((2, 0)) for code in (big, fine)
    )
    answer = server.handle(16, with_list)
    assert answer == bytes((0xC4, 3, 0xC1, 2, 1, 250, 0, DataType.LONG, 0, 1))
    assert server.handle(16, _get(fine))[3:] == bytes((0, DataType.LONG, 0, 1))  # still associated
