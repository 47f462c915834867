"""The design registry: each hand-made level's builder and its solution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence, Union

import numpy as np

from tumble.levels.model import Level

FAMILIES = ("classic control", "locomotion", "vehicles", "thrusters", "manipulation", "games")


@dataclass
class View:
    """What a scripted controller sees at env step ``t``: each shape's state, in ``level.shapes`` order.

    ``joint_angle[k]`` is joint k's ``angle_b - angle_a`` relative to the initial pose
    (the world counts as angle 0).
    """

    t: int
    position: np.ndarray  # [shapes, 2]
    angle: np.ndarray  # [shapes]
    velocity: np.ndarray  # [shapes, 2]
    angular_velocity: np.ndarray  # [shapes]
    joint_angle: np.ndarray  # [joints]


Controller = Callable[[View], Sequence[float]]
Solution = Union[Controller, Sequence[Sequence[float]]]


@dataclass(frozen=True)
class Design:
    name: str
    size: str
    family: str
    description: str
    build: Callable[[], tuple[Level, Solution]]

    def make(self) -> tuple[Level, Solution]:
        """Build the level (with this design's metadata) and its solution."""
        level, solution = self.build()
        level = level.replace(name=self.name, size=self.size, family=self.family, description=self.description)
        return level, solution


DESIGNS: dict[str, Design] = {}


def design(name: str, size: str, family: str, description: str):
    """Register a builder ``() -> (Level, solution)`` as a bundled level."""
    if family not in FAMILIES:
        raise ValueError(f"design {name!r}: family must be one of {FAMILIES}, got {family!r}")
    if size not in ("s", "m", "l"):
        raise ValueError(f"design {name!r}: size must be s, m or l, got {size!r}")

    def register(fn):
        if name in DESIGNS:
            raise ValueError(f"design {name!r} is registered twice")
        DESIGNS[name] = Design(name, size, family, description, fn)
        return fn

    return register
