"""Long fuzz run of every codec: a mutation loop over real captures, or atheris (libFuzzer) if installed.

The targets and their properties live in tests/fuzz/fuzz_targets.py (the suite runs them briefly).
Reports per codec: inputs, inputs/s, crashes, hangs (an input slower than --hang seconds), max RSS.
A crashing input is written to --crashes DIR as <codec>-<n>.bin; turn it into a regression test.

Usage:
    python benchmarks/fuzz.py --inputs 1000000 [--targets axdr,apdu] [--json PATH]
    python benchmarks/fuzz.py --engine atheris --inputs 1000000 --targets hdlc_server
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fuzz"))

from fuzz_targets import TARGETS, mutate  # noqa: E402


def max_rss_mib() -> float:
    """Peak resident memory of this process in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_mutation(name: str, inputs: int, seed: int, hang: float, crashes: Path) -> dict:
    """Feed `inputs` mutated captures (1 in 8 random bytes) to one target; figures as a dict."""
    target = TARGETS[name]
    rng = random.Random(f"{seed}-{name}")
    corpus = list(target.seeds)
    found: list[str] = []
    hangs = 0
    slowest = 0.0
    start = time.perf_counter()
    for n in range(inputs):
        if n % 8 == 7:
            data = rng.randbytes(rng.randint(0, 300))
        else:
            data = mutate(rng.choice(corpus), rng, corpus)
        t0 = time.perf_counter()
        try:
            target.check(data)
        except Exception:  # noqa: BLE001 - any exception here is a finding
            crashes.mkdir(parents=True, exist_ok=True)
            (crashes / f"{name}-{len(found)}.bin").write_bytes(data)
            found.append(f"{data.hex()}: {traceback.format_exc(limit=2).splitlines()[-1]}")
        spent = time.perf_counter() - t0
        slowest = max(slowest, spent)
        hangs += spent > hang
        if n % 997 == 0 and len(corpus) < 512 and len(data) <= 512:
            corpus.append(data)
    elapsed = time.perf_counter() - start
    return {
        "codec": name,
        "engine": "mutation",
        "inputs": inputs,
        "seconds": round(elapsed, 1),
        "inputs_per_s": round(inputs / elapsed),
        "crashes": len(found),
        "hangs": hangs,
        "slowest_input_ms": round(slowest * 1000, 2),
        "max_rss_mib": round(max_rss_mib(), 1),
        "first_crashes": found[:5],
    }


def atheris_main(name: str, inputs: int) -> None:
    """Run one target under atheris/libFuzzer (in this process; libFuzzer prints its own stats)."""
    import atheris

    target = TARGETS[name]
    corpus_dir = Path(f"/tmp/k351c-fuzz-corpus-{name}")
    corpus_dir.mkdir(exist_ok=True)
    for i, seed in enumerate(target.seeds):
        (corpus_dir / f"seed-{i}").write_bytes(seed)
    atheris.instrument_all()
    argv = [
        sys.argv[0],
        f"-runs={inputs}",
        "-rss_limit_mb=1024",
        "-timeout=5",
        "-max_len=2048",
        "-print_final_stats=1",
        str(corpus_dir),
    ]
    atheris.Setup(argv, target.check)
    atheris.Fuzz()


def run_atheris(name: str, inputs: int) -> dict:
    """One atheris subprocess per target; parse libFuzzer's final stats."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--atheris-child", name, "--inputs", str(inputs)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    stats = {}
    for line in proc.stderr.splitlines():
        if line.startswith("stat::"):
            key, _, value = line.removeprefix("stat::").partition(":")
            stats[key.strip()] = value.strip()
    runs = int(stats.get("number_of_executed_units", 0))
    return {
        "codec": name,
        "engine": "atheris",
        "inputs": runs,
        "seconds": round(elapsed, 1),
        "inputs_per_s": round(runs / elapsed) if elapsed else 0,
        "crashes": 0 if proc.returncode == 0 else 1,
        "max_rss_mib": float(stats.get("peak_rss_mb", 0)),
        "tail": proc.stderr.splitlines()[-8:] if proc.returncode else [],
    }


def main() -> int:
    """Parse arguments, run the chosen targets, print one line per codec and optionally JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--engine", choices=("mutation", "atheris"), default="mutation")
    parser.add_argument("--seed", type=int, default=351)
    parser.add_argument(
        "--hang", type=float, default=1.0, help="seconds above which one input counts as a hang"
    )
    parser.add_argument("--crashes", type=Path, default=Path("fuzz-crashes"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--atheris-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.atheris_child:
        atheris_main(args.atheris_child, args.inputs)
        return 0
    results = []
    for name in args.targets.split(","):
        if args.engine == "atheris":
            result = run_atheris(name, args.inputs)
        else:
            result = run_mutation(name, args.inputs, args.seed, args.hang, args.crashes)
        results.append(result)
        print(
            f"{name:12} {result['engine']:8} {result['inputs']:>9} inputs {result['inputs_per_s']:>7}/s "
            f"crashes {result['crashes']} max RSS {result['max_rss_mib']} MiB",
            flush=True,
        )
        for line in result.get("first_crashes", []) + result.get("tail", []):
            print("   ", line, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 1 if any(r["crashes"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
