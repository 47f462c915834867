"""A permutation-invariant transformer torso over the entities of the entity observation.

The shapes (polygons, then circles, as in the observation's shape slots) are
the tokens.  Joints and thrusters are not tokens of their own: each sends a
message into the token of the shape it acts on.  The transformer blocks then
mix the shape tokens with attention heads in 4 groups, one per attention mask
of the observation (all pairs, same joint chain, directly jointed, in
contact).  There are no positional embeddings and the pooling is symmetric,
so permuting slots (consistently with the indices and masks) leaves the
output unchanged, and inactive slots have no influence.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

# Masked attention logits and max-pool entries: far below any real value, but finite so that
# softmax and gradients never produce NaN.
NEG = -1e9
N_MASKS = 4


def _orthogonal(scale: float = 2 ** 0.5):
    return nn.initializers.orthogonal(scale)


class MaskedAttention(nn.Module):
    """Multi-head self-attention whose heads are split into equal groups, group ``g`` masked by ``mask[:, g]``.

    ``x``: ``[B, N, W]``; ``mask``: bool ``[B, G, N, N]`` (query, key), ``heads`` a multiple of ``G``.
    Every row of ``mask`` must allow at least one key (the caller adds the diagonal).
    """

    heads: int

    @nn.compact
    def __call__(self, x: jax.Array, mask: jax.Array) -> jax.Array:
        width = x.shape[-1]
        groups = mask.shape[1]
        if self.heads % groups or width % self.heads:
            raise ValueError(f"heads ({self.heads}) must be a multiple of {groups} and divide the width ({width})")
        head_dim = width // self.heads
        proj = lambda name: nn.DenseGeneral((self.heads, head_dim), name=name)(x)  # noqa: E731
        q, k, v = proj("query"), proj("key"), proj("value")  # [B, N, H, D]
        logits = jnp.einsum("bqhd,bkhd->bhqk", q, k) / jnp.sqrt(head_dim).astype(x.dtype)
        head_mask = jnp.repeat(mask, self.heads // groups, axis=1)  # [B, H, N, N]: head h uses mask h // (H / G)
        weights = jax.nn.softmax(jnp.where(head_mask, logits, NEG), axis=-1)
        out = jnp.einsum("bhqk,bkhd->bqhd", weights, v)
        return nn.DenseGeneral(width, axis=(-2, -1), name="out")(out)


class TransformerBlock(nn.Module):
    """Pre-LayerNorm block: ``x + attention(LN(x))``, then ``x + MLP(LN(x))``."""

    heads: int
    mlp_ratio: int = 2

    @nn.compact
    def __call__(self, x: jax.Array, mask: jax.Array) -> jax.Array:
        width = x.shape[-1]
        x = x + MaskedAttention(self.heads)(nn.LayerNorm()(x), mask)
        h = nn.gelu(nn.Dense(self.mlp_ratio * width)(nn.LayerNorm()(x)))
        return x + nn.Dense(width)(h)


def _scatter_matrix(index: jax.Array, valid: jax.Array, n: int) -> jax.Array:
    """f32 ``[B, R, n]``: row ``r`` is the one-hot of ``index[:, r]`` where ``valid``, else zeros."""
    return jax.nn.one_hot(jnp.where(valid, index, -1), n, dtype=jnp.float32) * valid[..., None]


class EntityTransformer(nn.Module):
    """Entity-observation torso: a batched :func:`tumble.env.observations.entity_observation` -> ``f32[B, out_dim]``.

    1. Shape tokens: a Dense per shape type (polygons, circles) to ``width``,
       plus a Dense embedding of the global features added to every token.
    2. Joint messages: each directed joint row is encoded with its from-shape's
       token (a learned world token where the from-shape is the world) by a
       2-layer MLP and added to its to-shape's token.  Thruster messages: each
       thruster row is encoded by a 2-layer MLP and added to its shape's token.
       Rows whose mask is false or whose target index is -1 send nothing.
    3. ``layers`` pre-LayerNorm transformer blocks; the ``heads`` are split in
       4 groups, group ``g`` attending along ``attention_mask[:, g]``
       restricted to active shapes, each token always attending to itself.
    4. The mean and the max of the active tokens (after a final LayerNorm),
       concatenated, then Dense to ``out_dim`` (``width`` when None) with tanh,
       the same bounded embedding as the MLP torso.

    A level with no active shape of a type (or none at all) is fine: all
    masking is by ``jnp.where`` and the pools fall back to zeros.
    """

    width: int = 128
    heads: int = 8
    layers: int = 2
    out_dim: int | None = None
    mlp_ratio: int = 2

    @nn.compact
    def __call__(self, obs: dict) -> jax.Array:
        w = self.width
        polygons = jnp.asarray(obs["polygons"], jnp.float32)
        circles = jnp.asarray(obs["circles"], jnp.float32)
        n_polygons = polygons.shape[1]
        n = n_polygons + circles.shape[1]
        active = jnp.concatenate([obs["polygon_mask"], obs["circle_mask"]], axis=1).astype(bool)  # [B, N]

        tokens = jnp.concatenate([nn.Dense(w, name="polygon_encoder")(polygons),
                                  nn.Dense(w, name="circle_encoder")(circles)], axis=1)
        glob = nn.Dense(w, name="global_encoder")(jnp.asarray(obs["global"], jnp.float32))
        tokens = jnp.where(active[..., None], tokens + glob[:, None, :], 0.0)

        # Joint messages, computed from the tokens before any message is added.
        joint_index = obs["joint_index"].astype(jnp.int32)
        src, dst = joint_index[..., 0], joint_index[..., 1]
        src_ok = (src >= 0) & jnp.take_along_axis(active, jnp.clip(src, 0), axis=1)
        dst_ok = (dst >= 0) & jnp.take_along_axis(active, jnp.clip(dst, 0), axis=1)
        joint_ok = obs["joint_mask"].astype(bool) & dst_ok
        world = self.param("world_token", nn.initializers.normal(1.0), (w,))
        src_tokens = jnp.einsum("brn,bnw->brw", _scatter_matrix(src, src_ok, n), tokens)
        src_tokens = jnp.where(src_ok[..., None], src_tokens, world)
        joint_in = jnp.concatenate([jnp.asarray(obs["joints"], jnp.float32), src_tokens], axis=-1)
        joint_msg = nn.Dense(w, name="joint_message_out")(
            nn.relu(nn.Dense(w, name="joint_message_hidden")(joint_in)))
        messages = jnp.einsum("brn,brw->bnw", _scatter_matrix(dst, joint_ok, n), joint_msg)

        thruster_index = obs["thruster_index"].astype(jnp.int32)
        thruster_ok = (obs["thruster_mask"].astype(bool) & (thruster_index >= 0)
                       & jnp.take_along_axis(active, jnp.clip(thruster_index, 0), axis=1))
        thruster_msg = nn.Dense(w, name="thruster_message_out")(
            nn.relu(nn.Dense(w, name="thruster_message_hidden")(jnp.asarray(obs["thrusters"], jnp.float32))))
        messages += jnp.einsum("brn,brw->bnw", _scatter_matrix(thruster_index, thruster_ok, n), thruster_msg)
        x = tokens + messages

        pair = active[:, None, :, None] & active[:, None, None, :]
        eye = jnp.eye(n, dtype=bool)
        mask = (obs["attention_mask"].astype(bool) & pair) | eye  # [B, 4, N, N]
        for i in range(self.layers):
            x = TransformerBlock(self.heads, self.mlp_ratio, name=f"block_{i}")(x, mask)
        x = nn.LayerNorm(name="final_norm")(x)

        count = active.sum(axis=1, keepdims=True).astype(jnp.float32)  # [B, 1]
        mean = jnp.where(active[..., None], x, 0.0).sum(axis=1) / jnp.maximum(count, 1.0)
        peak = jnp.where(active[..., None], x, NEG).max(axis=1, initial=NEG)
        peak = jnp.where(count > 0, peak, 0.0)
        pooled = jnp.concatenate([mean, peak], axis=-1)
        out_dim = self.width if self.out_dim is None else self.out_dim
        return nn.tanh(nn.Dense(out_dim, kernel_init=_orthogonal(), name="output")(pooled))
