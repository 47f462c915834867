"""Actor-critic networks: torsos per observation type, shared policy and value heads.

- ``mlp``: flat and blind observations (:class:`MLPTorso`).
- ``transformer``: entity observations, permutation-invariant over entities
  (:class:`tumble.agents.networks.entity_transformer.EntityTransformer`).
- ``cnn``: pixel observations (:class:`tumble.agents.networks.pixel_cnn.PixelCNN`).
"""

from __future__ import annotations

from tumble.agents.networks.actor_critic import ActorCritic
from tumble.agents.networks.mlp import MLPTorso

DEFAULT_NETWORK = {"flat": "mlp", "blind": "mlp", "entity": "transformer", "pixels": "cnn"}
NETWORK_OBSERVATIONS = {"mlp": ("flat", "blind"), "transformer": ("entity",), "cnn": ("pixels",)}


def network_kind(kind: str, observation: str) -> str:
    """Resolve ``auto`` and check that the network can read the observation type."""
    kind = DEFAULT_NETWORK[observation] if kind == "auto" else kind
    if observation not in NETWORK_OBSERVATIONS.get(kind, ()):
        raise ValueError(f"network.kind: a {kind} network cannot read {observation!r} observations "
                         f"(use {DEFAULT_NETWORK[observation]})")
    return kind


def make_network(cfg, observation: str, action: str) -> ActorCritic:
    """The actor-critic for a :class:`tumble.agents.config.NetworkConfig`, observation and action type."""
    kind = network_kind(cfg.kind, observation)
    if kind == "mlp":
        torso = MLPTorso(tuple(cfg.mlp_widths))
    elif kind == "transformer":
        from tumble.agents.networks.entity_transformer import EntityTransformer

        torso = EntityTransformer(width=cfg.width, heads=cfg.heads, layers=cfg.layers)
    else:
        from tumble.agents.networks.pixel_cnn import PixelCNN

        torso = PixelCNN(out_dim=cfg.width)
    return ActorCritic(torso=torso, action_type=action, head_width=cfg.head_width)


__all__ = ["ActorCritic", "MLPTorso", "make_network", "network_kind"]
