"""Script table (class 9) 0-0:10.0.1.255: the end of billing period, as head-ends trigger it.

Script 1 ends the debiting period now (a debiting stop, the same one GG/HH schedule and the external
paths command: ``Billing.debiting_stop``). Its action list describes what the meter does: capture of the
debiting logger 0-0:98.1.0.255 (class 7 method 2). The single action schedule 0-0:15.0.0.255 names
this script; execute (method 1, long-unsigned script id) runs it. Only the management client may
execute; an unknown script id is refused and changes nothing (so is execute on a fleet meter, whose
debiting periods are the fleet's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from k351c.axdr.types import Data, DataType
from k351c.cosem.classes import CLASS_VERSION, logical_name
from k351c.cosem.model import Attribute, CosemObject, Level, Method, RequestContext
from k351c.errors import ConfigError
from k351c.meter.billing import DEBITING_LOGGER, Billing
from k351c.meter.core import Meter
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.fleet_view import MeterView

END_OF_BILLING_SCRIPT = Obis(0, 0, 10, 0, 1)
END_OF_BILLING = 1
EXECUTE_METHOD = 2
"""service_id of an action_specification that executes a method (1 = write attribute)."""
CAPTURE = 2
"""Profile generic (class 7) method 2: capture."""


def _scripts() -> Data:
    capture = Data.structure(
        Data(DataType.ENUM, EXECUTE_METHOD),
        Data(DataType.LONG_UNSIGNED, 7),
        Data(DataType.OCTET_STRING, DEBITING_LOGGER.to_bytes()),
        Data(DataType.INTEGER, CAPTURE),
        Data(DataType.INTEGER, 0),
    )
    return Data.array(
        [Data.structure(Data(DataType.LONG_UNSIGNED, END_OF_BILLING), Data.array([capture]))]
    )


def script_id(params: Data | None) -> int:
    """The script identifier of an execute request (long-unsigned, unsigned accepted)."""
    if params is None or params.type not in (DataType.LONG_UNSIGNED, DataType.UNSIGNED):
        raise ConfigError("script_identifier", params, "a long-unsigned script id")
    return params.as_int()


def end_of_billing_script(meter: Meter | MeterView) -> CosemObject:
    """Class 9 0-0:10.0.1.255: script 1 = end of billing period (a debiting stop now)."""
    scripts = _scripts()

    def execute(params: Data | None, ctx: RequestContext) -> None:
        wanted = script_id(params)
        if wanted != END_OF_BILLING:
            raise ConfigError("script_identifier", wanted, [END_OF_BILLING])
        if isinstance(meter, Meter):
            meter.function(Billing).debiting_stop(source="script")
        else:
            meter.function("billing").debiting_stop(source="script")

    attrs = {
        1: logical_name(END_OF_BILLING_SCRIPT),
        2: Attribute(lambda ctx: scripts, read_level=Level.READING),
    }
    return CosemObject(
        9,
        CLASS_VERSION[9],
        END_OF_BILLING_SCRIPT,
        attrs,
        {1: Method(execute, Level.MANAGEMENT)},
        description="script table: end of billing period (script 1 = debiting stop now)",
    )
