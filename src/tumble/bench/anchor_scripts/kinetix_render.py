"""Anchor benchmark: kinetix-env with pixel observations (env steps/s) and its pixel renderer alone (frames/s).

Standalone: run by the kinetix anchor environment's python, never imports tumble.
For one size it builds kinetix's env (multi-discrete actions, pixel
observations at the default screen (500 x 500 downscaled by 4: 125 x 125),
frame skip 2, reset to its own hand-made levels of that size) and times
``jit(lax.scan(vmap(env.step), length=K))`` with random actions drawn inside
the scan.  The observation's image is summed inside the scan so the renderer
cannot be dropped as dead code (Tumble's side does the same).  With
``--render`` it also times the renderer alone on the reset states:
``jit(lax.scan(vmap(render), length=K))`` with the bodies nudged every frame.
Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import time

SIZES = {"s": (5, 2, 1, 1), "m": (6, 3, 2, 2), "l": (12, 4, 6, 2)}


def _best(fn, arg, repeats=3):
    import jax

    start = time.perf_counter()
    jax.block_until_ready(fn(arg))
    compile_s = time.perf_counter() - start
    best = float("inf")
    for rep in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(arg))
        best = min(best, time.perf_counter() - start)
    return best, compile_s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="m")
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 256])
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--render", action="store_true", help="also time the pixel renderer alone")
    args = ap.parse_args()

    import jax
    import jax.numpy as jnp
    import kinetix
    from kinetix.environment.env import make_kinetix_env
    from kinetix.environment.env_state import EnvParams, StaticEnvParams
    from kinetix.environment.spaces import ActionType, ObservationType
    from kinetix.environment.ued.ued import make_reset_fn_list_of_levels
    from kinetix.render.renderer_pixels import make_render_pixels_rl

    p, c, j, t = SIZES[args.size]
    static = StaticEnvParams(num_polygons=p, num_circles=c, num_joints=j, num_thrusters=t, frame_skip=2)
    params = EnvParams()
    root = os.path.join(os.path.dirname(kinetix.__file__), "levels", args.size)
    names = [f"{args.size}/{os.path.basename(f)[:-5]}" for f in sorted(glob.glob(os.path.join(root, "*.json")))]
    reset_fn = make_reset_fn_list_of_levels(names, static)
    env = make_kinetix_env(ActionType.MULTI_DISCRETE, ObservationType.PIXELS, reset_fn, params, static)
    shape = tuple(a // static.downscale for a in static.screen_dim)
    for batch in args.batches:
        def run(rng, batch=batch):
            rng, r0 = jax.random.split(rng)
            _, state = jax.vmap(env.reset, (0, None))(jax.random.split(r0, batch), params)

            def body(carry, _):
                rng, state = carry
                rng, ka, ks = jax.random.split(rng, 3)
                actions = jax.vmap(env.action_space(params).sample)(jax.random.split(ka, batch))
                obs, state, reward, done, _ = jax.vmap(env.step, (0, 0, 0, None))(
                    jax.random.split(ks, batch), state, actions, params)
                return (rng, state), reward.sum() + done.sum() + obs.image.sum()

            _, out = jax.lax.scan(body, (rng, state), None, length=args.steps)
            return out.sum()

        best, compile_s = _best(jax.jit(run), jax.random.PRNGKey(0))
        print(json.dumps({"kind": "env", "size": args.size, "batch": batch, "height": shape[1], "width": shape[0],
                          "steps_per_s": batch * args.steps / best, "compile_s": compile_s}), flush=True)

    if not args.render:
        return
    render = make_render_pixels_rl(params, static)
    for batch in args.batches:
        _, state0 = jax.vmap(env.reset, (0, None))(jax.random.split(jax.random.PRNGKey(1), batch), params)

        def frames(state0, batch=batch):
            def body(total, k):
                nudged = state0.replace(polygon=state0.polygon.replace(
                    position=state0.polygon.position + 0.001 * k, rotation=state0.polygon.rotation + 0.01 * k))
                return total + jax.vmap(render)(nudged).image.sum(), None

            total, _ = jax.lax.scan(body, jnp.zeros(()), jnp.arange(args.steps, dtype=jnp.float32))
            return total

        best, compile_s = _best(jax.jit(frames), state0)
        print(json.dumps({"kind": "render", "size": args.size, "batch": batch, "height": shape[1], "width": shape[0],
                          "frames_per_s": batch * args.steps / best, "compile_s": compile_s}), flush=True)


if __name__ == "__main__":
    main()
