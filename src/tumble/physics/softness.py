"""Soft constraints (Box2D v3's "soft step"): a constraint as a damped spring.

A constraint with natural frequency ``hertz`` and damping ratio ``zeta``,
solved with substep ``h``, becomes the update
``impulse = -mass_scale * m_eff * (Cdot + bias_rate * C) - impulse_scale * accumulated``.
Stiffness is bounded by the substep rate instead of by iteration count, so
stacks settle without the jitter of Baumgarte stabilisation, and the relax
pass (bias off) removes the velocity the position correction added.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp


class Softness(NamedTuple):
    bias_rate: jax.Array
    mass_scale: jax.Array
    impulse_scale: jax.Array


def make_softness(hertz: jax.Array, zeta: jax.Array, h: jax.Array) -> Softness:
    """Coefficients of a spring of ``hertz`` and damping ratio ``zeta`` at substep ``h``."""
    hertz = jnp.asarray(hertz, jnp.float32)
    omega = 2.0 * math.pi * hertz
    a1 = 2.0 * zeta + h * omega
    a2 = h * omega * a1
    a3 = 1.0 / (1.0 + a2)
    rigid = hertz <= 0.0
    return Softness(
        bias_rate=jnp.where(rigid, 0.0, omega / jnp.where(rigid, 1.0, a1)),
        mass_scale=jnp.where(rigid, 1.0, a2 * a3),
        impulse_scale=jnp.where(rigid, 0.0, a3),
    )
