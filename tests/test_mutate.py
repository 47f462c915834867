"""Level mutations (ACCEL): one rigid move of one free joint-connected component, nothing else changes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tumble.levels import Circle, Joint, Level, Polygon, compile_level
from tumble.levels.generator import generate_batch
from tumble.levels.mutate import WORLD_MARGIN, joint_components, mutate_level

BOX = ((-0.1, -0.1), (0.1, -0.1), (0.1, 0.1), (-0.1, 0.1))
N_GEN = 16
MAX_SHIFT = 0.6  # mutate_level's default


def anchored_level() -> Level:
    """S level: a static post (body 0) with a circle jointed to it (body 1), and a free circle (body 2)."""
    return Level(name="anchored", size="s", shapes=(
        Polygon(BOX, position=(2.5, 2.0), static=True),
        Circle(0.1, position=(2.5, 2.35)),
        Circle(0.15, position=(1.0, 3.0), role="green"),
    ), joints=(Joint(b=1, a=0, anchor=(2.5, 2.2)),))


def stuck_level() -> Level:
    """S level without a free component: a static box, a circle pinned to the world, a static circle."""
    return Level(name="stuck", size="s", shapes=(
        Polygon(BOX, position=(1.0, 1.0), static=True),
        Circle(0.1, position=(3.0, 3.0)),
        Circle(0.2, position=(4.0, 1.5), static=True),
    ), joints=(Joint(b=1, a=None, anchor=(3.0, 3.2)),))


def chain_level() -> Level:
    """L level: a chain of 7 bodies (6 joints) hanging from a static box; no free component."""
    shapes = [Polygon(BOX, position=(0.5, 2.5), static=True), Polygon(BOX, position=(1.0, 2.5)),
              Polygon(BOX, position=(1.5, 2.5))] + [Circle(0.1, position=(0.5 + 0.5 * i, 2.5)) for i in range(3, 7)]
    joints = tuple(Joint(b=i + 1, a=i, anchor=(0.75 + 0.5 * i, 2.5)) for i in range(6))
    return Level(name="chain", size="l", shapes=tuple(shapes), joints=joints)


def np_tree(level):
    return jax.tree_util.tree_map(np.asarray, level)


def take(batch, i):
    return jax.tree_util.tree_map(lambda x: x[i], batch)


def components(level) -> list[set[int]]:
    """Joint-connected components of active bodies (union-find over active body-body joints)."""
    active = np.asarray(level.scene.props.active)
    parent = list(range(len(active)))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    j = level.scene.joints
    for act, a, b in zip(np.asarray(j.active), np.asarray(j.body_a), np.asarray(j.body_b)):
        if act and a >= 0 and b >= 0:
            parent[find(int(a))] = find(int(b))
    groups: dict[int, set[int]] = {}
    for i in np.flatnonzero(active):
        groups.setdefault(find(int(i)), set()).add(int(i))
    return list(groups.values())


def free_components(level) -> list[set[int]]:
    props, j = level.scene.props, level.scene.joints
    static = set(np.flatnonzero(np.asarray(props.active) & (np.asarray(props.inv_mass) == 0)).tolist())
    pinned = {int(max(a, b)) for act, a, b in zip(np.asarray(j.active), np.asarray(j.body_a), np.asarray(j.body_b))
              if act and min(a, b) < 0}
    return [c for c in components(level) if not (c & (static | pinned))]


def world_anchors(level) -> tuple[np.ndarray, np.ndarray]:
    """World anchor points (a side, b side) of the level's active joints; body -1 is the world."""
    s = level.scene
    pos, ang, j = np.asarray(s.state.position), np.asarray(s.state.angle), s.joints

    def world(body, local):
        if body < 0:
            return local
        c, si = np.cos(ang[body]), np.sin(ang[body])
        return pos[body] + np.array([c * local[0] - si * local[1], si * local[0] + c * local[1]])

    wa, wb = [], []
    for k in np.flatnonzero(np.asarray(j.active)):
        wa.append(world(int(j.body_a[k]), np.asarray(j.local_anchor_a[k])))
        wb.append(world(int(j.body_b[k]), np.asarray(j.local_anchor_b[k])))
    return np.array(wa).reshape(-1, 2), np.array(wb).reshape(-1, 2)


def assert_same_except_position(a, b):
    a = a.replace(scene=a.scene.replace(state=a.scene.state.replace(position=jnp.zeros(()))))
    b = b.replace(scene=b.scene.replace(state=b.scene.state.replace(position=jnp.zeros(()))))
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


@pytest.fixture(scope="module")
def levels():
    """16 generated S levels (two batches of 8: the batch size test_curricula compiles too) and the hand-made two."""
    gen = [generate_batch(jax.random.PRNGKey(k), "s", 8) for k in (0, 1)]
    extra = [compile_level(anchored_level()), compile_level(stuck_level())]
    return jax.tree_util.tree_map(lambda g0, g1, *e: jnp.concatenate([g0, g1] + [x[None] for x in e]), *gen, *extra)


@pytest.fixture(scope="module")
def mutate():
    return jax.jit(jax.vmap(mutate_level))


@pytest.fixture(scope="module")
def mutated(levels, mutate):
    return mutate(jax.random.split(jax.random.PRNGKey(0), levels.roles.shape[0]), levels)


def test_joint_components_match_union_find(levels):
    reach = np.asarray(jax.jit(jax.vmap(joint_components))(levels))
    n = reach.shape[1]
    for i in range(reach.shape[0]):
        lv = take(levels, i)
        expect = np.eye(n, dtype=bool)
        for comp in components(lv):
            for a in comp:
                for b in comp:
                    expect[a, b] = True
        np.testing.assert_array_equal(reach[i], expect, err_msg=f"level {i}")
    # the anchored level: bodies 0 and 1 linked, 2 alone
    np.testing.assert_array_equal(reach[N_GEN], [[1, 1, 0], [1, 1, 0], [0, 0, 1]])


def test_joint_components_cover_long_chains():
    """A 7-body chain (6 links) in size L: its two ends are in one component."""
    lv = compile_level(chain_level())
    reach = np.asarray(joint_components(lv))
    chain = next(c for c in components(lv) if len(c) == 7)
    for a in chain:
        for b in chain:
            assert reach[a, b], (a, b)
    # nothing of it is free (it hangs from a static box), so a mutation leaves it where it is
    out = jax.jit(mutate_level)(jax.random.PRNGKey(0), lv)
    np.testing.assert_array_equal(np.asarray(out.scene.state.position), np.asarray(lv.scene.state.position))


def test_one_free_component_moves_rigidly(levels, mutated):
    """Static and pinned bodies stay; exactly one free component moves, all its bodies by one offset."""
    n_free = 0
    for i in range(levels.roles.shape[0]):
        before, after = np_tree(take(levels, i)), np_tree(take(mutated, i))
        assert_same_except_position(before, after)
        delta = after.scene.state.position - before.scene.state.position
        moved = set(np.flatnonzero(np.any(delta != 0, axis=1)).tolist())
        free = free_components(before)
        static = np.asarray(before.scene.props.inv_mass) == 0
        assert not np.any(delta[static & np.asarray(before.scene.props.active)]), f"level {i}: a static body moved"
        if not free:
            assert not moved, f"level {i}: no free component, but bodies {moved} moved"
            continue
        n_free += 1
        assert moved in free, f"level {i}: moved {moved}, free components {free}"
        shift = delta[sorted(moved)]
        np.testing.assert_allclose(shift, np.broadcast_to(shift[0], shift.shape), atol=1e-6)
        assert np.all(np.abs(shift[0]) <= MAX_SHIFT + 1e-5), shift[0]
        centres = after.scene.state.position[sorted(moved)]
        assert np.all(centres >= WORLD_MARGIN - 1e-5) and np.all(centres <= 5.0 - WORLD_MARGIN + 1e-5), centres
    assert n_free >= N_GEN // 2, "too few levels with a free component: the test would say little"


def test_hand_made_levels(levels, mutated):
    """The anchored level moves only its free circle; the stuck level is returned unchanged."""
    pos0, pos1 = np.asarray(levels.scene.state.position), np.asarray(mutated.scene.state.position)
    d = pos1[N_GEN] - pos0[N_GEN]
    assert np.all(d[:2] == 0) and np.any(d[2] != 0)
    stuck, out = take(levels, N_GEN + 1), take(mutated, N_GEN + 1)
    for x, y in zip(jax.tree_util.tree_leaves(stuck), jax.tree_util.tree_leaves(out)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_joint_anchors_stay_coincident(levels, mutated):
    """Both ends of every joint meet at one world point after the move, as they did before."""
    moved_joints = 0
    for i in range(levels.roles.shape[0]):
        wa0, wb0 = world_anchors(take(levels, i))
        np.testing.assert_allclose(wa0, wb0, atol=1e-4)  # assembled before
        wa1, wb1 = world_anchors(take(mutated, i))
        np.testing.assert_allclose(wa1, wb1, atol=1e-4, err_msg=f"level {i}: a joint came apart")
        moved_joints += int(np.sum(np.any(np.abs(wa1 - wa0) > 1e-6, axis=1)))
    assert moved_joints >= 4, "too few moved joints: the test would say little"


def test_deterministic_for_a_key(levels, mutate, mutated):
    keys = jax.random.split(jax.random.PRNGKey(0), levels.roles.shape[0])
    again = mutate(keys, levels)
    np.testing.assert_array_equal(np.asarray(again.scene.state.position), np.asarray(mutated.scene.state.position))
    other = mutate(jax.random.split(jax.random.PRNGKey(1), levels.roles.shape[0]), levels)
    assert not np.array_equal(np.asarray(other.scene.state.position), np.asarray(mutated.scene.state.position))
