"""Level mutations for ACCEL-style curricula: small edits that keep a level valid.

One edit moves a *free component* (a dynamic body and everything jointed to it,
with no static body and no joint to the world in the chain) rigidly by a random
offset of at most ``max_shift`` metres per axis, clamped so its centres stay
inside the world box.  Joints keep their body-frame anchors, so a moved machine
stays assembled; roles, motors and thrusters are untouched.  A level with no
free component is returned unchanged.  Pure JAX: ``jit``/``vmap`` it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from tumble.levels.compile import CompiledLevel

WORLD_MARGIN = 0.3  # metres kept between a moved centre and the world box's edge


def joint_components(level: CompiledLevel) -> jax.Array:
    """``bool[N, N]``: bodies ``i`` and ``j`` are linked by a chain of active joints (reflexive)."""
    scene = level.scene
    n = scene.capacity.n_bodies
    j = scene.joints
    a = jnp.where(j.active, j.body_a, -1)
    b = jnp.where(j.active, j.body_b, -1)
    ok = (a >= 0) & (b >= 0)
    adj = jnp.eye(n, dtype=bool)
    adj = adj.at[jnp.where(ok, a, n), jnp.where(ok, b, n)].set(True, mode="drop")
    adj = adj.at[jnp.where(ok, b, n), jnp.where(ok, a, n)].set(True, mode="drop")

    def grow(reach, _):  # squaring doubles the chain length covered: 2**bit_length(n) > n - 1 links
        r = reach.astype(jnp.int32)
        return (r @ r) > 0, None

    reach, _ = jax.lax.scan(grow, adj, None, length=max(1, n.bit_length()))
    return reach


def mutate_level(key: jax.Array, level: CompiledLevel, max_shift: float = 0.6, world: float = 5.0) -> CompiledLevel:
    """One random rigid move of a free component (see the module docstring)."""
    scene = level.scene
    props = scene.props
    reach = joint_components(level)
    j = scene.joints
    to_world = j.active & ((j.body_a < 0) | (j.body_b < 0))
    n = scene.capacity.n_bodies
    anchored = jnp.zeros((n,), bool)
    anchored = anchored.at[jnp.where(to_world, jnp.maximum(j.body_a, j.body_b), n)].set(True, mode="drop")
    static = props.active & (props.inv_mass == 0)
    bad = static | anchored
    comp_bad = jnp.any(reach & bad[None, :], axis=1)
    eligible = props.active & ~static & ~comp_bad
    k_pick, k_move = jax.random.split(key)
    pick = jax.random.categorical(k_pick, jnp.where(eligible, 0.0, -1e9))
    members = reach[pick] & props.active
    pos = scene.state.position
    lo = jnp.min(jnp.where(members[:, None], pos, jnp.inf), axis=0)
    hi = jnp.max(jnp.where(members[:, None], pos, -jnp.inf), axis=0)
    shift = jax.random.uniform(k_move, (2,), minval=-max_shift, maxval=max_shift)
    shift = jnp.clip(shift, WORLD_MARGIN - lo, world - WORLD_MARGIN - hi)
    shift = jnp.where(jnp.any(eligible) & jnp.all(jnp.isfinite(shift)), shift, 0.0)
    new_pos = jnp.where(members[:, None], pos + shift, pos)
    return level.replace(scene=scene.replace(state=scene.state.replace(position=new_pos)))
