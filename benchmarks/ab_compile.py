"""A/B of compile time: an older revision of Tumble against the working tree, in alternating processes.

    python benchmarks/ab_compile.py --old-rev HEAD~3 [--rounds 4] [--what physics env_flat env_entity]

Compile time drifts with the machine's phase by 30% or more, so one run of
each version says little.  Here each round runs one fresh process per
version, old then new, so both see the same phases; the medians over the
rounds are compared.  Every process first compiles a tiny function (the
compiler's one-time start-up is not counted), then lowers and compiles:

- ``physics``: one unbatched M step (``jit(step)``);
- ``env_flat`` / ``env_entity``: one M env step with auto-reset
  (``jit(env.step)``, multi-discrete actions).

JAX's persistent compilation cache is off in these processes (the library
never turns it on; only the CLI and training do).  Prints a table of
median lower, compile and compile CPU seconds per side, the new/old ratios
and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab_physics import export_old  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ("physics", "env_flat", "env_entity")

_CHILD = r"""
import importlib, json, sys, time
package, what = sys.argv[1], sys.argv[2]
pkg = importlib.import_module(package)  # first: importing tumble sets XLA options read when the backend starts
import jax, jax.numpy as jnp
jax.config.update("jax_enable_compilation_cache", False)
jax.jit(lambda x: jnp.sin(x) * 2).lower(jnp.ones(3)).compile()
if what == "physics":
    bench = importlib.import_module(package + ".bench.physics")
    physics = importlib.import_module(package + ".physics")
    scene, params = bench.kinetix_sized_scene("m")
    params = params.as_arrays().replace(substeps=params.substeps)
    cap = bench.SIZES["m"]
    controls = physics.Controls(jnp.zeros((cap.n_joints,)), jnp.zeros((cap.n_thrusters,)))
    fn, args = jax.jit(lambda s, c: physics.step(s, c, params)), (scene, controls)
else:
    env, params = pkg.make("m", "multi_discrete", what.split("_")[1])
    key = jax.random.PRNGKey(0)
    _, state = env.reset(key, params)
    fn, args = jax.jit(env.step), (key, state, env.action_space(params).sample(key), params)
t0 = time.perf_counter()
lowered = fn.lower(*args)
t1, c1 = time.perf_counter(), time.process_time()
lowered.compile()
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"lower_s": t1 - t0, "compile_s": t2 - t1, "compile_cpu_s": c2 - c1}))
"""


def measure(package: str, path: Path, what: str) -> dict:
    """One fresh process importing ``package`` from ``path``: its lower/compile seconds for ``what``."""
    env = dict(os.environ, PYTHONPATH=str(path))
    out = subprocess.run([sys.executable, "-c", _CHILD, package, what], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-rev", required=True, help="git revision to compare the working tree against")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--what", nargs="+", default=list(PROGRAMS), choices=PROGRAMS)
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be positive")
    with tempfile.TemporaryDirectory() as tmp:
        export_old(args.old_rev, Path(tmp))
        sides = {"old": ("tumble_old", Path(tmp)), "new": ("tumble", ROOT / "src")}
        runs = {(w, s): [] for w in args.what for s in sides}
        for r in range(args.rounds):
            for w in args.what:
                for s, (package, path) in sides.items():
                    runs[w, s].append(measure(package, path, w))
                    print(f"round {r + 1} {w:10s} {s}: " + "  ".join(f"{k} {v:.2f}" for k, v in runs[w, s][-1].items()),
                          file=sys.stderr, flush=True)
    med = {key: {k: statistics.median(x[k] for x in v) for k in v[0]} for key, v in runs.items()}
    print(f"{'program':11s} {'side':4s} {'lower s':>8s} {'compile s':>10s} {'compile cpu s':>14s}")
    result = {"benchmark": "ab_compile", "old_rev": args.old_rev, "rounds": args.rounds}
    for w in args.what:
        for s in sides:
            m = med[w, s]
            print(f"{w:11s} {s:4s} {m['lower_s']:8.2f} {m['compile_s']:10.2f} {m['compile_cpu_s']:14.2f}")
        ratio = med[w, "new"]["compile_s"] / med[w, "old"]["compile_s"]
        total = ((med[w, "new"]["lower_s"] + med[w, "new"]["compile_s"])
                 / (med[w, "old"]["lower_s"] + med[w, "old"]["compile_s"]))
        cpu = med[w, "new"]["compile_cpu_s"] / med[w, "old"]["compile_cpu_s"]
        print(f"{w:11s} new/old compile {ratio:.3f}, lower + compile {total:.3f}, compile cpu {cpu:.3f}")
        result[w] = {"old": med[w, "old"], "new": med[w, "new"], "ratio_compile": ratio, "ratio_total": total,
                     "ratio_compile_cpu": cpu}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
