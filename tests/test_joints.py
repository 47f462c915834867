"""Revolute and weld joints against analytic mechanics; joint collision filtering.

Every scene uses the suite's one capacity and rollout chunk (see conftest.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tumble.physics import Capacity, SceneBuilder
from tumble.physics.filtering import excluded_pairs

G = 9.81
BAR_W, BAR_H = 1.0, 0.1  # pendulum bar, density 1
PIVOT = np.array([0.0, 2.0])


def world_anchor(run, body, local):
    """World position over time of the body-frame point ``local`` (around the centre of mass) of ``body``."""
    ang = run.angle[:, body]
    c, s = np.cos(ang), np.sin(ang)
    x = run.position[:, body, 0] + c * local[0] - s * local[1]
    y = run.position[:, body, 1] + s * local[0] + c * local[1]
    return np.stack([x, y], axis=1)


def bar_pendulum(world_body: bool):
    """A horizontal bar pinned at its left end; to the world, or to a static box standing in for it."""
    b = SceneBuilder(gravity=(0.0, -G))
    anchor_body = b.add_box(size=(0.5, 0.5), position=(-3.0, 0.0), static=True) if world_body else None
    bar = b.add_box(size=(BAR_W, BAR_H), position=tuple(PIVOT + [BAR_W / 2, 0.0]))
    b.add_revolute_joint(anchor_body, bar, tuple(PIVOT))
    return b, bar


@pytest.fixture(scope="module")
def pendulum(cap, run):
    b, bar = bar_pendulum(False)
    scene, params = b.build(cap)
    return run(scene, params, 120), int(bar)


def test_pendulum_keeps_its_anchor(pendulum):
    r, bar = pendulum
    anchor = world_anchor(r, bar, (-BAR_W / 2, 0.0))
    err = np.linalg.norm(anchor - PIVOT, axis=1)
    assert err.max() < 1e-2, f"anchor drift up to {err.max():.4f} m"
    assert r.angle[:, bar].min() < -2.0  # it really swung (past the bottom at -pi/2)
    assert not r.non_finite.any()


def test_pendulum_speed_at_the_bottom_matches_energy(pendulum):
    r, bar = pendulum
    m = BAR_W * BAR_H
    d = BAR_W / 2
    i_pivot = m * (BAR_W**2 + BAR_H**2) / 12.0 + m * d * d
    omega_bottom = math.sqrt(2.0 * m * G * d / i_pivot)  # released horizontal at rest
    assert np.abs(r.angular_velocity[:, bar]).max() == pytest.approx(omega_bottom, rel=0.03)


def test_pendulum_gains_no_energy(pendulum):
    r, bar = pendulum
    m = BAR_W * BAR_H
    i_cm = m * (BAR_W**2 + BAR_H**2) / 12.0
    energy = 0.5 * m * np.sum(r.velocity[:, bar] ** 2, axis=1) + 0.5 * i_cm * r.angular_velocity[:, bar] ** 2
    energy += m * G * (r.position[:, bar, 1] - PIVOT[1])
    assert energy.max() <= energy[0] + 0.01 * m * G * BAR_W / 2


def test_world_joint_equals_joint_to_a_static_body(pendulum, cap, run):
    ref, bar_ref = pendulum
    b, bar = bar_pendulum(True)
    scene, params = b.build(cap)
    r = run(scene, params, 120)
    np.testing.assert_allclose(r.position[:, bar], ref.position[:, bar_ref], atol=1e-4)
    np.testing.assert_allclose(r.angle[:, bar], ref.angle[:, bar_ref], atol=1e-4)


def test_double_pendulum_keeps_both_anchors(cap, run):
    b = SceneBuilder(gravity=(0.0, -G))
    upper = b.add_box(size=(BAR_W, BAR_H), position=tuple(PIVOT + [BAR_W / 2, 0.0]))
    lower = b.add_box(size=(BAR_W, BAR_H), position=tuple(PIVOT + [BAR_W, -BAR_W / 2]), angle=math.pi / 2)
    b.add_revolute_joint(None, upper, tuple(PIVOT))
    b.add_revolute_joint(upper, lower, tuple(PIVOT + [BAR_W, 0.0]))
    scene, params = b.build(cap)
    r = run(scene, params, 120)
    assert np.linalg.norm(world_anchor(r, upper, (-0.5, 0.0)) - PIVOT, axis=1).max() < 1e-2
    elbow_upper = world_anchor(r, upper, (0.5, 0.0))
    elbow_lower = world_anchor(r, lower, (0.5, 0.0))  # lower's +x end, turned up by 90 degrees at build
    assert np.linalg.norm(elbow_upper - elbow_lower, axis=1).max() < 1e-2
    assert np.ptp(r.angle[:, lower] - r.angle[:, upper]) > 0.3  # the elbow really bends
    assert not r.non_finite.any()


# --- motor -------------------------------------------------------------------------------------------
RADIUS = 0.5
DISC_I = math.pi * RADIUS**2 * RADIUS**2 / 2.0  # density 1
SPEED, TORQUE = 3.0, 0.3


def motor_scene(cap):
    b = SceneBuilder(gravity=(0.0, 0.0))
    disc = b.add_circle(RADIUS, position=(1.0, 1.0))
    b.add_revolute_joint(None, disc, (1.0, 1.0), enable_motor=True, motor_speed=SPEED, max_motor_torque=TORQUE)
    scene, params = b.build(cap)
    return scene, params, int(disc)


def test_motor_spins_up_at_max_torque(cap, run):
    scene, params, disc = motor_scene(cap)
    r = run(scene, params, 90)
    t = np.arange(91) * params.dt
    alpha = TORQUE / DISC_I
    expected = np.minimum(alpha * t, SPEED)
    t_reach = SPEED * DISC_I / TORQUE  # ~0.98 s
    w = r.angular_velocity[:, disc]
    ramp = t < 0.9 * t_reach
    np.testing.assert_allclose(w[ramp], expected[ramp], rtol=0.02, atol=0.02)
    assert w[-1] == pytest.approx(SPEED, rel=0.01)  # 1.5 s: at the target speed, held there
    first = t[np.argmax(w >= 0.99 * SPEED)]
    assert first == pytest.approx(0.99 * t_reach, abs=0.05)
    assert np.abs(w).max() <= SPEED * 1.01  # no overshoot
    np.testing.assert_allclose(r.position[:, disc], np.broadcast_to([1.0, 1.0], r.position[:, disc].shape), atol=1e-4)


def test_motor_control_scales_and_reverses_target(cap, run, controls):
    scene, params, disc = motor_scene(cap)
    r = run(scene, params, 90, controls(scene, motor=[-0.5, 0.0]))
    assert r.angular_velocity[-1, disc] == pytest.approx(-0.5 * SPEED, rel=0.01)
    t = np.arange(91) * params.dt
    # half the target speed is reached in half the time, at the same torque
    assert r.angular_velocity[15, disc] == pytest.approx(-TORQUE / DISC_I * t[15], rel=0.03)


# --- limits --------------------------------------------------------------------------------------------
LOWER, UPPER = -0.5, 0.3


@pytest.fixture(scope="module")
def limited(cap, run):
    """Two bars pinned to the world, one falling onto its lower limit, one onto its upper limit."""
    b = SceneBuilder(gravity=(0.0, -G))
    right = b.add_box(size=(BAR_W, BAR_H), position=(BAR_W / 2, 2.0))  # pivot at its left end: falls clockwise
    left = b.add_box(size=(BAR_W, BAR_H), position=(3.0 - BAR_W / 2, 2.0))  # pivot at its right end: counter-clockwise
    b.add_revolute_joint(None, right, (0.0, 2.0), lower_angle=LOWER, upper_angle=UPPER)
    b.add_revolute_joint(None, left, (3.0, 2.0), lower_angle=LOWER, upper_angle=UPPER)
    scene, params = b.build(cap)
    return run(scene, params, 120), int(right), int(left)


def test_limits_hold_the_angle(limited):
    r, right, left = limited
    tol = 0.03
    for body in (right, left):
        assert r.angle[:, body].min() >= LOWER - tol
        assert r.angle[:, body].max() <= UPPER + tol
    # each bar reaches its limit and rests there
    assert r.angle[-1, right] == pytest.approx(LOWER, abs=tol)
    assert r.angle[-1, left] == pytest.approx(UPPER, abs=tol)


def test_limited_bars_keep_their_anchors(limited):
    r, right, left = limited
    assert np.linalg.norm(world_anchor(r, right, (-0.5, 0.0)) - [0.0, 2.0], axis=1).max() < 1e-2
    assert np.linalg.norm(world_anchor(r, left, (0.5, 0.0)) - [3.0, 2.0], axis=1).max() < 1e-2


# --- weld ------------------------------------------------------------------------------------------------
def test_weld_keeps_relative_angle_and_anchor(cap, run):
    b = SceneBuilder(gravity=(0.0, -G))
    bar = b.add_box(size=(BAR_W, BAR_H), position=tuple(PIVOT + [BAR_W / 2, 0.0]))
    ball = b.add_circle(0.2, position=tuple(PIVOT + [BAR_W + 0.2, 0.0]), angle=0.4)
    b.add_revolute_joint(None, bar, tuple(PIVOT))
    weld_point = PIVOT + [BAR_W, 0.0]
    b.add_fixed_joint(bar, ball, tuple(weld_point))
    scene, params = b.build(cap)
    r = run(scene, params, 120)
    rel = r.angle[:, ball] - r.angle[:, bar]
    assert np.abs(rel - 0.4).max() < 0.02, f"relative angle drift {np.abs(rel - 0.4).max():.4f} rad"
    on_bar = world_anchor(r, bar, (0.5, 0.0))
    on_ball = world_anchor(r, ball, (-0.2 * math.cos(0.4), 0.2 * math.sin(0.4)))  # weld point in the ball's frame
    assert np.linalg.norm(on_bar - on_ball, axis=1).max() < 1e-2
    assert r.angle[:, bar].min() < -1.5  # the welded pair really swung
    assert not r.non_finite.any()


def test_weld_to_world_holds_a_body(cap, run):
    b = SceneBuilder(gravity=(0.0, -G))
    box = b.add_box(size=(1.0, 0.2), position=(1.0, 2.0))
    b.add_fixed_joint(None, box, (0.5, 2.0))  # held at one end: gravity tries to turn it
    scene, params = b.build(cap)
    r = run(scene, params, 60)
    assert np.abs(r.angle[:, box]).max() < 0.02
    assert np.linalg.norm(r.position[:, box] - [1.0, 2.0], axis=1).max() < 1e-2


# --- collision filtering by joints --------------------------------------------------------------------------
def overlapping_pinned_pair(cap, collide_connected: bool):
    b = SceneBuilder(gravity=(0.0, 0.0))
    a = b.add_box(size=(1, 1), position=(0.0, 0.0))
    c = b.add_box(size=(1, 1), position=(0.8, 0.0))  # overlaps a by 0.2
    # pinned above both: overlapping, they can only part by scissoring about the pin
    b.add_revolute_joint(a, c, (0.4, 1.5), collide_connected=collide_connected)
    scene, params = b.build(cap)
    return scene, params, int(a), int(c)


def test_jointed_bodies_do_not_collide_by_default(cap, run):
    scene, params, a, c = overlapping_pinned_pair(cap, False)
    r = run(scene, params, 30)
    assert not r.touching[:, a, c].any()
    assert np.abs(r.velocity).max() < 1e-3 and np.abs(r.angular_velocity).max() < 1e-3


def test_jointed_bodies_collide_with_collide_connected(cap, run):
    scene, params, a, c = overlapping_pinned_pair(cap, True)
    r = run(scene, params, 30)
    assert r.touching[0, a, c] and r.touching[0, c, a]
    # the contact scissors the pair open about the pin: A turns clockwise, C counter-clockwise
    assert r.angle[-1, a] < -0.02 and r.angle[-1, c] > 0.02
    assert not r.touching[-1, a, c]  # and then they are apart
    # the pin yields a little while the contact pushes the 0.2 m overlap out (both are soft), then holds
    pin_error = np.linalg.norm(world_anchor(r, a, (0.4, 1.5)) - world_anchor(r, c, (-0.4, 1.5)), axis=1)
    assert pin_error.max() < 0.05
    assert pin_error[-1] < 1e-3


def chain(cap, filter_on: bool):
    """Box A - box B - circle C, jointed in a chain; C overlaps A (two links apart)."""
    b = SceneBuilder(gravity=(0.0, 0.0))
    a = b.add_box(size=(1, 1), position=(0.0, 0.0))
    mid = b.add_box(size=(1, 1), position=(3.0, 0.0))
    c = b.add_circle(0.3, position=(0.6, 0.0))  # overlaps A by 0.2
    b.add_revolute_joint(a, mid, (1.5, 0.0))
    b.add_revolute_joint(mid, c, (1.5, 1.0))
    if filter_on:
        b.set_joint_chain_filter()
    scene, params = b.build(cap)
    return scene, params, int(a), int(c)


def test_bodies_two_links_apart_collide_without_chain_filter(cap, run):
    scene, params, a, c = chain(cap, False)
    r = run(scene, params, 30)
    assert r.touching[0, a, c]
    assert np.abs(r.velocity).max() > 0.05


def test_joint_chain_filter_prevents_collision_two_links_apart(cap, run):
    scene, params, a, c = chain(cap, True)
    r = run(scene, params, 30)
    assert not r.touching[:, a, c].any()
    assert np.abs(r.velocity).max() < 1e-3 and np.abs(r.angular_velocity).max() < 1e-3


def test_joint_chains_label_a_long_chain_as_one():
    """Bodies 0-1-2-3-4 jointed in a chain, 5 alone: the chain filter excludes every pair inside the chain."""
    b = SceneBuilder(gravity=(0.0, 0.0))
    ids = [b.add_box(size=(0.5, 0.5), position=(2.0 * i, 0.0)) for i in range(6)]
    for i in (3, 0, 2, 1):  # out of order: labels must spread both ways along the chain
        b.add_revolute_joint(ids[i], ids[i + 1], (2.0 * i + 1.0, 0.0))
    b.set_joint_chain_filter()
    scene, _ = b.build(Capacity(n_polygons=6, n_circles=0, n_joints=4, n_thrusters=0, max_vertices=4))
    excluded = np.asarray(excluded_pairs(scene))
    chain = [int(i) for i in ids[:5]]
    expected = np.zeros_like(excluded)
    for i in chain:
        for j in chain:
            expected[i, j] = True
    assert (excluded == expected).all(), np.argwhere(excluded != expected)
