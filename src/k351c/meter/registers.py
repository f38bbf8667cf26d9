"""Energy and instantaneous value definitions: the OBIS codes of the metrology, primary and secondary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from k351c.meter.energy import QUANTITIES, QUANTITY_C, TARIFF_SLOT0
from k351c.meter.metrology import power_factor_value
from k351c.meter.objects import ValueDef
from k351c.obis import Obis
from k351c.units import Unit

if TYPE_CHECKING:
    from k351c.meter.core import Meter

ENERGY_UNIT = {"A+": Unit.WATT_HOUR, "A-": Unit.WATT_HOUR, "R+": Unit.VAR_HOUR, "R-": Unit.VAR_HOUR}
ENERGY_NAME = {
    "A+": "active energy import",
    "A-": "active energy export",
    "R+": "reactive energy import",
    "R-": "reactive energy export",
}
PHASE_NAME = ("total", "L1", "L2", "L3")


def register_energy(meter: Meter) -> None:
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
    meter: Meter, obis: Obis, bank: str, qi: int, slot: int, name: str, what: str
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


def _instant_values(meter: Meter, primary: bool) -> dict[tuple[int, int], tuple]:
    """(C, E) -> (getter, unit, scaler, description) for the instantaneous values."""
    m = meter
    k = (lambda: m.ct_ratio) if primary else (lambda: 1.0)

    def pos(arr_fn):
        return lambda: int(round(max(arr_fn(), 0.0) * k()))

    def neg(arr_fn):
        return lambda: int(round(max(-arr_fn(), 0.0) * k()))

    def phase(attr: str, i: int):
        return lambda: m.instant.last()[attr][i]

    def total(attr: str):
        return lambda: m.instant.last()[attr]

    p_tot, q_tot = total("p_total"), total("q_total")
    s_tot = total("s_total")
    values: dict[tuple[int, int], tuple] = {
        (1, 7): (pos(p_tot), Unit.WATT, 0, "P+ total"),
        (2, 7): (neg(p_tot), Unit.WATT, 0, "P- total"),
        (3, 7): (pos(q_tot), Unit.VAR, 0, "Q+ total"),
        (4, 7): (neg(q_tot), Unit.VAR, 0, "Q- total"),
        (9, 7): (
            lambda: int(round(s_tot() * k())) if p_tot() >= 0 else 0,
            Unit.VOLT_AMPERE,
            0,
            "S+ total",
        ),
        (10, 7): (
            lambda: int(round(s_tot() * k())) if p_tot() < 0 else 0,
            Unit.VOLT_AMPERE,
            0,
            "S- total",
        ),
        (13, 7): (
            lambda: int(round(power_factor_value(p_tot(), s_tot()) * 1000)),
            None,
            -3,
            "power factor total",
        ),
        (14, 7): (
            lambda: int(round(m.instant.last()["frequency"] * 100)),
            Unit.HERTZ,
            -2,
            "frequency",
        ),
    }
    for i, base in enumerate((20, 40, 60)):
        p, q, s = phase("p", i), phase("q", i), phase("s", i)
        ph = f"L{i + 1}"
        values.update(
            {
                (base + 1, 7): (pos(p), Unit.WATT, 0, f"P+ {ph}"),
                (base + 2, 7): (neg(p), Unit.WATT, 0, f"P- {ph}"),
                (base + 3, 7): (pos(q), Unit.VAR, 0, f"Q+ {ph}"),
                (base + 4, 7): (neg(q), Unit.VAR, 0, f"Q- {ph}"),
                (base + 9, 7): (_signed_s(p, s, k, True), Unit.VOLT_AMPERE, 0, f"S+ {ph}"),
                (base + 10, 7): (_signed_s(p, s, k, False), Unit.VOLT_AMPERE, 0, f"S- {ph}"),
                (base + 11, 7): (
                    _scaled(phase("current", i), k, 100),
                    Unit.AMPERE,
                    -2,
                    f"current {ph}",
                ),
                (base + 12, 7): (
                    _scaled(phase("voltage", i), lambda: 1.0, 10),
                    Unit.VOLT,
                    -1,
                    f"voltage {ph}",
                ),
                (base + 13, 7): (_phase_pf(p, s), None, -3, f"power factor {ph}"),
            }
        )
    return values


def _signed_s(p, s, k, positive: bool):
    return lambda: int(round(s() * k())) if (p() >= 0) == positive else 0


def _scaled(fn, k, factor: int):
    return lambda: int(round(fn() * k() * factor))


def _phase_pf(p, s):
    return lambda: int(round(power_factor_value(p(), s()) * 1000))


def register_instantaneous(meter: Meter) -> None:
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
                )
            )
