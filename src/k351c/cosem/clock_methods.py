"""Clock (class 8) methods 1-6 of the Blue Book: adjust to quarter/period/minute, preset and shift the time.

Each method ends in ``meter.set_clock`` so an adjustment is logged (event codes 4 and 5) and the
functions see the jump exactly as they see a SET of attribute 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from k351c.axdr.types import Data, DataType
from k351c.cosem.model import Level, Method, RequestContext
from k351c.cosem.types import octets_datetime
from k351c.errors import AccessDenied, ConfigError
from k351c.meter.core import Meter
from k351c.obis import Obis

LOAD_PROFILE = Obis(1, 0, 99, 1, 0)
MAX_SHIFT_S = 900
INTEGER_TYPES = (DataType.INTEGER, DataType.LONG, DataType.UNSIGNED, DataType.LONG_UNSIGNED)


@dataclass(frozen=True, slots=True)
class PresetTime:
    """preset_adjusting_time's parameters: the new time and when adjust_to_preset_time may apply it."""

    preset: datetime
    valid_from: datetime
    valid_to: datetime


def _rounded(meter: Meter, period_s: int) -> None:
    """Set the clock to the nearest multiple of ``period_s`` in local time (half a period rounds up)."""
    offset = meter.localtime.offset_minutes(meter.t) * 60
    local = meter.t + offset
    target = (local + period_s / 2) // period_s * period_s
    meter.set_clock(float(target - offset))


def _integer(params: Data | None) -> int:
    if params is None or params.type not in INTEGER_TYPES:
        raise TypeError("expected an integer parameter")
    return params.as_int()


def _measuring_period(meter: Meter) -> int:
    definition = meter.objects.get(LOAD_PROFILE)
    period = int(definition.get().capture_period) if definition is not None else 0
    return period or 900


def clock_methods(meter: Meter, level: Level = Level.READING) -> dict[int, Method]:
    """Methods 1-6 of class 8 for ``meter``, allowed from ``level`` (who may set the time)."""
    presets: dict[str, PresetTime] = {}

    def adjust_to_quarter(params: Data | None, ctx: RequestContext) -> None:
        _integer(params)
        _rounded(meter, 900)

    def adjust_to_measuring_period(params: Data | None, ctx: RequestContext) -> None:
        _integer(params)
        _rounded(meter, _measuring_period(meter))

    def adjust_to_minute(params: Data | None, ctx: RequestContext) -> None:
        _integer(params)
        _rounded(meter, 60)

    def adjust_to_preset_time(params: Data | None, ctx: RequestContext) -> None:
        _integer(params)
        preset = presets.get(meter.config.serial)
        if preset is None:
            raise AccessDenied("no preset time: invoke preset_adjusting_time first")
        if not preset.valid_from <= meter.now <= preset.valid_to:
            raise AccessDenied("the preset time's validity interval does not hold the present time")
        del presets[meter.config.serial]
        meter.set_clock(preset.preset)

    def preset_adjusting_time(params: Data | None, ctx: RequestContext) -> None:
        if params is None or params.type != DataType.STRUCTURE or len(params.items()) != 3:
            raise TypeError("expected {preset_time, validity_interval_start, validity_interval_end}")
        preset, start, end = (octets_datetime(item, meter.localtime) for item in params.items())
        if end < start:
            raise ConfigError("validity_interval_end", end, f"not before validity_interval_start {start}")
        presets[meter.config.serial] = PresetTime(preset, start, end)

    def shift_time(params: Data | None, ctx: RequestContext) -> None:
        if params is None or params.type != DataType.LONG:
            raise TypeError("expected long (seconds)")
        seconds = params.as_int()
        if not -MAX_SHIFT_S <= seconds <= MAX_SHIFT_S:
            raise ConfigError("shift_time", seconds, f"-{MAX_SHIFT_S}..{MAX_SHIFT_S} s")
        meter.set_clock(meter.t + seconds)

    calls = (adjust_to_quarter, adjust_to_measuring_period, adjust_to_minute, adjust_to_preset_time,
             preset_adjusting_time, shift_time)
    return {i: Method(call, level) for i, call in enumerate(calls, start=1)}
