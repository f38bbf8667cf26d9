"""The one booking rule (k351c.meter.energy): the quadrant split and the remainder carry.

A single ``Meter`` and a ``Fleet`` book through the same ``EnergyBanks``; the single meter's
Python-float step (``energy_rows``) must give the array rule's bits exactly.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from k351c.meter.energy import (
    PRIMARY,
    SECONDARY,
    SLOTS,
    TARIFF_SLOT0,
    EnergyBanks,
    energy_rows,
    quantity_mask,
    signed_parts,
)
from k351c.meter.metrology import Measurement

power = st.floats(-20000.0, 20000.0, allow_nan=False, allow_subnormal=False)
phases = st.lists(power, min_size=3, max_size=3)


def _measurement(p, q) -> Measurement:
    p, q = np.array([p], dtype=float), np.array([q], dtype=float)
    ones = np.ones((1, 3))
    return Measurement(230.0 * ones, ones, p, q, np.hypot(p, q), np.array([50.0]), np.array([True]))


@given(p=phases, q=phases, dt=st.floats(0.001, 3600.0), tariff=st.integers(1, 4))
def test_the_scalar_step_gives_the_array_rules_bits(p, q, dt, tariff):
    meas = _measurement(p, q)
    expected = np.zeros((4, SLOTS))
    for qi, (total, per_phase) in enumerate(signed_parts(meas, 1, 1, skip_zero=False)):
        expected[qi, 0] = total[0, 0] * dt
        expected[qi, 1:4] = per_phase[0, 0] * dt
    expected[:, TARIFF_SLOT0 + tariff - 1] = expected[:, 0]
    assert np.array_equal(np.array(energy_rows(meas, dt, tariff)), expected)


@given(p=phases, q=phases)
def test_the_quadrant_split_is_non_negative_and_adds_back(p, q):
    (pp, pp3), (pm, pm3), (qp, qp3), (qm, qm3) = signed_parts(_measurement(p, q), 1, 1)
    for part in (pp, pp3, pm, pm3, qp, qp3, qm, qm3):
        assert part is None or (part >= 0).all()
    if pp is not None and pm is not None:
        assert np.isclose(pp[0, 0] - pm[0, 0], sum(p), rtol=1e-12, atol=1e-9)


@given(
    steps=st.lists(st.floats(0.0, 5e6, allow_subnormal=False), min_size=1, max_size=40),
    ratio=st.sampled_from([1.0, 20.0, 600.0]),
)
def test_the_carry_keeps_every_fraction_of_a_unit(steps, ratio):
    one = EnergyBanks(1, quantity_mask(("A+", "R+")))
    three = EnergyBanks(3, quantity_mask(("A+", "R+")))
    for ws in steps:
        table = np.full((4, SLOTS), ws)
        one.book(EnergyBanks.wh(table[None], ratio))
        three.book(EnergyBanks.wh(np.stack([table] * 3), ratio))
    assert np.array_equal(three.counts, np.repeat(one.counts, 3, axis=1))  # a meter is a fleet of one
    assert ((one.remainder >= 0) & (one.remainder < 1)).all()
    exact = sum(steps) / 3600.0
    for bank, factor in ((PRIMARY, ratio), (SECONDARY, 1.0)):
        booked = one.counts[bank, 0, 0, 0] + one.remainder[bank, 0, 0, 0]
        assert np.isclose(booked, exact * factor, rtol=1e-9, atol=1e-6)
    assert (one.counts[:, 0, 1] == 0).all() and (one.counts[:, 0, 3] == 0).all()  # A-, R- not kept
