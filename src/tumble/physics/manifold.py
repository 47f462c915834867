"""Contact manifolds, one function per shape pair (single pair; callers ``vmap``).

A manifold holds up to two points.  Each point carries its anchors relative to
the two body centres (world orientation), its separation (negative when
overlapping) and a feature id that stays the same while the same features
touch, so warm starting follows the right point.  Points are kept while their
separation is below ``margin``: the speculative distance plus how far the two
bodies can close in on each other during the step, so fast bodies meet a
constraint before they could pass through (speculative contacts).

Conventions: the normal points from body A to body B; a point's location is
midway between the two surfaces.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp


class Manifold(NamedTuple):
    normal: jax.Array  # f32[..., 2] from A to B
    anchor_a: jax.Array  # f32[..., 2 points, 2] contact point minus A's centre
    anchor_b: jax.Array  # f32[..., 2, 2] contact point minus B's centre
    separation: jax.Array  # f32[..., 2]
    id: jax.Array  # i32[..., 2]
    active: jax.Array  # bool[..., 2]


def rotate(angle: jax.Array, v: jax.Array) -> jax.Array:
    """Rotate vectors ``v`` [..., 2] by ``angle`` (broadcast over leading axes)."""
    c, s = jnp.cos(angle)[..., None], jnp.sin(angle)[..., None]
    return jnp.concatenate([c * v[..., :1] - s * v[..., 1:], s * v[..., :1] + c * v[..., 1:]], axis=-1)


def cross(a: jax.Array, b: jax.Array) -> jax.Array:
    """2D cross product of vectors [..., 2]."""
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


# Products and norms of 2-vectors are written out by component, never as ``sum``/``@``/``norm``:
# XLA's CPU backend hands small reductions and matrix products to a library kernel that, on
# these tiny axes (2 components, up to 8 vertices), costs far more than the arithmetic
# (measured: about 6% of a batched step before this change).
def _dot(a: jax.Array, b: jax.Array) -> jax.Array:
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]


def norm(a: jax.Array) -> jax.Array:
    """Length of vectors [..., 2] (written out: see above)."""
    return jnp.sqrt(_dot(a, a))


def _min_last(x: jax.Array) -> jax.Array:
    """Minimum over the (short, static) last axis, as a chain of element-wise minima."""
    out = x[..., 0]
    for j in range(1, x.shape[-1]):
        out = jnp.minimum(out, x[..., j])
    return out


def _manifold(normal, points, separation, ids, active, center_a, center_b) -> Manifold:
    return Manifold(
        normal=normal,
        anchor_a=points - center_a,
        anchor_b=points - center_b,
        separation=separation,
        id=ids.astype(jnp.int32),
        active=active,
    )


def _clip(p1, p2, plane_normal, offset):
    """Clip segment p1-p2 to the side ``dot(plane_normal, p) <= offset``.

    Returns the two clipped end points, whether each was moved, and whether
    anything of the segment is left.
    """
    d1 = _dot(plane_normal, p1) - offset
    d2 = _dot(plane_normal, p2) - offset
    denom = jnp.where(jnp.abs(d1 - d2) > 1e-12, d1 - d2, 1.0)
    cut = p1 + (d1 / denom) * (p2 - p1)
    out1 = jnp.where(d1 <= 0.0, p1, cut)
    out2 = jnp.where(d2 <= 0.0, p2, cut)
    return out1, out2, d1 > 0.0, d2 > 0.0, (d1 <= 0.0) | (d2 <= 0.0)


def polygon_polygon(
    pos_a, angle_a, verts_a, normals_a, count_a, pos_b, angle_b, verts_b, normals_b, count_b, margin, slop
) -> Manifold:
    """Separating-axis test and reference-face clipping for two convex polygons."""
    n_max = verts_a.shape[0]
    idx = jnp.arange(n_max)
    wa = pos_a + rotate(angle_a, verts_a)
    wb = pos_b + rotate(angle_b, verts_b)
    na = rotate(angle_a, normals_a)
    nb = rotate(angle_b, normals_b)

    def face_separation(normals, verts, count, other):
        # separation of each face from the other polygon's deepest vertex
        s = _min_last(_dot(normals[:, None, :], other[None, :, :]) - _dot(normals, verts)[:, None])
        return jnp.where(idx < count, s, -jnp.inf)

    sep_a = face_separation(na, wa, count_a, wb)
    sep_b = face_separation(nb, wb, count_b, wa)
    edge_a, edge_b = jnp.argmax(sep_a), jnp.argmax(sep_b)
    best_a, best_b = sep_a[edge_a], sep_b[edge_b]
    # prefer A's face unless B's is clearly better, so the choice does not flicker
    flip = best_b > best_a + 0.1 * slop

    ref_v = jnp.where(flip, wb, wa)
    ref_n = jnp.where(flip, nb, na)
    ref_count = jnp.where(flip, count_b, count_a)
    inc_v = jnp.where(flip, wa, wb)
    inc_n = jnp.where(flip, na, nb)
    inc_count = jnp.where(flip, count_a, count_b)
    i1 = jnp.where(flip, edge_b, edge_a)
    i2 = jnp.where(i1 + 1 < ref_count, i1 + 1, 0)
    v1, v2, normal = ref_v[i1], ref_v[i2], ref_n[i1]

    # incident face: the one most anti-parallel to the reference normal
    facing = jnp.where(idx < inc_count, _dot(inc_n, normal), jnp.inf)
    k1 = jnp.argmin(facing)
    k2 = jnp.where(k1 + 1 < inc_count, k1 + 1, 0)
    w1, w2 = inc_v[k1], inc_v[k2]

    tangent = v2 - v1
    tangent = tangent / jnp.maximum(norm(tangent), 1e-12)
    w1, w2, moved1a, moved2a, keep_a = _clip(w1, w2, -tangent, -_dot(tangent, v1))
    w1, w2, moved1b, moved2b, keep_b = _clip(w1, w2, tangent, _dot(tangent, v2))
    points = jnp.stack([w1, w2])
    separation = _dot(points - v1, normal)
    points = points - 0.5 * separation[:, None] * normal

    base = 1 + flip.astype(jnp.int32) * 4096 + i1 * 256 + k1 * 16
    ids = base + jnp.array([0, 2]) + jnp.stack([moved1a | moved1b, moved2a | moved2b]).astype(jnp.int32)
    touching = (jnp.maximum(best_a, best_b) <= margin) & keep_a & keep_b
    active = touching & (separation <= margin)
    return _manifold(jnp.where(flip, -normal, normal), points, separation, ids, active, pos_a, pos_b)


def polygon_circle(pos_a, angle_a, verts_a, normals_a, count_a, pos_b, radius_b, margin) -> Manifold:
    """Polygon A against circle B: nearest face, or nearest vertex beyond a face's ends."""
    n_max = verts_a.shape[0]
    idx = jnp.arange(n_max)
    wa = pos_a + rotate(angle_a, verts_a)
    na = rotate(angle_a, normals_a)
    sep = jnp.where(idx < count_a, _dot(na, pos_b - wa), -jnp.inf)
    i1 = jnp.argmax(sep)
    i2 = jnp.where(i1 + 1 < count_a, i1 + 1, 0)
    face_sep = sep[i1]
    v1, v2 = wa[i1], wa[i2]
    beyond_1 = _dot(pos_b - v1, v2 - v1) < 0.0
    beyond_2 = _dot(pos_b - v2, v1 - v2) < 0.0
    outside = face_sep > 1e-6
    use_vertex = outside & (beyond_1 | beyond_2)
    corner = jnp.where(beyond_1, v1, v2)
    to_centre = pos_b - corner
    dist = norm(to_centre)
    vertex_normal = to_centre / jnp.maximum(dist, 1e-12)
    normal = jnp.where(use_vertex, vertex_normal, na[i1])
    surface_gap = jnp.where(use_vertex, dist, face_sep)
    separation = surface_gap - radius_b
    on_polygon = pos_b - surface_gap * normal
    point = on_polygon + 0.5 * separation * normal
    ids = jnp.where(use_vertex, 64 + jnp.where(beyond_1, i1, i2), i1) + 1
    active = jnp.stack([separation <= margin, jnp.array(False)])
    points = jnp.stack([point, point])
    return _manifold(normal, points, jnp.stack([separation, separation]), jnp.stack([ids, 0]), active, pos_a, pos_b)


def circle_circle(pos_a, radius_a, pos_b, radius_b, margin) -> Manifold:
    """Two circles: one point on the line of centres."""
    d = pos_b - pos_a
    dist = norm(d)
    normal = jnp.where(dist > 1e-9, d / jnp.maximum(dist, 1e-9), jnp.array([0.0, 1.0]))
    separation = dist - radius_a - radius_b
    point = pos_a + (radius_a + 0.5 * separation) * normal
    active = jnp.stack([separation <= margin, jnp.array(False)])
    points = jnp.stack([point, point])
    return _manifold(normal, points, jnp.stack([separation, separation]), jnp.array([1, 0]), active, pos_a, pos_b)


def wall_polygon(wall_normal, wall_offset, pos_b, angle_b, verts_b, count_b, margin) -> Manifold:
    """A half-plane ``dot(n, x) >= offset`` (static body A at the origin) against polygon B.

    Keeps the two deepest vertices.
    """
    n_max = verts_b.shape[0]
    idx = jnp.arange(n_max)
    wb = pos_b + rotate(angle_b, verts_b)
    s = jnp.where(idx < count_b, _dot(wb, wall_normal) - wall_offset, jnp.inf)
    k1 = jnp.argmin(s)
    s2 = jnp.where(idx == k1, jnp.inf, s)  # not a scatter: see filtering.joined_pairs
    k2 = jnp.argmin(s2)
    sep = jnp.stack([s[k1], s2[k2]])
    points = wb[jnp.stack([k1, k2])] - 0.5 * sep[:, None] * wall_normal
    active = sep <= margin
    return _manifold(wall_normal, points, sep, jnp.stack([k1, k2]) + 1, active, jnp.zeros(2), pos_b)


def wall_circle(wall_normal, wall_offset, pos_b, radius_b, margin) -> Manifold:
    """A half-plane ``dot(n, x) >= offset`` against circle B."""
    separation = _dot(pos_b, wall_normal) - wall_offset - radius_b
    point = pos_b - (radius_b + 0.5 * separation) * wall_normal
    active = jnp.stack([separation <= margin, jnp.array(False)])
    points = jnp.stack([point, point])
    return _manifold(wall_normal, points, jnp.stack([separation, separation]), jnp.array([1, 0]), active, jnp.zeros(2), pos_b)
