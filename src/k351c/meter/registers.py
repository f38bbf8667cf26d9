"""Energy and instantaneous value definitions: the OBIS codes of the metrology, primary and secondary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from k351c.meter.energy import PRIMARY, QUANTITIES, QUANTITY_C, SECONDARY, TARIFF_SLOT0
from k351c.meter.metrology import power_factor_value
from k351c.meter.objects import POWER_FACTOR_RANGE, ObjectTable, ValueDef
from k351c.obis import Obis
from k351c.units import Unit

if TYPE_CHECKING:
    from k351c.meter.core import Meter
    from k351c.meter.fleet_view import MeterView

ENERGY_UNIT = {"A+": Unit.WATT_HOUR, "A-": Unit.WATT_HOUR, "R+": Unit.VAR_HOUR, "R-": Unit.VAR_HOUR}
ENERGY_NAME = {
    "A+": "active energy import",
    "A-": "active energy export",
    "R+": "reactive energy import",
    "R-": "reactive energy export",
}
PHASE_NAME = ("total", "L1", "L2", "L3")


class Measured(Protocol):
    """What the instantaneous registers read: a Meter, a fleet meter, or the fleet's analysis getters."""

    @property
    def objects(self) -> ObjectTable: ...

    @property
    def instant(self) -> Any: ...  # what it measured last: ``instant.last()``

    @property
    def ct_ratio(self) -> float: ...


Register = tuple[int, int, int]  # bank, quantity, slot


def energy_register(code: str) -> Register | None:
    """(bank, quantity, slot) of an energy register's OBIS code (as register_energy adds it), else None."""
    obis = Obis.parse(code)
    if obis.a != 1 or obis.d != 8 or obis.b not in (0, 1):
        return None
    bank = PRIMARY if obis.b == 0 else SECONDARY
    for qi, name in enumerate(QUANTITIES):
        codes = QUANTITY_C[name]
        if obis.e == 0 and obis.c in codes:
            return bank, qi, codes.index(obis.c)
        if obis.c == codes[0] and 1 <= obis.e <= 4:
            return bank, qi, TARIFF_SLOT0 + obis.e - 1
    return None


def register_energy(meter: Meter | MeterView) -> None:
    """Add A+ A- R+ R- (total, per phase, tariff 1-4) for primary (B=0) and secondary (B=1)."""
    for b, bank_name in ((0, "primary"), (1, "secondary")):
        for qi, name in enumerate(QUANTITIES):
            if name not in meter.config.energy_channels:
                continue
            for slot, c in enumerate(QUANTITY_C[name]):
                _add_energy(meter, Obis(1, b, c, 8, 0), bank_name, qi, slot, name, PHASE_NAME[slot])
            for tariff in range(1, 5):
                obis = Obis(1, b, QUANTITY_C[name][0], 8, tariff)
                _add_energy(
                    meter, obis, bank_name, qi, TARIFF_SLOT0 + tariff - 1, name, f"tariff {tariff}"
                )


def _add_energy(
    meter: Meter | MeterView, obis: Obis, bank: str, qi: int, slot: int, name: str, what: str
) -> None:
    def get() -> int:
        return int(getattr(meter, bank).counts[qi, slot])

    meter.objects.add(
        ValueDef(
            obis,
            3,
            get,
            ENERGY_UNIT[name],
            0,
            legal=True,
            public=True,
            description=f"{ENERGY_NAME[name]} {name}, {what}, {bank}",
        )
    )


def _instant_values(meter: Measured, primary: bool) -> dict[tuple[int, int], tuple]:
    """(C, E) -> (getter, unit, scaler, description) for the instantaneous values."""
    values: dict[tuple[int, int], tuple] = {
        (1, 7): (_power(meter, primary, "p_total", None, 1.0), Unit.WATT, 0, "P+ total"),
        (2, 7): (_power(meter, primary, "p_total", None, -1.0), Unit.WATT, 0, "P- total"),
        (3, 7): (_power(meter, primary, "q_total", None, 1.0), Unit.VAR, 0, "Q+ total"),
        (4, 7): (_power(meter, primary, "q_total", None, -1.0), Unit.VAR, 0, "Q- total"),
        (9, 7): (_apparent(meter, primary, None, True), Unit.VOLT_AMPERE, 0, "S+ total"),
        (10, 7): (_apparent(meter, primary, None, False), Unit.VOLT_AMPERE, 0, "S- total"),
        (13, 7): (_pf(meter, None), None, -3, "power factor total"),
        (14, 7): (
            lambda: int(round(meter.instant.last()["frequency"] * 100)),
            Unit.HERTZ,
            -2,
            "frequency",
        ),
    }
    for i, base in enumerate((20, 40, 60)):
        ph = f"L{i + 1}"
        values.update(
            {
                (base + 1, 7): (_power(meter, primary, "p", i, 1.0), Unit.WATT, 0, f"P+ {ph}"),
                (base + 2, 7): (_power(meter, primary, "p", i, -1.0), Unit.WATT, 0, f"P- {ph}"),
                (base + 3, 7): (_power(meter, primary, "q", i, 1.0), Unit.VAR, 0, f"Q+ {ph}"),
                (base + 4, 7): (_power(meter, primary, "q", i, -1.0), Unit.VAR, 0, f"Q- {ph}"),
                (base + 9, 7): (
                    _apparent(meter, primary, i, True),
                    Unit.VOLT_AMPERE,
                    0,
                    f"S+ {ph}",
                ),
                (base + 10, 7): (
                    _apparent(meter, primary, i, False),
                    Unit.VOLT_AMPERE,
                    0,
                    f"S- {ph}",
                ),
                (base + 11, 7): (_current(meter, primary, i), Unit.AMPERE, -2, f"current {ph}"),
                (base + 12, 7): (
                    lambda i=i: int(round(meter.instant.last()["voltage"][i] * 10)),
                    Unit.VOLT,
                    -1,
                    f"voltage {ph}",
                ),
                (base + 13, 7): (_pf(meter, i), None, -3, f"power factor {ph}"),
            }
        )
    return values


def _power(meter: Measured, primary: bool, attr: str, i: int | None, sign: float):
    """P+/P-/Q+/Q- of the last measurement: max(sign * value, 0), times the CT ratio on the primary side."""

    def value() -> float:
        v = meter.instant.last()[attr]
        return max((v if i is None else v[i]) * sign, 0.0)

    if primary:
        return lambda: int(round(value() * meter.ct_ratio))
    return lambda: int(round(value()))


def _apparent(meter: Measured, primary: bool, i: int | None, positive: bool):
    """S+ (import) or S- (export) of the last measurement: S when the sign of P matches, else 0."""
    p_key, s_key = ("p_total", "s_total") if i is None else ("p", "s")

    def get() -> int:
        last = meter.instant.last()
        p, s = last[p_key], last[s_key]
        if i is not None:
            p, s = p[i], s[i]
        if (p >= 0) != positive:
            return 0
        return int(round(s * meter.ct_ratio)) if primary else int(round(s))

    return get


def _current(meter: Measured, primary: bool, i: int):
    """Phase current in 0.01 A, times the CT ratio on the primary side."""
    if primary:
        return lambda: int(round(meter.instant.last()["current"][i] * meter.ct_ratio * 100))
    return lambda: int(round(meter.instant.last()["current"][i] * 100))


def _pf(meter: Measured, i: int | None):
    """Power factor (total or of phase i) in 0.001 with the IEC sign."""
    if i is None:

        def get() -> int:
            last = meter.instant.last()
            return int(round(power_factor_value(last["p_total"], last["s_total"]) * 1000))

        return get

    def get_phase() -> int:
        last = meter.instant.last()
        return int(round(power_factor_value(last["p"][i], last["s"][i]) * 1000))

    return get_phase


def register_instantaneous(meter: Measured) -> None:
    """Add instantaneous P, Q, S, U, I, PF and frequency, primary (B=0) and secondary (B=1)."""
    for b, primary in ((0, True), (1, False)):
        for (c, d), (getter, unit, scaler, text) in _instant_values(meter, primary).items():
            where = "primary" if primary else "secondary"
            meter.objects.add(
                ValueDef(
                    Obis(1, b, c, d, 0),
                    3,
                    getter,
                    unit,
                    scaler,
                    public=False,
                    description=f"instantaneous {text}, {where}",
                    value_range=POWER_FACTOR_RANGE if unit is None else None,  # power factors
                )
            )
