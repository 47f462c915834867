"""Revolute and fixed (weld) joints as soft constraints: prepare, warm start, solve.

A revolute joint pins an anchor of body B to an anchor of body A (a 2x2
point constraint), optionally limits the relative angle (one-sided
constraints, speculative like contacts) and drives it with a motor: a
velocity constraint whose accumulated impulse is capped by
``max_torque * h``, so the motor is part of the solve rather than an
impulse added on top.  A fixed joint adds an angular constraint holding the
relative angle.

Joints are solved one after another (Gauss-Seidel); their bodies are read
and written by index, so a joint may link any two bodies or a body and the
world (the ground slot).  What depends only on positions (rotated anchors,
position error, joint angle, the point constraint's mass matrix) is fixed
during a pass and is computed for all joints at once before the sequential
loop, which then only does velocity arithmetic.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from tumble.physics.barrier import computed_once, fusible_stack, ordered_sum
from tumble.physics.manifold import rotate
from tumble.physics.scene import Joints
from tumble.physics.softness import Softness


class JointConstraints(NamedTuple):
    """Per-step constants, each [J, ...]."""

    active: jax.Array
    index_a: jax.Array  # i32, ground slot for the world
    index_b: jax.Array
    anchor_a: jax.Array  # [J, 2] world orientation at the start of the step
    anchor_b: jax.Array
    delta_center: jax.Array  # [J, 2] centre_b - centre_a at the start of the step
    angle: jax.Array  # angle_b - angle_a - reference at the start of the step
    is_fixed: jax.Array
    motor_enabled: jax.Array
    motor_target: jax.Array  # rad/s
    max_motor_impulse: jax.Array  # per substep
    limit_enabled: jax.Array
    lower_angle: jax.Array
    upper_angle: jax.Array
    axial_mass: jax.Array
    inv_mass_a: jax.Array
    inv_inertia_a: jax.Array
    inv_mass_b: jax.Array
    inv_inertia_b: jax.Array


class JointImpulses(NamedTuple):
    linear: jax.Array  # [J, 2]
    angular: jax.Array  # [J] weld
    motor: jax.Array  # [J]
    lower: jax.Array  # [J]
    upper: jax.Array  # [J]


def prepare_joints(
    joints: Joints,
    body_ok: jax.Array,
    position: jax.Array,
    angle: jax.Array,
    inv_mass: jax.Array,
    inv_inertia: jax.Array,
    motor_control: jax.Array,
    h: jax.Array,
    motor_active: jax.Array | None = None,
) -> tuple[JointConstraints, JointImpulses]:
    """Step constants of all joints; arrays of bodies include the ground slot last."""
    ground = position.shape[0] - 1
    ia = jnp.where(joints.body_a < 0, ground, joints.body_a)
    ib = jnp.where(joints.body_b < 0, ground, joints.body_b)
    active = joints.active & body_ok[ia] & body_ok[ib]
    ma, mb = inv_mass[ia], inv_mass[ib]
    iia, iib = inv_inertia[ia], inv_inertia[ib]
    k = iia + iib
    control = jnp.clip(jnp.nan_to_num(motor_control), -1.0, 1.0)
    revolute = ~joints.is_fixed
    c = JointConstraints(
        active=active,
        index_a=ia,
        index_b=ib,
        anchor_a=rotate(angle[ia], joints.local_anchor_a),
        anchor_b=rotate(angle[ib], joints.local_anchor_b),
        delta_center=position[ib] - position[ia],
        angle=angle[ib] - angle[ia] - joints.reference_angle,
        is_fixed=joints.is_fixed,
        motor_enabled=joints.motor_enabled & revolute & active & (True if motor_active is None else motor_active),
        motor_target=control * joints.motor_speed,
        max_motor_impulse=h * joints.max_motor_torque,
        limit_enabled=joints.limit_enabled & revolute & active,
        lower_angle=joints.lower_angle,
        upper_angle=joints.upper_angle,
        axial_mass=jnp.where(k > 0.0, 1.0 / jnp.where(k > 0.0, k, 1.0), 0.0),
        inv_mass_a=ma,
        inv_inertia_a=iia,
        inv_mass_b=mb,
        inv_inertia_b=iib,
    )
    keep = active.astype(jnp.float32)
    imp = JointImpulses(
        linear=joints.linear_impulse * keep[:, None],
        angular=joints.angular_impulse * keep * joints.is_fixed,
        motor=joints.motor_impulse * c.motor_enabled,
        lower=joints.lower_impulse * c.limit_enabled,
        upper=joints.upper_impulse * c.limit_enabled,
    )
    return c, imp


def _rotate(angle, v):
    """Rotate ``v = (x, y)`` (components on the leading axis) by ``angle``."""
    c, s = jnp.cos(angle), jnp.sin(angle)
    return c * v[0] - s * v[1], s * v[0] + c * v[1]


def _current_anchors(cj: JointConstraints, dqa, dqb):
    return _rotate(dqa, cj.anchor_a), _rotate(dqb, cj.anchor_b)


def _selector(index, size: int):
    """One-hot [size, ...] of ``index`` (which may carry trailing batch axes).

    Reading and writing a joint's bodies through a one-hot select instead of
    a gather and a scatter keeps the solver element-wise, which XLA's CPU
    loops vectorise over a batch (see ``solver.py``).
    """
    index = jnp.asarray(index)
    return jnp.arange(size).reshape((size,) + (1,) * index.ndim) == index


def _read(v, sel):
    # batched only: an explicit sum over the (few) bodies stays element-wise (a reduction is its own kernel)
    return tuple(sum(jnp.where(sel[i], x[i], 0.0) for i in range(x.shape[0])) for x in v)


def _write(v, sel_a, sel_b, va, vb):
    # the ground slot (last) never moves: written back as zero
    return tuple(jnp.where(sel_b, b, jnp.where(sel_a, a, x)).at[-1].set(0.0) for x, a, b in zip(v, va, vb))


def _cross(a, b):
    return a[0] * b[1] - a[1] * b[0]


_VECTOR_FIELDS = ("anchor_a", "anchor_b", "delta_center", "linear")


def _pack_fields(fields) -> tuple[jax.Array, tuple]:
    """Pack a NamedTuple of per-joint fields into one float32 [J, F, ...] array.

    A scan over one array slices once per joint instead of once per field.
    Vectors ([J, 2]) become two columns; ints and bools are exact as floats.
    """
    cols, spec = [], []
    for name in fields._fields:
        x = jnp.asarray(getattr(fields, name))
        if name in _VECTOR_FIELDS:
            cols += [x[:, 0], x[:, 1]]
            spec.append((name, 2, x.dtype))
        else:
            cols.append(x.astype(jnp.float32))
            spec.append((name, 1, x.dtype))
    return jnp.stack(cols, axis=1), (type(fields), tuple(spec))


def _unpack_fields(row, layout: tuple):
    """One joint's fields from its packed row [F, ...] (vectors as (x, y) pairs)."""
    cls, spec = layout
    out, i = {}, 0
    for name, width, dtype in spec:
        if width == 2:
            out[name] = (row[i], row[i + 1])
        elif dtype == jnp.bool_:
            out[name] = row[i] > 0.5
        elif jnp.issubdtype(dtype, jnp.integer):
            out[name] = jnp.round(row[i]).astype(dtype)
        else:
            out[name] = row[i]
        i += width
    return cls(**out)


def warm_start_joints(c: JointConstraints, imp: JointImpulses, v, dp):
    """Apply the accumulated joint impulses to the velocities ``v = (vx, vy, w)`` [bodies + ground]."""
    size = v[0].shape[0]

    def one(v, xs):
        cj, ij = _unpack_fields(xs[0], c_layout), _unpack_fields(xs[1], imp_layout)
        sel_a, sel_b = _selector(cj.index_a, size), _selector(cj.index_b, size)
        va, vb = _read(v, sel_a), _read(v, sel_b)
        (dqa,), (dqb,) = _read(dp[2:], sel_a), _read(dp[2:], sel_b)
        ra, rb = _current_anchors(cj, dqa, dqb)
        p = ij.linear
        axial = ij.motor + ij.lower - ij.upper + ij.angular
        va = (va[0] - cj.inv_mass_a * p[0], va[1] - cj.inv_mass_a * p[1], va[2] - cj.inv_inertia_a * (_cross(ra, p) + axial))
        vb = (vb[0] + cj.inv_mass_b * p[0], vb[1] + cj.inv_mass_b * p[1], vb[2] + cj.inv_inertia_b * (_cross(rb, p) + axial))
        return _write(v, sel_a, sel_b, va, vb), None

    if c.active.shape[0] == 0:
        return v
    (c_packed, c_layout), (imp_packed, imp_layout) = _pack_fields(c), _pack_fields(imp)
    return jax.lax.scan(one, v, (c_packed, imp_packed))[0]


def pack_joint_impulses(imp: JointImpulses) -> jax.Array:
    """One scene's joint impulses as one [J, 6] array (linear x, linear y, weld, motor, lower, upper)."""
    return _pack_fields(imp)[0]


def unpack_joint_impulses(packed: jax.Array) -> JointImpulses:
    """Inverse of :func:`pack_joint_impulses`."""
    return JointImpulses(packed[:, :2], packed[:, 2], packed[:, 3], packed[:, 4], packed[:, 5])


def _impulse_row(row) -> JointImpulses:
    """One joint's impulses from its packed row [6] (the linear one as an (x, y) pair)."""
    return JointImpulses((row[0], row[1]), row[2], row[3], row[4], row[5])


def warm_start_joints_stacked(c: JointConstraints, imp_packed: jax.Array, v_all: jax.Array, dp_all: jax.Array):
    """``warm_start_joints`` for one scene: stacked [3, bodies + ground] velocities, packed impulses.

    Warm starting only adds each joint's impulse to its two bodies, which
    does not depend on the velocities, so the joints need no order: their
    changes are summed per body (a body's sum may round differently from
    the sequential loop's), and one scene runs no loop here at all.
    """
    if c.active.shape[0] == 0:
        return v_all
    size = v_all.shape[1]
    imp = _impulse_row(imp_packed.T)
    ra = _rotate(dp_all[2][c.index_a], (c.anchor_a[:, 0], c.anchor_a[:, 1]))
    rb = _rotate(dp_all[2][c.index_b], (c.anchor_b[:, 0], c.anchor_b[:, 1]))
    p = imp.linear
    axial = imp.motor + imp.lower - imp.upper + imp.angular
    dva = jnp.stack([-c.inv_mass_a * p[0], -c.inv_mass_a * p[1], -c.inv_inertia_a * (_cross(ra, p) + axial)])
    dvb = jnp.stack([c.inv_mass_b * p[0], c.inv_mass_b * p[1], c.inv_inertia_b * (_cross(rb, p) + axial)])
    body = jnp.arange(size)[:, None]
    on_a, on_b = body == c.index_a[None, :], body == c.index_b[None, :]  # [bodies + ground, joints]
    per_body = lambda on, d: ordered_sum(jnp.where(on[None], d[:, None, :], 0.0), axis=2)  # noqa: E731  [3, bodies + ground]
    ground = jnp.arange(size) == size - 1  # never moves
    return jnp.where(ground, 0.0, v_all + per_body(on_a, dva) + per_body(on_b, dvb))


def _gather_bodies(v_all, cj: JointConstraints):
    """Velocities ``(x, y, w)`` of a joint's two bodies from stacked [3, bodies + ground] values (one scene)."""
    return tuple(v_all[:, cj.index_a]), tuple(v_all[:, cj.index_b])


def _scatter_bodies(v_all, cj: JointConstraints, va, vb):
    """``v_all`` with a joint's two bodies set to ``va`` and ``vb``, the ground slot (last) kept at zero.

    One select over the stacked [3, bodies + ground] velocities: a single
    kernel per joint where three per-component writes were three.
    """
    body = jnp.arange(v_all.shape[1])
    new = jnp.where(body == cj.index_b, jnp.stack(vb)[:, None], jnp.where(body == cj.index_a, jnp.stack(va)[:, None], v_all))
    return jnp.where(body == v_all.shape[1] - 1, 0.0, new)


def _angular_row(c_value, cdot, axial_mass, accumulated, soft: Softness, use_bias, inv_h, one_sided: bool):
    """Impulse of a 1D angular constraint with position error ``c_value`` (>= 0 wanted if one-sided)."""
    bias = jnp.where(use_bias, soft.bias_rate * c_value, 0.0)
    rigid = ~use_bias
    if one_sided:
        speculative = c_value > 0.0
        bias = jnp.where(speculative, c_value * inv_h, bias)
        rigid = rigid | speculative
    mass_scale = jnp.where(rigid, 1.0, soft.mass_scale)
    impulse_scale = jnp.where(rigid, 0.0, soft.impulse_scale)
    delta = -axial_mass * mass_scale * (cdot + bias) - impulse_scale * accumulated
    new = jnp.maximum(accumulated + delta, 0.0) if one_sided else accumulated + delta
    return new, new - accumulated


class JointGeometry(NamedTuple):
    """Values of every joint that change only when the bodies move, [J, ...].

    Positions are fixed during a solver pass (displacements advance between
    passes), so these are computed once per pass for all joints at once,
    outside the sequential joint loop.
    """

    ra_x: jax.Array  # anchor of A relative to its centre, rotated by the pass's displacement
    ra_y: jax.Array
    rb_x: jax.Array
    rb_y: jax.Array
    err_x: jax.Array  # anchor B minus anchor A
    err_y: jax.Array
    angle: jax.Array  # joint angle
    k11: jax.Array  # point constraint's effective mass matrix and its inverse determinant
    k12: jax.Array
    k22: jax.Array
    inv_det: jax.Array


def _joint_geometry(c: JointConstraints, dp) -> JointGeometry:
    """``JointGeometry`` of all joints for body displacements ``dp = (dx, dy, dangle)`` [bodies + ground] (batched)."""
    size = dp[0].shape[0]
    sel_a, sel_b = _selector(c.index_a, size), _selector(c.index_b, size)
    return _geometry_of(c, _read(dp, sel_a), _read(dp, sel_b))


def _geometry_of(c: JointConstraints, dpa, dpb) -> JointGeometry:
    """``JointGeometry`` of all joints from the displacements ``(dx, dy, dangle)`` of their bodies A and B."""
    ra = _rotate(dpa[2], (c.anchor_a[:, 0], c.anchor_a[:, 1]))
    rb = _rotate(dpb[2], (c.anchor_b[:, 0], c.anchor_b[:, 1]))
    ma, ia, mb, ib = c.inv_mass_a, c.inv_inertia_a, c.inv_mass_b, c.inv_inertia_b
    k11 = ma + mb + ra[1] ** 2 * ia + rb[1] ** 2 * ib
    k12 = -ra[1] * ra[0] * ia - rb[1] * rb[0] * ib
    k22 = ma + mb + ra[0] ** 2 * ia + rb[0] ** 2 * ib
    det = k11 * k22 - k12 * k12
    inv_det = jnp.where(jnp.abs(det) > 1e-12, 1.0 / jnp.where(jnp.abs(det) > 1e-12, det, 1.0), 0.0)
    return JointGeometry(
        ra_x=ra[0], ra_y=ra[1], rb_x=rb[0], rb_y=rb[1],
        err_x=dpb[0] - dpa[0] + rb[0] - ra[0] + c.delta_center[:, 0],
        err_y=dpb[1] - dpa[1] + rb[1] - ra[1] + c.delta_center[:, 1],
        angle=c.angle + dpb[2] - dpa[2],
        k11=k11, k12=k12, k22=k22, inv_det=inv_det,
    )


def _angular_rows(cj: JointConstraints, ij: JointImpulses, g: JointGeometry, wa, wb, soft: Softness, use_bias,
                  inv_h):
    """Motor, angle limits and weld of one joint, in that order: new ``(wa, wb)`` and their impulses."""
    ia, ib = cj.inv_inertia_a, cj.inv_inertia_b
    # motor: reach the target relative speed with at most max_torque
    cdot = wb - wa - cj.motor_target
    motor = jnp.clip(ij.motor - cj.axial_mass * cdot, -cj.max_motor_impulse, cj.max_motor_impulse)
    motor = jnp.where(cj.motor_enabled, motor, 0.0)
    d = motor - ij.motor
    wa, wb = wa - ia * d, wb + ib * d

    # angle limits, one-sided and speculative
    lower, d = _angular_row(g.angle - cj.lower_angle, wb - wa, cj.axial_mass, ij.lower, soft, use_bias, inv_h, True)
    lower, d = jnp.where(cj.limit_enabled, lower, 0.0), jnp.where(cj.limit_enabled, d, 0.0)
    wa, wb = wa - ia * d, wb + ib * d
    upper, d = _angular_row(cj.upper_angle - g.angle, wa - wb, cj.axial_mass, ij.upper, soft, use_bias, inv_h, True)
    upper, d = jnp.where(cj.limit_enabled, upper, 0.0), jnp.where(cj.limit_enabled, d, 0.0)
    wa, wb = wa + ia * d, wb - ib * d

    # weld: hold the relative angle
    angular, d = _angular_row(g.angle, wb - wa, cj.axial_mass, ij.angular, soft, use_bias, inv_h, False)
    weld = cj.is_fixed & cj.active
    angular, d = jnp.where(weld, angular, 0.0), jnp.where(weld, d, 0.0)
    return wa - ia * d, wb + ib * d, (angular, motor, lower, upper)


def _point_row(cj: JointConstraints, linear, g: JointGeometry, va, vb, soft: Softness, use_bias):
    """The point constraint of one joint (the two anchors coincide): new ``va``, ``vb`` and linear impulse."""
    (vax, vay, wa), (vbx, vby, wb) = va, vb
    ma, ia, mb, ib = cj.inv_mass_a, cj.inv_inertia_a, cj.inv_mass_b, cj.inv_inertia_b
    ra, rb = (g.ra_x, g.ra_y), (g.rb_x, g.rb_y)
    cdot_x = vbx - wb * rb[1] - vax + wa * ra[1]
    cdot_y = vby + wb * rb[0] - vay - wa * ra[0]
    bias_rate = jnp.where(use_bias, soft.bias_rate, 0.0)
    mass_scale = jnp.where(use_bias, soft.mass_scale, 1.0)
    impulse_scale = jnp.where(use_bias, soft.impulse_scale, 0.0)
    rx, ry = cdot_x + bias_rate * g.err_x, cdot_y + bias_rate * g.err_y
    on = cj.active.astype(jnp.float32)
    dx = (-mass_scale * g.inv_det * (g.k22 * rx - g.k12 * ry) - impulse_scale * linear[0]) * on
    dy = (-mass_scale * g.inv_det * (g.k11 * ry - g.k12 * rx) - impulse_scale * linear[1]) * on
    va = (vax - ma * dx, vay - ma * dy, wa - ia * (ra[0] * dy - ra[1] * dx))
    vb = (vbx + mb * dx, vby + mb * dy, wb + ib * (rb[0] * dy - rb[1] * dx))
    return va, vb, (linear[0] + dx, linear[1] + dy)


def solve_joints(c: JointConstraints, imp: JointImpulses, v, dp, soft: Softness, use_bias: jax.Array, inv_h: jax.Array):
    """One Gauss-Seidel pass over all joints; returns the new impulses and velocities."""
    if c.active.shape[0] == 0:
        return imp, v
    size = v[0].shape[0]
    (c_packed, c_layout), (imp_packed, imp_layout) = _pack_fields(c), _pack_fields(imp)
    # materialised once: each field would re-read the bodies and re-rotate the anchors
    geometry = computed_once(lambda args: _joint_geometry(*args), jnp.asarray(use_bias, jnp.int32), (c, dp))
    g_packed, g_layout = _pack_fields(geometry)

    def angular(args):
        cj, ij, g, wa, wb = args
        return _angular_rows(cj, ij, g, wa, wb, soft, use_bias, inv_h)

    def point(args):
        cj, linear, g, va, vb = args
        return _point_row(cj, linear, g, va, vb, soft, use_bias)

    def one(v, xs):
        c_row, imp_row, g_row, j_idx = xs
        cj, ij, g = _unpack_fields(c_row, c_layout), _unpack_fields(imp_row, imp_layout), _unpack_fields(g_row, g_layout)
        sel_a, sel_b = _selector(cj.index_a, size), _selector(cj.index_b, size)
        va, vb = _read(v, sel_a), _read(v, sel_b)
        # each stage runs once, materialised: fused, every velocity and impulse it
        # feeds would re-run the whole chain per element (see barrier.py)
        wa, wb, (angular_imp, motor, lower, upper) = computed_once(angular, j_idx, (cj, ij, g, va[2], vb[2]))
        va, vb, (lx, ly) = computed_once(point, j_idx, (cj, ij.linear, g, (va[0], va[1], wa), (vb[0], vb[1], wb)))
        return _write(v, sel_a, sel_b, va, vb), JointImpulses(jnp.stack([lx, ly]), angular_imp, motor, lower, upper)

    v, new_imp = jax.lax.scan(one, v, (c_packed, imp_packed, g_packed, jnp.arange(c.active.shape[0])))
    return new_imp, v


def solve_joints_stacked(c: JointConstraints, imp_packed: jax.Array, v_all: jax.Array, dp_all: jax.Array,
                         soft: Softness, use_bias: jax.Array, inv_h: jax.Array):
    """``solve_joints`` for one scene: stacked [3, bodies + ground] velocities and displacements, packed impulses.

    Returns ``(imp_packed, v_all)``.  For one scene every kernel is a
    launch: per joint, one gather of its bodies, one write of them and one
    of its impulse row make an iteration about half the kernels of the
    per-component version.
    """
    if c.active.shape[0] == 0:
        return imp_packed, v_all
    geometry = _geometry_of(c, tuple(dp_all[:, c.index_a]), tuple(dp_all[:, c.index_b]))
    # the geometry fields packed: a few kernels compute them all, and the scan slices one row per joint
    g_packed = fusible_stack(list(geometry), axis=1)

    def one(v_all, xs):
        cj, ij_row, g_row = xs
        ij, g = _impulse_row(ij_row), JointGeometry(*(g_row[i] for i in range(len(JointGeometry._fields))))
        va, vb = _gather_bodies(v_all, cj)
        wa, wb, (angular_imp, motor, lower, upper) = _angular_rows(cj, ij, g, va[2], vb[2], soft, use_bias, inv_h)
        va, vb, (lx, ly) = _point_row(cj, ij.linear, g, (va[0], va[1], wa), (vb[0], vb[1], wb), soft, use_bias)
        return _scatter_bodies(v_all, cj, va, vb), jnp.stack([lx, ly, angular_imp, motor, lower, upper])

    v_all, imp_packed = jax.lax.scan(one, v_all, (c, imp_packed, g_packed))
    return imp_packed, v_all
