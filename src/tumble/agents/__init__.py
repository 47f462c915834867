"""Training general agents: PPO, networks, curricula (DR, PLR, ACCEL, SFL), evaluation, fine-tuning.

    from tumble.agents import load_config, train
    result = train(load_config(None, ["env.levels=bundled:s", "ppo.total_timesteps=500000"]))

See ``docs/training.md``.
"""

from tumble.agents.config import ConfigError, TrainConfig, load_config, make_config, save_config
from tumble.agents.train import TrainResult, train

__all__ = ["ConfigError", "TrainConfig", "TrainResult", "load_config", "make_config", "save_config", "train"]
