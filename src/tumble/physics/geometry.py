"""Shape geometry at build time (numpy): validation and exact mass properties."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class SceneError(ValueError):
    """A scene description that cannot be simulated; the message names the part and the reason."""


class MassProperties(NamedTuple):
    mass: float
    centroid: np.ndarray  # [2] in the frame the vertices were given in
    inertia: float  # about the centroid


def polygon_area(vertices: np.ndarray) -> float:
    """Signed area (positive for counter-clockwise vertices)."""
    x, y = vertices[:, 0], vertices[:, 1]
    nxt = _NEXT.get(len(x)) if len(x) in _NEXT else np.r_[1:len(x), 0]
    return 0.5 * float(np.sum(x * y[nxt] - x[nxt] * y))


_NEXT = {n: np.r_[1:n, 0] for n in range(1, 65)}


def check_polygon(vertices, max_vertices: int, what: str) -> tuple[np.ndarray, bool]:
    """Validate a convex polygon; return its vertices counter-clockwise and whether they were reversed.

    Raises :class:`SceneError` naming ``what`` for too few or too many
    vertices, non-finite values, repeated or collinear vertices, zero area,
    or a non-convex outline.
    """
    try:
        v = np.asarray(vertices, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SceneError(f"{what}: vertices must be a list of (x, y) pairs ({exc})") from None
    if v.ndim != 2 or v.shape[1] != 2:
        raise SceneError(f"{what}: vertices must be a list of (x, y) pairs, got shape {v.shape}")
    count = v.shape[0]
    if not 3 <= count <= max_vertices:
        raise SceneError(f"{what}: has {count} vertices; polygons need 3 to {max_vertices} (the capacity's max_vertices)")
    if not np.all(np.isfinite(v)):
        raise SceneError(f"{what}: vertices contain NaN or infinity")
    scale = max(float(np.max(np.abs(v))), 1e-3)
    nxt = _NEXT[count]  # index of the following vertex (np.roll is slow on tiny arrays)
    edges = v[nxt] - v
    lengths = np.linalg.norm(edges, axis=1)
    short = np.flatnonzero(lengths < 1e-4 * scale)
    if short.size:
        i = int(short[0])
        raise SceneError(f"{what}: vertices {i} and {(i + 1) % count} coincide (degenerate polygon)")
    area = polygon_area(v)
    if abs(area) < 1e-6 * scale * scale:
        raise SceneError(f"{what}: has zero area (degenerate polygon)")
    reversed_ = area < 0
    if reversed_:
        v = v[::-1].copy()
        edges = v[nxt] - v
        lengths = np.linalg.norm(edges, axis=1)
    following = edges[nxt]
    turns = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    turns = turns / (lengths * lengths[nxt])
    for i in range(count):
        corner = (i + 1) % count
        if turns[i] < -1e-6:
            raise SceneError(f"{what}: is not convex (it turns inwards at vertex {corner})")
        if turns[i] < 1e-6:
            raise SceneError(f"{what}: vertex {corner} is collinear with its neighbours (degenerate polygon)")
    return v, reversed_


def polygon_mass(vertices: np.ndarray, density: float) -> MassProperties:
    """Exact mass, area-weighted centroid and inertia about it, of a convex CCW polygon."""
    origin = vertices[0]
    area = 0.0
    first_moment = np.zeros(2)
    second_moment = 0.0  # about origin, per unit density
    for i in range(1, len(vertices) - 1):
        e1, e2 = vertices[i] - origin, vertices[i + 1] - origin
        d = e1[0] * e2[1] - e1[1] * e2[0]
        tri = 0.5 * d
        area += tri
        first_moment += tri * (e1 + e2) / 3.0
        ix = e1[0] ** 2 + e1[0] * e2[0] + e2[0] ** 2
        iy = e1[1] ** 2 + e1[1] * e2[1] + e2[1] ** 2
        second_moment += (d / 12.0) * (ix + iy)
    centre = first_moment / area
    mass = density * area
    inertia = density * second_moment - mass * float(centre @ centre)
    return MassProperties(mass, centre + origin, inertia)


def circle_mass(radius: float, density: float) -> MassProperties:
    """Mass and inertia of a solid disc about its centre."""
    mass = density * math.pi * radius * radius
    return MassProperties(mass, np.zeros(2), 0.5 * mass * radius * radius)


def edge_normals(vertices: np.ndarray) -> np.ndarray:
    """Outward unit normals of the edges i -> i+1 of a CCW polygon."""
    edges = np.roll(vertices, -1, axis=0) - vertices
    normals = np.stack([edges[:, 1], -edges[:, 0]], axis=1)
    return normals / np.linalg.norm(normals, axis=1, keepdims=True)
