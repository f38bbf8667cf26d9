"""Interface class 70 (disconnect control) over the meter's load control relays.

Attributes: 2 output_state (boolean), 3 control_state (enum), 4 control_mode (enum, settable by
management); methods: 1 remote_disconnect, 2 remote_reconnect (integer(0) parameter), management
only. A trigger the control mode forbids is refused (read-write-denied) and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from k351c.axdr.types import Data, DataType
from k351c.cosem.model import Attribute, CosemObject, Level, Method, ObjectList, RequestContext
from k351c.meter.core import Meter
from k351c.meter.loadcontrol import RELAY_OBIS, LoadControl

if TYPE_CHECKING:
    from k351c.meter.fleet_loadcontrol import MeterRelays
    from k351c.meter.fleet_view import MeterView

CLASS_ID = 70
VERSION = 0


def _relay_object(control: LoadControl | MeterRelays, number: int) -> CosemObject:
    relay = lambda: control.relay(number)  # noqa: E731
    obis = RELAY_OBIS[number - 1]
    ln = Data(DataType.OCTET_STRING, obis.to_bytes())

    def set_mode(value: Data, ctx: RequestContext) -> None:
        control.set_mode(value.as_int(), number)

    def method(action):
        def call(params: Data | None, ctx: RequestContext) -> Data | None:
            action(number)
            return None

        return Method(call, Level.MANAGEMENT)

    attrs = {
        1: Attribute(lambda ctx: ln, read_level=Level.PUBLIC),
        2: Attribute(
            lambda ctx: Data(DataType.BOOLEAN, relay().output_state), read_level=Level.READING
        ),
        3: Attribute(lambda ctx: Data(DataType.ENUM, int(relay().state)), read_level=Level.READING),
        4: Attribute(
            lambda ctx: Data(DataType.ENUM, int(relay().mode)),
            set_mode,
            Level.READING,
            Level.MANAGEMENT,
        ),
    }
    methods = {1: method(control.remote_disconnect), 2: method(control.remote_reconnect)}
    return CosemObject(
        CLASS_ID, VERSION, obis, attrs, methods, f"disconnect control, relay {number}"
    )


def disconnect_objects(meter: Meter | MeterView) -> list[CosemObject]:
    """One class 70 object per relay of the fitted load control module (none without one)."""
    control: LoadControl | MeterRelays | None
    if isinstance(meter, Meter):
        try:
            control = meter.function(LoadControl)
        except KeyError:
            return []
    else:
        control = meter.load_control()  # a fleet meter's relays, kept in the fleet's arrays
        if control is None:
            return []
    return [_relay_object(control, i + 1) for i in range(len(control.relays))]


def install_disconnect(objects: ObjectList, meter: Meter) -> None:
    """Add the meter's class 70 objects to an object list."""
    for obj in disconnect_objects(meter):
        objects.add(obj)


async def disconnect_hook(runtime) -> None:
    """A listener factory that serves nothing: it adds class 70 to the runtime's shared object list."""
    install_disconnect(runtime.objects, runtime.meter)
    return None
