"""Tumble: open-ended 2D physics reinforcement learning in JAX.

Layers (each imports only those before it): ``tumble.physics`` (the rigid-body
engine), ``tumble.levels``, ``tumble.env``, ``tumble.render``, ``tumble.agents``,
``tumble.cli``.
"""

from tumble.whole_loops import apply_default as _apply_whole_loops

__version__ = "0.1.0"

# before any JAX computation: XLA reads this setting once, when its CPU backend starts
_apply_whole_loops()


def make(*args, **kwargs):
    """Build an environment and its parameters: see :func:`tumble.env.make`."""
    from tumble.env import make as make_env

    return make_env(*args, **kwargs)
