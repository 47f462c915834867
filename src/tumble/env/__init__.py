"""The RL task layer: functional environments over levels, spaces, wrappers, reset sources.

    import jax, tumble
    env, params = tumble.make("m", action="multi_discrete", observation="entity")
    obs, state = env.reset(jax.random.PRNGKey(0), params)
    obs, state, reward, done, info = env.step(key, state, env.action_space(params).sample(key), params)
"""

from tumble.env.actions import ACTION_TYPES, action_space, channel_values
from tumble.env.environment import Env, EnvParams, EnvState, green_blue_distance
from tumble.env.make import make
from tumble.env.observations import OBSERVATION_TYPES, flat_size, observation_space
from tumble.env.pool import LevelPool, pool_from_levels, refresh_pool, sample_level
from tumble.env.spaces import Box, Dict, Discrete, MultiDiscrete
from tumble.env.wrappers import AutoReset, EpisodeStats, Wrapper

__all__ = [
    "ACTION_TYPES", "OBSERVATION_TYPES", "AutoReset", "Box", "Dict", "Discrete", "Env", "EnvParams", "EnvState",
    "EpisodeStats", "LevelPool", "MultiDiscrete", "Wrapper", "action_space", "channel_values", "flat_size",
    "green_blue_distance", "make", "observation_space", "pool_from_levels", "refresh_pool", "sample_level",
]
