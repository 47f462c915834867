"""A/B of the physics step: an older revision of Tumble against the working tree, in one process.

    python benchmarks/ab_physics.py --old-rev HEAD~3 [--size m] [--batch 1024] [--steps 20] [--rounds 12]

The machine this project is developed on is shared and drifts between slow
and fast phases lasting minutes, so two separate runs of one benchmark can
differ by 20%.  Here both versions are compiled in one process and their
timed calls alternate, so both see the same phases.  The old revision's
``src/tumble`` is exported with ``git archive`` into a temporary folder and
imported as ``tumble_old`` (its absolute imports rewritten).

Prints, per side, the best and median steps/s over the rounds and the best
CPU-time figure (process time, both cores counted), then the new/old ratios
and one JSON line.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import jax

ROOT = Path(__file__).resolve().parents[1]


def export_old(rev: str, into: Path) -> None:
    """Write revision ``rev``'s ``src/tumble`` to ``into/tumble_old`` with its imports renamed."""
    blob = subprocess.run(["git", "archive", rev, "src/tumble"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    (into / "src" / "tumble").rename(into / "tumble_old")
    for path in (into / "tumble_old").rglob("*.py"):
        text = path.read_text()
        text = re.sub(r"\btumble\.", "tumble_old.", text)
        text = re.sub(r"^(\s*)from tumble import", r"\1from tumble_old import", text, flags=re.M)
        text = re.sub(r"^(\s*)import tumble$", r"\1import tumble_old as tumble", text, flags=re.M)
        path.write_text(text)


def timed_rollout(package: str, size: str, batch: int, steps: int):
    """Compile ``jit(scan(vmap(step), steps))`` with ``package``; returns a function timing one call."""
    from tumble.bench.physics import batch_rollout

    engine = importlib.import_module(package + ".physics")
    scenes_from = importlib.import_module(package + ".bench.physics")
    run, scenes, motor, thrust = batch_rollout(size, batch, steps, engine, scenes_from)
    t0 = time.perf_counter()
    compiled = run.lower(scenes, motor, thrust).compile()
    compile_s = time.perf_counter() - t0
    state = [jax.block_until_ready(compiled(scenes, motor, thrust))]

    def call() -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        state[0] = jax.block_until_ready(compiled(state[0], motor, thrust))
        return time.perf_counter() - t0, time.process_time() - c0

    return call, compile_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-rev", required=True, help="git revision to compare the working tree against")
    ap.add_argument("--size", default="m", choices=("s", "m", "l"))
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=12)
    args = ap.parse_args()
    if args.batch < 1 or args.steps < 1 or args.rounds < 1:
        ap.error("--batch, --steps and --rounds must be positive")
    with tempfile.TemporaryDirectory() as tmp:
        export_old(args.old_rev, Path(tmp))
        sys.path.insert(0, tmp)
        sys.path.insert(0, str(ROOT / "src"))
        sides = {}
        for name, package in (("old", "tumble_old"), ("new", "tumble")):
            sides[name] = timed_rollout(package, args.size, args.batch, args.steps)
        times = {name: [] for name in sides}
        for _ in range(args.rounds):
            for name, (call, _) in sides.items():
                times[name].append(call())
    n = args.batch * args.steps
    row = {"benchmark": "ab_physics", "old_rev": args.old_rev, "size": args.size, "batch": args.batch}
    print(f"{'side':5} {'compile s':>9} {'best steps/s':>13} {'median steps/s':>15} {'best cpu steps/s':>17}")
    for name, (_, compile_s) in sides.items():
        wall = sorted(t[0] for t in times[name])
        cpu = sorted(t[1] for t in times[name])
        row[name] = {"compile_s": compile_s, "best": n / wall[0], "median": n / wall[len(wall) // 2], "cpu_best": n / cpu[0]}
        r = row[name]
        print(f"{name:5} {compile_s:9.2f} {r['best']:13,.0f} {r['median']:15,.0f} {r['cpu_best']:17,.0f}")
    for key in ("best", "median", "cpu_best"):
        row[f"ratio_{key}"] = row["new"][key] / row["old"][key]
    print(f"new/old: best {row['ratio_best']:.3f}, median {row['ratio_median']:.3f}, cpu {row['ratio_cpu_best']:.3f}")
    print(json.dumps(row))


if __name__ == "__main__":
    main()
