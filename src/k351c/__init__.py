"""k351c: a software twin of the Kamstrup 351C three-phase CT electricity meter."""

from k351c.clock import SimClock, SystemClock
from k351c.codes import MeterConfig
from k351c.errors import AccessDenied, ConfigError, K351CError, LocalProtocolError, RemoteProtocolError
from k351c.meter.core import Meter
from k351c.meter.loads import ConstantLoad
from k351c.meter.readings import Profile, Reading

__all__ = [
    "AccessDenied",
    "ConfigError",
    "ConstantLoad",
    "K351CError",
    "LocalProtocolError",
    "Meter",
    "MeterConfig",
    "Profile",
    "Reading",
    "RemoteProtocolError",
    "SimClock",
    "SystemClock",
]

__version__ = "0.1.0"
