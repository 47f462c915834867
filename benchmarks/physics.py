"""Physics benchmark (same as ``tumble bench physics``); see tumble/bench/physics.py."""

import argparse

from tumble.bench.physics import main
from tumble.cpu_threads import limit_cpu_threads

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", action="append", choices=["s", "m", "l"])
    ap.add_argument("--batch", action="append", type=int)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3, help="timed calls per batch on each side")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-anchor", action="store_true")
    ap.add_argument("--cpu-threads", type=int, default=None,
                    help="threads for XLA's CPU runtime on both sides (NPROC; default one per core)")
    a = ap.parse_args()
    if a.cpu_threads is not None:
        limit_cpu_threads(a.cpu_threads)
    main(sizes=a.size or ["s", "m", "l"], batches=a.batch or [1, 16, 256, 1024, 4096], json_out=a.json,
         anchor=not a.no_anchor, steps=a.steps, repeats=a.repeats)
