"""The RL task on a level: functional ``reset`` and ``step`` (gymnax style).

``Env`` holds only static configuration (capacity, action and observation
types, frame skip); everything that varies lives in :class:`EnvParams` (the
level pool, the shaping scale) and :class:`EnvState`, so ``reset`` and
``step`` are pure, ``jit``/``vmap``-safe and deterministic for a given key.
The base ``step`` never resets: wrap it in :class:`tumble.env.wrappers.AutoReset`
for that.

Reward: +1 when a green shape touches a blue one, -1 when it touches a red
one (red wins a tie), checked after every physics step; optional dense shaping
``dense_reward_scale * (d_before - d_after)`` where ``d`` is the summed distance
from green shape centres to blue shape centres and blue walls.  The episode
terminates on either contact or on a physics error (NaN or infinity: the state
is then frozen, ``physics_error`` set, reward 0) and is truncated at the
level's episode length.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from tumble.env.actions import ACTION_TYPES, action_space, channel_values
from tumble.env.observations import (
    OBSERVATION_TYPES, blind_observation, entity_observation, flat_observation, observation_space, pixel_observation,
    pixel_shape,
)
from tumble.env.pool import LevelPool, sample_level
from tumble.levels import BLUE, GREEN, CompiledLevel, channel_controls, role_contacts
from tumble.physics import Capacity, keep_where, step as physics_step
from tumble.physics.barrier import kernels_when_unbatched
from tumble.physics.pytree import pytree_dataclass

WALL_AXIS = (1, 0, 0, 1)  # floor and ceiling are horizontal lines (y), the side walls vertical (x)


@pytree_dataclass
class EnvParams:
    """What may change between runs without recompiling: the levels to reset to and the shaping scale."""

    pool: LevelPool
    dense_reward_scale: jax.Array = 0.0


@pytree_dataclass
class EnvState:
    """One environment's state."""

    level: CompiledLevel  # the current level; its scene moves
    t: jax.Array  # i32[] env steps taken in this episode
    distance: jax.Array  # f32[] green-blue distance after the last step (shaping)
    touching: jax.Array  # bool[N, N] pairs in contact in the last physics step
    last_action: jax.Array  # f32[6] channel values of the last action
    level_index: jax.Array  # i32[] which pool slot this episode came from


def green_blue_distance(level: CompiledLevel) -> jax.Array:
    """Sum over active green shapes of the distance from their centre to every blue shape centre and blue wall."""
    roles = level.roles
    active = level.scene.props.active
    pos = level.scene.state.position
    green = (roles == GREEN) & active
    blue = (roles == BLUE) & active
    d = jnp.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=-1)
    shapes = jnp.sum(jnp.where(green[:, None] & blue[None, :], d, 0.0))
    b = level.scene.boundary
    coord = pos[:, jnp.asarray(WALL_AXIS)]  # [N, 4]
    wall_d = jnp.abs(coord - b.position[None, :])
    blue_wall = b.active & (level.wall_roles == BLUE)
    walls = jnp.sum(jnp.where(green[:, None] & blue_wall[None, :], wall_d, 0.0))
    return shapes + walls


class Env:
    """A Tumble environment of one capacity; see :func:`tumble.make`."""

    def __init__(self, capacity: Capacity, action_type: str = "multi_discrete", observation_type: str = "flat",
                 frame_skip: int = 2, pixel_size: int | tuple[int, int] | None = None) -> None:
        if action_type not in ACTION_TYPES:
            raise ValueError(f"action_type must be one of {', '.join(ACTION_TYPES)}, got {action_type!r}")
        if observation_type not in OBSERVATION_TYPES:
            raise ValueError(f"observation_type must be one of {', '.join(OBSERVATION_TYPES)}, got {observation_type!r}")
        if not isinstance(frame_skip, int) or frame_skip < 1:
            raise ValueError(f"frame_skip must be a positive integer, got {frame_skip!r}")
        self.pixel_size = pixel_shape(pixel_size)  # (height, width) of pixel observations
        self.capacity = capacity
        self.action_type = action_type
        self.observation_type = observation_type
        self.frame_skip = frame_skip

    def __repr__(self) -> str:
        c = self.capacity
        return (f"Env(capacity=({c.n_polygons} polygons, {c.n_circles} circles, {c.n_joints} joints, "
                f"{c.n_thrusters} thrusters), action={self.action_type!r}, observation={self.observation_type!r}, "
                f"frame_skip={self.frame_skip})")

    # --- spaces -------------------------------------------------------------------------------
    def action_space(self, params: EnvParams | None = None):
        """The exact action space."""
        return action_space(self.action_type)

    def observation_space(self, params: EnvParams | None = None):
        """The exact observation space."""
        return observation_space(self.observation_type, self.capacity, self.pixel_size)

    # --- observation ----------------------------------------------------------------------------
    def observe(self, state: EnvState):
        """The observation of ``state``."""
        if self.observation_type == "flat":
            obs = flat_observation(state.level)
        elif self.observation_type == "entity":
            obs = entity_observation(state.level, state.touching)
        elif self.observation_type == "pixels":
            obs = pixel_observation(state.level, state.last_action, self.pixel_size)
        else:
            obs = blind_observation(state.t, state.level.episode_length, state.last_action)
        return jax.tree_util.tree_map(lambda x: jnp.nan_to_num(x) if jnp.issubdtype(x.dtype, jnp.floating) else x, obs)

    # --- reset and step ----------------------------------------------------------------------------
    def initial_state(self, level: CompiledLevel, index: jax.Array) -> EnvState:
        """The state at the start of an episode on ``level``."""
        n = self.capacity.n_bodies
        return EnvState(level=level, t=jnp.zeros((), jnp.int32), distance=green_blue_distance(level),
                        touching=jnp.zeros((n, n), bool), last_action=jnp.zeros((6,), jnp.float32),
                        level_index=jnp.asarray(index, jnp.int32))

    def reset(self, key: jax.Array, params: EnvParams):
        """Start an episode on a level drawn from ``params.pool``: returns ``(obs, state)``."""
        self._check_params(params)
        level, index = sample_level(key, params.pool)
        state = self.initial_state(level, index)
        return self.observe(state), state

    def step(self, key: jax.Array, state: EnvState, action, params: EnvParams):
        """One env step (``frame_skip`` physics steps): ``(obs, state, reward, done, info)``; never resets.

        The key is unused (the dynamics are deterministic); it is there so
        wrappers and the functional API keep one signature.
        """
        state, reward, done, info = self.transition(state, action, params)
        return self.observe(state), state, reward, done, info

    def transition(self, state: EnvState, action, params: EnvParams):
        """:meth:`step` without the observation: ``(state, reward, done, info)``."""
        values = channel_values(self.action_type, action)
        level = state.level
        controls = channel_controls(level, values)
        n = self.capacity.n_bodies

        def physics(carry, _):
            scene, solved, failed, error, touching = carry
            scene, info = physics_step(scene, controls, level.params)
            scene = scene.replace(state=scene.state.replace(angle=kernels_when_unbatched(scene.state.angle)))
            win, lose = role_contacts(level, info)
            return (scene, solved | win, failed | lose, error | info.non_finite, info.touching), None

        f = jnp.zeros((), bool)
        init = (level.scene, f, f, f, jnp.zeros((n, n), bool))
        (scene, solved, failed, error, touching), _ = jax.lax.scan(physics, init, None, length=self.frame_skip)
        # a physics error freezes the last finite state, so nothing downstream sees NaN
        scene = keep_where(error, level.scene, scene)
        new_level = level.replace(scene=scene)
        distance = green_blue_distance(new_level)
        shaping = jnp.where(error, 0.0, jnp.asarray(params.dense_reward_scale, jnp.float32) * (state.distance - distance))
        solved = solved & ~failed & ~error
        failed = failed & ~error
        reward = solved.astype(jnp.float32) - failed.astype(jnp.float32) + shaping
        t = state.t + 1
        terminated = solved | failed | error
        truncated = (t >= level.episode_length) & ~terminated
        new_state = EnvState(level=new_level, t=t, distance=distance, touching=touching, last_action=values,
                             level_index=state.level_index)
        info = {"terminated": terminated, "truncated": truncated, "solved": solved, "failed": failed,
                "physics_error": error}
        return new_state, reward, terminated | truncated, info

    def _check_params(self, params: EnvParams) -> None:
        cap = params.pool.levels.scene.capacity
        if cap != self.capacity:
            raise ValueError(f"params: the level pool has capacity {cap} but this env was made for {self.capacity}")
