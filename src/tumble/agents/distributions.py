"""Action distributions for the three action types, as plain functions of the network's outputs.

A policy head outputs one array per action type:

- ``multi_discrete``: logits ``[..., 6, 3]``; the two thruster channels have only
  two choices, so their third logit is masked out.
- ``discrete``: logits ``[..., 11]``.
- ``continuous``: a Gaussian ``[..., 12]``: 6 means then 6 log standard deviations.
  Samples are not squashed; the environment clips them to the action box.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from tumble.env.actions import N_DISCRETE
from tumble.levels import N_MOTOR_CHANNELS, N_THRUSTER_CHANNELS

N_CHANNELS = N_MOTOR_CHANNELS + N_THRUSTER_CHANNELS
MASKED = -1e9

# which of the 3 choices each multi-discrete channel has
_CHOICES = np.ones((N_CHANNELS, 3), bool)
_CHOICES[N_MOTOR_CHANNELS:, 2] = False


def head_size(action_type: str) -> int:
    """Number of outputs the policy head needs for an action type."""
    return {"multi_discrete": N_CHANNELS * 3, "discrete": N_DISCRETE, "continuous": 2 * N_CHANNELS}[action_type]


def shape_head(action_type: str, out: jax.Array) -> jax.Array:
    """Reshape the flat head output ``[..., head_size]`` into the distribution's parameters."""
    if action_type == "multi_discrete":
        logits = out.reshape(out.shape[:-1] + (N_CHANNELS, 3))
        return jnp.where(jnp.asarray(_CHOICES), logits, MASKED)
    if action_type == "continuous":
        mean, log_std = jnp.split(out, 2, axis=-1)
        return jnp.concatenate([mean, jnp.clip(log_std, -5.0, 2.0)], axis=-1)
    return out


def sample(action_type: str, dist: jax.Array, key: jax.Array) -> jax.Array:
    """Draw an action."""
    if action_type == "continuous":
        mean, log_std = jnp.split(dist, 2, axis=-1)
        return mean + jnp.exp(log_std) * jax.random.normal(key, mean.shape)
    return jax.random.categorical(key, dist, axis=-1).astype(jnp.int32)


def mode(action_type: str, dist: jax.Array) -> jax.Array:
    """The most likely action (greedy evaluation)."""
    if action_type == "continuous":
        return jnp.split(dist, 2, axis=-1)[0]
    return jnp.argmax(dist, axis=-1).astype(jnp.int32)


def log_prob(action_type: str, dist: jax.Array, action: jax.Array) -> jax.Array:
    """Log-probability of ``action`` (summed over channels)."""
    if action_type == "continuous":
        mean, log_std = jnp.split(dist, 2, axis=-1)
        z = (action - mean) / jnp.exp(log_std)
        return jnp.sum(-0.5 * z * z - log_std - 0.5 * math.log(2 * math.pi), axis=-1)
    logp = jax.nn.log_softmax(dist, axis=-1)
    chosen = jnp.take_along_axis(logp, action[..., None].astype(jnp.int32), axis=-1)[..., 0]
    return jnp.sum(chosen, axis=-1) if action_type == "multi_discrete" else chosen


def entropy(action_type: str, dist: jax.Array) -> jax.Array:
    """Entropy of the distribution (summed over channels)."""
    if action_type == "continuous":
        log_std = jnp.split(dist, 2, axis=-1)[1]
        return jnp.sum(log_std + 0.5 * math.log(2 * math.pi * math.e), axis=-1)
    logp = jax.nn.log_softmax(dist, axis=-1)
    h = -jnp.sum(jnp.where(dist > MASKED / 2, jnp.exp(logp) * logp, 0.0), axis=-1)
    return jnp.sum(h, axis=-1) if action_type == "multi_discrete" else h
