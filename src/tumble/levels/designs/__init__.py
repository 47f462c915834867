"""Builder scripts of the bundled hand-made levels, one module per family.

Each design is a small function decorated with :func:`design` that returns the
level and how to solve it: a scripted controller ``controller(view) -> action``
(closed loop, see :class:`View`) or a fixed list of actions.  ``python -m
tumble.levels.designs`` runs every controller, checks that replaying the
recorded actions solves the level, stores them as the level's certificate and
writes ``tumble/levels/library/{size}/{name}.json``.
"""

from tumble.levels.designs.registry import DESIGNS, Design, View, design

# importing the family modules registers their designs
from tumble.levels.designs import assorted, classic_control, games, large, locomotion, manipulation, thrusters, vehicles  # noqa: E402,F401

__all__ = ["DESIGNS", "Design", "View", "design"]
