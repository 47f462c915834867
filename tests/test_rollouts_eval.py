"""Pinned-level rollouts and zero-shot evaluation, checked against open-loop replays of the same actions.

The reference outcome of every level under the no-op policy comes from
:func:`tumble.levels.outcome.replay` (the level's own physics loop, no env):
the first env step at which green touched blue or red, capped by the level's
episode length.
"""

from __future__ import annotations

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tumble
from tumble.agents.evaluate import (
    BASELINES, baseline_policy, evaluate_policy, format_table, load_suite, summary, write_report,
)
from tumble.agents.rollouts import episode_channels, first_episodes, level_outcomes
from tumble.levels import Boundary, Circle, Level, Thruster, Wall, save_level
from tumble.levels.library import bundled_names, load_bundled
from tumble.levels.outcome import outcome_of, replay

MAX_STEPS = 256  # every level here has episode_length <= 256; every replay has this length (one compilation)
ZEROS = jnp.zeros((MAX_STEPS, 6), jnp.float32)
EPISODES = {"noop": 1, "random": 2}


def drop() -> Level:
    """A green ball falling onto a blue floor: the no-op solves it within a few dozen steps."""
    return Level(name="drop", size="s", boundary=Boundary(floor=Wall(0.4, "blue")),
                 shapes=(Circle(0.2, position=(2.5, 1.5), role="green"),),
                 thrusters=(Thruster(0, (2.5, 1.5), math.pi / 2, 10.0, 1),))


def rest() -> Level:
    """A green ball resting on a neutral floor, 40 steps: the no-op runs into the time limit."""
    return Level(name="rest", size="s", shapes=(Circle(0.2, position=(2.5, 0.6), role="green"),), episode_length=40)


class Ref:
    """A level's no-op outcome from replay: 'solved', 'failed' or 'timeout', and the episode length."""

    def __init__(self, level, compiled):
        out = replay(compiled, ZEROS)
        solved, failed, error = (np.asarray(x) for x in out)
        assert not error.any()
        ended = solved | failed
        limit = level.episode_length
        end = int(np.argmax(ended)) if ended.any() else MAX_STEPS
        if end < limit:
            self.kind, self.length = ("solved" if solved[end] else "failed"), end + 1
        else:
            self.kind, self.length = "timeout", limit
        self.level, self.compiled = level, compiled

    @property
    def reward(self) -> float:
        return {"solved": 1.0, "failed": -1.0, "timeout": 0.0}[self.kind]


@pytest.fixture(scope="module")
def suite():
    levels = load_suite("bundled:s", "s")
    levels["drop"], levels["rest"] = drop(), rest()
    return levels


@pytest.fixture(scope="module")
def setup(suite):
    env, params = tumble.make("s", levels=list(suite.values()), auto_reset=False)
    batch = params.pool.levels  # the suite's levels in order
    refs = {name: Ref(lv, jax.tree_util.tree_map(lambda x: x[i], batch)) for i, (name, lv) in enumerate(suite.items())}
    kinds = {r.kind: r for r in refs.values()}
    assert set(kinds) == {"solved", "failed", "timeout"}, kinds  # every outcome is represented
    for kind, r in kinds.items():  # outcome_of (its own reading of the replay) agrees, one level per outcome
        got = outcome_of(r.compiled, np.zeros((MAX_STEPS, 6)), episode_length=r.level.episode_length)
        assert got == {"solved": 1, "failed": -1, "timeout": 0}[kind]
    return env, params, batch, refs


def noop(obs, key):
    return jnp.zeros((obs.shape[0], 6), jnp.int32)


# --- rollouts ---------------------------------------------------------------------------------


def test_first_episodes_noop_matches_replay(setup):
    env, params, batch, refs = setup
    out = jax.jit(lambda lv, k: first_episodes(env, params, noop, lv, k, MAX_STEPS))(batch, jax.random.PRNGKey(0))
    out = jax.device_get(out)
    for i, (name, ref) in enumerate(refs.items()):
        got = (int(out.episodes[i]), int(out.solved[i]), int(out.failed[i]), int(out.lengths[i]), float(out.returns[i]))
        expect = (1, int(ref.kind == "solved"), int(ref.kind == "failed"), ref.length, ref.reward)
        assert got == expect, (name, got, expect)


def test_level_outcomes_restart_each_level(setup):
    """64 steps with restarts: a level ending after L steps plays 64 // L whole episodes."""
    env, params, batch, refs = setup
    steps = 64
    out = jax.device_get(jax.jit(lambda lv, k: level_outcomes(env, params, noop, lv, k, steps))(
        batch, jax.random.PRNGKey(0)))
    many = 0
    for i, (name, ref) in enumerate(refs.items()):
        n = steps // ref.length
        got = (int(out.episodes[i]), int(out.solved[i]), int(out.failed[i]), int(out.lengths[i]), float(out.returns[i]))
        expect = (n, n * (ref.kind == "solved"), n * (ref.kind == "failed"), n * ref.length, n * ref.reward)
        assert got == expect, (name, got, expect)
        many += n > 1
    assert many >= 2, "some levels should end often enough to restart"


def test_episode_channels_records_the_policy_choices():
    """A blind policy that picks a multi_discrete action from the step count; channels map 0->0, 1->+1, 2->-1.

    Replaying the recorded channels open-loop ends the episode at the step count episode_channels reports.
    """
    level = load_bundled("flappy_hop")
    env, params = tumble.make("s", observation="blind", levels=[level], auto_reset=False)
    compiled = jax.tree_util.tree_map(lambda x: x[0], params.pool.levels)

    def schedule(t):
        return jnp.stack([t % 3, (t + 1) % 3, (t + 2) % 3, (t // 3) % 3, t % 2, (t // 2) % 2], axis=-1)

    def policy(obs, key):
        t = jnp.round(obs[:, 0] * level.episode_length).astype(jnp.int32)
        return schedule(t)

    channels, steps = jax.jit(lambda lv, k: episode_channels(env, params, policy, lv, k, MAX_STEPS))(
        compiled, jax.random.PRNGKey(0))
    channels, steps = np.asarray(channels), int(steps)
    assert channels.shape == (MAX_STEPS, 6)
    md = np.asarray(schedule(jnp.arange(MAX_STEPS)))
    motor = np.array([0.0, 1.0, -1.0])
    n = min(steps, MAX_STEPS)
    np.testing.assert_array_equal(channels[:n, :4], motor[md[:n, :4]])
    np.testing.assert_array_equal(channels[:n, 4:], md[:n, 4:].astype(np.float32))
    out = replay(compiled, jnp.asarray(channels))
    ended = np.asarray(out.solved | out.failed | out.physics_error)
    expect = int(np.argmax(ended)) + 1 if ended.any() else MAX_STEPS
    assert steps == min(expect, level.episode_length)
    assert steps < level.episode_length, "pick a level this schedule ends early, so the count is tested"


# --- evaluation: suites -----------------------------------------------------------------------


def test_load_suite_bundled():
    names = bundled_names("s")
    assert len(names) >= 5
    assert list(load_suite("bundled:s", "s")) == names
    assert list(load_suite("bundled", "s")) == names
    assert load_suite("bundled:s", "m")["catapult"] == load_bundled("catapult")


def test_load_suite_folder_file_and_names(tmp_path):
    a, b = drop(), rest()
    save_level(a, tmp_path / "a.json")
    (tmp_path / "sub").mkdir()
    save_level(b, tmp_path / "sub" / "b.json")
    (tmp_path / "notes.txt").write_text("not a level")
    suite = load_suite(str(tmp_path), "s")
    assert suite == {"a": a, "sub/b": b}
    assert load_suite(str(tmp_path / "sub" / "b.json"), "s") == {"b": b}
    named = load_suite("catapult, flipper,", "s")
    assert list(named) == ["catapult", "flipper"]
    assert named["flipper"] == load_bundled("flipper")


def test_load_suite_empty_folder(tmp_path):
    empty = tmp_path / "nothing_here"
    empty.mkdir()
    with pytest.raises(ValueError, match="nothing_here"):
        load_suite(str(empty), "s")


# --- evaluation: policies and reports ---------------------------------------------------------


def test_baseline_policies(setup):
    env = setup[0]
    obs = jnp.zeros((5, 130))
    a = np.asarray(baseline_policy("noop", env)(obs, jax.random.PRNGKey(0)))
    assert a.shape == (5, 6) and np.all(a == 0) and np.issubdtype(a.dtype, np.integer)
    r = np.asarray(jax.jit(baseline_policy("random", env))(jnp.zeros((256, 130)), jax.random.PRNGKey(0)))
    assert r.shape == (256, 6)
    nvec = np.array([3, 3, 3, 3, 2, 2])
    assert np.all((r >= 0) & (r < nvec))
    assert all(set(np.unique(r[:, c])) == set(range(nvec[c])) for c in range(6))
    with pytest.raises(ValueError, match="greedy"):
        baseline_policy("greedy", env)


@pytest.fixture(scope="module")
def results(setup, suite):
    env, params, _, _ = setup
    # the no-op is deterministic: one episode per level (the same computation as the first_episodes test)
    return {name: evaluate_policy(env, params, baseline_policy(name, env), suite, episodes=EPISODES[name], seed=0)
            for name in BASELINES}


def test_evaluate_noop_matches_replay(results, setup, suite):
    """The no-op is deterministic: every level's solve rate is 0 or 1, as its replay says."""
    refs = setup[3]
    rows = results["noop"]
    assert [r["level"] for r in rows] == list(suite)
    for row in rows:
        ref = refs[row["level"]]
        assert row["episodes"] == 1
        assert row["solve_rate"] == float(ref.kind == "solved"), row
        assert row["fail_rate"] == float(ref.kind == "failed"), row
        assert row["mean_length"] == ref.length and row["mean_return"] == ref.reward, row


def test_evaluate_random(results, suite):
    rows = results["random"]
    assert [r["level"] for r in rows] == list(suite)
    for row in rows:
        for key in ("solve_rate", "fail_rate"):
            assert 0.0 <= row[key] <= 1.0 and row[key] * 2 == int(row[key] * 2)
        assert row["solve_rate"] + row["fail_rate"] <= 1.0
        assert 1 <= row["mean_length"] <= MAX_STEPS
    # random actions change what happens on some level (the no-op fails or times out on most)
    noop = {r["level"]: r for r in results["noop"]}
    assert any(r["mean_length"] != noop[r["level"]]["mean_length"] for r in rows)


def test_summary_and_table():
    rows = [{"level": "x", "solve_rate": 1.0}, {"level": "y", "solve_rate": 0.5}, {"level": "z", "solve_rate": 0.9}]
    assert summary(rows) == {"levels": 3, "mean_solve_rate": pytest.approx(0.8), "levels_solved_90": 2}
    assert summary([]) == {"levels": 0, "mean_solve_rate": 0.0, "levels_solved_90": 0}
    other = [dict(r, solve_rate=0.0) for r in rows]
    lines = format_table({"agent": rows, "noop": other}).splitlines()
    assert lines[0].replace(" ", "") == "|level|agent|noop|"
    assert lines[2].replace(" ", "") == "|x|1.00|0.00|"
    assert lines[3].replace(" ", "") == "|y|0.50|0.00|"
    assert len(lines) == 2 + 3 + 1
    assert lines[-1].replace(" ", "") == "|**mean**|**0.800**|**0.000**|"


def test_write_report(results, tmp_path):
    j, m = write_report(results, tmp_path / "out", stem="suite")
    assert j == tmp_path / "out" / "suite.json" and m == tmp_path / "out" / "suite.md"
    data = json.loads(j.read_text())
    assert set(data) == set(BASELINES)
    for policy, rows in results.items():
        assert data[policy]["levels"] == rows
        rates = [r["solve_rate"] for r in rows]
        assert data[policy]["summary"]["mean_solve_rate"] == pytest.approx(np.mean(rates))
        assert data[policy]["summary"]["levels"] == len(rows)
    lines = m.read_text().strip().splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header == ["level", *results]
    table = {}
    for line in lines[2:-1]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[cells[0]] = [float(c) for c in cells[1:]]
    assert list(table) == [r["level"] for r in results["noop"]]
    for k, policy in enumerate(results):
        for row in data[policy]["levels"]:
            assert table[row["level"]][k] == pytest.approx(row["solve_rate"], abs=0.005)
    means = [float(c.strip().strip("*")) for c in lines[-1].strip("|").split("|")[1:]]
    assert means == pytest.approx([data[p]["summary"]["mean_solve_rate"] for p in results], abs=5e-4)
