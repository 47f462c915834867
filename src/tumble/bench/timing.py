"""Shared timing pieces of the benchmarks: first-call time, best-of-N time, a random-action env rollout."""

from __future__ import annotations

import time


def best_time(fn, arg, repeats: int = 3) -> tuple[float, float]:
    """``(best seconds of repeats calls, seconds of the first call)``: the first call traces and compiles."""
    import jax

    start = time.perf_counter()
    jax.block_until_ready(fn(arg))
    compile_s = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(arg))
        best = min(best, time.perf_counter() - start)
    return best, compile_s


def random_rollout(env, params, batch: int, steps: int, observed=lambda obs: 0.0):
    """``run(key)``: reset ``batch`` envs, then a scan of ``steps`` vmapped steps with random actions.

    ``observed(obs)`` is added to the output so the observation is not optimised away.
    """
    import jax

    space = env.action_space(params)

    def run(rng):
        rng, r0 = jax.random.split(rng)
        _, state = jax.vmap(env.reset, (0, None))(jax.random.split(r0, batch), params)

        def body(carry, _):
            rng, state = carry
            rng, ka, ks = jax.random.split(rng, 3)
            actions = jax.vmap(space.sample)(jax.random.split(ka, batch))
            obs, state, reward, done, _ = jax.vmap(env.step, (0, 0, 0, None))(
                jax.random.split(ks, batch), state, actions, params)
            return (rng, state), reward.sum() + done.sum() + observed(obs)

        _, out = jax.lax.scan(body, (rng, state), None, length=steps)
        return out.sum()

    return run
