"""`pytest -m slow`: the kill -9 soak of scripts/soak.py, shortened to what a CI job can afford."""

from __future__ import annotations

import pytest
from killing import ct_kill_loop, kill_loop

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_soak_ten_kills_ten_days_a_second(tmp_path) -> None:
    # after every kill: integrity, time and registers never back, debiting rows kept, none doubled
    figures = kill_loop(tmp_path / "state", kills=10, seed=351, low=1.5, high=3.0, rate=864_000.0)
    print(figures)
    assert figures["kills"] == 10
    assert figures["energy_after"] > figures["energy_before"]
    assert figures["grew"] >= 3, figures  # a run grows once it outlives the second 1 s tick
    assert figures["simulated_days"] > 31 and len(figures["debiting_stamps"]) >= 1, figures


def test_soak_ct_changes_while_killed(tmp_path) -> None:
    figures = ct_kill_loop(tmp_path / "state", kills=6, seed=351)
    assert figures["kills"] == 6 and figures["ct_writes_acked"] > 0, figures
