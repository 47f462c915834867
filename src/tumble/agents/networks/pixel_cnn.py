"""A convolutional torso for the pixel observation."""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class PixelCNN(nn.Module):
    """Pixel-observation torso: ``{"image": f32[B, H, W, 3], "global": f32[B, G]}`` -> ``f32[B, out_dim]``.

    Strided convolutions with ReLU (``(features, kernel, stride)`` per layer in
    ``convs``; the default takes 125 x 125 down to 8 x 8), flattened and
    concatenated with the global features, then Dense to ``out_dim`` with tanh
    (the same bounded embedding as the other torsos).
    """

    out_dim: int = 256
    convs: Sequence[tuple[int, int, int]] = ((16, 5, 2), (32, 3, 2), (32, 3, 2), (32, 3, 2))

    @nn.compact
    def __call__(self, obs: dict) -> jax.Array:
        x = jnp.asarray(obs["image"], jnp.float32)
        for i, (features, kernel, stride) in enumerate(self.convs):
            x = nn.relu(nn.Conv(features, (kernel, kernel), strides=(stride, stride), padding="SAME",
                                name=f"conv_{i}")(x))
        x = x.reshape(x.shape[0], -1)
        x = jnp.concatenate([x, jnp.asarray(obs["global"], jnp.float32)], axis=-1)
        return nn.tanh(nn.Dense(self.out_dim, kernel_init=nn.initializers.orthogonal(2 ** 0.5), name="output")(x))
