"""The batch-last solver path (``solver.py``'s custom batching rule) against one scene at a time.

Under ``vmap`` the velocity solver runs on arrays with the batch axis last, a
different program from the unbatched one; these tests pin it to the unbatched
results for scenes that use every constraint kind (world boundary walls,
pair contacts, revolute joints with motors and limits, fixed joints,
thrusters), with per-scene parameters, with unbatched arguments, and under
nested ``vmap``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tumble.physics import Controls, SceneBuilder, stack_scenes, step

STEPS = 40


def car_scene(cap, shift: float):
    """A motorised two-wheel car on the boundary floor, a box against the right wall, a welded hub."""
    b = SceneBuilder()
    b.set_boundary(floor=0.4, left=0.0, right=5.0, ceiling=5.0)
    chassis = b.add_box(size=(1.0, 0.25), position=(1.5 + shift, 0.9), friction=0.8)
    wheel = b.add_circle(0.2, position=(1.1 + shift, 0.62), friction=1.0)
    b.add_revolute_joint(chassis, wheel, (1.1 + shift, 0.62), enable_motor=True, motor_speed=-3.0,
                         max_motor_torque=2.0, lower_angle=-20.0, upper_angle=20.0)
    crate = b.add_box(size=(0.5, 0.5), position=(4.7, 0.7 + shift))
    b.add_fixed_joint(chassis, crate, (3.0, 0.9)) if shift > 0.25 else None
    b.add_thruster(chassis, (1.5 + shift, 0.9), angle=math.pi / 2, max_force=6.0)
    return b.build(cap)


def _loop(step_fn, scene, controls, params):
    def body(s, _):
        s, info = step_fn(s, controls, params)
        return s, (s.state.position, s.state.velocity, s.state.angular_velocity, info.touching, info.wall_touching)

    return jax.lax.scan(body, scene, None, length=STEPS)[1]


@pytest.fixture(scope="module")
def scenes(cap):
    built = [car_scene(cap, shift) for shift in (0.0, 0.3, 0.6)]
    return [s for s, _ in built], built[0][1].as_arrays()


def _controls(cap, motor: float, thrust: float):
    return Controls(jnp.full((cap.n_joints,), motor, jnp.float32), jnp.full((cap.n_thrusters,), thrust, jnp.float32))


def _assert_close(batched, alone):
    # The two programs round differently: inside loops compiled whole (tumble.whole_loops) LLVM may fuse a
    # multiply and an add across what were two kernels, and the wheel's touchdowns amplify that (w 1.0075
    # against 1.0026 at step 8).  With XLA limited to AVX, which has no fused multiply-add, they agree to
    # 1e-4 (positions) and 2e-3 (velocities).  A wrong impulse or a mixed-up scene is off by far more.
    pos, vel, w, touching, walls = batched
    a_pos, a_vel, a_w, a_touching, a_walls = alone
    np.testing.assert_allclose(np.asarray(pos), np.asarray(a_pos), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(np.asarray(vel), np.asarray(a_vel), rtol=1e-3, atol=1e-2)
    np.testing.assert_allclose(np.asarray(w), np.asarray(a_w), rtol=1e-3, atol=1e-2)
    np.testing.assert_array_equal(np.asarray(touching), np.asarray(a_touching))
    np.testing.assert_array_equal(np.asarray(walls), np.asarray(a_walls))


def test_batched_scenes_with_per_scene_params_equal_each_alone(cap, scenes):
    scenes, params = scenes
    gravities = jnp.array([[0.0, -9.81], [0.0, -4.0], [1.0, -12.0]], jnp.float32)
    ctrls = [_controls(cap, 1.0, 0.0), _controls(cap, -0.5, 0.8), _controls(cap, 0.3, 0.3)]
    batch_params = jax.tree_util.tree_map(lambda x: jnp.broadcast_to(x, (3,) + jnp.shape(x)), params)
    batch_params = batch_params.replace(gravity=gravities)
    batch_ctrl = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *ctrls)
    batched = jax.jit(jax.vmap(lambda s, c, p: _loop(step, s, c, p)))(stack_scenes(scenes), batch_ctrl, batch_params)
    single = jax.jit(lambda s, c, p: _loop(step, s, c, p))
    for k in range(3):
        alone = single(scenes[k], ctrls[k], params.replace(gravity=gravities[k]))
        _assert_close([x[k] for x in batched], alone)
    # the batch really differs, and the car really drives and touches the floor
    pos = np.asarray(batched[0])
    assert not np.allclose(pos[0], pos[1])
    assert np.asarray(batched[4])[0, -1].any()


def test_nested_vmap_equals_flat_vmap(cap, scenes):
    scenes, params = scenes
    six = scenes + scenes[::-1]
    ctrl = _controls(cap, 1.0, 0.5)
    flat = jax.jit(jax.vmap(lambda s: _loop(step, s, ctrl, params)))(stack_scenes(six))
    nested_scenes = jax.tree_util.tree_map(lambda x: x.reshape((2, 3) + x.shape[1:]), stack_scenes(six))
    nested = jax.jit(jax.vmap(jax.vmap(lambda s: _loop(step, s, ctrl, params))))(nested_scenes)
    for f, n in zip(flat, nested):
        np.testing.assert_allclose(np.asarray(n).reshape(np.asarray(f).shape), np.asarray(f), rtol=1e-4, atol=2e-3)


def test_batch_of_one_runs_the_one_scene_solver(cap, scenes):
    """``vmap`` over one scene takes the unbatched solver (fewest kernels): its results are the same bits."""
    scenes, params = scenes
    ctrl = _controls(cap, 1.0, 0.5)
    one = jax.jit(jax.vmap(lambda s: _loop(step, s, ctrl, params)))(stack_scenes(scenes[1:2]))
    alone = jax.jit(lambda s: _loop(step, s, ctrl, params))(scenes[1])
    for b, a in zip(one, alone):
        np.testing.assert_array_equal(np.asarray(b)[0], np.asarray(a))
    assert np.asarray(alone[4])[-1].any()  # the car is on the floor: walls were solved
