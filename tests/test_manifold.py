"""Single-pair contact manifolds against hand-computed geometry."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tumble.physics import manifold as mf
from tumble.physics.geometry import edge_normals

ATOL = 1e-5

polygon_polygon = jax.jit(mf.polygon_polygon)
polygon_circle = jax.jit(mf.polygon_circle)
circle_circle = jax.jit(mf.circle_circle)
wall_polygon = jax.jit(mf.wall_polygon)
wall_circle = jax.jit(mf.wall_circle)

FLOOR_N, LEFT_N, RIGHT_N = np.array([0.0, 1.0]), np.array([1.0, 0.0]), np.array([-1.0, 0.0])


def box(w, h):
    """(vertices, normals, count) of a w x h box around its centre, CCW."""
    v = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    return jnp.asarray(v, jnp.float32), jnp.asarray(edge_normals(v), jnp.float32), jnp.int32(4)


GROUND = box(2.0, 1.0)  # top face at y = 0.5 when centred at the origin
UNIT = box(1.0, 1.0)


def f32(*x):
    return jnp.asarray(x[0] if len(x) == 1 else x, jnp.float32)


def poly_poly(pos_a, ang_a, shape_a, pos_b, ang_b, shape_b, margin=0.02):
    m = polygon_polygon(f32(*pos_a), f32(ang_a), *shape_a, f32(*pos_b), f32(ang_b), *shape_b, f32(margin), f32(0.005))
    return jax.tree_util.tree_map(np.asarray, m)


def points(m, pos_a):
    """World contact points of the active points, sorted by x, and their separations."""
    pts = m.anchor_a + np.asarray(pos_a)[None, :]
    keep = m.active
    order = np.argsort(pts[keep][:, 0])
    return pts[keep][order], m.separation[keep][order], m.id[keep][order]


# --- circle / circle ---------------------------------------------------------------------------------
def test_circle_circle_separated():
    m = jax.tree_util.tree_map(np.asarray, circle_circle(f32(0, 0), f32(1.0), f32(1.5, 2.0), f32(1.0), f32(0.1)))
    np.testing.assert_allclose(m.normal, [0.6, 0.8], atol=ATOL)
    assert m.separation[0] == pytest.approx(0.5, abs=ATOL)
    assert not m.active.any()  # 0.5 beyond the 0.1 margin


def test_circle_circle_overlapping():
    pos_a, pos_b = np.array([1.0, -1.0]), np.array([1.0 + 1.2, -1.0 + 1.6])  # distance 2
    m = jax.tree_util.tree_map(np.asarray, circle_circle(f32(*pos_a), f32(1.0), f32(*pos_b), f32(1.2), f32(0.1)))
    np.testing.assert_allclose(m.normal, [0.6, 0.8], atol=ATOL)
    assert m.separation[0] == pytest.approx(-0.2, abs=ATOL)
    assert m.active.tolist() == [True, False]
    # midway between the surfaces: 1.0 - 0.1 from A's centre along the normal
    np.testing.assert_allclose(m.anchor_a[0], 0.9 * np.array([0.6, 0.8]), atol=ATOL)
    np.testing.assert_allclose(m.anchor_a[0] + pos_a - pos_b, m.anchor_b[0], atol=ATOL)


def test_circle_circle_within_margin_is_speculative():
    m = jax.tree_util.tree_map(np.asarray, circle_circle(f32(0, 0), f32(0.5), f32(0, 1.05), f32(0.5), f32(0.1)))
    assert m.separation[0] == pytest.approx(0.05, abs=ATOL)
    assert m.active[0]


def test_circle_circle_concentric_is_finite():
    m = jax.tree_util.tree_map(np.asarray, circle_circle(f32(1, 1), f32(0.5), f32(1, 1), f32(0.3), f32(0.1)))
    assert np.all(np.isfinite(m.normal)) and np.linalg.norm(m.normal) == pytest.approx(1.0)
    assert m.separation[0] == pytest.approx(-0.8, abs=ATOL)


# --- polygon / circle ----------------------------------------------------------------------------------
def poly_circle(pos_a, ang_a, shape_a, pos_b, r, margin=0.02):
    m = polygon_circle(f32(*pos_a), f32(ang_a), *shape_a, f32(*pos_b), f32(r), f32(margin))
    return jax.tree_util.tree_map(np.asarray, m)


def test_polygon_circle_face():
    m = poly_circle((0, 0), 0.0, GROUND, (0.3, 0.98), 0.5)
    np.testing.assert_allclose(m.normal, [0, 1], atol=ATOL)
    assert m.separation[0] == pytest.approx(-0.02, abs=ATOL)
    assert m.active.tolist() == [True, False]
    np.testing.assert_allclose(m.anchor_a[0], [0.3, 0.49], atol=ATOL)  # between y = 0.5 and 0.48
    np.testing.assert_allclose(m.anchor_b[0], [0.0, -0.49], atol=ATOL)


def test_polygon_circle_face_of_moved_rotated_polygon():
    # the ground box turned by -90 degrees about (5, 1): its old top face is now the +x face at x = 5.5
    m = poly_circle((5, 1), -math.pi / 2, GROUND, (5.5 + 0.45, 1.2), 0.5)
    np.testing.assert_allclose(m.normal, [1, 0], atol=ATOL)
    assert m.separation[0] == pytest.approx(-0.05, abs=ATOL)
    np.testing.assert_allclose(m.anchor_a[0] + [5, 1], [5.475, 1.2], atol=ATOL)


def test_polygon_circle_centre_inside():
    m = poly_circle((0, 0), 0.0, GROUND, (0.3, 0.4), 0.2)
    np.testing.assert_allclose(m.normal, [0, 1], atol=ATOL)  # out through the nearest (top) face
    assert m.separation[0] == pytest.approx(-0.1 - 0.2, abs=ATOL)
    assert m.active[0]


def test_polygon_circle_corner():
    # the centre is beyond the top-right corner (1, 0.5), at distance 0.5 along (0.6, 0.8)
    centre = (1.3, 0.9)
    m = poly_circle((0, 0), 0.0, GROUND, centre, 0.55)
    np.testing.assert_allclose(m.normal, [0.6, 0.8], atol=ATOL)
    assert m.separation[0] == pytest.approx(-0.05, abs=ATOL)
    assert m.active[0]
    np.testing.assert_allclose(m.anchor_a[0], np.array([1.0, 0.5]) - 0.025 * np.array([0.6, 0.8]), atol=ATOL)
    # a smaller circle at the same place: 0.05 away, outside a 0.02 margin, inside a 0.1 margin
    far = poly_circle((0, 0), 0.0, GROUND, centre, 0.45)
    assert far.separation[0] == pytest.approx(0.05, abs=ATOL)
    assert not far.active.any()
    assert poly_circle((0, 0), 0.0, GROUND, centre, 0.45, margin=0.1).active[0]


def test_polygon_circle_far_is_inactive():
    m = poly_circle((0, 0), 0.0, GROUND, (0.0, 3.0), 0.5)
    assert m.separation[0] == pytest.approx(2.0, abs=ATOL)
    assert not m.active.any()


# --- polygon / polygon -------------------------------------------------------------------------------------
def test_box_resting_on_box():
    pos_a, pos_b = (0.0, 0.0), (0.2, 0.99)  # 1x1 box sunk 0.01 into the 2x1 ground's top face
    m = poly_poly(pos_a, 0.0, GROUND, pos_b, 0.0, UNIT)
    assert m.active.tolist() == [True, True]
    np.testing.assert_allclose(m.normal, [0, 1], atol=ATOL)
    pts, sep, ids = points(m, pos_a)
    np.testing.assert_allclose(sep, [-0.01, -0.01], atol=ATOL)
    np.testing.assert_allclose(pts, [[-0.3, 0.495], [0.7, 0.495]], atol=ATOL)
    # anchors of A and B name the same world point
    np.testing.assert_allclose(m.anchor_a + np.array(pos_a), m.anchor_b + np.array(pos_b), atol=ATOL)
    assert ids[0] != ids[1] and np.all(ids != 0)


def test_box_resting_on_box_swapped_order_flips_normal():
    m = poly_poly((0.2, 0.99), 0.0, UNIT, (0.0, 0.0), 0.0, GROUND)
    np.testing.assert_allclose(m.normal, [0, -1], atol=ATOL)  # still from A (now the top box) to B
    pts, sep, _ = points(m, (0.2, 0.99))
    np.testing.assert_allclose(sep, [-0.01, -0.01], atol=ATOL)
    np.testing.assert_allclose(pts, [[-0.3, 0.495], [0.7, 0.495]], atol=ATOL)


def test_box_overhanging_is_clipped_to_reference_face():
    m = poly_poly((0.0, 0.0), 0.0, GROUND, (1.2, 0.99), 0.0, UNIT)  # B spans x in [0.7, 1.7], A ends at 1
    pts, sep, _ = points(m, (0.0, 0.0))
    np.testing.assert_allclose(pts[:, 0], [0.7, 1.0], atol=ATOL)
    np.testing.assert_allclose(sep, [-0.01, -0.01], atol=ATOL)


def test_rotated_box_corner_into_face():
    depth = 0.05
    pos_b = (0.0, 0.5 - depth + math.sqrt(0.5))  # unit box turned 45 degrees, lowest corner at y = 0.45
    m = poly_poly((0.0, 0.0), 0.0, GROUND, pos_b, math.pi / 4, UNIT)
    np.testing.assert_allclose(m.normal, [0, 1], atol=ATOL)
    pts, sep, _ = points(m, (0.0, 0.0))
    assert len(sep) == 1, "only the corner is within the margin"
    assert sep[0] == pytest.approx(-depth, abs=ATOL)
    np.testing.assert_allclose(pts[0], [0.0, 0.5 - depth / 2], atol=ATOL)


def test_side_by_side_boxes_normal_is_horizontal():
    m = poly_poly((0.0, 0.0), 0.0, UNIT, (0.97, 0.1), 0.0, UNIT)
    np.testing.assert_allclose(m.normal, [1, 0], atol=ATOL)
    pts, sep, _ = points(m, (0.0, 0.0))
    np.testing.assert_allclose(sep, [-0.03, -0.03], atol=ATOL)
    np.testing.assert_allclose(np.sort(pts[:, 1]), [-0.4, 0.5], atol=ATOL)
    np.testing.assert_allclose(pts[:, 0], [0.485, 0.485], atol=ATOL)


def test_separated_beyond_margin_has_no_active_point():
    m = poly_poly((0.0, 0.0), 0.0, GROUND, (0.0, 1.1), 0.0, UNIT, margin=0.05)  # gap 0.1
    assert not m.active.any()


def test_within_margin_is_speculative():
    m = poly_poly((0.0, 0.0), 0.0, GROUND, (0.0, 1.01), 0.0, UNIT, margin=0.05)  # gap 0.01
    assert m.active.tolist() == [True, True]
    np.testing.assert_allclose(m.separation, [0.01, 0.01], atol=ATOL)


def test_feature_ids_stable_when_box_slides():
    base = poly_poly((0.0, 0.0), 0.0, GROUND, (0.2, 0.99), 0.0, UNIT)
    _, _, ids0 = points(base, (0, 0))
    for pos_b in [(0.25, 0.99), (0.15, 0.985), (-0.3, 0.995)]:
        moved = poly_poly((0.0, 0.0), 0.0, GROUND, pos_b, 0.0, UNIT)
        _, _, ids = points(moved, (0, 0))
        np.testing.assert_array_equal(ids, ids0, err_msg=f"ids changed at {pos_b}")


def test_feature_ids_stable_under_tiny_rotation():
    base = poly_poly((0.0, 0.0), 0.0, GROUND, (0.2, 0.99), 0.0, UNIT)
    _, _, ids0 = points(base, (0, 0))
    for angle in (0.002, -0.002):
        _, _, ids = points(poly_poly((0.0, 0.0), 0.0, GROUND, (0.2, 0.99), angle, UNIT), (0, 0))
        np.testing.assert_array_equal(ids, ids0, err_msg=f"ids changed at angle {angle}")


def test_feature_id_changes_when_the_touching_corner_changes():
    # overhanging: one point is B's corner, one is a clip point on A's face end; moving further keeps that,
    # but sliding back fully onto A makes both points B's corners again
    _, _, on_top = points(poly_poly((0, 0), 0.0, GROUND, (0.2, 0.99), 0.0, UNIT), (0, 0))
    _, _, hanging = points(poly_poly((0, 0), 0.0, GROUND, (1.2, 0.99), 0.0, UNIT), (0, 0))
    assert on_top[0] == hanging[0]  # the left point is B's corner both times
    assert on_top[1] != hanging[1]  # the right point became a clip point


# --- walls ------------------------------------------------------------------------------------------------
def wall_poly(normal, offset, pos_b, ang_b, shape, margin=0.02):
    verts, _, count = shape
    m = wall_polygon(jnp.asarray(normal, jnp.float32), f32(offset), f32(*pos_b), f32(ang_b), verts, count, f32(margin))
    return jax.tree_util.tree_map(np.asarray, m)


def test_wall_polygon_floor():
    m = wall_poly(FLOOR_N, 0.4, (1.0, 0.89), 0.0, UNIT)  # bottom at 0.39, floor at 0.4
    np.testing.assert_allclose(m.normal, [0, 1], atol=ATOL)
    assert m.active.tolist() == [True, True]
    pts, sep, ids = points(m, (0, 0))
    np.testing.assert_allclose(sep, [-0.01, -0.01], atol=ATOL)
    np.testing.assert_allclose(pts, [[0.5, 0.395], [1.5, 0.395]], atol=ATOL)
    np.testing.assert_allclose(m.anchor_b, m.anchor_a - np.array([1.0, 0.89]), atol=ATOL)
    assert ids[0] != ids[1] and np.all(ids != 0)


def test_wall_polygon_tilted_keeps_only_points_within_margin():
    angle = 0.3
    m = wall_poly(FLOOR_N, 0.0, (0.0, 0.6), angle, UNIT)
    c, s = math.cos(angle), math.sin(angle)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]) @ np.array([[c, s], [-s, c]]) + [0.0, 0.6]
    lowest = corners[np.argmin(corners[:, 1])]
    assert m.active.sum() == 1
    k = int(np.argmax(m.active))
    assert m.separation[k] == pytest.approx(lowest[1], abs=ATOL)
    np.testing.assert_allclose(m.anchor_a[k], [lowest[0], lowest[1] / 2], atol=ATOL)


def test_wall_polygon_right_wall():
    # the right wall at x = 5 is the half-plane dot((-1, 0), x) >= -5
    m = wall_poly(RIGHT_N, -5.0, (4.7, 2.0), 0.0, UNIT)
    np.testing.assert_allclose(m.normal, [-1, 0], atol=ATOL)
    np.testing.assert_allclose(m.separation, [-0.2, -0.2], atol=ATOL)
    np.testing.assert_allclose(m.anchor_a[:, 0], [5.1, 5.1], atol=ATOL)


def test_wall_circle():
    m = jax.tree_util.tree_map(
        np.asarray, wall_circle(jnp.asarray(LEFT_N, jnp.float32), f32(0.0), f32(0.3, 2.0), f32(0.5), f32(0.02))
    )
    assert m.separation[0] == pytest.approx(-0.2, abs=ATOL)
    assert m.active.tolist() == [True, False]
    np.testing.assert_allclose(m.anchor_a[0], [-0.1, 2.0], atol=ATOL)  # between the wall (x = 0) and the circle (-0.2)
    np.testing.assert_allclose(m.anchor_b[0], [-0.4, 0.0], atol=ATOL)
    far = jax.tree_util.tree_map(
        np.asarray, wall_circle(jnp.asarray(FLOOR_N, jnp.float32), f32(0.4), f32(0.3, 2.0), f32(0.5), f32(0.02))
    )
    assert far.separation[0] == pytest.approx(1.1, abs=ATOL)
    assert not far.active.any()
