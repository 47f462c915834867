"""Which body pairs may collide: categories and masks, joints, joint chains."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from tumble.physics.scene import Scene


def joined_pairs(u: jax.Array, w: jax.Array, on: jax.Array, n_slots: int) -> jax.Array:
    """bool [n_slots, n_slots]: ``(u[j], w[j])`` and ``(w[j], u[j])`` for every ``j`` where ``on[j]``.

    Compares and a reduction rather than a scatter: a one-scene step then
    holds no scatter, and XLA can compile a loop of steps whole
    (tumble/whole_loops.py).  Indices outside ``[0, n_slots)`` mark nothing.
    """
    rows = jnp.arange(n_slots)[:, None, None]
    cols = jnp.arange(n_slots)[None, :, None]
    hit = ((u == rows) & (w == cols)) | ((w == rows) & (u == cols))  # [n_slots, n_slots, J]
    return jnp.any(hit & on, axis=-1)


def chain_labels(adjacent: jax.Array, n_rounds: int) -> jax.Array:
    """int [S]: the least slot index of each slot's connected component of ``adjacent`` (bool [S, S]).

    Every slot takes the least label among its neighbours, once per round;
    ``n_rounds`` must be at least the longest shortest path (a chain of ``k``
    joints needs ``k``).
    """
    size = adjacent.shape[0]

    def spread(_, label):
        return jnp.minimum(label, jnp.min(jnp.where(adjacent, label[None, :], size), axis=1))

    return jax.lax.fori_loop(0, n_rounds, spread, jnp.arange(size))


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
    out = joined_pairs(ia, ib, joints.active & ~joints.collide_connected, n + 1)

    links = joints.active & (joints.body_a >= 0) & (joints.body_b >= 0)
    adjacent = joined_pairs(ia, ib, links, n + 1)
    label = chain_labels(adjacent, min(n, max(scene.capacity.n_joints, 1)))  # a chain has at most n_joints links
    in_chain = jnp.any(adjacent, axis=1)  # the ground slot has no links
    same = (label[:, None] == label[None, :]) & in_chain[:, None] & in_chain[None, :]
    return out | (same & scene.joint_chain_filter)


def category_allows(category_a: jax.Array, mask_a: jax.Array, category_b: jax.Array, mask_b: jax.Array) -> jax.Array:
    """Box2D's rule: each body's category must be in the other's mask."""
    return ((category_a & mask_b) != 0) & ((category_b & mask_a) != 0)
