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
world (the ground slot).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from tumble.physics.manifold import cross, rotate
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
        motor_enabled=joints.motor_enabled & revolute & active,
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


def _take(c: JointConstraints, j: int) -> JointConstraints:
    return JointConstraints(*(x[j] for x in c))


def _current_anchors(cj: JointConstraints, dpa, dpb):
    return rotate(dpa[2], cj.anchor_a), rotate(dpb[2], cj.anchor_b)


def _write(v: jax.Array, cj: JointConstraints, va, vb) -> jax.Array:
    # the ground row never changes: infinite mass, and it is written last as zero
    v = v.at[cj.index_a].set(va).at[cj.index_b].set(vb)
    return v.at[-1].set(0.0)


def warm_start_joints(c: JointConstraints, imp: JointImpulses, v: jax.Array, dp: jax.Array) -> jax.Array:
    """Apply the accumulated joint impulses to the velocities ``v`` [bodies + ground, 3]."""
    for j in range(c.active.shape[0]):
        cj = _take(c, j)
        va, vb = v[cj.index_a], v[cj.index_b]
        ra, rb = _current_anchors(cj, dp[cj.index_a], dp[cj.index_b])
        p = imp.linear[j]
        axial = imp.motor[j] + imp.lower[j] - imp.upper[j] + imp.angular[j]
        va = va - jnp.concatenate([cj.inv_mass_a * p, (cj.inv_inertia_a * (cross(ra, p) + axial))[None]])
        vb = vb + jnp.concatenate([cj.inv_mass_b * p, (cj.inv_inertia_b * (cross(rb, p) + axial))[None]])
        v = _write(v, cj, va, vb)
    return v


def _angular_row(c_value, cdot, axial_mass, accumulated, soft: Softness, use_bias: bool, inv_h, one_sided: bool):
    """Impulse of a 1D angular constraint with position error ``c_value`` (>= 0 wanted if one-sided)."""
    if one_sided:
        speculative = c_value > 0.0
        bias = jnp.where(speculative, c_value * inv_h, soft.bias_rate * c_value if use_bias else 0.0)
        mass_scale = jnp.where(speculative | (not use_bias), 1.0, soft.mass_scale)
        impulse_scale = jnp.where(speculative | (not use_bias), 0.0, soft.impulse_scale)
    else:
        bias = soft.bias_rate * c_value if use_bias else 0.0
        mass_scale = soft.mass_scale if use_bias else 1.0
        impulse_scale = soft.impulse_scale if use_bias else 0.0
    delta = -axial_mass * mass_scale * (cdot + bias) - impulse_scale * accumulated
    new = jnp.maximum(accumulated + delta, 0.0) if one_sided else accumulated + delta
    return new, new - accumulated


def solve_joints(
    c: JointConstraints,
    imp: JointImpulses,
    v: jax.Array,
    dp: jax.Array,
    soft: Softness,
    use_bias: bool,
    inv_h: jax.Array,
):
    """One Gauss-Seidel pass over all joints; returns the new impulses and velocities."""
    linear, angular, motor, lower, upper = (list(x) for x in imp)
    for j in range(c.active.shape[0]):
        cj = _take(c, j)
        va, vb = v[cj.index_a], v[cj.index_b]
        dpa, dpb = dp[cj.index_a], dp[cj.index_b]
        ma, ia, mb, ib = cj.inv_mass_a, cj.inv_inertia_a, cj.inv_mass_b, cj.inv_inertia_b
        wa, wb = va[2], vb[2]
        on = cj.active.astype(jnp.float32)

        # motor: reach the target relative speed with at most max_torque
        cdot = wb - wa - cj.motor_target
        new = jnp.clip(motor[j] - cj.axial_mass * cdot, -cj.max_motor_impulse, cj.max_motor_impulse)
        new = jnp.where(cj.motor_enabled, new, 0.0)
        d = new - motor[j]
        motor[j] = new
        wa, wb = wa - ia * d, wb + ib * d

        # angle limits, one-sided and speculative
        joint_angle = cj.angle + dpb[2] - dpa[2]
        new, d = _angular_row(joint_angle - cj.lower_angle, wb - wa, cj.axial_mass, lower[j], soft, use_bias, inv_h, True)
        new, d = jnp.where(cj.limit_enabled, new, 0.0), jnp.where(cj.limit_enabled, d, 0.0)
        lower[j] = new
        wa, wb = wa - ia * d, wb + ib * d
        new, d = _angular_row(cj.upper_angle - joint_angle, wa - wb, cj.axial_mass, upper[j], soft, use_bias, inv_h, True)
        new, d = jnp.where(cj.limit_enabled, new, 0.0), jnp.where(cj.limit_enabled, d, 0.0)
        upper[j] = new
        wa, wb = wa + ia * d, wb - ib * d

        # weld: hold the relative angle
        new, d = _angular_row(joint_angle, wb - wa, cj.axial_mass, angular[j], soft, use_bias, inv_h, False)
        weld = cj.is_fixed & cj.active
        new, d = jnp.where(weld, new, 0.0), jnp.where(weld, d, 0.0)
        angular[j] = new
        wa, wb = wa - ia * d, wb + ib * d

        # point constraint: the two anchors coincide
        ra, rb = _current_anchors(cj, dpa, dpb)
        va_lin, vb_lin = va[:2], vb[:2]
        cdot = vb_lin + wb * jnp.stack([-rb[1], rb[0]]) - va_lin - wa * jnp.stack([-ra[1], ra[0]])
        if use_bias:
            error = dpb[:2] - dpa[:2] + rb - ra + cj.delta_center
            bias = soft.bias_rate * error
            mass_scale, impulse_scale = soft.mass_scale, soft.impulse_scale
        else:
            bias, mass_scale, impulse_scale = 0.0, 1.0, 0.0
        k11 = ma + mb + ra[1] ** 2 * ia + rb[1] ** 2 * ib
        k12 = -ra[1] * ra[0] * ia - rb[1] * rb[0] * ib
        k22 = ma + mb + ra[0] ** 2 * ia + rb[0] ** 2 * ib
        det = k11 * k22 - k12 * k12
        inv_det = jnp.where(jnp.abs(det) > 1e-12, 1.0 / jnp.where(jnp.abs(det) > 1e-12, det, 1.0), 0.0)
        rhs = cdot + bias
        solved = inv_det * jnp.stack([k22 * rhs[0] - k12 * rhs[1], k11 * rhs[1] - k12 * rhs[0]])
        d = (-mass_scale * solved - impulse_scale * linear[j]) * on
        linear[j] = linear[j] + d
        va_lin, wa = va_lin - ma * d, wa - ia * cross(ra, d)
        vb_lin, wb = vb_lin + mb * d, wb + ib * cross(rb, d)

        v = _write(v, cj, jnp.concatenate([va_lin, wa[None]]), jnp.concatenate([vb_lin, wb[None]]))
    stacked = JointImpulses(*(jnp.stack(x) if x else y for x, y in zip((linear, angular, motor, lower, upper), imp)))
    return stacked, v
