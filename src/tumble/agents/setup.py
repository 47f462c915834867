"""Build a :class:`tumble.agents.ppo.Trainer` (environment, network, curriculum, device mesh) from a config."""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh

import tumble
from tumble.agents.config import TrainConfig
from tumble.agents.curricula import make_curriculum
from tumble.agents.networks import make_network
from tumble.agents.ppo import AXIS, Trainer


def unwrap(env):
    """The base :class:`tumble.env.Env` under any wrappers."""
    while hasattr(env, "env"):
        env = env.env
    return env


def make_env(cfg: TrainConfig, levels=None, episode_stats: bool = True):
    """``(env, params)`` for the config's environment; ``levels`` overrides ``cfg.env.levels``."""
    e = cfg.env
    source = levels if levels is not None else e.levels
    kwargs = {}
    if isinstance(source, str) and source == "generator":
        kwargs["pool_size"] = 1  # a placeholder: the curriculum supplies the pool
        kwargs["seed"] = cfg.run.seed
    return tumble.make(e.size, action=e.action, observation=e.observation, levels=source, frame_skip=e.frame_skip,
                       dense_reward_scale=e.dense_reward_scale, auto_reset=True, episode_stats=episode_stats,
                       pixel_size=e.pixel_size if e.observation == "pixels" else None, **kwargs)


def make_mesh(devices: int = 0) -> Mesh | None:
    """A 1-D mesh over ``devices`` local devices (0: all); ``None`` for one device."""
    available = jax.local_devices() if jax.process_count() == 1 else jax.devices()
    n = len(available) if devices in (0, None) else devices
    if n > len(available):
        raise ValueError(f"run.devices: asked for {n} devices, only {len(available)} available")
    if n == 1:
        return None
    return Mesh(np.asarray(available[:n]), (AXIS,))


def make_trainer(cfg: TrainConfig, levels=None) -> Trainer:
    """The trainer for a config (``levels`` overrides ``cfg.env.levels``, e.g. a list of levels to fine-tune on)."""
    env, params = make_env(cfg, levels)
    network = make_network(cfg.network, cfg.env.observation, cfg.env.action)
    curriculum = make_curriculum(cfg, unwrap(env), params)
    mesh = make_mesh(cfg.run.devices)
    n = 1 if mesh is None else mesh.devices.size
    c = cfg.curriculum
    if c.kind == "sfl" and (c.sfl_candidates * c.sfl_episodes) % n:
        raise ValueError(f"curriculum.sfl_candidates: {c.sfl_candidates} candidates x {c.sfl_episodes} copies cannot "
                         f"be split evenly over {n} devices")
    return Trainer(cfg, env, params, network, curriculum, mesh)
