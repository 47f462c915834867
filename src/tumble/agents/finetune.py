"""Fine-tuning: continue a pretrained agent on target levels, and compare with the same run from scratch.

Both runs use the pretrained run's config (network, environment type) with a
fixed curriculum on the target levels and the same seed; only the starting
weights differ.  Output in ``out``: ``finetune/`` and ``scratch/`` run
folders, ``finetune.png`` (both learning curves) and ``finetune.json``
(final solve rates and env steps to a 0.9 solve rate).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from tumble.agents.config import make_config, to_dict
from tumble.agents.evaluate import load_agent
from tumble.agents.plot import plot_runs
from tumble.agents.train import train

DEFAULT_STEPS = 1_000_000


def steps_to(rows: list[dict], threshold: float = 0.9, window: int = 5, min_episodes: int = 20) -> int | None:
    """Env steps at which the solve rate over the last ``window`` updates first reaches ``threshold``.

    The rate is episode-weighted (solved episodes / episodes in the window), only full
    windows count, and a window must hold ``min_episodes`` episodes, so a lucky first
    update with two short episodes does not count.  ``None``: never.
    """
    if len(rows) < window:
        return None
    eps = np.asarray([r.get("episodes", 1.0) for r in rows], float)
    solved = np.asarray([r["solve_rate"] for r in rows], float) * eps
    for i in range(window - 1, len(rows)):
        n = eps[i - window + 1: i + 1].sum()
        if n >= min_episodes and solved[i - window + 1: i + 1].sum() / n >= threshold:
            return int(rows[i]["env_steps"])
    return None


def finetune(run_dir: str | Path, levels: str, out: str | Path, overrides: Sequence[str] = (), scratch: bool = True,
             log: Callable[[str], None] = print) -> dict:
    """Fine-tune ``run_dir``'s agent on ``levels`` (and train from scratch); returns the report."""
    src_cfg, _, params = load_agent(run_dir)
    out = Path(out)
    data = to_dict(src_cfg)
    data["env"]["levels"] = levels
    data["curriculum"]["kind"] = "fixed"
    data["ppo"]["total_timesteps"] = DEFAULT_STEPS
    data["run"]["eval_levels"] = ""
    base = make_config(data, overrides)
    report: dict = {"pretrained": str(run_dir), "levels": levels, "config": to_dict(base), "runs": {}}
    runs = [("finetune", params)] + ([("scratch", None)] if scratch else [])
    for name, init in runs:
        cfg = dataclasses.replace(base, run=dataclasses.replace(base.run, run_dir=str(out / name)))
        log(f"{name}: training on {levels} for {cfg.ppo.num_updates * cfg.ppo.batch_size:,} env steps")
        result = train(cfg, init_params=init, log=log)
        report["runs"][name] = {
            "run_dir": str(result.run_dir), "final_solve_rate": result.rows[-1]["solve_rate"] if result.rows else None,
            "steps_to_0.9": steps_to(result.rows), "train_seconds": result.train_seconds,
        }
    names = [n for n, _ in runs]
    labels = ["fine-tuned" if n == "finetune" else "from scratch" for n in names]
    report["plot"] = str(plot_runs([out / n for n in names], out / "finetune.png", labels=labels,
                                   title=f"fine-tuning on {levels}"))
    (out / "finetune.json").write_text(json.dumps(report, indent=2) + "\n")
    return report
