"""Curricula: per-slot level statistics, PLR/ACCEL buffer updates, DR refreshes, SFL selection, construction."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tumble
from tumble.agents.config import CurriculumConfig, TrainConfig
from tumble.agents.curricula import (
    DomainRandomisation, FixedLevels, LevelStats, PoolState, PrioritisedReplay, SamplingForLearnability,
    SFLState, make_curriculum, select_learnable,
)
from tumble.env.pool import LevelPool
from tumble.levels.generator import generate_batch
from tumble.levels.noop_filter import NOOP_STEPS
from tumble.levels.outcome import replay

N, K = 4, 3  # PLR buffer and new-batch sizes


def take(batch, i):
    return jax.tree_util.tree_map(lambda x: x[i], batch)


def same_level(a, b) -> bool:
    return all(np.array_equal(np.asarray(x), np.asarray(y))
               for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)))


def positions(levels) -> np.ndarray:
    return np.asarray(levels.scene.state.position)


# --- LevelStats and select_learnable ------------------------------------------------------------


def test_level_stats_from_rollout():
    """[T=3, B=2]: sums of max(adv, 0) over valid steps per slot, valid step counts, mean score."""
    level_index = jnp.array([[0, 2], [0, 2], [3, 2]])
    valid = jnp.array([[True, True], [False, True], [True, True]])
    adv = jnp.array([[0.5, -1.0], [7.0, 2.0], [1.5, 0.25]])
    stats = LevelStats.from_rollout(level_index, valid, adv, size=5)
    # slot 0: 0.5 (t=1 invalid); slot 2: 0 + 2 + 0.25; slot 3: 1.5; slots 1, 4 unseen
    np.testing.assert_allclose(stats.positive_advantage, [0.5, 0.0, 2.25, 1.5, 0.0])
    np.testing.assert_allclose(stats.steps, [1, 0, 3, 1, 0])
    np.testing.assert_allclose(stats.mean_score(), [0.5, 0.0, 0.75, 1.5, 0.0])


SOLVED = jnp.array([0, 4, 2, 1, 9, 0])
EPISODES = jnp.array([4, 4, 4, 4, 10, 0])  # p = 0, 1, 0.5, 0.25, 0.9, 0 (no episode)


def test_select_learnable_top_and_random():
    idx, learn = select_learnable(jax.random.PRNGKey(0), SOLVED, EPISODES, 3, 2)
    np.testing.assert_allclose(learn, [0.0, 0.0, 0.25, 0.1875, 0.09, 0.0], atol=1e-6)
    idx = np.asarray(idx)
    assert idx.shape == (5,)
    np.testing.assert_array_equal(idx[:3], [2, 3, 4])  # by p(1-p), largest first
    rand = idx[3:]
    assert len(set(rand.tolist())) == 2 and np.all((rand >= 0) & (rand < 6))


def test_select_learnable_random_part_is_keyed():
    draws = [tuple(np.asarray(select_learnable(jax.random.PRNGKey(s), SOLVED, EPISODES, 1, 4)[0][1:]))
             for s in range(6)]
    for d in draws:
        assert len(set(d)) == 4  # no repeats
    again = tuple(np.asarray(select_learnable(jax.random.PRNGKey(0), SOLVED, EPISODES, 1, 4)[0][1:]))
    assert again == draws[0]
    assert len(set(draws)) > 1


# --- PLR / ACCEL ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plr():
    return PrioritisedReplay("s", N, K, replay_prob=0.5, temperature=0.3, staleness_coef=0.3, noop_filter=False)


@pytest.fixture(scope="module")
def levels8():
    """8 generated S levels (generate_batch of 8 is compiled once per session: test_mutate and SFL use it too)."""
    return generate_batch(jax.random.PRNGKey(0), "s", 8)


@pytest.fixture(scope="module")
def plr_state(plr, levels8):
    """A PLR state as ``init`` makes it, from generated levels (buffer: levels 0-3, fresh: 4-6)."""
    shapes = jax.eval_shape(plr.init, jax.random.PRNGKey(0))
    state = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
    return state.replace(buffer=take(levels8, slice(0, N)), fresh=take(levels8, slice(N, N + K)))


@pytest.fixture(scope="module")
def plr_update(plr):
    return jax.jit(lambda key, state, stats, update: plr.update(key, state, stats, update, None))


def test_plr_init_shapes(plr, levels8):
    s = jax.eval_shape(plr.init, jax.random.PRNGKey(0))
    assert s.buffer.roles.shape == (N, 3) and s.fresh.roles.shape == (K, 3)
    assert s.scores.shape == (N,) and s.last_seen.shape == (N,) and s.rewritten.shape == (N + K,)
    assert s.replay.shape == () and s.replay.dtype == bool and s.update.shape == ()
    # the buffer holds levels of the generator's structure
    assert jax.tree_util.tree_structure(s.buffer) == jax.tree_util.tree_structure(levels8)


def test_plr_replay_logits_rank_based(plr, plr_state):
    """staleness_coef = 0: p proportional to (1/rank)^(1/T); fresh slots get no mass."""
    cur = PrioritisedReplay("s", N, K, temperature=0.5, staleness_coef=0.0, noop_filter=False)
    state = plr_state.replace(scores=jnp.array([0.1, 0.5, 0.3, 0.2]), replay=jnp.array(True))
    pool = cur.pool(state)
    assert pool.logits.shape == (N + K,)
    p = np.exp(np.asarray(pool.logits, np.float64))
    np.testing.assert_allclose(p[:N].sum(), 1.0, rtol=1e-5)
    assert np.all(p[N:] < 1e-30)
    ranks = np.array([4, 1, 2, 3])
    expect = (1.0 / ranks) ** 2
    np.testing.assert_allclose(p[:N], expect / expect.sum(), rtol=1e-5)
    assert list(np.argsort(-p[:N])) == [1, 2, 3, 0]
    probs = np.asarray(jax.nn.softmax(pool.logits))
    assert np.all(probs[N:] < 1e-12)


def test_plr_replay_logits_staleness(plr, plr_state):
    """p = 0.7 p_rank + 0.3 p_stale: here all staleness mass goes to the worst level, unseen since update 0."""
    h = (1.0 / np.array([4, 1, 2, 3])) ** (1 / 0.3)  # ranks of scores [0, .3, .2, .1]
    rank_p = h / h.sum()
    state = plr_state.replace(scores=jnp.array([0.0, 0.3, 0.2, 0.1]), last_seen=jnp.array([0, 10, 10, 10]),
                              update=jnp.array(10), replay=jnp.array(True))
    p = np.exp(np.asarray(plr.pool(state).logits[:N], np.float64))
    np.testing.assert_allclose(p, 0.7 * rank_p + 0.3 * np.array([1.0, 0, 0, 0]), rtol=1e-5)
    # nothing stale: the staleness part is uniform
    fresh = state.replace(last_seen=jnp.full((N,), 10))
    p = np.exp(np.asarray(plr.pool(fresh).logits[:N], np.float64))
    np.testing.assert_allclose(p, 0.7 * rank_p + 0.3 / N, rtol=1e-5)


def test_plr_new_mode_plays_only_fresh(plr, plr_state):
    pool = plr.pool(plr_state.replace(replay=jnp.array(False)))
    probs = np.asarray(jax.nn.softmax(pool.logits))
    np.testing.assert_allclose(probs[N:], 1.0 / K, rtol=1e-5)
    assert np.all(probs[:N] < 1e-12)
    assert same_level(take(pool.levels, N + 1), take(plr_state.fresh, 1))
    assert same_level(take(pool.levels, 2), take(plr_state.buffer, 2))


def _stats(buffer_scores, buffer_steps, fresh_scores, fresh_steps):
    steps = jnp.array(buffer_steps + fresh_steps, jnp.float32)
    score = jnp.array(buffer_scores + fresh_scores, jnp.float32)
    return LevelStats(positive_advantage=score * steps, steps=steps)


def test_plr_update_replaces_worst_with_better_fresh(plr, plr_state, plr_update):
    """Buffer scores [.5, .1, .3, .05], slot 0 re-scored .6; fresh [.15, unseen, .2]:
    fresh 2 replaces slot 3 (.05), fresh 0 replaces slot 1 (.1), slot 2 (.3) stays."""
    state = plr_state.replace(scores=jnp.array([0.5, 0.1, 0.3, 0.05]), last_seen=jnp.array([1, 2, 3, 4]),
                              rewritten=jnp.array([1, 1, 1, 1, 2, 2, 2]), update=jnp.array(5))
    # the unseen fresh level has a large advantage sum but no steps: it must not count
    stats = LevelStats(positive_advantage=jnp.array([1.2, 9.0, 9.0, 9.0, 0.3, 50.0, 0.6]),
                       steps=jnp.array([2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 3.0]))
    modes = set()
    for seed in range(8):
        new, metrics = plr_update(jax.random.PRNGKey(seed), state, stats, jnp.array(5))
        np.testing.assert_allclose(new.scores, [0.6, 0.15, 0.3, 0.2], rtol=1e-6)
        np.testing.assert_array_equal(new.last_seen, [5, 5, 3, 5])
        np.testing.assert_array_equal(new.rewritten[:N], [1, 6, 1, 6])
        assert int(new.update) == 6 and int(metrics["plr_inserted"]) == 2
        assert float(metrics["plr_replay"]) == 0.0  # the rollout that was just scored played the fresh levels
        bp, fp = positions(new.buffer), positions(state.fresh)
        np.testing.assert_array_equal(bp[3], fp[2])
        np.testing.assert_array_equal(bp[1], fp[0])
        assert same_level(take(new.buffer, 1), take(state.fresh, 0))
        for slot in (0, 2):
            assert same_level(take(new.buffer, slot), take(state.buffer, slot))
        if bool(new.replay):  # the next rollout replays the buffer: the fresh batch is kept
            np.testing.assert_array_equal(new.rewritten[N:], [2, 2, 2])
            assert same_level(new.fresh, state.fresh)
        else:  # a new batch, seen from update 6 on
            np.testing.assert_array_equal(new.rewritten[N:], [6, 6, 6])
            assert not np.any([np.array_equal(a, b) for a in positions(new.fresh) for b in fp])
        modes.add(bool(new.replay))
    assert modes == {True, False}, "replay_prob 0.5 over 8 keys should give both modes"


def test_plr_update_keeps_better_buffer(plr_state, plr_update):
    """Fresh levels scoring below every buffer level insert nothing; unseen buffer scores are kept."""
    state = plr_state.replace(scores=jnp.array([0.5, 0.4, 0.3, 0.2]))
    stats = _stats([0.0] * N, [0.0] * N, [0.1, 0.15, 0.05], [4.0, 4.0, 4.0])
    new, metrics = plr_update(jax.random.PRNGKey(0), state, stats, jnp.array(0))
    np.testing.assert_allclose(new.scores, [0.5, 0.4, 0.3, 0.2])
    np.testing.assert_array_equal(new.last_seen, 0)
    assert int(metrics["plr_inserted"]) == 0
    assert same_level(new.buffer, state.buffer)


def test_accel_new_batch_mutates_buffer_levels(plr_state):
    """mutation_fraction 1: every new level is a buffer level with one component shifted by at most 0.6 m."""
    accel = PrioritisedReplay("s", N, K, mutate=True, mutation_fraction=1.0, noop_filter=False)
    batch = jax.jit(accel.new_batch)(jax.random.PRNGKey(1), plr_state)
    buf = plr_state.buffer

    def strip(lv):
        return lv.replace(scene=lv.scene.replace(state=lv.scene.state.replace(position=jnp.zeros(()))))

    changed = 0
    for i in range(K):
        child = take(batch, i)
        parents = [j for j in range(N) if same_level(strip(child), strip(take(buf, j)))]
        assert parents, f"new level {i} is no buffer level with moved bodies"
        active = np.asarray(child.scene.props.active)
        np.testing.assert_array_equal(np.asarray(child.roles), np.asarray(take(buf, parents[0]).roles))
        d = positions(child)[active] - positions(take(buf, parents[0]))[active]
        assert np.all(np.abs(d) <= 0.6 + 1e-5)
        changed += bool(np.any(d != 0))
    assert changed >= 1
    # no new level is an exact copy of the fresh (generated) batch
    assert not any(same_level(take(batch, i), take(plr_state.fresh, j)) for i in range(K) for j in range(K))


# --- DR ---------------------------------------------------------------------------------------


def test_dr_init_shapes():
    dr = DomainRandomisation("s", N, 2, noop_filter=False)
    s = jax.eval_shape(dr.init, jax.random.PRNGKey(0))
    assert s.pool.logits.shape == (N,) and s.rewritten_at.shape == (N,) and s.pool.levels.roles.shape == (N, 3)


def test_dr_refresh_replaces_exactly_refresh_slots(plr_state):
    dr = DomainRandomisation("s", N, 2, noop_filter=False)
    state = PoolState(pool=LevelPool(levels=plr_state.buffer, logits=jnp.zeros((N,))),
                      rewritten_at=jnp.array([0, 3, 0, 3]))
    upd = jax.jit(lambda k, s, u: dr.update(k, s, None, u, None))
    seen = set()
    for seed in range(3):
        new, _ = upd(jax.random.PRNGKey(seed), state, jnp.array(7))
        replaced = [i for i in range(N) if not same_level(take(new.pool.levels, i), take(state.pool.levels, i))]
        assert len(replaced) == 2
        expect = np.array([0, 3, 0, 3])
        expect[replaced] = 8
        np.testing.assert_array_equal(new.rewritten_at, expect)
        np.testing.assert_array_equal(new.pool.logits, 0)
        seen.add(tuple(replaced))
    assert len(seen) > 1, "the refreshed slots should depend on the key"
    # refresh 0: nothing changes
    no_refresh = DomainRandomisation("s", N, 0, noop_filter=False)
    same, metrics = no_refresh.update(jax.random.PRNGKey(0), state, None, 7, None)
    assert same is state and metrics == {}


def test_dr_noop_filter_drops_noop_solved_levels(levels8):
    """No level of a 16-level pool is solved by the no-op within NOOP_STEPS steps (``noop_solved``'s criterion).

    The replay runs 256 steps and reads the flag after NOOP_STEPS, which is what ``noop_solved``
    computes; this shape is the one test_rollouts_eval replays, so the session compiles it once.
    About 16% of raw generated S levels are no-op solved (one of ``levels8`` is).
    """
    zeros = jnp.zeros((256, 6), jnp.float32)

    def solved(levels, n):  # lazy: any() stops at the first solved level
        return (bool(replay(take(levels, i), zeros).solved[NOOP_STEPS - 1]) for i in range(n))

    assert any(solved(levels8, 8)), "the check must be able to see a no-op solved level"
    dr = DomainRandomisation("s", 16, 1, noop_filter=True)
    state = jax.jit(dr.init)(jax.random.PRNGKey(0))
    assert not any(solved(state.pool.levels, 16))
    assert len({p.tobytes() for p in positions(state.pool.levels)}) == 16


# --- SFL --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_env():
    # the bundled S pool instead of a generator pool: same Env, nothing compiled to build it
    env, params = tumble.make("s", levels="bundled:s", auto_reset=False)
    return env, params


def noop(obs, key):
    return jnp.zeros((obs.shape[0], 6), jnp.int32)


def test_sfl_reselects_every_interval(small_env, plr_state):
    """interval 3: updates 0, 1 keep the pool; update 2 rebuilds it from the 8 candidates."""
    env, params = small_env
    sfl = SamplingForLearnability("s", N, env, params, interval=3, candidates=8, rollout_steps=4,
                                  dr_fraction=0.25, noop_filter=False)
    assert sfl.n_dr == 1
    z = jnp.zeros((), jnp.float32)
    state = SFLState(pool=LevelPool(levels=plr_state.buffer, logits=jnp.zeros((N,))),
                     rewritten_at=jnp.zeros((N,), jnp.int32), learnability=z, learnable_fraction=z)
    upd = jax.jit(lambda k, s, u: sfl.update(k, s, None, u, noop))
    key = jax.random.PRNGKey(5)
    for u in (0, 1, 3):
        kept, metrics = upd(key, state, jnp.array(u))
        assert same_level(kept.pool, state.pool) and np.array_equal(kept.rewritten_at, state.rewritten_at), u
    new, metrics = upd(key, state, jnp.array(2))
    np.testing.assert_array_equal(new.rewritten_at, 3)
    # SFL draws its candidates as split(key, 3)[0] -> 8 generated levels
    cands = generate_batch(jax.random.split(key, 3)[0], "s", 8)  # the same compiled generator as `levels8`
    picked = []
    for i in range(N):
        match = [j for j in range(8) if same_level(take(new.pool.levels, i), take(cands, j))]
        assert match, f"pool slot {i} holds no candidate"
        picked.append(match[0])
    assert not same_level(new.pool.levels, state.pool.levels)
    assert len(set(picked[: N - 1])) == N - 1  # the top part has no repeats
    assert 0.0 <= float(metrics["sfl_learnability"]) <= 0.25
    assert 0.0 <= float(metrics["sfl_learnable_fraction"]) <= 1.0


# --- fixed levels and construction ------------------------------------------------------------


def test_fixed_levels_never_change(small_env):
    _, params = small_env
    fixed = FixedLevels(params.pool)
    state = fixed.init(jax.random.PRNGKey(0))
    assert fixed.pool(state) is params.pool
    np.testing.assert_array_equal(fixed.rewritten_at(state), np.zeros(params.pool.size))
    new, metrics = fixed.update(jax.random.PRNGKey(1), state, None, 3, None)
    assert new is state and metrics == {}


@pytest.mark.parametrize("kind, cls", [("fixed", FixedLevels), ("dr", DomainRandomisation),
                                       ("plr", PrioritisedReplay), ("accel", PrioritisedReplay),
                                       ("sfl", SamplingForLearnability)])
def test_make_curriculum(small_env, kind, cls):
    env, params = small_env
    c = CurriculumConfig(kind=kind, pool_size=6, refresh=2, new_levels=5, sfl_candidates=12, sfl_interval=4,
                         noop_filter=False)
    cur = make_curriculum(TrainConfig(curriculum=c), env, params)
    assert type(cur) is cls
    if kind != "fixed":
        assert cur.pool_size == 6 and cur.size == "s" and cur.noop_filter is False
    if kind == "dr":
        assert cur.refresh == 2
    if kind in ("plr", "accel"):
        assert cur.new_levels == 5 and cur.mutate == (kind == "accel")
    if kind == "sfl":
        assert cur.candidates == 12 and cur.interval == 4 and cur.env is env


def test_make_curriculum_unknown_kind(small_env):
    env, params = small_env
    cfg = TrainConfig(curriculum=dataclasses.replace(CurriculumConfig(), kind="nope"))
    with pytest.raises(ValueError, match="nope"):
        make_curriculum(cfg, env, params)
