"""The training driver: a run folder, compiled chunks of updates, checkpoints, metrics, resume, final evaluation.

    from tumble.agents import load_config, train
    result = train(load_config("configs/s_rocket_aim.yaml", ["ppo.total_timesteps=200000"]))

Layout of ``run.run_dir``: ``config.yaml`` (the resolved config),
``metrics.jsonl``, ``checkpoints/<update>/`` (orbax), ``params.msgpack`` (the
latest weights), and after an evaluation ``eval.json`` / ``eval.md``.

Updates run ``run.updates_per_call`` at a time in one compiled call;
checkpoints are written every ``run.checkpoint_every`` updates (rounded up to
a whole call) and at the end.  ``resume=True`` restores the latest checkpoint
and continues: the run then produces the same weights and metrics as one that
was never interrupted (the checkpoint holds the whole runner state, PRNG key
included, and the chunks line up the same way).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

import jax
import numpy as np

from tumble.agents.checkpoint import PARAMS_FILE, Checkpoints, save_params
from tumble.agents.config import ConfigError, TrainConfig, load_config, save_config, to_dict
from tumble.agents.metrics import MetricsLog, truncate_metrics
from tumble.agents.setup import make_trainer

CONFIG_FILE = "config.yaml"


@dataclasses.dataclass
class TrainResult:
    """What a finished run leaves behind."""

    run_dir: Path
    params: object
    rows: list[dict]  # the metrics written in this session
    compile_seconds: float
    train_seconds: float
    env_steps: int


def _checkpoint_every(cfg: TrainConfig) -> int:
    chunk = cfg.run.updates_per_call
    return -(-cfg.run.checkpoint_every // chunk) * chunk


def _previous_time(run_dir: Path, update: int) -> float:
    from tumble.agents.metrics import read_metrics

    try:
        rows = [r for r in read_metrics(run_dir) if r["update"] <= update]
    except FileNotFoundError:
        return 0.0
    return float(rows[-1]["time"]) if rows else 0.0


def train(cfg: TrainConfig, *, resume: bool = False, init_params=None, levels=None, progress: bool | None = None,
          max_updates: int | None = None, log: Callable[[str], None] = print) -> TrainResult:
    """Run (or resume) a training run; see the module docstring.

    Args:
      cfg: the run's config.  With ``resume`` the folder's saved config is used and must match.
      init_params: start from these weights (fine-tuning) instead of fresh ones.
      levels: override ``cfg.env.levels`` with levels (a list of levels or files), e.g. to fine-tune.
      progress: show a progress bar (default ``cfg.run.progress``).
      max_updates: stop after this many updates in this session (a time-boxed session; ``resume`` goes on).
    """
    from tumble.jax_cache import enable_compilation_cache

    enable_compilation_cache()
    run_dir = Path(cfg.run.run_dir)
    ckpt_dir = run_dir / "checkpoints"
    if resume:
        saved = run_dir / CONFIG_FILE
        if not saved.is_file():
            raise FileNotFoundError(f"--resume: {run_dir} holds no run ({CONFIG_FILE} missing)")
        saved_cfg = load_config(saved)
        if dataclasses.replace(saved_cfg, run=cfg.run) != cfg:
            raise ConfigError(f"--resume: the config differs from the one saved in {saved}; resume with that one")
        cfg = dataclasses.replace(saved_cfg, run=dataclasses.replace(saved_cfg.run, run_dir=str(run_dir)))
    elif ckpt_dir.is_dir() and any(ckpt_dir.iterdir()):
        raise FileExistsError(f"run.run_dir: {run_dir} already holds a run; pass --resume to continue it "
                              f"or choose another folder")
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run_dir / CONFIG_FILE)

    trainer = make_trainer(cfg, levels)
    key = jax.random.PRNGKey(cfg.run.seed)
    t0 = time.perf_counter()
    runner = jax.jit(lambda k, p: trainer.init(k, p))(key, init_params)
    checkpoints = Checkpoints(ckpt_dir, cfg.run.keep_checkpoints)
    start = 0
    if resume and checkpoints.latest() is not None:
        start = checkpoints.latest()
        runner = trainer.place(checkpoints.restore(start, runner))
        log(f"resumed {run_dir} at update {start}")
    truncate_metrics(run_dir, start) if resume else (run_dir / "metrics.jsonl").unlink(missing_ok=True)
    elapsed = _previous_time(run_dir, start) if resume else 0.0

    run_chunk = jax.jit(trainer.run, static_argnums=1, donate_argnums=0)
    compiled: dict[int, Callable] = {}

    def chunk_fn(n: int) -> Callable:
        # compiled ahead of time, so the timings below measure training alone
        if n not in compiled:
            compiled[n] = run_chunk.lower(runner, n).compile()
        return compiled[n]

    total = cfg.ppo.num_updates
    stop = total if max_updates is None else min(total, start + max_updates)
    chunk = cfg.run.updates_per_call
    every = _checkpoint_every(cfg)
    batch = cfg.ppo.batch_size
    sink = MetricsLog(run_dir, to_dict(cfg), cfg.run.tensorboard, cfg.run.wandb, cfg.run.wandb_project)
    bar = _progress(cfg.run.progress if progress is None else progress, total, start)
    rows: list[dict] = []
    compile_s = 0.0
    train_s = 0.0
    u = start
    try:
        while u < stop:
            n = min(chunk, stop - u)
            step = chunk_fn(n)
            if not rows:
                compile_s = time.perf_counter() - t0  # set-up, initial state and compilation
            t = time.perf_counter()
            runner, metrics = step(runner)
            metrics = jax.device_get(metrics)
            dt = time.perf_counter() - t
            train_s += dt
            elapsed += dt
            for i in range(n):
                row = {"update": u + i + 1, "env_steps": (u + i + 1) * batch, "time": round(elapsed, 3),
                       "steps_per_second": round(n * batch / dt, 1)}
                row.update({k: float(np.asarray(v[i])) for k, v in metrics.items()})
                sink.write(row)
                rows.append(row)
            sink.flush()
            u += n
            if u % every == 0 or u == stop:
                checkpoints.save(u, runner)
                save_params(runner.train_state.params, run_dir / PARAMS_FILE)
            if bar is not None:
                bar(u, rows[-1])
    finally:
        sink.close()
        checkpoints.close()
        if bar is not None:
            bar(None, None)
    params = runner.train_state.params
    if u == start:  # nothing left to do (resumed a finished run)
        save_params(params, run_dir / PARAMS_FILE)
    return TrainResult(run_dir=run_dir, params=params, rows=rows, compile_seconds=compile_s,
                       train_seconds=train_s, env_steps=u * batch)


def _progress(enabled: bool, total: int, start: int):
    """A rich progress bar as ``update(u, row)``; ``update(None, None)`` closes it."""
    if not enabled:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                   TimeRemainingColumn())
    task = bar.add_task("train", total=total, completed=start, info="compiling...")
    bar.start()

    def update(u, row):
        if u is None:
            bar.stop()
            return
        info = (f"{row['steps_per_second']:,.0f} steps/s  return {row['return']:.2f}  "
                f"solved {row['solve_rate']:.2f}")
        bar.update(task, completed=u, info=info)

    return update
