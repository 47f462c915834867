"""Benchmark: environment steps per second, Tumble against kinetix-env, in one invocation.

Both sides run the same loop: ``jit(lax.scan(vmap(env.step), length=K))`` with
random multi-discrete actions drawn inside the scan, auto-reset on, frame skip
2, for each size, batch size and observation type (flat, entity), with two
reset sources: the reference's own hand-made levels of that size (imported into
Tumble's format on Tumble's side) and the procedural generator (Tumble: a pool
of generated levels; reference: its generator called at every reset).  The
first call (trace + compile + run) is reported as compile time; the best of 3
timed calls gives steps/s.  Also the compile of one unbatched env step per size
and observation (``step_compile_s``, median of 3).  Prints a table, or JSON
lines with ``--json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tumble.cpu_threads import cpu_threads_setting
from tumble.whole_loops import whole_loop_bytes

KINETIX_VENV = ("kinetix", ["kinetix-env==3.0.2"])


def reference_level_files(size: str) -> list[Path]:
    """The reference's shipped level files of one size (from its anchor venv, else the test suite's wheel cache)."""
    from tumble.bench.anchor_venv import anchor_root

    roots = list((anchor_root() / "kinetix").glob("lib/python*/site-packages/kinetix/levels"))
    for root in roots:
        files = sorted((root / size).glob("*.json"))
        if files:
            return files
    return []


def _tumble_pool(size: str, reset: str):
    from tumble.env.pool import pool_from_levels
    from tumble.levels.kinetix_import import import_kinetix_file

    if reset == "generator":
        return "generator"
    files = reference_level_files(size)
    if not files:
        raise RuntimeError("the reference's level files are not available: build the kinetix anchor venv "
                           "(run once without --no-anchor)")
    return pool_from_levels([import_kinetix_file(f) for f in files])


def tumble_rates(size: str, batches: list[int], obs_types: list[str], reset: str, steps: int) -> list[dict]:
    """Tumble's env steps/s for one size and reset source."""
    import jax

    import tumble
    from tumble.bench.timing import best_time, random_rollout

    rows = []
    levels = _tumble_pool(size, reset)
    for obs_name in obs_types:
        env, params = tumble.make(size, "multi_discrete", obs_name, levels=levels, pool_size=1024)
        for batch in batches:
            run = random_rollout(env, params, batch, steps)
            best, compile_s = best_time(jax.jit(run), jax.random.PRNGKey(0))
            rows.append({"size": size, "obs": obs_name, "reset": reset, "batch": batch,
                         "steps_per_s": batch * steps / best, "compile_s": compile_s})
            print(f"  tumble {size} {obs_name} {reset} B={batch}: {rows[-1]['steps_per_s']:,.0f} steps/s",
                  file=sys.stderr, flush=True)
    return rows


def step_compile_seconds(size: str, obs_type: str, repeats: int = 3) -> float:
    """Median seconds to trace and compile one unbatched env step (auto-reset, multi-discrete), over ``repeats``.

    What a user's ``jax.jit(env.step)`` costs for one scene: the level pool is
    the default one, as :func:`tumble.make` builds it.  As in
    :func:`tumble.bench.physics.step_compile_seconds`, a tiny function is
    compiled first (the process's one-time compiler start-up is not counted)
    and each repeat compiles a program of its own (one extra constant output),
    so no cache serves it.
    """
    import time

    import jax
    import jax.numpy as jnp
    import numpy as np

    import tumble

    jax.jit(lambda x: x + 1).lower(jnp.zeros(())).compile()
    env, params = tumble.make(size, "multi_discrete", obs_type)
    key = jax.random.PRNGKey(0)
    _, state = env.reset(key, params)
    action = env.action_space(params).sample(key)
    seconds = []
    for k in range(repeats):
        t0 = time.perf_counter()
        jax.jit(lambda *a, k=k: (env.step(*a), jnp.int32(k))).lower(key, state, action, params).compile()
        seconds.append(time.perf_counter() - t0)
    return float(np.median(seconds))


def reference_rates(size: str, batches: list[int], obs_types: list[str], reset: str, steps: int) -> list[dict]:
    """kinetix-env's env steps/s, run in its own virtual environment."""
    from tumble.bench.anchor_venv import ensure_venv, run_anchor_script

    python = ensure_venv(*KINETIX_VENV)
    args = ["--size", size, "--reset", "levels" if reset == "kinetix" else reset, "--steps", str(steps),
            "--batches", *map(str, batches), "--obs", *obs_types]
    return run_anchor_script(python, "kinetix_env.py", args, timeout=7200)


def main(sizes=("s", "m", "l"), batches=(1, 16, 256, 1024), obs_types=("flat", "entity"),
         resets=("kinetix", "generator"), steps: int = 64, anchor: bool = True, json_out: bool = False) -> int:
    """Run the benchmark; print a table (or JSON lines); return an exit code."""
    from tumble.bench.anchor_venv import AnchorError

    results = []
    step_compile = {(size, obs): step_compile_seconds(size, obs) for size in sizes for obs in obs_types}
    for size in sizes:
        for reset in resets:
            ours = tumble_rates(size, list(batches), list(obs_types), reset, steps)
            theirs = {}
            if anchor:
                try:
                    for row in reference_rates(size, list(batches), list(obs_types), reset, steps):
                        if "batch" in row:
                            theirs[(row["obs"], row["batch"])] = row
                except AnchorError as exc:
                    print(f"warning: reference skipped for {size}/{reset}: {exc}", file=sys.stderr)
            for row in ours:
                ref = theirs.get((row["obs"], row["batch"]))
                row = dict(row, benchmark="env", step_compile_s=step_compile[row["size"], row["obs"]])
                if ref:
                    row.update(reference_steps_per_s=ref["steps_per_s"], reference_compile_s=ref["compile_s"],
                               ratio=row["steps_per_s"] / ref["steps_per_s"])
                results.append(row)
    if json_out:
        for row in results:
            print(json.dumps(row))
        return 0
    print(f"{'size':4s} {'reset':9s} {'obs':6s} {'batch':>6s} {'tumble/s':>11s} {'kinetix/s':>11s} {'ratio':>7s} "
          f"{'compile s (t/k)':>16s}")
    for r in results:
        ref = f"{r['reference_steps_per_s']:11,.0f}" if "ratio" in r else f"{'-':>11s}"
        ratio = f"{r['ratio']:6.1f}x" if "ratio" in r else f"{'-':>7s}"
        comp = f"{r['compile_s']:.1f}/" + (f"{r['reference_compile_s']:.1f}" if "ratio" in r else "-")
        print(f"{r['size']:4s} {r['reset']:9s} {r['obs']:6s} {r['batch']:6d} {r['steps_per_s']:11,.0f} {ref} {ratio} "
              f"{comp:>16s}")
    for (size, obs), seconds in step_compile.items():
        print(f"one env step compile ({size}, {obs}, auto-reset, median of 3): {seconds:.2f} s")
    print(json.dumps({"benchmark": "env", "cpu_threads": cpu_threads_setting(), "whole_loop_bytes": whole_loop_bytes(), "rows": results}))
    return 0
