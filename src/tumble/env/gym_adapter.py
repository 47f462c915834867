"""Gymnasium adapter: a ``gymnasium.Env`` for one environment and a ``VectorEnv`` over a jitted batch.

Needs the ``gym`` extra (``pip install 'tumble[gym]'``).  Bundled levels are
registered as ``Tumble/<name>-v0`` (``import tumble.env.gym_adapter`` or
``tumble.env.gym_adapter.register_bundled()``)::

    import gymnasium as gym
    import tumble.env.gym_adapter
    env = gym.make("Tumble/cartpole_swing_up-v0")            # one level
    vec = tumble.env.gym_adapter.TumbleVectorEnv(64, size="m")  # 64 envs over the m library

The vector env resets an ended episode within the same step
(``AutoresetMode.SAME_STEP``): the returned observation is the next
episode's first, and ``info["final_obs"]`` is not provided (use the JAX API for
bootstrapping on truncation).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np
from gymnasium import spaces as gspaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from tumble.env import spaces as tspaces
from tumble.env.make import make

INFO_KEYS = ("terminated", "truncated", "solved", "failed", "physics_error")


def to_gym_space(space) -> gym.Space:
    """The Gymnasium equivalent of a Tumble space."""
    if isinstance(space, tspaces.Discrete):
        return gspaces.Discrete(space.n)
    if isinstance(space, tspaces.MultiDiscrete):
        return gspaces.MultiDiscrete(np.asarray(space.nvec, np.int64))
    if isinstance(space, tspaces.Box):
        dtype = np.dtype(space.dtype)
        if dtype == np.bool_:
            return gspaces.MultiBinary(space.shape)
        low = np.broadcast_to(np.asarray(space.low, dtype), space.shape)
        high = np.broadcast_to(np.asarray(space.high, dtype), space.shape)
        return gspaces.Box(low, high, space.shape, dtype)
    if isinstance(space, tspaces.Dict):
        return gspaces.Dict({k: to_gym_space(v) for k, v in space.spaces.items()})
    raise TypeError(f"no Gymnasium equivalent for {space!r}")


def _to_numpy(obs, space: gym.Space):
    if isinstance(space, gspaces.Dict):
        return {k: _to_numpy(obs[k], space[k]) for k in space.spaces}
    return np.asarray(obs).astype(space.dtype, copy=True)


def _action(action, space: gym.Space):
    return jnp.asarray(np.asarray(action).astype(np.int32 if space.dtype.kind in "iu" else np.float32))


class TumbleGymEnv(gym.Env):
    """One Tumble environment behind the Gymnasium API (no auto-reset; ``terminated``/``truncated`` separate)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(self, levels: Any = "bundled", size: str = "m", action: str = "multi_discrete",
                 observation: str = "flat", render_mode: str | None = None, **make_kwargs) -> None:
        self._env, self._params = make(size, action, observation, levels=levels, auto_reset=False, **make_kwargs)
        self.action_space = to_gym_space(self._env.action_space(self._params))
        self.observation_space = to_gym_space(self._env.observation_space(self._params))
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self._reset = jax.jit(self._env.reset)
        self._step = jax.jit(self._env.step)
        self._state = None
        self._key = jax.random.PRNGKey(0)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._key = jax.random.PRNGKey(seed)
        self._key, k = jax.random.split(self._key)
        obs, self._state = self._reset(k, self._params)
        return _to_numpy(obs, self.observation_space), {"level_index": int(self._state.level_index)}

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(np.asarray(action).astype(self.action_space.dtype)):
            raise ValueError(f"action {action!r} is not in the action space {self.action_space}")
        self._key, k = jax.random.split(self._key)
        obs, self._state, reward, done, info = self._step(k, self._state, _action(action, self.action_space),
                                                          self._params)
        info = {name: bool(info[name]) for name in INFO_KEYS}
        return (_to_numpy(obs, self.observation_space), float(reward), info["terminated"], info["truncated"], info)

    def render(self):
        if self.render_mode != "rgb_array" or self._state is None:
            return None
        from tumble.render.preview import draw_scene

        scene = self._state.level.scene
        image = draw_scene(np.asarray(scene.state.position), np.asarray(scene.state.angle), scene, size=256)
        return np.asarray(image.convert("RGB"))


class TumbleVectorEnv(VectorEnv):
    """``num_envs`` Tumble environments stepped as one jitted, vmapped batch (auto-reset in the same step)."""

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, num_envs: int, levels: Any = "bundled", size: str = "m", action: str = "multi_discrete",
                 observation: str = "flat", seed: int = 0, **make_kwargs) -> None:
        if not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        self._env, self._params = make(size, action, observation, levels=levels, auto_reset=True, **make_kwargs)
        self.num_envs = num_envs
        self.single_action_space = to_gym_space(self._env.action_space(self._params))
        self.single_observation_space = to_gym_space(self._env.observation_space(self._params))
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self._reset = jax.jit(jax.vmap(self._env.reset, in_axes=(0, None)))
        self._step = jax.jit(jax.vmap(self._env.step, in_axes=(0, 0, 0, None)))
        self._key = jax.random.PRNGKey(seed)
        self._state = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._key = jax.random.PRNGKey(seed)
        self._key, k = jax.random.split(self._key)
        obs, self._state = self._reset(jax.random.split(k, self.num_envs), self._params)
        return _to_numpy(obs, self.observation_space), {}

    def step(self, actions):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        actions = np.asarray(actions)
        if actions.shape != self.action_space.shape:
            raise ValueError(f"actions must have shape {self.action_space.shape}, got {actions.shape}")
        self._key, k = jax.random.split(self._key)
        obs, self._state, reward, done, info = self._step(jax.random.split(k, self.num_envs), self._state,
                                                          _action(actions, self.action_space), self._params)
        info = {name: np.asarray(info[name]) for name in INFO_KEYS}
        return (_to_numpy(obs, self.observation_space), np.asarray(reward, np.float64), info["terminated"],
                info["truncated"], info)


def register_bundled() -> list[str]:
    """Register ``Tumble/<name>-v0`` for every bundled level; returns the ids."""
    from tumble.levels.library import bundled_paths

    ids = []
    for name, path in bundled_paths().items():
        env_id = f"Tumble/{name}-v0"
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=TumbleGymEnv,
                         kwargs={"levels": str(path), "size": path.parent.name})
        ids.append(env_id)
    return ids


register_bundled()
