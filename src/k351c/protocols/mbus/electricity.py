"""Standard data records of an electricity meter built from plain values (Wh, W, V, A)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from k351c.errors import LocalProtocolError
from k351c.protocols.mbus.records import DataField, DataRecord, FunctionField, field_range
from k351c.protocols.mbus.vif import (
    COMBINABLE_EXTENSION,
    CORRECTION_FACTOR,
    FIRST_EXTENSION,
    NEGATIVE_ACCUMULATION,
    SECOND_EXTENSION,
)

Number = int | float | Decimal

ENERGY_VIBS: dict[int, bytes] = {e: bytes([0x03 + e]) for e in range(-3, 5)}
ENERGY_VIBS.update({5: bytes([SECOND_EXTENSION, 0x00]), 6: bytes([SECOND_EXTENSION, 0x01])})
POWER_VIBS: dict[int, bytes] = {e: bytes([0x2B + e]) for e in range(-3, 5)}
VOLTAGE_VIBS: dict[int, bytes] = {e: bytes([FIRST_EXTENSION, 0x49 + e]) for e in range(-9, 7)}
CURRENT_VIBS: dict[int, bytes] = {e: bytes([FIRST_EXTENSION, 0x5C + e]) for e in range(-12, 4)}
REACTIVE_POWER_VIBS: dict[int, bytes] = {e: bytes([SECOND_EXTENSION, 0x14 + e]) for e in range(4)}
REACTIVE_ENERGY_VIBS: dict[int, bytes] = {
    e: bytes([SECOND_EXTENSION, 0x82, CORRECTION_FACTOR + e + 3]) for e in range(-3, 3)
}
REACTIVE_ENERGY_VIBS.update(
    {3: bytes([SECOND_EXTENSION, 0x02]), 4: bytes([SECOND_EXTENSION, 0x03])}
)


def _extend(vib: bytes, *vifes: int) -> bytes:
    """Append VIFEs to a VIB, setting the extension bit on the byte before each."""
    out = bytearray(vib)
    for vife in vifes:
        out[-1] |= 0x80
        out.append(vife)
    return bytes(out)


def scaled(
    value: Number,
    vibs: dict[int, bytes],
    field: DataField,
    min_exponent: int,
    rounding: str = ROUND_DOWN,
) -> tuple[bytes, int]:
    """The finest VIB at or above min_exponent whose integer mantissa fits the field."""
    low, high = field_range(field)
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    for exponent in sorted(e for e in vibs if e >= min_exponent):
        mantissa = int(amount.scaleb(-exponent).quantize(Decimal(1), rounding=rounding))
        if low <= mantissa <= high:
            return vibs[exponent], mantissa
    raise LocalProtocolError(f"{value} does not fit {field.name} at any exponent")


def energy_record(
    wh: Number, *, export: bool = False, tariff: int = 0, storage: int = 0,
    field: DataField = DataField.BCD8, min_exponent: int = 0,
) -> DataRecord:  # fmt: skip
    """Active energy A+ (or A- with VIFE 3Ch, negative accumulation), truncated like a register."""
    vib, mantissa = scaled(wh, ENERGY_VIBS, field, min_exponent)
    if export:
        vib = _extend(vib, NEGATIVE_ACCUMULATION)
    return DataRecord(field, vib, mantissa, storage=storage, tariff=tariff)


def reactive_energy_record(
    varh: Number, *, export: bool = False, tariff: int = 0, storage: int = 0,
    field: DataField = DataField.BCD8, min_exponent: int = 0,
) -> DataRecord:  # fmt: skip
    """Reactive energy R+ (R- with VIFE 3Ch): VIF FBh 02h kvarh with a correction factor VIFE."""
    vib, mantissa = scaled(varh, REACTIVE_ENERGY_VIBS, field, min_exponent)
    if export:
        vib = _extend(vib, NEGATIVE_ACCUMULATION)
    return DataRecord(field, vib, mantissa, storage=storage, tariff=tariff)


def _phase(vib: bytes, phase: int | None) -> bytes:
    if phase is None:
        return vib
    if phase not in (1, 2, 3):
        raise LocalProtocolError(f"phase must be 1, 2 or 3, got {phase}")
    return _extend(vib, COMBINABLE_EXTENSION, phase)


def measurement_record(
    value: Number, vibs: dict[int, bytes], *, min_exponent: int, phase: int | None = None,
    function: FunctionField = FunctionField.INSTANTANEOUS, field: DataField = DataField.INT32,
) -> DataRecord:  # fmt: skip
    """An instantaneous (or max/min) measurement, rounded, with an optional phase VIFE."""
    vib, mantissa = scaled(value, vibs, field, min_exponent, ROUND_HALF_EVEN)
    return DataRecord(field, _phase(vib, phase), mantissa, function=function)


def power_record(w: Number, *, phase: int | None = None, min_exponent: int = 0) -> DataRecord:
    """Active power in W (signed: import positive)."""
    return measurement_record(w, POWER_VIBS, min_exponent=min_exponent, phase=phase)


def reactive_power_record(var: Number, *, phase: int | None = None) -> DataRecord:
    """Reactive power in var (VIF FBh 14h..17h)."""
    return measurement_record(var, REACTIVE_POWER_VIBS, min_exponent=0, phase=phase)


def voltage_record(v: Number, *, phase: int | None = None, min_exponent: int = -1) -> DataRecord:
    """RMS voltage, 0.1 V resolution by default (VIF FDh 48h)."""
    return measurement_record(v, VOLTAGE_VIBS, min_exponent=min_exponent, phase=phase)


def current_record(a: Number, *, phase: int | None = None, min_exponent: int = -3) -> DataRecord:
    """RMS current, 1 mA resolution by default (VIF FDh 59h)."""
    return measurement_record(a, CURRENT_VIBS, min_exponent=min_exponent, phase=phase)


def datetime_record(value: datetime, *, storage: int = 0) -> DataRecord:
    """Date and time, type F (CP32), VIF 6Dh."""
    return DataRecord(
        DataField.INT32,
        b"\x6d",
        value.replace(second=0, microsecond=0, tzinfo=None),
        storage=storage,
    )


def fabrication_record(number: int) -> DataRecord:
    """Fabrication (serial) number, 8-digit BCD, VIF 78h."""
    return DataRecord(DataField.BCD8, b"\x78", number)


@dataclass(frozen=True, slots=True)
class ElectricityValues:
    """Plain values of an electricity meter; None leaves the record out."""

    energy_import_wh: Number | None = None
    energy_export_wh: Number | None = None
    reactive_import_varh: Number | None = None
    reactive_export_varh: Number | None = None
    tariff_import_wh: Sequence[Number] = ()
    power_w: Number | None = None
    reactive_power_var: Number | None = None
    voltages_v: Sequence[Number] = ()
    currents_a: Sequence[Number] = ()
    timestamp: datetime | None = None
    fabrication_number: int | None = None


def electricity_records(values: ElectricityValues) -> list[DataRecord]:
    """The standard record list: energies, tariff energies, power, U/I per phase, time, serial."""
    v = values
    out: list[DataRecord] = []
    if v.energy_import_wh is not None:
        out.append(energy_record(v.energy_import_wh))
    if v.energy_export_wh is not None:
        out.append(energy_record(v.energy_export_wh, export=True))
    if v.reactive_import_varh is not None:
        out.append(reactive_energy_record(v.reactive_import_varh))
    if v.reactive_export_varh is not None:
        out.append(reactive_energy_record(v.reactive_export_varh, export=True))
    out += [energy_record(wh, tariff=i) for i, wh in enumerate(v.tariff_import_wh, start=1)]
    if v.power_w is not None:
        out.append(power_record(v.power_w))
    if v.reactive_power_var is not None:
        out.append(reactive_power_record(v.reactive_power_var))
    out += [voltage_record(u, phase=i) for i, u in enumerate(v.voltages_v, start=1)]
    out += [current_record(a, phase=i) for i, a in enumerate(v.currents_a, start=1)]
    if v.timestamp is not None:
        out.append(datetime_record(v.timestamp))
    if v.fabrication_number is not None:
        out.append(fabrication_record(v.fabrication_number))
    return out
