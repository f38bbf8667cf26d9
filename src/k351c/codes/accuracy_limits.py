"""The standards' accuracy limits of a transformer-operated meter, as data and vectorised look-ups.

Active energy: EN 50470-3 classes B and C (the same test points and limits as IEC 62053-21
class 1 and IEC 62053-22 class 0.5S, with the current breakpoints 0.05 In and 0.1 In of a
transformer-operated meter); reactive energy: IEC 62053-23 class 2. The composite maximum
permissible error at rated operating conditions (current load, voltage, frequency and
temperature together, the data sheet's "MPE" charts) is the MID (2014/32/EU) annex MI-003
table 3, which EN 50470-3 restates. Currents are given as x = I / In (In = 5 A); angles as
the element's phase angle phi (radians, current lagging the voltage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

NOMINAL_CURRENT = 5.0
REFERENCE_TEMPERATURE = 23.0
TEMPERATURE_RANGE = (-40.0, 70.0)  # the data sheet's operating temperature
VOLTAGE_RANGE = (-0.20, 0.15)  # the extended voltage range, relative to Un
RATED_VOLTAGE = 0.10  # the rated operating range of voltage (+-10 % Un)
RATED_FREQUENCY = 0.02  # and of frequency (+-2 % fn)
EXTENDED_VOLTAGE_FACTOR = 3.0  # -20..-10 % and +10..+15 % Un: three times the +-10 % limit
HARMONIC_CURRENT = 0.40  # the 5th-harmonic test: I5 = 40 % of I1 (U5 = 10 %)


@dataclass(frozen=True, slots=True)
class ClassLimits:
    """The limits of one accuracy class, in percent (coefficients in percent per kelvin).

    Pairs are (unity, reduced) power factor: PF 1 / PF 0.5 inductive..0.8 capacitive for
    active energy, sin phi 1 / sin phi 0.5 for reactive energy.
    """

    name: str
    low: tuple[float, float]  # below the breakpoint current
    high: tuple[float, float]  # from the breakpoint to Imax
    breakpoint: tuple[float, float]  # x = I / In where the tighter limit starts
    single: tuple[float, float]  # one phase loaded on balanced voltages (Itr..Imax)
    temperature: tuple[float, float]  # mean temperature coefficient limit, %/K
    voltage: tuple[float, float]  # variation limit for Un +-10 %
    frequency: tuple[float, float]  # variation limit for fn +-2 %
    harmonic: float  # variation limit, 5th harmonic (U5 10 %, I5 40 %); 0 = not specified
    capacitive_pf: float  # the reduced-PF test point on the capacitive side (0.8 or 0.5)


ACTIVE_B = ClassLimits(
    name="B",
    low=(1.5, 1.5),
    high=(1.0, 1.0),
    breakpoint=(0.05, 0.1),
    single=(2.0, 2.0),
    temperature=(0.05, 0.07),
    voltage=(0.7, 1.0),
    frequency=(0.5, 0.7),
    harmonic=0.8,
    capacitive_pf=0.8,
)
ACTIVE_C = ClassLimits(
    name="C",
    low=(1.0, 1.0),
    high=(0.5, 0.6),
    breakpoint=(0.05, 0.1),
    single=(0.6, 1.0),
    temperature=(0.03, 0.05),
    voltage=(0.2, 0.4),
    frequency=(0.2, 0.2),
    harmonic=0.5,
    capacitive_pf=0.8,
)
REACTIVE_2 = ClassLimits(
    name="2",
    low=(2.5, 2.5),
    high=(2.0, 2.0),
    breakpoint=(0.05, 0.1),
    single=(3.0, 3.0),
    temperature=(0.10, 0.15),
    voltage=(1.0, 1.5),
    frequency=(2.5, 2.5),
    harmonic=0.0,
    capacitive_pf=0.5,
)
# The type number's class (X3) -> the active limits: class 1 shares B's, class 0.5 shares C's.
ACTIVE_BY_CLASS = {"B": ACTIVE_B, "1": ACTIVE_B, "C": ACTIVE_C, "0.5": ACTIVE_C, "0.5S": ACTIVE_C}

# MID annex MI-003 table 3: composite MPE (%) by operating temperature band, balanced load.
COMPOSITE_BANDS = ((5.0, 30.0), (-10.0, 40.0), (-25.0, 55.0), (-40.0, 70.0))
COMPOSITE = {
    "B": {"low": (2.0, 2.5, 3.5, 4.0), "high": (2.0, 2.5, 3.5, 4.0)},
    "C": {"low": (1.0, 1.3, 1.7, 2.0), "high": (0.7, 1.0, 1.3, 1.5)},
}


def active_limits(meter_class: str) -> ClassLimits:
    """The active-energy limits of a type number's class ("B", "C", "1", "0.5")."""
    return ACTIVE_BY_CLASS.get(meter_class, ACTIVE_B)


def fold_angle(cos_part: np.ndarray, sin_part: np.ndarray) -> np.ndarray:
    """The phase angle folded into -90..+90 degrees by its tangent (export mirrors import)."""
    return np.degrees(np.arctan2(sin_part * np.where(cos_part < 0, -1.0, 1.0), np.abs(cos_part)))


def weight(limits: ClassLimits, cos_abs: np.ndarray, lagging: np.ndarray) -> np.ndarray:
    """0 at unity PF (or sin phi), 1 at and beyond the reduced-PF test points, linear in between.

    ``cos_abs`` is |PF| for active energy (|sin phi| for reactive); ``lagging`` whether the
    current lags (the inductive side).
    """
    scale = np.where(lagging, 2.0, 1.0 / (1.0 - limits.capacitive_pf))
    return np.clip((1.0 - cos_abs) * scale, 0.0, 1.0)


def reduced_weight(limits: ClassLimits, folded_deg: ArrayLike) -> np.ndarray:
    """weight() of a folded angle (degrees, positive = lagging)."""
    folded_deg = np.asarray(folded_deg, dtype=float)
    return weight(limits, np.cos(np.radians(folded_deg)), folded_deg >= 0)


def pair(values: tuple[float, float], w: np.ndarray) -> np.ndarray:
    """A limit pair (unity, reduced PF) at weight w."""
    return values[0] + w * (values[1] - values[0])


def reference_limit_w(limits: ClassLimits, x: ArrayLike, w: np.ndarray) -> np.ndarray:
    """reference_limit() at weight w (see weight())."""
    x = np.asarray(x, dtype=float)
    unity = np.where(x < limits.breakpoint[0], limits.low[0], limits.high[0])
    reduced = np.where(x < limits.breakpoint[1], limits.low[1], limits.high[1])
    return unity + w * (reduced - unity)


def reference_limit(limits: ClassLimits, x: ArrayLike, folded_deg: ArrayLike) -> np.ndarray:
    """Percentage error limit at reference conditions (balanced load) at current x and angle."""
    return reference_limit_w(limits, x, reduced_weight(limits, folded_deg))


def temperature_coefficient(limits: ClassLimits, folded_deg: np.ndarray) -> np.ndarray:
    """Mean temperature coefficient limit (%/K) at this angle."""
    return pair(limits.temperature, reduced_weight(limits, folded_deg))


def voltage_limit(limits: ClassLimits, folded_deg: np.ndarray, du: np.ndarray) -> np.ndarray:
    """Limit of the error's variation for a voltage deviation du (fraction of Un); inf below -20 %."""
    base = pair(limits.voltage, reduced_weight(limits, folded_deg))
    du = np.asarray(du, dtype=float)
    factor = np.where(np.abs(du) <= RATED_VOLTAGE + 1e-12, 1.0, EXTENDED_VOLTAGE_FACTOR)
    outside = (du < VOLTAGE_RANGE[0] - 1e-12) | (du > VOLTAGE_RANGE[1] + 1e-12)
    return np.where(outside, np.inf, base * factor)


def frequency_limit(limits: ClassLimits, folded_deg: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Limit of the error's variation for a frequency deviation df (fraction of fn); inf beyond 2 %."""
    base = pair(limits.frequency, reduced_weight(limits, folded_deg))
    return np.where(np.abs(np.asarray(df, dtype=float)) <= RATED_FREQUENCY + 1e-12, base, np.inf)


def _band_distance(t: np.ndarray, band: int) -> np.ndarray:
    """Kelvin from t to the temperatures of composite band ``band`` (0 inside it)."""
    lo, hi = COMPOSITE_BANDS[band]
    outer = np.maximum(np.maximum(lo - t, t - hi), 0.0)
    if band == 0:
        return outer
    inner_lo, inner_hi = COMPOSITE_BANDS[band - 1]
    inside_inner = np.minimum(t - inner_lo, inner_hi - t)  # > 0 inside the next-inner band
    return np.where(inside_inner > 0, inside_inner, outer)


def composite_envelope(
    limits: ClassLimits, x: np.ndarray, temperature: np.ndarray, coefficient: np.ndarray
) -> np.ndarray:
    """The composite MPE made continuous: the largest curve under it whose slope is ``coefficient``.

    A meter cannot follow the MPE's steps at the band edges and keep its temperature coefficient
    inside the limit; under this envelope it does both (inf for reactive energy).
    """
    table = COMPOSITE.get(limits.name)
    t = np.asarray(temperature, dtype=float)
    if table is None:
        return np.full(np.broadcast(np.asarray(x), t, np.asarray(coefficient)).shape, np.inf)
    low = np.asarray(x) < limits.breakpoint[0]
    out = np.full(np.broadcast(low, t, np.asarray(coefficient)).shape, np.inf)
    for band in range(len(COMPOSITE_BANDS)):
        value = np.where(low, table["low"][band], table["high"][band])
        out = np.minimum(out, value + coefficient * _band_distance(t, band))
    return out


def composite_limit(limits: ClassLimits, x: ArrayLike, temperature: ArrayLike) -> np.ndarray:
    """MID composite MPE (%) at rated operating conditions; inf for reactive or out of range."""
    table = COMPOSITE.get(limits.name)
    t = np.asarray(temperature, dtype=float)
    if table is None:
        return np.full(np.broadcast(np.asarray(x), t).shape, np.inf)
    band = np.full(t.shape, 4, dtype=np.int64)
    for j in range(len(COMPOSITE_BANDS) - 1, -1, -1):
        lo, hi = COMPOSITE_BANDS[j]
        band = np.where((t >= lo) & (t <= hi), j, band)
    low = np.append(np.asarray(table["low"]), np.inf)[band]
    high = np.append(np.asarray(table["high"]), np.inf)[band]
    return np.where(np.asarray(x) < limits.breakpoint[0], low, high)
