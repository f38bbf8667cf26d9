"""Soak: SIGKILL `k351c serve` hundreds of times at random moments and check the store after each kill.

After every kill: SQLite integrity, meter time and every energy register never go back, no debiting
snapshot (0-0:98.1.0.255) is stored twice, earlier snapshots are kept. Prints a JSON figure report.

With --ct an optical client (programming mode, W1 1-0:0.4.2) changes the CT ratio in a loop while the
server is killed; after each kill the stored ratio is also the last acknowledged or the in-flight one
and the CT change log (store log "ct") is a gap-free chain of whole entries ending at it.

Usage: python scripts/soak.py [--kills 100] [--rate 864000] [--ct] [--state DIR] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "reliability"))

from killing import ct_kill_loop, kill_loop  # noqa: E402


def main() -> int:
    """Run the kill loop and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument(
        "--rate", type=float, default=864_000.0, help="simulated seconds per real second"
    )
    parser.add_argument(
        "--low", type=float, default=0.3, help="shortest time served before a kill (s)"
    )
    parser.add_argument(
        "--high", type=float, default=3.0, help="longest time served before a kill (s)"
    )
    parser.add_argument("--seed", type=int, default=351)
    parser.add_argument(
        "--ct", action="store_true", help="change the CT ratio over the optical port while killing"
    )
    parser.add_argument("--state", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = args.state or Path(tmp) / "state"
        loop = ct_kill_loop if args.ct else kill_loop
        figures = loop(state, args.kills, args.seed, args.low, args.high, args.rate)
    figures["rate"] = args.rate
    figures["ct"] = args.ct
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
