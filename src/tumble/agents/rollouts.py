"""Policy rollouts pinned to given levels: the measurement behind SFL and evaluation.

Unlike training environments, which reset to levels drawn from a pool, each
environment here plays one given level: either for a fixed number of steps,
restarting that same level whenever an episode ends (:func:`level_outcomes`,
used to estimate a success rate per level), or for exactly one episode
(:func:`first_episodes`, used for evaluation).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from tumble.env.environment import Env, EnvParams
from tumble.levels import CompiledLevel

Policy = Callable[[object, jax.Array], jax.Array]  # (batched obs, key) -> batched actions


class Outcomes(NamedTuple):
    """Per level: episodes finished, solved, failed (touched red), summed return, summed length."""

    episodes: jax.Array
    solved: jax.Array
    failed: jax.Array
    returns: jax.Array
    lengths: jax.Array


def _play(env: Env, params: EnvParams, policy: Policy, levels: CompiledLevel, key: jax.Array, steps: int,
          repeat: bool) -> Outcomes:
    m = levels.roles.shape[0]
    start = jax.vmap(env.initial_state)(levels, jnp.arange(m))
    zero_f = jnp.zeros((m,), jnp.float32)
    zero_i = jnp.zeros((m,), jnp.int32)

    def step(carry, k):
        state, live, ret, length, out = carry
        obs = jax.vmap(env.observe)(state)
        action = policy(obs, k)
        new, reward, done, info = jax.vmap(env.transition, in_axes=(0, 0, None))(state, action, params)
        ret = ret + jnp.where(live, reward, 0.0)
        length = length + live.astype(jnp.int32)
        end = done & live
        out = Outcomes(out.episodes + end, out.solved + (end & info["solved"]), out.failed + (end & info["failed"]),
                       out.returns + jnp.where(end, ret, 0.0), out.lengths + jnp.where(end, length, 0))
        ret = jnp.where(done, 0.0, ret)
        length = jnp.where(done, 0, length)
        if repeat:
            new = jax.tree_util.tree_map(
                lambda s, x: jnp.where(done.reshape((-1,) + (1,) * (x.ndim - 1)), s, x), start, new)
        else:
            live = live & ~done
        return (new, live, ret, length, out), None

    init = (start, jnp.ones((m,), bool), zero_f, zero_i, Outcomes(zero_i, zero_i, zero_i, zero_f, zero_i))
    (_, _, _, _, out), _ = jax.lax.scan(step, init, jax.random.split(key, steps))
    return out


def level_outcomes(env: Env, params: EnvParams, policy: Policy, levels: CompiledLevel, key: jax.Array,
                   steps: int) -> Outcomes:
    """Play each level for ``steps`` env steps, restarting it whenever an episode ends; count the episodes."""
    return _play(env, params, policy, levels, key, steps, repeat=True)


def first_episodes(env: Env, params: EnvParams, policy: Policy, levels: CompiledLevel, key: jax.Array,
                   max_steps: int) -> Outcomes:
    """Play one episode on each level (at most ``max_steps`` steps; an unfinished one counts as no episode)."""
    return _play(env, params, policy, levels, key, max_steps, repeat=False)


def episode_channels(env: Env, params: EnvParams, policy: Policy, level: CompiledLevel, key: jax.Array,
                     max_steps: int) -> tuple[jax.Array, jax.Array]:
    """One episode on one level: the channel values of every env step ``[max_steps, 6]`` and how many steps it ran.

    Replaying the channel values open-loop (:func:`tumble.render.rollout.run_episode`)
    reproduces the episode exactly (the physics is deterministic), which is how an
    agent's episode becomes a GIF.
    """
    state = jax.tree_util.tree_map(lambda x: x[None], env.initial_state(level, jnp.zeros((), jnp.int32)))

    def step(carry, k):
        state, live, steps = carry
        action = policy(jax.vmap(env.observe)(state), k)
        new, _, done, _ = jax.vmap(env.transition, in_axes=(0, 0, None))(state, action, params)
        steps = steps + live[0].astype(jnp.int32)
        return (new, live & ~done, steps), new.last_action[0]

    (_, _, steps), channels = jax.lax.scan(step, (state, jnp.ones((1,), bool), jnp.zeros((), jnp.int32)),
                                           jax.random.split(key, max_steps))
    return channels, steps
