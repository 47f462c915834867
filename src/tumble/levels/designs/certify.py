"""Turn a design's solution into a stored certificate, and prove it by replay."""

from __future__ import annotations

import functools

import jax
import numpy as np

from tumble.levels.compile import CompiledLevel, body_indices, compile_level
from tumble.levels.designs.registry import Solution, View
from tumble.levels.model import N_MOTOR_CHANNELS, N_THRUSTER_CHANNELS, ActionRun, Certificate, Level
from tumble.levels.outcome import env_physics_step, outcome_of

ACTION_DECIMALS = 3  # actions are stored rounded; the recording applies the rounded values


class CertificateError(RuntimeError):
    """A design's solution does not solve its level."""


@functools.partial(jax.jit, static_argnums=2)
def _env_step(level: CompiledLevel, action, frame_skip: int):
    return env_physics_step(level, action, frame_skip)


def view_of(level: Level, compiled: CompiledLevel, t: int) -> View:
    """The controller's view of ``compiled``'s current state."""
    idx = np.array(body_indices(level, compiled.scene.capacity), np.int64)
    st = compiled.scene.state
    j = compiled.scene.joints
    angle = np.asarray(st.angle)
    n_j = len(level.joints)
    a = np.asarray(j.body_a)[:n_j]
    b = np.asarray(j.body_b)[:n_j]
    angle_a = np.where(a >= 0, angle[np.maximum(a, 0)], 0.0)
    joint_angle = angle[b] - angle_a - np.asarray(j.reference_angle)[:n_j]
    return View(t=t, position=np.asarray(st.position)[idx], angle=angle[idx], velocity=np.asarray(st.velocity)[idx],
                angular_velocity=np.asarray(st.angular_velocity)[idx], joint_angle=joint_angle)


def _clean(action, what: str) -> np.ndarray:
    a = np.asarray(action, np.float64).reshape(-1)
    if a.shape != (N_MOTOR_CHANNELS + N_THRUSTER_CHANNELS,):
        raise CertificateError(f"{what}: an action has {a.size} values, expected 6 (4 motor, 2 thruster channels)")
    a[:N_MOTOR_CHANNELS] = np.clip(a[:N_MOTOR_CHANNELS], -1.0, 1.0)
    a[N_MOTOR_CHANNELS:] = np.clip(a[N_MOTOR_CHANNELS:], 0.0, 1.0)
    return np.round(a, ACTION_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def record(level: Level, solution: Solution) -> np.ndarray:
    """The env-step actions [steps, 6] of ``solution`` on ``level``, up to the step that solves it."""
    compiled = compile_level(level)
    if not callable(solution):
        return np.stack([_clean(a, level.name) for a in solution])
    actions = []
    lv = compiled
    for t in range(level.episode_length):
        action = _clean(solution(view_of(level, lv, t)), level.name)
        lv, (win, lose, error) = _env_step(lv, action.astype(np.float32), level.frame_skip)
        actions.append(action)
        if bool(win) or bool(lose) or bool(error):
            break
    return np.stack(actions)


def encode(actions: np.ndarray) -> Certificate:
    """Run-length encode actions [steps, 6]."""
    runs: list[ActionRun] = []
    for row in actions:
        motor = tuple(float(x) for x in row[:N_MOTOR_CHANNELS])
        thruster = tuple(float(x) for x in row[N_MOTOR_CHANNELS:])
        if runs and runs[-1].motor == motor and runs[-1].thruster == thruster:
            runs[-1] = ActionRun(runs[-1].steps + 1, motor, thruster)
        else:
            runs.append(ActionRun(1, motor, thruster))
    return Certificate(tuple(runs))


def certify(level: Level, solution: Solution) -> Level:
    """The level with its certificate; raises :class:`CertificateError` unless the replay solves it."""
    actions = record(level, solution)
    if len(actions) > level.episode_length:
        raise CertificateError(f"{level.name}: the solution is longer than the episode ({level.episode_length} steps)")
    result = outcome_of(compile_level(level), actions, level.frame_skip, level.episode_length)
    if result != 1:
        what = {0: "does not solve it", -1: "touches red first"}[result]
        raise CertificateError(f"{level.name}: replaying the {len(actions)} recorded actions {what}")
    return level.replace(certificate=encode(actions))
