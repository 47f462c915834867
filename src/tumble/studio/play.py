"""Play mode: one level stepped by Tumble's environment, as frames the page draws.

The environment's ``transition`` is jitted once per (capacity, frame skip) and
kept in a process-wide cache, so the first play of a capacity compiles (seconds)
and every later one, of any level of that capacity, starts at once.  Actions
are the 6 channel values (4 motors in [-1, 1], 2 thrusters in [0, 1]); a trained
agent's actions are converted to the same channel values.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from tumble.env.actions import channel_values
from tumble.env.environment import Env, EnvParams
from tumble.levels import ACTION_SIZE, Level, body_indices, compile_level, level_capacity
from tumble.levels.model import N_MOTOR_CHANNELS

_LOCK = threading.Lock()
_STEP_CACHE: dict = {}
_AGENT_CACHE: dict = {}


def _step_fn(capacity, frame_skip: int):
    """The jitted ``(state, action) -> (state, reward, done, info)`` of a capacity and frame skip (cached)."""
    key = (capacity, frame_skip)
    with _LOCK:
        if key not in _STEP_CACHE:
            env = Env(capacity, "continuous", "blind", frame_skip)
            params = EnvParams(pool=None, dense_reward_scale=0.0)
            _STEP_CACHE[key] = (env, jax.jit(lambda state, action: env.transition(state, action, params)))
        return _STEP_CACHE[key]


def clip_action(action) -> np.ndarray:
    """Channel values from a list of 6 numbers: motors clipped to [-1, 1], thrusters to [0, 1]; bad values read 0."""
    a = np.nan_to_num(np.asarray(action, np.float64), nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
    a[:N_MOTOR_CHANNELS] = np.clip(a[:N_MOTOR_CHANNELS], -1.0, 1.0)
    a[N_MOTOR_CHANNELS:] = np.clip(a[N_MOTOR_CHANNELS:], 0.0, 1.0)
    return a


class Agent:
    """A trained checkpoint as a policy: ``act(state, key)`` gives channel values for one env state."""

    def __init__(self, run_dir: Path, greedy: bool = True) -> None:
        from tumble.agents.evaluate import agent_policy, load_agent

        self.name = run_dir.name
        self.cfg, network, params = load_agent(run_dir)
        self.policy = agent_policy(network, params, self.cfg.env.action, greedy=greedy)
        self.greedy = greedy

    def act_fn(self, capacity):
        """The jitted ``(state, key) -> channel values`` for levels of ``capacity`` (cached per agent object)."""
        key = (id(self), capacity)
        with _LOCK:
            if key not in _AGENT_CACHE:
                e = self.cfg.env
                obs_env = Env(capacity, e.action, e.observation, e.frame_skip,
                              e.pixel_size if e.observation == "pixels" else None)

                def act(state, rng):
                    obs = jax.tree_util.tree_map(lambda x: x[None], obs_env.observe(state))
                    return channel_values(e.action, self.policy(obs, rng)[0])

                _AGENT_CACHE[key] = jax.jit(act)
            return _AGENT_CACHE[key]

    def check_level(self, level: Level) -> None:
        """Raise ValueError when the agent was trained for another capacity or frame skip than ``level``'s."""
        from tumble.levels import capacity_of

        e = self.cfg.env
        if capacity_of(e.size) != level_capacity(level):
            raise ValueError(f"agent {self.name!r} was trained on size {e.size}; this level is size "
                             f"{level.size if isinstance(level.size, str) else 'custom'}: change the level's size")
        if e.frame_skip != level.frame_skip:
            raise ValueError(f"agent {self.name!r} was trained with frame_skip {e.frame_skip}; the level has "
                             f"{level.frame_skip}")


class Player:
    """One episode of one level: reset, step under channel values or an agent, and the frame of each state."""

    def __init__(self, level: Level) -> None:
        self.level = level
        self.capacity = level_capacity(level)
        self.compiled = compile_level(level)
        self.env, self._step = _step_fn(self.capacity, level.frame_skip)
        self.slots = body_indices(level, self.capacity)
        self.rng = jax.random.PRNGKey(0)
        self.reset()

    def reset(self) -> None:
        """Back to the level's initial state."""
        self.state = self.env.initial_state(self.compiled, 0)
        self.t = 0
        self.total = 0.0
        self.outcome = "running"
        self.action = np.zeros(ACTION_SIZE, np.float32)

    @property
    def done(self) -> bool:
        return self.outcome != "running"

    def step(self, action=None, agent: Agent | None = None) -> None:
        """One env step (``frame_skip`` physics steps) under ``action`` or the agent's choice."""
        if self.done:
            return
        if agent is not None:
            self.rng, key = jax.random.split(self.rng)
            action = np.asarray(agent.act_fn(self.capacity)(self.state, key))
        self.action = clip_action(action if action is not None else np.zeros(ACTION_SIZE))
        self.state, reward, done, info = self._step(self.state, jnp.asarray(self.action))
        self.t += 1
        self.total += float(reward)
        if bool(info["physics_error"]):
            self.outcome = "physics_error"
        elif bool(info["failed"]):
            self.outcome = "failed"
        elif bool(info["solved"]):
            self.outcome = "solved"
        elif bool(info["truncated"]):
            self.outcome = "timeout"
        self.last_reward = float(reward)

    def geometry(self) -> dict:
        """What does not move, per shape of the level: kind, body-frame outline (around the centre of mass), look."""
        scene = jax.tree_util.tree_map(np.asarray, self.compiled.scene)
        cap = self.capacity
        shapes = []
        for shape, slot in zip(self.level.shapes, self.slots):
            item = {"kind": shape.kind, "role": shape.role, "static": shape.static}
            if slot < cap.n_polygons:
                n = int(scene.polygons.n_vertices[slot])
                item["vertices"] = [[float(x), float(y)] for x, y in scene.polygons.vertices[slot][:n]]
            else:
                item["radius"] = float(scene.circles.radius[slot - cap.n_polygons])
            shapes.append(item)
        joints = [{"kind": j.kind, "channel": None if j.motor is None else j.motor.channel} for j in self.level.joints]
        thrusters = [{"channel": t.channel} for t in self.level.thrusters]
        return {"shapes": shapes, "joints": joints, "thrusters": thrusters}

    def frame(self) -> dict:
        """The current state as the page draws it: pose per shape, joint anchors, thrusters, reward, outcome."""
        scene = jax.device_get(self.state.level.scene)
        pos, ang = np.asarray(scene.state.position, np.float64), np.asarray(scene.state.angle, np.float64)

        def world(body: int, local) -> tuple[float, float]:
            c, s = math.cos(ang[body]), math.sin(ang[body])
            return (float(pos[body, 0] + c * local[0] - s * local[1]), float(pos[body, 1] + s * local[0] + c * local[1]))

        joints = []
        for k in range(len(self.level.joints)):
            b = int(scene.joints.body_b[k])
            x, y = world(b, scene.joints.local_anchor_b[k])
            joints.append([x, y, float(ang[b])])
        thrusters = []
        for k, t in enumerate(self.level.thrusters):
            b = int(scene.thrusters.body[k])
            x, y = world(b, scene.thrusters.local_point[k])
            thrusters.append([x, y, float(ang[b] + scene.thrusters.local_angle[k]),
                              float(self.action[N_MOTOR_CHANNELS + t.channel])])
        return {
            "type": "frame", "t": self.t, "time": self.t * self.level.frame_skip * self.level.dt,
            "poses": [[float(pos[s, 0]), float(pos[s, 1]), float(ang[s])] for s in self.slots],
            "joints": joints, "thrusters": thrusters, "action": [float(x) for x in self.action],
            "reward": getattr(self, "last_reward", 0.0) if self.t else 0.0, "return": self.total,
            "outcome": self.outcome, "episode_length": self.level.episode_length,
        }
