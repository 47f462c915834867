"""Actor-critic: a torso shared by a policy head and a value head."""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from tumble.agents.distributions import head_size, shape_head


class ActorCritic(nn.Module):
    """``obs -> (distribution parameters, value)`` for a batch; the heads are small MLPs on the torso's embedding."""

    torso: nn.Module
    action_type: str
    head_width: int = 128

    @nn.compact
    def __call__(self, obs):
        z = self.torso(obs)
        pi = nn.tanh(nn.Dense(self.head_width, kernel_init=nn.initializers.orthogonal(2 ** 0.5))(z))
        pi = nn.Dense(head_size(self.action_type), kernel_init=nn.initializers.orthogonal(0.01))(pi)
        v = nn.tanh(nn.Dense(self.head_width, kernel_init=nn.initializers.orthogonal(2 ** 0.5))(z))
        v = nn.Dense(1, kernel_init=nn.initializers.orthogonal(1.0))(v)
        return shape_head(self.action_type, pi), jnp.squeeze(v, -1)
