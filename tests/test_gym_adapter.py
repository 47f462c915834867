"""The Gymnasium adapter passes Gymnasium's own checker; the vector env honours the vector API."""

from __future__ import annotations

import math

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

from tumble.env.gym_adapter import TumbleGymEnv, TumbleVectorEnv  # noqa: E402
from tumble.levels import Boundary, Circle, Level, Thruster, Wall  # noqa: E402


def drop(role="blue") -> Level:
    return Level(name="drop", size="s", boundary=Boundary(floor=Wall(0.4, role)), episode_length=30,
                 shapes=(Circle(0.2, position=(2.5, 2.0), role="green"),),
                 thrusters=(Thruster(0, (2.5, 2.0), math.pi / 2, 10.0, 0),))


@pytest.mark.parametrize("observation,action", [("flat", "multi_discrete"), ("entity", "discrete"),
                                                ("blind", "continuous")])
def test_single_env_passes_the_gymnasium_checker(observation, action):
    env = TumbleGymEnv(levels=[drop("blue"), drop("red")], size="s", observation=observation, action=action)
    check_env(env, skip_render_check=True)


def test_single_env_episode():
    env = TumbleGymEnv(levels=drop("blue"), size="s")
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    for t in range(30):
        obs, reward, terminated, truncated, info = env.step(np.zeros(6, np.int64))
        if terminated or truncated:
            break
    assert terminated and not truncated and reward == 1.0 and info["solved"]
    with pytest.raises(ValueError, match="not in the action space"):
        env.step(np.array([5, 0, 0, 0, 0, 0]))


def test_vector_env_batches_and_resets_in_the_same_step():
    vec = TumbleVectorEnv(4, levels=[drop("blue")], size="s", seed=1)
    assert vec.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
    obs, _ = vec.reset(seed=0)
    assert obs.shape == vec.observation_space.shape == (4,) + vec.single_observation_space.shape
    assert vec.observation_space.contains(obs)
    first = obs.copy()
    hover = np.zeros((4, 6), np.int64)
    hover[:2, 4] = 1  # envs 0 and 1 hover on the thruster, 2 and 3 fall onto the blue floor
    for _ in range(30):
        obs, reward, terminated, truncated, info = vec.step(hover)
        if terminated.any():
            break
    assert terminated.tolist() == [False, False, True, True] and reward[2:].tolist() == [1.0, 1.0]
    np.testing.assert_allclose(obs[2:], first[2:], atol=1e-6)  # already the next episode's first observation
    assert vec.action_space.shape == (4, 6)
    with pytest.raises(ValueError, match="actions must have shape"):
        vec.step(np.zeros((3, 6), np.int64))


def test_bundled_levels_are_registered():
    from tumble.env.gym_adapter import register_bundled
    from tumble.levels.library import bundled_names

    ids = register_bundled()
    assert len(ids) == len(bundled_names())
    if ids:
        env = gym.make(ids[0])
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
