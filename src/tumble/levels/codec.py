"""Level files: JSON in, JSON out, with every problem named by its JSON path.

The format (``"format": "tumble-level"``, ``"version": 1``) lists entities
(shapes, joints, thrusters) in order; a joint or thruster names a shape by its
index in ``shapes``.  Fields at their default value are omitted on save, and
each entity takes one line, so files are small and diffs are readable.
:func:`parse_level` checks everything before building anything: a bad file
raises :class:`LevelError` listing each problem (``shapes[2].vertices: ...``)
and no partial level exists.  ``load(save(level)) == level`` exactly, and
``save`` is canonical (saving a loaded file reproduces it byte for byte).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from tumble.levels.model import (
    AUTO, N_MOTOR_CHANNELS, N_THRUSTER_CHANNELS, ROLES, WALLS, ActionRun, Boundary, Certificate, Circle, CustomSize,
    Joint, Level, Motor, Polygon, Thruster, Wall,
)
from tumble.levels.sizes import SIZES, capacity_of
from tumble.physics.geometry import SceneError, check_polygon

FORMAT = "tumble-level"
VERSION = 1


class LevelError(ValueError):
    """A level that cannot be loaded; ``problems`` holds one ``"path: reason"`` line per problem."""

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + ("invalid level:\n  " if len(problems) > 1 else "invalid level: ") + "\n  ".join(problems))


class _Missing:
    pass


_MISSING = _Missing()


class _Reader:
    """Reads typed values out of parsed JSON, recording a problem (and a placeholder) for each bad one."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, reason: str) -> None:
        self.problems.append(f"{path}: {reason}")

    def obj(self, value: Any, path: str, allowed: set[str], required: set[str] = frozenset()) -> dict | None:
        if not isinstance(value, dict):
            self.fail(path, f"must be an object, got {_kind(value)}")
            return None
        for key in value:
            if key not in allowed:
                self.fail(f"{path}.{key}" if path else key, f"unknown field (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required):
            if key not in value:
                self.fail(f"{path}.{key}" if path else key, "missing field")
        return value

    def number(self, d: dict, key: str, path: str, default: Any = _MISSING, low: float | None = None,
               high: float | None = None, strict_low: bool = False) -> float:
        where = f"{path}.{key}" if path else key
        if key not in d:
            if default is _MISSING:
                self.fail(where, "missing field")
                return 0.0
            return default
        v = d[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail(where, f"must be a number, got {_kind(v)}")
            return 0.0
        v = float(v)
        if not math.isfinite(v):
            self.fail(where, "must be finite")
        elif low is not None and (v <= low if strict_low else v < low):
            self.fail(where, f"must be {'>' if strict_low else '>='} {low:g}, got {v:g}")
        elif high is not None and v > high:
            self.fail(where, f"must be <= {high:g}, got {v:g}")
        return v

    def integer(self, d: dict, key: str, path: str, default: Any = _MISSING, low: int | None = None,
                high: int | None = None) -> int:
        where = f"{path}.{key}" if path else key
        if key not in d:
            if default is _MISSING:
                self.fail(where, "missing field")
                return 0
            return default
        v = d[key]
        if isinstance(v, bool) or not isinstance(v, int):
            self.fail(where, f"must be an integer, got {_kind(v)}")
            return 0
        if low is not None and v < low:
            self.fail(where, f"must be >= {low}, got {v}")
        elif high is not None and v > high:
            self.fail(where, f"must be <= {high}, got {v}")
        return v

    def boolean(self, d: dict, key: str, path: str, default: bool) -> bool:
        v = d.get(key, default)
        if not isinstance(v, bool):
            self.fail(f"{path}.{key}" if path else key, f"must be true or false, got {_kind(v)}")
            return default
        return v

    def string(self, d: dict, key: str, path: str, default: Any = _MISSING, choices: tuple[str, ...] | None = None) -> str:
        where = f"{path}.{key}" if path else key
        if key not in d:
            if default is _MISSING:
                self.fail(where, "missing field")
                return ""
            return default
        v = d[key]
        if not isinstance(v, str):
            self.fail(where, f"must be a string, got {_kind(v)}")
            return default if default is not _MISSING else ""
        if choices is not None and v not in choices:
            self.fail(where, f"must be one of {', '.join(choices)}, got {v!r}")
        return v

    def vector(self, d: dict, key: str, path: str, n: int = 2, default: Any = _MISSING,
               low: float | None = None, high: float | None = None) -> tuple[float, ...]:
        where = f"{path}.{key}" if path else key
        if key not in d:
            if default is _MISSING:
                self.fail(where, "missing field")
                return (0.0,) * n
            return default
        v = d[key]
        if type(v) is not list or len(v) != n or not all(type(x) is float or type(x) is int for x in v):
            self.fail(where, f"must be a list of {n} numbers, got {_short(v)}")
            return (0.0,) * n
        out = tuple(map(float, v))
        if not all(map(math.isfinite, out)):
            self.fail(where, "must be finite")
        elif low is not None and min(out) < low or high is not None and max(out) > high:
            self.fail(where, f"values must be in [{low:g}, {high:g}], got {_short(v)}")
        return out

    def items(self, d: dict, key: str, path: str) -> list:
        v = d.get(key, [])
        if not isinstance(v, list):
            self.fail(f"{path}.{key}" if path else key, f"must be a list, got {_kind(v)}")
            return []
        return v


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(v), type(v).__name__)


def _short(v: Any) -> str:
    text = json.dumps(v) if not isinstance(v, _Missing) else "nothing"
    return text if len(text) <= 60 else text[:57] + "..."


_SHAPE_KEYS = {"kind", "position", "angle", "velocity", "angular_velocity", "density", "friction", "restitution",
               "static", "role", "category", "mask", "name"}
_INT32 = (-(2**31), 2**32 - 1)


def _read_shape(r: _Reader, value: Any, path: str, max_vertices: int) -> Polygon | Circle | None:
    kind = value.get("kind") if isinstance(value, dict) else None
    if kind not in ("polygon", "circle"):
        if isinstance(value, dict):
            r.fail(f"{path}.kind", f"must be 'polygon' or 'circle', got {_short(value.get('kind', _MISSING))}")
        else:
            r.fail(path, f"must be an object, got {_kind(value)}")
        return None
    extra = {"vertices"} if kind == "polygon" else {"radius"}
    d = r.obj(value, path, _SHAPE_KEYS | extra, required=extra)
    common = dict(
        position=r.vector(d, "position", path, default=(0.0, 0.0)),
        angle=r.number(d, "angle", path, default=0.0),
        velocity=r.vector(d, "velocity", path, default=(0.0, 0.0)),
        angular_velocity=r.number(d, "angular_velocity", path, default=0.0),
        density=r.number(d, "density", path, default=1.0, low=0.0, strict_low=True),
        friction=r.number(d, "friction", path, default=0.6, low=0.0),
        restitution=r.number(d, "restitution", path, default=0.0, low=0.0, high=1.0),
        static=r.boolean(d, "static", path, False),
        role=r.string(d, "role", path, default="neutral", choices=ROLES),
        category=r.integer(d, "category", path, default=1, low=_INT32[0], high=_INT32[1]),
        mask=r.integer(d, "mask", path, default=-1, low=_INT32[0], high=_INT32[1]),
        name=r.string(d, "name", path, default=""),
    )
    if kind == "circle":
        return Circle(radius=r.number(d, "radius", path, low=0.0, strict_low=True), **common)
    raw = d.get("vertices")
    verts: tuple = ()
    if (not isinstance(raw, list) or any(not isinstance(p, list) or len(p) != 2 for p in raw)
            or any(isinstance(x, bool) or not isinstance(x, (int, float)) for p in raw for x in p)):
        r.fail(f"{path}.vertices", f"must be a list of [x, y] pairs, got {_short(raw)}")
    else:
        verts = tuple((float(x), float(y)) for x, y in raw)
        try:
            check_polygon(verts, max_vertices, "polygon")
        except SceneError as exc:
            r.fail(f"{path}.vertices", str(exc).removeprefix("polygon: "))
    return Polygon(vertices=verts, **common)


def _read_joint(r: _Reader, value: Any, path: str, n_shapes: int) -> Joint | None:
    d = r.obj(value, path, {"kind", "a", "b", "anchor", "motor", "limits", "collide"}, required={"b", "anchor"})
    if d is None:
        return None
    kind = r.string(d, "kind", path, default="revolute", choices=("revolute", "fixed"))
    a = d.get("a")
    if a is not None:
        a = r.integer(d, "a", path, low=0, high=n_shapes - 1)
    b = r.integer(d, "b", path, low=0, high=n_shapes - 1)
    if a is not None and a == b and "b" in d:
        r.fail(f"{path}.b", "joins a shape to itself")
    motor = None
    if d.get("motor") is not None:
        mpath = f"{path}.motor"
        m = r.obj(d["motor"], mpath, {"speed", "max_torque", "channel", "idle"}, required={"speed", "max_torque"})
        if m is not None:
            if kind == "fixed":
                r.fail(mpath, "a fixed joint cannot have a motor")
            channel = m.get("channel", 0)
            if channel != AUTO:
                channel = r.integer(m, "channel", mpath, default=0, low=0, high=N_MOTOR_CHANNELS - 1)
            motor = Motor(speed=r.number(m, "speed", mpath), max_torque=r.number(m, "max_torque", mpath, low=0.0),
                          channel=channel, idle=r.string(m, "idle", mpath, default="brake", choices=("brake", "free")))
    limits = None
    if d.get("limits") is not None:
        limits = r.vector(d, "limits", path)
        if kind == "fixed":
            r.fail(f"{path}.limits", "a fixed joint cannot have limits")
        elif limits[0] > limits[1]:
            r.fail(f"{path}.limits", f"lower {limits[0]:g} is above upper {limits[1]:g}")
    return Joint(b=b, anchor=r.vector(d, "anchor", path), a=a, kind=kind, motor=motor, limits=limits,
                 collide=r.boolean(d, "collide", path, False))


def _read_thruster(r: _Reader, value: Any, path: str, n_shapes: int) -> Thruster | None:
    d = r.obj(value, path, {"body", "point", "angle", "max_force", "channel"}, required={"body", "point", "max_force"})
    if d is None:
        return None
    return Thruster(
        body=r.integer(d, "body", path, low=0, high=n_shapes - 1),
        point=r.vector(d, "point", path),
        angle=r.number(d, "angle", path, default=0.0),
        max_force=r.number(d, "max_force", path, low=0.0),
        channel=r.integer(d, "channel", path, default=0, low=0, high=N_THRUSTER_CHANNELS - 1),
    )


def _read_boundary(r: _Reader, value: Any, path: str) -> Boundary | None:
    if value is None:
        return None
    d = r.obj(value, path, set(WALLS) | {"friction", "restitution"})
    if d is None:
        return Boundary()
    walls = {}
    for side in WALLS:
        if side not in d:  # omitted: the default wall; null: that side is open
            walls[side] = getattr(Boundary(), side)
            continue
        w = d[side]
        if w is None:
            walls[side] = None
            continue
        wd = r.obj(w, f"{path}.{side}", {"at", "role"}, required={"at"})
        walls[side] = None if wd is None else Wall(
            at=r.number(wd, "at", f"{path}.{side}"), role=r.string(wd, "role", f"{path}.{side}", "neutral", ROLES))
    if walls["left"] and walls["right"] and walls["right"].at <= walls["left"].at:
        r.fail(f"{path}.right.at", f"must be right of the left wall ({walls['left'].at:g})")
    if walls["floor"] and walls["ceiling"] and walls["ceiling"].at <= walls["floor"].at:
        r.fail(f"{path}.ceiling.at", f"must be above the floor ({walls['floor'].at:g})")
    return Boundary(**walls, friction=r.number(d, "friction", path, default=0.6, low=0.0),
                    restitution=r.number(d, "restitution", path, default=0.0, low=0.0, high=1.0))


def _read_size(r: _Reader, d: dict) -> str | CustomSize:
    v = d.get("size", "m")
    if isinstance(v, str):
        if v not in SIZES:
            r.fail("size", f"must be one of {', '.join(SIZES)} or an object of capacities, got {v!r}")
            return "m"
        return v
    s = r.obj(v, "size", {"polygons", "circles", "joints", "thrusters", "max_vertices"},
              required={"polygons", "circles", "joints", "thrusters"})
    if s is None:
        return "m"
    size = CustomSize(*(r.integer(s, k, "size", low=0, high=4096) for k in ("polygons", "circles", "joints", "thrusters")),
                      max_vertices=r.integer(s, "max_vertices", "size", default=4, low=3, high=8))
    if size.polygons + size.circles < 1:
        r.fail("size", "needs room for at least one polygon or circle")
    return size


_ZERO_MOTOR = (0.0,) * N_MOTOR_CHANNELS
_ZERO_THRUSTER = (0.0,) * N_THRUSTER_CHANNELS


def _channel_values(v: Any, n: int, low: float) -> tuple[float, ...] | None:
    if type(v) is not list or len(v) != n or not all(type(x) is float or type(x) is int for x in v):
        return None
    out = tuple(map(float, v))
    return out if all(low <= x <= 1.0 for x in out) else None  # NaN fails the comparison


def _quick_run(item: Any) -> ActionRun | None:
    """A well-formed action run without the per-field reader (certificates hold hundreds); None if in doubt."""
    if type(item) is not dict or not item.keys() <= {"steps", "motor", "thruster"}:
        return None
    steps = item.get("steps")
    if type(steps) is not int or steps < 1:
        return None
    motor = _channel_values(item["motor"], N_MOTOR_CHANNELS, -1.0) if "motor" in item else _ZERO_MOTOR
    thruster = _channel_values(item["thruster"], N_THRUSTER_CHANNELS, 0.0) if "thruster" in item else _ZERO_THRUSTER
    if motor is None or thruster is None:
        return None
    return ActionRun(steps, motor, thruster)


def _read_certificate(r: _Reader, value: Any) -> Certificate | None:
    if value is None:
        return None
    d = r.obj(value, "certificate", {"actions"}, required={"actions"})
    if d is None:
        return None
    runs = []
    for i, item in enumerate(r.items(d, "actions", "certificate")):
        run = _quick_run(item)
        if run is not None:
            runs.append(run)
            continue
        path = f"certificate.actions[{i}]"
        a = r.obj(item, path, {"steps", "motor", "thruster"}, required={"steps"})
        if a is None:
            continue
        runs.append(ActionRun(
            steps=r.integer(a, "steps", path, low=1),
            motor=r.vector(a, "motor", path, N_MOTOR_CHANNELS, (0.0,) * N_MOTOR_CHANNELS, -1.0, 1.0),
            thruster=r.vector(a, "thruster", path, N_THRUSTER_CHANNELS, (0.0,) * N_THRUSTER_CHANNELS, 0.0, 1.0),
        ))
    if not runs:
        r.fail("certificate.actions", "needs at least one action run")
    return Certificate(tuple(runs))


_TOP_KEYS = {"format", "version", "name", "description", "family", "size", "episode_length", "frame_skip",
             "gravity", "dt", "boundary", "joint_chain_filter", "shapes", "joints", "thrusters", "certificate"}


def parse_level(data: Any, source: str = "") -> Level:
    """Validate parsed JSON and return the :class:`Level`; raise :class:`LevelError` listing every problem."""
    r = _Reader()
    d = r.obj(data, "", _TOP_KEYS, required={"format", "version", "name", "shapes"})
    if d is None:
        raise LevelError(r.problems, source)
    if d.get("format") != FORMAT:
        r.fail("format", f"must be {FORMAT!r}, got {_short(d.get('format', _MISSING))} (a Kinetix file? use "
               "`tumble levels import-kinetix`)")
        raise LevelError(r.problems, source)
    version = d.get("version")
    if version != VERSION:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > VERSION
        r.fail("version", f"{version!r} is newer than this Tumble reads ({VERSION}); upgrade Tumble" if newer
               else f"must be {VERSION}, got {_short(version)}")
        raise LevelError(r.problems, source)
    size = _read_size(r, d)
    cap = capacity_of(size)
    raw_shapes = r.items(d, "shapes", "")
    if not raw_shapes and "shapes" in d:
        r.fail("shapes", "needs at least one shape")
    shapes = [_read_shape(r, s, f"shapes[{i}]", cap.max_vertices) for i, s in enumerate(raw_shapes)]
    n = len(raw_shapes)
    joints = [_read_joint(r, j, f"joints[{i}]", n) for i, j in enumerate(r.items(d, "joints", ""))]
    thrusters = [_read_thruster(r, t, f"thrusters[{i}]", n) for i, t in enumerate(r.items(d, "thrusters", ""))]
    n_poly = sum(isinstance(s, Polygon) for s in shapes)
    n_circ = sum(isinstance(s, Circle) for s in shapes)
    size_name = size if isinstance(size, str) else "custom"
    for what, count, room in (("polygons", n_poly, cap.n_polygons), ("circles", n_circ, cap.n_circles),
                              ("joints", len(joints), cap.n_joints), ("thrusters", len(thrusters), cap.n_thrusters)):
        if count > room:
            where = "shapes" if what in ("polygons", "circles") else what
            r.fail(where, f"over capacity: {count} {what} but size {size_name} holds {room}")
    level = Level(
        name=r.string(d, "name", ""),
        description=r.string(d, "description", "", default=""),
        family=r.string(d, "family", "", default=""),
        size=size,
        episode_length=r.integer(d, "episode_length", "", default=256, low=1),
        frame_skip=r.integer(d, "frame_skip", "", default=2, low=1),
        gravity=r.vector(d, "gravity", "", default=(0.0, -9.81)),
        dt=r.number(d, "dt", "", default=1.0 / 60.0, low=0.0, strict_low=True),
        boundary=_read_boundary(r, d["boundary"], "boundary") if "boundary" in d else Boundary(),
        joint_chain_filter=r.boolean(d, "joint_chain_filter", "", False),
        shapes=tuple(shapes), joints=tuple(joints), thrusters=tuple(thrusters),
        certificate=_read_certificate(r, d.get("certificate")),
    )
    if "name" in d and not level.name.strip():
        r.fail("name", "must not be empty")
    if r.problems:
        raise LevelError(r.problems, source)
    return level


def loads_level(text: str, source: str = "") -> Level:
    """Parse a level from JSON text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LevelError([f"line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})"], source) from None
    return parse_level(data, source)


def load_level(path: str | Path) -> Level:
    """Read and validate a level file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LevelError([f"cannot read the file ({exc})"], str(path)) from None
    return loads_level(text, str(path))


# --- writing ------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return _entity(value)
    if isinstance(value, tuple):
        return [float(x) if isinstance(x, int) and not isinstance(x, bool) else _plain(x) for x in value]
    return value


def _entity(obj: Any) -> dict:
    """A dataclass as an ordered dict without the fields at their default."""
    out = {}
    if "kind" in {f.name for f in dataclasses.fields(obj)}:
        out["kind"] = obj.kind
    for f in dataclasses.fields(obj):
        if f.name == "kind":
            continue
        value = getattr(obj, f.name)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if not required and value == (f.default if f.default is not dataclasses.MISSING else f.default_factory()):
            continue
        if f.type == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # canonical text: 1 and 1.0 are one value
        out[f.name] = _plain(value)
    return out


def level_to_dict(level: Level) -> dict:
    """The level as JSON-ready data (defaults omitted)."""
    out: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    body = _entity(level)
    order = ["name", "description", "family", "size", "episode_length", "frame_skip", "gravity", "dt", "boundary",
             "joint_chain_filter", "shapes", "joints", "thrusters", "certificate"]
    for key in order:
        if key in body:
            out[key] = body[key]
    return out


def dumps_level(level: Level) -> str:
    """Canonical JSON text: one line per entity, defaults omitted."""
    data = level_to_dict(level)
    line = lambda v: json.dumps(v, ensure_ascii=False, allow_nan=False)  # noqa: E731
    parts = []
    for key, value in data.items():
        if key in ("shapes", "joints", "thrusters") and value:
            inner = ",\n".join(f"    {line(x)}" for x in value)
            parts.append(f'  "{key}": [\n{inner}\n  ]')
        elif key == "certificate":
            inner = ",\n".join(f"    {line(x)}" for x in value["actions"])
            parts.append(f'  "certificate": {{"actions": [\n{inner}\n  ]}}')
        else:
            parts.append(f"  {line(key)}: {line(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def save_level(level: Level, path: str | Path) -> Path:
    """Write a level file atomically (a crash never leaves a half-written file); return its path."""
    path = Path(path)
    text = dumps_level(level)
    parse_level(json.loads(text), str(path))  # never write a file that would not load
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
