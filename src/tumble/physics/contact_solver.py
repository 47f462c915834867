"""Contact constraints: prepare, warm start, solve (with and without bias), restitution.

All functions work on "lanes": arrays with any leading shape, each lane one
body pair with a two-point manifold.  Body velocities come in as rows
``(vx, vy, w)`` and body displacements since the start of the step as rows
``(dx, dy, dangle)``.  The caller guarantees that no two lanes solved
together share a dynamic body (see ``schedule.py``), so each call is an exact
Gauss-Seidel step.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from tumble.physics.manifold import Manifold, cross
from tumble.physics.softness import Softness


class ContactConstraints(NamedTuple):
    """Per-step constants of a set of contact lanes (points axis of size 2)."""

    normal: jax.Array  # [..., 2]
    anchor_a: jax.Array  # [..., 2, 2]
    anchor_b: jax.Array  # [..., 2, 2]
    separation: jax.Array  # [..., 2] at the start of the step
    normal_mass: jax.Array  # [..., 2], 0 for inactive points
    tangent_mass: jax.Array  # [..., 2]
    relative_velocity: jax.Array  # [..., 2] normal approach speed at the start of the step
    friction: jax.Array  # [...]
    restitution: jax.Array  # [...]
    softness: Softness  # each [...]
    inv_mass_a: jax.Array  # [...]
    inv_inertia_a: jax.Array
    inv_mass_b: jax.Array
    inv_inertia_b: jax.Array


class ContactImpulses(NamedTuple):
    normal: jax.Array  # [..., 2] accumulated over the step
    tangent: jax.Array  # [..., 2]
    max_normal: jax.Array  # [..., 2] largest single normal impulse (restitution gate)


def _perp_velocity(v: jax.Array, r: jax.Array) -> jax.Array:
    """Velocity of the point at offset ``r`` [..., 2, 2] of bodies ``v`` [..., 3]."""
    w = v[..., None, 2]
    return v[..., None, :2] + jnp.stack([-w * r[..., 1], w * r[..., 0]], axis=-1)


def prepare_contacts(
    m: Manifold,
    enabled: jax.Array,
    va: jax.Array,
    vb: jax.Array,
    inv_mass_a: jax.Array,
    inv_inertia_a: jax.Array,
    inv_mass_b: jax.Array,
    inv_inertia_b: jax.Array,
    friction: jax.Array,
    restitution: jax.Array,
    soft: Softness,
    static_soft: Softness,
) -> ContactConstraints:
    """Effective masses and step constants for the lanes of ``m`` (``enabled`` masks lanes)."""
    active = m.active & enabled[..., None]
    n = m.normal[..., None, :]
    t = jnp.stack([m.normal[..., 1], -m.normal[..., 0]], axis=-1)[..., None, :]
    ma, ia = inv_mass_a[..., None], inv_inertia_a[..., None]
    mb, ib = inv_mass_b[..., None], inv_inertia_b[..., None]
    rna, rnb = cross(m.anchor_a, n), cross(m.anchor_b, n)
    rta, rtb = cross(m.anchor_a, t), cross(m.anchor_b, t)
    k_normal = ma + mb + ia * rna**2 + ib * rnb**2
    k_tangent = ma + mb + ia * rta**2 + ib * rtb**2
    usable = active & (k_normal > 0.0)
    dv = _perp_velocity(vb, m.anchor_b) - _perp_velocity(va, m.anchor_a)
    either_static = (inv_mass_a == 0.0) | (inv_mass_b == 0.0)
    pick = lambda s, z: jnp.where(either_static, z, s)  # noqa: E731
    return ContactConstraints(
        normal=m.normal,
        anchor_a=m.anchor_a,
        anchor_b=m.anchor_b,
        separation=m.separation,
        normal_mass=jnp.where(usable, 1.0 / jnp.where(usable, k_normal, 1.0), 0.0),
        tangent_mass=jnp.where(usable, 1.0 / jnp.where(usable, k_tangent, 1.0), 0.0),
        relative_velocity=jnp.sum(dv * n, axis=-1),
        friction=friction,
        restitution=restitution,
        softness=Softness(*(pick(s, z) for s, z in zip(soft, static_soft))),
        inv_mass_a=inv_mass_a,
        inv_inertia_a=inv_inertia_a,
        inv_mass_b=inv_mass_b,
        inv_inertia_b=inv_inertia_b,
    )


def _apply(c: ContactConstraints, va, vb, ra, rb, impulse):
    """Apply ``impulse`` [..., 2] (on B; minus on A) at anchors ``ra``/``rb`` [..., 2]."""
    va = va - jnp.concatenate(
        [c.inv_mass_a[..., None] * impulse, (c.inv_inertia_a * cross(ra, impulse))[..., None]], axis=-1
    )
    vb = vb + jnp.concatenate(
        [c.inv_mass_b[..., None] * impulse, (c.inv_inertia_b * cross(rb, impulse))[..., None]], axis=-1
    )
    return va, vb


def _relative_velocity(va, vb, ra, rb):
    wa, wb = va[..., 2:3], vb[..., 2:3]
    return (vb[..., :2] + wb * jnp.stack([-rb[..., 1], rb[..., 0]], -1)) - (
        va[..., :2] + wa * jnp.stack([-ra[..., 1], ra[..., 0]], -1)
    )


def warm_start_contacts(c: ContactConstraints, imp: ContactImpulses, va, vb):
    """Apply last substep's accumulated impulses."""
    n = c.normal
    t = jnp.stack([n[..., 1], -n[..., 0]], axis=-1)
    for p in range(2):
        impulse = imp.normal[..., p, None] * n + imp.tangent[..., p, None] * t
        va, vb = _apply(c, va, vb, c.anchor_a[..., p, :], c.anchor_b[..., p, :], impulse)
    return va, vb


def solve_contacts(
    c: ContactConstraints,
    imp: ContactImpulses,
    va: jax.Array,
    vb: jax.Array,
    dpa: jax.Array,
    dpb: jax.Array,
    use_bias: bool,
    inv_h: jax.Array,
    max_push: jax.Array,
):
    """One Gauss-Seidel pass over the lanes: normal points, then friction.

    The current separation is the step-start separation moved by the bodies'
    displacements since (linearised in the rotation).  A positive separation
    is a speculative contact: it only stops the bodies from closing more
    than the gap within one substep.
    """
    n = c.normal
    t = jnp.stack([n[..., 1], -n[..., 0]], axis=-1)
    normal_imp, tangent_imp, max_imp = imp.normal, imp.tangent, imp.max_normal
    d_lin = dpb[..., :2] - dpa[..., :2]
    new_normal = []
    new_max = []
    for p in range(2):
        ra, rb = c.anchor_a[..., p, :], c.anchor_b[..., p, :]
        drift = (
            d_lin
            + dpb[..., 2:3] * jnp.stack([-rb[..., 1], rb[..., 0]], -1)
            - dpa[..., 2:3] * jnp.stack([-ra[..., 1], ra[..., 0]], -1)
        )
        s = c.separation[..., p] + jnp.sum(drift * n, axis=-1)
        if use_bias:
            soft_bias = jnp.maximum(c.softness.bias_rate * s, -max_push)
            bias = jnp.where(s > 0.0, s * inv_h, soft_bias)
            mass_scale = jnp.where(s > 0.0, 1.0, c.softness.mass_scale)
            impulse_scale = jnp.where(s > 0.0, 0.0, c.softness.impulse_scale)
        else:
            bias = jnp.where(s > 0.0, s * inv_h, 0.0)
            mass_scale, impulse_scale = 1.0, 0.0
        vn = jnp.sum(_relative_velocity(va, vb, ra, rb) * n, axis=-1)
        old = normal_imp[..., p]
        delta = -c.normal_mass[..., p] * mass_scale * (vn + bias) - impulse_scale * old
        new = jnp.maximum(old + delta, 0.0)
        delta = new - old
        new_normal.append(new)
        new_max.append(jnp.maximum(max_imp[..., p], delta))
        va, vb = _apply(c, va, vb, ra, rb, delta[..., None] * n)
    new_tangent = []
    for p in range(2):
        ra, rb = c.anchor_a[..., p, :], c.anchor_b[..., p, :]
        vt = jnp.sum(_relative_velocity(va, vb, ra, rb) * t, axis=-1)
        old = tangent_imp[..., p]
        limit = c.friction * new_normal[p]
        new = jnp.clip(old - c.tangent_mass[..., p] * vt, -limit, limit)
        new_tangent.append(new)
        va, vb = _apply(c, va, vb, ra, rb, (new - old)[..., None] * t)
    imp = ContactImpulses(jnp.stack(new_normal, -1), jnp.stack(new_tangent, -1), jnp.stack(new_max, -1))
    return imp, va, vb


def apply_restitution(c: ContactConstraints, imp: ContactImpulses, va, vb, threshold):
    """Bounce: drive the normal speed of impacting points to ``-e`` times the approach speed."""
    n = c.normal
    normal_imp = imp.normal
    new_normal = []
    for p in range(2):
        ra, rb = c.anchor_a[..., p, :], c.anchor_b[..., p, :]
        bounce = (c.relative_velocity[..., p] < -threshold) & (imp.max_normal[..., p] > 0.0) & (c.restitution > 0.0)
        vn = jnp.sum(_relative_velocity(va, vb, ra, rb) * n, axis=-1)
        old = normal_imp[..., p]
        delta = -c.normal_mass[..., p] * (vn + c.restitution * c.relative_velocity[..., p])
        new = jnp.where(bounce, jnp.maximum(old + delta, 0.0), old)
        new_normal.append(new)
        va, vb = _apply(c, va, vb, ra, rb, (new - old)[..., None] * n)
    return imp._replace(normal=jnp.stack(new_normal, -1)), va, vb
