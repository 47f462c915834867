"""An MLP torso for flat (and blind) observations."""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp


class MLPTorso(nn.Module):
    """Dense layers with tanh over a batched flat observation ``[B, F]``: returns ``[B, widths[-1]]``."""

    widths: Sequence[int] = (256, 256)

    @nn.compact
    def __call__(self, obs):
        x = jnp.asarray(obs, jnp.float32)
        for w in self.widths:
            x = nn.tanh(nn.Dense(w, kernel_init=nn.initializers.orthogonal(2 ** 0.5))(x))
        return x
