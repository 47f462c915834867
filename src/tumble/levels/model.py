"""A level as a plain document: shapes with roles, joints, thrusters, control bindings, metadata.

This is what a level file says, held in frozen dataclasses; it knows nothing
of JSON (see :mod:`tumble.levels.codec`) or of arrays (see
:mod:`tumble.levels.compile`).  Geometry is given as the user wrote it:
polygon vertices around the shape's ``position`` (rotated by ``angle``), joint
anchors and thruster points as world points of the initial pose.  Two levels
are equal exactly when their documents are equal, so ``load(save(level)) ==
level`` is the round-trip guarantee.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

ROLES = ("neutral", "green", "blue", "red")
NEUTRAL, GREEN, BLUE, RED = range(4)
N_MOTOR_CHANNELS = 4
N_THRUSTER_CHANNELS = 2
AUTO = "auto"  # a motor bound to no channel: always driven at +1
WALLS = ("floor", "left", "right", "ceiling")

Vec2 = tuple[float, float]
Role = Literal["neutral", "green", "blue", "red"]


@dataclass(frozen=True)
class Polygon:
    """A convex polygon body; ``vertices`` are around ``position`` in the body frame."""

    vertices: tuple[Vec2, ...]
    position: Vec2 = (0.0, 0.0)
    angle: float = 0.0
    velocity: Vec2 = (0.0, 0.0)
    angular_velocity: float = 0.0
    density: float = 1.0
    friction: float = 0.6
    restitution: float = 0.0
    static: bool = False
    role: Role = "neutral"
    category: int = 1
    mask: int = -1
    name: str = ""
    kind: Literal["polygon"] = "polygon"


@dataclass(frozen=True)
class Circle:
    """A solid circle body centred at ``position``."""

    radius: float
    position: Vec2 = (0.0, 0.0)
    angle: float = 0.0
    velocity: Vec2 = (0.0, 0.0)
    angular_velocity: float = 0.0
    density: float = 1.0
    friction: float = 0.6
    restitution: float = 0.0
    static: bool = False
    role: Role = "neutral"
    category: int = 1
    mask: int = -1
    name: str = ""
    kind: Literal["circle"] = "circle"


Shape = Polygon | Circle


@dataclass(frozen=True)
class Motor:
    """A revolute joint's motor: target relative speed (rad/s) at control 1, torque cap, channel.

    ``idle`` says what a channel value of exactly 0 does: ``"brake"`` drives the
    joint's relative speed to 0 (with at most ``max_torque``), ``"free"``
    releases the motor so the joint turns freely (the reference's behaviour).
    """

    speed: float
    max_torque: float
    channel: int | Literal["auto"] = 0
    idle: Literal["brake", "free"] = "brake"


@dataclass(frozen=True)
class Joint:
    """A revolute or fixed joint between shapes ``a`` (``None``: the world) and ``b`` at world point ``anchor``."""

    b: int
    anchor: Vec2
    a: int | None = None
    kind: Literal["revolute", "fixed"] = "revolute"
    motor: Motor | None = None
    limits: Vec2 | None = None  # bounds on angle_b - angle_a relative to the initial pose
    collide: bool = False  # whether the two joined shapes still collide


@dataclass(frozen=True)
class Thruster:
    """A force on shape ``body`` at world ``point`` along world direction ``angle``; channel 0 or 1."""

    body: int
    point: Vec2
    angle: float
    max_force: float
    channel: int = 0


@dataclass(frozen=True)
class Wall:
    """One side of the world boundary: its coordinate (y for floor/ceiling, x for sides) and role."""

    at: float
    role: Role = "neutral"


@dataclass(frozen=True)
class Boundary:
    """The world's walls (``None``: that side is open); they cost no shape budget."""

    floor: Wall | None = Wall(0.4)
    left: Wall | None = Wall(0.0)
    right: Wall | None = Wall(5.0)
    ceiling: Wall | None = Wall(5.0)
    friction: float = 0.6
    restitution: float = 0.0


@dataclass(frozen=True)
class CustomSize:
    """Explicit capacities for a level that fits none of the named sizes."""

    polygons: int
    circles: int
    joints: int
    thrusters: int
    max_vertices: int = 4


@dataclass(frozen=True)
class ActionRun:
    """``steps`` consecutive env steps of one action: motor channel values, thruster channel values."""

    steps: int
    motor: tuple[float, ...] = (0.0,) * N_MOTOR_CHANNELS
    thruster: tuple[float, ...] = (0.0,) * N_THRUSTER_CHANNELS


@dataclass(frozen=True)
class Certificate:
    """A stored action sequence (run-length encoded) that solves the level when replayed."""

    actions: tuple[ActionRun, ...]

    @property
    def steps(self) -> int:
        return sum(run.steps for run in self.actions)


@dataclass(frozen=True)
class Level:
    """A task: a scene, the roles of its shapes, control bindings and metadata."""

    name: str
    shapes: tuple[Shape, ...]
    joints: tuple[Joint, ...] = ()
    thrusters: tuple[Thruster, ...] = ()
    size: str | CustomSize = "m"
    description: str = ""
    family: str = ""
    episode_length: int = 256
    frame_skip: int = 2
    gravity: Vec2 = (0.0, -9.81)
    dt: float = 1.0 / 60.0
    boundary: Boundary | None = field(default_factory=Boundary)
    joint_chain_filter: bool = False
    certificate: Certificate | None = None

    def replace(self, **changes) -> "Level":
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    def wall_roles(self) -> tuple[str, ...]:
        """Role of floor, left, right, ceiling (``neutral`` for an open side)."""
        walls = [getattr(self.boundary, w) if self.boundary else None for w in WALLS]
        return tuple(w.role if w else "neutral" for w in walls)
