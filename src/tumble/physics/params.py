"""Simulation parameters and per-step controls."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from tumble.physics.pytree import pytree_dataclass, static_field
from tumble.physics.scene import Scene


@pytree_dataclass
class SimParams:
    """World and solver settings.  Leaves can be traced (and vmapped); ``substeps`` is static.

    The defaults follow Box2D v3's soft step at 60 Hz: contacts as 30 Hz
    springs with damping ratio 10 (twice as stiff against static bodies),
    joints at 60 Hz, a speculative margin of 4 linear slops plus each pair's
    reach within the step.  Five substeps rather than Box2D's four: with four,
    a 210-box pyramid keeps a faint jitter (peak kinetic energy 5e-5 J per box
    over its last 2 s); with five it rests (6e-12 J), for 25% more solver work.
    """

    gravity: jax.Array = (0.0, -9.81)  # m/s^2
    dt: jax.Array = 1.0 / 60.0  # seconds per step
    contact_hertz: jax.Array = 30.0
    contact_damping_ratio: jax.Array = 10.0
    joint_hertz: jax.Array = 60.0
    joint_damping_ratio: jax.Array = 5.0
    contact_push_max_velocity: jax.Array = 3.0  # m/s cap on penetration recovery
    restitution_threshold: jax.Array = 1.0  # m/s: slower impacts do not bounce
    linear_slop: jax.Array = 0.005  # m
    speculative_distance: jax.Array = 0.02  # m, plus each pair's reach within the step
    max_linear_speed: jax.Array = 400.0  # m/s
    max_rotation_per_substep: jax.Array = 0.25 * math.pi  # rad
    linear_damping: jax.Array = 0.0  # 1/s
    angular_damping: jax.Array = 0.0  # 1/s
    world_limit: jax.Array = 1.0e4  # m: bodies beyond this |coordinate| are reported out of the world
    substeps: int = static_field(default=5)

    def __post_init__(self) -> None:
        if not isinstance(self.substeps, int) or self.substeps < 1:
            raise ValueError(f"SimParams.substeps must be a positive integer, got {self.substeps!r}")

    def as_arrays(self) -> "SimParams":
        """Return a copy whose leaves are float32 arrays (for stacking or vmapping)."""
        return jax.tree_util.tree_map(lambda x: jnp.asarray(x, jnp.float32), self)


@pytree_dataclass
class Controls:
    """Actuator commands for one step.

    ``motor`` [n_joints] in [-1, 1] scales each motor's target speed (0 holds
    the joint still, as a brake); ``thruster`` [n_thrusters] in [0, 1] scales
    each thruster's force.  NaN is read as 0 and values outside the range are
    clipped.  ``motor_active`` [n_joints] (optional, bool) releases the motors
    where it is False for this step: no torque at all, the joint turns freely.
    """

    motor: jax.Array
    thruster: jax.Array
    motor_active: jax.Array | None = None


def default_controls(scene: Scene) -> Controls:
    """Motors at their full target speed, thrusters off (shape follows the scene's batch)."""
    lead = scene.joints.active.shape[:-1]
    cap = scene.capacity
    return Controls(
        motor=jnp.ones(lead + (cap.n_joints,), jnp.float32),
        thruster=jnp.zeros(lead + (cap.n_thrusters,), jnp.float32),
    )
