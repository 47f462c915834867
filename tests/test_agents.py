"""PPO agents: action distributions, GAE, configs, learning, checkpoints and resume, action/observation types."""

from __future__ import annotations

import dataclasses
import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tumble.agents import distributions as D
from tumble.agents.config import ConfigError, load_config, make_config, save_config
from tumble.agents.ppo import Transition, gae

LEVEL = "rocket_aim"  # a small S level a short PPO run learns (the random policy solves it about 1 time in 3)


# --- distributions ---------------------------------------------------------------------------------

def test_multi_discrete_uniform_logits_give_exact_log_prob_and_entropy():
    dist = D.shape_head("multi_discrete", jnp.zeros((D.head_size("multi_discrete"),)))
    action = jnp.asarray([0, 1, 2, 1, 0, 1])
    # 4 motor channels with 3 choices, 2 thruster channels with 2 (the third is masked out)
    expected = 4 * math.log(1 / 3) + 2 * math.log(1 / 2)
    assert float(D.log_prob("multi_discrete", dist, action)) == pytest.approx(expected, abs=1e-5)
    assert float(D.entropy("multi_discrete", dist)) == pytest.approx(4 * math.log(3) + 2 * math.log(2), abs=1e-5)


def test_multi_discrete_samples_never_pick_a_masked_thruster_choice():
    dist = D.shape_head("multi_discrete", jnp.full((2000, D.head_size("multi_discrete")), 0.0))
    a = np.asarray(D.sample("multi_discrete", dist, jax.random.PRNGKey(0)))
    assert a.shape == (2000, 6)
    assert set(np.unique(a[:, 4:])) == {0, 1}
    assert set(np.unique(a[:, :4])) == {0, 1, 2}
    # uniform: each motor choice about 1/3 of the time
    assert np.allclose([np.mean(a[:, :4] == k) for k in range(3)], 1 / 3, atol=0.03)


def test_discrete_log_prob_matches_softmax():
    logits = jnp.asarray([0.5, -1.0, 2.0] + [0.0] * 8)
    expected = 2.0 - math.log(sum(math.exp(x) for x in [0.5, -1.0, 2.0] + [0.0] * 8))
    assert float(D.log_prob("discrete", logits, jnp.asarray(2))) == pytest.approx(expected, abs=1e-5)
    assert int(D.mode("discrete", logits)) == 2


def test_gaussian_log_prob_and_entropy_match_the_normal_density():
    mean = np.asarray([0.1, -0.2, 0.3, 0.0, 0.5, 0.2], np.float32)
    log_std = np.asarray([-1.0, 0.0, 0.5, -0.5, 0.2, 0.0], np.float32)
    dist = D.shape_head("continuous", jnp.asarray(np.concatenate([mean, log_std])))
    x = np.asarray([0.3, 0.1, -0.4, 0.2, 0.5, 1.0], np.float32)
    std = np.exp(log_std)
    expected = np.sum(-0.5 * ((x - mean) / std) ** 2 - np.log(std * np.sqrt(2 * np.pi)))
    assert float(D.log_prob("continuous", dist, jnp.asarray(x))) == pytest.approx(float(expected), abs=1e-4)
    assert float(D.entropy("continuous", dist)) == pytest.approx(float(np.sum(0.5 * np.log(2 * np.pi * np.e * std ** 2))),
                                                                 abs=1e-4)


# --- GAE ----------------------------------------------------------------------------------------------

def _traj(reward, value, terminated, truncated):
    reward, value = np.asarray(reward, np.float32)[:, None], np.asarray(value, np.float32)[:, None]
    term = np.asarray(terminated, np.float32)[:, None]
    trunc = np.asarray(truncated, bool)[:, None]
    z = np.zeros_like(reward)
    return Transition(obs=z, action=z, log_prob=z, value=jnp.asarray(value), reward=jnp.asarray(reward),
                      done=jnp.asarray((term > 0) | trunc), terminated=jnp.asarray(term), truncated=jnp.asarray(trunc),
                      level_index=z.astype(np.int32), level_valid=z > 0, episode_end=z > 0, episode_return=z,
                      episode_solved=z > 0)


def test_gae_by_hand_with_termination_and_truncation():
    g, lam = 0.9, 0.5
    r = [0.0, 1.0, 0.0, 0.0]
    v = [0.5, 0.6, 0.2, 0.3]
    last = 0.7
    traj = _traj(r, v, terminated=[0, 1, 0, 0], truncated=[0, 0, 1, 0])
    adv, target = gae(traj, jnp.asarray([last], jnp.float32), g, lam)
    # step 3: bootstraps from the final value; step 2 truncated: bootstraps from its own value, cuts the trace;
    # step 1 terminated: no bootstrap; step 0 continues into step 1
    d3 = 0.0 + g * last - 0.3
    d2 = 0.0 + g * 0.2 - 0.2
    d1 = 1.0 - 0.6
    d0 = 0.0 + g * 0.6 - 0.5
    expected = [d0 + g * lam * d1, d1, d2, d3]
    assert np.allclose(np.asarray(adv)[:, 0], expected, atol=1e-6)
    assert np.allclose(np.asarray(target)[:, 0], np.asarray(expected) + np.asarray(v), atol=1e-6)


# --- configs ------------------------------------------------------------------------------------------

def test_config_overrides_types_and_yaml_round_trip(tmp_path):
    cfg = make_config({"ppo": {"lr": 1e-3}}, ["env.size=m", "network.mlp_widths=64,32", "run.progress=false",
                                              "ppo.total_timesteps=1e6"])
    assert (cfg.ppo.lr, cfg.env.size, cfg.network.mlp_widths, cfg.run.progress) == (1e-3, "m", (64, 32), False)
    assert cfg.ppo.total_timesteps == 1_000_000
    # total_timesteps is rounded up to whole updates of num_envs x num_steps
    sizes = ["env.levels=rocket_aim", "ppo.num_envs=32", "ppo.num_steps=32", "ppo.num_minibatches=4"]
    assert make_config(overrides=sizes + ["ppo.total_timesteps=2048"]).ppo.num_updates == 2
    assert make_config(overrides=sizes + ["ppo.total_timesteps=2049"]).ppo.num_updates == 3
    assert make_config(overrides=sizes + ["ppo.total_timesteps=10"]).ppo.num_updates == 1
    save_config(cfg, tmp_path / "c.yaml")
    assert load_config(tmp_path / "c.yaml") == cfg


@pytest.mark.parametrize("override, field", [
    ("ppo.lrr=1", "ppo.lrr"), ("ppo.num_envs=abc", "ppo.num_envs"), ("ppo.num_minibatches=7", "ppo.num_minibatches"),
    ("env.size=xl", "env.size"), ("curriculum.kind=plr", "env.levels"), ("network.heads=6", "network.heads"),
    ("run.progress=maybe", "run.progress"), ("nonsense", "nonsense"),
])
def test_bad_config_names_the_field(override, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        make_config(overrides=["env.levels=rocket_aim", override])


def test_bad_yaml_file_is_a_config_error(tmp_path):
    (tmp_path / "bad.yaml").write_text("ppo: [1, 2\n")
    with pytest.raises(ConfigError, match="bad.yaml"):
        load_config(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("ppo: 3\n")
    with pytest.raises(ConfigError, match="ppo"):
        load_config(tmp_path / "list.yaml")


# --- training ---------------------------------------------------------------------------------------------

def _small(run_dir, steps=32 * 32 * 4, extra=()):
    return make_config(overrides=[
        f"env.levels={LEVEL}", "ppo.num_envs=32", "ppo.num_steps=32", "ppo.num_minibatches=4", "ppo.update_epochs=2",
        f"ppo.total_timesteps={steps}", f"run.run_dir={run_dir}", "run.updates_per_call=2", "run.checkpoint_every=2",
        "run.progress=false", *extra])


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    """A short PPO run on the test level (about 65 k env steps)."""
    from tumble.agents.train import train

    run_dir = tmp_path_factory.mktemp("runs") / "learn"
    cfg = _small(run_dir, steps=32 * 32 * 64, extra=["run.updates_per_call=16", "run.checkpoint_every=32",
                                                     "ppo.lr=1e-3"])
    return cfg, train(cfg, log=lambda s: None)


def test_ppo_learns_a_small_level(learned):
    from tumble.agents.evaluate import evaluate_run

    cfg, result = learned
    rows = result.rows
    assert len(rows) == 64 and rows[-1]["env_steps"] == 64 * 32 * 32
    first = np.mean([r["solve_rate"] for r in rows[:4]])
    last = np.mean([r["solve_rate"] for r in rows[-4:]])
    assert last > 0.8 and last > first + 0.2
    # zero-shot evaluation of the saved weights, against the baselines on the same level
    res = evaluate_run(result.run_dir, LEVEL, episodes=32)
    assert res["agent"][0]["solve_rate"] > 0.8
    assert res["agent"][0]["solve_rate"] > res["random"][0]["solve_rate"] + 0.2
    assert res["noop"][0]["solve_rate"] == 0.0


def test_run_folder_layout_and_metrics(learned):
    cfg, result = learned
    d = result.run_dir
    assert load_config(d / "config.yaml") == cfg
    rows = [json.loads(line) for line in (d / "metrics.jsonl").read_text().splitlines()]
    assert [r["update"] for r in rows] == list(range(1, 65))
    assert all(0.0 <= r["solve_rate"] <= 1.0 and math.isfinite(r["loss"]) for r in rows)
    assert (d / "params.msgpack").stat().st_size > 1000
    assert sorted(p.name for p in (d / "checkpoints").iterdir() if p.name.isdigit()) == ["32", "64"]


def test_a_second_run_into_the_same_folder_is_refused(learned):
    from tumble.agents.train import train

    cfg, _ = learned
    with pytest.raises(FileExistsError, match="--resume"):
        train(cfg, log=lambda s: None)


def test_resume_after_a_kill_gives_the_same_run(tmp_path):
    """4 updates straight vs 2 updates, stop (as if killed), resume for the rest: same weights and metrics."""
    from tumble.agents.train import train

    whole = train(_small(tmp_path / "whole"), log=lambda s: None)
    cfg = _small(tmp_path / "split")
    first = train(cfg, max_updates=2, log=lambda s: None)
    assert first.env_steps == 2 * 32 * 32
    # the killed session may have written metrics past its checkpoint: a resume must drop them
    with open(tmp_path / "split" / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"update": 3, "env_steps": 0, "time": 0, "return": 99}) + "\n{torn")
    second = train(cfg, resume=True, log=lambda s: None)
    assert [r["update"] for r in second.rows] == [3, 4]
    for a, b in zip(jax.tree_util.tree_leaves(whole.params), jax.tree_util.tree_leaves(second.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    rows = [json.loads(x) for x in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()]
    straight = [json.loads(x) for x in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    assert [r["update"] for r in rows] == [1, 2, 3, 4]
    for r, s in zip(rows, straight):
        assert r["return"] == s["return"] and r["loss"] == s["loss"]
    # a resume with a different config is refused
    changed = dataclasses.replace(cfg, ppo=dataclasses.replace(cfg.ppo, lr=1.0))
    with pytest.raises(ConfigError, match="differs"):
        train(changed, resume=True, log=lambda s: None)


@pytest.mark.parametrize("action, observation", [
    ("discrete", "flat"), ("continuous", "blind"), ("multi_discrete", "entity"), ("discrete", "pixels"),
])
def test_one_update_for_every_network_and_action_type(action, observation):
    from tumble.agents.setup import make_trainer

    cfg = make_config(overrides=[
        f"env.levels={LEVEL}", f"env.action={action}", f"env.observation={observation}", "env.pixel_size=32",
        "ppo.num_envs=4", "ppo.num_steps=8", "ppo.num_minibatches=2", "ppo.update_epochs=1", "network.width=32",
        "network.heads=4", "network.layers=1", "run.progress=false"])
    trainer = make_trainer(cfg)
    runner = trainer.init(jax.random.PRNGKey(0))
    before = runner.train_state.params
    runner, metrics = jax.jit(trainer.update)(runner)
    assert int(runner.update) == 1
    assert all(np.isfinite(float(v)) for v in metrics.values())
    moved = [float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree_util.tree_leaves(before),
                                                           jax.tree_util.tree_leaves(runner.train_state.params))]
    assert max(moved) > 0


def test_network_must_match_the_observation():
    from tumble.agents.networks import network_kind

    assert network_kind("auto", "entity") == "transformer"
    with pytest.raises(ValueError, match="network.kind"):
        network_kind("cnn", "flat")
