"""k351c: a software twin of the Kamstrup 351C three-phase CT electricity meter."""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "AccessDenied": "k351c.errors",
    "ConfigError": "k351c.errors",
    "K351CError": "k351c.errors",
    "LocalProtocolError": "k351c.errors",
    "RemoteProtocolError": "k351c.errors",
    "SimClock": "k351c.clock",
    "SystemClock": "k351c.clock",
    "MeterConfig": "k351c.codes",
    "Fleet": "k351c.meter.fleet",
    "Meter": "k351c.meter.core",
    "ConstantLoad": "k351c.meter.loads",
    "Profile": "k351c.meter.readings",
    "Reading": "k351c.meter.readings",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the public names lazily, so `import k351c.protocols...` stays light."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'k351c' has no attribute {name!r}")
