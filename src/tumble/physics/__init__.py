"""Tumble's rigid-body engine: scenes, the soft-step solver, and a scripting API.

Knows nothing of levels, tasks or RL.  Typical use::

    from tumble.physics import SceneBuilder, simulate
    b = SceneBuilder()
    b.add_box(size=(40, 1), position=(0, -0.5), static=True)
    ball = b.add_circle(0.5, position=(0, 3))
    scene, params = b.build()
    traj = simulate(scene, params, 120)
"""

from tumble.physics.builder import Handle, SceneBuilder
from tumble.physics.geometry import SceneError
from tumble.physics.params import Controls, SimParams, default_controls
from tumble.physics.scene import WORLD, Capacity, Scene, empty_scene, stack_scenes, unstack_scene
from tumble.physics.simulate import Trajectory, rollout, simulate
from tumble.physics.step import StepInfo, keep_where, step

__all__ = [
    "WORLD", "Capacity", "Controls", "Handle", "Scene", "SceneBuilder", "SceneError", "SimParams", "StepInfo",
    "Trajectory", "default_controls", "empty_scene", "keep_where", "rollout", "simulate", "stack_scenes", "step",
    "unstack_scene",
]
