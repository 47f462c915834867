"""Where training metrics go: JSONL always, TensorBoard and Weights & Biases when asked, a progress bar.

One row per update: ``update``, ``env_steps``, ``time`` (seconds of training,
summed over resumed sessions), ``steps_per_second`` and every metric the
update returns (``return``, ``solve_rate``, losses, curriculum statistics).
"""

from __future__ import annotations

import json
from pathlib import Path

METRICS_FILE = "metrics.jsonl"


def read_metrics(run_dir: str | Path) -> list[dict]:
    """The rows of a run's ``metrics.jsonl`` (a torn last line from a killed run is skipped)."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no metrics (is {run_dir} a training run folder?)")
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def truncate_metrics(run_dir: str | Path, last_update: int) -> list[dict]:
    """Keep only rows up to ``last_update`` (a resumed run rewrites what came after its checkpoint)."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return []
    rows = [r for r in read_metrics(run_dir) if r["update"] <= last_update]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tmp.replace(path)
    return rows


class MetricsLog:
    """Appends rows to ``metrics.jsonl`` and forwards them to the optional sinks."""

    def __init__(self, run_dir: str | Path, config_dict: dict, tensorboard: bool = False, wandb: bool = False,
                 wandb_project: str = "tumble") -> None:
        self.path = Path(run_dir) / METRICS_FILE
        self.file = self.path.open("a")
        self.tb = None
        self.wandb = None
        if tensorboard:
            try:
                from tensorboardX import SummaryWriter
            except ImportError:
                raise RuntimeError("run.tensorboard: needs tensorboardX (pip install 'tumble[tensorboard]')") from None
            self.tb = SummaryWriter(str(Path(run_dir) / "tensorboard"))
        if wandb:
            try:
                import wandb as wb
            except ImportError:
                raise RuntimeError("run.wandb: needs wandb (pip install 'tumble[wandb]')") from None
            self.wandb = wb.init(project=wandb_project, config=config_dict, dir=str(run_dir),
                                 name=Path(run_dir).name, resume="allow")

    def write(self, row: dict) -> None:
        self.file.write(json.dumps(row) + "\n")
        if self.tb is not None:
            for k, v in row.items():
                if k not in ("update", "env_steps") and isinstance(v, (int, float)):
                    self.tb.add_scalar(k, v, row["env_steps"])
        if self.wandb is not None:
            self.wandb.log(row, step=row["update"])

    def flush(self) -> None:
        self.file.flush()
        if self.tb is not None:
            self.tb.flush()

    def close(self) -> None:
        self.file.close()
        if self.tb is not None:
            self.tb.close()
        if self.wandb is not None:
            self.wandb.finish()
