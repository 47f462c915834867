"""Compiled levels: slots, roles, control bindings, and the solved/failed outcome of a replay."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from tumble.levels import (
    AUTO_CHANNEL, NO_CHANNEL, Boundary, Circle, CustomSize, Joint, Level, Motor, Polygon, Thruster, Wall,
    body_indices, channel_controls, compile_level, outcome_of, replay, role_contacts, stack_levels, unstack_level,
)
from tumble.levels.outcome import env_physics_step
from tumble.physics import SceneError, StepInfo

STEPS = 64  # every replay in this file has this length: one compilation
BOX = ((-0.2, -0.2), (0.2, -0.2), (0.2, 0.2), (-0.2, 0.2))


def drop(floor_role="blue", height=2.0, radius=0.2, **level) -> Level:
    """A green ball over the floor (size s)."""
    return Level(name="drop", size="s", boundary=Boundary(floor=Wall(0.4, floor_role)),
                 shapes=(Circle(radius, position=(2.5, height), role="green"),), **level)


def first(flags) -> int | None:
    hits = np.flatnonzero(np.asarray(flags))
    return int(hits[0]) if hits.size else None


def test_slots_roles_and_channels_follow_the_document():
    level = Level(
        name="slots", size=CustomSize(polygons=3, circles=2, joints=3, thrusters=2),
        shapes=(Circle(0.1, position=(1, 1), role="blue"), Polygon(BOX, position=(2, 2), role="red"),
                Circle(0.1, position=(3, 1), role="green"), Polygon(BOX, position=(3, 3))),
        joints=(Joint(b=1, a=0, anchor=(1.5, 1.5), motor=Motor(1.0, 1.0, channel=2)),
                Joint(b=3, anchor=(3, 3), motor=Motor(1.0, 1.0, channel="auto")),
                Joint(b=2, a=3, anchor=(3, 2), kind="fixed")),
        thrusters=(Thruster(2, (3, 1), 0.0, 1.0, channel=1),),
    )
    assert body_indices(level, compile_level(level).scene.capacity) == [3, 0, 4, 1]
    c = compile_level(level)
    np.testing.assert_array_equal(c.roles, [3, 0, 0, 2, 1])  # polygons 0, 1, slot 2 empty, then circles
    np.testing.assert_array_equal(c.scene.props.active, [True, True, False, True, True])
    np.testing.assert_array_equal(c.motor_channel, [2, AUTO_CHANNEL, NO_CHANNEL])
    np.testing.assert_array_equal(c.thruster_channel, [1, NO_CHANNEL])
    np.testing.assert_array_equal(c.scene.joints.body_a, [3, -1, 1])
    np.testing.assert_array_equal(c.wall_roles, [0, 0, 0, 0])
    assert int(c.episode_length) == 256


def test_channel_controls_route_each_channel():
    level = Level(name="c", size=CustomSize(polygons=1, circles=3, joints=3, thrusters=2),
                  shapes=(Polygon(BOX, position=(1, 1)), Circle(0.1, position=(2, 1)), Circle(0.1, position=(3, 1))),
                  joints=(Joint(b=1, a=0, anchor=(2, 1), motor=Motor(1.0, 1.0, channel=3)),
                          Joint(b=2, a=0, anchor=(3, 1), motor=Motor(1.0, 1.0, channel="auto"))),
                  thrusters=(Thruster(0, (1, 1), 0.0, 1.0, channel=1),))
    c = compile_level(level)
    controls = channel_controls(c, jnp.array([0.1, 0.2, 0.3, -0.4, 0.6, 0.7]))
    np.testing.assert_allclose(controls.motor, [-0.4, 1.0, 0.0])  # channel 3, auto, no joint
    np.testing.assert_allclose(controls.thruster, [0.7, 0.0])  # channel 1, empty slot


def test_role_contacts_read_shapes_and_walls():
    c = compile_level(Level(name="r", size=CustomSize(polygons=0, circles=3, joints=0, thrusters=0),
                            boundary=Boundary(floor=Wall(0.4, "red"), ceiling=Wall(5.0, "blue")),
                            shapes=(Circle(0.1, role="green"), Circle(0.1, role="blue"), Circle(0.1, role="red"))))
    none = np.zeros((3, 3), bool)
    walls = np.zeros((3, 4), bool)

    def contacts(touching, wall_touching):
        info = StepInfo(touching=jnp.asarray(touching), wall_touching=jnp.asarray(wall_touching),
                        out_of_world=jnp.zeros(3, bool), non_finite=jnp.asarray(False))
        return tuple(bool(x) for x in role_contacts(c, info))

    gb = none.copy(); gb[0, 1] = gb[1, 0] = True  # noqa: E702
    br = none.copy(); br[1, 2] = br[2, 1] = True  # noqa: E702
    green_floor = walls.copy(); green_floor[0, 0] = True  # noqa: E702
    green_ceiling = walls.copy(); green_ceiling[0, 3] = True  # noqa: E702
    blue_floor = walls.copy(); blue_floor[1, 0] = True  # noqa: E702
    assert contacts(none, walls) == (False, False)
    assert contacts(gb, walls) == (True, False)
    assert contacts(br, walls) == (False, False)  # blue touching red means nothing
    assert contacts(none, green_floor) == (False, True)
    assert contacts(none, green_ceiling) == (True, False)
    assert contacts(none, blue_floor) == (False, False)
    assert contacts(gb, green_floor) == (True, True)


def test_a_dropped_ball_solves_when_it_lands():
    level = drop("blue", height=2.0, radius=0.2)
    out = replay(compile_level(level), jnp.zeros((STEPS, 6)))
    # semi-implicit Euler: after n physics steps the ball has fallen g dt^2 n (n + 1) / 2
    gap = 2.0 - 0.2 - 0.4
    n = math.ceil((-1 + math.sqrt(1 + 8 * gap / (9.81 / 3600))) / 2)
    expected_env_step = (n - 1) // 2
    assert abs(first(out.solved) - expected_env_step) <= 1
    assert not np.any(out.failed) and not np.any(out.physics_error)
    assert np.all(out.solved[first(out.solved):])  # the flag stays set


def test_a_red_floor_fails_and_a_neutral_floor_does_nothing():
    red = replay(compile_level(drop("red")), jnp.zeros((STEPS, 6)))
    assert first(red.failed) is not None and not np.any(red.solved)
    neutral = replay(compile_level(drop("neutral")), jnp.zeros((STEPS, 6)))
    assert not np.any(neutral.solved) and not np.any(neutral.failed)


def test_red_wins_a_tie():
    # a wide green plank lands on a red and a blue post of the same height at the same step
    post = ((-0.1, -0.25), (0.1, -0.25), (0.1, 0.25), (-0.1, 0.25))
    level = Level(name="tie", size=CustomSize(polygons=3, circles=0, joints=0, thrusters=0),
                  shapes=(Polygon(((-1, -0.05), (1, -0.05), (1, 0.05), (-1, 0.05)), position=(2.5, 1.5), role="green"),
                          Polygon(post, position=(1.8, 0.65), static=True, role="red"),
                          Polygon(post, position=(3.2, 0.65), static=True, role="blue")))
    out = replay(compile_level(level), jnp.zeros((STEPS, 6)))
    assert first(out.failed) is not None and not np.any(out.solved)


def test_thruster_channel_holds_the_ball_up():
    level = drop("blue", thrusters=(Thruster(0, (2.5, 2.0), math.pi / 2, max_force=10.0, channel=1),))
    c = compile_level(level)
    wrong = np.zeros((STEPS, 6)); wrong[:, 4] = 1.0  # noqa: E702  channel 0 drives nothing
    right = np.zeros((STEPS, 6)); right[:, 5] = 1.0  # noqa: E702
    assert outcome_of(c, wrong) == 1
    assert outcome_of(c, right) == 0  # 10 N lifts a 0.126 kg ball away from the floor


def test_auto_motor_turns_without_any_action():
    level = Level(name="auto", size="s", shapes=(Polygon(BOX, position=(2.5, 2.5), static=True),
                                                 Circle(0.2, position=(2.5, 2.5), role="green")),
                  joints=(Joint(b=1, a=0, anchor=(2.5, 2.5), motor=Motor(speed=3.0, max_torque=5.0, channel="auto")),))
    c = compile_level(level)
    for _ in range(10):
        c, _ = env_physics_step(c, jnp.zeros(6), 2)
    assert float(c.scene.state.angular_velocity[1]) == pytest.approx(3.0, abs=0.05)


def test_stack_levels_batches_and_refuses_mixed_capacities():
    a, b = drop("blue"), drop("red", height=3.0)
    batch = stack_levels([a, b])
    assert batch.roles.shape == (2, 3) and batch.scene.state.position.shape == (2, 3, 2)
    np.testing.assert_array_equal(batch.wall_roles[:, 0], [2, 3])
    np.testing.assert_allclose(unstack_level(batch, 1).scene.state.position[1], [2.5, 3.0])
    with pytest.raises(SceneError, match="different capacities"):
        stack_levels([a, a.replace(size="m")])


def test_a_level_over_its_capacity_does_not_compile():
    crowded = drop().replace(size=CustomSize(polygons=0, circles=0, joints=0, thrusters=0),
                             shapes=(Circle(0.1),))
    with pytest.raises((SceneError, ValueError)):
        compile_level(crowded)


@pytest.mark.parametrize("idle", ["brake", "free"])
def test_a_motor_at_zero_brakes_or_turns_freely(idle):
    level = Level(name="idle", size="s", shapes=(Polygon(BOX, position=(2.5, 2.5), static=True),
                                                 Circle(0.2, position=(2.5, 2.5), angular_velocity=4.0)),
                  joints=(Joint(b=1, a=0, anchor=(2.5, 2.5), motor=Motor(3.0, 5.0, channel=0, idle=idle)),))
    c = compile_level(level)
    controls = channel_controls(c, jnp.zeros(6))
    assert bool(controls.motor_active[0]) == (idle == "brake")
    for _ in range(5):
        c, _ = env_physics_step(c, jnp.zeros(6), 2)
    spin = float(c.scene.state.angular_velocity[1])
    # a 0.2 m disc of density 1 has inertia 2.5e-3 kg m^2: 5 N m stops 4 rad/s within one step
    assert spin == pytest.approx(0.0, abs=1e-3) if idle == "brake" else spin == pytest.approx(4.0, abs=1e-4)
    driven = channel_controls(c, jnp.array([0.5, 0, 0, 0, 0, 0]))
    assert bool(driven.motor_active[0]) and float(driven.motor[0]) == 0.5
