"""Run a level under an open-loop policy and draw the episode: the work behind ``tumble render``.

A policy here is a sequence of env-step actions (6 channel values each: 4
motor channels in [-1, 1], 2 thruster channels in [0, 1]), from
:func:`policy_actions`: ``noop``, ``random`` (seeded, the multi-discrete
action set), ``certificate`` (the level's own solving sequence) or a JSON file
of actions.  The episode follows the environment's rules
(:mod:`tumble.env`): ``frame_skip`` physics steps per env step, solved when a
green shape touches a blue one, failed on red (red wins a tie), ended by a
physics error or at the level's episode length.  One frame is drawn per
physics step (the initial state first), so a level with ``dt = 1/60`` plays
in real time at 60 frames per second.

    episode = run_episode(level, policy_actions("random", level, 100, seed=0))
    frames = draw_episode(episode, human_config(512))   # uint8 [F, 512, 512, 3], outcome on the last
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from tumble.levels import (
    ACTION_SIZE, CompiledLevel, Level, N_MOTOR_CHANNELS, N_THRUSTER_CHANNELS, certificate_actions, compile_level,
    load_level,
)
from tumble.levels.model import ActionRun, Certificate
from tumble.levels.outcome import channel_controls, role_contacts
from tumble.physics import step as physics_step
from tumble.render.raster import RenderConfig, render_level, to_uint8

POLICIES = ("noop", "random", "certificate")
ACTION_BUCKET = 64  # episodes are simulated in multiples of this many env steps (fewer compilations)
OUTCOME_COLOURS = {"solved": (20, 140, 50), "failed": (200, 40, 40), "physics_error": (150, 60, 160),
                   "time_up": (60, 60, 70), "running": (60, 60, 70)}
CHECKPOINT_MESSAGE = ("policy {policy!r} looks like a checkpoint: drawing a trained agent needs checkpoints, which "
                      "come with the training issue (tumble.agents) and do not exist yet; use noop, random, "
                      "certificate or an ACTIONS.json file")


class PolicyError(ValueError):
    """A policy that cannot be turned into actions (unknown name, bad actions file, checkpoint)."""


def resolve_level(name_or_file: str | Path | Level) -> Level:
    """A level from a bundled name (``catapult``, ``s/catapult``) or a level file path."""
    if isinstance(name_or_file, Level):
        return name_or_file
    from tumble.levels.library import load_bundled

    path = Path(name_or_file)
    if path.suffix == ".json" or path.exists():
        return load_level(path)
    try:
        return load_bundled(str(name_or_file))
    except KeyError as exc:
        raise FileNotFoundError(f"{name_or_file!r} is neither a level file nor a bundled level: {exc.args[0]}") from None


def _rows(value, source: str) -> np.ndarray:
    try:
        arr = np.asarray(value, np.float64)
    except (TypeError, ValueError):
        raise PolicyError(f"{source}: actions must be a list of rows of {ACTION_SIZE} numbers") from None
    if arr.ndim != 2 or arr.shape[1] != ACTION_SIZE:
        raise PolicyError(f"{source}: actions must be a list of rows of {ACTION_SIZE} numbers "
                          f"({N_MOTOR_CHANNELS} motor channels, {N_THRUSTER_CHANNELS} thruster channels), "
                          f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise PolicyError(f"{source}: actions must be finite numbers")
    return arr


def _certificate_rows(runs, source: str) -> np.ndarray:
    out = []
    for i, run in enumerate(runs):
        if not isinstance(run, dict) or not isinstance(run.get("steps"), int) or run["steps"] < 1:
            raise PolicyError(f"{source}: actions[{i}] must be {{\"steps\": n >= 1, \"motor\": [...], \"thruster\": [...]}}")
        motor = tuple(float(v) for v in run.get("motor", (0.0,) * N_MOTOR_CHANNELS))
        thruster = tuple(float(v) for v in run.get("thruster", (0.0,) * N_THRUSTER_CHANNELS))
        if len(motor) != N_MOTOR_CHANNELS or len(thruster) != N_THRUSTER_CHANNELS:
            raise PolicyError(f"{source}: actions[{i}] needs {N_MOTOR_CHANNELS} motor and {N_THRUSTER_CHANNELS} "
                              "thruster values")
        out.append(ActionRun(run["steps"], motor, thruster))
    if not out:
        raise PolicyError(f"{source}: the certificate holds no actions")
    return certificate_actions(Certificate(tuple(out))).astype(np.float64)


def load_actions(path: str | Path) -> np.ndarray:
    """Actions [steps, 6] from a JSON file.

    Accepted: a list of 6-value rows; ``{"actions": rows}``; a certificate
    ``{"actions": [{"steps": n, "motor": [4], "thruster": [2]}, ...]}``; or a
    level file (its certificate).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise PolicyError(f"cannot read actions file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise PolicyError(f"{path}: not valid JSON ({exc})") from None
    if isinstance(data, dict) and "certificate" in data:
        if not isinstance(data["certificate"], dict):
            raise PolicyError(f"{path}: the level has no certificate")
        data = data["certificate"]
    if isinstance(data, dict):
        if "actions" not in data:
            raise PolicyError(f"{path}: expected a list of action rows, a certificate or a level file")
        data = data["actions"]
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return _certificate_rows(data, str(path))
    return _rows(data, str(path))


def random_actions(steps: int, seed: int = 0) -> np.ndarray:
    """``steps`` uniformly random multi-discrete actions as channel values (motors -1/0/+1, thrusters 0/1)."""
    rng = np.random.default_rng(seed)
    motor = np.array([0.0, 1.0, -1.0])[rng.integers(0, 3, (steps, N_MOTOR_CHANNELS))]
    thruster = rng.integers(0, 2, (steps, N_THRUSTER_CHANNELS)).astype(np.float64)
    return np.concatenate([motor, thruster], axis=1)


def policy_actions(policy: str | Path, level: Level, steps: int | None = None, seed: int = 0) -> np.ndarray:
    """The actions [steps, 6] of ``policy`` on ``level`` (float32; values clipped to their channel ranges).

    ``steps`` defaults to the level's episode length (for a file or a
    certificate: its length).  A file or certificate shorter than ``steps`` is
    padded with no-op actions; a longer one is cut.
    """
    text = str(policy)
    if text == "noop":
        rows = np.zeros((0, ACTION_SIZE))
    elif text == "random":
        rows = random_actions(steps if steps is not None else level.episode_length, seed)
    elif text == "certificate":
        if level.certificate is None:
            raise PolicyError(f"level {level.name!r} has no certificate")
        rows = certificate_actions(level.certificate).astype(np.float64)
    else:
        path = Path(text)
        if path.suffix.lower() == ".json":
            if not path.is_file():
                raise PolicyError(f"actions file {path} does not exist")
            rows = load_actions(path)
        elif path.exists() or any(s in text for s in ("/", "\\", ".")):
            raise PolicyError(CHECKPOINT_MESSAGE.format(policy=text))
        else:
            raise PolicyError(f"unknown policy {text!r}: use {', '.join(POLICIES)}, an ACTIONS.json file "
                              "(or a checkpoint, once training exists)")
    if steps is None:
        steps = len(rows) if text not in ("noop", "random") else level.episode_length
    if steps < 0:
        raise PolicyError(f"steps must be >= 0, got {steps}")
    out = np.zeros((steps, ACTION_SIZE), np.float32)
    n = min(steps, len(rows))
    out[:n] = rows[:n]
    out[:, :N_MOTOR_CHANNELS] = np.clip(out[:, :N_MOTOR_CHANNELS], -1.0, 1.0)
    out[:, N_MOTOR_CHANNELS:] = np.clip(out[:, N_MOTOR_CHANNELS:], 0.0, 1.0)
    return out


@dataclasses.dataclass(frozen=True)
class Episode:
    """A drawn-ready episode: one pose per frame (the initial state, then every physics step)."""

    level: CompiledLevel
    name: str
    position: np.ndarray  # f32[F, N, 2]
    angle: np.ndarray  # f32[F, N]
    action: np.ndarray  # f32[F, 6] the action in effect during the step that led to each frame (0 for the first)
    env_step: np.ndarray  # i32[F] the env step each frame belongs to (0: the initial state)
    steps: int  # env steps run
    outcome: str  # "solved", "failed", "physics_error", "time_up" (the level's episode length) or "running"
    episode_length: int
    dt: float  # simulated seconds between frames

    @property
    def n_frames(self) -> int:
        return int(self.position.shape[0])

    def outcome_text(self) -> str:
        """The sentence written on the last frame."""
        s = self.steps
        return {
            "solved": f"SOLVED in {s} step{'s' * (s != 1)}",
            "failed": f"FAILED at step {s}",
            "physics_error": f"PHYSICS ERROR at step {s}",
            "time_up": f"TIME UP: not solved in {s} steps",
            "running": f"not solved after {s} step{'s' * (s != 1)}",
        }[self.outcome]


@functools.partial(jax.jit, static_argnames=("frame_skip",))
def _simulate(level: CompiledLevel, actions: jax.Array, frame_skip: int):
    """Poses after every physics step [S, frame_skip, N, ...] and (solved, failed, error) per env step [S]."""

    def env_step(scene, action):
        controls = channel_controls(level, action)

        def physics(carry, _):
            scene, win, lose, error = carry
            scene, info = physics_step(scene, controls, level.params)
            w, l = role_contacts(level, info)
            return (scene, win | w, lose | l, error | info.non_finite), (scene.state.position, scene.state.angle)

        f = jnp.zeros((), bool)
        (scene, win, lose, error), poses = jax.lax.scan(physics, (scene, f, f, f), None, length=frame_skip)
        return scene, (poses, win & ~lose & ~error, lose & ~error, error)

    _, ((position, angle), solved, failed, error) = jax.lax.scan(env_step, level.scene, actions)
    return position, angle, solved, failed, error


def run_episode(level: Level | CompiledLevel, actions, frame_skip: int | None = None,
                episode_length: int | None = None, name: str | None = None) -> Episode:
    """Play ``actions`` [steps, 6] from the level's initial state until the episode ends or they run out."""
    if isinstance(level, Level):
        frame_skip = level.frame_skip if frame_skip is None else frame_skip
        episode_length = level.episode_length if episode_length is None else episode_length
        name = level.name if name is None else name
        dt = level.dt
        level = compile_level(level)
    else:
        dt = float(level.params.dt)
        frame_skip = 2 if frame_skip is None else frame_skip
        episode_length = int(level.episode_length) if episode_length is None else episode_length
    actions = np.asarray(actions, np.float32).reshape(-1, 6)[:episode_length]
    n = len(actions)
    scene = level.scene
    pos0 = np.asarray(scene.state.position)[None]
    ang0 = np.asarray(scene.state.angle)[None]
    if n == 0:
        return Episode(level, name or "", pos0, ang0, np.zeros((1, 6), np.float32), np.zeros(1, np.int32), 0,
                       "running", episode_length, dt)
    padded = np.zeros((-(-n // ACTION_BUCKET) * ACTION_BUCKET, 6), np.float32)  # one compilation per bucket
    padded[:n] = actions
    position, angle, solved, failed, error = (np.asarray(x)[:n] for x in _simulate(level, jnp.asarray(padded),
                                                                                     frame_skip))
    ended = np.flatnonzero(solved | failed | error)
    steps = int(ended[0]) + 1 if len(ended) else n
    if len(ended):
        e = steps - 1
        outcome = "failed" if failed[e] else "solved" if solved[e] else "physics_error"
    else:
        outcome = "time_up" if steps >= episode_length else "running"
    position = np.concatenate([pos0, position[:steps].reshape(-1, *pos0.shape[1:])])
    angle = np.concatenate([ang0, angle[:steps].reshape(-1, *ang0.shape[1:])])
    frame_action = np.concatenate([np.zeros((1, 6), np.float32), np.repeat(actions[:steps], frame_skip, axis=0)])
    env_step = np.concatenate([[0], np.repeat(np.arange(1, steps + 1), frame_skip)]).astype(np.int32)
    return Episode(level, name or "", position.astype(np.float32), angle.astype(np.float32), frame_action, env_step,
                   steps, outcome, episode_length, dt)


@functools.partial(jax.jit, static_argnames=("config",))
def _draw_chunk(level: CompiledLevel, position, angle, action, config: RenderConfig):
    def one(p, a, act):
        state = level.scene.state.replace(position=p, angle=a)
        return render_level(level.replace(scene=level.scene.replace(state=state)), config, act)

    images = jax.vmap(one)(position, angle, action)
    return jnp.round(jnp.clip(images, 0.0, 1.0) * 255.0).astype(jnp.uint8)


def draw_episode(episode: Episode, config: RenderConfig, labels: bool = True, outcome: bool = True,
                 chunk: int = 16) -> np.ndarray:
    """The episode's frames as uint8 [F, H, W, 3]: a caption (time, env step, level) on each, the outcome on the last.

    The time, first in the caption, makes every frame distinct, so a GIF keeps one frame per physics step.
    """
    from tumble.render.export import write_text

    f = episode.n_frames
    chunk = max(1, min(chunk, f))
    out = []
    for start in range(0, f, chunk):
        idx = np.minimum(np.arange(start, start + chunk), f - 1)  # pad the last chunk: one compiled size
        imgs = _draw_chunk(episode.level, jnp.asarray(episode.position[idx]), jnp.asarray(episode.angle[idx]),
                           jnp.asarray(episode.action[idx]), config)
        out.append(np.asarray(imgs)[: min(chunk, f - start)])
    frames = np.concatenate(out)
    if labels:
        frames = np.stack([
            write_text(fr, f"{i * episode.dt:.2f} s  step {int(k)}/{episode.episode_length}  {episode.name}".strip())
            for i, (fr, k) in enumerate(zip(frames, episode.env_step))])
    if outcome and episode.steps > 0:
        frames[-1] = write_text(frames[-1], episode.outcome_text(), OUTCOME_COLOURS[episode.outcome], where="banner")
    return frames


__all__ = [
    "Episode", "POLICIES", "PolicyError", "draw_episode", "load_actions", "policy_actions", "random_actions",
    "resolve_level", "run_episode", "to_uint8",
]
