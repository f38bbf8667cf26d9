"""Single-meter benchmark: simulated meter-days per second of Meter.run_for, and µs per step per function.

A meter with the default configuration, all default functions and the default household load
runs ``--days`` days (CPU time of this process). A second run (10 days at most) wraps every function's
begin_step, next_boundary and on_step, and the core step, to time each per step.
Usage: python benchmarks/meter_run.py [--days N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

from k351c import Meter, MeterConfig, SimClock
from k351c.meter.loads_profile import household_load
from k351c.store import MemoryStore

T0 = 1767225600.0  # 2026-01-01 00:00 UTC
HOOKS = ("begin_step", "next_boundary", "on_step")


def _meter() -> Meter:
    config = MeterConfig.default()
    return Meter(config, clock=SimClock(T0, rate=0), store=MemoryStore(), load=household_load(config))


def bench_run(days: int) -> tuple[float, int]:
    """Meter-days/s of run_for over ``days`` days (run a day at a time) and the number of steps."""
    meter = _meter()
    steps = 0
    step = meter._step

    def counted(t0: float, t1: float) -> None:
        nonlocal steps
        steps += 1
        step(t0, t1)

    meter._step = counted  # type: ignore[method-assign]
    meter.run_for(86400.0)  # warm caches (BDEW shares, holidays)
    start = time.process_time()
    for _ in range(days):
        meter.run_for(86400.0)
    elapsed = time.process_time() - start
    return days / elapsed, steps


def _wrap(totals: dict[str, float], key: str, fn):
    clock = time.process_time

    def wrapped(*args):
        t = clock()
        try:
            return fn(*args)
        finally:
            totals[key] += clock() - t

    return wrapped


def bench_functions(days: int) -> tuple[dict[str, dict[str, float]], int]:
    """µs per step of each function hook, the core step (without on_step hooks) and the step count."""
    meter = _meter()
    meter.run_for(86400.0)
    totals: dict[str, float] = defaultdict(float)
    for function in meter.functions:
        for hook in HOOKS:
            setattr(
                function, hook, _wrap(totals, f"{function.name}.{hook}", getattr(function, hook))
            )
    steps = 0
    step = meter._step

    def counted(t0: float, t1: float) -> None:
        nonlocal steps
        steps += 1
        step(t0, t1)

    meter._step = _wrap(totals, "core._step", counted)  # type: ignore[method-assign]
    for _ in range(days):
        meter.run_for(86400.0)
    per_step = {k: v / steps * 1e6 for k, v in totals.items()}
    hooks_in_step = sum(v for k, v in per_step.items() if k.endswith(".on_step"))
    table: dict[str, dict[str, float]] = {}
    for function in meter.functions:
        row = {hook: per_step.get(f"{function.name}.{hook}", 0.0) for hook in HOOKS}
        row["total"] = sum(row.values())
        table[function.name] = row
    core = per_step["core._step"] - hooks_in_step
    table["core"] = {"begin_step": 0.0, "next_boundary": 0.0, "on_step": core, "total": core}
    return table, steps


def main() -> None:
    """Run both benchmarks and print a table (optionally write JSON)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    rate, steps = bench_run(args.days)
    table, _ = bench_functions(min(args.days, 10))
    print(
        f"meter-days/s: {rate:.1f}  ({steps / args.days:.1f} steps/day, {1e6 / rate / (steps / args.days):.1f} µs/step)"
    )
    print(
        f"{'function':<14}{'begin_step':>12}{'next_bound':>12}{'on_step':>12}{'total':>12}   µs/step"
    )
    for name, row in sorted(table.items(), key=lambda kv: -kv[1]["total"]):
        print(
            f"{name:<14}{row['begin_step']:>12.1f}{row['next_boundary']:>12.1f}{row['on_step']:>12.1f}{row['total']:>12.1f}"
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "meter_days_per_s": rate,
                    "steps_per_day": steps / args.days,
                    "per_step_us": table,
                },
                fh,
                indent=1,
            )


if __name__ == "__main__":
    main()
