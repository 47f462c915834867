"""The no-op filter: generated levels that doing nothing solves are dropped.

A level is *no-op solved* when replaying the all-zero action (motors and thrusters
off; ``auto`` motors still run) for 64 env steps of ``frame_skip`` 2 makes green
touch blue before it touches red, exactly as :func:`tumble.levels.replay` scores it.
The reference filters its training levels the same way (64 steps), but by sampling 2x
as many levels and drawing the batch with weights 1 (unsolved) and 0.001 (solved),
so a batch may still hold solved levels; :func:`generate_filtered` never returns one.

:func:`generate_filtered` keeps a fixed-shape buffer of ``batch`` levels and, in a
``lax.while_loop``, generates a pool of candidates, replays them all with the no-op
action (one ``vmap``) and appends the unsolved ones in order until the buffer is full.
The pool is sized from the measured solved fraction, so one round nearly always
suffices.  Everything is one jitted call per (size, batch).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from tumble.levels.compile import CompiledLevel
from tumble.levels.generator import DEFAULT_CONFIG, GeneratorConfig, generate_many
from tumble.levels.outcome import ACTION_SIZE, replay
from tumble.levels.sizes import capacity_of

__all__ = ["NOOP_STEPS", "NOOP_SOLVED_FRACTION", "generate_filtered", "generate_filtered_traced", "noop_solved",
           "pool_size"]

NOOP_STEPS = 64  # env steps, as the reference's level_filter_n_steps

# Fraction of raw generated levels a no-op solves (measured on 4,096 levels per size, seed 0:
# S 0.161, M 0.120, L 0.106; see docs/generator.md).  Only used to size the candidate pool.
NOOP_SOLVED_FRACTION = {"s": 0.16, "m": 0.12, "l": 0.11}


def noop_solved(level: CompiledLevel, steps: int = NOOP_STEPS, frame_skip: int = 2) -> jax.Array:
    """Whether the all-zero action solves one level within ``steps`` env steps (``vmap`` it for a batch)."""
    out = replay(level, jnp.zeros((steps, ACTION_SIZE), jnp.float32), frame_skip)
    return out.solved[-1]


def pool_size(batch: int, size="m") -> int:
    """Candidates generated per round: enough for ``batch`` unsolved levels with a margin."""
    name = size if isinstance(size, str) else "l"
    p = NOOP_SOLVED_FRACTION.get(name, 0.5)
    expected = batch / (1.0 - p)
    return int(math.ceil(expected + 4.0 * math.sqrt(expected * p) + 4))


@functools.partial(jax.jit, static_argnames=("size", "batch", "pool", "steps", "frame_skip", "config", "max_rounds"))
def _generate_filtered(key, size, batch: int, pool: int, steps: int, frame_skip: int, config: GeneratorConfig,
                       max_rounds: int):
    cap = capacity_of(size)
    gen = lambda keys: generate_many(keys, cap, config)  # noqa: E731
    shapes = jax.eval_shape(gen, jax.random.split(key, batch))
    blank = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)

    def cond(carry):
        rnd, filled, _ = carry
        return (filled < batch) & (rnd < max_rounds)

    def body(carry):
        rnd, filled, buf = carry
        levels = gen(jax.random.split(jax.random.fold_in(key, rnd), pool))
        keep = ~jax.vmap(lambda lv: noop_solved(lv, steps, frame_skip))(levels)
        dest = filled + jnp.cumsum(keep) - 1
        dest = jnp.where(keep & (dest < batch), dest, batch)  # index `batch` is dropped
        buf = jax.tree_util.tree_map(lambda b, x: b.at[dest].set(x, mode="drop"), buf, levels)
        return rnd + 1, jnp.minimum(filled + jnp.sum(keep), batch), buf

    _, filled, buf = jax.lax.while_loop(cond, body, (jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32), blank))
    return buf, filled


def generate_filtered(key, size="m", batch: int = 256, *, steps: int = NOOP_STEPS, frame_skip: int = 2,
                      pool: int | None = None, config: GeneratorConfig = DEFAULT_CONFIG,
                      max_rounds: int = 64) -> CompiledLevel:
    """``batch`` generated levels (stacked), none of which the no-op action solves in ``steps`` env steps.

    Deterministic per key (and ``pool``).  ``pool`` candidates are generated and
    replayed per round (default: :func:`pool_size`); rounds repeat until the batch is
    full.  Raises ``RuntimeError`` if ``max_rounds`` rounds did not find enough.
    """
    if isinstance(size, str):
        size = size.lower()
    batch = int(batch)
    pool = int(pool or pool_size(batch, size))
    levels, filled = _generate_filtered(key, size, batch, pool, int(steps), int(frame_skip), config, int(max_rounds))
    if int(filled) < batch:
        raise RuntimeError(f"the no-op filter found only {int(filled)} of {batch} levels in {max_rounds} rounds "
                           f"of {pool} candidates")
    return levels


def generate_filtered_traced(key, size="m", batch: int = 256, *, steps: int = NOOP_STEPS, frame_skip: int = 2,
                             config: GeneratorConfig = DEFAULT_CONFIG, max_rounds: int = 64) -> CompiledLevel:
    """:func:`generate_filtered` for use inside ``jit`` (a training scan): no host check of the fill count.

    In the (vanishingly unlikely) case that ``max_rounds`` rounds do not fill the
    batch, the remaining slots hold unfiltered generated levels.
    """
    if isinstance(size, str):
        size = size.lower()
    batch = int(batch)
    levels, filled = _generate_filtered(key, size, batch, pool_size(batch, size), int(steps), int(frame_skip),
                                        config, int(max_rounds))

    def top_up(levels):
        spare = generate_many(jax.random.split(jax.random.fold_in(key, 1 << 30), batch), size, config)
        keep = jnp.arange(batch) < filled
        return jax.tree_util.tree_map(
            lambda a, b: jnp.where(keep.reshape((-1,) + (1,) * (a.ndim - 1)), a, b), levels, spare)

    return jax.lax.cond(filled < batch, top_up, lambda lv: lv, levels)
