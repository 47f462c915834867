"""Tumble: open-ended 2D physics reinforcement learning in JAX.

Layers (each imports only those before it): ``tumble.physics`` (the rigid-body
engine), ``tumble.levels``, ``tumble.env``, ``tumble.render``, ``tumble.agents``,
``tumble.cli``.
"""

__version__ = "0.1.0"


def make(*args, **kwargs):
    """Build an environment and its parameters: see :func:`tumble.env.make`."""
    from tumble.env import make as make_env

    return make_env(*args, **kwargs)
