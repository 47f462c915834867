"""Anchor benchmark: kinetix-env environment steps per second (random actions, auto-reset).

Standalone: run by the kinetix anchor environment's python, never imports tumble.
For one size it builds kinetix's env (multi-discrete actions, the requested
observation type, frame skip 2) whose reset is either its own hand-made levels
of that size (``--reset levels``) or its procedural generator (``--reset
generator``), and times ``jit(lax.scan(vmap(env.step), length=K))`` where each
step draws random actions.  Prints one JSON line per (observation, batch).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import time

SIZES = {"s": (5, 2, 1, 1), "m": (6, 3, 2, 2), "l": (12, 4, 6, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="m")
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 16, 256, 1024])
    ap.add_argument("--obs", nargs="+", default=["flat", "entity"])
    ap.add_argument("--reset", default="levels", choices=["levels", "generator"])
    ap.add_argument("--steps", type=int, default=64)
    args = ap.parse_args()

    import jax
    import kinetix
    from kinetix.environment.env import make_kinetix_env
    from kinetix.environment.env_state import EnvParams, StaticEnvParams
    from kinetix.environment.spaces import ActionType, ObservationType
    from kinetix.environment.ued.ued import make_reset_fn_list_of_levels, make_reset_fn_sample_kinetix_level

    p, c, j, t = SIZES[args.size]
    static = StaticEnvParams(num_polygons=p, num_circles=c, num_joints=j, num_thrusters=t, frame_skip=2)
    params = EnvParams()
    root = os.path.join(os.path.dirname(kinetix.__file__), "levels", args.size)
    names = [f"{args.size}/{os.path.basename(f)[:-5]}" for f in sorted(glob.glob(os.path.join(root, "*.json")))]
    obs_types = {"flat": ObservationType.SYMBOLIC_FLAT, "entity": ObservationType.SYMBOLIC_ENTITY}
    for obs_name in args.obs:
        if args.reset == "levels":
            reset_fn = make_reset_fn_list_of_levels(names, static)
        else:
            reset_fn = make_reset_fn_sample_kinetix_level(params, static)
        env = make_kinetix_env(ActionType.MULTI_DISCRETE, obs_types[obs_name], reset_fn, params, static)
        for batch in args.batches:
            def run(rng, batch=batch, env=env):
                rng, r0 = jax.random.split(rng)
                _, state = jax.vmap(env.reset, (0, None))(jax.random.split(r0, batch), params)

                def body(carry, _):
                    rng, state = carry
                    rng, ka, ks = jax.random.split(rng, 3)
                    actions = jax.vmap(env.action_space(params).sample)(jax.random.split(ka, batch))
                    _, state, reward, done, _ = jax.vmap(env.step, (0, 0, 0, None))(
                        jax.random.split(ks, batch), state, actions, params)
                    return (rng, state), reward.sum() + done.sum()

                _, out = jax.lax.scan(body, (rng, state), None, length=args.steps)
                return out.sum()

            fn = jax.jit(run)
            start = time.perf_counter()
            jax.block_until_ready(fn(jax.random.PRNGKey(0)))
            compile_s = time.perf_counter() - start
            best = float("inf")
            for rep in range(3):
                start = time.perf_counter()
                jax.block_until_ready(fn(jax.random.PRNGKey(rep + 1)))
                best = min(best, time.perf_counter() - start)
            print(json.dumps({"size": args.size, "obs": obs_name, "reset": args.reset, "batch": batch,
                              "steps_per_s": batch * args.steps / best, "compile_s": compile_s}), flush=True)


if __name__ == "__main__":
    main()
