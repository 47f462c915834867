"""Training configuration: typed, frozen dataclasses, YAML files and ``key=value`` overrides.

A run is fully described by one :class:`TrainConfig`; every run writes its
resolved config to ``RUN_DIR/config.yaml`` so it can be read, diffed and re-run.

    cfg = load_config("configs/s_general.yaml", ["ppo.num_envs=512", "curriculum.kind=sfl"])
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence, get_type_hints

import yaml

NETWORKS = ("auto", "mlp", "transformer", "cnn")
CURRICULA = ("fixed", "dr", "plr", "accel", "sfl")


@dataclasses.dataclass(frozen=True)
class EnvConfig:
    """What the agent plays: see :func:`tumble.make`."""

    size: str = "s"
    action: str = "multi_discrete"
    observation: str = "flat"
    levels: str = "generator"  # "generator", "bundled[:size]", a bundled level name, a file or a folder
    frame_skip: int = 2
    dense_reward_scale: float = 0.0
    pixel_size: int = 64


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """The actor-critic. ``auto`` picks the MLP for flat/blind, the transformer for entity, the CNN for pixels."""

    kind: str = "auto"
    width: int = 128  # transformer width, CNN/MLP output width
    layers: int = 2  # transformer blocks
    heads: int = 8  # attention heads (a multiple of 4: one group per attention mask)
    mlp_widths: tuple[int, ...] = (256, 256)
    head_width: int = 128


@dataclasses.dataclass(frozen=True)
class PPOConfig:
    """PPO hyperparameters (the reference's defaults where sensible for short runs)."""

    num_envs: int = 256
    num_steps: int = 64  # env steps per environment per update
    total_timesteps: int = 1_000_000  # rounded up to whole updates
    update_epochs: int = 4
    num_minibatches: int = 8
    lr: float = 3e-4
    anneal_lr: bool = True
    gamma: float = 0.995
    gae_lambda: float = 0.9
    clip_eps: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5

    @property
    def batch_size(self) -> int:
        return self.num_envs * self.num_steps

    @property
    def num_updates(self) -> int:
        """Updates to run: ``total_timesteps`` rounded up to whole updates (so at least that many env steps)."""
        return max(1, -(-self.total_timesteps // self.batch_size))


@dataclasses.dataclass(frozen=True)
class CurriculumConfig:
    """Which levels the environments reset to, and how that changes as the agent learns.

    - ``fixed``: the ``env.levels`` pool as it is.
    - ``dr``: domain randomisation: a pool of ``pool_size`` generated, no-op-filtered levels,
      ``refresh`` of them replaced by fresh ones every update.
    - ``plr``: prioritised level replay over a buffer of ``pool_size`` levels scored by
      positive value loss; with probability ``replay_prob`` an update replays the buffer,
      otherwise it trains on ``new_levels`` fresh levels and keeps the best-scoring ones.
    - ``accel``: PLR whose new levels are mutations of buffer levels (``mutation_fraction``).
    - ``sfl``: every ``sfl_interval`` updates, roll the policy out on ``sfl_candidates``
      generated levels (``sfl_episodes`` parallel copies of each, ``sfl_rollout_steps`` steps)
      and keep the ``pool_size`` with the highest learnability p(1 - p).
    """

    kind: str = "fixed"
    pool_size: int = 256
    refresh: int = 16
    noop_filter: bool = True
    replay_prob: float = 0.8
    new_levels: int = 64
    temperature: float = 0.3
    staleness_coef: float = 0.3
    mutation_fraction: float = 0.5
    sfl_interval: int = 10
    sfl_candidates: int = 1024
    sfl_rollout_steps: int = 256
    sfl_episodes: int = 8  # parallel copies of each candidate, so p is measured over several episodes
    sfl_dr_fraction: float = 0.25


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Bookkeeping: seed, output folder, checkpoints, logging, evaluation."""

    seed: int = 0
    run_dir: str = "runs/train"
    updates_per_call: int = 10  # updates in one compiled call (logging and checkpoint granularity)
    checkpoint_every: int = 50  # updates; rounded up to a multiple of updates_per_call
    keep_checkpoints: int = 2
    eval_levels: str = ""  # suite evaluated at the end: "bundled:s", a folder, ...; empty: none
    eval_episodes: int = 8
    tensorboard: bool = False
    wandb: bool = False
    wandb_project: str = "tumble"
    progress: bool = True
    devices: int = 0  # data-parallel devices for the environment batch; 0: all local devices


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """A whole training run."""

    env: EnvConfig = EnvConfig()
    network: NetworkConfig = NetworkConfig()
    ppo: PPOConfig = PPOConfig()
    curriculum: CurriculumConfig = CurriculumConfig()
    run: RunConfig = RunConfig()


class ConfigError(ValueError):
    """A config file or override names an unknown field or gives a value of the wrong type."""


def to_dict(cfg) -> dict[str, Any]:
    """The config as plain nested dicts (tuples become lists)."""
    def plain(x):
        if dataclasses.is_dataclass(x):
            return {f.name: plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
        if isinstance(x, tuple):
            return [plain(v) for v in x]
        return x
    return plain(cfg)


def _coerce(value, typ, where: str):
    """Convert a YAML/CLI value to the field's declared type, or raise naming the field."""
    origin = getattr(typ, "__origin__", None)
    try:
        if typ is bool:
            if isinstance(value, str):
                if value.lower() in ("true", "1", "yes", "on"):
                    return True
                if value.lower() in ("false", "0", "no", "off"):
                    return False
                raise ValueError
            if not isinstance(value, (bool, int)):
                raise ValueError
            return bool(value)
        if typ is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(float(value)) if isinstance(value, str) and ("e" in value.lower()) else int(value)
        if typ is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if typ is str:
            return str(value)
        if origin is tuple:
            if isinstance(value, str):
                value = yaml.safe_load(value if value.startswith("[") else f"[{value}]")
            return tuple(int(v) for v in value)
    except (TypeError, ValueError):
        pass
    else:
        return value
    raise ConfigError(f"{where}: expected {getattr(typ, '__name__', typ)}, got {value!r}")


def _build(cls, data: dict, where: str):
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a mapping, got {type(data).__name__}")
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{where + '.' if where else ''}{unknown[0]}: unknown field (known: {', '.join(sorted(names))})")
    kwargs = {}
    for name, value in data.items():
        typ = hints[name]
        path = f"{where}.{name}" if where else name
        kwargs[name] = _build(typ, value, path) if dataclasses.is_dataclass(typ) else _coerce(value, typ, path)
    return cls(**kwargs)


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def parse_overrides(overrides: Sequence[str]) -> dict:
    """``["ppo.lr=1e-4", "env.size=m"]`` -> nested dict (values parsed by the field types later)."""
    out: dict = {}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r}: expected section.field=value")
        key, value = item.split("=", 1)
        parts = key.strip().split(".")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value.strip()
    return out


def validate(cfg: TrainConfig) -> TrainConfig:
    """Check values that types cannot (ranges, choices, divisibility); raise naming the field."""
    p, c, n = cfg.ppo, cfg.curriculum, cfg.network
    checks = [
        (cfg.env.size in ("s", "m", "l"), "env.size", "must be s, m or l"),
        (cfg.env.action in ("multi_discrete", "discrete", "continuous"), "env.action",
         "must be multi_discrete, discrete or continuous"),
        (cfg.env.observation in ("flat", "entity", "blind", "pixels"), "env.observation",
         "must be flat, entity, blind or pixels"),
        (cfg.env.frame_skip >= 1, "env.frame_skip", "must be >= 1"),
        (n.kind in NETWORKS, "network.kind", f"must be one of {', '.join(NETWORKS)}"),
        (n.heads % 4 == 0 and n.heads > 0, "network.heads", "must be a positive multiple of 4"),
        (n.width % max(n.heads, 1) == 0, "network.width", "must be divisible by network.heads"),
        (p.num_envs >= 1, "ppo.num_envs", "must be >= 1"),
        (p.num_steps >= 1, "ppo.num_steps", "must be >= 1"),
        (p.num_minibatches >= 1 and p.batch_size % p.num_minibatches == 0, "ppo.num_minibatches",
         "must divide num_envs * num_steps"),
        (p.update_epochs >= 1, "ppo.update_epochs", "must be >= 1"),
        (p.lr > 0, "ppo.lr", "must be > 0"),
        (0 < p.gamma <= 1 and 0 <= p.gae_lambda <= 1, "ppo.gamma", "gamma in (0, 1], gae_lambda in [0, 1]"),
        (c.kind in CURRICULA, "curriculum.kind", f"must be one of {', '.join(CURRICULA)}"),
        (c.pool_size >= 1, "curriculum.pool_size", "must be >= 1"),
        (0 <= c.refresh <= c.pool_size or c.kind != "dr", "curriculum.refresh", "must be in [0, pool_size]"),
        (0 <= c.replay_prob <= 1, "curriculum.replay_prob", "must be in [0, 1]"),
        (c.new_levels >= 1, "curriculum.new_levels", "must be >= 1"),
        (c.sfl_interval >= 1 and c.sfl_rollout_steps >= 1, "curriculum.sfl_interval",
         "and sfl_rollout_steps must be >= 1"),
        (c.sfl_episodes >= 1, "curriculum.sfl_episodes", "must be >= 1"),
        (0 <= c.sfl_dr_fraction <= 1, "curriculum.sfl_dr_fraction", "must be in [0, 1]"),
        (0 <= c.mutation_fraction <= 1, "curriculum.mutation_fraction", "must be in [0, 1]"),
        (c.sfl_candidates >= c.pool_size or c.kind != "sfl", "curriculum.sfl_candidates", "must be >= pool_size"),
        (cfg.run.updates_per_call >= 1, "run.updates_per_call", "must be >= 1"),
        (cfg.run.checkpoint_every >= 1, "run.checkpoint_every", "must be >= 1"),
    ]
    if c.kind in ("dr", "plr", "accel", "sfl") and cfg.env.levels != "generator":
        checks.append((False, "env.levels", f"curriculum {c.kind} trains on generated levels: set env.levels=generator"))
    for ok, field, why in checks:
        if not ok:
            raise ConfigError(f"{field}: {why}")
    return cfg


def make_config(data: dict | None = None, overrides: Sequence[str] = ()) -> TrainConfig:
    """A validated config from a nested dict and overrides."""
    merged = _merge(data or {}, parse_overrides(overrides))
    return validate(_build(TrainConfig, merged, ""))


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> TrainConfig:
    """Read a YAML config file (or the defaults) and apply ``section.field=value`` overrides."""
    data = {}
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from None
    return make_config(data, overrides)


def save_config(cfg: TrainConfig, path: str | Path) -> None:
    """Write the resolved config as YAML."""
    Path(path).write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
