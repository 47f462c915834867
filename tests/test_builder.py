"""SceneBuilder validation: every invalid input raises SceneError naming the part and the reason (no compilation)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from tumble.physics import WORLD, Capacity, SceneBuilder, SceneError

SQUARE = [(0, 0), (1, 0), (1, 1), (0, 1)]


def builder_with_two_bodies() -> SceneBuilder:
    """A builder whose next body is body 2 (so errors must say 'polygon 2' / 'circle 2')."""
    b = SceneBuilder()
    b.add_box(size=(4, 1), position=(0, -0.5), static=True)
    b.add_circle(0.3, position=(0, 2))
    return b


@pytest.mark.parametrize(
    "vertices, reason",
    [
        ([(0, 0), (2, 0), (1, 0.5), (2, 2), (0, 2)], "not convex"),
        ([(0, 0), (1, 0), (2, 0), (2, 1), (0, 1)], "collinear"),
        ([(0, 0), (1, 0), (1, 0), (1, 1), (0, 1)], "coincide"),
        ([(0, 0), (1, 1), (2, 2)], "zero area"),
        ([(math.cos(2 * math.pi * k / 9), math.sin(2 * math.pi * k / 9)) for k in range(9)], "9 vertices"),
        ([(0, 0), (1, 0)], "2 vertices"),
        ([(0, 0), (1, float("nan")), (0, 1)], "nan"),
    ],
    ids=["non-convex", "collinear", "duplicate", "zero-area", "too-many", "too-few", "nan-vertex"],
)
def test_invalid_polygon(vertices, reason):
    b = builder_with_two_bodies()
    with pytest.raises(SceneError) as err:
        b.add_polygon(vertices, position=(0, 1))
    msg = str(err.value).lower()
    assert "polygon 2" in msg, msg
    assert reason.lower() in msg, msg


def test_error_names_a_named_shape():
    b = builder_with_two_bodies()
    with pytest.raises(SceneError, match=r"polygon 2 \('lid'\).*not convex"):
        b.add_polygon([(0, 0), (2, 0), (1, 0.5), (2, 2), (0, 2)], name="lid")


def test_clockwise_polygon_is_reversed_with_warning_and_builds():
    b = builder_with_two_bodies()
    cw = [(0, 0), (0, 1), (1, 1), (1, 0)]
    with pytest.warns(UserWarning, match="polygon 2.*clockwise"):
        h = b.add_polygon(cw, position=(3, 0), density=2.0)
    scene, _ = b.build()
    i = int(h)
    verts = np.asarray(scene.polygons.vertices[i])[:4]
    x, y = verts[:, 0], verts[:, 1]
    signed_area = 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
    assert signed_area == pytest.approx(1.0, rel=1e-6)  # counter-clockwise now
    assert 1.0 / float(scene.props.inv_mass[i]) == pytest.approx(2.0, rel=1e-6)  # mass is positive, not -2
    np.testing.assert_allclose(np.asarray(scene.state.position[i]), [3.5, 0.5], atol=1e-6)


def test_counter_clockwise_polygon_does_not_warn():
    b = SceneBuilder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b.add_polygon(SQUARE)


@pytest.mark.parametrize("density", [0.0, -1.0])
def test_non_positive_density(density):
    b = builder_with_two_bodies()
    with pytest.raises(SceneError, match=r"polygon 2: density"):
        b.add_polygon(SQUARE, density=density)
    with pytest.raises(SceneError, match=r"circle 2: density"):
        b.add_circle(0.5, density=density)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_position(bad):
    b = builder_with_two_bodies()
    with pytest.raises(SceneError, match=r"polygon 2: position must be finite"):
        b.add_polygon(SQUARE, position=(0.0, bad))
    with pytest.raises(SceneError, match=r"circle 2: position must be finite"):
        b.add_circle(0.5, position=(bad, 0.0))


def test_non_finite_velocity_and_angle():
    b = builder_with_two_bodies()
    with pytest.raises(SceneError, match=r"polygon 2: velocity must be finite"):
        b.add_polygon(SQUARE, velocity=(float("nan"), 0))
    with pytest.raises(SceneError, match=r"circle 2: angle must be finite"):
        b.add_circle(0.5, angle=float("inf"))


def test_negative_friction():
    b = builder_with_two_bodies()
    with pytest.raises(SceneError, match=r"polygon 2: friction must be >= 0"):
        b.add_polygon(SQUARE, friction=-0.1)


@pytest.mark.parametrize("restitution", [1.01, -0.1])
def test_restitution_out_of_range(restitution):
    b = builder_with_two_bodies()
    with pytest.raises(SceneError, match=r"circle 2: restitution"):
        b.add_circle(0.5, restitution=restitution)


def test_non_positive_radius_and_box_size():
    b = builder_with_two_bodies()
    with pytest.raises(SceneError, match=r"circle 2: radius must be > 0"):
        b.add_circle(0.0)
    with pytest.raises(SceneError, match=r"box 2: size must be positive"):
        b.add_box(size=(1.0, -1.0))


def test_failed_add_leaves_the_builder_unchanged():
    b = builder_with_two_bodies()
    with pytest.raises(SceneError):
        b.add_polygon(SQUARE, density=-1)
    h = b.add_polygon(SQUARE)
    assert "polygon 2" in repr(h)
    scene, _ = b.build()
    assert int(np.sum(np.asarray(scene.props.active))) == 3


@pytest.mark.parametrize(
    "capacity, what",
    [
        (Capacity(n_polygons=1, n_circles=2, n_joints=1, n_thrusters=1, max_vertices=4), "polygons"),
        (Capacity(n_polygons=2, n_circles=0, n_joints=1, n_thrusters=1, max_vertices=4), "circles"),
        (Capacity(n_polygons=2, n_circles=1, n_joints=0, n_thrusters=1, max_vertices=4), "joints"),
        (Capacity(n_polygons=2, n_circles=1, n_joints=1, n_thrusters=0, max_vertices=4), "thrusters"),
        (Capacity(n_polygons=2, n_circles=1, n_joints=1, n_thrusters=1, max_vertices=3), "max_vertices"),
    ],
)
def test_capacity_overflow(capacity, what):
    b = builder_with_two_bodies()
    box = b.add_box(size=(1, 1), position=(2, 2))
    b.add_revolute_joint(None, box, (2, 2))
    b.add_thruster(box, (2, 2))
    with pytest.raises(SceneError, match=rf"capacity overflow.*{what}"):
        b.build(capacity)


def test_joint_to_itself():
    b = builder_with_two_bodies()
    box = b.add_box(size=(1, 1), position=(2, 2))
    with pytest.raises(SceneError, match=r"joint 0: joins a body to itself"):
        b.add_revolute_joint(box, box, (2, 2))
    with pytest.raises(SceneError, match=r"joint 0: joins a body to itself"):
        b.add_fixed_joint(box, box, (2, 2))


def test_joint_to_foreign_handle():
    b = builder_with_two_bodies()
    other = SceneBuilder()
    foreign = other.add_box(size=(1, 1))
    box = b.add_box(size=(1, 1), position=(2, 2))
    with pytest.raises(SceneError, match=r"joint 0: body_b: .*polygon 0.* is not a body of this builder"):
        b.add_revolute_joint(box, foreign, (2, 2))
    with pytest.raises(SceneError, match=r"joint 0: body_a: .* is not a body of this builder"):
        b.add_fixed_joint(foreign, box, (2, 2))
    with pytest.raises(SceneError, match=r"thruster 0: body: .* is not a body of this builder"):
        b.add_thruster(foreign, (0, 0))


def test_joint_limits_must_be_ordered_and_paired():
    b = builder_with_two_bodies()
    box = b.add_box(size=(1, 1), position=(2, 2))
    with pytest.raises(SceneError, match=r"joint 0: lower_angle .* is above upper_angle"):
        b.add_revolute_joint(None, box, (2, 2), lower_angle=0.5, upper_angle=-0.5)
    with pytest.raises(SceneError, match=r"joint 0: give both"):
        b.add_revolute_joint(None, box, (2, 2), lower_angle=0.5)
    with pytest.raises(SceneError, match=r"joint 0: max_motor_torque must be >= 0"):
        b.add_revolute_joint(None, box, (2, 2), enable_motor=True, max_motor_torque=-1.0)


def test_handles_are_ints_after_build():
    b = SceneBuilder()
    ground = b.add_box(size=(4, 1), static=True)
    ball = b.add_circle(0.5, position=(0, 2))
    box = b.add_box(size=(1, 1), position=(2, 2))
    joint = b.add_revolute_joint(ground, box, (2, 2))
    thruster = b.add_thruster(ball, (0, 2))
    with pytest.raises(SceneError, match="build first"):
        int(ball)
    cap = Capacity(n_polygons=3, n_circles=2, n_joints=2, n_thrusters=2, max_vertices=4)
    scene, _ = b.build(cap)
    # polygons first in the order added, then circles after all polygon slots
    assert (int(ground), int(box), int(ball)) == (0, 1, 3)
    assert (int(joint), int(thruster)) == (0, 0)
    position = np.asarray(scene.state.position)
    np.testing.assert_allclose(position[ball], [0.0, 2.0])  # numpy indexing via __index__
    np.testing.assert_allclose(position[box], [2.0, 2.0])
    np.testing.assert_allclose(position[ground], [0.0, 0.0])
    assert [0, 1, 2, 3][box] == 1  # works as a list index too
    assert int(np.asarray(scene.joints.body_a)[joint]) == int(ground)
    assert int(np.asarray(scene.joints.body_b)[joint]) == int(box)
    assert int(np.asarray(scene.thrusters.body)[thruster]) == int(ball)
    np.testing.assert_array_equal(np.asarray(scene.props.active), [True, True, False, True, False])


def test_handle_indexes_jax_arrays_through_int():
    b = SceneBuilder()
    ball = b.add_circle(0.5, position=(0, 2))
    scene, _ = b.build()
    np.testing.assert_allclose(np.asarray(scene.state.position[int(ball)]), [0.0, 2.0])


def test_world_joint_uses_world_index():
    b = SceneBuilder()
    box = b.add_box(size=(1, 1), position=(1, 0))
    b.add_revolute_joint(None, box, (0.5, 0.0))
    scene, _ = b.build()
    assert int(scene.joints.body_a[0]) == WORLD
    # the world anchor is stored as a world point, B's anchor in B's frame around its centre
    np.testing.assert_allclose(np.asarray(scene.joints.local_anchor_a[0]), [0.5, 0.0])
    np.testing.assert_allclose(np.asarray(scene.joints.local_anchor_b[0]), [-0.5, 0.0])


def test_build_returns_params():
    b = SceneBuilder(gravity=(0.0, -3.0), dt=0.01, substeps=2)
    b.add_circle(0.5)
    _, params = b.build()
    assert tuple(params.gravity) == (0.0, -3.0)
    assert params.dt == pytest.approx(0.01)
    assert params.substeps == 2


def test_empty_builder_cannot_build():
    with pytest.raises(SceneError, match="no bodies"):
        SceneBuilder().build()
