"""Shared test setup: JAX's persistent compilation cache and one compiled rollout per capacity.

Compilation dominates the test time on CPU (10+ s per distinct capacity or
shape), so the cache is enabled before anything compiles, every engine test
runs its scenes in one :data:`CAP` and in chunks of :data:`CHUNK` steps, and
the compiled rollouts are shared through the session.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tumble.physics import Capacity, Controls, default_controls, rollout


def _enable_compilation_cache() -> None:
    """Persist compiled executables in ~/.cache/tumble/jax-cache (or $XDG_CACHE_HOME/tumble/jax-cache).

    Importing the engine compiles nothing, so doing this at conftest import is
    before any compilation.  An explicit JAX_COMPILATION_CACHE_DIR wins.
    """
    if not os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        cache_dir = root / "tumble" / "jax-cache"
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError:  # read-only home: run without the cache
            return
        jax.config.update("jax_compilation_cache_dir", str(cache_dir))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)


_enable_compilation_cache()

# One capacity for every engine scene of the test suite: 2 polygons, 1 circle, 2 joints, 2 thrusters.
CAP = Capacity(n_polygons=2, n_circles=1, n_joints=2, n_thrusters=2, max_vertices=4)
# Every rollout runs in chunks of this many steps, so one compilation serves all run lengths.
CHUNK = 30


class Run:
    """A rollout of ``steps`` steps (a multiple of :data:`CHUNK`), as numpy arrays.

    ``position`` etc. hold the state at t = 0 and after every step
    ([steps + 1, N, ...]); ``touching``, ``out_of_world``, ``non_finite`` and
    ``wall_touching`` hold each step's :class:`StepInfo` ([steps, ...]).
    """

    def __init__(self, scene, states, infos, final):
        self.scene0 = scene
        self.final = final

        def cat(key):
            return np.concatenate([np.asarray(getattr(scene.state, key))[None]] + [s[key] for s in states])

        def info(key):
            return np.concatenate([i[key] for i in infos])

        self.position = cat("position")
        self.angle = cat("angle")
        self.velocity = cat("velocity")
        self.angular_velocity = cat("angular_velocity")
        self.touching = info("touching")
        self.wall_touching = info("wall_touching")
        self.out_of_world = info("out_of_world")
        self.non_finite = info("non_finite")


def _as_params(params):
    # the same conversion as simulate(), so both share one compiled rollout
    if isinstance(params.dt, jax.Array):
        return params
    return params.as_arrays().replace(substeps=params.substeps)


def controls_for(scene, motor=None, thruster=None) -> Controls:
    """Controls of ``scene``'s capacity: defaults (motors 1, thrusters 0) unless given."""
    base = default_controls(scene)
    return Controls(
        motor=base.motor if motor is None else jnp.asarray(motor, jnp.float32).reshape(base.motor.shape),
        thruster=base.thruster if thruster is None else jnp.asarray(thruster, jnp.float32).reshape(base.thruster.shape),
    )


def run_scene(scene, params, steps: int, controls: Controls | None = None) -> Run:
    """Roll ``scene`` out for ``steps`` steps through the shared compiled rollout."""
    assert steps % CHUNK == 0, f"steps must be a multiple of {CHUNK}"
    assert scene.capacity == CAP, "engine tests share one capacity (compilation time)"
    controls = controls_for(scene) if controls is None else controls
    params = _as_params(params)
    states, infos = [], []
    s = scene
    for _ in range(steps // CHUNK):
        s, (pos, ang, vel, angvel, info) = rollout(s, controls, params, CHUNK)
        states.append(
            {
                "position": np.asarray(pos),
                "angle": np.asarray(ang),
                "velocity": np.asarray(vel),
                "angular_velocity": np.asarray(angvel),
            }
        )
        infos.append(
            {k: np.asarray(getattr(info, k)) for k in ("touching", "wall_touching", "out_of_world", "non_finite")}
        )
    return Run(scene, states, infos, s)


@pytest.fixture(scope="session")
def cap() -> Capacity:
    return CAP


@pytest.fixture(scope="session")
def run():
    """``run(scene, params, steps, controls=None) -> Run`` through one shared compiled rollout."""
    return run_scene


@pytest.fixture(scope="session")
def controls():
    """``controls(scene, motor=None, thruster=None) -> Controls``."""
    return controls_for
