"""What a level means when it runs: channel actions drive actuators, role contacts decide the outcome.

An action is a vector of channel values: 4 motor channels in [-1, 1] then 2
thruster channels in [0, 1] (:data:`ACTION_SIZE`).  A motorised joint follows
its channel (or +1 when bound ``auto``); a thruster follows its channel.  A
level is solved when a green shape touches a blue one and failed when a green
shape touches a red one (red wins a tie); the world's walls take part with
their roles.  Both are checked after every physics step, as in the reference.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from tumble.levels.compile import AUTO_CHANNEL, CompiledLevel
from tumble.levels.model import BLUE, GREEN, N_MOTOR_CHANNELS, N_THRUSTER_CHANNELS, RED, Certificate
from tumble.physics import Controls, StepInfo, step

ACTION_SIZE = N_MOTOR_CHANNELS + N_THRUSTER_CHANNELS


def channel_controls(level: CompiledLevel, action: jax.Array) -> Controls:
    """Actuator controls from channel values ``action`` [6] (4 motor channels, 2 thruster channels).

    A motor whose level says ``idle: "free"`` is released (no torque) while its channel reads exactly 0.
    """
    motor_values = jnp.concatenate([action[:N_MOTOR_CHANNELS], jnp.ones((1,), action.dtype)])  # index 4 = auto
    channel = level.motor_channel
    motor = jnp.where(channel >= 0, motor_values[jnp.clip(channel, 0, AUTO_CHANNEL)], 0.0)
    tch = level.thruster_channel
    thruster = jnp.where(tch >= 0, action[N_MOTOR_CHANNELS:][jnp.clip(tch, 0, N_THRUSTER_CHANNELS - 1)], 0.0)
    released = level.motor_free_at_zero & (motor == 0.0)
    return Controls(motor=motor.astype(jnp.float32), thruster=thruster.astype(jnp.float32), motor_active=~released)


def role_contacts(level: CompiledLevel, info: StepInfo) -> tuple[jax.Array, jax.Array]:
    """(green touched blue, green touched red) during one physics step."""
    roles, walls = level.roles, level.wall_roles
    green = roles == GREEN

    def touches(role):
        shapes = jnp.any(info.touching & green[:, None] & (roles == role)[None, :])
        boundary = jnp.any(info.wall_touching & green[:, None] & (walls == role)[None, :])
        return shapes | boundary

    return touches(BLUE), touches(RED)


class Outcome(NamedTuple):
    """Per env step of a replay: solved, failed (each the first time it happens and after), physics error."""

    solved: jax.Array
    failed: jax.Array
    physics_error: jax.Array


def env_physics_step(level: CompiledLevel, action: jax.Array, frame_skip: int):
    """``frame_skip`` physics steps under one action; returns the new level and (solved, failed, error)."""
    controls = channel_controls(level, action)

    def one(carry, _):
        scene, solved, failed, error = carry
        scene, info = step(scene, controls, level.params)
        win, lose = role_contacts(level, info)
        return (scene, solved | win, failed | lose, error | info.non_finite), None

    f = jnp.zeros((), bool)
    (scene, solved, failed, error), _ = jax.lax.scan(one, (level.scene, f, f, f), None, length=frame_skip)
    return level.replace(scene=scene), (solved, failed, error)


@functools.partial(jax.jit, static_argnames=("frame_skip",))
def replay(level: CompiledLevel, actions: jax.Array, frame_skip: int = 2) -> Outcome:
    """Run the env-step ``actions`` [steps, 6] from the level's initial state; per-step outcome flags.

    Flags stay set once raised; ``solved`` is cleared where ``failed`` came first or at the same step.
    """

    def body(carry, action):
        lv, ended = carry
        lv, (win, lose, error) = env_physics_step(lv, action, frame_skip)
        return (lv, ended | win | lose | error), (win & ~lose & ~ended, lose & ~ended, error & ~ended)

    _, (win, lose, error) = jax.lax.scan(body, (level, jnp.zeros((), bool)), actions)
    first = lambda x: jnp.cumsum(x) > 0  # noqa: E731
    return Outcome(first(win), first(lose), first(error))


def certificate_actions(certificate: Certificate) -> np.ndarray:
    """The certificate's run-length encoded actions as an array [steps, 6]."""
    rows = [np.tile(np.array(run.motor + run.thruster, np.float32), (run.steps, 1)) for run in certificate.actions]
    return np.concatenate(rows)


def outcome_of(level: CompiledLevel, actions, frame_skip: int = 2, episode_length: int | None = None) -> int:
    """+1 solved, -1 failed, 0 neither within ``episode_length`` env steps of replaying ``actions``."""
    actions = np.asarray(actions, np.float32)
    if episode_length is not None and len(actions) > episode_length:
        actions = actions[:episode_length]
    out = replay(level, jnp.asarray(actions), frame_skip)
    solved, failed = bool(out.solved[-1]), bool(out.failed[-1])
    return 1 if solved and not failed else -1 if failed else 0
