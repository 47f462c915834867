"""From a level document to arrays: the scene pytree plus roles and control bindings.

A :class:`CompiledLevel` is what the environment steps: every leaf has a
fixed shape for the level's capacity, so a list of levels of one capacity
stacks into one batch for ``vmap`` (:func:`stack_levels`).
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from tumble.levels.model import AUTO, ROLES, Circle, Level, Polygon
from tumble.levels.sizes import capacity_of
from tumble.physics import Capacity, Scene, SceneBuilder, SceneError, SimParams
from tumble.physics.pytree import pytree_dataclass

NO_CHANNEL = -1  # a joint without a motor, or an unused slot
AUTO_CHANNEL = 4  # a motor that is always driven at +1


@pytree_dataclass
class CompiledLevel:
    """A level as arrays; a leading axis stacks many levels of one capacity."""

    scene: Scene
    params: SimParams  # float32 leaves, so levels stack and vmap
    roles: jax.Array  # i32[N] 0 neutral, 1 green, 2 blue, 3 red (inactive slots 0)
    wall_roles: jax.Array  # i32[4] floor, left, right, ceiling
    motor_channel: jax.Array  # i32[J] 0..3, AUTO_CHANNEL, or NO_CHANNEL
    motor_free_at_zero: jax.Array  # bool[J] a channel value of 0 releases the motor (else it brakes)
    thruster_channel: jax.Array  # i32[T] 0..1, or NO_CHANNEL
    episode_length: jax.Array  # i32[] env steps before truncation


def body_indices(level: Level, capacity: Capacity) -> list[int]:
    """The scene body index of each of ``level.shapes`` (polygons first, then circles)."""
    out, n_poly, n_circ = [], 0, 0
    for shape in level.shapes:
        if isinstance(shape, Polygon):
            out.append(n_poly)
            n_poly += 1
        else:
            out.append(capacity.n_polygons + n_circ)
            n_circ += 1
    return out


def build_scene(level: Level, capacity: Capacity | None = None, substeps: int = 5) -> tuple[Scene, SimParams]:
    """The level's physics scene in ``capacity`` (default: the level's size)."""
    cap = capacity or capacity_of(level.size)
    b = SceneBuilder(gravity=level.gravity, dt=level.dt, substeps=substeps, max_vertices=cap.max_vertices)
    if level.boundary is not None:
        bd = level.boundary
        b.set_boundary(*(None if w is None else w.at for w in (bd.floor, bd.left, bd.right, bd.ceiling)),
                       friction=bd.friction, restitution=bd.restitution)
    handles = []
    for i, s in enumerate(level.shapes):
        common = dict(position=s.position, angle=s.angle, density=s.density, friction=s.friction,
                      restitution=s.restitution, static=s.static, velocity=s.velocity,
                      angular_velocity=s.angular_velocity, name=s.name or f"shapes[{i}]", category=s.category,
                      mask=s.mask)
        if isinstance(s, Circle):
            handles.append(b.add_circle(s.radius, **common))
        else:
            with warnings.catch_warnings():  # clockwise outlines are legal in files
                warnings.simplefilter("ignore")
                handles.append(b.add_polygon(s.vertices, **common))
    for j in level.joints:
        a = None if j.a is None else handles[j.a]
        if j.kind == "fixed":
            b.add_fixed_joint(a, handles[j.b], j.anchor, collide_connected=j.collide)
        else:
            m = j.motor
            lo, hi = j.limits if j.limits is not None else (None, None)
            b.add_revolute_joint(a, handles[j.b], j.anchor, enable_motor=m is not None,
                                 motor_speed=m.speed if m else 0.0, max_motor_torque=m.max_torque if m else 0.0,
                                 lower_angle=lo, upper_angle=hi, collide_connected=j.collide)
    for t in level.thrusters:
        b.add_thruster(handles[t.body], t.point, t.angle, t.max_force)
    b.set_joint_chain_filter(level.joint_chain_filter)
    return b.build(cap)


def compile_level(level: Level, capacity: Capacity | None = None, substeps: int = 5) -> CompiledLevel:
    """Arrays for ``level`` in ``capacity`` (default: its size); raises ``SceneError`` if it does not fit."""
    cap = capacity or capacity_of(level.size)
    scene, params = build_scene(level, cap, substeps)
    roles = np.zeros((cap.n_bodies,), np.int32)
    for index, shape in zip(body_indices(level, cap), level.shapes):
        roles[index] = ROLES.index(shape.role)
    motor = np.full((cap.n_joints,), NO_CHANNEL, np.int32)
    free = np.zeros((cap.n_joints,), bool)
    for k, j in enumerate(level.joints):
        if j.motor is not None:
            motor[k] = AUTO_CHANNEL if j.motor.channel == AUTO else j.motor.channel
            free[k] = j.motor.idle == "free"
    thruster = np.full((cap.n_thrusters,), NO_CHANNEL, np.int32)
    for k, t in enumerate(level.thrusters):
        thruster[k] = t.channel
    return CompiledLevel(
        scene=scene,
        params=params.as_arrays().replace(substeps=params.substeps),
        roles=jnp.asarray(roles),
        wall_roles=jnp.asarray([ROLES.index(r) for r in level.wall_roles()], jnp.int32),
        motor_channel=jnp.asarray(motor),
        motor_free_at_zero=jnp.asarray(free),
        thruster_channel=jnp.asarray(thruster),
        episode_length=jnp.asarray(level.episode_length, jnp.int32),
    )


def stack_levels(levels: list[Level | CompiledLevel], capacity: Capacity | None = None) -> CompiledLevel:
    """Compile (if needed) and stack levels of one capacity along a new leading axis, for ``vmap``."""
    if not levels:
        raise ValueError("stack_levels needs at least one level")
    compiled = [lv if isinstance(lv, CompiledLevel) else compile_level(lv, capacity) for lv in levels]
    caps = {c.scene.capacity for c in compiled}
    subs = {c.params.substeps for c in compiled}
    if len(caps) != 1:
        raise SceneError(f"levels of different capacities cannot be stacked: {sorted(map(str, caps))}; "
                         "pass one capacity that holds them all")
    if len(subs) != 1:
        raise SceneError(f"levels with different substeps cannot be stacked: {sorted(subs)}")
    return jax.tree_util.tree_map(lambda *xs: jnp.asarray(np.stack([np.asarray(x) for x in xs])), *compiled)


def unstack_level(batch: CompiledLevel, index: int) -> CompiledLevel:
    """Level ``index`` of a stacked batch."""
    return jax.tree_util.tree_map(lambda x: x[index], batch)
