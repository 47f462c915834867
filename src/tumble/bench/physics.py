"""Physics benchmark: raw engine steps/s for Kinetix-sized scenes, side by side with jax2d.

Tumble's scenes are built with the scripting API to the reference's size
budgets (S: 1 polygon + 2 circles + 1 joint + 1 thruster; M: 2 + 3 + 2 + 2;
L: 8 + 4 + 6 + 2; the world boundary outside the polygon budget), every slot
in use.  Each batch is timed as ``jit(lax.scan(vmap(step), K))`` with random
controls drawn per step and env, exactly like the anchor script times jax2d
on its own hand-made levels, in the same invocation so that machine noise
hits both sides.  Also: the 55-box pyramid, single instance, against Box2D.
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Iterable

import jax
import jax.numpy as jnp
import numpy as np

import tumble.physics
from tumble.cpu_threads import cpu_threads_setting
from tumble.whole_loops import whole_loop_bytes
from tumble.physics import Capacity, Controls, SceneBuilder, simulate, step

SIZES = {  # (polygons, circles, joints, thrusters) outside the boundary
    "s": Capacity(1, 2, 1, 1, 4),
    "m": Capacity(2, 3, 2, 2, 4),
    "l": Capacity(8, 4, 6, 2, 4),
}
KINETIX_VENV = ("kinetix", ["kinetix-env==3.0.2"])
BOX2D_VENV = ("box2d", ["box2d==2.3.10"])


def _car(b: SceneBuilder, x: float, y: float, rng: np.random.Generator, wheels: int):
    chassis = b.add_box(size=(1.0, 0.25), position=(x, y), friction=0.8)
    for dx in (-0.4, 0.4)[:wheels]:
        wheel = b.add_circle(0.18, position=(x + dx, y - 0.2), friction=1.0)
        b.add_revolute_joint(chassis, wheel, (x + dx, y - 0.2), enable_motor=True,
                             motor_speed=float(rng.uniform(1, 4)), max_motor_torque=float(rng.uniform(1, 3)))
    return chassis


def kinetix_sized_scene(size: str, seed: int = 0):
    """A scene filling the budget of Kinetix size ``size`` (s, m, l), jittered by ``seed``."""
    rng = np.random.default_rng(seed)
    j = lambda: float(rng.uniform(-0.2, 0.2))  # noqa: E731
    b = SceneBuilder(max_vertices=4)
    b.set_boundary()
    if size == "s":
        car = _car(b, 2.0 + j(), 0.8, rng, wheels=1)
        b.add_circle(0.25, position=(3.5 + j(), 1.5 + j()))
        b.add_thruster(car, (2.0, 0.8), angle=math.pi / 2, max_force=8.0)
    elif size == "m":
        car = _car(b, 1.5 + j(), 0.8, rng, wheels=2)
        b.add_box(size=(0.4, 0.4), position=(3.5 + j(), 0.6))
        b.add_circle(0.3, position=(3.2 + j(), 2.5 + j()))
        b.add_thruster(car, (1.5, 0.8), angle=math.pi / 2, max_force=10.0)
        b.add_thruster(car, (1.5, 0.8), angle=0.0, max_force=5.0)
    elif size == "l":
        car1 = _car(b, 1.2 + j(), 0.8, rng, wheels=2)
        _car(b, 3.6 + j(), 0.8, rng, wheels=2)
        base = b.add_box(size=(0.3, 0.3), position=(2.5, 2.5), static=True)
        link1 = b.add_box(size=(0.6, 0.1), position=(2.8, 2.5))
        link2 = b.add_box(size=(0.6, 0.1), position=(3.4, 2.5))
        b.add_revolute_joint(base, link1, (2.5, 2.5), enable_motor=True, motor_speed=2.0, max_motor_torque=5.0)
        b.add_revolute_joint(link1, link2, (3.1, 2.5), enable_motor=True, motor_speed=2.0, max_motor_torque=3.0,
                             lower_angle=-1.5, upper_angle=1.5)
        for k in range(3):
            b.add_box(size=(0.3, 0.3), position=(0.6 + 1.4 * k + j(), 3.8 + j()))
        b.add_thruster(car1, (1.2, 0.8), angle=math.pi / 2, max_force=10.0)
        b.add_thruster(link2, (3.6, 2.5), angle=0.0, max_force=3.0)
    else:
        raise ValueError(f"unknown size {size!r}; use s, m or l")
    scene, params = b.build(SIZES[size])
    return scene, params


def batch_rollout(size: str, batch: int, steps: int, engine=None, scenes_from=None):
    """``(run, scenes, motor, thrust)``: ``run = jit(scan(vmap(step), steps))`` over ``batch`` M-style scenes.

    Random controls per step; the scenes cycle through 8 seeded variants.
    ``engine`` (a module with ``step``, ``Controls`` and ``stack_scenes``) and
    ``scenes_from`` (one with ``kinetix_sized_scene`` and ``SIZES``) default
    to this package's; ``benchmarks/ab_physics.py`` passes an older revision's.
    """
    engine = engine or tumble.physics
    scenes_from = scenes_from or sys.modules[__name__]
    variants = [scenes_from.kinetix_sized_scene(size, seed) for seed in range(min(batch, 8))]
    params = variants[0][1].as_arrays().replace(substeps=variants[0][1].substeps)
    scenes = engine.stack_scenes([variants[i % len(variants)][0] for i in range(batch)])
    cap = scenes_from.SIZES[size]
    key = jax.random.PRNGKey(0)
    motor = jax.random.uniform(key, (steps, batch, cap.n_joints), minval=-1.0, maxval=1.0)
    thrust = jax.random.uniform(jax.random.fold_in(key, 1), (steps, batch, cap.n_thrusters))

    @jax.jit
    def run(s, motor, thrust):
        def body(s, u):
            return jax.vmap(lambda sc, m, t: engine.step(sc, engine.Controls(m, t), params)[0])(s, *u), None

        return jax.lax.scan(body, s, (motor, thrust))[0]

    return run, scenes, motor, thrust


def _time_batch(size: str, batch: int, steps: int, repeats: int) -> dict:
    run, scenes, motor, thrust = batch_rollout(size, batch, steps)
    t0 = time.perf_counter()
    out = jax.block_until_ready(run(scenes, motor, thrust))
    compile_s = time.perf_counter() - t0
    per_call = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = jax.block_until_ready(run(out, motor, thrust))
        per_call.append(time.perf_counter() - t0)
    return {"engine": "tumble", "size": size, "batch": batch, "steps_per_s": batch * steps * repeats / sum(per_call),
            "best_call_steps_per_s": batch * steps / min(per_call), "compile_s": compile_s}


def step_compile_seconds(size: str, repeats: int = 3) -> float:
    """Median seconds to trace and compile one (unbatched) step of a ``size`` scene, over ``repeats`` compiles.

    A tiny function is compiled first, so JAX's and XLA's one-time start-up (the
    first compilation of a process) is not counted, as in benchmarks/ab_compile.py.
    One compile varies by a third with the machine's phase; each repeat
    compiles a program of its own (one extra constant output), so neither
    JAX nor XLA serves it from a cache.
    """
    jax.jit(lambda x: x + 1).lower(jnp.zeros(())).compile()
    scene, params = kinetix_sized_scene(size)
    params = params.as_arrays().replace(substeps=params.substeps)
    controls = Controls(jnp.zeros((SIZES[size].n_joints,)), jnp.zeros((SIZES[size].n_thrusters,)))
    seconds = []
    for k in range(repeats):
        t0 = time.perf_counter()
        jax.jit(lambda s, c, k=k: (step(s, c, params), jnp.int32(k))).lower(scene, controls).compile()
        seconds.append(time.perf_counter() - t0)
    return float(np.median(seconds))


def tumble_pyramid(steps: int = 600, repeats: int = 3) -> dict:
    """The 55-box pyramid (base 10), one instance, steps/s."""
    b = SceneBuilder()
    b.add_box(size=(40, 1), position=(0, -0.5), static=True, friction=0.6)
    for i in range(10):
        for k in range(10 - i):
            b.add_box(size=(1, 1), position=((k - (10 - i - 1) / 2) * 1.1, 0.5 + i), friction=0.6)
    scene, params = b.build()
    t0 = time.perf_counter()
    simulate(scene, params, steps)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(repeats):
        simulate(scene, params, steps)
    return {"engine": "tumble", "scene": "pyramid", "base": 10, "bodies": 55,
            "steps_per_s": steps * repeats / (time.perf_counter() - t0), "compile_s": compile_s}


def _anchor_rows(size: str, batches: list[int], steps: int, repeats: int) -> dict[int, dict]:
    from tumble.bench.anchor_venv import ensure_venv, run_anchor_script

    python = ensure_venv(*KINETIX_VENV)
    args = ["--size", size, "--batch", *map(str, batches), "--steps", str(steps), "--repeats", str(repeats)]
    rows = run_anchor_script(python, "jax2d_physics.py", args, timeout=3600)
    return {r["batch"]: r for r in rows if "batch" in r and "steps_per_s" in r}


def _box2d_pyramid(steps: int, repeats: int) -> dict | None:
    from tumble.bench.anchor_venv import ensure_venv, run_anchor_script

    python = ensure_venv(*BOX2D_VENV)
    rows = run_anchor_script(python, "box2d_pyramid.py", ["--base", "10", "--steps", str(steps),
                                                            "--repeats", str(repeats)], timeout=600)
    return next((r for r in rows if "steps_per_s" in r), None)


def main(sizes: Iterable[str] = ("s", "m", "l"), batches: Iterable[int] = (1, 16, 256, 1024, 4096),
         json_out: bool = False, anchor: bool = True, steps: int | None = None, repeats: int = 3) -> list[dict]:
    """Run the benchmark, print a table (or JSON lines) and return the rows."""
    batches = [int(b) for b in batches]
    rows: list[dict] = []
    for size in sizes:
        size = size.lower()
        k = steps or 100
        step_compile = step_compile_seconds(size)
        anchors: dict[int, dict] = {}
        if anchor:
            try:
                anchors = _anchor_rows(size, batches, k, repeats)
            except Exception as exc:  # the anchor is optional: report, keep going
                print(f"[anchor jax2d unavailable for size {size}: {exc}]", file=sys.stderr)
        for batch in batches:
            row = _time_batch(size, batch, k, repeats)
            row["step_compile_s"] = step_compile
            ref = anchors.get(batch)
            if ref:
                row["anchor_steps_per_s"] = ref["steps_per_s"]
                row["anchor_compile_s"] = ref.get("compile_s")
                row["ratio"] = row["steps_per_s"] / ref["steps_per_s"]
                if "best_call_steps_per_s" in ref:  # best call against best call: robust to a noisy neighbour
                    row["anchor_best_call_steps_per_s"] = ref["best_call_steps_per_s"]
                    row["best_ratio"] = row["best_call_steps_per_s"] / ref["best_call_steps_per_s"]
            rows.append(row)
            if json_out:
                print(json.dumps(row), flush=True)
            else:
                print(f"[{size} batch {batch}: {row['steps_per_s']:,.0f} steps/s]", file=sys.stderr, flush=True)
    pyramid = tumble_pyramid()
    if anchor:
        try:
            ref = _box2d_pyramid(600, 3)
            if ref:
                pyramid["anchor_engine"] = "box2d"
                pyramid["anchor_steps_per_s"] = ref["steps_per_s"]
                pyramid["ratio"] = pyramid["steps_per_s"] / ref["steps_per_s"]
        except Exception as exc:
            print(f"[anchor box2d unavailable: {exc}]", file=sys.stderr)
    rows.append(pyramid)
    if json_out:
        print(json.dumps(pyramid), flush=True)
    else:
        _print_table(rows)
        print(json.dumps({"benchmark": "physics", "device": str(jax.devices()[0]), "cpu_threads": cpu_threads_setting(),
                          "whole_loop_bytes": whole_loop_bytes(), "rows": rows}))
    return rows


def _fmt(x, spec=",.0f"):
    return "-" if x is None else format(x, spec)


def _print_table(rows: list[dict]) -> None:
    print(f"{'size':>5} {'batch':>6} {'tumble steps/s':>15} {'compile s':>9} {'jax2d steps/s':>14} "
          f"{'jax2d compile':>13} {'ratio':>6} {'best calls':>21} {'ratio':>6}")
    for r in rows:
        if "size" in r:
            best = f"{_fmt(r.get('best_call_steps_per_s'))} / {_fmt(r.get('anchor_best_call_steps_per_s'))}"
            print(f"{r['size']:>5} {r['batch']:>6} {_fmt(r['steps_per_s']):>15} {_fmt(r['compile_s'], '.1f'):>9} "
                  f"{_fmt(r.get('anchor_steps_per_s')):>14} {_fmt(r.get('anchor_compile_s'), '.1f'):>13} "
                  f"{_fmt(r.get('ratio'), '.2f'):>6} {best:>21} {_fmt(r.get('best_ratio'), '.2f'):>6}")
    for r in rows:
        if "size" in r and r["batch"] == rows[0]["batch"]:
            print(f"one-step compile ({r['size']}, median of 3): {r['step_compile_s']:.2f} s")
    for r in rows:
        if r.get("scene") == "pyramid":
            print(f"pyramid 55 boxes, 1 instance: tumble {_fmt(r['steps_per_s'])} steps/s, "
                  f"box2d {_fmt(r.get('anchor_steps_per_s'))} steps/s, ratio {_fmt(r.get('ratio'), '.2f')}")
