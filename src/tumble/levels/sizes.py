"""Named level sizes: the reference's S, M and L budgets with the world boundary outside them.

The reference counts its 4 boundary polygons (floor, walls, ceiling) in the
polygon budget; Tumble's boundary is separate, so its sizes hold 4 polygons
fewer and the same number of free shapes.
"""

from __future__ import annotations

from tumble.levels.model import CustomSize, Level
from tumble.physics import Capacity

SIZES: dict[str, Capacity] = {
    "s": Capacity(n_polygons=1, n_circles=2, n_joints=1, n_thrusters=1, max_vertices=4),
    "m": Capacity(n_polygons=2, n_circles=3, n_joints=2, n_thrusters=2, max_vertices=4),
    "l": Capacity(n_polygons=8, n_circles=4, n_joints=6, n_thrusters=2, max_vertices=4),
}


def capacity_of(size: str | CustomSize | Capacity) -> Capacity:
    """The :class:`Capacity` of a size name (``s``, ``m``, ``l``), a :class:`CustomSize` or a capacity."""
    if isinstance(size, Capacity):
        return size
    if isinstance(size, CustomSize):
        return Capacity(size.polygons, size.circles, size.joints, size.thrusters, size.max_vertices)
    key = str(size).lower()
    if key not in SIZES:
        raise ValueError(f"unknown size {size!r}; use one of s, m, l or custom capacities")
    return SIZES[key]


def level_capacity(level: Level) -> Capacity:
    """The capacity a level declares."""
    return capacity_of(level.size)


def smallest_size(n_polygons: int, n_circles: int, n_joints: int, n_thrusters: int, max_vertices: int) -> str | None:
    """The first of s, m, l that holds these counts, or ``None``."""
    for name, cap in SIZES.items():
        if (n_polygons <= cap.n_polygons and n_circles <= cap.n_circles and n_joints <= cap.n_joints
                and n_thrusters <= cap.n_thrusters and max_vertices <= cap.max_vertices):
            return name
    return None
