"""The entity-transformer and pixel-CNN torsos on real observations: shapes, symmetry, masking, gradients."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tumble
from tumble.agents.networks.entity_transformer import EntityTransformer
from tumble.agents.networks.pixel_cnn import PixelCNN

BATCH = 8
MODEL = EntityTransformer(width=32, heads=4, layers=2, out_dim=24)


def _reset(env, params, key, batch=BATCH):
    return jax.jit(jax.vmap(env.reset, in_axes=(0, None)))(jax.random.split(key, batch), params)


@pytest.fixture(scope="module")
def s_obs():
    """Size-S entity observations after a few random-action steps (so contacts and velocities are set)."""
    env, params = tumble.make("s", observation="entity")
    key = jax.random.PRNGKey(0)
    obs, state = _reset(env, params, key)
    step = jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None)))
    space = env.action_space(params)
    for _ in range(3):
        key, k_act, k_step = jax.random.split(key, 3)
        action = jax.vmap(space.sample)(jax.random.split(k_act, BATCH))
        obs, state, *_ = step(jax.random.split(k_step, BATCH), state, action, params)
    return jax.tree.map(np.asarray, obs)


@pytest.fixture(scope="module")
def m_obs():
    """Size-M entity observations of bundled levels, straight after reset."""
    env, params = tumble.make("m", observation="entity", levels="bundled")
    obs, _ = _reset(env, params, jax.random.PRNGKey(1))
    return jax.tree.map(np.asarray, obs)


@pytest.fixture(scope="module", params=["s", "m"])
def obs(request, s_obs, m_obs):
    return {"s": s_obs, "m": m_obs}[request.param]


@pytest.fixture(scope="module")
def variables(s_obs):
    # The parameters do not depend on the slot counts, so one set serves both sizes.  Noise on every
    # parameter (fresh biases and LayerNorm offsets are zero) so that masking mistakes cannot hide
    # behind all-zero tokens.
    variables = MODEL.init(jax.random.PRNGKey(42), s_obs)
    leaves, tree = jax.tree.flatten(variables)
    keys = jax.random.split(jax.random.PRNGKey(43), len(leaves))
    return jax.tree.unflatten(tree, [x + 0.1 * jax.random.normal(k, x.shape) for x, k in zip(leaves, keys)])


@pytest.fixture(scope="module")
def apply():
    return jax.jit(MODEL.apply)


def permute_observation(obs, polygon_perm, circle_perm, joint_perm, thruster_perm):
    """The observation with its slots reordered: new slot ``i`` holds old slot ``perm[i]`` of each kind.

    Shape slots are polygons then circles, so a shape permutation is the two
    concatenated; every shape index (joint and thruster indices, the attention
    masks) is remapped to the new slots, -1 staying -1.
    """
    n_polygons = obs["polygons"].shape[1]
    shape_perm = np.concatenate([np.asarray(polygon_perm), n_polygons + np.asarray(circle_perm)])
    new_slot = np.argsort(shape_perm)  # old slot -> new slot
    remap = lambda index: np.where(index >= 0, new_slot[np.clip(index, 0, None)], -1).astype(index.dtype)  # noqa: E731
    out = dict(obs)
    out["polygons"], out["polygon_mask"] = obs["polygons"][:, polygon_perm], obs["polygon_mask"][:, polygon_perm]
    out["circles"], out["circle_mask"] = obs["circles"][:, circle_perm], obs["circle_mask"][:, circle_perm]
    out["joints"], out["joint_mask"] = obs["joints"][:, joint_perm], obs["joint_mask"][:, joint_perm]
    out["joint_index"] = remap(obs["joint_index"][:, joint_perm])
    out["thrusters"], out["thruster_mask"] = obs["thrusters"][:, thruster_perm], obs["thruster_mask"][:, thruster_perm]
    out["thruster_index"] = remap(obs["thruster_index"][:, thruster_perm])
    out["attention_mask"] = obs["attention_mask"][:, :, shape_perm][:, :, :, shape_perm]
    return out


def insert_inactive_polygon(obs, features):
    """The observation with an extra inactive polygon slot at slot 0, whose row is ``features`` ``[B, Fp]``."""
    out = dict(obs)
    out["polygons"] = np.concatenate([features[:, None].astype(np.float32), obs["polygons"]], axis=1)
    out["polygon_mask"] = np.concatenate([np.zeros_like(obs["polygon_mask"][:, :1]), obs["polygon_mask"]], axis=1)
    shift = lambda index: np.where(index >= 0, index + 1, -1).astype(index.dtype)  # noqa: E731
    out["joint_index"] = shift(obs["joint_index"])
    out["thruster_index"] = shift(obs["thruster_index"])
    out["attention_mask"] = np.pad(obs["attention_mask"], ((0, 0), (0, 0), (1, 0), (1, 0)))
    return out


def test_output_shape_and_finite(obs, variables, apply):
    out = np.asarray(apply(variables, obs))
    assert out.shape == (BATCH, 24)
    assert np.isfinite(out).all()
    # Different levels give different embeddings.
    assert np.abs(out - out[:1]).max() > 1e-3


def test_default_out_dim_is_width(s_obs):
    model = EntityTransformer(width=16, heads=4, layers=1)
    out, _ = jax.eval_shape(lambda o: model.init_with_output(jax.random.PRNGKey(0), o), s_obs)
    assert out.shape == (BATCH, 16)


def test_permutation_invariance(obs, variables, apply):
    rng = np.random.default_rng(0)
    perms = [rng.permutation(obs[k].shape[1]) for k in ("polygons", "circles", "joints", "thrusters")]
    perms = [p[::-1].copy() if len(p) > 1 and (p == np.arange(len(p))).all() else p for p in perms]
    permuted = permute_observation(obs, *perms)
    assert any(not np.array_equal(permuted[k], obs[k]) for k in ("polygons", "circles", "joints"))
    np.testing.assert_allclose(apply(variables, permuted), apply(variables, obs), atol=1e-5, rtol=0)
    # Reordering the shape rows without remapping the indices and masks is a different scene.
    broken = dict(obs, circles=obs["circles"][:, ::-1], circle_mask=obs["circle_mask"][:, ::-1])
    assert np.abs(np.asarray(apply(variables, broken)) - np.asarray(apply(variables, obs))).max() > 1e-4


def test_permute_helper_roundtrip(m_obs):
    rng = np.random.default_rng(1)
    perms = [rng.permutation(m_obs[k].shape[1]) for k in ("polygons", "circles", "joints", "thrusters")]
    back = permute_observation(permute_observation(m_obs, *perms), *[np.argsort(p) for p in perms])
    for k in m_obs:
        np.testing.assert_array_equal(back[k], m_obs[k], err_msg=k)


def test_inactive_slots_do_not_matter(obs, variables, apply):
    rng = np.random.default_rng(2)
    base = np.asarray(apply(variables, obs))
    # Noise in every masked-out row (the real observation has zeros there).
    noisy = dict(obs)
    for rows, mask in (("polygons", "polygon_mask"), ("circles", "circle_mask"), ("joints", "joint_mask"),
                       ("thrusters", "thruster_mask")):
        noise = rng.normal(0, 5, obs[rows].shape).astype(np.float32)
        noisy[rows] = np.where(obs[mask][..., None], obs[rows], noise)
    assert not (obs["circle_mask"].all() and obs["joint_mask"].all()), "the batch should have inactive slots"
    np.testing.assert_allclose(apply(variables, noisy), base, atol=1e-5, rtol=0)
    # An extra inactive polygon slot, whatever its features, changes nothing.
    features = obs["polygons"].shape[-1]
    for scale in (0.0, 5.0):
        padded = insert_inactive_polygon(obs, scale * rng.normal(size=(BATCH, features)))
        np.testing.assert_allclose(apply(variables, padded), base, atol=1e-5, rtol=0)


def test_no_active_shapes_of_a_type(s_obs, variables, apply):
    no_circles = dict(s_obs, circle_mask=np.zeros_like(s_obs["circle_mask"]))
    nothing = dict(no_circles, polygon_mask=np.zeros_like(s_obs["polygon_mask"]))
    for o in (no_circles, nothing):
        out = np.asarray(apply(variables, o))
        assert out.shape == (BATCH, 24) and np.isfinite(out).all()
    grads = jax.jit(jax.grad(lambda v: jnp.sum(MODEL.apply(v, nothing) ** 2)))(variables)
    assert all(np.isfinite(g).all() for g in jax.tree.leaves(grads))


def test_gradients_finite_and_nonzero(m_obs, variables):
    # The batch has joints to the world, so the learned world token gets a gradient too.
    assert ((m_obs["joint_index"][..., 0] < 0) & m_obs["joint_mask"]).any()
    grads = jax.jit(jax.grad(lambda v: jnp.sum(MODEL.apply(v, m_obs) ** 2)))(variables)
    for path, g in jax.tree_util.tree_leaves_with_path(grads):
        g = np.asarray(g)
        assert np.isfinite(g).all(), jax.tree_util.keystr(path)
        assert np.abs(g).max() > 0, jax.tree_util.keystr(path)


def test_pixel_cnn():
    env, params = tumble.make("s", observation="pixels", pixel_size=64)
    obs, _ = _reset(env, params, jax.random.PRNGKey(3), batch=2)
    assert obs["image"].shape == (2, 64, 64, 3)
    model = PixelCNN(out_dim=32)
    out, _ = jax.jit(lambda o: model.init_with_output(jax.random.PRNGKey(0), o))(obs)
    assert out.shape == (2, 32)
    assert np.isfinite(np.asarray(out)).all()
