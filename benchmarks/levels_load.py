"""Level-loading benchmark (same as ``tumble bench load``); see tumble/bench/levels_load.py."""

import argparse
import sys

from tumble.bench.levels_load import main

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--anchor-files", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-anchor", action="store_true")
    a = ap.parse_args()
    sys.exit(main(n_files=a.files, anchor=not a.no_anchor, anchor_files=a.anchor_files, json_out=a.json))
