"""Learning curves from run folders' ``metrics.jsonl`` to PNG (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from tumble.agents.metrics import read_metrics


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over ``window`` points (shorter at the start)."""
    if window <= 1 or len(values) == 0:
        return values
    c = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def _compact(value: float, _pos=None) -> str:
    """Axis numbers as 0, 500, 250k, 1.5M."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def plot_runs(run_dirs: Sequence[str | Path], out: str | Path, metrics: Sequence[str] = ("return", "solve_rate"),
              labels: Sequence[str] | None = None, x: str = "env_steps", window: int = 5,
              title: str | None = None) -> Path:
    """One panel per metric, one line per run; returns the PNG's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    labels = list(labels) if labels else [Path(d).name for d in run_dirs]
    if len(labels) != len(run_dirs):
        raise ValueError("labels: need one label per run")
    data = [read_metrics(d) for d in run_dirs]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for rows, label in zip(data, labels):
            rows = [r for r in rows if metric in r and x in r]
            if not rows:
                continue
            xs = np.asarray([r[x] for r in rows], float)
            ys = smooth(np.asarray([r[metric] for r in rows], float), window)
            ax.plot(xs, ys, label=label)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_compact))
        ax.set_xlabel(x.replace("_", " "))
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(alpha=0.3)
        if metric == "solve_rate":
            ax.set_ylim(-0.02, 1.02)
    axes[0][0].legend(loc="best", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
