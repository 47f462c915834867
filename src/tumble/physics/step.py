"""The simulation step: one pure function from scene and controls to the next scene.

Stages (Box2D v3's soft step), each named once here:

1. collide: manifolds for every body pair (in the round-robin lane layout of
   ``schedule.py``) and every body against the world boundary, with
   speculative margins; warm-start impulses matched by feature id;
2. prepare contacts and joints;
3. for each substep: integrate velocities (gravity, thrusters), warm start,
   solve (soft constraints with bias), integrate positions, relax (no bias);
4. restitution;
5. store impulses, report touching pairs and bodies that left the world.

Rejected designs: Baumgarte position correction with many iterations (jitters
and gains energy); solving contacts in fixed-size batches regardless of the
bodies they share (races: two lanes writing one body lose an impulse).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from tumble.physics import manifold as mf
from tumble.physics.contact_solver import (
    ContactImpulses,
    impulses_from_arrays,
    impulses_to_arrays,
    prepare_contacts,
)
from tumble.physics.barrier import one_scene_or_batched
from tumble.physics.filtering import category_allows, excluded_pairs
from tumble.physics.joints import prepare_joints
from tumble.physics.params import Controls, SimParams
from tumble.physics.scene import N_WALLS, WALL_NORMALS, ContactCache, Scene
from tumble.physics.schedule import (
    PAIR_CIRCLE_CIRCLE,
    PAIR_POLYGON_CIRCLE,
    PAIR_POLYGON_POLYGON,
    PairSchedule,
    pair_schedule,
)
from tumble.physics.softness import make_softness
from tumble.physics.solver import Impulses, SolverConstants, solve_velocities

# the boundary half-planes are dot(n, x) >= offset * sign (normals in scene.WALL_NORMALS)
_WALL_SIGNS = np.array([1.0, 1.0, -1.0, -1.0], np.float32)
WALL_CATEGORY = 1  # the boundary collides with bodies whose mask has this bit


# the joint fields ``step`` writes (warm-start impulses); it also writes the body state and contact cache
STEP_JOINT_FIELDS = ("linear_impulse", "angular_impulse", "motor_impulse", "lower_impulse", "upper_impulse")


class StepInfo(NamedTuple):
    """What happened during a step."""

    touching: jax.Array  # bool [N, N] symmetric: the pair was in contact during the step
    wall_touching: jax.Array  # bool [N, 4]: body against floor, left wall, right wall, ceiling
    out_of_world: jax.Array  # bool [N]: active body beyond the boundary or the world limit
    non_finite: jax.Array  # bool []: some state became NaN or infinite (a physics error)


def _per_body_sum(values: jax.Array, body: jax.Array, n_slots: int) -> jax.Array:
    """``zeros[n_slots].at[body].add(values)``, a negative ``body`` counting from the end.

    For one scene (unbatched, or under ``vmap`` over one) the rows are added
    in order from zero by compares and adds, the order the scatter adds them
    in, so the result is the same to the bit; the one-scene step then holds no
    scatter and XLA compiles a loop of steps whole (tumble/whole_loops.py).
    Under ``vmap`` over several scenes it stays a scatter, and that keeps a
    batched loop kernel by kernel: compiled whole, a rollout of 16 M scenes
    compiled three times slower, and from 64 scenes it also ran slower.
    """

    def in_order(values, body):
        slot = jnp.where(body < 0, body + n_slots, body)
        hits = slot[:, None] == jnp.arange(n_slots)[None, :]  # [rows, slots]
        total = jnp.zeros((n_slots,) + values.shape[1:], values.dtype)
        for k in range(values.shape[0]):
            total = total + jnp.where(hits[k].reshape((n_slots,) + (1,) * (values.ndim - 1)), values[k], 0.0)
        return total

    def scatter(axis_size, in_batched, values, body):
        one = lambda v, b: jnp.zeros((n_slots,) + v.shape[1:], v.dtype).at[b].add(v)  # noqa: E731
        return jax.vmap(one, in_axes=tuple(0 if b else None for b in in_batched))(values, body)

    return one_scene_or_batched(in_order, scatter)(values, body)


def _lane_of_pair(sched: PairSchedule) -> np.ndarray:
    """int [N+1, N+1]: the flat lane of each body pair (either order), or R*L (one past the lanes) for none."""
    size = sched.body_a.size
    table = np.full((sched.n_bodies + 1,) * 2, size, np.int32)
    lanes = np.arange(size)
    table[sched.body_a.reshape(-1), sched.body_b.reshape(-1)] = lanes
    table[sched.body_b.reshape(-1), sched.body_a.reshape(-1)] = lanes
    return table


def _pair_manifolds(scene: Scene, sched: PairSchedule, margin_of) -> mf.Manifold:
    """Manifolds of every lane, in the schedule's [R, L] layout (every lane is a real pair of some kind)."""
    pos, ang = scene.state.position, scene.state.angle
    poly, circ = scene.polygons, scene.circles
    p = scene.capacity.n_polygons
    a_flat, b_flat = sched.body_a.reshape(-1), sched.body_b.reshape(-1)
    if a_flat.size == 0:  # one body: no pairs
        z = lambda *shape, dtype=jnp.float32: jnp.zeros(sched.body_a.shape + shape, dtype)  # noqa: E731
        return mf.Manifold(normal=z(2), anchor_a=z(2, 2), anchor_b=z(2, 2), separation=z(2), id=z(2, dtype=jnp.int32),
                           active=z(2, dtype=bool))
    parts, order = [], []

    lanes = sched.lanes_of_kind(PAIR_POLYGON_POLYGON)
    if lanes.size:
        a, b = a_flat[lanes], b_flat[lanes]
        parts.append(
            jax.vmap(mf.polygon_polygon, in_axes=(0,) * 11 + (None,))(
                pos[a], ang[a], poly.vertices[a], poly.normals[a], poly.n_vertices[a],
                pos[b], ang[b], poly.vertices[b], poly.normals[b], poly.n_vertices[b],
                margin_of(a, b), 0.005,
            )
        )
        order.append(lanes)
    lanes = sched.lanes_of_kind(PAIR_POLYGON_CIRCLE)
    if lanes.size:
        a, b = a_flat[lanes], b_flat[lanes]
        parts.append(
            jax.vmap(mf.polygon_circle)(
                pos[a], ang[a], poly.vertices[a], poly.normals[a], poly.n_vertices[a],
                pos[b], circ.radius[b - p], margin_of(a, b),
            )
        )
        order.append(lanes)
    lanes = sched.lanes_of_kind(PAIR_CIRCLE_CIRCLE)
    if lanes.size:
        a, b = a_flat[lanes], b_flat[lanes]
        parts.append(jax.vmap(mf.circle_circle)(pos[a], circ.radius[a - p], pos[b], circ.radius[b - p], margin_of(a, b)))
        order.append(lanes)
    back = np.argsort(np.concatenate(order))
    joined = jax.tree_util.tree_map(lambda *xs: jnp.concatenate(xs)[back], *parts)
    return jax.tree_util.tree_map(lambda x: x.reshape(sched.body_a.shape + x.shape[1:]), joined)


def _wall_manifolds(scene: Scene, margin: jax.Array) -> mf.Manifold:
    """Manifolds of every body against each wall, [4, N]."""
    pos, ang = scene.state.position, scene.state.angle
    p = scene.capacity.n_polygons
    normals = jnp.asarray(WALL_NORMALS, jnp.float32)
    offsets = scene.boundary.position * _WALL_SIGNS
    parts = []
    if p:
        per_wall = jax.vmap(mf.wall_polygon, in_axes=(None, None, 0, 0, 0, 0, 0))
        parts.append(
            jax.vmap(per_wall, in_axes=(0, 0, None, None, None, None, None))(
                normals, offsets, pos[:p], ang[:p], scene.polygons.vertices, scene.polygons.n_vertices, margin[:p]
            )
        )
    if scene.capacity.n_circles:
        per_wall = jax.vmap(mf.wall_circle, in_axes=(None, None, 0, 0, 0))
        parts.append(
            jax.vmap(per_wall, in_axes=(0, 0, None, None, None))(
                normals, offsets, pos[p:], scene.circles.radius, margin[p:]
            )
        )
    return jax.tree_util.tree_map(lambda *xs: jnp.concatenate(xs, axis=1), *parts)


def _warm_start_impulses(new_id, new_active, old_id, old_normal, old_tangent) -> ContactImpulses:
    """Carry each old point's impulses to the new point with the same feature id."""
    ids = jnp.where(new_active, new_id, 0)
    same = (ids[..., :, None] == old_id[..., None, :]) & (ids[..., :, None] != 0)
    # two old points: an explicit sum (a reduction over an axis of 2 is a slow library call on CPU)
    carry = lambda old: jnp.where(same[..., 0], old[..., None, 0], 0.0) + jnp.where(same[..., 1], old[..., None, 1], 0.0)  # noqa: E731
    normal, tangent = carry(old_normal), carry(old_tangent)
    return impulses_from_arrays(normal, tangent)


def _check_controls(controls: Controls, cap) -> None:
    """Fail at trace time, naming the field, when controls do not fit the scene's capacity."""
    for name, size in (("motor", cap.n_joints), ("thruster", cap.n_thrusters)):
        value = getattr(controls, name, None)
        shape = getattr(value, "shape", None)
        if shape is None:
            raise TypeError(f"Controls.{name} must be an array of shape ({size},), got {type(value).__name__}")
        if tuple(shape) != (size,):
            raise ValueError(
                f"Controls.{name} must have shape ({size},) for this scene (one per {name} slot), got {tuple(shape)}"
                " (for a batch of scenes, vmap step over the batch axis)"
            )
        if not jnp.issubdtype(value.dtype, jnp.floating) and not jnp.issubdtype(value.dtype, jnp.integer):
            raise TypeError(f"Controls.{name} must be numeric, got dtype {value.dtype}")
    active = getattr(controls, "motor_active", None)
    if active is not None and (tuple(getattr(active, "shape", ())) != (cap.n_joints,) or active.dtype != jnp.bool_):
        raise ValueError(f"Controls.motor_active must be a bool array of shape ({cap.n_joints},), "
                         f"got {getattr(active, 'dtype', type(active).__name__)} {tuple(getattr(active, 'shape', ()))}")


def step(scene: Scene, controls: Controls, params: SimParams) -> tuple[Scene, StepInfo]:
    """Advance ``scene`` by ``params.dt``.  Pure, ``jit``/``vmap``-safe, deterministic."""
    cap = scene.capacity
    _check_controls(controls, cap)
    n, p = cap.n_bodies, cap.n_polygons
    sched = pair_schedule(n, p)
    f32 = jnp.float32
    gravity = jnp.asarray(params.gravity, f32)
    dt = jnp.asarray(params.dt, f32)
    substeps = params.substeps
    h = dt / substeps
    inv_h = 1.0 / h
    st, pr = scene.state, scene.props

    # --- bodies, with the ground slot appended last -------------------------------
    active = pr.active
    dynamic = active & (pr.inv_mass > 0.0)
    zero1 = jnp.zeros((1,), f32)
    inv_mass = jnp.concatenate([jnp.where(active, pr.inv_mass, 0.0), zero1])
    inv_inertia = jnp.concatenate([jnp.where(active, pr.inv_inertia, 0.0), zero1])
    body_ok = jnp.concatenate([active, jnp.ones((1,), bool)])
    position0 = jnp.concatenate([st.position, jnp.zeros((1, 2), f32)])
    angle0 = jnp.concatenate([st.angle, zero1])
    v0 = jnp.concatenate([st.velocity, st.angular_velocity[:, None]], axis=1)
    v0 = jnp.concatenate([jnp.where(active[:, None], v0, 0.0), jnp.zeros((1, 3), f32)])

    # --- collide -------------------------------------------------------------------
    g_norm = mf.norm(gravity)
    reach = mf.norm(st.velocity) + jnp.abs(st.angular_velocity) * pr.bounding_radius
    reach = jnp.where(active, reach + jnp.where(dynamic, g_norm * dt, 0.0), 0.0)
    reach = jnp.concatenate([reach, zero1])
    spec = jnp.asarray(params.speculative_distance, f32)
    margin_of = lambda a, b: spec + dt * (reach[a] + reach[b])  # noqa: E731

    a_idx, b_idx = sched.body_a, sched.body_b
    excluded = excluded_pairs(scene)
    cat = jnp.concatenate([pr.category, jnp.zeros((1,), jnp.int32)])
    msk = jnp.concatenate([pr.mask, jnp.zeros((1,), jnp.int32)])
    lane_ok = (
        body_ok[a_idx] & body_ok[b_idx]
        & category_allows(cat[a_idx], msk[a_idx], cat[b_idx], msk[b_idx])
        & ~excluded[a_idx, b_idx]
    )
    pair_m = _pair_manifolds(scene, sched, margin_of)

    wall_m = _wall_manifolds(scene, spec + dt * reach[:n])
    wall_ok = scene.boundary.active[:, None] & active[None, :] & ((pr.mask & WALL_CATEGORY) != 0)[None, :]

    cache = scene.cache
    pair_imp = _warm_start_impulses(
        pair_m.id, pair_m.active & lane_ok[..., None], cache.pair_id, cache.pair_normal_impulse, cache.pair_tangent_impulse
    )
    wall_cache = lambda x: jnp.swapaxes(x, 0, 1)  # noqa: E731  stored [N, 4], solved [4, N]
    wall_imp = _warm_start_impulses(
        wall_m.id, wall_m.active & wall_ok[..., None], wall_cache(cache.wall_id),
        wall_cache(cache.wall_normal_impulse), wall_cache(cache.wall_tangent_impulse),
    )

    # --- prepare --------------------------------------------------------------------
    hertz = jnp.minimum(jnp.asarray(params.contact_hertz, f32), 0.25 * substeps / dt)
    zeta = jnp.asarray(params.contact_damping_ratio, f32)
    soft = make_softness(hertz, zeta, h)
    static_soft = make_softness(2.0 * hertz, zeta, h)
    joint_soft = make_softness(jnp.asarray(params.joint_hertz, f32), jnp.asarray(params.joint_damping_ratio, f32), h)

    friction = jnp.concatenate([pr.friction, zero1])
    restitution = jnp.concatenate([pr.restitution, zero1])
    v_split = (v0[:, 0], v0[:, 1], v0[:, 2])
    lane_v = lambda idx: tuple(x[idx] for x in v_split)  # noqa: E731
    pair_c, pair_bounce = prepare_contacts(
        pair_m, lane_ok, lane_v(a_idx), lane_v(b_idx), inv_mass[a_idx], inv_inertia[a_idx],
        inv_mass[b_idx], inv_inertia[b_idx], jnp.sqrt(friction[a_idx] * friction[b_idx]),
        jnp.maximum(restitution[a_idx], restitution[b_idx]),
    )
    zeros_wn = jnp.zeros((N_WALLS, n), f32)
    wall_c, wall_bounce = prepare_contacts(
        wall_m, wall_ok, (zeros_wn,) * 3, tuple(jnp.broadcast_to(x[:n], (N_WALLS, n)) for x in v_split),
        zeros_wn, zeros_wn, jnp.broadcast_to(inv_mass[:n], (N_WALLS, n)), jnp.broadcast_to(inv_inertia[:n], (N_WALLS, n)),
        jnp.sqrt(scene.boundary.friction[:, None] * pr.friction[None, :]),
        jnp.maximum(scene.boundary.restitution[:, None], pr.restitution[None, :]),
    )
    joint_c, joint_imp = prepare_joints(
        scene.joints, body_ok, position0, angle0, inv_mass, inv_inertia, controls.motor, h, controls.motor_active
    )

    # thrusters: a force along a body-fixed direction at a body-fixed point
    th = scene.thrusters
    throttle = jnp.clip(jnp.nan_to_num(controls.thruster), 0.0, 1.0) * th.active * body_ok[th.body]
    direction = mf.rotate(st.angle[th.body] + th.local_angle, jnp.array([1.0, 0.0]))
    force = (throttle * th.max_force)[:, None] * direction
    arm = mf.rotate(st.angle[th.body], th.local_point)
    wrench = jnp.concatenate([force, mf.cross(arm, force)[:, None]], axis=1)
    wrench = _per_body_sum(wrench, th.body, n + 1)
    has_gravity = jnp.concatenate([dynamic, jnp.zeros((1,), bool)])
    accel = (
        jnp.where(has_gravity, gravity[0], 0.0) + inv_mass * wrench[:, 0],
        jnp.where(has_gravity, gravity[1], 0.0) + inv_mass * wrench[:, 1],
        inv_inertia * wrench[:, 2],
    )

    # --- solve: substeps, then restitution (solver.py) ------------------------------------
    consts = SolverConstants(
        h=h,
        max_push=jnp.asarray(params.contact_push_max_velocity, f32),
        restitution_threshold=jnp.asarray(params.restitution_threshold, f32),
        max_speed=jnp.asarray(params.max_linear_speed, f32),
        max_turn=jnp.asarray(params.max_rotation_per_substep, f32) * inv_h,
        linear_damping=1.0 / (1.0 + h * jnp.asarray(params.linear_damping, f32)),
        angular_damping=1.0 / (1.0 + h * jnp.asarray(params.angular_damping, f32)),
        contact_soft=soft,
        static_soft=static_soft,
        joint_soft=joint_soft,
    )
    imps0 = Impulses(pair_imp, wall_imp, joint_imp)
    v, dp, imps = solve_velocities(
        n, sched, substeps, v_split, pair_c, pair_bounce, wall_c, wall_bounce, joint_c, imps0, accel, consts)
    pair_final, wall_final = imps.pairs, imps.walls
    dp = jnp.stack(dp, axis=1)
    v = jnp.stack(v, axis=1)
    pair_normal, pair_tangent, pair_max = impulses_to_arrays(pair_final)
    wall_normal, wall_tangent, wall_max = impulses_to_arrays(wall_final)

    # --- store -----------------------------------------------------------------------
    new_position = jnp.where(active[:, None], st.position + dp[:n, :2], st.position)
    new_angle = jnp.where(active, st.angle + dp[:n, 2], st.angle)
    new_velocity = jnp.where(active[:, None], v[:n, :2], st.velocity)
    new_angular = jnp.where(active, v[:n, 2], st.angular_velocity)
    new_state = st.replace(position=new_position, angle=new_angle, velocity=new_velocity, angular_velocity=new_angular)

    pair_live = pair_m.active & lane_ok[..., None]
    wall_live = wall_m.active & wall_ok[..., None]
    new_cache = ContactCache(
        pair_id=jnp.where(pair_live, pair_m.id, 0),
        pair_normal_impulse=jnp.where(pair_live, pair_normal, 0.0),
        pair_tangent_impulse=jnp.where(pair_live, pair_tangent, 0.0),
        wall_id=wall_cache(jnp.where(wall_live, wall_m.id, 0)),
        wall_normal_impulse=wall_cache(jnp.where(wall_live, wall_normal, 0.0)),
        wall_tangent_impulse=wall_cache(jnp.where(wall_live, wall_tangent, 0.0)),
    )
    ji = imps.joints
    written = (ji.linear, ji.angular, ji.motor, ji.lower, ji.upper)
    new_joints = scene.joints.replace(**dict(zip(STEP_JOINT_FIELDS, written)))
    new_scene = scene.replace(state=new_state, cache=new_cache, joints=new_joints)

    # --- report -------------------------------------------------------------------------
    slop = jnp.asarray(params.linear_slop, f32)
    touched = lambda live, m, max_imp: jnp.any(live & ((m.separation <= slop) | (max_imp > 0.0)), axis=-1)  # noqa: E731
    lane_touch = touched(pair_live, pair_m, pair_max)
    touching = jnp.concatenate([lane_touch.reshape(-1), jnp.zeros((1,), bool)])[_lane_of_pair(sched)]
    wall_touching = jnp.swapaxes(touched(wall_live, wall_m, wall_max), 0, 1)
    limit = jnp.asarray(params.world_limit, f32)
    far = jnp.any(jnp.abs(new_position) > limit, axis=1)
    bd = scene.boundary
    slack = pr.bounding_radius
    outside = (
        (bd.active[0] & (new_position[:, 1] < bd.position[0] - slack))
        | (bd.active[1] & (new_position[:, 0] < bd.position[1] - slack))
        | (bd.active[2] & (new_position[:, 0] > bd.position[2] + slack))
        | (bd.active[3] & (new_position[:, 1] > bd.position[3] + slack))
    )
    finite = jnp.all(jnp.isfinite(new_position)) & jnp.all(jnp.isfinite(new_velocity)) & jnp.all(
        jnp.isfinite(new_angle)) & jnp.all(jnp.isfinite(new_angular))
    info = StepInfo(
        touching=touching[:n, :n],
        wall_touching=wall_touching,
        out_of_world=active & (far | outside),
        non_finite=~finite,
    )
    return new_scene, info


def keep_where(pred: jax.Array, before: Scene, after: Scene) -> Scene:
    """``before`` where ``pred`` is true, else ``after``, for scenes any number of ``step`` calls apart.

    Only the fields that ``step`` writes are selected (body state, contact
    cache, joint impulses); every other field is the same in both and comes
    from ``before``.  A select per leaf of the whole scene would add about a
    hundred kernels to a compiled env step, each costing compile time and,
    for one scene, a launch.
    """
    sel = lambda old, new: jnp.where(pred, old, new)  # noqa: E731
    jb, ja = before.joints, after.joints
    joints = jb.replace(**{f: sel(getattr(jb, f), getattr(ja, f)) for f in STEP_JOINT_FIELDS})
    return before.replace(state=jax.tree_util.tree_map(sel, before.state, after.state),
                          cache=jax.tree_util.tree_map(sel, before.cache, after.cache), joints=joints)
