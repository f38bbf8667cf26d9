"""Metrology benchmark: simulated meter-days per second per core with phasor input.

Three paths over one day: 1-minute segments through measure + energy integration, 15-minute
segments the same way (a BDEW profile day), and a whole meter through Meter.run_for.
Rates use CPU time of this process (per core). Usage: python benchmarks/metrology.py [--days N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from k351c import Meter, MeterConfig, SimClock
from k351c.meter.energy import EnergyBanks, quantity_mask, step_energy_ws
from k351c.meter.loads_profile import household_load
from k351c.meter.metrology import PhaseInputs, measure

T0 = 1767225600.0


def _day_inputs(n: int, seed: int) -> PhaseInputs:
    rng = np.random.default_rng(seed)
    return PhaseInputs(
        230.0 + rng.normal(0, 2, (n, 3)),
        rng.uniform(0.05, 6.0, (n, 3)),
        rng.uniform(-30, 60, (n, 3)),
        np.full(n, 50.0),
    )


def bench_measure(days: int, per_day: int) -> float:
    """Meter-days/s for measure + energy integration of a day of ``per_day`` segments."""
    config = MeterConfig.default()
    banks = EnergyBanks(1, quantity_mask(config.energy_channels))
    inputs = [_day_inputs(per_day, k) for k in range(8)]
    durations = np.full(per_day, 86400.0 / per_day)
    start = time.process_time()
    for day in range(days):
        meas = measure(inputs[day % 8], config.nominal_voltage, config.meter_class, config.aron)
        banks.book(EnergyBanks.wh(step_energy_ws(meas, durations, 1)[None], 1.0))
    return days / (time.process_time() - start)


def bench_profile(days: int) -> float:
    """Meter-days/s for a BDEW household day (96 segments): load + measure + energy."""
    config = MeterConfig.default()
    load = household_load(config, seed=1)
    load.segments(T0, T0 + 60)
    banks = EnergyBanks(1, quantity_mask(config.energy_channels))
    start = time.process_time()
    for day in range(days):
        seg = load.segments(T0 + day * 86400.0, T0 + (day + 1) * 86400.0)
        meas = measure(seg.inputs, config.nominal_voltage, config.meter_class, config.aron)
        banks.book(EnergyBanks.wh(step_energy_ws(meas, seg.durations, 1)[None], 1.0))
    return days / (time.process_time() - start)


def bench_meter(days: int) -> float:
    """Meter-days/s of Meter.run_for with every default function and the default household load."""
    config = MeterConfig.default()
    meter = Meter(
        config, clock=SimClock("2026-01-01T00:00:00Z", rate=0), load=household_load(config, 1)
    )
    start = time.process_time()
    for _ in range(days):
        meter.run_for(86400)
    return days / (time.process_time() - start)


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmarks, print a table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2000, help="simulated days per measure path")
    parser.add_argument("--json", default=None, help="write the results here as JSON")
    args = parser.parse_args(argv)
    results = {
        "measure_1min_days_per_s": bench_measure(args.days, 1440),
        "measure_15min_days_per_s": bench_measure(args.days, 96),
        "bdew_profile_15min_days_per_s": bench_profile(min(args.days, 365)),
        "meter_run_for_days_per_s": bench_meter(max(1, min(args.days // 10, 200))),
    }
    print("| path | meter-days/s (one core) | goal |")
    print("| --- | ---: | ---: |")
    for name, value in results.items():
        print(f"| {name} | {value:,.0f} | 1,000 |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"days": args.days, **results}, out, indent=2)
    return results


if __name__ == "__main__":
    main()
