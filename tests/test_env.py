"""The environment: actions, observations and their spaces, reward, termination, wrappers, reset pools."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tumble
from tumble.env import Env, EnvParams, channel_values, pool_from_levels
from tumble.env.actions import N_DISCRETE
from tumble.levels import SIZES, Boundary, Circle, Joint, Level, Motor, Polygon, Thruster, Wall, compile_level

S = SIZES["s"]
BOX = ((-0.2, -0.2), (0.2, -0.2), (0.2, 0.2), (-0.2, 0.2))


def drop(floor_role="blue", height=2.0, **kw) -> Level:
    return Level(name=f"drop_{floor_role}", size="s", boundary=Boundary(floor=Wall(0.4, floor_role)),
                 shapes=(Circle(0.2, position=(2.5, height), role="green"),),
                 thrusters=(Thruster(0, (2.5, height), math.pi / 2, 10.0, 1),), **kw)


def arm() -> Level:
    """A motorised wheel on a static post, touching nothing."""
    return Level(name="arm", size="s", shapes=(Polygon(BOX, position=(2.5, 3.0), static=True, role="blue"),
                                               Circle(0.15, position=(3.0, 3.0), role="green")),
                 joints=(Joint(b=1, a=0, anchor=(2.5, 3.0), motor=Motor(2.0, 5.0, channel=0)),), episode_length=40)


@pytest.fixture(scope="module")
def flat():
    env, params = tumble.make("s", levels=[drop("blue"), drop("red"), arm()], auto_reset=False)
    return env, params, jax.jit(env.step), jax.jit(env.reset)


def run(step, state, params, actions):
    out = []
    for a in actions:
        obs, state, reward, done, info = step(jax.random.PRNGKey(0), state, jnp.asarray(a), params)
        out.append((obs, state, float(reward), bool(done), {k: bool(v) for k, v in info.items()}))
        if out[-1][3]:
            break
    return out


def start(env, params, level_index):
    level = jax.tree_util.tree_map(lambda x: x[level_index], params.pool.levels)
    state = env.initial_state(level, level_index)
    return env.observe(state), state


def test_channel_values_of_each_action_type():
    np.testing.assert_array_equal(channel_values("multi_discrete", jnp.array([1, 2, 0, 1, 1, 0])),
                                  [1, -1, 0, 1, 1, 0])
    table = np.stack([np.asarray(channel_values("discrete", jnp.asarray(i))) for i in range(N_DISCRETE)])
    assert np.all(table[0] == 0)
    for ch in range(4):
        assert table[1 + 2 * ch, ch] == 1 and table[2 + 2 * ch, ch] == -1
    assert table[9, 4] == 1 and table[10, 5] == 1
    assert np.all(np.count_nonzero(table, axis=1) == [0] + [1] * 10)
    np.testing.assert_allclose(channel_values("continuous", jnp.array([2.0, -3.0, jnp.nan, 0.5, -1.0, 0.3])),
                               [1, -1, 0, 0.5, 0, 0.3])


@pytest.mark.parametrize("kind,action,error,message", [
    ("multi_discrete", jnp.zeros(5, jnp.int32), ValueError, "action: a multi_discrete action has shape (6,)"),
    ("multi_discrete", jnp.zeros(6), TypeError, "must be integers"),
    ("discrete", jnp.zeros(2, jnp.int32), ValueError, "has shape ()"),
    ("continuous", jnp.zeros((2, 6)), ValueError, "has shape (6,)"),
    ("discrete", "up", TypeError, "action: a discrete action must be integers, got <U2"),
    ("continuous", ["a"] * 6, TypeError, "action: a continuous action must be numbers"),
])
def test_bad_actions_fail_clearly(kind, action, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        channel_values(kind, action)


def test_spaces_are_exact(flat):
    env, params, step, reset = flat
    obs, state = reset(jax.random.PRNGKey(1), params)
    assert env.observation_space(params).contains(np.asarray(obs))
    assert env.action_space(params).shape == (6,) and env.action_space(params).nvec == (3, 3, 3, 3, 2, 2)
    for observation in ("entity", "blind"):
        e = Env(S, "discrete", observation)
        o = e.observe(e.initial_state(compile_level(arm()), 0))
        assert e.observation_space().contains(jax.tree_util.tree_map(np.asarray, o)), observation
    assert Env(S, "discrete").action_space().n == 11
    pixels = Env(S, "discrete", "pixels", pixel_size=(24, 32))
    o = pixels.observe(pixels.initial_state(compile_level(arm()), 0))
    assert o["image"].shape == (24, 32, 3)
    assert pixels.observation_space().contains(jax.tree_util.tree_map(np.asarray, o))


def test_solved_terminates_with_plus_one(flat):
    env, params, step, _ = flat
    out = run(step, start(env, params, 0)[1], params, [np.zeros(6, np.int32)] * 40)
    *_, (obs, state, reward, done, info) = out
    assert reward == 1.0 and done and info["terminated"] and info["solved"] and not info["truncated"]
    assert all(r == 0.0 for _, _, r, _, _ in out[:-1])
    assert 14 <= len(out) <= 18  # the fall of 1.4 m takes 0.53 s = 16 env steps


def test_failed_gives_minus_one_and_truncation_is_separate(flat):
    env, params, step, _ = flat
    *_, (_, _, reward, done, info) = run(step, start(env, params, 1)[1], params, [np.zeros(6, np.int32)] * 40)
    assert reward == -1.0 and info["failed"] and info["terminated"] and not info["solved"]
    out = run(step, start(env, params, 2)[1], params, [np.zeros(6, np.int32)] * 50)
    assert len(out) == 40
    *_, (_, state, reward, done, info) = out
    assert done and info["truncated"] and not info["terminated"] and reward == 0.0 and int(state.t) == 40


def test_thruster_action_keeps_the_ball_off_the_floor(flat):
    env, params, step, _ = flat
    hover = np.array([0, 0, 0, 0, 0, 1], np.int32)  # thruster channel 1 on
    out = run(step, start(env, params, 0)[1], params, [hover] * 30)
    assert len(out) == 30 and not any(o[3] for o in out)


def test_joint_angle_is_observed(flat):
    env = Env(S, "multi_discrete", "entity")
    level = compile_level(arm())
    state = env.initial_state(level, 0)
    params = EnvParams(pool=pool_from_levels([arm()]))
    step = jax.jit(env.step)
    for _ in range(15):
        obs, state, *_ = step(jax.random.PRNGKey(0), state, jnp.array([1, 0, 0, 0, 0, 0], jnp.int32), params)
    angles = np.asarray(state.level.scene.state.angle)
    expected = angles[S.n_polygons] - angles[0]  # wheel relative to the post, initial relative angle 0
    assert expected == pytest.approx(2.0 * 30 / 60, rel=0.15)  # 2 rad/s for 30 physics steps
    row = np.asarray(obs["joints"][0])
    assert row[13] == pytest.approx(expected, abs=1e-4)  # forward row: the joint angle
    assert np.asarray(obs["joints"][1])[13] == pytest.approx(-expected, abs=1e-4)  # the reverse row
    mask = np.asarray(obs["attention_mask"])
    p, c = 0, S.n_polygons
    assert mask[2, p, c] and mask[2, c, p] and mask[1, p, c]  # directly jointed, same chain
    assert not mask[3, p, c]  # not in contact
    assert mask[0, 0, 1] and not mask[0, 2, 2] and not mask[0, 0, 2]  # the empty circle slot attends to nothing


def test_dense_shaping_rewards_approach(flat):
    env, _, _, _ = flat
    params = EnvParams(pool=pool_from_levels([drop("blue")]), dense_reward_scale=0.5)
    step = jax.jit(env.step)
    _, state = start(env, params, 0)
    y0 = float(state.level.scene.state.position[S.n_polygons, 1])
    _, state, reward, *_ = step(jax.random.PRNGKey(0), state, jnp.zeros(6, jnp.int32), params)
    y1 = float(state.level.scene.state.position[S.n_polygons, 1])
    assert float(reward) == pytest.approx(0.5 * (y0 - y1), rel=1e-4) and y0 > y1


def test_physics_error_ends_the_episode_without_nan(flat):
    env, params, step, _ = flat
    _, state = start(env, params, 2)
    bad = state.level.scene.state.replace(velocity=state.level.scene.state.velocity.at[S.n_polygons].set(jnp.nan))
    state = state.replace(level=state.level.replace(scene=state.level.scene.replace(state=bad)))
    obs, new, reward, done, info = step(jax.random.PRNGKey(0), state, jnp.zeros(6, jnp.int32), params)
    assert bool(info["physics_error"]) and bool(done) and bool(info["terminated"]) and float(reward) == 0.0
    assert np.all(np.isfinite(np.asarray(obs)))


def test_auto_reset_and_episode_stats():
    env, params = tumble.make("s", levels=drop("blue"), episode_stats=True)
    step = jax.jit(env.step)
    obs0, state = env.reset(jax.random.PRNGKey(0), params)
    for t in range(40):
        obs, state, reward, done, info = step(jax.random.PRNGKey(t), state, jnp.zeros(6, jnp.int32), params)
        if bool(done):
            break
    assert bool(info["returned_episode"]) and float(info["returned_episode_return"]) == 1.0
    assert bool(info["returned_episode_solved"]) and int(info["returned_episode_length"]) == t + 1
    assert int(state.env_state.t) == 0 and int(state.episodes) == 1
    np.testing.assert_allclose(np.asarray(obs), np.asarray(obs0))  # the first observation of the next episode


def test_pool_weights_and_batches_match_one_by_one(flat):
    env, params, step, reset = flat
    weighted = params.replace(pool=pool_from_levels([drop("blue"), drop("red"), arm()], weights=[0, 0, 1]))
    keys = jax.random.split(jax.random.PRNGKey(3), 16)
    _, states = jax.vmap(reset, in_axes=(0, None))(keys, weighted)
    assert np.all(np.asarray(states.level_index) == 2)
    _, states = jax.vmap(reset, in_axes=(0, None))(keys, params)
    assert set(np.asarray(states.level_index).tolist()) == {0, 1, 2}
    actions = jax.vmap(env.action_space(params).sample)(keys)
    obs_b, st_b, r_b, d_b, _ = jax.vmap(step, in_axes=(0, 0, 0, None))(keys, states, actions, params)
    for i in (0, 5, 11):
        one = jax.tree_util.tree_map(lambda x: x[i], states)
        obs, st, r, d, _ = step(keys[i], one, actions[i], params)
        np.testing.assert_allclose(np.asarray(obs_b[i]), np.asarray(obs), atol=1e-6)
        assert float(r_b[i]) == float(r)
    # same key, same result
    again = jax.vmap(step, in_axes=(0, 0, 0, None))(keys, states, actions, params)[0]
    np.testing.assert_array_equal(np.asarray(again), np.asarray(obs_b))


def test_pool_draws_follow_the_weights():
    """Inverse-CDF draws: frequencies match the normalised weights, a zero-weight slot is never drawn."""
    from tumble.env import sample_level

    weights = [1.0, 2.0, 0.0, 5.0, 0.0]
    pool = pool_from_levels([arm(), drop("blue"), drop("red"), arm(), drop("blue")], weights=weights)
    n = 40_000
    index = jax.jit(jax.vmap(lambda k: sample_level(k, pool)[1]))(jax.random.split(jax.random.PRNGKey(7), n))
    counts = np.bincount(np.asarray(index), minlength=5)
    assert counts[2] == 0 and counts[4] == 0
    expected = np.asarray(weights) / sum(weights) * n
    sigma = np.sqrt(expected * (1 - expected / n))  # binomial standard deviation
    assert np.all(np.abs(counts - expected) <= 5 * sigma + 1e-9), (counts, expected)
    # the drawn slot's level is the one gathered
    level, i = sample_level(jax.random.PRNGKey(1), pool)
    np.testing.assert_array_equal(np.asarray(level.roles), np.asarray(pool.levels.roles[int(i)]))


def test_make_rejects_bad_arguments():
    with pytest.raises(ValueError, match="action_type must be one of"):
        tumble.make("s", action="joystick", levels=arm())
    with pytest.raises(ValueError, match="weights: need one weight per level"):
        tumble.make("s", levels=[arm()], weights=[1, 2])
    with pytest.raises(ValueError, match="unknown size"):
        tumble.make("xl", levels=arm())


def test_generator_pool_resets_and_refreshes():
    from tumble.env import refresh_pool
    from tumble.levels.generator import generate

    env, params = tumble.make("s", levels="generator", pool_size=4, auto_reset=False, seed=1)
    assert params.pool.size == 4
    obs, state = jax.jit(env.reset)(jax.random.PRNGKey(0), params)
    assert env.observation_space(params).contains(np.asarray(obs))
    roles = np.asarray(params.pool.levels.roles)
    assert np.all((roles == 1).sum(axis=1) == 1)  # exactly one green shape per generated level
    before = np.asarray(params.pool.levels.scene.state.position)
    pool = jax.jit(lambda k, p: refresh_pool(k, p, lambda key: generate(key, S), count=2))(
        jax.random.PRNGKey(5), params.pool)
    after = np.asarray(pool.levels.scene.state.position)
    changed = [not np.array_equal(before[i], after[i]) for i in range(4)]
    assert sum(changed) == 2  # exactly the refreshed slots are new levels
