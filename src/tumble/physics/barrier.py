"""Steer XLA's fusion: materialise long element-wise chains once, fuse wide packs.

XLA fuses element-wise producers into each consumer, and a fused kernel
evaluates its expression per output element.  A Gauss-Seidel update feeds
many outputs (three velocity components of two bodies, impulses), so a
fused chain is evaluated once per output: several times the arithmetic, and
slow compiles.  Running the chain as the branch of a conditional makes XLA
materialise its outputs once.  The predicate must be a traced value XLA
cannot constant-fold (a loop index), and not batched, so that ``vmap``
keeps the conditional.  The solver's rounds and walls use a conditional with
a real predicate instead (skip the region when none of its contacts is
live), which materialises the outputs the same way.

The other way round, packing many fields into one array (loop inputs) should
fuse with the code computing them, which XLA's CPU backend refuses for a
concatenate of more than eight operands: :func:`fusible_stack`.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp


def computed_once(fn: Callable[..., Any], token: jax.Array, *args: Any) -> Any:
    """``fn(*args)``, with its outputs materialised (``token`` is an unbatched int >= 0)."""
    return jax.lax.cond(token >= 0, fn, fn, *args)


def computed_once_else(fn: Callable[[Any], Any], never: Callable[[Any], Any], token: jax.Array, args: Any) -> Any:
    """``fn(args)`` materialised like :func:`computed_once`, with a cheap second branch ``never(args)``.

    ``never`` (which must return the same structure, for example some of its
    inputs) is never taken (``token`` >= 0); it only spares compiling ``fn``
    twice.
    """
    return jax.lax.cond(token >= 0, fn, never, args)


def ordered_sum(x: jax.Array, axis: int = 0) -> jax.Array:
    """``x`` summed along ``axis`` by a left-to-right chain of adds.

    A reduce may sum in an order that depends on the surrounding program, so
    two programs containing the same step could round it differently; recorded
    action sequences replay only where every program rounds alike.
    """
    parts = [jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in range(x.shape[axis])]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


# XLA's CPU backend never fuses a concatenate of more than eight operands: each
# operand then becomes a kernel of its own, feeding a separate copy kernel
_MAX_FUSED_CONCAT = 8


def fusible_stack(arrays: list, axis: int = 0) -> jax.Array:
    """``jnp.stack(arrays, axis)`` built from stacks of at most eight arrays.

    Each small stack fuses with the element-wise code that computes its
    arrays, so packing twenty fields costs a few kernels instead of
    twenty-one (compile time, and a launch each for one scene).  The groups
    are stacked on a new axis: concatenated on the same axis, XLA would
    merge them back into one wide concatenate.
    """
    arrays = [jnp.asarray(x) for x in arrays]
    if len(arrays) <= _MAX_FUSED_CONCAT:
        return jnp.stack(arrays, axis)
    n, shape = len(arrays), arrays[0].shape
    axis = axis % (len(shape) + 1)
    arrays = arrays + [jnp.zeros_like(arrays[0])] * (-n % _MAX_FUSED_CONCAT)
    groups = [jnp.stack(arrays[i:i + _MAX_FUSED_CONCAT], axis) for i in range(0, len(arrays), _MAX_FUSED_CONCAT)]
    # [..., groups, 8, ...] -> [..., groups * 8, ...]: merging adjacent axes moves no data
    packed = jnp.stack(groups, axis).reshape(shape[:axis] + (len(arrays),) + shape[axis:])
    return jax.lax.slice_in_dim(packed, 0, n, axis=axis)


def fusible_concatenate(arrays: list, axis: int = -1) -> jax.Array:
    """``jnp.concatenate(arrays, axis)`` as a :func:`fusible_stack` of their slices along ``axis``."""
    arrays = [jnp.asarray(x) for x in arrays]
    axis = axis % arrays[0].ndim
    columns = [jax.lax.index_in_dim(x, k, axis, keepdims=False) for x in arrays for k in range(x.shape[axis])]
    return fusible_stack(columns, axis)


def kernels_when_unbatched(x: jax.Array) -> jax.Array:
    """``x`` unchanged, through a scatter when not under ``vmap``: a loop around it stays kernel by kernel.

    XLA compiles a small loop with no scatter or sort whole (tumble/whole_loops.py):
    faster to run for one scene, but one large function compiles on one core
    where separate kernels compile on all of them.  A program that runs a loop
    once per call (``jit(env.step)``'s frame-skip loop, dispatched step by step)
    gains nothing from that and compiles about a sixth slower; under ``vmap``
    (a rollout of one or many scenes) the scatter is left out.  The scatter
    writes ``x``'s own entries back in an order XLA cannot foresee (``x``
    must be a non-empty 1-D array), so XLA cannot drop it.
    """

    @jax.custom_batching.custom_vmap
    def guard(x):
        order = (jnp.arange(x.shape[0]) + jnp.argmax(x)) % x.shape[0]  # a rotation XLA cannot see through
        return x.at[order].max(x[order])

    @guard.def_vmap
    def _rule(axis_size, in_batched, x):
        return x, in_batched[0]

    return guard(x)


def one_scene_or_batched(one_scene: Callable[..., Any], batched: Callable[..., Any]) -> Callable[..., Any]:
    """``one_scene`` unbatched and under ``vmap`` over one scene; ``batched(axis_size, in_batched, *args)`` over more.

    Under ``vmap`` over a single scene there is nothing to vectorise, so the
    one-scene program runs on it (its batch axis taken off and put back).
    ``batched`` receives the ``custom_vmap`` rule's arguments and returns
    outputs batched on axis 0.  Reverse-mode differentiation is not
    supported (``custom_vmap`` has none).
    """

    @jax.custom_batching.custom_vmap
    def fn(*args):
        return one_scene(*args)

    @fn.def_vmap
    def _rule(axis_size, in_batched, *args):
        if axis_size == 1:
            args = jax.tree_util.tree_map(lambda x, b: x[0] if b else x, list(args), list(in_batched))
            out = jax.tree_util.tree_map(lambda x: x[None], fn(*args))
        else:
            out = batched(axis_size, in_batched, *args)
        return out, jax.tree_util.tree_map(lambda _: True, out)

    return fn
