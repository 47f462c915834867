"""``tumble.make``: an environment and its parameters from a size, action/observation types and a reset source."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import jax

from tumble.env.environment import Env, EnvParams
from tumble.env.pool import LevelPool, pool_from_levels
from tumble.env.wrappers import AutoReset, EpisodeStats
from tumble.levels import CompiledLevel, CustomSize, Level, capacity_of, load_level
from tumble.physics import Capacity


def _levels_from(source, size) -> list[Level | CompiledLevel]:
    """Resolve a reset source given as a name, path, level or list into levels."""
    from tumble.levels.library import bundled_paths, load_bundled

    if isinstance(source, (Level, CompiledLevel)):
        return [source]
    if isinstance(source, (str, Path)):
        text = str(source)
        if text == "bundled" or text.startswith("bundled:"):
            which = text.split(":", 1)[1] if ":" in text else size
            paths = bundled_paths(which)
            if not paths:
                raise ValueError(f"levels: no bundled levels of size {which!r}")
            return [load_level(p) for p in paths.values()]
        path = Path(text)
        if path.is_dir():
            files = sorted(path.rglob("*.json"))
            if not files:
                raise ValueError(f"levels: no .json level files under {path}")
            return [load_level(f) for f in files]
        if path.suffix == ".json" or path.exists():
            return [load_level(path)]
        return [load_bundled(text)]
    if isinstance(source, Sequence):
        out: list = []
        for item in source:
            out.extend(_levels_from(item, size))
        return out
    raise TypeError(f"levels: expected a level, a list of levels, a path, 'bundled[:size]' or 'generator', "
                    f"got {type(source).__name__}")


def make(size: str | Capacity | CustomSize = "m", action: str = "multi_discrete", observation: str = "flat",
         levels=None, weights=None, frame_skip: int = 2, dense_reward_scale: float = 0.0, auto_reset: bool = True,
         episode_stats: bool = False, pool_size: int = 256, seed: int = 0,
         pixel_size: int | tuple[int, int] | None = None):
    """Build ``(env, params)``.

    Args:
      size: ``"s"``, ``"m"``, ``"l"``, a :class:`CustomSize` or a physics :class:`Capacity`.
      action: ``"multi_discrete"``, ``"discrete"`` or ``"continuous"`` (see :mod:`tumble.env.actions`).
      observation: ``"flat"``, ``"entity"``, ``"blind"`` or ``"pixels"``.
      levels: the reset source: a level, a list of levels or files, a folder, a bundled level's name,
        ``"bundled"`` (the library's levels of this size, the default), ``"bundled:s"``, or ``"generator"``
        (a pool of ``pool_size`` procedurally generated levels; refresh it with
        :func:`tumble.env.refresh_pool` and :func:`tumble.levels.generator.generate`).
      weights: optional sampling weight per level.
      frame_skip: physics steps per env step.
      dense_reward_scale: scale of the green-blue distance shaping (0 turns it off; the reference trains with 0.2).
      auto_reset: start a new episode when one ends.
      episode_stats: report episode return, length and solved in ``info``.
      pixel_size: height and width (or one number for both) of pixel observations; default 125 x 125.
    """
    capacity = capacity_of(size)
    if levels is None:
        levels = "bundled"
    if isinstance(levels, LevelPool):
        pool = levels
    elif isinstance(levels, str) and levels == "generator":
        from tumble.levels.generator import generate

        if weights is not None:
            raise ValueError("weights: a generator pool is uniform")
        batch = jax.jit(jax.vmap(lambda k: generate(k, capacity)))(jax.random.split(jax.random.PRNGKey(seed),
                                                                                   pool_size))
        pool = pool_from_levels(batch)
    else:
        resolved = _levels_from(levels, size if isinstance(size, str) else None)
        if not resolved:
            raise ValueError("levels: the reset source holds no levels")
        pool = pool_from_levels(resolved, weights, capacity)
    env = Env(capacity, action, observation, frame_skip, pixel_size)
    params = EnvParams(pool=pool, dense_reward_scale=float(dense_reward_scale))
    env._check_params(params)
    if auto_reset:
        env = AutoReset(env)
    if episode_stats:
        env = EpisodeStats(env)
    return env, params
