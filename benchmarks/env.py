"""Environment benchmark (same as ``tumble bench env``); see tumble/bench/env.py."""

import argparse
import sys

from tumble.bench.env import main

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", action="append", choices=["s", "m", "l"])
    ap.add_argument("--batch", action="append", type=int)
    ap.add_argument("--obs", action="append", choices=["flat", "entity"])
    ap.add_argument("--reset", action="append", choices=["kinetix", "generator"])
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-anchor", action="store_true")
    a = ap.parse_args()
    sys.exit(main(sizes=a.size or ["s", "m", "l"], batches=a.batch or [1, 16, 256, 1024],
                  obs_types=a.obs or ["flat", "entity"], resets=a.reset or ["kinetix", "generator"], steps=a.steps,
                  anchor=not a.no_anchor, json_out=a.json))
