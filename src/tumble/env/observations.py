"""Observation types: symbolic flat, symbolic entity, blind, pixels.

Every feature is computed from the scene and the level's roles and bindings;
inactive slots are all zeros, and values are clipped to ``[-CLIP, CLIP]``.

Shape rows (polygons and circles alike, ``SHAPE_FEATURES``): active, position,
velocity, tanh(angular velocity / 10), sin and cos of the angle, inverse mass,
inverse inertia (both clipped), density, friction, restitution, static, role
one-hot (4); polygons add their vertices in the body frame (``max_vertices`` x 2)
and vertex count / max_vertices, circles add their radius.

Joint rows: active, fixed, motor, motor channel one-hot (4 channels + auto),
motor speed / 10, tanh(max torque / 10), limits on, lower, upper, the joint's
current angle (relative to its initial pose: the reference omits it) with its
sin and cos, tanh(relative angular speed / 10), the two local anchors.  The
flat observation adds one-hots of the two bodies (the world is an extra slot);
the entity observation has two directed rows per joint (a to b, and b to a with
the anchors swapped and the angle negated) and an index of the shapes they join.

Thruster rows: active, local point, sin and cos of the local direction,
tanh(max force / (10 mass)) and the channel one-hot; flat adds a body one-hot.

Global features: gravity / 10, and per wall (floor, left, right, ceiling):
active, position / 5, role one-hot.

Pixels: ``{"image": f32[H, W, 3] in [0, 1], "global": the global features}``.
The image is drawn by the JAX rasteriser (:mod:`tumble.render.raster`) with
:func:`tumble.render.raster.observation_config`: the 5 x 5 m world, row 0 at
the top, role colours (static shapes darker), circle rotation lines, joint and
motor markers, thrusters lit while the last action fires them.  The default
size is the reference's (its 500 x 500 screen downscaled by 4: 125 x 125).
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp

from tumble.env.spaces import Box, Dict
from tumble.levels import AUTO_CHANNEL, CompiledLevel, N_MOTOR_CHANNELS, N_THRUSTER_CHANNELS
from tumble.physics import Capacity
from tumble.physics.barrier import fusible_concatenate
from tumble.physics.filtering import chain_labels, joined_pairs

OBSERVATION_TYPES = ("flat", "entity", "blind", "pixels")
PIXEL_SIZE = (125, 125)  # (height, width) of the pixel observation by default: the reference's 500 / 4
CLIP = 10.0
SHAPE_FEATURES = 18
JOINT_FEATURES = 3 + (N_MOTOR_CHANNELS + 1) + 5 + 4 + 4
THRUSTER_FEATURES = 1 + 2 + 2 + 1 + N_THRUSTER_CHANNELS
GLOBAL_FEATURES = 2 + 4 * (2 + 4)
BLIND_FEATURES = 1 + N_MOTOR_CHANNELS + N_THRUSTER_CHANNELS


def polygon_features(cap: Capacity) -> int:
    return SHAPE_FEATURES + 2 * cap.max_vertices + 1


def circle_features(cap: Capacity) -> int:
    return SHAPE_FEATURES + 1


def flat_size(cap: Capacity) -> int:
    """Length of the flat observation for a capacity."""
    n = cap.n_bodies
    return (cap.n_polygons * polygon_features(cap) + cap.n_circles * circle_features(cap)
            + cap.n_joints * (JOINT_FEATURES + (n + 1) + n)
            + cap.n_thrusters * (THRUSTER_FEATURES + n) + GLOBAL_FEATURES)


def _shape_rows(level: CompiledLevel) -> jax.Array:
    """[N, SHAPE_FEATURES] common features of every body slot."""
    s, p = level.scene.state, level.scene.props
    active = p.active.astype(jnp.float32)
    rows = fusible_concatenate([
        active[:, None], s.position, s.velocity, jnp.tanh(s.angular_velocity / 10.0)[:, None],
        jnp.sin(s.angle)[:, None], jnp.cos(s.angle)[:, None],
        jnp.minimum(p.inv_mass, CLIP)[:, None], jnp.minimum(p.inv_inertia, CLIP)[:, None],
        p.density[:, None], p.friction[:, None], p.restitution[:, None], (p.inv_mass == 0).astype(jnp.float32)[:, None],
        jax.nn.one_hot(level.roles, 4),
    ], axis=1)
    return rows * active[:, None]


def _polygon_rows(level: CompiledLevel) -> jax.Array:
    cap = level.scene.capacity
    poly = level.scene.polygons
    common = _shape_rows(level)[: cap.n_polygons]
    active = level.scene.props.active[: cap.n_polygons, None]
    extra = jnp.concatenate([poly.vertices.reshape(cap.n_polygons, -1),
                             (poly.n_vertices / cap.max_vertices)[:, None]], axis=1)
    return jnp.concatenate([common, extra * active], axis=1)


def _circle_rows(level: CompiledLevel) -> jax.Array:
    cap = level.scene.capacity
    common = _shape_rows(level)[cap.n_polygons:]
    active = level.scene.props.active[cap.n_polygons:, None]
    return jnp.concatenate([common, level.scene.circles.radius[:, None] * active], axis=1)


def joint_angles(level: CompiledLevel) -> tuple[jax.Array, jax.Array]:
    """(angle_b - angle_a - reference angle, relative angular speed) of every joint slot."""
    j, s = level.scene.joints, level.scene.state
    a = jnp.clip(j.body_a, 0)
    world = j.body_a < 0
    angle_a = jnp.where(world, 0.0, s.angle[a])
    w_a = jnp.where(world, 0.0, s.angular_velocity[a])
    return s.angle[j.body_b] - angle_a - j.reference_angle, s.angular_velocity[j.body_b] - w_a


def _joint_rows(level: CompiledLevel, reverse: bool = False) -> jax.Array:
    j = level.scene.joints
    angle, speed = joint_angles(level)
    sign = -1.0 if reverse else 1.0
    angle, speed = sign * angle, sign * speed
    lower, upper = (-j.upper_angle, -j.lower_angle) if reverse else (j.lower_angle, j.upper_angle)
    anchors = (j.local_anchor_b, j.local_anchor_a) if reverse else (j.local_anchor_a, j.local_anchor_b)
    channel = level.motor_channel
    motor_on = j.motor_enabled & (channel >= 0)
    f = lambda x: x.astype(jnp.float32)[:, None]  # noqa: E731
    rows = fusible_concatenate([
        f(j.active), f(j.is_fixed), f(motor_on),
        jax.nn.one_hot(jnp.where(motor_on, channel, -1), AUTO_CHANNEL + 1),
        f(j.motor_speed / 10.0 * sign), f(jnp.tanh(j.max_motor_torque / 10.0)),
        f(j.limit_enabled), f(lower * j.limit_enabled), f(upper * j.limit_enabled),
        f(angle), f(jnp.sin(angle)), f(jnp.cos(angle)), f(jnp.tanh(speed / 10.0)),
        anchors[0], anchors[1],
    ], axis=1)
    return rows * f(j.active)


def _thruster_rows(level: CompiledLevel) -> jax.Array:
    t = level.scene.thrusters
    inv_mass = level.scene.props.inv_mass[t.body]
    f = lambda x: x.astype(jnp.float32)[:, None]  # noqa: E731
    rows = jnp.concatenate([
        f(t.active), t.local_point, f(jnp.sin(t.local_angle)), f(jnp.cos(t.local_angle)),
        f(jnp.tanh(t.max_force * inv_mass / 10.0)),
        jax.nn.one_hot(level.thruster_channel, N_THRUSTER_CHANNELS),
    ], axis=1)
    return rows * f(t.active)


def _global_row(level: CompiledLevel) -> jax.Array:
    b = level.scene.boundary
    walls = jnp.concatenate([b.active.astype(jnp.float32)[:, None], (b.position / 5.0)[:, None],
                             jax.nn.one_hot(level.wall_roles, 4)], axis=1) * b.active[:, None]
    return jnp.concatenate([jnp.asarray(level.params.gravity, jnp.float32) / 10.0, walls.reshape(-1)])


def flat_observation(level: CompiledLevel) -> jax.Array:
    """The symbolic-flat observation: one vector of :func:`flat_size` floats."""
    cap = level.scene.capacity
    n = cap.n_bodies
    j, t = level.scene.joints, level.scene.thrusters
    ground = jnp.where(j.body_a < 0, n, j.body_a)
    joints = jnp.concatenate([_joint_rows(level), jax.nn.one_hot(ground, n + 1) * j.active[:, None],
                              jax.nn.one_hot(j.body_b, n) * j.active[:, None]], axis=1)
    thrusters = jnp.concatenate([_thruster_rows(level), jax.nn.one_hot(t.body, n) * t.active[:, None]], axis=1)
    parts = [_polygon_rows(level).reshape(-1), _circle_rows(level).reshape(-1), joints.reshape(-1),
             thrusters.reshape(-1), _global_row(level)]
    return jnp.clip(jnp.concatenate(parts), -CLIP, CLIP)


def _joint_adjacency(level: CompiledLevel) -> jax.Array:
    """bool[N, N]: bodies joined directly by an active joint (joints to the world join nothing)."""
    j = level.scene.joints
    return joined_pairs(j.body_a, j.body_b, j.active & (j.body_a >= 0) & (j.body_b >= 0), level.scene.capacity.n_bodies)


def joint_components(level: CompiledLevel, adjacent: jax.Array | None = None) -> jax.Array:
    """i32[N]: a label per body, equal for bodies of one joint chain (joints to the world do not join).

    ``adjacent`` is :func:`_joint_adjacency` if the caller has it already.
    """
    cap = level.scene.capacity
    adjacent = _joint_adjacency(level) if adjacent is None else adjacent
    return chain_labels(adjacent, max(min(cap.n_bodies, cap.n_joints), 1))


def attention_masks(level: CompiledLevel, touching: jax.Array) -> jax.Array:
    """bool[4, N, N] over shape slots: all active pairs, same joint chain, directly jointed, in contact."""
    n = level.scene.capacity.n_bodies
    active = level.scene.props.active
    both = active[:, None] & active[None, :]
    direct = _joint_adjacency(level)
    label = joint_components(level, direct)
    eye = jnp.eye(n, dtype=bool)
    same_chain = (label[:, None] == label[None, :])
    return jnp.stack([both, same_chain & both, (direct | eye) & both, (touching | eye) & both])


def entity_observation(level: CompiledLevel, touching: jax.Array) -> dict:
    """The symbolic-entity observation: per-entity rows, masks, join indices and attention masks."""
    cap = level.scene.capacity
    j, t = level.scene.joints, level.scene.thrusters
    clip = lambda x: jnp.clip(x, -CLIP, CLIP)  # noqa: E731
    forward, backward = _joint_rows(level), _joint_rows(level, reverse=True)
    world = j.body_a < 0
    join = jnp.concatenate([jnp.stack([j.body_a, j.body_b], 1), jnp.stack([j.body_b, j.body_a], 1)])
    active = level.scene.props.active
    return {
        "polygons": clip(_polygon_rows(level)),
        "circles": clip(_circle_rows(level)),
        "joints": clip(jnp.concatenate([forward, backward])),
        "thrusters": clip(_thruster_rows(level)),
        "global": clip(_global_row(level)),
        "polygon_mask": active[: cap.n_polygons],
        "circle_mask": active[cap.n_polygons:],
        "joint_mask": jnp.concatenate([j.active, j.active & ~world]),
        "thruster_mask": t.active,
        "joint_index": jnp.where(jnp.concatenate([j.active, j.active])[:, None], join, -1).astype(jnp.int32),
        "thruster_index": jnp.where(t.active, t.body, -1).astype(jnp.int32),
        "attention_mask": attention_masks(level, touching),
    }


def blind_observation(t: jax.Array, episode_length: jax.Array, last_action: jax.Array) -> jax.Array:
    """The blind observation: fraction of the episode elapsed and the last action's channel values."""
    return jnp.concatenate([jnp.reshape(t / episode_length, (1,)).astype(jnp.float32), last_action])


def pixel_shape(pixel_size: int | tuple[int, int] | None = None) -> tuple[int, int]:
    """``(height, width)`` of the pixel observation from a size (one int: square; None: :data:`PIXEL_SIZE`)."""
    if pixel_size is None:
        return PIXEL_SIZE
    if isinstance(pixel_size, numbers.Integral):
        height = width = int(pixel_size)
    else:
        height, width = (int(v) for v in pixel_size)
    if height < 8 or width < 8:
        raise ValueError(f"pixel_size must be at least 8 x 8, got {pixel_size!r}")
    return height, width


def pixel_observation(level: CompiledLevel, last_action: jax.Array,
                      pixel_size: int | tuple[int, int] | None = None) -> dict:
    """The pixel observation: the rasterised scene (thrusters lit by ``last_action``) and the global features."""
    from tumble.render.raster import observation_config, render_level

    height, width = pixel_shape(pixel_size)
    image = render_level(level, observation_config((width, height)), last_action)
    return {"image": image, "global": jnp.clip(_global_row(level), -CLIP, CLIP)}


def observation_space(obs_type: str, cap: Capacity, pixel_size: int | tuple[int, int] | None = None):
    """The exact observation space of ``obs_type`` for a capacity (``pixel_size``: see :func:`pixel_shape`)."""
    n = cap.n_bodies
    box = lambda *shape: Box(-CLIP, CLIP, shape)  # noqa: E731
    if obs_type == "flat":
        return box(flat_size(cap))
    if obs_type == "entity":
        flag = lambda *shape: Box(0, 1, shape, jnp.bool_)  # noqa: E731
        return Dict({
            "polygons": box(cap.n_polygons, polygon_features(cap)),
            "circles": box(cap.n_circles, circle_features(cap)),
            "joints": box(2 * cap.n_joints, JOINT_FEATURES),
            "thrusters": box(cap.n_thrusters, THRUSTER_FEATURES),
            "global": box(GLOBAL_FEATURES),
            "polygon_mask": flag(cap.n_polygons),
            "circle_mask": flag(cap.n_circles),
            "joint_mask": flag(2 * cap.n_joints),
            "thruster_mask": flag(cap.n_thrusters),
            "joint_index": Box(-1, n - 1, (2 * cap.n_joints, 2), jnp.int32),
            "thruster_index": Box(-1, n - 1, (cap.n_thrusters,), jnp.int32),
            "attention_mask": flag(4, n, n),
        })
    if obs_type == "blind":
        return Box(-1.0, 1.0, (BLIND_FEATURES,))
    if obs_type == "pixels":
        return Dict({"image": Box(0.0, 1.0, pixel_shape(pixel_size) + (3,)), "global": box(GLOBAL_FEATURES)})
    raise ValueError(f"observation type must be one of {', '.join(OBSERVATION_TYPES)}, got {obs_type!r}")
