"""Observation and action spaces as small JAX-friendly objects (gymnax style).

Each space knows its exact shape, dtype and bounds, samples with a JAX key
and checks membership; :mod:`tumble.env.gym_adapter` converts them to
Gymnasium spaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np


@dataclass(frozen=True)
class Discrete:
    """Integers ``0 .. n-1``."""

    n: int
    shape: tuple = ()
    dtype: type = jnp.int32

    def sample(self, key: jax.Array) -> jax.Array:
        """A uniform random element."""
        return jax.random.randint(key, (), 0, self.n, self.dtype)

    def contains(self, x) -> bool:
        """Whether ``x`` is an element of the space."""
        x = np.asarray(x)
        return x.shape == () and np.issubdtype(x.dtype, np.integer) and 0 <= int(x) < self.n


@dataclass(frozen=True)
class MultiDiscrete:
    """A vector whose entry ``i`` is an integer in ``0 .. nvec[i]-1``."""

    nvec: tuple[int, ...]
    dtype: type = jnp.int32

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.nvec),)

    def sample(self, key: jax.Array) -> jax.Array:
        """A uniform random element."""
        return jax.random.randint(key, self.shape, 0, jnp.asarray(self.nvec), self.dtype)

    def contains(self, x) -> bool:
        """Whether ``x`` is an element of the space."""
        x = np.asarray(x)
        return (x.shape == self.shape and np.issubdtype(x.dtype, np.integer)
                and bool(np.all((x >= 0) & (x < np.asarray(self.nvec)))))


@dataclass(frozen=True)
class Box:
    """Real arrays of ``shape`` within ``[low, high]`` (scalars or arrays of that shape)."""

    low: np.ndarray | float
    high: np.ndarray | float
    shape: tuple[int, ...]
    dtype: type = jnp.float32

    def sample(self, key: jax.Array) -> jax.Array:
        """A uniform random element (bounded dimensions; unbounded ones draw from [-1, 1])."""
        low = jnp.broadcast_to(jnp.asarray(self.low, jnp.float32), self.shape)
        high = jnp.broadcast_to(jnp.asarray(self.high, jnp.float32), self.shape)
        low = jnp.where(jnp.isfinite(low), low, -1.0)
        high = jnp.where(jnp.isfinite(high), high, 1.0)
        if np.issubdtype(np.dtype(self.dtype), np.integer):
            return jax.random.randint(key, self.shape, low.astype(jnp.int32), high.astype(jnp.int32) + 1, self.dtype)
        return jax.random.uniform(key, self.shape, jnp.float32, low, high).astype(self.dtype)

    def contains(self, x) -> bool:
        """Whether ``x`` is an element of the space."""
        x = np.asarray(x)
        return (x.shape == tuple(self.shape) and np.can_cast(x.dtype, np.dtype(self.dtype), "same_kind")
                and bool(np.all((x >= np.asarray(self.low)) & (x <= np.asarray(self.high)))))


@dataclass(frozen=True)
class Dict:
    """A mapping of named sub-spaces (the entity observation)."""

    spaces: dict = field(default_factory=dict)

    @property
    def shape(self) -> None:
        return None

    def sample(self, key: jax.Array) -> dict:
        """A random element of each sub-space."""
        keys = jax.random.split(key, len(self.spaces))
        return {name: space.sample(k) for (name, space), k in zip(self.spaces.items(), keys)}

    def contains(self, x) -> bool:
        """Whether ``x`` has exactly these keys and each value is in its sub-space."""
        return isinstance(x, dict) and set(x) == set(self.spaces) and all(
            self.spaces[k].contains(v) for k, v in x.items())
