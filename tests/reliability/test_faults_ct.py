"""Faults: SIGKILL of `k351c serve` while an optical client changes the CT ratio (W1 1-0:0.4.2)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from killing import check_ct, ct_kill_loop

pytestmark = pytest.mark.timeout(120)


def test_sigkill_while_changing_the_ct_ratio(tmp_path) -> None:
    # After every kill (inside ct_kill_loop): SQLite integrity, time and registers never go back,
    # the stored ratio is the last acknowledged W1 or the one in flight, and the CT log is a
    # gap-free chain of whole entries ending at that ratio. scripts/soak.py --ct runs hundreds.
    figures = ct_kill_loop(tmp_path / "state", kills=2, seed=12, low=0.8, high=2.0)
    print(figures)
    assert figures["kills"] == 2
    assert figures["ct_writes_acked"] > 0, "the client changed the ratio before the kills"
    assert figures["ct_log_entries"] >= figures["ct_writes_acked"]


def entry(seq: int, old: int, new: int, **extra) -> SimpleNamespace:
    """A CT log entry as SqliteStore.entries gives it."""
    data = {"kind": "ct_ratio_changed", "old": [old, 5], "new": [new, 5], **extra}
    return SimpleNamespace(seq=seq, t=0.0, data=data)


def test_check_ct_accepts_a_whole_chain_and_catches_torn_or_missing_entries() -> None:
    log = [entry(1, 5, 400), entry(2, 400, 1000)]
    check_ct(1000, log, {1000}, 5)
    with pytest.raises(AssertionError, match="never written"):
        check_ct(400, log, {1000}, 5)
    with pytest.raises(AssertionError, match="chain broken"):
        check_ct(1000, [entry(1, 5, 400), entry(2, 300, 1000)], {1000}, 5)
    with pytest.raises(AssertionError, match="gaps"):
        check_ct(1000, [entry(1, 5, 400), entry(3, 400, 1000)], {1000}, 5)
    with pytest.raises(AssertionError, match="ends at"):
        check_ct(1000, log[:1], {1000}, 5)
    torn = entry(1, 5, 400)
    torn.data["new"] = [400]
    with pytest.raises(AssertionError, match="torn"):
        check_ct(400, [torn], {400}, 5)
