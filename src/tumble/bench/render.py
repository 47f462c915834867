"""Benchmark: the rasteriser's frames/s, and pixel-observation env steps/s against kinetix-env, in one invocation.

Three measurements per level size:

- ``frames``: Tumble's rasteriser alone at each resolution (default 64 x 64
  and 128 x 128) and batch size (default 1 and 256), drawing a batch of
  levels (the reference's hand-made levels imported into Tumble's format,
  or the bundled library when the reference is not available) with the
  bodies nudged every frame: ``jit(lax.scan(render_level, length=K))``.
- ``render``: the same at the reference's pixel-observation size (its 500 x
  500 screen downscaled by 4: 125 x 125), side by side with the reference's
  pixel renderer on its own levels of that size.
- ``env``: environment steps/s with pixel observations at 125 x 125, random
  multi-discrete actions drawn inside the scan, auto-reset, frame skip 2,
  ``jit(lax.scan(vmap(env.step), length=K))``, side by side with kinetix-env's
  pixel observations (same loop, in its own virtual environment).

Both sides sum each observation's image inside the scan, so the renderer
cannot be dropped as dead code.  The first call (trace, compile, run) is
reported as compile time; the best of 3 timed calls gives the rate.  Prints
a table and one JSON line (or JSON lines only with ``json_out``).
"""

from __future__ import annotations

import json
import sys

from tumble.bench.timing import best_time, random_rollout
from tumble.cpu_threads import cpu_threads_setting
from tumble.whole_loops import whole_loop_bytes

KINETIX_VENV = ("kinetix", ["kinetix-env==3.0.2"])
REFERENCE_SIZE = 125  # the reference's pixel observation: 500 x 500 downscaled by 4


def _levels(size: str):
    """Levels to draw: the reference's hand-made ones of ``size`` (imported) or else the bundled library's."""
    from tumble.bench.env import reference_level_files
    from tumble.levels import compile_level
    from tumble.levels.kinetix_import import import_kinetix_file
    from tumble.levels.library import bundled_paths
    from tumble.levels import capacity_of, load_level

    files = reference_level_files(size)
    if files:
        return [compile_level(import_kinetix_file(f), capacity_of(size)) for f in files], "kinetix"
    paths = bundled_paths(size)
    if not paths:
        raise RuntimeError(f"no levels of size {size!r}: build the kinetix anchor venv or add bundled levels")
    return [compile_level(load_level(p), capacity_of(size)) for p in paths.values()], "bundled"


def frame_rate(levels, resolution: int, batch: int, frames: int) -> dict:
    """Tumble's rasteriser frames/s for ``batch`` levels at ``resolution`` x ``resolution``."""
    import jax
    import jax.numpy as jnp

    from tumble.levels import stack_levels
    from tumble.render.raster import observation_config, render_level

    config = observation_config(resolution)
    stacked = stack_levels([levels[i % len(levels)] for i in range(batch)])
    action = jnp.zeros((batch, 6), jnp.float32).at[:, 4].set(1.0)  # thrusters lit: their flames are drawn too

    def run(lv):
        def body(total, k):
            state = lv.scene.state
            state = state.replace(position=state.position + 0.001 * k, angle=state.angle + 0.01 * k)
            nudged = lv.replace(scene=lv.scene.replace(state=state))
            return total + render_level(nudged, config, action).sum(), None

        total, _ = jax.lax.scan(body, jnp.zeros(()), jnp.arange(frames, dtype=jnp.float32))
        return total

    best, compile_s = best_time(jax.jit(run), stacked)
    return {"height": resolution, "width": resolution, "batch": batch, "frames_per_s": batch * frames / best,
            "compile_s": compile_s}


def env_rate(size: str, levels, batch: int, steps: int, resolution: int = REFERENCE_SIZE) -> dict:
    """Tumble's env steps/s with pixel observations (random multi-discrete actions, auto-reset)."""
    import jax

    from tumble.env import AutoReset, Env, EnvParams, pool_from_levels
    from tumble.levels import capacity_of

    env = AutoReset(Env(capacity_of(size), "multi_discrete", "pixels", frame_skip=2, pixel_size=resolution))
    params = EnvParams(pool=pool_from_levels(levels))
    run = random_rollout(env, params, batch, steps, observed=lambda obs: obs["image"].sum())
    best, compile_s = best_time(jax.jit(run), jax.random.PRNGKey(0))
    return {"height": resolution, "width": resolution, "batch": batch, "steps_per_s": batch * steps / best,
            "compile_s": compile_s}


def reference_rates(size: str, batches: list[int], steps: int) -> list[dict]:
    """kinetix-env's pixel env steps/s and pixel renderer frames/s, run in its own virtual environment."""
    from tumble.bench.anchor_venv import ensure_venv, run_anchor_script

    python = ensure_venv(*KINETIX_VENV)
    args = ["--size", size, "--steps", str(steps), "--batches", *map(str, batches), "--render"]
    return run_anchor_script(python, "kinetix_render.py", args, timeout=7200)


def main(sizes=("m",), resolutions=(64, 128), batches=(1, 256), env_batches=(1, 256), frames: int = 16,
         steps: int = 16, anchor: bool = True, json_out: bool = False) -> int:
    """Run the benchmark; print a table (or JSON lines); return an exit code."""
    from tumble.bench.anchor_venv import AnchorError

    rows = []
    for size in sizes:
        levels, source = _levels(size)
        for res in resolutions:
            for batch in batches:
                row = dict(frame_rate(levels, res, batch, frames), benchmark="render", kind="frames", size=size,
                           levels=source)
                rows.append(row)
                print(f"  tumble frames {size} {res}x{res} B={batch}: {row['frames_per_s']:,.0f} frames/s",
                      file=sys.stderr, flush=True)
        ours = []
        for batch in env_batches:
            row = dict(frame_rate(levels, REFERENCE_SIZE, batch, frames), kind="render")
            ours.append(row)
            row = dict(env_rate(size, levels, batch, steps), kind="env")
            ours.append(row)
            print(f"  tumble env {size} B={batch}: {row['steps_per_s']:,.0f} pixel env steps/s", file=sys.stderr,
                  flush=True)
        theirs = {}
        if anchor:
            try:
                for ref in reference_rates(size, list(env_batches), steps):
                    theirs[(ref["kind"], ref["batch"])] = ref
            except AnchorError as exc:
                print(f"warning: reference skipped for {size}: {exc}", file=sys.stderr)
        for row in ours:
            row.update(benchmark="render", size=size, levels=source)
            ref = theirs.get((row["kind"], row["batch"]))
            if ref:
                key = "steps_per_s" if row["kind"] == "env" else "frames_per_s"
                row.update(reference_per_s=ref[key], reference_compile_s=ref["compile_s"],
                           reference_height=ref["height"], reference_width=ref["width"], ratio=row[key] / ref[key])
            rows.append(row)
    if json_out:
        for row in rows:
            print(json.dumps(row))
        return 0
    print(f"{'size':4s} {'what':22s} {'pixels':>9s} {'batch':>6s} {'tumble/s':>11s} {'kinetix/s':>11s} {'ratio':>7s} "
          f"{'compile s (t/k)':>16s}")
    names = {"frames": "rasteriser frames", "render": "pixel renderer frames", "env": "pixel-obs env steps"}
    for r in rows:
        rate = r.get("frames_per_s", r.get("steps_per_s"))
        ref = f"{r['reference_per_s']:11,.0f}" if "ratio" in r else f"{'-':>11s}"
        ratio = f"{r['ratio']:6.1f}x" if "ratio" in r else f"{'-':>7s}"
        comp = f"{r['compile_s']:.1f}/" + (f"{r['reference_compile_s']:.1f}" if "ratio" in r else "-")
        px = f"{r['height']}x{r['width']}"
        print(f"{r['size']:4s} {names[r['kind']]:22s} {px:>9s} {r['batch']:6d} {rate:11,.0f} {ref} {ratio} {comp:>16s}")
    print(json.dumps({"benchmark": "render", "cpu_threads": cpu_threads_setting(), "whole_loop_bytes": whole_loop_bytes(), "rows": rows}))
    return 0
