"""Run a scene for many steps under one compiled ``lax.scan`` and record its trajectory."""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import numpy as np

from tumble.physics.params import Controls, SimParams, default_controls
from tumble.physics.scene import Scene
from tumble.physics.step import step


class Trajectory(NamedTuple):
    """Body states at t = 0 and after every step: arrays [steps + 1, bodies, ...] (numpy)."""

    position: np.ndarray
    angle: np.ndarray
    velocity: np.ndarray
    angular_velocity: np.ndarray
    touching: np.ndarray  # [steps, N, N] pairs in contact during each step
    non_finite: np.ndarray  # [steps]


@functools.partial(jax.jit, static_argnames=("n_steps",))
def rollout(scene: Scene, controls: Controls, params: SimParams, n_steps: int) -> tuple[Scene, tuple]:
    """Step ``n_steps`` times with fixed ``controls``; returns the final scene and per-step states and info."""

    def body(s, _):
        s, info = step(s, controls, params)
        st = s.state
        return s, (st.position, st.angle, st.velocity, st.angular_velocity, info)

    return jax.lax.scan(body, scene, None, length=n_steps)


def simulate(scene: Scene, params: SimParams, n_steps: int, controls: Controls | None = None) -> Trajectory:
    """Simulate ``n_steps`` steps and return the trajectory as numpy arrays.

    By default motors drive at their target speed and thrusters are off.
    """
    if controls is None:
        controls = default_controls(scene)
    params = params.as_arrays().replace(substeps=params.substeps) if not isinstance(params.dt, jax.Array) else params
    _, (pos, ang, vel, angvel, info) = rollout(scene, controls, params, int(n_steps))
    st = scene.state
    cat = lambda first, rest: np.concatenate([np.asarray(first)[None], np.asarray(rest)])  # noqa: E731
    return Trajectory(
        position=cat(st.position, pos),
        angle=cat(st.angle, ang),
        velocity=cat(st.velocity, vel),
        angular_velocity=cat(st.angular_velocity, angvel),
        touching=np.asarray(info.touching),
        non_finite=np.asarray(info.non_finite),
    )
