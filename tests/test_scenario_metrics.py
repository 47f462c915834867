"""Unit tests of the fidelity-scenario metric helpers on synthetic, hand-computed trajectories.

These need numpy only, never the engine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tumble.bench import scenarios as sc

DT = 1.0 / 60.0


def make_traj(position, angle=None, velocity=None, angular_velocity=None) -> sc.Trajectory:
    p = np.asarray(position, dtype=np.float64)
    t, n = p.shape[:2]
    return sc.Trajectory(
        position=p,
        angle=np.zeros((t, n)) if angle is None else np.asarray(angle, dtype=np.float64),
        velocity=np.zeros((t, n, 2)) if velocity is None else np.asarray(velocity, dtype=np.float64),
        angular_velocity=np.zeros((t, n)) if angular_velocity is None else np.asarray(angular_velocity, np.float64),
    )


# ---------------------------------------------------------------- masses, inertias, energy


def test_masses_and_inertias_from_definitions():
    assert sc.box_mass((1, 1)) == 1.0
    assert sc.box_inertia((1, 1)) == pytest.approx(1 / 6)
    assert sc.box_mass((1.0, 0.2)) == pytest.approx(0.2)
    assert sc.box_inertia((1.0, 0.2)) == pytest.approx(0.2 * (1.0 + 0.04) / 12)
    assert sc.circle_mass(0.25) == pytest.approx(0.19635, abs=1e-5)  # the pendulum bob
    assert sc.circle_inertia(0.5) == pytest.approx(0.0982, abs=1e-4)  # the motor wheel
    ground = sc.ground()
    assert ground.mass == 0.0 and ground.inertia == 0.0


def test_kinetic_energy():
    # box m=1, I=1/6 with v=(1,2), w=3: 0.5*5 + 0.5*(1/6)*9 = 3.25; circle r=0.5 at rest
    v = np.array([[[1.0, 2.0], [0.0, 0.0]]])
    w = np.array([[3.0, 0.0]])
    ke = sc.kinetic_energy(v, w, [1.0, sc.circle_mass(0.5)], [1 / 6, sc.circle_inertia(0.5)])
    assert ke.shape == (1,)
    assert ke[0] == pytest.approx(3.25)


# ---------------------------------------------------------------- separating-axis overlap


def test_obb_overlap_axis_aligned():
    assert sc.obb_overlap_depth((0, 0), 0, (1, 1), (0.9, 0), 0, (1, 1)) == pytest.approx(0.1)
    assert sc.obb_overlap_depth((0, 0), 0, (1, 1), (0.2, 0.97), 0, (1, 1)) == pytest.approx(0.03)
    # touching exactly and separated: zero
    assert sc.obb_overlap_depth((0, 0), 0, (1, 1), (0, 1.0), 0, (1, 1)) == 0.0
    assert sc.obb_overlap_depth((0, 0), 0, (1, 1), (1.1, 0), 0, (1, 1)) == 0.0
    # symmetric in the two boxes
    assert sc.obb_overlap_depth((0.9, 0), 0, (1, 1), (0, 0), 0, (1, 1)) == pytest.approx(0.1)


def test_obb_overlap_rotated_corner_into_face():
    # a 1x1 box turned 45 deg pokes its lowest corner 0.05 m into the top face of a box below
    cy = 0.5 + math.sqrt(0.5) - 0.05
    assert sc.obb_overlap_depth((0, 0), 0, (1, 1), (0, cy), math.pi / 4, (1, 1)) == pytest.approx(0.05)
    # the same with everything rotated by 0.3 rad about the origin: depth is invariant
    rot = 0.3
    c = sc.rotate(rot, np.array([0.0, cy]))
    assert sc.obb_overlap_depth((0, 0), rot, (1, 1), c, math.pi / 4 + rot, (1, 1)) == pytest.approx(0.05)


def test_obb_separated_on_a_rotated_axis_only():
    # both boxes at 45 deg, offset along their common diagonal axis by more than the box width:
    # their world-x and world-y projections overlap but the box axes separate them
    d = sc.rotate(math.pi / 4, np.array([1.05, 0.0]))
    assert sc.obb_overlap_depth((0, 0), math.pi / 4, (1, 1), d, math.pi / 4, (1, 1)) == 0.0
    d = sc.rotate(math.pi / 4, np.array([0.96, 0.0]))
    assert sc.obb_overlap_depth((0, 0), math.pi / 4, (1, 1), d, math.pi / 4, (1, 1)) == pytest.approx(0.04)


def test_box_vs_ground_box():
    g = sc.ground()
    assert sc.obb_overlap_depth(g.position, 0, g.size, (3.0, 0.49), 0, (1, 1)) == pytest.approx(0.01)
    assert sc.obb_overlap_depth(g.position, 0, g.size, (3.0, 0.5), 0, (1, 1)) == 0.0
    # tilted box: lowest corner at 0.5 - 0.5*(cos a + sin a) + cy
    a = 0.1
    cy = 0.5 * (math.cos(a) + math.sin(a)) - 0.02
    assert sc.obb_overlap_depth(g.position, 0, g.size, (3.0, cy), a, (1, 1)) == pytest.approx(0.02)


def test_pairwise_penetration_of_initial_pyramid_is_zero_and_counts_overlaps():
    spec = sc.build_pyramid(10)
    p = np.array([b.position for b in spec.bodies])
    sizes = np.array([b.size for b in spec.bodies])
    depth = sc.pairwise_box_penetration(p, np.zeros(len(p)), sizes, skip_static_pairs=~spec.dynamic)
    assert depth.shape == (len(p) * (len(p) - 1) // 2,)
    assert depth.max() == 0.0
    # sink the whole pyramid by 0.004 m: only the 10 ground contacts overlap, by 0.004 each
    p2 = p.copy()
    p2[1:, 1] -= 0.004
    depth = sc.pairwise_box_penetration(p2, np.zeros(len(p)), sizes, skip_static_pairs=~spec.dynamic)
    assert depth.max() == pytest.approx(0.004)
    assert depth.sum() == pytest.approx(10 * 0.004)


def test_stacking_metrics_on_synthetic_trajectory():
    spec = sc.build_stack(10)
    n = len(spec.bodies)
    p0 = np.array([b.position for b in spec.bodies])
    pos = np.repeat(p0[None], spec.n_steps + 1, 0)
    # box 3 drifts +0.02 in x, then stays at +0.01; box 0 sinks 0.006 into the ground
    pos[300, 4, 0] += 0.02
    pos[-1, 4, 0] += 0.01
    pos[-1, 1, 1] -= 0.006
    ang = np.zeros((spec.n_steps + 1, n))
    ang[-1, 10] = 2 * math.pi - 0.03  # the top box tilts by -0.03 rad (the full turn does not count)
    vel = np.zeros((spec.n_steps + 1, n, 2))
    vel[-60, 2] = (0.01, 0.0)  # within the last 2 s
    vel[-200, 3] = (1.0, 0.0)  # before the last 2 s: ignored by ke_per_box_max_last_2s
    traj = make_traj(pos, ang, vel)
    m = sc.stacking_metrics(spec, traj, n_contacts=10)
    assert m["max_horizontal_displacement"] == pytest.approx(0.01)
    assert m["max_horizontal_displacement_any_time"] == pytest.approx(0.02)
    assert m["max_sink"] == pytest.approx(0.006)
    assert m["max_rise"] == 0.0
    assert m["max_rotation"] == pytest.approx(0.03)
    # the tilted top box pokes a corner into the box below it by 0.5 (cos a + sin a) - 0.5
    tilt = 0.5 * (math.cos(0.03) + math.sin(0.03)) - 0.5
    assert m["max_penetration"] == pytest.approx(tilt)
    assert m["total_penetration"] == pytest.approx(0.006 + tilt)
    assert m["penetration_per_contact"] == pytest.approx(m["total_penetration"] / 10)
    assert m["ke_end"] == 0.0
    assert m["ke_per_box_max_last_2s"] == pytest.approx(0.5 * 0.01**2 / 10)


# ---------------------------------------------------------------- zero crossings and periods


def test_zero_crossings_interpolate():
    t = np.array([0.0, 1.0, 2.0, 3.0])
    x = np.array([1.0, -3.0, -1.0, 1.0])
    np.testing.assert_allclose(sc.zero_crossings(t, x), [0.25, 2.5])
    # an exact zero between opposite signs counts once; a touch without crossing does not count
    np.testing.assert_allclose(sc.zero_crossings([0, 1, 2], [1.0, 0.0, -1.0]), [1.0])
    assert sc.zero_crossings([0, 1, 2], [1.0, 0.0, 1.0]).size == 0


@pytest.mark.parametrize("period,phase", [(2.5, 0.0), (3.362, 0.7), (1.0, 1.3)])
def test_sine_period(period, phase):
    t = np.arange(601) * DT
    x = np.sin(2 * math.pi * t / period + phase)
    first, mean = sc.period_from_crossings(sc.zero_crossings(t, x))
    assert first == pytest.approx(period, abs=2e-4)
    assert mean == pytest.approx(period, abs=2e-4)


def test_period_from_too_few_crossings_is_nan():
    first, mean = sc.period_from_crossings([1.0, 2.0])
    assert math.isnan(first) and math.isnan(mean)


# ---------------------------------------------------------------- elliptic integral and pendulum


def test_agm_and_ellipk():
    assert sc.agm(1.0, 1.0) == 1.0
    assert sc.agm(24.0, 6.0) == pytest.approx(13.458171481725615)
    assert sc.ellipk(0.0) == pytest.approx(math.pi / 2)
    assert sc.ellipk(math.sin(math.pi / 4)) == pytest.approx(1.8540746773013719, rel=1e-14)
    assert sc.ellipk(0.5) == pytest.approx(1.685750354812596, rel=1e-14)
    with pytest.raises(ValueError):
        sc.ellipk(1.0)


def test_spec_pendulum_period():
    m, i_cm = sc.circle_mass(0.25), sc.circle_inertia(0.25)
    assert m == pytest.approx(0.196, abs=1e-3)
    assert sc.pendulum_period(m, i_cm, 2.0, 9.81, amplitude=math.pi / 2) == pytest.approx(3.362, abs=1e-3)
    assert sc.pendulum_period(m, i_cm, 2.0, 9.81) == pytest.approx(2.848, abs=1e-3)


def test_pendulum_metrics_on_ideal_swing():
    """An exact large-amplitude swing (integrated finely here) scores ~0 on every pendulum metric."""
    spec = sc.build_pendulum()
    bob = spec.bodies[0]
    m, i_cm, length = bob.mass, bob.inertia, 2.0
    i_p = i_cm + m * length**2
    # integrate theta'' = -(m g L / I_p) sin(theta) with RK4 at dt/100; theta from the downward vertical
    k = m * 9.81 * length / i_p
    f = lambda s: np.array([s[1], -k * math.sin(s[0])])  # noqa: E731
    s, h, th, om = np.array([math.pi / 2, 0.0]), DT / 100, [math.pi / 2], [0.0]
    for _ in range(spec.n_steps):
        for _ in range(100):
            k1 = f(s); k2 = f(s + h / 2 * k1); k3 = f(s + h / 2 * k2); k4 = f(s + h * k3)  # noqa: E702
            s = s + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        th.append(s[0]); om.append(s[1])  # noqa: E702
    th, om = np.array(th), np.array(om)
    pos = np.stack([length * np.sin(th), -length * np.cos(th)], -1)[:, None]
    vel = np.stack([length * om * np.cos(th), length * om * np.sin(th)], -1)[:, None]
    traj = make_traj(pos, th[:, None], vel, om[:, None])  # a pinned bob turns with the rod
    met = sc.pendulum_metrics(spec, traj)
    assert met["period_analytic"] == pytest.approx(3.362, abs=1e-3)
    assert abs(met["period_first_rel_err"]) < 1e-4, met
    assert abs(met["period"] / 3.3617 - 1) < 1e-3, met
    assert met["joint_err_max"] < 1e-12
    assert abs(met["energy_drift_end"]) < 1e-8


# ---------------------------------------------------------------- joints


def test_joint_errors_rigid_rotation_and_offset():
    # a link whose left end is pinned at (1, 0), rotating rigidly about that end, plus a joint
    # whose second body drifts away by a known amount
    joints = [sc.JointSpec(None, 0, (1.0, 0.0)), sc.JointSpec(0, 1, (2.0, 0.0))]
    th = np.linspace(0, 2.0, 11)
    centre = np.stack([1 + 0.5 * np.cos(th), 0.5 * np.sin(th)], -1)
    end = np.stack([1 + np.cos(th), np.sin(th)], -1)  # the link's right end (the second anchor)
    second = end + 0.5 * np.stack([np.cos(th), np.sin(th)], -1)  # body 1 centred 0.5 beyond it
    second[:, 1] += np.linspace(0, 0.03, 11)  # ... drifting up to 0.03 m away
    traj = make_traj(np.stack([centre, second], 1), np.stack([th, th], 1))
    err = sc.joint_errors(traj, joints)
    assert err.shape == (11, 2)
    np.testing.assert_allclose(err[:, 0], 0.0, atol=1e-12)
    np.testing.assert_allclose(err[:, 1], np.linspace(0, 0.03, 11), atol=1e-12)


def test_anchor_local_uses_initial_pose():
    loc = sc.anchor_local((1.0, 1.0), math.pi / 2, (1.0, 2.0))
    np.testing.assert_allclose(loc, [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(sc.anchor_world((0.0, 0.0), math.pi, loc), [-1.0, 0.0], atol=1e-12)


def test_chain_metrics_flags_broken_chain():
    spec = sc.build_chain()
    p0 = np.array([b.position for b in spec.bodies])
    pos = np.repeat(p0[None], 5, 0)
    ok = sc.chain_metrics(spec, make_traj(pos))
    assert ok["joint_err_max"] == 0.0 and ok["stays_connected"] is True
    pos[3, 6, 0] += 0.2  # link 6 jumps 0.2 m along x: both of its joints open by 0.2
    bad = sc.chain_metrics(spec, make_traj(pos))
    assert bad["joint_err_max"] == pytest.approx(0.2) and bad["stays_connected"] is False
    pos[3, 6, 0] = np.nan
    nan = sc.chain_metrics(spec, make_traj(pos))
    assert nan["stays_connected"] is False
    assert not sc.check(nan["joint_err_max"], "<=", 0.05)


# ---------------------------------------------------------------- momentum case


def test_analytic_momentum_case():
    spec = sc.build_momentum()
    a, b = spec.bodies
    an = sc.elastic_circle_collision(a.position, a.velocity, a.radius, a.mass, b.position, b.velocity, b.radius,
                                     b.mass)
    # (4 - 4t)^2 + 0.3^2 = 0.75^2
    assert an["t_contact"] == pytest.approx(1 - math.sqrt(0.75**2 - 0.09) / 4)
    assert an["t_contact"] == pytest.approx(0.828, abs=1e-3)
    n = np.array([math.sqrt(0.75**2 - 0.09), 0.3]) / 0.75
    np.testing.assert_allclose(an["normal"], n)
    m_a, m_b = a.mass, b.mass
    p0 = m_a * np.array(a.velocity) + m_b * np.array(b.velocity)
    np.testing.assert_allclose(m_a * an["v_a"] + m_b * an["v_b"], p0, atol=1e-12)
    ke = lambda va, vb: 0.5 * m_a * va @ va + 0.5 * m_b * vb @ vb  # noqa: E731
    assert ke(an["v_a"], an["v_b"]) == pytest.approx(ke(np.array(a.velocity), np.array(b.velocity)), rel=1e-12)
    # the tangential components are unchanged
    tang = np.array([-n[1], n[0]])
    assert an["v_a"] @ tang == pytest.approx(np.array(a.velocity) @ tang)
    assert an["v_b"] @ tang == pytest.approx(np.array(b.velocity) @ tang)
    np.testing.assert_allclose(an["v_a"], [1.656, -0.58657], atol=1e-4)
    np.testing.assert_allclose(an["v_b"], [4.376, 2.34628], atol=1e-4)


def test_head_on_equal_masses_swap_velocities():
    an = sc.elastic_circle_collision((0, 0), (1, 0), 0.5, 1.0, (3, 0), (-1, 0), 0.5, 1.0)
    assert an["t_contact"] == pytest.approx(1.0)
    np.testing.assert_allclose(an["v_a"], [-1, 0], atol=1e-12)
    np.testing.assert_allclose(an["v_b"], [1, 0], atol=1e-12)
    miss = sc.elastic_circle_collision((0, 0), (1, 0), 0.5, 1.0, (3, 2), (-1, 0), 0.5, 1.0)
    assert math.isinf(miss["t_contact"])


def test_momentum_metrics_on_ideal_and_late_contact():
    spec = sc.build_momentum()
    a, b = spec.bodies
    an = sc.elastic_circle_collision(a.position, a.velocity, a.radius, a.mass, b.position, b.velocity, b.radius,
                                     b.mass)
    t = spec.times()
    after = (t >= an["t_contact"])[:, None]
    vel = np.stack([np.where(after, an["v_a"], a.velocity), np.where(after, an["v_b"], b.velocity)], 1)
    pos = np.zeros_like(vel)
    ideal = sc.momentum_metrics(spec, make_traj(pos, velocity=vel))
    assert ideal["momentum_rel_err"] < 1e-12
    assert abs(ideal["ke_rel_change"]) < 1e-12
    assert ideal["post_velocity_err_rel"] < 1e-12
    # Box2D's case: the impulse uses the normal one step late (centres at t = 50/60): 1.8 % of 4 m/s
    d = np.array([4 - 4 * 50 / 60, 0.3])
    n = d / np.linalg.norm(d)
    j = -2 * (np.subtract(b.velocity, a.velocity) @ n) / (1 / a.mass + 1 / b.mass)
    vel[-1] = [np.array(a.velocity) - j * n / a.mass, np.array(b.velocity) + j * n / b.mass]
    late = sc.momentum_metrics(spec, make_traj(pos, velocity=vel))
    assert late["post_velocity_err_rel"] == pytest.approx(0.0181, abs=2e-4)
    assert late["momentum_rel_err"] < 1e-12


# ---------------------------------------------------------------- other scenario metrics


def test_free_fall_metrics_semi_implicit_euler():
    spec = sc.build_free_fall()
    v, y, ys, vs = 0.0, 10.0, [10.0], [0.0]
    for _ in range(spec.n_steps):  # velocity first, then position (Box2D's order)
        v -= 9.81 * DT
        y += v * DT
        ys.append(y)
        vs.append(v)
    pos = np.stack([np.zeros(61), ys], -1)[:, None]
    vel = np.stack([np.zeros(61), vs], -1)[:, None]
    m = sc.free_fall_metrics(spec, make_traj(pos, velocity=vel))
    assert m["pos_err"] == pytest.approx(-0.0817, abs=1e-4)  # Box2D's figure
    assert m["vel_err"] < 1e-12


def test_bounce_metrics_ballistic():
    spec = sc.build_bounce()
    t = spec.times()
    # ideal: drop from 5 m, bounce with e=0.5 at t_i, then a ballistic arc up to 1.25 m
    t_i = math.sqrt(2 * 5.0 / 9.81)
    v_up = 0.5 * 9.81 * t_i
    s = t - t_i
    low = np.where(t < t_i, 5.0 - 0.5 * 9.81 * t**2, v_up * s - 0.5 * 9.81 * s**2)
    low = np.maximum(low, -0.002)  # a little penetration at impact
    vy = np.where(t < t_i, -9.81 * t, v_up - 9.81 * s)
    pos = np.stack([np.zeros_like(t), low + 0.5], -1)
    vel = np.stack([np.zeros_like(t), vy], -1)
    traj = make_traj(np.stack([np.zeros_like(pos), pos], 1), velocity=np.stack([np.zeros_like(vel), vel], 1))
    m = sc.bounce_metrics(spec, traj)
    assert m["rebound_height"] == pytest.approx(1.25, abs=1e-3)  # sampled apex within g dt^2 / 8
    assert abs(m["rel_err"]) < 1e-3
    assert m["effective_restitution"] == pytest.approx(0.5, abs=1e-3)
    assert 0.0 <= m["penetration_at_impact"] <= 0.002 + 1e-12
    # no bounce at all: rebound 0 and rel_err -1
    vel[:, 1] = np.minimum(vel[:, 1], 0.0)
    flat = sc.bounce_metrics(spec, make_traj(np.stack([np.zeros_like(pos), pos], 1),
                                              velocity=np.stack([np.zeros_like(vel), vel], 1)))
    assert flat["rebound_height"] == 0.0 and flat["rel_err"] == -1.0


def test_rebound_window():
    assert sc.rebound_window([0.0, -1.0, -2.0, 1.0, 0.5, -0.1, -1.0, 2.0]) == (3, 5)
    assert sc.rebound_window([0.0, -1.0, -2.0]) == (-1, 2)
    assert sc.rebound_window([0.0, -1.0, 1.0, 0.5]) == (2, 3)


def test_incline_geometry_and_displacement():
    spec = sc.build_incline(0.3)
    slope, box = spec.bodies
    a = math.radians(30)
    np.testing.assert_allclose(box.position, sc.rotate(a, np.array([8.0, 1.0])))
    # the box's bottom face lies on the slope's top face: flush, no overlap, no gap
    assert sc.obb_overlap_depth(slope.position, slope.angle, slope.size, box.position, box.angle, box.size) \
        == pytest.approx(0.0, abs=1e-12)
    assert sc.incline_slide_analytic(0.3, 3.0) == pytest.approx(10.603, abs=1e-3)
    # a 2 m slide down the slope
    p = np.array([[slope.position, box.position]] * 2, dtype=np.float64)
    p[1, 1] -= 2.0 * np.array([math.cos(a), math.sin(a)])
    assert sc.incline_displacement(spec, make_traj(p)) == pytest.approx(2.0)


def test_motor_metrics_constant_torque():
    spec = sc.build_motor()
    i = spec.bodies[0].inertia
    t = spec.times()
    w = np.minimum(t * 1.0 / i, 5.0)  # max torque 1 N m until the target speed 5 rad/s
    traj = make_traj(np.zeros((len(t), 1, 2)), angular_velocity=w[:, None])
    m = sc.motor_metrics(spec, traj)
    assert m["t95_analytic"] == pytest.approx(0.466, abs=1e-3)
    assert m["t95"] == pytest.approx(28 * DT)  # first sample at or above 4.75 rad/s
    assert m["t95_ratio"] == pytest.approx(1.001, abs=1e-3)  # Box2D's figure
    assert m["w_end"] == 5.0 and m["w_end_rel_err"] == 0.0
    never = sc.motor_metrics(spec, make_traj(np.zeros((len(t), 1, 2)), angular_velocity=np.zeros((len(t), 1))))
    assert math.isinf(never["t95_ratio"]) and not sc.check(never["t95_ratio"], "<=", 1.2)


def test_high_speed_starts_cover_one_step():
    xs = sc.high_speed_starts()
    assert len(xs) == 8 and xs[0] == -3.0
    np.testing.assert_allclose(np.diff(xs), 50.0 / 60.0 / 8)
    wall, ball = sc.build_high_speed(xs[0]).bodies
    assert wall.position[0] - wall.size[0] / 2 == 0.0 and wall.position[0] + wall.size[0] / 2 == pytest.approx(0.2)
    assert wall.size[1] == 4.0 and ball.velocity == (50.0, 0.0)


# ---------------------------------------------------------------- scenario definitions and criteria


def test_scenario_definitions():
    assert sum(b.kind == "box" and not b.static for b in sc.build_pyramid(10).bodies) == 55
    assert sum(not b.static for b in sc.build_pyramid(20).bodies) == 210
    pyr = sc.build_pyramid(10)
    top = [b for b in pyr.bodies if b.name == "r9c0"][0]
    assert top.position == (0.0, 9.5)
    assert [b for b in pyr.bodies if b.name == "r0c0"][0].position == pytest.approx((-4.95, 0.5))
    chain = sc.build_chain()
    assert len(chain.bodies) == 10 and len(chain.joints) == 10
    assert chain.joints[0].body_a is None and chain.joints[5].anchor == (5.0, 0.0)
    assert chain.bodies[0].mass == pytest.approx(0.2)
    assert sc.build_momentum().gravity == (0.0, 0.0)
    for spec in (sc.build_free_fall(), sc.build_bounce(), sc.build_stack(), sc.build_pendulum(), sc.build_motor()):
        assert spec.dt == DT
    assert sc.build_free_fall().n_steps == 60 and sc.build_bounce().n_steps == 180
    assert sc.build_pendulum().n_steps == 600 and sc.build_momentum().n_steps == 120
    g = sc.ground()
    assert g.position[1] + g.size[1] / 2 == 0.0 and g.size[0] == 40.0


def test_criteria_cover_eleven_checks_and_nan_fails():
    assert list(sc.CRITERIA) == list(sc.SCENARIOS)
    assert len(sc.SCENARIOS) == 11
    assert sc.check(-0.0817, "abs<=", 0.09) and not sc.check(-0.091, "abs<=", 0.09)
    assert sc.check(0.02, "in", (-0.5, 0.02)) and not sc.check(0.021, "in", (-0.5, 0.02))
    assert not sc.check(float("nan"), "<=", 1.0) and not sc.check(None, "<=", 1.0)
    assert sc.check(True, "is", True) and not sc.check(False, "is", True)
    assert sc.check(0, "==", 0) and not sc.check(1, "==", 0)
    res = sc._result("motor", {"t95_ratio": 1.001, "w_end_rel_err": 0.02}, 0.0)
    assert res["passed"] is False and res["failed"] == ["w_end_rel_err"]
