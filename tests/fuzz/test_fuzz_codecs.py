"""Hypothesis fuzzing of every codec: random and mutated real captures, properties in fuzz_targets."""

from __future__ import annotations

import random

import pytest
from fuzz_targets import TARGETS, mutate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.timeout(60)

FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def inputs(name: str) -> st.SearchStrategy[bytes]:
    """Random bytes, captures as they are, and mutated captures of one target."""
    seeds = TARGETS[name].seeds
    mutated = st.builds(
        lambda seed, r: mutate(seed, r, seeds),
        st.sampled_from(seeds),
        st.randoms(use_true_random=False),
    )
    return st.one_of(st.binary(max_size=300), st.sampled_from(seeds), mutated)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seeds_hold(name: str) -> None:
    for seed in TARGETS[name].seeds:
        TARGETS[name].check(seed)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz(name: str) -> None:
    @FUZZ
    @given(inputs(name))
    def run(data: bytes) -> None:
        TARGETS[name].check(data)

    run()


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_mutation_loop(name: str) -> None:
    rng = random.Random(f"k351c-{name}")
    target = TARGETS[name]
    for _ in range(300):
        target.check(mutate(rng.choice(target.seeds), rng, target.seeds))
