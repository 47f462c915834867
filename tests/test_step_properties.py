"""Whole-step properties: determinism, vmap, conservation, no energy gain, robustness, StepInfo."""

from __future__ import annotations

import functools
import math

import jax
import numpy as np
import pytest

from tumble.physics import SceneBuilder, keep_where, rollout, stack_scenes
from tumble.physics.scene import FLOOR

G = 9.81
CHUNK = 30  # steps per compiled rollout call (conftest.CHUNK); runs are multiples of it


def stacked_scene(cap):
    """Ground, a box resting on it, a ball falling onto the box."""
    b = SceneBuilder(gravity=(0.0, -G))
    b.add_box(size=(4.0, 1.0), position=(0.0, -0.5), static=True)
    b.add_box(size=(1.0, 1.0), position=(0.1, 0.5), angle=0.05, friction=0.4)
    b.add_circle(0.3, position=(0.3, 2.5), restitution=0.3)
    return b.build(cap)


def pendulum_scene(cap):
    b = SceneBuilder(gravity=(0.0, -G))
    bar = b.add_box(size=(1.0, 0.1), position=(0.5, 2.0))
    ball = b.add_circle(0.2, position=(1.2, 2.0))
    b.add_revolute_joint(None, bar, (0.0, 2.0))
    b.add_fixed_joint(bar, ball, (1.0, 2.0))
    return b.build(cap)


def thruster_scene(cap):
    b = SceneBuilder(gravity=(0.0, -G))
    b.add_box(size=(4.0, 1.0), position=(0.0, -0.5), static=True)
    box = b.add_box(size=(0.5, 0.5), position=(0.0, 0.25))
    b.add_thruster(box, (0.1, 0.25), angle=math.pi / 2 + 0.2, max_force=8.0)
    return b.build(cap)


def state_leaves(scene):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(scene)]


# --- determinism and vmap ------------------------------------------------------------------------------
def test_two_runs_are_bit_identical(cap, run):
    scene, params = stacked_scene(cap)
    r1 = run(scene, params, 2 * CHUNK)
    r2 = run(scene, params, 2 * CHUNK)
    for name in ("position", "angle", "velocity", "angular_velocity", "touching"):
        np.testing.assert_array_equal(getattr(r1, name), getattr(r2, name), err_msg=name)
    for x, y in zip(state_leaves(r1.final), state_leaves(r2.final)):
        np.testing.assert_array_equal(x, y)
    assert np.abs(r1.velocity).max() > 1.0  # something happened


def test_vmap_over_stacked_scenes_equals_each_alone(cap, run, controls):
    built = [stacked_scene(cap), pendulum_scene(cap), thruster_scene(cap)]
    scenes = [s for s, _ in built]
    params = built[0][1].as_arrays()
    # one control set per scene: the thruster scene fires at 0.7
    ctrls = [controls(s) for s in scenes[:2]] + [controls(scenes[2], thruster=[0.7, 0.0])]
    batch = stack_scenes(scenes)
    batch_ctrl = jax.tree_util.tree_map(lambda *xs: jax.numpy.stack(xs), *ctrls)
    batched = jax.jit(jax.vmap(functools.partial(rollout, n_steps=CHUNK), in_axes=(0, 0, None)))
    _final, (pos, ang, vel, angvel, info) = batched(batch, batch_ctrl, params)
    for k, (scene, ctrl) in enumerate(zip(scenes, ctrls)):
        alone = run(scene, params, CHUNK, ctrl)
        np.testing.assert_allclose(np.asarray(pos[k]), alone.position[1:], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.asarray(ang[k]), alone.angle[1:], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.asarray(vel[k]), alone.velocity[1:], rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(np.asarray(angvel[k]), alone.angular_velocity[1:], rtol=1e-5, atol=1e-4)
        np.testing.assert_array_equal(np.asarray(info.touching[k]), alone.touching)
    # the scenes really differ, so a broadcast of one scene would not pass
    assert not np.allclose(np.asarray(pos[0]), np.asarray(pos[1]))


@pytest.mark.parametrize("make_scene", [stacked_scene, pendulum_scene], ids=["contacts", "joints"])
def test_keep_where_covers_every_field_a_step_writes(cap, run, make_scene):
    """``keep_where`` selects only what a step writes; if a step wrote any other field, picking
    ``after`` would lose that write (the env relies on it to undo a step with a physics error)."""
    scene, params = make_scene(cap)
    after = run(scene, params, CHUNK).final
    for picked, expected in ((keep_where(False, scene, after), after), (keep_where(True, scene, after), scene)):
        for x, y in zip(state_leaves(picked), state_leaves(expected)):
            np.testing.assert_array_equal(x, y)
    # the step did write the selected fields
    assert not np.array_equal(np.asarray(after.state.position), np.asarray(scene.state.position))
    written = after.cache.pair_normal_impulse if make_scene is stacked_scene else after.joints.linear_impulse
    assert np.abs(np.asarray(written)).max() > 0.0


def test_stack_scenes_rejects_mixed_capacities(cap):
    from tumble.physics import Capacity

    a, _ = stacked_scene(cap)
    b = SceneBuilder()
    b.add_circle(0.5)
    other, _ = b.build(Capacity(n_polygons=1, n_circles=1, n_joints=0, n_thrusters=0, max_vertices=4))
    with pytest.raises(ValueError, match="capacity"):
        stack_scenes([a, other])


# --- conservation ------------------------------------------------------------------------------------------------
def momenta(scene, r, bodies):
    """Linear [T, 2] and angular (about the origin) [T] momentum of ``bodies`` over a run, in float64."""
    mass = 1.0 / np.asarray(scene.props.inv_mass, np.float64)[bodies]
    inertia = 1.0 / np.asarray(scene.props.inv_inertia, np.float64)[bodies]
    pos = r.position[:, bodies].astype(np.float64)
    vel = r.velocity[:, bodies].astype(np.float64)
    linear = np.einsum("b,tbi->ti", mass, vel)
    angular = np.sum(
        mass * (pos[..., 0] * vel[..., 1] - pos[..., 1] * vel[..., 0])
        + inertia * r.angular_velocity[:, bodies].astype(np.float64),
        axis=1,
    )
    return linear, angular


def test_linear_momentum_conserved_in_zero_gravity_collisions(cap, run):
    """Oblique, spinning, with friction and restitution: contact impulses are equal and opposite."""
    b = SceneBuilder(gravity=(0.0, 0.0))
    box = b.add_box(
        size=(1.0, 1.0), position=(0.0, 0.0), velocity=(3.0, 0.5), angular_velocity=1.0, friction=0.5, restitution=0.5
    )
    other = b.add_box(size=(0.6, 0.8), position=(1.8, 0.3), density=2.0, friction=0.5)
    ball = b.add_circle(0.4, position=(3.0, -0.3), density=1.5, velocity=(-1.0, 0.0), restitution=0.2)
    scene, params = b.build(cap)
    r = run(scene, params, 2 * CHUNK)
    bodies = [int(box), int(other), int(ball)]
    p, _ = momenta(scene, r, bodies)
    np.testing.assert_allclose(p, np.broadcast_to(p[0], p.shape), atol=1e-4 * np.linalg.norm(p[0]))
    assert r.touching[:, bodies[0], bodies[1]].any() and r.touching[:, bodies[1], bodies[2]].any()
    assert np.linalg.norm(r.velocity[-1, bodies[1]]) > 0.5  # the hit body was set moving


def test_angular_momentum_conserved_in_off_centre_frictionless_impact(cap, run):
    """A box hits another off its centre line (it starts spinning), face on and frictionless.

    Impulses act at fixed anchors during a step, so the relative displacement of
    the bodies within the step times a tangential impulse changes the angular
    momentum slightly (as in Box2D); face on and frictionless that term is
    zero, so angular momentum about the origin must be kept to float precision.
    """
    b = SceneBuilder(gravity=(0.0, 0.0))
    box = b.add_box(size=(1.0, 1.0), position=(0.0, 0.5), velocity=(3.0, 0.0), friction=0.0, restitution=0.5)
    other = b.add_box(size=(0.6, 0.8), position=(1.5, 0.8), density=2.0, friction=0.0)
    scene, params = b.build(cap)
    r = run(scene, params, 2 * CHUNK)
    bodies = [int(box), int(other)]
    p, angular = momenta(scene, r, bodies)
    assert abs(angular[0]) == pytest.approx(1.5)  # m y v = 1 * 0.5 * 3
    np.testing.assert_allclose(angular, angular[0], atol=1e-4)
    np.testing.assert_allclose(p, np.broadcast_to(p[0], p.shape), atol=1e-4)
    assert abs(r.angular_velocity[-1, bodies[1]]) > 0.5  # the off-centre hit spins the struck box


def test_centred_face_on_impact_is_symmetric(cap, run):
    b = SceneBuilder(gravity=(0.0, 0.0))
    box = b.add_box(size=(1.0, 1.0), position=(0.0, 0.5), velocity=(3.0, 0.0), friction=0.0, restitution=0.5)
    other = b.add_box(size=(1.0, 1.0), position=(1.5, 0.5), friction=0.0)
    scene, params = b.build(cap)
    r = run(scene, params, 2 * CHUNK)
    assert r.touching[:, int(box), int(other)].any()
    # nothing breaks the up-down symmetry: no spin, no vertical motion
    assert np.abs(r.angular_velocity).max() < 0.02
    assert np.abs(r.velocity[:, :, 1]).max() < 1e-3
    # 1D impact of equal masses at e = 0.5: (1 - e) / 2 * v and (1 + e) / 2 * v
    np.testing.assert_allclose(r.velocity[-1, [int(box), int(other)], 0], [0.75, 2.25], rtol=0.02)


def test_elastic_ball_never_bounces_higher_than_dropped(cap, run):
    drop = 1.0  # height of the ball's bottom above the ground
    radius = 0.25
    b = SceneBuilder(gravity=(0.0, -G))
    b.add_box(size=(4.0, 1.0), position=(0.0, -0.5), static=True, friction=0.0, restitution=1.0)
    ball = b.add_circle(radius, position=(0.0, drop + radius), restitution=1.0, friction=0.0)
    scene, params = b.build(cap)
    r = run(scene, params, 6 * CHUNK)  # 3 s: three bounces (each flight about 0.9 s)
    y = r.position[:, ball, 1] - radius
    vy = r.velocity[:, ball, 1]
    assert y.max() <= drop + 0.01, f"bounced to {y.max():.4f} m from {drop} m"
    energy = 0.5 * vy**2 + 0.5 * r.velocity[:, ball, 0] ** 2 + G * y  # per unit mass (no spin: frictionless)
    assert energy.max() <= energy[0] * 1.01 + 1e-3
    bounces = np.flatnonzero((vy[1:] > 0) & (vy[:-1] <= 0))
    assert len(bounces) >= 3, "the ball should bounce at least three times"
    # and it really bounces back up.  Restitution uses the approach speed v at the start of the impact
    # step (as Box2D does), so a bounce may lose up to g v dt of energy per unit mass (~7% here).
    peaks = [drop] + [y[i:j].max() for i, j in zip(bounces, list(bounces[1:]) + [len(y)])][:-1]
    ratios = np.array(peaks[1:]) / np.array(peaks[:-1])
    assert ratios.min() > 0.85, peaks


# --- robustness -------------------------------------------------------------------------------------------------
def extreme_scene(cap):
    """Light bodies with 1e9 N thrusters and 1e9 N m motors targeting 1e6 rad/s, on the ground."""
    b = SceneBuilder(gravity=(0.0, -G))
    b.add_box(size=(4.0, 1.0), position=(0.0, -0.5), static=True)
    box = b.add_box(size=(0.5, 0.5), position=(0.0, 0.25), density=0.1)
    disc = b.add_circle(0.2, position=(0.6, 0.25), density=0.1)
    b.add_thruster(box, (0.2, 0.2), angle=0.3, max_force=1e9)
    b.add_thruster(disc, (0.6, 0.25), angle=-1.0, max_force=1e9)
    b.add_revolute_joint(box, disc, (0.4, 0.25), enable_motor=True, motor_speed=1e6, max_motor_torque=1e9)
    b.add_revolute_joint(None, box, (0.0, 0.25), enable_motor=True, motor_speed=-1e6, max_motor_torque=1e9)
    return b.build(cap)


@pytest.fixture(scope="module")
def extreme(cap, run, controls):
    scene, params = extreme_scene(cap)
    return run(scene, params, 2 * CHUNK, controls(scene, motor=[1.0, 1.0], thruster=[1.0, 1.0])), params


def test_extreme_controls_stay_finite(extreme):
    r, _ = extreme
    assert not r.non_finite.any()
    for name in ("position", "angle", "velocity", "angular_velocity"):
        assert np.all(np.isfinite(getattr(r, name))), name
    assert np.abs(r.velocity).max() > 10.0  # the actuators really act


def test_speed_caps_and_world_pin_hold_under_extreme_controls(extreme):
    r, params = extreme
    assert np.linalg.norm(r.velocity, axis=-1).max() <= float(params.max_linear_speed) * 1.001
    max_turn = float(params.max_rotation_per_substep) * params.substeps / float(params.dt)
    assert np.abs(r.angular_velocity).max() <= max_turn * 1.001


@pytest.mark.xfail(
    reason="known limit: joints are soft constraints (60 Hz springs); against 1e9 N thrusters, whose velocity "
    "change per substep hits the 400 m/s cap, a world pin yields by metres before the relax pass catches up",
    strict=False,
)
def test_world_pin_holds_under_extreme_controls(extreme):
    r, _ = extreme
    assert np.linalg.norm(r.position[:, 1] - [0.0, 0.25], axis=1).max() < 0.5  # centre stays by its pin


# --- StepInfo --------------------------------------------------------------------------------------------------
def test_out_of_world_when_falling_past_the_world_limit(cap, run):
    limit = 5.0
    b = SceneBuilder(gravity=(0.0, -G))
    ball = b.add_circle(0.3, position=(0.0, 0.0))
    scene, params = b.build(cap)
    params = params.replace(world_limit=limit)
    r = run(scene, params, 3 * CHUNK)
    out = r.out_of_world[:, ball]
    # the engine's flag agrees with the trajectory after every step, and only the ball is ever flagged
    np.testing.assert_array_equal(out, np.abs(r.position[1:, ball]).max(axis=1) > limit)
    assert not np.delete(r.out_of_world, int(ball), axis=1).any()
    # analytic: -g t^2 / 2 passes -5 m at t = 1.01 s, step 61
    first = int(np.argmax(out)) + 1
    assert out.any() and abs(first - math.sqrt(2 * limit / G) / params.dt) <= 2
    assert not r.non_finite.any()


def test_out_of_world_when_falling_through_the_floor(cap, run):
    b = SceneBuilder(gravity=(0.0, -G))
    b.set_boundary(floor=0.4, left=0.0, right=5.0, ceiling=5.0)
    ghost = b.add_box(size=(0.5, 0.5), position=(1.0, 1.0), mask=2)  # does not collide with the boundary
    ball = b.add_circle(0.3, position=(3.0, 1.0))
    scene, params = b.build(cap)
    r = run(scene, params, 2 * CHUNK)
    slack = math.sqrt(0.5) * 0.5  # the box's bounding radius
    np.testing.assert_array_equal(r.out_of_world[:, ghost], r.position[1:, ghost, 1] < 0.4 - slack)
    assert r.out_of_world[-1, ghost]
    assert not r.out_of_world[:, ball].any()
    assert r.position[-1, ball, 1] == pytest.approx(0.4 + 0.3, abs=0.02)  # resting on the floor
    assert r.wall_touching[-1, ball, FLOOR] and not r.wall_touching[0, ball, FLOOR]


def test_touching_reports_resting_and_separated_boxes(cap, run):
    def boxes(gap):
        b = SceneBuilder(gravity=(0.0, -G))
        ground = b.add_box(size=(4.0, 1.0), position=(0.0, -0.5), static=True)
        box = b.add_box(size=(1.0, 1.0), position=(0.3, 0.5 + gap))
        scene, params = b.build(cap)
        return run(scene, params, CHUNK), int(ground), int(box)

    resting, g, box = boxes(0.0)
    assert resting.touching[:, g, box].all() and resting.touching[:, box, g].all()
    assert not np.any(np.diagonal(resting.touching, axis1=1, axis2=2))
    assert resting.position[-1, box, 1] == pytest.approx(0.5, abs=0.01)

    falling, g, box = boxes(0.5)  # lands after sqrt(2 * 0.5 / g) = 0.32 s, step 19
    assert not falling.touching[:10].any()
    assert falling.touching[-1, g, box] and falling.touching[-1, box, g]
    # the only reported pair is ground-box
    others = falling.touching.copy()
    others[:, g, box] = others[:, box, g] = False
    assert not others.any()


def test_controls_of_the_wrong_shape_fail_with_a_clear_message(cap):
    import jax.numpy as jnp

    from tumble.physics import Controls, step

    b = SceneBuilder()
    b.add_box(size=(1.0, 1.0), position=(0.0, 0.5))
    scene, params = b.build(cap)
    good = Controls(jnp.zeros((cap.n_joints,)), jnp.zeros((cap.n_thrusters,)))
    with pytest.raises(ValueError, match=r"Controls.motor must have shape \(2,\)"):
        step(scene, good.replace(motor=jnp.zeros((3,))), params)
    with pytest.raises(ValueError, match=r"Controls.thruster must have shape"):
        step(scene, good.replace(thruster=jnp.zeros((1, 2))), params)
    with pytest.raises(TypeError, match="Controls.motor must be an array"):
        step(scene, good.replace(motor=[0.0, 0.0]), params)
