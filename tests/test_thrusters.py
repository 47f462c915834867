"""Thrusters against Newton's laws in zero gravity; clipping of thruster and motor controls."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tumble.physics import SceneBuilder

STEPS = 30  # 0.5 s at 60 Hz


def test_thrusters_through_the_centre_accelerate_at_f_over_m(cap, run, controls):
    b = SceneBuilder(gravity=(0.0, 0.0))
    box = b.add_box(size=(1.0, 1.0), position=(1.0, 2.0), density=2.0)  # m = 2
    b.add_thruster(box, (1.0, 2.0), angle=0.0, max_force=4.0)  # +x
    b.add_thruster(box, (1.0, 2.0), angle=math.pi / 2, max_force=2.0)  # +y, run at half throttle
    scene, params = b.build(cap)
    r = run(scene, params, STEPS, controls(scene, thruster=[1.0, 0.5]))
    m = 2.0
    accel = np.array([4.0 / m, 0.5 * 2.0 / m])
    t = np.arange(STEPS + 1) * params.dt
    np.testing.assert_allclose(r.velocity[:, box], accel[None] * t[:, None], rtol=1e-4, atol=1e-5)
    # position: 1/2 a t^2 (semi-implicit Euler over 4 substeps adds a(h t)/2, under 1% here)
    np.testing.assert_allclose(r.position[-1, box], [1.0, 2.0] + 0.5 * accel * t[-1] ** 2, rtol=1e-2)
    assert np.abs(r.angular_velocity[:, box]).max() < 1e-5


def test_off_centre_thruster_gives_r_cross_f_over_i(cap, run, controls):
    force, w, h = 1.0, 1.0, 1.0
    b = SceneBuilder(gravity=(0.0, 0.0))
    box = b.add_box(size=(w, h), position=(0.0, 0.0))  # m = 1, I = 1/6
    b.add_thruster(box, (0.0, 0.5), angle=0.0, max_force=force)  # pushes +x at the top edge
    scene, params = b.build(cap)
    r = run(scene, params, STEPS, controls(scene, thruster=[1.0, 0.0]))
    m, inertia = 1.0, (w * w + h * h) / 12.0
    torque = 0.0 * 0.0 - 0.5 * force  # r x F with r = (0, 0.5), F = (force, 0)
    alpha = torque / inertia  # constant: the point and direction turn with the body
    t = np.arange(STEPS + 1) * params.dt
    np.testing.assert_allclose(r.angular_velocity[:, box], alpha * t, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(r.angle[-1, box], 0.5 * alpha * t[-1] ** 2, rtol=2e-2)
    # the force turns with the body: v(t) = F/m * integral of (cos, sin)(alpha s^2 / 2) ds
    s = np.linspace(0.0, t[-1], 20001)
    theta = 0.5 * alpha * s**2

    def integral(f):  # trapezoid rule over s
        return float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(s)))

    v_expected = force / m * np.array([integral(np.cos(theta)), integral(np.sin(theta))])
    np.testing.assert_allclose(r.velocity[-1, box], v_expected, rtol=1e-2, atol=2e-3)


def test_thruster_on_a_rotated_body_pushes_along_its_world_direction(cap, run, controls):
    b = SceneBuilder(gravity=(0.0, 0.0))
    box = b.add_box(size=(1.0, 1.0), position=(0.0, 0.0), angle=0.6)
    b.add_thruster(box, (0.0, 0.0), angle=2.0, max_force=1.0)  # world direction at build time
    scene, params = b.build(cap)
    r = run(scene, params, STEPS, controls(scene, thruster=[1.0, 0.0]))
    t = STEPS * params.dt
    np.testing.assert_allclose(r.velocity[-1, box], t * np.array([math.cos(2.0), math.sin(2.0)]), rtol=1e-4, atol=1e-5)


# --- control clipping -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def actuated(cap):
    """A free box with a thruster and a disc with a motor, in zero gravity."""
    b = SceneBuilder(gravity=(0.0, 0.0))
    box = b.add_box(size=(1.0, 1.0), position=(0.0, 0.0))
    b.add_thruster(box, (0.0, 0.2), angle=0.3, max_force=2.0)
    b.add_thruster(box, (0.0, 0.0), angle=math.pi / 2, max_force=1.0)
    disc = b.add_circle(0.5, position=(4.0, 0.0))
    b.add_revolute_joint(None, disc, (4.0, 0.0), enable_motor=True, motor_speed=2.0, max_motor_torque=10.0)
    scene, params = b.build(cap)
    return scene, params, int(box), int(disc)


def final_state(r):
    return np.concatenate([r.position[-1].ravel(), r.angle[-1], r.velocity[-1].ravel(), r.angular_velocity[-1]])


def test_controls_above_range_are_clipped(actuated, run, controls):
    scene, params, box, disc = actuated
    full = run(scene, params, STEPS, controls(scene, motor=[1.0, 1.0], thruster=[1.0, 1.0]))
    over = run(scene, params, STEPS, controls(scene, motor=[5.0, 3.0], thruster=[2.0, 1e6]))
    np.testing.assert_array_equal(final_state(over), final_state(full))
    assert full.angular_velocity[-1, disc] == pytest.approx(2.0, rel=1e-3)  # the motor ran
    assert np.linalg.norm(full.velocity[-1, box]) > 0.5  # the thrusters fired


def test_nan_and_negative_controls_read_as_zero(actuated, run, controls):
    scene, params, box, _disc = actuated
    off = run(scene, params, STEPS, controls(scene, motor=[0.0, 0.0], thruster=[0.0, 0.0]))
    bad = run(scene, params, STEPS, controls(scene, motor=[float("nan"), float("nan")], thruster=[float("nan"), -3.0]))
    assert np.all(np.isfinite(final_state(bad)))
    np.testing.assert_array_equal(final_state(bad), final_state(off))
    assert np.abs(bad.velocity[-1, box]).max() == 0.0
    assert np.abs(bad.angular_velocity[-1]).max() < 1e-6  # motor target 0: the disc stays at rest


def test_motor_control_below_range_is_clipped(actuated, run, controls):
    scene, params, _box, disc = actuated
    r = run(scene, params, STEPS, controls(scene, motor=[-7.0, 0.0], thruster=[0.0, 0.0]))
    assert r.angular_velocity[-1, disc] == pytest.approx(-2.0, rel=1e-3)
