"""Scripting API: build a scene in a few lines, as with Box2D or pymunk.

    b = SceneBuilder(gravity=(0, -9.81))
    ground = b.add_box(size=(40, 1), position=(0, -0.5), static=True)
    ball = b.add_circle(0.5, position=(0, 3), restitution=0.5)
    scene, params = b.build()
    traj = simulate(scene, params, 120)
    traj.position[-1, ball]

``add_*`` return handles; after :meth:`SceneBuilder.build` a handle is the
body's (or joint's) index in the scene: numpy and Python take it as an int,
JAX arrays need ``int(handle)``.
Every input is checked here, with errors naming the shape and the reason, so
that nothing invalid reaches the compiled step.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import jax.numpy as jnp
import numpy as np

from tumble.physics.geometry import SceneError, check_polygon, circle_mass, edge_normals, polygon_mass
from tumble.physics.params import SimParams
from tumble.physics.scene import WORLD, Capacity, Scene, empty_scene


class Handle:
    """A body, joint or thruster added to a builder; an ``int`` index once built."""

    def __init__(self, kind: str, label: str) -> None:
        self.kind = kind
        self.label = label
        self._index: int | None = None

    def __index__(self) -> int:
        if self._index is None:
            raise SceneError(f"{self.label}: indices are assigned by SceneBuilder.build(); build first")
        return self._index

    __int__ = __index__

    def __repr__(self) -> str:
        where = "unbuilt" if self._index is None else f"index {self._index}"
        return f"<{self.label} ({where})>"


@dataclass
class _Body:
    handle: Handle
    is_circle: bool
    vertices: np.ndarray | None  # CCW, around the centre of mass
    radius: float
    position: np.ndarray  # centre of mass, world
    angle: float
    velocity: np.ndarray
    angular_velocity: float
    mass: float
    inertia: float
    density: float
    friction: float
    restitution: float
    static: bool
    category: int
    mask: int


@dataclass
class _Joint:
    handle: Handle
    body_a: _Body | None
    body_b: _Body
    anchor: np.ndarray
    fixed: bool
    motor: bool = False
    motor_speed: float = 0.0
    max_motor_torque: float = 0.0
    limits: tuple[float, float] | None = None
    collide_connected: bool = False


@dataclass
class _Thruster:
    handle: Handle
    body: _Body
    point: np.ndarray
    angle: float
    max_force: float


@dataclass
class _Boundary:
    position: list[float | None] = field(default_factory=lambda: [None] * 4)
    friction: float = 0.6
    restitution: float = 0.0


def _finite(value: Any, what: str, size: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise SceneError(f"{what} must be numeric, got {value!r}") from None
    if size is not None and arr.shape != (size,):
        raise SceneError(f"{what} must have {size} numbers, got {value!r}")
    if not np.all(np.isfinite(arr)):
        raise SceneError(f"{what} must be finite, got {value!r}")
    return arr


def _scalar(value: Any, what: str, low: float | None = None, high: float | None = None, strict_low: bool = False) -> float:
    x = float(_finite(value, what))
    if low is not None and (x <= low if strict_low else x < low):
        raise SceneError(f"{what} must be {'>' if strict_low else '>='} {low}, got {x}")
    if high is not None and x > high:
        raise SceneError(f"{what} must be <= {high}, got {x}")
    return x


class SceneBuilder:
    """Collects bodies, joints and thrusters, then builds a :class:`Scene` and :class:`SimParams`."""

    def __init__(
        self,
        gravity: tuple[float, float] = (0.0, -9.81),
        dt: float = 1.0 / 60.0,
        substeps: int = 5,
        max_vertices: int = 8,
    ) -> None:
        self.gravity = _finite(gravity, "gravity", 2)
        self.dt = _scalar(dt, "dt", 0.0, strict_low=True)
        if not isinstance(substeps, int) or substeps < 1:
            raise SceneError(f"substeps must be a positive integer, got {substeps!r}")
        self.substeps = substeps
        if not 3 <= max_vertices <= 8:
            raise SceneError(f"max_vertices must be in [3, 8], got {max_vertices}")
        self.max_vertices = max_vertices
        self._bodies: list[_Body] = []
        self._joints: list[_Joint] = []
        self._thrusters: list[_Thruster] = []
        self._boundary = _Boundary()
        self.joint_chain_filter = False

    # --- world ------------------------------------------------------------------------
    def set_gravity(self, gravity: tuple[float, float]) -> None:
        """Set the world's gravity vector (m/s^2)."""
        self.gravity = _finite(gravity, "gravity", 2)

    def set_dt(self, dt: float) -> None:
        """Set the step length in seconds."""
        self.dt = _scalar(dt, "dt", 0.0, strict_low=True)

    def set_boundary(
        self,
        floor: float | None = 0.4,
        left: float | None = 0.0,
        right: float | None = 5.0,
        ceiling: float | None = 5.0,
        friction: float = 0.6,
        restitution: float = 0.0,
    ) -> None:
        """Enable a world boundary of half-planes (``None`` leaves a side open); no polygon budget used."""
        values = [floor, left, right, ceiling]
        for name, value in zip(("floor", "left", "right", "ceiling"), values):
            if value is not None:
                _scalar(value, f"boundary {name}")
        if left is not None and right is not None and right <= left:
            raise SceneError(f"boundary: right wall ({right}) must be right of the left wall ({left})")
        if floor is not None and ceiling is not None and ceiling <= floor:
            raise SceneError(f"boundary: ceiling ({ceiling}) must be above the floor ({floor})")
        self._boundary = _Boundary(
            [None if x is None else float(x) for x in values],
            _scalar(friction, "boundary friction", 0.0),
            _scalar(restitution, "boundary restitution", 0.0, 1.0),
        )

    # --- bodies -----------------------------------------------------------------------
    def _add_body(self, label: str, is_circle: bool, vertices, radius, position, angle, density, friction,
                  restitution, static, velocity, angular_velocity, category, mask) -> Handle:
        position = _finite(position, f"{label}: position", 2)
        angle = _scalar(angle, f"{label}: angle")
        density = _scalar(density, f"{label}: density", 0.0, strict_low=True)
        friction = _scalar(friction, f"{label}: friction", 0.0)
        restitution = _scalar(restitution, f"{label}: restitution", 0.0, 1.0)
        velocity = _finite(velocity, f"{label}: velocity", 2)
        angular_velocity = _scalar(angular_velocity, f"{label}: angular_velocity")
        for name, bits in (("category", category), ("mask", mask)):
            if not isinstance(bits, (int, np.integer)) or not -(2**31) <= int(bits) < 2**32:
                raise SceneError(f"{label}: {name} must be an integer bit mask, got {bits!r}")
        if is_circle:
            props = circle_mass(radius, density)
            local = None
        else:
            props = polygon_mass(vertices, density)
            local = vertices - props.centroid
        centre = position + _rotate(angle, props.centroid)
        handle = Handle("body", label)
        self._bodies.append(
            _Body(handle, is_circle, local, radius, centre, angle, velocity, angular_velocity, props.mass,
                  props.inertia, density, friction, restitution, bool(static),
                  int(np.int32(np.uint32(int(category) & 0xFFFFFFFF))), int(np.int32(np.uint32(int(mask) & 0xFFFFFFFF))))
        )
        return handle

    def add_polygon(self, vertices, position=(0.0, 0.0), angle=0.0, density=1.0, friction=0.6, restitution=0.0,
                    static=False, velocity=(0.0, 0.0), angular_velocity=0.0, name: str | None = None,
                    category: int = 1, mask: int = -1) -> Handle:
        """Add a convex polygon whose ``vertices`` are given in the body frame placed at ``position``.

        Clockwise vertices are reversed (with a warning).  The body's reported
        position is the polygon's centroid.
        """
        label = f"polygon {len(self._bodies)}" + (f" ({name!r})" if name else "")
        verts, flipped = check_polygon(vertices, self.max_vertices, label)
        if flipped:
            warnings.warn(f"{label}: vertices were clockwise; reversed to counter-clockwise", stacklevel=2)
        return self._add_body(label, False, verts, 0.0, position, angle, density, friction, restitution, static,
                              velocity, angular_velocity, category, mask)

    def add_box(self, size=(1.0, 1.0), position=(0.0, 0.0), angle=0.0, **kwargs) -> Handle:
        """Add a rectangle of ``size`` (width, height) centred at ``position``."""
        w, h = _finite(size, "box size", 2)
        if w <= 0 or h <= 0:
            raise SceneError(f"box {len(self._bodies)}: size must be positive, got {tuple(size)}")
        verts = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
        return self.add_polygon(verts, position, angle, **kwargs)

    def add_circle(self, radius, position=(0.0, 0.0), angle=0.0, density=1.0, friction=0.6, restitution=0.0,
                   static=False, velocity=(0.0, 0.0), angular_velocity=0.0, name: str | None = None,
                   category: int = 1, mask: int = -1) -> Handle:
        """Add a solid circle of ``radius`` centred at ``position``."""
        label = f"circle {len(self._bodies)}" + (f" ({name!r})" if name else "")
        radius = _scalar(radius, f"{label}: radius", 0.0, strict_low=True)
        return self._add_body(label, True, None, radius, position, angle, density, friction, restitution, static,
                              velocity, angular_velocity, category, mask)

    # --- joints and thrusters ------------------------------------------------------------
    def _body(self, handle: Any, what: str, allow_world: bool = False) -> _Body | None:
        if handle is None and allow_world:
            return None
        for body in self._bodies:
            if body.handle is handle:
                return body
        raise SceneError(f"{what}: {handle!r} is not a body of this builder")

    def _add_joint(self, body_a, body_b, anchor, fixed: bool, **kw) -> Handle:
        label = f"joint {len(self._joints)}"
        a = self._body(body_a, f"{label}: body_a", allow_world=True)
        b = self._body(body_b, f"{label}: body_b")
        if a is b:
            raise SceneError(f"{label}: joins a body to itself")
        handle = Handle("joint", label)
        self._joints.append(_Joint(handle, a, b, _finite(anchor, f"{label}: anchor", 2), fixed, **kw))
        return handle

    def add_revolute_joint(self, body_a, body_b, anchor, enable_motor=False, motor_speed=0.0, max_motor_torque=0.0,
                           lower_angle=None, upper_angle=None, collide_connected=False) -> Handle:
        """Pin ``body_b`` to ``body_a`` (``None``: the world) at the world point ``anchor``.

        With ``enable_motor`` the relative angular speed is driven towards
        ``control * motor_speed`` with at most ``max_motor_torque``.  Angle
        limits bound ``angle_b - angle_a`` relative to the built pose.
        """
        label = f"joint {len(self._joints)}"
        speed = _scalar(motor_speed, f"{label}: motor_speed")
        torque = _scalar(max_motor_torque, f"{label}: max_motor_torque", 0.0)
        limits = None
        if (lower_angle is None) != (upper_angle is None):
            raise SceneError(f"{label}: give both lower_angle and upper_angle, or neither")
        if lower_angle is not None:
            lo, hi = _scalar(lower_angle, f"{label}: lower_angle"), _scalar(upper_angle, f"{label}: upper_angle")
            if lo > hi:
                raise SceneError(f"{label}: lower_angle {lo} is above upper_angle {hi}")
            limits = (lo, hi)
        return self._add_joint(body_a, body_b, anchor, False, motor=bool(enable_motor), motor_speed=speed,
                               max_motor_torque=torque, limits=limits, collide_connected=bool(collide_connected))

    def add_fixed_joint(self, body_a, body_b, anchor, collide_connected=False) -> Handle:
        """Weld ``body_b`` to ``body_a`` (``None``: the world) at the world point ``anchor``."""
        return self._add_joint(body_a, body_b, anchor, True, collide_connected=bool(collide_connected))

    def add_thruster(self, body, point, angle=0.0, max_force=1.0) -> Handle:
        """Attach a thruster at the world ``point`` pushing along world direction ``angle`` (radians)."""
        label = f"thruster {len(self._thrusters)}"
        b = self._body(body, f"{label}: body")
        handle = Handle("thruster", label)
        self._thrusters.append(
            _Thruster(handle, b, _finite(point, f"{label}: point", 2), _scalar(angle, f"{label}: angle"),
                      _scalar(max_force, f"{label}: max_force", 0.0))
        )
        return handle

    def set_joint_chain_filter(self, enabled: bool = True) -> None:
        """Kinetix's rule: no two bodies anywhere in one joint chain collide."""
        self.joint_chain_filter = bool(enabled)

    # --- build -----------------------------------------------------------------------------
    def minimal_capacity(self) -> Capacity:
        """The smallest capacity holding everything added so far."""
        n_circles = sum(b.is_circle for b in self._bodies)
        n_polygons = len(self._bodies) - n_circles
        if n_polygons + n_circles == 0:
            raise SceneError("the scene has no bodies; add a polygon or a circle first")
        return Capacity(n_polygons, n_circles, len(self._joints), len(self._thrusters), self.max_vertices)

    def build(self, capacity: Capacity | None = None) -> tuple[Scene, SimParams]:
        """Build the scene (in ``capacity``, by default the minimal one) and its parameters."""
        need = self.minimal_capacity()
        cap = capacity or need
        for name in ("n_polygons", "n_circles", "n_joints", "n_thrusters"):
            if getattr(need, name) > getattr(cap, name):
                raise SceneError(
                    f"capacity overflow: the scene has {getattr(need, name)} {name[2:]} but the capacity allows "
                    f"{getattr(cap, name)}"
                )
        polys = [b for b in self._bodies if not b.is_circle]
        circles = [b for b in self._bodies if b.is_circle]
        if polys and cap.max_vertices < max(len(b.vertices) for b in polys):
            raise SceneError(f"capacity overflow: a polygon has more than max_vertices={cap.max_vertices} vertices")
        for k, body in enumerate(polys):
            body.handle._index = k
        for k, body in enumerate(circles):
            body.handle._index = cap.n_polygons + k
        for k, joint in enumerate(self._joints):
            joint.handle._index = k
        for k, thruster in enumerate(self._thrusters):
            thruster.handle._index = k

        scene = empty_scene(cap)
        v = cap.max_vertices
        arrays = {k: np.array(x) for k, x in _flatten_bodies(scene).items()}
        vertices = np.zeros((cap.n_polygons, v, 2), np.float32)
        normals = np.zeros((cap.n_polygons, v, 2), np.float32)
        counts = np.full((cap.n_polygons,), 3, np.int32)
        radius = np.zeros((cap.n_circles,), np.float32)
        for body in self._bodies:
            i = int(body.handle)
            arrays["position"][i] = body.position
            arrays["angle"][i] = body.angle
            arrays["velocity"][i] = body.velocity
            arrays["angular_velocity"][i] = body.angular_velocity
            arrays["active"][i] = True
            arrays["inv_mass"][i] = 0.0 if body.static else 1.0 / body.mass
            arrays["inv_inertia"][i] = 0.0 if body.static else 1.0 / body.inertia
            arrays["density"][i] = body.density
            arrays["friction"][i] = body.friction
            arrays["restitution"][i] = body.restitution
            arrays["category"][i] = body.category
            arrays["mask"][i] = body.mask
            if body.is_circle:
                radius[i - cap.n_polygons] = body.radius
                arrays["bounding_radius"][i] = body.radius
            else:
                count = len(body.vertices)
                padded = np.concatenate([body.vertices, np.repeat(body.vertices[:1], v - count, axis=0)])
                nrm = edge_normals(body.vertices)
                vertices[i] = padded
                normals[i] = np.concatenate([nrm, np.repeat(nrm[-1:], v - count, axis=0)])
                counts[i] = count
                arrays["bounding_radius"][i] = float(np.max(np.linalg.norm(body.vertices, axis=1)))

        jarr = {k: np.array(x) for k, x in vars(scene.joints).items()}
        for k, joint in enumerate(self._joints):
            a, b = joint.body_a, joint.body_b
            angle_a = 0.0 if a is None else a.angle
            centre_a = np.zeros(2) if a is None else a.position
            jarr["active"][k] = True
            jarr["body_a"][k] = WORLD if a is None else int(a.handle)
            jarr["body_b"][k] = int(b.handle)
            jarr["local_anchor_a"][k] = _rotate(-angle_a, joint.anchor - centre_a)
            jarr["local_anchor_b"][k] = _rotate(-b.angle, joint.anchor - b.position)
            jarr["reference_angle"][k] = b.angle - angle_a
            jarr["is_fixed"][k] = joint.fixed
            jarr["motor_enabled"][k] = joint.motor
            jarr["motor_speed"][k] = joint.motor_speed
            jarr["max_motor_torque"][k] = joint.max_motor_torque
            jarr["limit_enabled"][k] = joint.limits is not None
            if joint.limits is not None:
                jarr["lower_angle"][k], jarr["upper_angle"][k] = joint.limits
            jarr["collide_connected"][k] = joint.collide_connected

        tarr = {k: np.array(x) for k, x in vars(scene.thrusters).items()}
        for k, th in enumerate(self._thrusters):
            tarr["active"][k] = True
            tarr["body"][k] = int(th.body.handle)
            tarr["local_point"][k] = _rotate(-th.body.angle, th.point - th.body.position)
            tarr["local_angle"][k] = th.angle - th.body.angle
            tarr["max_force"][k] = th.max_force

        bd = self._boundary
        boundary = scene.boundary.replace(
            active=jnp.array([x is not None for x in bd.position]),
            position=jnp.array([0.0 if x is None else x for x in bd.position], jnp.float32),
            friction=jnp.full((4,), bd.friction, jnp.float32),
            restitution=jnp.full((4,), bd.restitution, jnp.float32),
        )
        j = lambda x, dtype=None: jnp.asarray(x, dtype)  # noqa: E731
        scene = scene.replace(
            state=scene.state.replace(**{k: j(arrays[k], jnp.float32) for k in vars(scene.state)}),
            props=scene.props.replace(**{k: j(arrays[k]) for k in vars(scene.props)}),
            polygons=scene.polygons.replace(vertices=j(vertices), normals=j(normals), n_vertices=j(counts)),
            circles=scene.circles.replace(radius=j(radius)),
            joints=scene.joints.replace(**{k: j(x) for k, x in jarr.items()}),
            thrusters=scene.thrusters.replace(**{k: j(x) for k, x in tarr.items()}),
            boundary=boundary,
            joint_chain_filter=jnp.asarray(self.joint_chain_filter),
        )
        params = SimParams(gravity=tuple(float(g) for g in self.gravity), dt=self.dt, substeps=self.substeps)
        return scene, params


def _flatten_bodies(scene: Scene) -> dict[str, Any]:
    return {**vars(scene.state), **vars(scene.props)}


def _rotate(angle: float, v) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    v = np.asarray(v, np.float64)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])
