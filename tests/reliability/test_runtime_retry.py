"""A Runtime whose store commit fails for a while (full disk) keeps measuring and commits it all later."""

from __future__ import annotations

import asyncio
import logging

import pytest

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.errors import StoreError
from k351c.server.runtime import Runtime
from k351c.store import MemoryStore, SqliteStore

pytestmark = pytest.mark.timeout(60)

START = "2026-01-31T20:00:00Z"  # the failed period crosses the 1 February debiting stop
STEP = 900.0
FAIL_FROM, FAIL_UNTIL, TICKS = 3, 20, 26
REGISTERS = ["1-0:1.8.0.255", "1-0:3.8.0.255", "1-0:1.8.1.255", "1-0:1.8.2.255", "1-1:1.8.0.255"]


def make_meter(store) -> tuple[Meter, SimClock]:
    """A frozen-clock meter with a constant inductive load on `store`."""
    clock = SimClock(START, rate=0)
    meter = Meter(MeterConfig.default(), clock=clock, store=store)
    meter.set_load(ConstantLoad(current=(5.0, 4.0, 3.0), angle=30.0))
    return meter, clock


def values(meter: Meter) -> dict[str, object]:
    """The registers compared, plus the debiting logger's rows."""
    out: dict[str, object] = {code: meter.read(code).value for code in REGISTERS}
    out["debiting"] = [tuple(row) for row in meter.read("0-0:98.1.0.255").rows]
    return out


def test_runtime_keeps_measuring_through_a_full_disk_and_commits_it_all(
    tmp_path, monkeypatch, caplog
) -> None:
    path = tmp_path / "meter.sqlite"
    meter, clock = make_meter(SqliteStore(path))
    real_commit = SqliteStore.commit
    seen: list[tuple[int, float, float]] = []
    tick = {"n": 0}

    def commit(self, *args, **kwargs):
        if FAIL_FROM <= tick["n"] < FAIL_UNTIL:
            raise StoreError(f"cannot write state database {self.path}: database or disk is full")
        return real_commit(self, *args, **kwargs)

    monkeypatch.setattr(SqliteStore, "commit", commit)
    runtime = Runtime(meter, tick=0.001)

    def on_tick(m: Meter) -> None:
        seen.append((tick["n"], m.t, m.read("1-0:1.8.0.255").value))
        tick["n"] += 1
        clock.jump(STEP)
        if tick["n"] >= TICKS:
            runtime.stopping.set()

    runtime.on_tick.append(on_tick)

    async def main() -> None:
        runtime.stopping = asyncio.Event()
        await runtime.run([])

    with caplog.at_level(logging.ERROR, logger="k351c.server"):
        asyncio.run(main())
    failed = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(failed) == FAIL_UNTIL - FAIL_FROM, "each tick of the full disk is reported"
    assert "disk is full" in caplog.text
    during = [(t, e) for n, t, e in seen if FAIL_FROM <= n < FAIL_UNTIL]
    assert all(b > a for (a, _), (b, _) in zip(during, during[1:], strict=False)), "time runs"
    assert during[-1][1] > during[0][1], "the meter keeps measuring while the store fails"

    reference, ref_clock = make_meter(MemoryStore())
    for _ in range(TICKS):
        ref_clock.jump(STEP)
        reference.advance_to(ref_clock.timestamp())
    assert meter.t == reference.t
    expected = values(reference)
    live = {code: meter.read(code).value for code in REGISTERS}  # its store is closed by now
    assert live == {code: expected[code] for code in REGISTERS}
    assert len(expected["debiting"]) >= 1, "the failed period crossed a debiting stop"
    monkeypatch.setattr(SqliteStore, "commit", real_commit)
    reopened = Meter(
        MeterConfig.default(), clock=SimClock(reference.t, rate=0), store=SqliteStore(path)
    )
    assert reopened.t == reference.t
    assert values(reopened) == expected, "the committed registers hold the failed period's energy"
