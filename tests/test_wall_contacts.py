"""The wall contact solver (a static wall with a constant normal) against the general two-body contact solver.

``solve_wall_contacts`` and ``apply_wall_restitution`` drop every term that a
static, axis-aligned wall makes zero.  With a static body A of zero masses
and arms, the general lane solver computes the same impulses and velocities,
so for each of the four walls, a tilted box pressed into it, sliding, and
a bouncing one, the two must agree.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from tumble.physics import manifold as mf
from tumble.physics.contact_solver import (
    ContactImpulses,
    apply_restitution,
    apply_wall_restitution,
    prepare_contacts,
    solve_contacts,
    solve_wall_contacts,
    wall_constraints,
)
from tumble.physics.scene import WALL_NORMALS
from tumble.physics.softness import make_softness

H = 1.0 / 300.0


def _box_against(wall: int):
    """Constraints of a tilted 1x0.5 box 1 cm into ``wall``, moving into it and along it."""
    normal = np.asarray(WALL_NORMALS[wall], np.float32)
    tangent = np.array([normal[1], -normal[0]], np.float32)
    offset = 0.0
    position = normal * 0.2 + tangent * 0.3  # centre 0.2 m inside the wall's half-plane
    verts = jnp.array([[-0.5, -0.25], [0.5, -0.25], [0.5, 0.25], [-0.5, 0.25]], jnp.float32)
    angle = float(np.arctan2(normal[1], normal[0])) + 0.1  # the box's short side faces the wall, tilted
    m = mf.wall_polygon(jnp.asarray(normal), offset, jnp.asarray(position), angle, verts, 4, 0.05)
    assert bool(m.active[0]) and bool(m.active[1])
    velocity = tuple(jnp.float32(x) for x in (-1.5 * normal + 0.8 * tangent)) + (jnp.float32(2.0),)
    zero = jnp.float32(0.0)
    mb, ib = jnp.float32(1 / 0.5), jnp.float32(1 / 0.05)
    c, bounce = prepare_contacts(m, jnp.bool_(True), (zero,) * 3, velocity, zero, zero, mb, ib,
                                 jnp.float32(0.6), jnp.float32(0.5))
    return c, bounce, velocity, mb, ib


@pytest.mark.parametrize("wall", range(4))
@pytest.mark.parametrize("use_bias", [True, False])
def test_wall_solve_equals_the_two_body_solve_with_a_static_body(wall, use_bias):
    c, _, vb, mb, ib = _box_against(wall)
    soft = make_softness(jnp.float32(30.0), jnp.float32(10.0), H)
    stiff = make_softness(jnp.float32(60.0), jnp.float32(10.0), H)
    warm = ContactImpulses((jnp.float32(0.01), jnp.float32(0.02)), (jnp.float32(0.003), jnp.float32(-0.001)),
                           (jnp.float32(0.0), jnp.float32(0.0)))
    dpb = (jnp.float32(0.001), jnp.float32(-0.002), jnp.float32(0.003))
    zero = (jnp.float32(0.0),) * 3
    bias = jnp.bool_(use_bias)
    inv_h, max_push = jnp.float32(1 / H), jnp.float32(3.0)
    general, _, v_general = solve_contacts(c, warm, zero, vb, zero, dpb, bias, inv_h, max_push, soft, stiff)
    special, v_special = solve_wall_contacts(wall_constraints(c), WALL_NORMALS[wall], warm, vb, dpb, mb, ib,
                                             bias, inv_h, max_push, stiff)
    np.testing.assert_allclose(np.array(special), np.array(general), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.array(v_special), np.array(v_general), rtol=1e-5, atol=1e-6)
    assert float(general.normal[0]) > 0.0  # the case is not trivial: the wall pushes


@pytest.mark.parametrize("wall", range(4))
def test_wall_restitution_equals_the_two_body_restitution(wall):
    c, bounce, vb, mb, ib = _box_against(wall)
    pushed = ContactImpulses((jnp.float32(0.4), jnp.float32(0.3)), (jnp.float32(0.0), jnp.float32(0.0)),
                             (jnp.float32(0.4), jnp.float32(0.3)))
    zero = (jnp.float32(0.0),) * 3
    threshold = jnp.float32(1.0)
    general, _, v_general = apply_restitution(c, bounce, pushed, zero, vb, threshold)
    special, v_special = apply_wall_restitution(wall_constraints(c), WALL_NORMALS[wall], bounce, pushed, vb, mb, ib,
                                                threshold)
    np.testing.assert_allclose(np.array(special), np.array(general), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.array(v_special), np.array(v_general), rtol=1e-5, atol=1e-6)
    assert not np.allclose(np.array(general.normal), np.array(pushed.normal))  # it bounced


@pytest.mark.parametrize("use_bias", [True, False])
def test_a_contact_without_mass_or_impulse_changes_nothing(use_bias):
    """The solver skips rounds and walls whose rows have no mass and no impulse: that must be exact."""
    c, _, vb, mb, ib = _box_against(0)
    c = c._replace(row_mass=(jnp.float32(0.0),) * 4)  # as prepared for points that are not live
    zero2 = (jnp.float32(0.0), jnp.float32(0.0))
    none = ContactImpulses(zero2, zero2, zero2)
    va = (jnp.float32(0.3), jnp.float32(-0.2), jnp.float32(1.0))
    dp = (jnp.float32(0.001), jnp.float32(-0.002), jnp.float32(0.003))
    soft = make_softness(jnp.float32(30.0), jnp.float32(10.0), H)
    args = (jnp.bool_(use_bias), jnp.float32(1 / H), jnp.float32(3.0))
    imp, va_out, vb_out = solve_contacts(c._replace(ma=mb, ia=ib), none, va, vb, dp, dp, *args, soft, soft)
    assert np.array_equal(np.array(imp), np.array(none))
    assert np.array_equal(np.array(va_out), np.array(va)) and np.array_equal(np.array(vb_out), np.array(vb))
    imp, vb_out = solve_wall_contacts(wall_constraints(c), WALL_NORMALS[0], none, vb, dp, mb, ib, *args, soft)
    assert np.array_equal(np.array(imp), np.array(none)) and np.array_equal(np.array(vb_out), np.array(vb))
