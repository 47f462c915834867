"""Import the reference's (Kinetix) JSON level files as Tumble level documents.

A Kinetix file holds a whole simulator state (``env_state``) plus the
environment's parameters (``env_params``, ``static_env_params``).  This
module reads that state, checks it (every problem is named by its JSON path,
``env_state.polygon[5].vertices: ...``) and writes the equivalent
:class:`~tumble.levels.Level`:

* **Boundary.**  The first ``num_static_fixated_polys`` (4) polygons are the
  reference's floor, left wall, right wall and ceiling boxes.  One with the
  standard geometry becomes that side of Tumble's :class:`Boundary` (floor at
  y = 0.4, walls at x = 0 and 5, ceiling at 5) keeping its role; any other
  (moved, resized, dynamic, with its own friction, or with a collision mode
  the half-plane walls cannot express) stays a static polygon, and an
  inactive one leaves that side open.  Each fallback is reported.
* **Shapes.**  Inactive shapes are dropped and the rest renumbered (polygons
  first, then circles, as in the reference's global index).
  ``inverse_mass == 0`` means static.  Vertices are stored counter-clockwise.
  Density is kept unless it disagrees with the file's ``inverse_mass`` (which
  the reference uses as is), then the density giving that mass is used.
* **Collision modes** (0: passes through mode-1 shapes and other mode-0
  shapes; 1: normal; 2: collides with everything) become category/mask bits
  under Tumble's rule "collide iff ``cat_a & mask_b`` and ``cat_b & mask_a``":
  in a level with no mode-0 shape every shape keeps the defaults (category 1,
  mask -1: everything collides, as in the reference); otherwise mode 0 is
  category 4, mask ~4; mode 1 category 1, mask ~4; mode 2 category 1, mask -1.
  Every mask keeps bit 1, which Tumble's boundary tests, so all shapes meet
  the walls, as the reference's mode-2 wall boxes do.  Kinetix forbids
  contacts inside a joint chain, so ``joint_chain_filter`` is on.
* **Friction.**  The reference combines ``0.4 * sqrt(f_a^2 + f_b^2)``, Tumble
  ``sqrt(f_a * f_b)``; every friction is scaled by ``base_friction * sqrt(2)``
  so pairs of equal friction (nearly every pair: shapes and walls default to
  1.0) are exact.  For unequal pairs Tumble gives the geometric mean where
  the reference gives the quadratic mean: e.g. (1.0, 0.4) becomes 0.36 instead
  of 0.43 (17% less).  Restitution is copied (the reference pairs it with
  ``min``, Tumble with ``max``; every shipped level uses 0).
* **Joints.**  ``a_index``/``b_index`` are global body indices; a joint to a
  boundary wall becomes a joint to the world (``a = None``; the ends are
  swapped if the wall was ``b``, flipping the motor and the limits).  The
  anchor is the reference's joint point (the static end's anchor, else the
  mass-weighted mean of both) and a gap between the two ends is reported.
  Limits are relative to ``joint.rotation`` in the reference and to the
  initial pose in Tumble: ``lower = min - offset``, ``upper = max - offset``
  with ``offset = (rot_b - rot_a) - rotation``.  A fixed joint with a nonzero
  offset is reported (the reference pulls it to ``rotation``, Tumble holds
  the initial pose).
* **Motors.**  The reference applies, each physics step, the angular impulse
  ``base_motor_power * motor_power * dt * axial_mass * tanh(c * (w_rel -
  motor_speed * base_motor_speed * action))`` (``c`` =
  ``motor_decay_coefficient``, ``axial_mass = 1 / (1/I_a + 1/I_b)``): a soft
  speed controller, signed like Tumble's (a positive action turns ``b``
  counter-clockwise relative to ``a``).  Tumble's motor is a velocity
  constraint with a torque cap, so ``speed = motor_speed *
  base_motor_speed`` and ``max_torque`` is the reference's torque averaged
  over relative speeds from rest to the target (:func:`motor_max_torque`),
  with the reference's own axial mass (the file's inverse inertias), so both
  motors push with the same torque; the reference's circles have half their
  true inertia, so a free wheel spins up more slowly in Tumble.  Measured
  against the reference this beats the stall torque or Tumble's exact
  inertias (``scripts/compare_kinetix_import.py``).  ``motor_on`` false or a
  fixed joint: no motor.  ``motor_binding`` is the channel.
* **Thrusters.**  ``force = power * base_thruster_power * action`` along
  ``rotation + body rotation`` at ``position + R(rotation) relative_position``;
  ``thruster_binding`` is the channel (a negative power thrusts backwards).
* **Level.**  Size s/m/l when ``static_env_params`` has the reference's
  counts for it (5/2/1/1, 6/3/2/2, 12/4/6/2 polygons/circles/joints/thrusters
  with the 4 boundary polygons), otherwise a :class:`CustomSize`; episode
  length ``max_timesteps``, ``frame_skip``, ``dt``, gravity from the file.

Differences the import cannot remove: Tumble's inertias are exact (the
reference gives circles half theirs); its motor is a rigid speed constraint
(the reference's is soft, so under load it runs below its target); a motor
at control 0 holds its joint where the reference's lets it turn freely; a
joint to a boundary wall does not stop that chain touching the wall.

Use :func:`import_kinetix_level` (parsed JSON), :func:`import_kinetix_file`
(one file) or :func:`import_kinetix` (a file or a folder tree, written with
:func:`~tumble.levels.save_level`).  The ``convert_*`` variants also return
the notes on approximations.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np

from tumble.levels.codec import LevelError, dumps_level, parse_level, save_level
from tumble.levels.model import (
    N_MOTOR_CHANNELS, N_THRUSTER_CHANNELS, ROLES, Boundary, Circle, CustomSize, Joint, Level, Motor, Polygon,
    Thruster, Wall,
)
from tumble.levels.sizes import SIZES, smallest_size
from tumble.physics.geometry import SceneError, check_polygon, circle_mass, polygon_mass

__all__ = [
    "FileReport", "KinetixConversion", "KinetixImportError", "convert_kinetix_file", "convert_kinetix_level",
    "import_kinetix", "import_kinetix_file", "import_kinetix_level", "import_kinetix_report", "motor_max_torque",
    "run_import_cli",
]

# The reference's defaults, used where a file leaves a parameter out.
ENV_DEFAULTS = {"dt": 1.0 / 60.0, "base_motor_speed": 6.0, "base_motor_power": 900.0, "base_thruster_power": 10.0,
                "motor_decay_coefficient": 0.1, "base_friction": 0.4, "max_timesteps": 256}
STATIC_DEFAULTS = {"frame_skip": 2, "num_static_fixated_polys": 4, "max_polygon_vertices": 4}
GRAVITY_DEFAULT = (0.0, -9.81)
# The reference's named sizes: polygons (with the 4 boundary boxes), circles, joints, thrusters.
KINETIX_SIZES = {"s": (5, 2, 1, 1), "m": (6, 3, 2, 2), "l": (12, 4, 6, 2)}
# The reference's boundary boxes in world coordinates (x_min, x_max, y_min, y_max) and Tumble's wall coordinate.
STANDARD_WALLS = {
    "floor": ((0.0, 5.0, -10.0, 0.4), 0.4),
    "left": ((-5.0, 0.0, 0.0, 5.0), 0.0),
    "right": ((5.0, 10.0, 0.0, 5.0), 5.0),
    "ceiling": ((0.0, 5.0, 5.0, 15.4), 5.0),
}
WALL_ORDER = ("floor", "left", "right", "ceiling")
WALL_TOLERANCE = 1e-3  # m
ANCHOR_TOLERANCE = 1e-3  # m: a larger gap between a joint's two ends is reported
# Collision-mode bits: MODE0_BIT marks shapes of mode 0; bit 1 is what Tumble's boundary walls test.
MODE0_BIT = 4
_MODE_FILTER = {0: (MODE0_BIT, ~MODE0_BIT), 1: (1, ~MODE0_BIT), 2: (1, -1)}


def _should_collide(mode_a: int, mode_b: int) -> bool:
    """The reference's rule for two collision modes."""
    return mode_a == 2 or mode_b == 2 or mode_a * mode_b > 0


def _f32(x: float) -> float:
    """The shortest decimal naming the same float32 (the reference stores float32; Tumble compiles float32)."""
    return float(str(np.float32(x))) if math.isfinite(x) else x


def _rot(angle: float, v) -> tuple[float, float]:
    c, s = math.cos(angle), math.sin(angle)
    return (c * v[0] - s * v[1], s * v[0] + c * v[1])


# --- reading the reference's JSON ------------------------------------------------------------

class _Missing:
    pass


_MISSING = _Missing()


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(v), type(v).__name__)


class _Reader:
    """Typed access to parsed JSON; each bad value records ``path: reason`` and yields a placeholder."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, reason: str) -> None:
        self.problems.append(f"{path}: {reason}")

    def obj(self, value: Any, path: str) -> dict | None:
        if not isinstance(value, dict):
            self.fail(path, f"must be an object, got {_kind(value)}")
            return None
        return value

    def number(self, d: dict, key: str, path: str, default: Any = _MISSING) -> float:
        if key not in d:
            if default is _MISSING:
                self.fail(f"{path}.{key}", "missing field")
                return 0.0
            return default
        v = d[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail(f"{path}.{key}", f"must be a number, got {_kind(v)}")
            return 0.0
        if not math.isfinite(v):
            self.fail(f"{path}.{key}", "must be finite")
            return 0.0
        return float(v)

    def integer(self, d: dict, key: str, path: str, default: Any = _MISSING, low: int | None = None,
                high: int | None = None) -> int:
        if key not in d:
            if default is _MISSING:
                self.fail(f"{path}.{key}", "missing field")
                return 0
            return default
        v = d[key]
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            self.fail(f"{path}.{key}", f"must be an integer, got {_kind(v)}")
            return 0
        if (low is not None and v < low) or (high is not None and v > high):
            lo = "" if low is None else f"{low}"
            hi = "" if high is None else f"{high}"
            self.fail(f"{path}.{key}", f"must be in [{lo}, {hi}], got {v}")
            return low if low is not None else 0
        return v

    def boolean(self, d: dict, key: str, path: str, default: Any = _MISSING) -> bool:
        if key not in d:
            if default is _MISSING:
                self.fail(f"{path}.{key}", "missing field")
                return False
            return default
        v = d[key]
        if isinstance(v, bool):
            return v
        if isinstance(v, int) and v in (0, 1):  # some exporters write 0/1
            return bool(v)
        self.fail(f"{path}.{key}", f"must be true or false, got {_kind(v)}")
        return False

    def vector(self, d: dict, key: str, path: str, default: Any = _MISSING) -> tuple[float, float]:
        """A 2-vector stored as ``{"0": x, "1": y}`` (the reference's format) or ``[x, y]``."""
        if key not in d:
            if default is _MISSING:
                self.fail(f"{path}.{key}", "missing field")
                return (0.0, 0.0)
            return default
        return self.vector_value(d[key], f"{path}.{key}")

    def vector_value(self, v: Any, path: str) -> tuple[float, float]:
        if isinstance(v, dict) and set(v) == {"0", "1"}:
            v = [v["0"], v["1"]]
        if (not isinstance(v, list) or len(v) != 2
                or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v)):
            self.fail(path, f'must be a vector {{"0": x, "1": y}}, got {_short(v)}')
            return (0.0, 0.0)
        if not all(math.isfinite(x) for x in v):
            self.fail(path, "must be finite")
            return (0.0, 0.0)
        return (float(v[0]), float(v[1]))

    def entries(self, d: dict, key: str, path: str) -> list:
        """A list of entities: a JSON list, or an object keyed "0", "1", ... (both occur)."""
        if key not in d:
            return []
        v = d[key]
        if isinstance(v, dict):
            keys = [str(i) for i in range(len(v))]
            if set(v) != set(keys):
                self.fail(f"{path}.{key}", 'must be a list, or an object keyed "0", "1", ...')
                return []
            return [v[k] for k in keys]
        if not isinstance(v, list):
            self.fail(f"{path}.{key}", f"must be a list, got {_kind(v)}")
            return []
        return v


def _short(v: Any) -> str:
    try:
        text = json.dumps(v)
    except (TypeError, ValueError):
        text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class _Body:
    """One active reference shape, as read."""

    path: str
    is_polygon: bool
    position: tuple[float, float]
    rotation: float
    velocity: tuple[float, float]
    angular_velocity: float
    inverse_mass: float
    inverse_inertia: float | None  # None: not in the file
    friction: float
    restitution: float
    mode: int
    role: int
    density: float
    vertices: tuple[tuple[float, float], ...] = ()  # body frame, counter-clockwise
    radius: float = 0.0

    @property
    def static(self) -> bool:
        return self.inverse_mass == 0.0

    def world_vertices(self) -> np.ndarray:
        return np.array([np.add(self.position, _rot(self.rotation, v)) for v in self.vertices])


def _read_body(r: _Reader, raw: Any, path: str, is_polygon: bool) -> _Body | None:
    d = r.obj(raw, path)
    if d is None:
        return None
    n_before = len(r.problems)
    body = _Body(
        path=path,
        is_polygon=is_polygon,
        position=r.vector(d, "position", path),
        rotation=r.number(d, "rotation", path, 0.0),
        velocity=r.vector(d, "velocity", path, (0.0, 0.0)),
        angular_velocity=r.number(d, "angular_velocity", path, 0.0),
        inverse_mass=r.number(d, "inverse_mass", path),
        inverse_inertia=r.number(d, "inverse_inertia", path, None),
        friction=r.number(d, "friction", path, 1.0),
        restitution=r.number(d, "restitution", path, 0.0),
        mode=r.integer(d, "collision_mode", path, 1, 0, 2),
        role=r.integer(d, "role", path, 0, 0, len(ROLES) - 1),
        density=r.number(d, "density", path, 1.0),
    )
    for key in ("inverse_mass", "inverse_inertia", "friction"):
        if getattr(body, key) is not None and getattr(body, key) < 0:
            r.fail(f"{path}.{key}", f"must be >= 0, got {getattr(body, key):g}")
    if not 0.0 <= body.restitution <= 1.0:
        r.fail(f"{path}.restitution", f"must be in [0, 1], got {body.restitution:g}")
    if not body.static and body.density <= 0:
        r.fail(f"{path}.density", f"must be > 0 for a movable shape, got {body.density:g}")
    if is_polygon:
        raw_v = d.get("vertices", _MISSING)
        if isinstance(raw_v, dict):
            keys = [str(i) for i in range(len(raw_v))]
            raw_v = [raw_v[k] for k in keys] if set(raw_v) == set(keys) else None
        if isinstance(raw_v, _Missing):
            r.fail(f"{path}.vertices", "missing field")
        elif not isinstance(raw_v, list):
            r.fail(f"{path}.vertices", f'must be an object keyed "0", "1", ... of vectors, got {_short(d["vertices"])}')
        else:
            verts = [r.vector_value(v, f"{path}.vertices[{i}]") for i, v in enumerate(raw_v)]
            n = r.integer(d, "n_vertices", path, len(verts), 3, max(3, len(verts)))
            if len(r.problems) == n_before:
                try:
                    ccw, _ = check_polygon(verts[:n], 8, "polygon")
                    body.vertices = tuple((float(x), float(y)) for x, y in ccw)
                except SceneError as exc:
                    r.fail(f"{path}.vertices", str(exc).removeprefix("polygon: "))
    else:
        body.radius = r.number(d, "radius", path)
        if body.radius <= 0 and "radius" in d:
            r.fail(f"{path}.radius", f"must be > 0, got {body.radius:g}")
    return None if len(r.problems) > n_before else body


def _active(r: _Reader, raw: Any, path: str) -> bool:
    d = r.obj(raw, path)
    return False if d is None else r.boolean(d, "active", path)


class _JointRecord(NamedTuple):
    path: str
    ia: int
    ib: int
    rel_a: tuple[float, float]
    rel_b: tuple[float, float]
    fixed: bool
    motor_on: bool
    has_limits: bool
    rotation: float
    lo: float
    hi: float
    speed: float
    power: float
    channel: int


class _ThrusterRecord(NamedTuple):
    path: str
    body: int
    rel: tuple[float, float]
    rotation: float
    power: float
    channel: int


# --- conversion --------------------------------------------------------------------------------

@dataclass(frozen=True)
class KinetixConversion:
    """A converted level and the notes on what it could only approximate."""

    level: Level
    notes: tuple[str, ...] = ()
    shape_sources: tuple[int, ...] = ()  # the reference's global body index of each of ``level.shapes``


def _match_wall(body: _Body) -> str | None:
    """Which standard boundary box ``body`` is, if any."""
    if not body.is_polygon or len(body.vertices) != 4:
        return None
    w = body.world_vertices()
    box = (w[:, 0].min(), w[:, 0].max(), w[:, 1].min(), w[:, 1].max())
    for side, (bounds, _) in STANDARD_WALLS.items():
        if all(abs(a - b) <= WALL_TOLERANCE for a, b in zip(box, bounds)):
            # four corners on the box: an axis-aligned rectangle
            on_box = all(min(abs(x - box[0]), abs(x - box[1])) <= WALL_TOLERANCE
                         and min(abs(y - box[2]), abs(y - box[3])) <= WALL_TOLERANCE for x, y in w)
            return side if on_box else None
    return None


def convert_kinetix_level(data: Any, name: str, source: str = "") -> KinetixConversion:
    """Convert a parsed Kinetix level (``{"env_state": ..., "env_params": ..., "static_env_params": ...}``).

    Raises :class:`LevelError` listing every problem by its JSON path.
    """
    r = _Reader()
    notes: list[str] = []
    top = r.obj(data, "(top level)")
    if top is None:
        raise LevelError(r.problems, source)
    if top.get("format") == "tumble-level":
        raise LevelError(["format: this is already a Tumble level file (load it with load_level)"], source)
    if "env_state" not in top:
        r.fail("env_state", "missing field (not a Kinetix level file?)")
        raise LevelError(r.problems, source)
    es = r.obj(top["env_state"], "env_state")
    ep = r.obj(top.get("env_params", {}), "env_params")
    sp = r.obj(top.get("static_env_params", {}), "static_env_params")
    if es is None or ep is None or sp is None:
        raise LevelError(r.problems, source)
    for key in ("env_params", "static_env_params"):
        if key not in top:
            notes.append(f"{key}: missing; used the reference's defaults")

    p = {k: r.number(ep, k, "env_params", v) for k, v in ENV_DEFAULTS.items() if k != "max_timesteps"}
    if p["dt"] <= 0:
        r.fail("env_params.dt", f"must be > 0, got {p['dt']:g}")
    episode_length = r.integer(ep, "max_timesteps", "env_params", ENV_DEFAULTS["max_timesteps"], 1)
    frame_skip = r.integer(sp, "frame_skip", "static_env_params", STATIC_DEFAULTS["frame_skip"], 1)
    n_fixed = r.integer(sp, "num_static_fixated_polys", "static_env_params",
                        STATIC_DEFAULTS["num_static_fixated_polys"], 0)
    gravity = r.vector(es, "gravity", "env_state", GRAVITY_DEFAULT)

    raw_polys = r.entries(es, "polygon", "env_state")
    raw_circles = r.entries(es, "circle", "env_state")
    raw_joints = r.entries(es, "joint", "env_state")
    raw_thrusters = r.entries(es, "thruster", "env_state")
    n_poly = len(raw_polys)
    n_bodies = n_poly + len(raw_circles)

    # bodies by global index (polygons first, then circles); None where inactive or unreadable
    bodies: list[_Body | None] = []
    for kind, raws in (("polygon", raw_polys), ("circle", raw_circles)):
        for i, raw in enumerate(raws):
            path = f"env_state.{kind}[{i}]"
            bodies.append(_read_body(r, raw, path, kind == "polygon") if _active(r, raw, path) else None)

    def body_index(d: dict, key: str, path: str) -> int:
        """A global body index (polygons first, then circles) that must name an entry of the file."""
        n_before = len(r.problems)
        g = r.integer(d, key, path, _MISSING, 0)
        if len(r.problems) == n_before and g >= n_bodies:
            r.fail(f"{path}.{key}", f"no body {g}: the file has {n_poly} polygons (0-{n_poly - 1}) and "
                   f"{n_bodies - n_poly} circles ({n_poly}-{n_bodies - 1})")
        return g

    # joints and thrusters as read (converted below, once the bodies are known to be sound)
    joint_records = []
    for i, raw in enumerate(raw_joints):
        path = f"env_state.joint[{i}]"
        if not _active(r, raw, path):
            continue
        d, n_before = raw, len(r.problems)
        ia = body_index(d, "a_index", path)
        ib = body_index(d, "b_index", path)
        rec = _JointRecord(
            path=path, ia=ia, ib=ib, rel_a=r.vector(d, "a_relative_pos", path),
            rel_b=r.vector(d, "b_relative_pos", path), fixed=r.boolean(d, "is_fixed_joint", path, False),
            motor_on=r.boolean(d, "motor_on", path, False),
            has_limits=r.boolean(d, "motor_has_joint_limits", path, False),
            rotation=r.number(d, "rotation", path, 0.0), lo=r.number(d, "min_rotation", path, 0.0),
            hi=r.number(d, "max_rotation", path, 0.0), speed=r.number(d, "motor_speed", path, 0.0),
            power=r.number(d, "motor_power", path, 0.0),
            channel=r.integer(d, "motor_binding", path, 0, 0, N_MOTOR_CHANNELS - 1))
        if len(r.problems) > n_before:
            continue
        if ia == ib:
            r.fail(f"{path}.b_index", f"joins body {ia} to itself")
        elif rec.motor_on and not rec.fixed and rec.power < 0:
            r.fail(f"{path}.motor_power", f"must be >= 0, got {rec.power:g}")
        elif rec.has_limits and not rec.fixed and rec.lo > rec.hi:
            r.fail(f"{path}.min_rotation", f"{rec.lo:g} is above max_rotation {rec.hi:g}")
        else:
            joint_records.append(rec)
    thruster_records = []
    for i, raw in enumerate(raw_thrusters):
        path = f"env_state.thruster[{i}]"
        if not _active(r, raw, path):
            continue
        d, n_before = raw, len(r.problems)
        rec = _ThrusterRecord(
            path=path, body=body_index(d, "object_index", path), rel=r.vector(d, "relative_position", path),
            rotation=r.number(d, "rotation", path, 0.0), power=r.number(d, "power", path),
            channel=r.integer(d, "thruster_binding", path, 0, 0, N_THRUSTER_CHANNELS - 1))
        if len(r.problems) == n_before:
            thruster_records.append(rec)
    if r.problems:
        raise LevelError(r.problems, source)

    # density: the reference steps with the file's inverse_mass; keep density unless it disagrees
    for b in bodies:
        if b is None or b.static:
            continue
        area = abs(_area(b.vertices)) if b.is_polygon else math.pi * b.radius ** 2
        file_mass = 1.0 / b.inverse_mass
        if abs(b.density * area - file_mass) > 1e-3 * file_mass:
            notes.append(f"{b.path}: density {b.density:g} gives mass {b.density * area:.4g} but the file's "
                         f"inverse_mass gives {file_mass:.4g}; used density {file_mass / area:.4g}")
            b.density = file_mass / area
        if b.inverse_inertia == 0.0:
            notes.append(f"{b.path}: inverse_inertia is 0 (cannot rotate) but the mass is finite; "
                         "Tumble lets it rotate")
    for b in bodies:
        if b is not None and b.static and b.inverse_inertia not in (None, 0.0):
            notes.append(f"{b.path}: inverse_mass is 0 but inverse_inertia is not (a pinned spinning body); "
                         "imported as static")

    # the boundary boxes
    mobile_modes = {b.mode for g, b in enumerate(bodies) if b is not None and g >= min(n_fixed, n_poly)}
    boundary_sides: dict[str, Wall] = {}
    wall_of: dict[int, str] = {}  # global index of a boundary box -> its side
    boundary_friction: float | None = None
    boundary_restitution = 0.0
    for g in range(min(n_fixed, n_poly)):
        b = bodies[g]
        path = f"env_state.polygon[{g}]"
        if b is None:
            notes.append(f"{path}: an inactive boundary box; that side is open unless another box covers it")
            continue
        side = _match_wall(b)
        why = None
        if side is None:
            why = "not the standard geometry"
        elif side in boundary_sides:
            why = f"a second {side}"
        elif not b.static:
            why = "not static"
        elif not all(_should_collide(b.mode, m) for m in mobile_modes):
            why = f"collision mode {b.mode} (Tumble's walls meet every shape)"
        elif boundary_friction is not None and (b.friction != boundary_friction
                                                or b.restitution != boundary_restitution):
            why = "friction or restitution unlike the other walls (Tumble's walls share one)"
        if why is not None:
            notes.append(f"{path}: boundary box kept as a static polygon ({why})")
            continue
        boundary_sides[side] = Wall(STANDARD_WALLS[side][1], ROLES[b.role])
        wall_of[g] = side
        if boundary_friction is None:
            boundary_friction, boundary_restitution = b.friction, b.restitution
    if boundary_friction is None:
        boundary_friction = 1.0

    # shapes: emitted bodies in global order
    emitted = [g for g, b in enumerate(bodies) if b is not None and g not in wall_of]
    if not emitted:
        raise LevelError(["env_state: no active shapes besides the boundary"], source)
    shape_of = {g: k for k, g in enumerate(emitted)}
    use_bits = any(bodies[g].mode == 0 for g in emitted)
    fscale = p["base_friction"] * math.sqrt(2.0)
    shapes = []
    for g in emitted:
        b = bodies[g]
        cat, mask = _MODE_FILTER[b.mode] if use_bits else (1, -1)
        common = dict(position=(_f32(b.position[0]), _f32(b.position[1])), angle=_f32(b.rotation),
                      velocity=(_f32(b.velocity[0]), _f32(b.velocity[1])), angular_velocity=_f32(b.angular_velocity),
                      density=_f32(b.density) if not b.static else 1.0, friction=_f32(b.friction * fscale),
                      restitution=_f32(b.restitution), static=b.static, role=ROLES[b.role], category=cat, mask=mask)
        if g < min(n_fixed, n_poly):
            common["name"] = WALL_ORDER[g] if g < 4 else f"boundary {g}"
        if b.is_polygon:
            shapes.append(Polygon(vertices=tuple((_f32(x), _f32(y)) for x, y in b.vertices), **common))
        else:
            shapes.append(Circle(radius=_f32(b.radius), **common))
        if b.is_polygon and not b.static:
            off = float(np.hypot(*polygon_mass(np.array(b.vertices), 1.0).centroid))
            if off > 1e-3:
                notes.append(f"{b.path}: Tumble turns it about its centroid, {off:.3g} m from the point the "
                             "reference turns it about (its position)")
    if any(bodies[g].restitution > 0 for g in emitted) or boundary_restitution > 0:
        notes.append("restitution: the reference bounces with the smaller of two restitutions, Tumble with the larger")

    def inertia_inverse(g: int) -> float:
        """The inverse inertia the reference steps body ``g`` with (the file's; computed if absent)."""
        b = bodies[g]
        if b.static:
            return 0.0
        if b.inverse_inertia is not None:
            return b.inverse_inertia
        inertia = (circle_mass(b.radius, b.density).inertia if not b.is_polygon
                   else polygon_mass(np.array(b.vertices), b.density).inertia)
        return 1.0 / inertia

    # joints
    joints = []
    for rec in joint_records:
        path, ia, ib, lo, hi = rec.path, rec.ia, rec.ib, rec.lo, rec.hi
        if bodies[ia] is None or bodies[ib] is None:
            which = ", ".join(f"{k} {idx}" for k, idx in (("a_index", ia), ("b_index", ib)) if bodies[idx] is None)
            notes.append(f"{path}: dropped (it joins an inactive shape: {which})")
            continue
        a, b = bodies[ia], bodies[ib]
        point_a = np.add(a.position, _rot(a.rotation, rec.rel_a))
        point_b = np.add(b.position, _rot(b.rotation, rec.rel_b))
        gap = float(np.linalg.norm(point_a - point_b))
        if a.static:
            anchor = point_a
        elif b.static:
            anchor = point_b
        else:  # the reference's joint point: weighted by mass
            ma, mb = 1.0 / a.inverse_mass, 1.0 / b.inverse_mass
            anchor = (point_a * ma + point_b * mb) / (ma + mb)
        if gap > ANCHOR_TOLERANCE:
            notes.append(f"{path}: the two ends are {gap:.3g} m apart; anchored at the reference's joint point "
                         f"({anchor[0]:.3f}, {anchor[1]:.3f}) and the solver closes the gap")
        # ends: a boundary wall end becomes the world, always as end a
        end_a, end_b, sign = shape_of.get(ia), shape_of.get(ib), 1.0
        if ia in wall_of and ib in wall_of:
            notes.append(f"{path}: dropped (it joins two boundary walls)")
            continue
        if ib in wall_of:
            end_a, end_b, sign = None, shape_of[ia], -1.0
        if ia in wall_of or ib in wall_of:
            notes.append(f"{path}: joins the {wall_of.get(ia) or wall_of.get(ib)} boundary wall, imported as a joint "
                         "to the world (the reference also stops that joint chain touching that wall)")
        # limits and offsets: Tumble's joint angle is sign * (rot_b - rot_a) minus its initial value
        offset = (b.rotation - a.rotation) - rec.rotation
        if rec.fixed:
            if abs(math.remainder(offset, 2 * math.pi)) > 1e-4:
                notes.append(f"{path}: fixed joint {offset:.4g} rad away from its reference angle; the reference "
                             "turns it there, Tumble holds the initial pose")
            joints.append(Joint(b=end_b, a=end_a, anchor=(_f32(anchor[0]), _f32(anchor[1])), kind="fixed"))
            continue
        limits = None
        if rec.has_limits:
            lower, upper = lo - offset, hi - offset
            if sign < 0:
                lower, upper = -upper, -lower
            limits = (_f32(lower), _f32(upper))
            if not limits[0] - 1e-6 <= 0.0 <= limits[1] + 1e-6:
                notes.append(f"{path}: the initial pose is outside the joint limits [{lo:.4g}, {hi:.4g}] "
                             f"(it starts at {offset:.4g}); the limit pushes it back")
        motor = None
        if rec.motor_on:
            inv_sum = inertia_inverse(ia) + inertia_inverse(ib)  # a boundary wall is static: 0
            target = rec.speed * p["base_motor_speed"]
            if inv_sum == 0.0:
                notes.append(f"{path}: motor dropped (both ends are static)")
            else:
                torque = motor_max_torque(p["base_motor_power"] * rec.power, 1.0 / inv_sum,
                                          p["motor_decay_coefficient"], target)
                motor = Motor(speed=_f32(sign * target), max_torque=_f32(torque), channel=rec.channel, idle="free")
        joints.append(Joint(b=end_b, a=end_a, anchor=(_f32(anchor[0]), _f32(anchor[1])), motor=motor,
                            limits=limits))

    # thrusters
    thrusters = []
    for rec in thruster_records:
        path, g, power = rec.path, rec.body, rec.power
        b = bodies[g]
        if b is None:
            notes.append(f"{path}: dropped (its shape {g} is inactive)")
            continue
        if g in wall_of:
            notes.append(f"{path}: dropped (it sits on the {wall_of[g]} boundary wall, which cannot move)")
            continue
        point = np.add(b.position, _rot(b.rotation, rec.rel))
        world_angle = rec.rotation + b.rotation
        if power < 0:  # a negative power pushes backwards
            power, world_angle = -power, world_angle + math.pi
        world_angle = math.remainder(world_angle, 2 * math.pi)
        thrusters.append(Thruster(body=shape_of[g], point=(_f32(point[0]), _f32(point[1])), angle=_f32(world_angle),
                                  max_force=_f32(power * p["base_thruster_power"]), channel=rec.channel))
    if r.problems:
        raise LevelError(r.problems, source)

    # size
    need = (sum(isinstance(s, Polygon) for s in shapes), sum(isinstance(s, Circle) for s in shapes), len(joints),
            len(thrusters), max([len(s.vertices) for s in shapes if isinstance(s, Polygon)], default=3))
    size: str | CustomSize
    if "static_env_params" in top:
        counts = tuple(r.integer(sp, k, "static_env_params", n, 0) for k, n in (
            ("num_polygons", n_poly), ("num_circles", len(raw_circles)), ("num_joints", len(raw_joints)),
            ("num_thrusters", len(raw_thrusters))))
        max_v = r.integer(sp, "max_polygon_vertices", "static_env_params", STATIC_DEFAULTS["max_polygon_vertices"],
                          3)
        if r.problems:
            raise LevelError(r.problems, source)
        named = next((k for k, v in KINETIX_SIZES.items() if v == counts), None)
        cap = SIZES.get(named) if named and max_v == 4 and n_fixed == 4 else None
        if cap is not None and all(n <= c for n, c in zip(need, (cap.n_polygons, cap.n_circles, cap.n_joints,
                                                                  cap.n_thrusters, cap.max_vertices))):
            size = named
        else:
            declared = (max(counts[0] - n_fixed, 0), counts[1], counts[2], counts[3], min(max_v, 8))
            size = CustomSize(*(max(a, b) for a, b in zip(declared[:4], need[:4])), max_vertices=max(declared[4],
                                                                                                    need[4], 3))
            notes.append(f"size: custom {size.polygons}/{size.circles}/{size.joints}/{size.thrusters} "
                         "(polygons/circles/joints/thrusters), not one of the reference's s, m, l")
    else:
        size = smallest_size(*need) or CustomSize(*need[:4], max_vertices=max(need[4], 3))

    size_label = size if isinstance(size, str) else "custom"
    boundary = Boundary(**{side: boundary_sides.get(side) for side in WALL_ORDER},
                        friction=_f32(boundary_friction * fscale), restitution=_f32(boundary_restitution))
    level = Level(
        name=name,
        shapes=tuple(shapes),
        joints=tuple(joints),
        thrusters=tuple(thrusters),
        size=size,
        description=f"imported from Kinetix {size_label}/{name}",
        family="kinetix",
        episode_length=episode_length,
        frame_skip=frame_skip,
        gravity=(_f32(gravity[0]), _f32(gravity[1])),
        dt=p["dt"],
        boundary=boundary,
        joint_chain_filter=True,
    )
    # the document must load as a Tumble level (capacity, limits, channels ...)
    parse_level(json.loads(dumps_level(level)), source)
    return KinetixConversion(level, tuple(notes), tuple(emitted))


def motor_max_torque(power: float, axial_mass: float, decay: float, target_speed: float) -> float:
    """Tumble's torque cap for a reference motor: the reference's torque averaged over its working range.

    The reference's motor torque at relative speed ``w`` (towards the target
    ``T``) is ``power * axial_mass * tanh(decay * (T - w))`` with ``power =
    base_motor_power * motor_power``: full strength when stalled, fading to 0
    at the target.  Its mean over ``w`` from 0 to ``T`` is ``power *
    axial_mass * ln(cosh(decay * T)) / (decay * T)``.
    """
    x = decay * abs(target_speed)
    if x == 0.0:
        return 0.0
    return power * axial_mass * math.log(math.cosh(x)) / x


def _area(vertices) -> float:
    v = np.asarray(vertices, np.float64)
    return 0.5 * float(np.sum(v[:, 0] * np.roll(v[:, 1], -1) - np.roll(v[:, 0], -1) * v[:, 1]))


def import_kinetix_level(data: Any, name: str) -> Level:
    """The Tumble :class:`Level` of a parsed Kinetix level file; raises :class:`LevelError` naming JSON paths."""
    return convert_kinetix_level(data, name).level


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LevelError([f"cannot read the file ({exc})"], str(path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LevelError([f"line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})"], str(path)) from None


def convert_kinetix_file(path: str | Path) -> KinetixConversion:
    """Convert one Kinetix level file (the level is named after the file's stem), with notes."""
    path = Path(path)
    return convert_kinetix_level(_read_json(path), path.stem, str(path))


def import_kinetix_file(path: str | Path) -> Level:
    """The Tumble :class:`Level` of one Kinetix level file, named after the file's stem."""
    return convert_kinetix_file(path).level


# --- files and folders ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FileReport:
    """What happened to one source file: written to ``dest`` (``error`` None) or not, and why."""

    source: Path
    dest: Path | None
    notes: tuple[str, ...] = ()
    error: str | None = None
    size: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


class KinetixImportError(LevelError):
    """Some files of an import failed; ``failures`` holds (source, reason), ``written`` the (source, dest) done."""

    def __init__(self, failures: list[tuple[Path, str]], written: list[tuple[Path, Path]]) -> None:
        self.failures = list(failures)
        self.written = list(written)
        super().__init__([f"{src}: {why}" for src, why in failures])


def _plan(src: Path, dest: Path) -> list[tuple[Path, Path]]:
    """(source, destination) pairs; raises ``LevelError`` if ``src`` has nothing to convert."""
    if src.is_file():
        if dest.suffix.lower() == ".json" and not dest.is_dir():
            return [(src, dest)]
        return [(src, dest / f"{src.stem}.json")]
    if not src.is_dir():
        raise LevelError([f"{src}: no such file or folder"])
    if dest.suffix.lower() == ".json" and not dest.is_dir():
        raise LevelError([f"{dest}: the source is a folder, so the destination must be a folder, not a .json file"])
    out_root = dest.resolve()
    pairs = []
    for path in sorted(src.rglob("*.json")):
        if not path.is_file():
            continue
        resolved = path.resolve()
        if out_root != src.resolve() and out_root in resolved.parents:
            continue  # our own output inside the source tree
        pairs.append((path, dest / path.relative_to(src)))
    if not pairs:
        raise LevelError([f"{src}: no .json files in this folder"])
    return pairs


def import_kinetix_report(src: str | Path, dest: str | Path, overwrite: bool = False) -> list[FileReport]:
    """Convert a Kinetix file or every ``*.json`` under a folder (keeping subfolders) into ``dest``.

    Never raises for one bad file: each gets a :class:`FileReport` (written,
    or the reason it was not).  An existing destination file is left alone
    unless ``overwrite``.  Raises :class:`LevelError` only when ``src`` holds
    nothing to convert.
    """
    src, dest = Path(src), Path(dest)
    reports = []
    for source, target in _plan(src, dest):
        try:
            if target.exists() and not overwrite:
                raise LevelError([f"{target} already exists (pass overwrite=True, or --overwrite on the command "
                                  "line, to replace it)"])
            conv = convert_kinetix_file(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            save_level(conv.level, target)
        except LevelError as exc:
            reason = "; ".join(exc.problems)
            reports.append(FileReport(source, target, error=reason))
            continue
        except OSError as exc:
            reports.append(FileReport(source, target, error=f"cannot write {target} ({exc})"))
            continue
        size = conv.level.size if isinstance(conv.level.size, str) else "custom"
        reports.append(FileReport(source, target, conv.notes, size=size))
    return reports


def import_kinetix(src: str | Path, dest: str | Path, overwrite: bool = False) -> list[tuple[Path, Path]]:
    """Convert a Kinetix file or folder tree into ``dest``; return the (source, written file) pairs.

    Every file is attempted; if any failed, :class:`KinetixImportError` is
    raised afterwards, carrying ``failures`` (source, reason) and ``written``.
    """
    reports = import_kinetix_report(src, dest, overwrite)
    written = [(rep.source, rep.dest) for rep in reports if rep.ok]
    failures = [(rep.source, rep.error) for rep in reports if not rep.ok]
    if failures:
        raise KinetixImportError(failures, written)
    return written


def _default_echo(message: str = "", err: bool = False) -> None:
    print(message, file=sys.stderr if err else sys.stdout)


def run_import_cli(src: str | Path, dest: str | Path, overwrite: bool = False,
                   echo: Callable[..., None] = _default_echo) -> int:
    """Run an import and print one line per file (plus its notes); exit code 0 all ok, 1 some failed, 2 nothing."""
    try:
        reports = import_kinetix_report(src, dest, overwrite)
    except LevelError as exc:
        echo(f"error: {'; '.join(exc.problems)}", err=True)
        return 2
    for rep in reports:
        if rep.ok:
            echo(f"{rep.source} -> {rep.dest} (size {rep.size})")
            for note in rep.notes:
                echo(f"    note: {note}")
        else:
            echo(f"{rep.source}: FAILED: {rep.error}", err=True)
    bad = sum(not rep.ok for rep in reports)
    echo(f"converted {len(reports) - bad} of {len(reports)} files" + (f"; {bad} failed" if bad else ""), err=True)
    return 1 if bad else 0
