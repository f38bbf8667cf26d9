"""The server association on a real object list: a repeated GET answers the current value."""

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.axdr.codec import decode_data
from k351c.cosem import build_object_list
from k351c.protocols.dlms.association import AssociationServer

H = bytes.fromhex
AARQ = H("601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0")
GET_ENERGY = H("C001C100030100010800FF0200")


def energy(response: bytes) -> int:
    assert response[:4] == H("C401C100")
    value, _ = decode_data(response, 4)
    return value.value


def test_repeated_get_reads_the_register_again():
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0), functions=[])
    meter.set_load(ConstantLoad(current=5.0))
    server = AssociationServer(build_object_list(meter), lambda *args: False)
    assert server.handle(16, AARQ)[0] == 0x61
    first = energy(server.handle(16, GET_ENERGY))
    meter.run_for(3600)
    second = energy(server.handle(16, GET_ENERGY))
    assert (first, second) == (0, 3450) == (meter.read("1.8.0").value - 3450, meter.read("1.8.0").value)


def test_get_before_association_is_refused_and_release_ends_it():
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0), functions=[])
    server = AssociationServer(build_object_list(meter), lambda *args: False)
    assert server.handle(16, GET_ENERGY)[0] == 0xD8  # exception-response: service not allowed
    server.handle(16, AARQ)
    assert server.handle(16, H("6200"))[0] == 0x63  # RLRQ -> RLRE
    assert server.handle(16, GET_ENERGY)[0] == 0xD8
