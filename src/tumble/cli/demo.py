"""``tumble demo``: the README's main job on a CPU.

Trains PPO (MLP on flat observations) on one small hand-made S level for a few
hundred thousand env steps, evaluates the agent against random and no-op
policies, and writes into ``out``: ``run/`` (the training run: config,
metrics, checkpoint, weights), ``learning_curve.png``, ``agent.gif`` (one
episode of the trained agent), ``eval.json`` / ``eval.md`` and
``summary.json``.  About three to five minutes on a 2-core CPU, most of it
training.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any, Callable

DEMO_LEVEL = "flappy_hop"  # random and no-op policies never solve it; PPO does in about 100 k steps
DEMO_STEPS = 300_000
GIF_SIZE = 320


def demo_config(level: str, steps: int, run_dir: Path):
    """The demo's training config: small batches that learn quickly on two cores."""
    from tumble.agents.config import make_config

    return make_config(overrides=[
        "env.size=s", f"env.levels={level}", "env.observation=flat", "curriculum.kind=fixed",
        "ppo.num_envs=64", "ppo.num_steps=64", "ppo.num_minibatches=4", "ppo.update_epochs=4",
        f"ppo.total_timesteps={steps}", f"run.run_dir={run_dir}", "run.updates_per_call=5",
        "run.checkpoint_every=100000",
    ])


def record_agent_gif(cfg, params, level, path: Path, seed: int = 0) -> str:
    """Play one episode with the trained agent and draw it; returns the episode's outcome."""
    import jax

    from tumble.agents.evaluate import agent_policy, suite_env
    from tumble.agents.networks import make_network
    from tumble.agents.rollouts import episode_channels
    from tumble.levels import compile_level
    from tumble.render.export import save_gif
    from tumble.render.raster import human_config
    from tumble.render.rollout import draw_episode, run_episode

    env, env_params = suite_env(cfg, {level.name: level})
    network = make_network(cfg.network, cfg.env.observation, cfg.env.action)
    compiled = compile_level(level, env.capacity)
    channels, steps = jax.jit(lambda k: episode_channels(
        env, env_params, agent_policy(network, params, cfg.env.action), compiled, k, level.episode_length))(
        jax.random.PRNGKey(seed))
    episode = run_episode(level, jax.device_get(channels)[: int(steps)])
    frames = draw_episode(episode, human_config(GIF_SIZE))[::2]  # 30 frames per simulated second
    save_gif(frames, path, fps=30)
    return episode.outcome


def run_demo(out: str | Path = "runs/demo", level: str = DEMO_LEVEL, steps: int = DEMO_STEPS,
             log: Callable[[str], Any] = print) -> dict[str, Any]:
    """Train, evaluate, draw; returns the summary written to ``summary.json``."""
    from tumble.agents.evaluate import agent_policy, baseline_policy, evaluate_policy, format_table, suite_env
    from tumble.agents.evaluate import write_report
    from tumble.agents.networks import make_network
    from tumble.agents.plot import plot_runs
    from tumble.agents.train import train
    from tumble.render.rollout import resolve_level

    start = time.perf_counter()
    out = Path(out)
    run_dir = out / "run"
    if (run_dir / "config.yaml").is_file():  # the previous demo's own run: start afresh
        shutil.rmtree(run_dir)
    the_level = resolve_level(level)
    cfg = demo_config(level, steps, run_dir)
    log(f"tumble demo: PPO on the S level {the_level.name!r} for {cfg.ppo.num_updates * cfg.ppo.batch_size:,} "
        f"env steps ({cfg.ppo.num_envs} envs), output in {out}/")
    result = train(cfg, log=log)
    last = result.rows[-1]
    log(f"trained: {result.env_steps:,} steps in {result.train_seconds:.0f} s "
        f"({result.env_steps / max(result.train_seconds, 1e-9):,.0f} steps/s) after {result.compile_seconds:.0f} s "
        f"of compilation; training solve rate {last['solve_rate']:.2f}")

    levels = {the_level.name: the_level}
    env, env_params = suite_env(cfg, levels)
    network = make_network(cfg.network, cfg.env.observation, cfg.env.action)
    results = {"agent": evaluate_policy(env, env_params, agent_policy(network, result.params, cfg.env.action),
                                        levels, episodes=32)}
    for name in ("random", "noop"):
        results[name] = evaluate_policy(env, env_params, baseline_policy(name, env), levels, episodes=32)
    write_report(results, out)
    log(format_table(results))
    curve = plot_runs([run_dir], out / "learning_curve.png", labels=[the_level.name],
                      title=f"PPO on {the_level.name}")
    outcome = record_agent_gif(cfg, result.params, the_level, out / "agent.gif")
    summary = {
        "level": the_level.name, "env_steps": result.env_steps, "compile_seconds": round(result.compile_seconds, 1),
        "train_seconds": round(result.train_seconds, 1),
        "steps_per_second": round(result.env_steps / max(result.train_seconds, 1e-9)),
        "solve_rate": results["agent"][0]["solve_rate"], "random_solve_rate": results["random"][0]["solve_rate"],
        "noop_solve_rate": results["noop"][0]["solve_rate"], "gif_episode": outcome,
        "total_seconds": round(time.perf_counter() - start, 1),
        "files": {"run": str(run_dir), "curve": str(curve), "gif": str(out / "agent.gif"),
                  "eval": str(out / "eval.md")},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log(f"agent solve rate {summary['solve_rate']:.2f} (random {summary['random_solve_rate']:.2f}, no-op "
        f"{summary['noop_solve_rate']:.2f}); wrote {curve}, {out / 'agent.gif'} ({outcome}), {out / 'eval.md'} "
        f"in {summary['total_seconds']:.0f} s")
    return summary
