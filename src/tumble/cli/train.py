"""``tumble train``, ``eval``, ``finetune``, ``plot`` and ``demo``: the training commands.

Each command imports JAX and the agents package only when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tumble.cli.demo import DEMO_LEVEL, DEMO_STEPS

Overrides = Annotated[Optional[list[str]], typer.Argument(
    help="Config overrides as section.field=value, e.g. ppo.num_envs=512 env.levels=bundled:s.", show_default=False)]
ConfigFile = Annotated[Optional[Path], typer.Option("--config", "-c", help="A YAML config file (see configs/).",
                                                    exists=True, dir_okay=False)]


def _fail(e: Exception) -> None:
    typer.secho(f"error: {e}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _expected_errors():
    from tumble.agents.config import ConfigError
    from tumble.levels import LevelError

    return (ConfigError, LevelError, FileNotFoundError, FileExistsError, KeyError, ValueError)


def train_command(
    overrides: Overrides = None,
    config: ConfigFile = None,
    run_dir: Annotated[Optional[Path], typer.Option("--run-dir", "-o", help="Run folder (run.run_dir).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --run-dir from its last checkpoint.")]
    = False,
    evaluate: Annotated[Optional[str], typer.Option("--eval", help="Evaluate on this suite at the end "
                                                    "(e.g. bundled:s); default run.eval_levels.")] = None,
) -> None:
    """Train an agent with PPO; metrics, checkpoints and weights go to the run folder."""
    from tumble.agents.config import load_config

    extra = list(overrides or [])
    if run_dir is not None:
        extra.append(f"run.run_dir={run_dir}")
    try:
        cfg = load_config(config, extra)
        if resume and config is None:
            from tumble.agents.train import CONFIG_FILE

            cfg = load_config(Path(cfg.run.run_dir) / CONFIG_FILE, extra)
        from tumble.agents.train import train

        result = train(cfg, resume=resume, log=typer.echo)
    except _expected_errors() as e:
        _fail(e)
    last = result.rows[-1] if result.rows else {}
    typer.echo(f"{result.run_dir}: {result.env_steps:,} env steps; compile {result.compile_seconds:.1f} s, "
               f"train {result.train_seconds:.1f} s; last return {last.get('return', float('nan')):.3f}, "
               f"solve rate {last.get('solve_rate', float('nan')):.3f}")
    suite = evaluate if evaluate is not None else cfg.run.eval_levels
    if suite:
        _evaluate_run(result.run_dir, suite, cfg.run.eval_episodes, baselines=True, greedy=False,
                      out=result.run_dir, seed=cfg.run.seed)


def _evaluate_run(run_dir: Path, suite: str, episodes: int, baselines: bool, greedy: bool, out: Path,
                  seed: int = 0) -> dict:
    from tumble.agents.evaluate import evaluate_run, format_table, write_report

    results = evaluate_run(run_dir, suite, episodes=episodes, baselines=baselines, greedy=greedy, seed=seed)
    j, m = write_report(results, out)
    typer.echo(format_table(results))
    typer.echo(f"wrote {j} and {m}")
    return results


def eval_command(
    run_dir: Annotated[Path, typer.Argument(help="A training run folder (config.yaml + params.msgpack).")],
    levels: Annotated[str, typer.Option("--levels", "-l", help="Suite: bundled[:size], a folder of level files, "
                                        "a file, or comma-separated bundled names.")] = "bundled",
    episodes: Annotated[int, typer.Option("--episodes", "-n", min=1, help="Episodes per level.")] = 16,
    baselines: Annotated[bool, typer.Option("--baselines/--no-baselines", help="Also a random and a no-op policy.")]
    = True,
    greedy: Annotated[bool, typer.Option("--greedy", help="Take the most likely action instead of sampling.")]
    = False,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for eval.json and eval.md "
                                                "(default: the run folder).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Zero-shot solve rate per level of a suite: a table and a JSON file."""
    try:
        _evaluate_run(run_dir, levels, episodes, baselines, greedy, out or run_dir, seed)
    except _expected_errors() as e:
        _fail(e)


def finetune_command(
    run_dir: Annotated[Path, typer.Argument(help="The pretrained run folder.")],
    levels: Annotated[str, typer.Option("--levels", "-l", help="Level(s) to fine-tune on: a bundled name, a file, "
                                        "a folder or bundled[:size].")],
    overrides: Overrides = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the two runs and the comparison plot.")]
    = Path("runs/finetune"),
    scratch: Annotated[bool, typer.Option("--scratch/--no-scratch", help="Also train from scratch to compare.")]
    = True,
) -> None:
    """Fine-tune a pretrained agent on levels, and train the same run from scratch for comparison."""
    from tumble.agents.finetune import finetune

    try:
        report = finetune(run_dir, levels, out, list(overrides or []), scratch=scratch, log=typer.echo)
    except _expected_errors() as e:
        _fail(e)
    for name, info in report["runs"].items():
        typer.echo(f"{name}: final solve rate {info['final_solve_rate']:.3f}; steps to 0.9: {info['steps_to_0.9']}")
    typer.echo(f"wrote {report['plot']}")


def plot_command(
    run_dirs: Annotated[list[Path], typer.Argument(help="One or more run folders.")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="PNG file (default RUN_DIR/curve.png).")] = None,
    metric: Annotated[Optional[list[str]], typer.Option("--metric", "-m", help="Metrics to draw (repeatable).")]
    = None,
    window: Annotated[int, typer.Option("--window", min=1, help="Moving-average window in updates.")] = 5,
) -> None:
    """Draw learning curves (return and solve rate against env steps) to a PNG."""
    from tumble.agents.plot import plot_runs

    target = out or (run_dirs[0] / "curve.png")
    try:
        path = plot_runs(run_dirs, target, metrics=tuple(metric or ("return", "solve_rate")), window=window)
    except _expected_errors() as e:
        _fail(e)
    typer.echo(f"wrote {path}")


def demo_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the run, GIF, curve and evaluation.")]
    = Path("runs/demo"),
    level: Annotated[str, typer.Option("--level", "-l", help="The S level to learn.")] = DEMO_LEVEL,
    steps: Annotated[int, typer.Option("--steps", "-n", min=1000, help="Env steps to train for.")] = DEMO_STEPS,
) -> None:
    """Train PPO briefly on a small S level, evaluate it, and write a learning curve and a GIF of the agent."""
    from tumble.cli.demo import run_demo

    try:
        summary = run_demo(out, level, steps, log=typer.echo)
    except _expected_errors() as e:
        _fail(e)
    if summary["solve_rate"] is None:
        raise typer.Exit(1)


def register_training_commands(app: typer.Typer) -> None:
    """Add the training commands to the ``tumble`` app."""
    app.command("train")(train_command)
    app.command("eval")(eval_command)
    app.command("finetune")(finetune_command)
    app.command("plot")(plot_command)
    app.command("demo")(demo_command)
