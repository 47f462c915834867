"""Anchor benchmark: seconds to load one of kinetix's shipped level files with kinetix's own loader.

Standalone: run by the kinetix anchor environment's python, never imports tumble.
Loads the first ``--files`` level files (s, m, l order) with
``kinetix.util.saving.load_from_json_file`` and prints one JSON line with the
per-file times.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args()
    import kinetix
    from kinetix.util.saving import load_from_json_file

    root = os.path.join(os.path.dirname(kinetix.__file__), "levels")
    files = [f for s in "sml" for f in sorted(glob.glob(os.path.join(root, s, "*.json")))][: args.files]
    times = []
    for path in files:
        start = time.perf_counter()
        out = load_from_json_file(path)
        import jax

        jax.block_until_ready(out[0])
        times.append(time.perf_counter() - start)
    print(json.dumps({"files": len(files), "seconds": times, "mean_s": sum(times) / len(times)}))


if __name__ == "__main__":
    main()
