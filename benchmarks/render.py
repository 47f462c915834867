"""Rendering benchmark (same as ``tumble bench render``); see tumble/bench/render.py."""

import argparse

from tumble.bench.render import main

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", action="append", choices=["s", "m", "l"], help="level size (repeat; default m)")
    ap.add_argument("--resolution", action="append", type=int, help="rasteriser resolution (repeat; default 64 128)")
    ap.add_argument("--batch", action="append", type=int, help="rasteriser batch (repeat; default 1 256)")
    ap.add_argument("--env-batch", action="append", type=int, help="pixel env batch (repeat; default 1 256)")
    ap.add_argument("--frames", type=int, default=16, help="frames per timed rasteriser scan")
    ap.add_argument("--steps", type=int, default=16, help="env steps per timed scan")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-anchor", action="store_true", help="skip the reference (kinetix-env)")
    a = ap.parse_args()
    raise SystemExit(main(sizes=a.size or ["m"], resolutions=a.resolution or [64, 128], batches=a.batch or [1, 256],
                          env_batches=a.env_batch or [1, 256], frames=a.frames, steps=a.steps, anchor=not a.no_anchor,
                          json_out=a.json))
