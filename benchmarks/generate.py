"""Generator benchmark (same as ``tumble bench generate``); see tumble/bench/generate.py.

    python benchmarks/generate.py                         # size m, batches 1 256 4096, raw and filtered, vs kinetix
    python benchmarks/generate.py --no-anchor --batch 256 # Tumble only, one batch size
    python benchmarks/generate.py --size s --size l --mode raw --json
"""

import argparse

from tumble.bench.generate import MODES, main

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", action="append", choices=["s", "m", "l"])
    ap.add_argument("--batch", action="append", type=int)
    ap.add_argument("--mode", action="append", choices=list(MODES))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-anchor", action="store_true")
    a = ap.parse_args()
    main(sizes=a.size or ["m"], batches=a.batch or [1, 256, 4096], modes=a.mode or list(MODES), json_out=a.json,
         anchor=not a.no_anchor, repeats=a.repeats)
