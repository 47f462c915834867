"""The procedural generator: jit/vmap, determinism, the invariants of every level, the no-op filter, files."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tumble.levels import compile_level, load_level, parse_level, replay, unstack_level
from tumble.levels.codec import level_to_dict
from tumble.levels.from_arrays import level_from_arrays
from tumble.levels.generator import generate, generate_batch, generate_to_files, polygon_mass_properties
from tumble.levels.model import BLUE, GREEN, RED
from tumble.levels.noop_filter import NOOP_STEPS, generate_filtered
from tumble.levels.outcome import ACTION_SIZE
from tumble.levels.sizes import SIZES
from tumble.physics import Controls, step
from tumble.physics.geometry import circle_mass, polygon_mass

BATCH = 64


def _host(tree):
    return jax.tree_util.tree_map(np.asarray, tree)


@pytest.fixture(scope="module", params=["s", "m", "l"])
def batch(request):
    size = request.param
    return size, _host(generate_batch(jax.random.PRNGKey(7), size, BATCH))


@pytest.fixture(scope="module")
def small_batch():
    return _host(generate_batch(jax.random.PRNGKey(7), "s", BATCH))


def test_jit_vmap_and_determinism(small_batch):
    keys = jax.random.split(jax.random.PRNGKey(7), BATCH)
    single = jax.jit(lambda k: generate(k, "s"))
    for i in (0, 5):
        one = _host(single(keys[i]))
        for a, b in zip(jax.tree_util.tree_leaves(one), jax.tree_util.tree_leaves(unstack_level(small_batch, i))):
            np.testing.assert_array_equal(a, b)
    again = _host(generate_batch(jax.random.PRNGKey(7), "s", BATCH))
    for a, b in zip(jax.tree_util.tree_leaves(again), jax.tree_util.tree_leaves(small_batch)):
        np.testing.assert_array_equal(a, b)
    pos = small_batch.scene.state.position
    assert len({pos[i].tobytes() for i in range(BATCH)}) == BATCH  # different keys, different levels
    typed = _host(single(jax.random.key(3)))  # new-style keys work too
    assert typed.scene.props.active.any()


def test_one_green_one_blue_at_most_one_red(batch):
    _, b = batch
    active, roles, floor = b.scene.props.active, b.roles, b.wall_roles[:, 0]
    for role, allowed in ((GREEN, {1}), (BLUE, {1}), (RED, {0, 1})):
        count = ((roles == role) & active).sum(axis=1) + (floor == role)
        assert set(np.unique(count)) <= allowed, (role, np.unique(count))
    assert np.all(roles[~active] == 0)
    assert np.all(b.wall_roles[:, 1:] == 0)


def test_mass_properties_are_exact(batch):
    _, b = batch
    cap, props = b.scene.capacity, b.scene.props
    checked = 0
    for i in range(BATCH):
        for k in np.flatnonzero(props.active[i]):
            if k < cap.n_polygons:
                n = b.scene.polygons.n_vertices[i, k]
                exact = polygon_mass(b.scene.polygons.vertices[i, k, :n].astype(np.float64), props.density[i, k])
                np.testing.assert_allclose(exact.centroid, 0.0, atol=1e-6)  # vertices around the centre of mass
            else:
                exact = circle_mass(float(b.scene.circles.radius[i, k - cap.n_polygons]), float(props.density[i, k]))
            if props.inv_mass[i, k] == 0.0:
                assert props.inv_inertia[i, k] == 0.0  # fixed
                continue
            np.testing.assert_allclose(props.inv_mass[i, k], 1.0 / exact.mass, rtol=1e-5)
            np.testing.assert_allclose(props.inv_inertia[i, k], 1.0 / exact.inertia, rtol=1e-5)
            checked += 1
    assert checked > BATCH


def test_polygon_mass_properties_match_geometry():
    verts = np.array([[0.0, 0.0], [1.0, -0.2], [1.4, 0.7], [0.5, 1.2], [-0.3, 0.6]])
    padded = np.concatenate([verts, verts[:1], verts[:1]])  # padding repeats vertex 0
    mass, centre, inertia = polygon_mass_properties(jnp.asarray(padded, jnp.float32), 2.0)
    exact = polygon_mass(verts, 2.0)
    np.testing.assert_allclose(float(mass), exact.mass, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(centre), exact.centroid, atol=1e-5)
    np.testing.assert_allclose(float(inertia), exact.inertia, rtol=1e-4)


def test_no_initial_overlaps(batch):
    size, b = batch
    cap = b.scene.capacity
    zero = Controls(jnp.zeros((BATCH, cap.n_joints)), jnp.zeros((BATCH, cap.n_thrusters)))
    _, info = jax.jit(jax.vmap(step))(b.scene, zero, b.params)
    touching, walls = np.asarray(info.touching).copy(), np.asarray(info.wall_touching)
    jt = b.scene.joints
    for i in range(BATCH):
        for k in np.flatnonzero(jt.active[i]):  # jointed pairs do not collide
            touching[i, jt.body_a[i, k], jt.body_b[i, k]] = touching[i, jt.body_b[i, k], jt.body_a[i, k]] = False
    assert not touching.any(), f"{size}: levels {np.flatnonzero(touching.any(axis=(1, 2)))} start touching"
    assert not walls.any()
    pos = b.scene.state.position[b.scene.props.active]
    assert np.all((pos > 0.0) & (pos < 5.0))


def test_entities_point_at_active_bodies_and_an_actuator_moves_something(batch):
    _, b = batch
    sc = b.scene
    cap = sc.capacity
    active, dynamic = sc.props.active, sc.props.active & (sc.props.inv_mass > 0)
    for name in ("n_polygons", "n_circles", "n_joints", "n_thrusters"):
        assert getattr(cap, name) == getattr(SIZES[batch[0]], name)
    for i in range(BATCH):
        # packed: the active slots of each kind come first
        p = cap.n_polygons
        for flags in (active[i, :p], active[i, p:], sc.joints.active[i], sc.thrusters.active[i]):
            assert not np.any(flags[1:] & ~flags[:-1])
        effective = False
        for k in np.flatnonzero(sc.joints.active[i]):
            a, c = sc.joints.body_a[i, k], sc.joints.body_b[i, k]
            assert a != c and active[i, a] and active[i, c]
            channel = b.motor_channel[i, k]
            if sc.joints.motor_enabled[i, k]:
                assert 0 <= channel < 4 and not sc.joints.is_fixed[i, k] and sc.joints.max_motor_torque[i, k] > 0
                effective |= bool(dynamic[i, a] or dynamic[i, c])
            else:
                assert channel == -1
        for k in np.flatnonzero(sc.thrusters.active[i]):
            body = sc.thrusters.body[i, k]
            assert dynamic[i, body] and sc.thrusters.max_force[i, k] > 0 and 0 <= b.thruster_channel[i, k] < 2
            effective = True
        assert effective, f"level {i} has no actuator that moves anything"
        motors = sc.joints.active[i] & sc.joints.motor_enabled[i]
        np.testing.assert_array_equal(b.motor_free_at_zero[i], motors)  # idle free at 0, as the reference's
        assert np.all(b.motor_channel[i][~sc.joints.active[i]] == -1)
        assert np.all(b.thruster_channel[i][~sc.thrusters.active[i]] == -1)


def test_round_trip_through_documents(batch):
    size, b = batch
    for i in range(0, BATCH, 4):
        one = unstack_level(b, i)
        level = level_from_arrays(one, f"gen-{i}")
        assert level.size == size
        again = compile_level(parse_level(json.loads(json.dumps(level_to_dict(level)))))
        for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(one), jax.tree_util.tree_leaves(again)):
            x, y = np.asarray(x), np.asarray(y)
            if x.dtype.kind in "bi":
                np.testing.assert_array_equal(x, y, err_msg=jax.tree_util.keystr(path))
            else:
                np.testing.assert_allclose(x, y, rtol=2e-5, atol=2e-5, err_msg=jax.tree_util.keystr(path))


def test_filtered_levels_are_not_solved_by_a_noop():
    levels = generate_filtered(jax.random.PRNGKey(11), "s", 16)
    noop = jnp.zeros((NOOP_STEPS, ACTION_SIZE), jnp.float32)
    out = jax.jit(jax.vmap(lambda lv: replay(lv, noop, 2)))(levels)
    assert not np.asarray(out.solved[:, -1]).any()


def test_generate_to_files(tmp_path):
    paths = generate_to_files(tmp_path, size="s", count=2, seed=5, noop_filter=False)
    assert [p.name for p in paths] == ["gen-s-5-00000.json", "gen-s-5-00001.json"]
    for p in paths:
        level = load_level(p)
        assert level.family == "generated" and level.size == "s"
        compile_level(level)
    with pytest.raises(FileExistsError):
        generate_to_files(tmp_path, size="s", count=2, seed=5, noop_filter=False)
    again = generate_to_files(tmp_path, size="s", count=2, seed=5, noop_filter=False, overwrite=True)
    assert again == paths
