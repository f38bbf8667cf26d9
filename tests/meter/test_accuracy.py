"""Accuracy tests at the test points of EN 50470-3 (B, C), IEC 62053-21/22 (1, 0.5S), 62053-23 (2).

Each point runs a whole meter (transformer operated, In = 5 A, Imax = 6 A) long enough that one
register digit (1 Wh) is below a twentieth of the class limit, then compares the energy register
and the LED pulse count (10000 imp/kWh) with the analytic energy. Errors must be within a tenth
of the class limit. Also: no-load (115 % Un, no current) and starting-current tests.

`python tests/meter/test_accuracy.py` prints the error table as Markdown for the docs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.loads import HarmonicLoad
from k351c.meter.metrology import MAXIMUM_CURRENT, NOMINAL_CURRENT, aron_voltage, starting_current
from k351c.meter.waveform import WaveformLoad, synthesize

EPOCH = "2026-01-01T00:00:00Z"
IN = NOMINAL_CURRENT
TYPES = {
    "B": "685-35BC423-070",
    "C": "685-35CC423-070",
    "1": "685-351C423-070",
    "0.5": "685-355C423-070",
}
ARON_B = "685-25BC423-070"
SIXTY_C = "685-45CC423-070"
ANGLE = {"1": 0.0, "0.5L": 60.0, "0.8C": -math.degrees(math.acos(0.8))}


def active_limit(klass: str, i: float, pf: str, single: bool) -> float:
    """Percentage error limit of EN 50470-3 table 6 / IEC 62053-21 and -22, reference conditions."""
    fine = klass in ("C", "0.5")
    if single:
        return (0.6 if fine else 2.0) if pf == "1" else (1.0 if fine else 2.0)
    if pf == "1":
        low = i < 0.05 * IN
        return (1.0 if low else 0.5) if fine else (1.5 if low else 1.0)
    low = i < 0.1 * IN
    return (1.0 if low else 0.6) if fine else (1.5 if low else 1.0)


def reactive_limit(i: float, sin_phi: float, single: bool) -> float:
    """IEC 62053-23 class 2, transformer operated."""
    if single:
        return 3.0
    return 2.5 if i < (0.05 if sin_phi == 1.0 else 0.1) * IN else 2.0


@dataclass(frozen=True)
class Row:
    """One test point's result."""

    meter: str
    point: str
    current: float
    pf: str
    expected: float
    register: int
    error_register: float
    error_led: float
    limit: float | None


def make_meter(type_number: str) -> Meter:
    """A meter with only its metrology chain (no logging functions), so long runs take one step."""
    config = MeterConfig.from_codes(type_number=type_number)
    return Meter(config, clock=SimClock(EPOCH, rate=0), functions=[])


def run_point(type_number: str, load, power: float, limit: float | None, reactive: bool = False):
    """Run until the register resolution is small against the limit; (register, expected, errors)."""
    target_wh = 20.0 / ((limit or 0.5) / 100.0)
    seconds = max(4 * 3600.0, math.ceil(target_wh * 3600.0 / power / 900.0) * 900.0)
    meter = make_meter(type_number)
    meter.set_load(load)
    meter.run_for(seconds)
    expected = power * seconds / 3600.0
    register = meter.read("1-0:3.8.0.255" if reactive else "1-0:1.8.0.255").value
    led = (meter.led_reactive if reactive else meter.led_active).count / 10.0
    return (
        register,
        expected,
        100 * (register - expected) / expected,
        100 * (led - expected) / expected,
    )


def star_power(u, i, angle, reactive=False) -> float:
    """Analytic three-phase P (or Q) of star phasors."""
    fn = np.sin if reactive else np.cos
    return float(np.sum(np.asarray(u) * np.asarray(i) * fn(np.radians(np.asarray(angle)))))


def _named(name, tn, point, i, pf, load, power, limit, reactive=False) -> Row:
    reg, exp, e_reg, e_led = run_point(tn, load, power, limit, reactive)
    return Row(name, point, i, pf, exp, reg, e_reg, e_led, limit)


def active_rows(klass: str) -> list[Row]:
    """Balanced points from Ist to Imax at PF 1, 0.5L, 0.8C, and single-phase points."""
    tn, name = TYPES[klass], f"class {klass}"
    ist = starting_current(klass)
    rows = []
    for i in (ist, 0.01 * IN, 0.02 * IN, 0.05 * IN, 0.1 * IN, 0.5 * IN, IN, MAXIMUM_CURRENT):
        for pf in ("1", "0.5L", "0.8C"):
            if pf != "1" and i < 0.02 * IN:
                continue
            limit = None if i == ist else active_limit(klass, i, pf, False)
            load = ConstantLoad(current=i, angle=ANGLE[pf])
            power = star_power([230.0] * 3, [i] * 3, [ANGLE[pf]] * 3)
            point = "Ist" if i == ist else "balanced"
            rows.append(_named(name, tn, point, i, pf, load, power, limit))
    for phase in range(3):
        for i in (0.1 * IN, IN):
            for pf in ("1", "0.5L"):
                cur = [0.0] * 3
                cur[phase] = i
                load = ConstantLoad(current=tuple(cur), angle=ANGLE[pf])
                power = star_power([230.0] * 3, cur, [ANGLE[pf]] * 3)
                limit = active_limit(klass, i, pf, True)
                rows.append(_named(name, tn, f"single L{phase + 1}", i, pf, load, power, limit))
    return rows


def reactive_rows() -> list[Row]:
    """IEC 62053-23 class 2 points: sin phi 1 and 0.5 (inductive), balanced and single-phase."""
    tn, name = TYPES["B"], "reactive class 2"
    rows = []
    for i in (0.02 * IN, 0.05 * IN, 0.1 * IN, IN, MAXIMUM_CURRENT):
        for sin_phi, angle in ((1.0, 90.0), (0.5, 30.0)):
            if sin_phi == 0.5 and i < 0.05 * IN:
                continue
            load = ConstantLoad(current=i, angle=angle)
            power = star_power([230.0] * 3, [i] * 3, [angle] * 3, reactive=True)
            limit = reactive_limit(i, sin_phi, False)
            rows.append(
                _named(name, tn, "balanced", i, f"sin {sin_phi:g}", load, power, limit, True)
            )
    for phase in range(3):
        cur = [0.0] * 3
        cur[phase] = IN
        load = ConstantLoad(current=tuple(cur), angle=90.0)
        power = star_power([230.0] * 3, cur, [90.0] * 3, reactive=True)
        limit = reactive_limit(IN, 1.0, True)
        rows.append(_named(name, tn, f"single L{phase + 1}", IN, "sin 1", load, power, limit, True))
    return rows


# IEC 62053-21 8.2.1 harmonic influence test: I1 = 0.5 Imax, U5 = 10 % Un, I5 = 40 % I1, in phase;
# and the plain 10 % 5th-harmonic current with a 2 % 5th-harmonic voltage.
HARMONIC_CASES = {
    "5th: U5 10 %, I5 40 % (IEC)": (0.5 * MAXIMUM_CURRENT, 23.0, 0.4 * 0.5 * MAXIMUM_CURRENT),
    "5th: U5 2 %, I5 10 %": (IN, 4.6, 0.5),
}
HARMONIC_LIMIT = {"B": 0.8, "C": 0.5, "1": 0.8, "0.5": 0.5}


def harmonic_rows() -> list[Row]:
    """Harmonic points as phasor inputs and as sampled waveforms (10 kHz), classes B and C."""
    rows = []
    for klass in ("B", "C"):
        for label, (i1, u5, i5) in HARMONIC_CASES.items():
            load = HarmonicLoad(ConstantLoad(current=i1), ((5.0, u5, i5, 0.0),))
            power = 3 * (230.0 * i1 + u5 * i5)
            limit = HARMONIC_LIMIT[klass]
            name = f"class {klass}"
            rows.append(
                _named(name, TYPES[klass], f"{label}, phasors", i1, "1", load, power, limit)
            )
            u, i = synthesize(load.inputs(1), 10_000.0, 1.0)
            wave = WaveformLoad(u, i, 10_000.0)
            rows.append(
                _named(name, TYPES[klass], f"{label}, waveform", i1, "1", wave, power, limit)
            )
    return rows


def aron_rows() -> list[Row]:
    """Aron (3x230 V, two elements) with balanced and unbalanced three-wire loads; 60 Hz class C."""
    v = aron_voltage(230.0)
    rows = []
    for pf in ("1", "0.5L", "0.8C"):
        load = ConstantLoad(voltage=v, current=IN, angle=ANGLE[pf])
        power = star_power([v] * 3, [IN] * 3, [ANGLE[pf]] * 3)
        rows.append(
            _named(
                "Aron B", ARON_B, "balanced", IN, pf, load, power, active_limit("B", IN, pf, False)
            )
        )
    cur, ang = unbalanced_three_wire(4.0, 30.0, 2.0, -20.0)
    load = ConstantLoad(voltage=v, current=cur, angle=ang)
    power = star_power([v] * 3, cur, ang)
    rows.append(_named("Aron B", ARON_B, "unbalanced 3-wire", 4.0, "mixed", load, power, 1.0))
    for pf in ("1", "0.5L"):
        load = ConstantLoad(current=IN, angle=ANGLE[pf], frequency=60.0)
        power = star_power([230.0] * 3, [IN] * 3, [ANGLE[pf]] * 3)
        rows.append(
            _named(
                "60 Hz C",
                SIXTY_C,
                "balanced",
                IN,
                pf,
                load,
                power,
                active_limit("C", IN, pf, False),
            )
        )
    return rows


def unbalanced_three_wire(i1: float, phi1: float, i3: float, phi3: float):
    """Star currents and lag angles of a three-wire load: I2 = -(I1 + I3)."""
    theta = np.radians([0.0, -120.0, 120.0])
    c1 = i1 * np.exp(1j * (theta[0] - math.radians(phi1)))
    c3 = i3 * np.exp(1j * (theta[2] - math.radians(phi3)))
    c = np.array([c1, -(c1 + c3), c3])
    angles = np.degrees(theta - np.angle(c))
    return tuple(float(x) for x in np.abs(c)), tuple(float((a + 180) % 360 - 180) for a in angles)


@lru_cache(maxsize=1)
def all_rows() -> tuple[Row, ...]:
    """Every point of the table (computed once per session)."""
    rows: list[Row] = []
    for klass in TYPES:
        rows += active_rows(klass)
    return tuple(rows + reactive_rows() + harmonic_rows() + aron_rows())


def markdown_table(rows=None) -> str:
    """The error table as Markdown (docs reuse it)."""
    rows = all_rows() if rows is None else rows
    out = [
        "| meter | point | I (A) | PF | expected (Wh/varh) | register | error register % "
        "| error LED % | class limit % |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        limit = "starts" if r.limit is None else f"±{r.limit:g}"
        out.append(
            f"| {r.meter} | {r.point} | {r.current:.3f} | {r.pf} | {r.expected:.1f} | {r.register} "
            f"| {r.error_register:+.4f} | {r.error_led:+.4f} | {limit} |"
        )
    return "\n".join(out)


def test_error_table_within_a_tenth_of_the_class_limits():
    rows = all_rows()
    print("\n" + markdown_table(rows))
    for r in rows:
        bound = (r.limit if r.limit is not None else 0.5) / 10.0
        assert abs(r.error_register) <= bound, r
        assert abs(r.error_led) <= bound, r


def test_table_covers_the_standard_points():
    rows = all_rows()
    assert {r.meter for r in rows} >= {
        "class B",
        "class C",
        "class 1",
        "class 0.5",
        "reactive class 2",
        "Aron B",
        "60 Hz C",
    }
    assert {r.pf for r in rows} >= {"1", "0.5L", "0.8C", "sin 1", "sin 0.5"}
    assert any("waveform" in r.point for r in rows)
    assert min(r.current for r in rows) <= starting_current("C")
    assert max(r.current for r in rows) == MAXIMUM_CURRENT


# No-load test constants (test duration = C x 10^6 / (k m Un Imax) minutes), per class.
NO_LOAD_CONSTANT = {"B": 600e6, "1": 600e6, "C": 900e6, "0.5": 900e6}


@pytest.mark.parametrize("klass", list(TYPES))
def test_no_load_at_115_percent_voltage_gives_at_most_one_pulse(klass):
    minutes = NO_LOAD_CONSTANT[klass] / (10000 * 3 * 230.0 * MAXIMUM_CURRENT)
    meter = make_meter(TYPES[klass])
    meter.set_load(ConstantLoad(voltage=1.15 * 230.0, current=0.0))
    meter.run_for(minutes * 60 * 10)
    assert meter.led_active.count <= 1
    assert meter.led_reactive.count <= 1
    assert meter.read("1-0:1.8.0.255").value == 0
    assert meter.read("1-0:3.8.0.255").value == 0


@pytest.mark.parametrize("klass", list(TYPES))
def test_no_load_with_a_residual_current_below_the_threshold(klass):
    meter = make_meter(TYPES[klass])
    meter.set_load(
        ConstantLoad(voltage=1.15 * 230.0, current=0.5 * starting_current(klass), angle=60.0)
    )
    meter.run_for(86400)
    assert meter.led_active.count == 0
    assert meter.led_reactive.count == 0


@pytest.mark.parametrize("klass", list(TYPES))
@pytest.mark.parametrize("phases", ["balanced", "single"])
def test_starting_current_registers_continuously(klass, phases):
    ist = starting_current(klass)
    current = ist if phases == "balanced" else (ist, 0.0, 0.0)
    meter = make_meter(TYPES[klass])
    meter.set_load(ConstantLoad(current=current, angle=0.0))
    m = 3 if phases == "balanced" else 1
    pulse_period = 3600.0 / (10000 / 1000.0 * 230.0 * ist * m)
    counts = []
    for _ in range(20):
        meter.run_for(1.5 * pulse_period)
        counts.append(meter.led_active.count)
    assert all(b > a for a, b in zip([0, *counts], counts, strict=False))
    assert abs(counts[-1] - 30) <= 1


def test_a_full_meter_with_all_functions_registers_the_same():
    config = MeterConfig.from_codes(type_number=TYPES["B"])
    meter = Meter(config, clock=SimClock(EPOCH, rate=0))
    meter.set_load(ConstantLoad(current=IN, angle=60.0))
    meter.run_for(86400)
    assert meter.read("1-0:1.8.0.255").value == round(3 * 230 * 5 * 0.5 * 24)
    assert meter.led_active.count == round(3 * 230 * 5 * 0.5 * 24 * 10)


def main() -> None:
    """Print the Markdown error table (for the docs)."""
    print(markdown_table())


if __name__ == "__main__":
    main()
