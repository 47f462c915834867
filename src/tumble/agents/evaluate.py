"""Zero-shot evaluation: solve rate per level on a suite, for an agent and for baseline policies.

A suite is any set of levels of one size: ``"bundled:s"`` (the hand-made
library), a folder of level files (imported Kinetix levels included), one
file, or a comma-separated list of bundled names.  Each level is played for
``episodes`` independent episodes (all levels and episodes in one ``vmap``);
an episode counts as solved if green touches blue before red and before the
level's time limit.  Baselines: ``random`` (uniform over the action space) and
``noop`` (all channels off; ``auto`` motors still run).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from tumble.agents import distributions as D
from tumble.agents.rollouts import first_episodes
from tumble.env.environment import Env
from tumble.levels import Level, load_level, stack_levels

BASELINES = ("random", "noop")


def load_suite(spec: str, size: str) -> dict[str, Level]:
    """Levels of a suite by name: ``bundled[:size]``, a folder, a file, or comma-separated bundled names."""
    from tumble.levels.library import bundled_paths, load_bundled

    if spec == "bundled" or spec.startswith("bundled:"):
        which = spec.split(":", 1)[1] if ":" in spec else size
        return {name: load_level(path) for name, path in bundled_paths(which).items()}
    path = Path(spec)
    if path.is_dir():
        files = sorted(path.rglob("*.json"))
        if not files:
            raise ValueError(f"suite {spec}: no .json level files in this folder")
        return {str(f.relative_to(path).with_suffix("")): load_level(f) for f in files}
    if path.suffix == ".json":
        return {path.stem: load_level(path)}
    return {name.strip(): load_bundled(name.strip()) for name in spec.split(",") if name.strip()}


def agent_policy(network, params, action_type: str, greedy: bool = False) -> Callable:
    """``(obs, key) -> actions`` of a trained network."""
    def policy(obs, key):
        dist, _ = network.apply(params, obs)
        return D.mode(action_type, dist) if greedy else D.sample(action_type, dist, key)
    return policy


def baseline_policy(name: str, env: Env) -> Callable:
    """``random`` or ``noop`` as ``(obs, key) -> actions``."""
    space = env.action_space()

    def batch_size(obs):
        return jax.tree_util.tree_leaves(obs)[0].shape[0]

    if name == "random":
        return lambda obs, key: jax.vmap(space.sample)(jax.random.split(key, batch_size(obs)))
    if name == "noop":
        return lambda obs, key: jnp.zeros((batch_size(obs),) + tuple(space.shape), space.dtype)
    raise ValueError(f"baseline: unknown policy {name!r} (known: {', '.join(BASELINES)})")


def evaluate_policy(env: Env, env_params, policy: Callable, levels: dict[str, Level], episodes: int = 8,
                    seed: int = 0) -> list[dict]:
    """Play ``episodes`` episodes on every level; one row per level (solve rate, fail rate, return, length)."""
    names = list(levels)
    batch = stack_levels([levels[n] for n in names], env.capacity)
    reps = jax.tree_util.tree_map(lambda x: jnp.repeat(x, episodes, axis=0), batch)
    max_steps = int(np.max(np.asarray(batch.episode_length)))
    play = jax.jit(lambda lv, k: first_episodes(env, env_params, policy, lv, k, max_steps))
    out = jax.device_get(play(reps, jax.random.PRNGKey(seed)))
    rows = []
    for i, name in enumerate(names):
        sl = slice(i * episodes, (i + 1) * episodes)
        solved = int(np.sum(out.solved[sl]))
        failed = int(np.sum(out.failed[sl]))
        # an episode still running after max_steps can only happen past the level's own limit: count it as unsolved
        rets = np.where(out.episodes[sl] > 0, out.returns[sl], 0.0)
        rows.append({"level": name, "episodes": episodes, "solve_rate": solved / episodes,
                     "fail_rate": failed / episodes, "mean_return": float(np.mean(rets)),
                     "mean_length": float(np.mean(np.where(out.episodes[sl] > 0, out.lengths[sl], max_steps)))})
    return rows


def summary(rows: list[dict]) -> dict:
    """Mean solve rate over levels, and how many levels are solved at least 90% of the time."""
    rates = [r["solve_rate"] for r in rows]
    return {"levels": len(rows), "mean_solve_rate": float(np.mean(rates)) if rates else 0.0,
            "levels_solved_90": int(sum(r >= 0.9 for r in rates))}


def format_table(results: dict[str, list[dict]]) -> str:
    """A Markdown table of solve rates: one row per level, one column per policy."""
    policies = list(results)
    names = [r["level"] for r in results[policies[0]]]
    lines = ["| level | " + " | ".join(policies) + " |", "|---|" + "---|" * len(policies)]
    for i, name in enumerate(names):
        lines.append(f"| {name} | " + " | ".join(f"{results[p][i]['solve_rate']:.2f}" for p in policies) + " |")
    lines.append("| **mean** | " + " | ".join(f"**{summary(results[p])['mean_solve_rate']:.3f}**"
                                             for p in policies) + " |")
    return "\n".join(lines)


def write_report(results: dict[str, list[dict]], out_dir: str | Path, stem: str = "eval") -> tuple[Path, Path]:
    """Write ``<stem>.json`` (rows and summaries per policy) and ``<stem>.md`` (the table)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {p: {"summary": summary(rows), "levels": rows} for p, rows in results.items()}
    j, m = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    j.write_text(json.dumps(data, indent=2) + "\n")
    m.write_text(format_table(results) + "\n")
    return j, m


def load_agent(run_dir: str | Path):
    """``(config, network, params)`` of a training run folder."""
    from tumble.agents.checkpoint import PARAMS_FILE, load_params
    from tumble.agents.config import load_config
    from tumble.agents.networks import make_network
    from tumble.agents.train import CONFIG_FILE

    run_dir = Path(run_dir)
    if not (run_dir / CONFIG_FILE).is_file():
        raise FileNotFoundError(f"{run_dir}: not a training run folder ({CONFIG_FILE} missing)")
    cfg = load_config(run_dir / CONFIG_FILE)
    network = make_network(cfg.network, cfg.env.observation, cfg.env.action)
    return cfg, network, load_params(run_dir / PARAMS_FILE)


def suite_env(cfg, levels: dict[str, Level]):
    """The unwrapped env (and params) of a run's config, for playing a suite's levels."""
    import tumble

    e = cfg.env
    env, params = tumble.make(e.size, action=e.action, observation=e.observation, levels=[next(iter(levels.values()))],
                              frame_skip=e.frame_skip, auto_reset=False,
                              pixel_size=e.pixel_size if e.observation == "pixels" else None)
    return env, params


def evaluate_run(run_dir: str | Path, suite: str, episodes: int = 16, baselines: bool = True, greedy: bool = False,
                 seed: int = 0) -> dict[str, list[dict]]:
    """Solve rates of a trained run's agent (and optionally the baselines) on a suite."""
    cfg, network, params = load_agent(run_dir)
    levels = load_suite(suite, cfg.env.size)
    if not levels:
        raise ValueError(f"suite {suite}: no levels")
    env, env_params = suite_env(cfg, levels)
    results = {"agent": evaluate_policy(env, env_params, agent_policy(network, params, cfg.env.action, greedy),
                                        levels, episodes, seed)}
    if baselines:
        for name in BASELINES:
            results[name] = evaluate_policy(env, env_params, baseline_policy(name, env), levels, episodes, seed)
    return results
