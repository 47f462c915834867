"""Which body pairs may collide: categories and masks, joints, joint chains."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from tumble.physics.scene import Scene


def excluded_pairs(scene: Scene) -> jax.Array:
    """bool [N+1, N+1]: pairs that must not collide because of joints.

    Directly jointed bodies never collide unless the joint says
    ``collide_connected``.  With ``scene.joint_chain_filter`` (Kinetix's rule)
    no two bodies of one joint chain collide.  The last row/column is the
    ground slot (joints to the world do not join chains).
    """
    n = scene.capacity.n_bodies
    joints = scene.joints
    ground = n
    ia = jnp.where(joints.body_a < 0, ground, joints.body_a)
    ib = jnp.where(joints.body_b < 0, ground, joints.body_b)
    direct = joints.active & ~joints.collide_connected
    out = jnp.zeros((n + 1, n + 1), bool)
    out = out.at[ia, ib].max(direct).at[ib, ia].max(direct)

    # connected components of the joint graph by min-label propagation
    links = joints.active & (joints.body_a >= 0) & (joints.body_b >= 0)
    la = jnp.where(links, ia, ground)
    lb = jnp.where(links, ib, ground)

    def spread(_, label):
        label = label.at[la].min(label[lb])
        label = label.at[lb].min(label[la])
        return label.at[ground].set(ground)

    n_rounds = min(n, max(scene.capacity.n_joints, 1))  # a chain has at most n_joints links
    label = jax.lax.fori_loop(0, n_rounds, spread, jnp.arange(n + 1))
    in_chain = jnp.zeros((n + 1,), bool).at[la].set(True).at[lb].set(True).at[ground].set(False)
    same = (label[:, None] == label[None, :]) & in_chain[:, None] & in_chain[None, :]
    return out | (same & scene.joint_chain_filter)


def category_allows(category_a: jax.Array, mask_a: jax.Array, category_b: jax.Array, mask_b: jax.Array) -> jax.Array:
    """Box2D's rule: each body's category must be in the other's mask."""
    return ((category_a & mask_b) != 0) & ((category_b & mask_a) != 0)
