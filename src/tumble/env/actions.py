"""Action types: how an agent's action becomes the 6 channel values a level reads.

Channel values (see :mod:`tumble.levels.outcome`): 4 motor channels in [-1, 1]
then 2 thruster channels in [0, 1].

- ``multi_discrete``: 6 integers; a motor channel takes 0 (off), 1 (+1) or 2
  (-1), a thruster channel 0 (off) or 1 (on).
- ``discrete``: one integer of 11: 0 does nothing, 1..8 drive one motor
  channel at +1 or -1 (1: channel 0 +1, 2: channel 0 -1, 3: channel 1 +1, ...),
  9 and 10 fire thruster channel 0 or 1.
- ``continuous``: 6 floats, motors in [-1, 1] and thrusters in [0, 1]
  (values outside are clipped, NaN reads as 0).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from tumble.env.spaces import Box, Discrete, MultiDiscrete
from tumble.levels import N_MOTOR_CHANNELS, N_THRUSTER_CHANNELS

ACTION_TYPES = ("multi_discrete", "discrete", "continuous")
N_DISCRETE = 1 + 2 * N_MOTOR_CHANNELS + N_THRUSTER_CHANNELS


def action_space(action_type: str):
    """The exact action space of an action type."""
    if action_type == "multi_discrete":
        return MultiDiscrete((3,) * N_MOTOR_CHANNELS + (2,) * N_THRUSTER_CHANNELS)
    if action_type == "discrete":
        return Discrete(N_DISCRETE)
    if action_type == "continuous":
        low = np.array([-1.0] * N_MOTOR_CHANNELS + [0.0] * N_THRUSTER_CHANNELS, np.float32)
        return Box(low, np.ones(N_MOTOR_CHANNELS + N_THRUSTER_CHANNELS, np.float32),
                   (N_MOTOR_CHANNELS + N_THRUSTER_CHANNELS,))
    raise ValueError(f"action type must be one of {', '.join(ACTION_TYPES)}, got {action_type!r}")


def check_action(action_type: str, action) -> None:
    """Raise a clear ``TypeError``/``ValueError`` (at trace time) for an action of the wrong shape or type."""
    space = action_space(action_type)
    shape = tuple(np.shape(action))
    dtype = np.asarray(action).dtype if not hasattr(action, "dtype") else action.dtype  # numpy: never fails
    if shape != tuple(space.shape):
        raise ValueError(f"action: a {action_type} action has shape {tuple(space.shape)}, got {shape}")
    if action_type != "continuous" and not jnp.issubdtype(dtype, jnp.integer):
        raise TypeError(f"action: a {action_type} action must be integers, got {dtype}")
    if action_type == "continuous" and not (jnp.issubdtype(dtype, jnp.floating) or jnp.issubdtype(dtype, jnp.integer)):
        raise TypeError(f"action: a continuous action must be numbers, got {dtype}")


def channel_values(action_type: str, action: jax.Array) -> jax.Array:
    """The 6 channel values of ``action`` (float32)."""
    check_action(action_type, action)
    if action_type == "continuous":
        a = jnp.nan_to_num(jnp.asarray(action, jnp.float32), nan=0.0, posinf=0.0, neginf=0.0)
        return jnp.concatenate([jnp.clip(a[:N_MOTOR_CHANNELS], -1.0, 1.0), jnp.clip(a[N_MOTOR_CHANNELS:], 0.0, 1.0)])
    if action_type == "multi_discrete":
        a = jnp.asarray(action, jnp.int32)
        motor = jnp.asarray([0.0, 1.0, -1.0], jnp.float32)[jnp.clip(a[:N_MOTOR_CHANNELS], 0, 2)]
        thruster = (a[N_MOTOR_CHANNELS:] == 1).astype(jnp.float32)
        return jnp.concatenate([motor, thruster])
    a = jnp.clip(jnp.asarray(action, jnp.int32), 0, N_DISCRETE - 1)
    table = np.zeros((N_DISCRETE, N_MOTOR_CHANNELS + N_THRUSTER_CHANNELS), np.float32)
    for ch in range(N_MOTOR_CHANNELS):
        table[1 + 2 * ch, ch] = 1.0
        table[2 + 2 * ch, ch] = -1.0
    for ch in range(N_THRUSTER_CHANNELS):
        table[1 + 2 * N_MOTOR_CHANNELS + ch, N_MOTOR_CHANNELS + ch] = 1.0
    return jnp.asarray(table)[a]
