"""Mass properties of shapes against analytic formulas and brute-force integration (no compilation)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tumble.physics import SceneBuilder
from tumble.physics.geometry import circle_mass, polygon_area, polygon_mass


def grid_mass_properties(vertices, density, n=1200):
    """Mass, centroid and polar inertia about the centroid by midpoint-grid integration.

    Independent of the engine: a fine grid of cells, each kept when its centre
    lies inside every edge's half-plane of the convex CCW polygon.
    """
    v = np.asarray(vertices, np.float64)
    lo, hi = v.min(axis=0), v.max(axis=0)
    xs = lo[0] + (np.arange(n) + 0.5) * (hi[0] - lo[0]) / n
    ys = lo[1] + (np.arange(n) + 0.5) * (hi[1] - lo[1]) / n
    cell = (hi[0] - lo[0]) * (hi[1] - lo[1]) / n**2
    x, y = np.meshgrid(xs, ys)
    inside = np.ones_like(x, bool)
    for i in range(len(v)):
        a, b = v[i], v[(i + 1) % len(v)]
        inside &= (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]) >= 0.0
    x, y = x[inside], y[inside]
    mass = density * cell * x.size
    cx, cy = x.mean(), y.mean()
    inertia = density * cell * np.sum((x - cx) ** 2 + (y - cy) ** 2)
    return mass, np.array([cx, cy]), inertia


def regular_polygon(n, radius, phase=0.3):
    k = np.arange(n)
    return np.stack([radius * np.cos(2 * np.pi * k / n + phase), radius * np.sin(2 * np.pi * k / n + phase)], axis=1)


def regular_inertia(mass, radius, n):
    """Polar moment of a regular n-gon with circumradius ``radius`` about its centre."""
    return mass * radius**2 / 6.0 * (1.0 + 2.0 * math.cos(math.pi / n) ** 2)


def built_body(add):
    """Build a one-body scene via ``add(builder)``; return (mass, inertia, position, local vertices)."""
    b = SceneBuilder(gravity=(0.0, 0.0))
    h = add(b)
    scene, _ = b.build()
    i = int(h)
    mass = 1.0 / float(scene.props.inv_mass[i])
    inertia = 1.0 / float(scene.props.inv_inertia[i])
    position = np.asarray(scene.state.position[i], np.float64)
    return mass, inertia, position, scene, i


# --- right triangle ------------------------------------------------------------------------------
def test_right_triangle_exact():
    a, b, rho = 3.0, 2.0, 1.5
    verts = np.array([[0.0, 0.0], [a, 0.0], [0.0, b]])
    props = polygon_mass(verts, rho)
    m = rho * a * b / 2
    assert props.mass == pytest.approx(m, rel=1e-12)
    np.testing.assert_allclose(props.centroid, [a / 3, b / 3], rtol=1e-12)
    # polar moment about the centroid: (Ix + Iy) = m (a^2 + b^2) / 18; not 2/3 of it
    assert props.inertia == pytest.approx(m * (a * a + b * b) / 18.0, rel=1e-12)


def test_right_triangle_matches_integration():
    verts = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 2.0]])
    m, c, inertia = grid_mass_properties(verts, 1.5)
    props = polygon_mass(verts, 1.5)
    assert props.mass == pytest.approx(m, rel=5e-3)
    np.testing.assert_allclose(props.centroid, c, atol=5e-3)
    assert props.inertia == pytest.approx(inertia, rel=5e-3)


def test_right_triangle_through_builder():
    a, b, rho = 3.0, 2.0, 1.5
    mass, inertia, position, _, _ = built_body(
        lambda bld: bld.add_polygon([(0, 0), (a, 0), (0, b)], position=(1.0, 1.0), density=rho)
    )
    m = rho * a * b / 2
    assert mass == pytest.approx(m, rel=1e-5)
    assert inertia == pytest.approx(m * (a * a + b * b) / 18.0, rel=1e-5)
    np.testing.assert_allclose(position, [1.0 + a / 3, 1.0 + b / 3], rtol=1e-6)


# --- regular polygons ------------------------------------------------------------------------------
@pytest.mark.parametrize("n", range(3, 9))
def test_regular_polygon_formula_is_right(n):
    """The analytic formula used below, checked against brute-force integration."""
    r = 1.3
    verts = regular_polygon(n, r)
    m, c, inertia = grid_mass_properties(verts, 1.0)
    area = 0.5 * n * r * r * math.sin(2 * math.pi / n)
    assert m == pytest.approx(area, rel=3e-3)
    assert inertia == pytest.approx(regular_inertia(m, r, n), rel=3e-3)
    np.testing.assert_allclose(c, [0.0, 0.0], atol=3e-3)


def test_regular_formula_known_cases():
    # square of side s: m s^2 / 6 with R = s / sqrt 2; equilateral triangle of side s: m s^2 / 12 with R = s / sqrt 3
    assert regular_inertia(1.0, 1.0 / math.sqrt(2), 4) == pytest.approx(1.0 / 6.0, rel=1e-12)
    assert regular_inertia(1.0, 1.0 / math.sqrt(3), 3) == pytest.approx(1.0 / 12.0, rel=1e-12)


@pytest.mark.parametrize("n", range(3, 9))
def test_regular_polygon_mass_properties(n):
    r, rho = 0.8, 2.5
    centre = np.array([0.7, -1.2])
    verts = regular_polygon(n, r) + centre
    props = polygon_mass(verts, rho)
    m = rho * 0.5 * n * r * r * math.sin(2 * math.pi / n)
    assert props.mass == pytest.approx(m, rel=1e-9)
    np.testing.assert_allclose(props.centroid, centre, atol=1e-9)
    assert props.inertia == pytest.approx(regular_inertia(m, r, n), rel=1e-9)


@pytest.mark.parametrize("n", [3, 5, 8])
def test_regular_polygon_through_builder(n):
    r, rho = 0.8, 2.5
    mass, inertia, position, scene, i = built_body(
        lambda bld: bld.add_polygon(regular_polygon(n, r), position=(2.0, 3.0), density=rho)
    )
    m = rho * 0.5 * n * r * r * math.sin(2 * math.pi / n)
    assert mass == pytest.approx(m, rel=1e-5)
    assert inertia == pytest.approx(regular_inertia(m, r, n), rel=1e-5)
    np.testing.assert_allclose(position, [2.0, 3.0], atol=1e-6)
    assert int(scene.polygons.n_vertices[i]) == n
    assert float(scene.props.bounding_radius[i]) == pytest.approx(r, rel=1e-5)


# --- box --------------------------------------------------------------------------------------------
def test_box():
    w, h, rho = 2.0, 0.5, 3.0
    mass, inertia, position, scene, i = built_body(lambda bld: bld.add_box(size=(w, h), position=(1, 2), density=rho))
    m = rho * w * h
    assert mass == pytest.approx(m, rel=1e-6)
    assert inertia == pytest.approx(m * (w * w + h * h) / 12.0, rel=1e-6)
    np.testing.assert_allclose(position, [1.0, 2.0], atol=1e-6)
    # stored vertices are in the body frame around the centre of mass, counter-clockwise
    assert int(scene.polygons.n_vertices[i]) == 4
    padded = np.asarray(scene.polygons.vertices[i])
    verts = padded[:4]
    np.testing.assert_allclose(padded[4:], np.repeat(verts[:1], len(padded) - 4, axis=0))  # padding repeats vertex 0
    np.testing.assert_allclose(np.abs(verts), [[w / 2, h / 2]] * 4, rtol=1e-6)
    assert polygon_area(verts[:4]) == pytest.approx(w * h, rel=1e-6)
    normals = np.asarray(scene.polygons.normals[i])[:4]
    # each edge normal is unit length and points away from the centre
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, rtol=1e-6)
    assert np.all(np.sum(normals * verts, axis=1) > 0)


# --- off-origin irregular polygon ----------------------------------------------------------------------
QUAD = np.array([[0.0, 0.0], [4.0, 0.0], [3.0, 2.0], [0.0, 3.0]])
# by hand: triangles (0,0),(4,0),(3,2) [area 4, centroid (7/3, 2/3)] and (0,0),(3,2),(0,3) [area 4.5, centroid (1, 5/3)]
QUAD_AREA = 8.5
QUAD_CENTROID = np.array([(4 * 7 / 3 + 4.5 * 1) / 8.5, (4 * 2 / 3 + 4.5 * 5 / 3) / 8.5])


def test_quad_centroid_is_area_weighted():
    vertex_mean = QUAD.mean(axis=0)
    assert np.linalg.norm(vertex_mean - QUAD_CENTROID) > 0.1  # the two really differ for this shape
    props = polygon_mass(QUAD + [5.0, -2.0], 2.0)
    assert props.mass == pytest.approx(2.0 * QUAD_AREA, rel=1e-12)
    np.testing.assert_allclose(props.centroid, QUAD_CENTROID + [5.0, -2.0], rtol=1e-12)
    _m, c, inertia = grid_mass_properties(QUAD, 2.0)
    np.testing.assert_allclose(c, QUAD_CENTROID, atol=5e-3)
    assert props.inertia == pytest.approx(inertia, rel=5e-3)


def test_quad_through_builder_position_and_rotation():
    angle = 0.7
    offset = np.array([5.0, -2.0])
    mass, inertia, position, scene, i = built_body(
        lambda bld: bld.add_polygon(QUAD, position=tuple(offset), angle=angle, density=2.0)
    )
    c, s = math.cos(angle), math.sin(angle)
    expected = offset + np.array(
        [c * QUAD_CENTROID[0] - s * QUAD_CENTROID[1], s * QUAD_CENTROID[0] + c * QUAD_CENTROID[1]]
    )
    np.testing.assert_allclose(position, expected, atol=1e-5)
    assert float(scene.state.angle[i]) == pytest.approx(angle)
    assert mass == pytest.approx(2.0 * QUAD_AREA, rel=1e-6)
    _, _, grid_inertia = grid_mass_properties(QUAD, 2.0)
    assert inertia == pytest.approx(grid_inertia, rel=5e-3)
    # local vertices are the given ones minus the centroid (area-weighted centroid at the local origin)
    local = np.asarray(scene.polygons.vertices[i])[:4]
    np.testing.assert_allclose(local, QUAD - QUAD_CENTROID, atol=1e-5)


# --- circle -----------------------------------------------------------------------------------------
def test_circle():
    r, rho = 0.7, 1.8
    props = circle_mass(r, rho)
    assert props.mass == pytest.approx(math.pi * r * r * rho, rel=1e-12)
    assert props.inertia == pytest.approx(0.5 * props.mass * r * r, rel=1e-12)
    mass, inertia, position, scene, i = built_body(lambda bld: bld.add_circle(r, position=(1.0, 4.0), density=rho))
    assert mass == pytest.approx(math.pi * r * r * rho, rel=1e-6)
    assert inertia == pytest.approx(0.5 * mass * r * r, rel=1e-6)
    np.testing.assert_allclose(position, [1.0, 4.0])
    assert float(scene.props.bounding_radius[i]) == pytest.approx(r)


def test_static_bodies_have_zero_inverse_mass():
    b = SceneBuilder()
    g = b.add_box(size=(4, 1), static=True)
    c = b.add_circle(0.5, position=(0, 2), static=True)
    scene, _ = b.build()
    inv_mass, inv_inertia = np.asarray(scene.props.inv_mass), np.asarray(scene.props.inv_inertia)
    for h in (g, c):
        assert inv_mass[h] == 0.0 and inv_inertia[h] == 0.0
