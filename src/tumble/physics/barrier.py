"""Keep XLA from re-computing long element-wise chains.

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
"""

from __future__ import annotations

from typing import Any, Callable

import jax


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
