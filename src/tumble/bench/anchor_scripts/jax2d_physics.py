"""Anchor benchmark: raw physics-step throughput of jax2d on kinetix's hand-made levels.

Standalone: run by the kinetix anchor environment's python (it needs ``kinetix-env``
and its pinned ``jax2d``), never imports tumble.

For one size (s, m or l) it loads every level the kinetix package ships for that size
with kinetix's own loader, padded to kinetix's default static params for the size,
tiles them (cycling) to each requested batch size and times
``jax.jit(lax.scan(vmap(PhysicsEngine.step), length=K))``: one scan iteration is one raw
jax2d physics step (gravity, collision manifolds, warm start, solver iterations,
integration) -- not an env step, which is ``frame_skip`` = 2 of these plus reward and
observation work. Actions are random raw engine actions (motors U[-1, 1], thrusters
U[0, 1]) drawn once per (step, env) outside the timed region and fed through the scan.

Prints one JSON line describing the levels (entity counts), then one JSON line per batch.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import time


def _version(dist: str):
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return None


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=["s", "m", "l"], required=True)
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 16, 256, 1024])
    ap.add_argument("--steps", type=int, default=100, help="physics steps per timed call (K)")
    ap.add_argument("--repeats", type=int, default=3, help="timed calls per batch (R)")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def main() -> None:
    args = parse_args()

    import jax
    import jax.numpy as jnp
    import numpy as np
    import kinetix
    from jax2d.engine import PhysicsEngine
    from kinetix.environment.env_state import EnvParams
    from kinetix.environment.utils import static_env_params_from_size
    from kinetix.util.saving import load_evaluation_levels

    size = args.size
    static_params = static_env_params_from_size(size)
    env_params = EnvParams()

    level_dir = os.path.join(os.path.dirname(kinetix.__file__), "levels", size)
    names = sorted(os.path.splitext(os.path.basename(p))[0]
                   for p in glob.glob(os.path.join(level_dir, "*.json")))
    if not names:
        raise SystemExit(f"no levels found in {level_dir}")
    t0 = time.perf_counter()
    levels, static_params = load_evaluation_levels(
        [f"{size}/{n}" for n in names], static_env_params_override=static_params)
    level_load_s = time.perf_counter() - t0
    n_levels = len(names)

    # Entity counts of the hand-made levels (active entities; the 4 static boundary
    # polygons -- floor, two walls, ceiling -- are excluded from the polygon count).
    nfix = static_params.num_static_fixated_polys
    counts = {
        "polygons": np.asarray(levels.polygon.active)[:, nfix:].sum(axis=1),
        "circles": np.asarray(levels.circle.active).sum(axis=1),
        "joints": np.asarray(levels.joint.active).sum(axis=1),
        "thrusters": np.asarray(levels.thruster.active).sum(axis=1),
    }
    print(json.dumps({
        "engine": "jax2d",
        "kind": "levels",
        "size": size,
        "n_levels": n_levels,
        "level_load_s": level_load_s,
        "capacity": {
            "polygons": static_params.num_polygons,
            "circles": static_params.num_circles,
            "joints": static_params.num_joints,
            "thrusters": static_params.num_thrusters,
            "static_fixated_polygons": nfix,
            "solver_iterations": static_params.num_solver_iterations,
            "solver_batch_size": static_params.solver_batch_size,
            "frame_skip": static_params.frame_skip,
        },
        "entities": {k: {"min": int(v.min()), "mean": float(v.mean()), "max": int(v.max()),
                         "per_level": dict(zip(names, map(int, v)))}
                     for k, v in counts.items()},
    }), flush=True)

    engine = PhysicsEngine(static_params)
    n_act = static_params.num_joints + static_params.num_thrusters
    nj = static_params.num_joints

    def one_step(state, action):
        state, _manifolds = engine.step(state, env_params, action)
        return state

    batched_step = jax.vmap(one_step)

    def rollout(state, actions):
        def body(s, a):
            return batched_step(s, a), None
        state, _ = jax.lax.scan(body, state, actions)
        return state

    rollout_jit = jax.jit(rollout)

    key = jax.random.PRNGKey(args.seed)
    for batch in args.batch:
        idx = np.arange(batch) % n_levels
        state = jax.tree.map(lambda x: jnp.asarray(np.asarray(x)[idx]), levels)
        key, k_act = jax.random.split(key)
        u = jax.random.uniform(k_act, (args.steps, batch, n_act), minval=-1.0, maxval=1.0)
        actions = u.at[..., nj:].set(jnp.abs(u[..., nj:]))
        jax.block_until_ready((state, actions))
        load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

        t0 = time.perf_counter()
        compiled = rollout_jit.lower(state, actions).compile()
        t1 = time.perf_counter()
        state = compiled(state, actions)
        jax.block_until_ready(state)
        t2 = time.perf_counter()

        per_call = []
        for _ in range(args.repeats):
            ts = time.perf_counter()
            state = compiled(state, actions)
            jax.block_until_ready(state)
            per_call.append(time.perf_counter() - ts)
        elapsed = sum(per_call)
        finite = bool(np.isfinite(np.asarray(state.polygon.position)).all()
                      and np.isfinite(np.asarray(state.circle.position)).all())
        print(json.dumps({
            "engine": "jax2d",
            "kind": "throughput",
            "size": size,
            "batch": batch,
            "steps": args.steps,
            "repeats": args.repeats,
            "steps_per_s": batch * args.steps * args.repeats / elapsed,
            "best_call_steps_per_s": batch * args.steps / min(per_call),
            "compile_s": (t1 - t0) + (t2 - t1),
            "trace_compile_s": t1 - t0,
            "first_call_s": t2 - t1,
            "n_levels": n_levels,
            "finite": finite,
            "loadavg_1m": load_before,
            "jax": jax.__version__,
            "jax2d": _version("jax2d"),
            "kinetix_env": _version("kinetix-env"),
            "backend": jax.default_backend(),
            "python": platform.python_version(),
        }), flush=True)


if __name__ == "__main__":
    main()
