"""The scene: a fixed-capacity, struct-of-arrays pytree of bodies and constraints.

Every shape is one rigid body (as in Kinetix).  Bodies are indexed
``0 .. n_polygons-1`` for polygons, then ``n_polygons .. n_bodies-1`` for
circles.  Unused slots have ``active = False`` and cost nothing but their
share of the fixed-shape work, so one compiled step serves every scene of a
:class:`Capacity`.  A body's ``position`` is its centre of mass; polygon
vertices are stored in the body frame around that centre.

Joint body index ``-1`` means the static world; the solver maps it to an extra
"ground" slot (index ``n_bodies``) with zero velocity and infinite mass.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from tumble.physics.pytree import pytree_dataclass, static_field
from tumble.physics.schedule import pair_schedule

WORLD = -1  # joint body index meaning "the static world"
MIN_VERTICES = 3
MAX_VERTICES = 8

# world boundary walls, in this order
FLOOR, LEFT_WALL, RIGHT_WALL, CEILING = 0, 1, 2, 3
N_WALLS = 4
# each wall's inward unit normal: a body is inside when dot(n, x) >= the wall's offset
WALL_NORMALS = ((0.0, 1.0), (1.0, 0.0), (-1.0, 0.0), (0.0, -1.0))


@dataclasses.dataclass(frozen=True)
class Capacity:
    """Static sizes of a scene; scenes of one capacity share one compiled step."""

    n_polygons: int = 4
    n_circles: int = 2
    n_joints: int = 2
    n_thrusters: int = 2
    max_vertices: int = 4

    def __post_init__(self) -> None:
        for name in ("n_polygons", "n_circles", "n_joints", "n_thrusters"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"Capacity.{name} must be a non-negative integer, got {value!r}")
        if self.n_polygons + self.n_circles < 1:
            raise ValueError("Capacity needs room for at least one polygon or circle")
        if not MIN_VERTICES <= self.max_vertices <= MAX_VERTICES:
            raise ValueError(
                f"Capacity.max_vertices must be in [{MIN_VERTICES}, {MAX_VERTICES}], got {self.max_vertices}"
            )

    @property
    def n_bodies(self) -> int:
        return self.n_polygons + self.n_circles


@pytree_dataclass
class BodyState:
    """Per-body kinematic state [n_bodies]: the hot data of every step."""

    position: jax.Array  # f32[N, 2] centre of mass, world frame
    angle: jax.Array  # f32[N] radians, unwrapped
    velocity: jax.Array  # f32[N, 2]
    angular_velocity: jax.Array  # f32[N]


@pytree_dataclass
class BodyProps:
    """Per-body constant properties [n_bodies]."""

    active: jax.Array  # bool[N]
    inv_mass: jax.Array  # f32[N], 0 for static bodies
    inv_inertia: jax.Array  # f32[N], 0 for static bodies
    density: jax.Array  # f32[N]
    friction: jax.Array  # f32[N]
    restitution: jax.Array  # f32[N]
    bounding_radius: jax.Array  # f32[N] distance from centre to farthest point
    category: jax.Array  # i32[N] collision category bits
    mask: jax.Array  # i32[N] bits of the categories it collides with


@pytree_dataclass
class PolygonShapes:
    """Convex polygon geometry [n_polygons, max_vertices], counter-clockwise.

    Slots past ``n_vertices`` repeat vertex 0, so a min over all vertices is
    exact without masking; edge quantities past ``n_vertices`` are masked.
    """

    vertices: jax.Array  # f32[P, V, 2] body frame, around the centre of mass
    normals: jax.Array  # f32[P, V, 2] outward unit normal of edge i -> i+1
    n_vertices: jax.Array  # i32[P]


@pytree_dataclass
class CircleShapes:
    radius: jax.Array  # f32[C]


@pytree_dataclass
class Joints:
    """Revolute and fixed (weld) joints [n_joints], with warm-start impulses."""

    active: jax.Array  # bool[J]
    body_a: jax.Array  # i32[J], WORLD (-1) for the static world
    body_b: jax.Array  # i32[J]
    local_anchor_a: jax.Array  # f32[J, 2] in A's frame around its centre (world point for WORLD)
    local_anchor_b: jax.Array  # f32[J, 2]
    reference_angle: jax.Array  # f32[J] angle_b - angle_a when built
    is_fixed: jax.Array  # bool[J] weld joint (no relative rotation)
    motor_enabled: jax.Array  # bool[J]
    motor_speed: jax.Array  # f32[J] target relative angular speed at control 1
    max_motor_torque: jax.Array  # f32[J]
    limit_enabled: jax.Array  # bool[J]
    lower_angle: jax.Array  # f32[J]
    upper_angle: jax.Array  # f32[J]
    collide_connected: jax.Array  # bool[J]
    linear_impulse: jax.Array  # f32[J, 2] warm start
    angular_impulse: jax.Array  # f32[J] weld angular warm start
    motor_impulse: jax.Array  # f32[J]
    lower_impulse: jax.Array  # f32[J]
    upper_impulse: jax.Array  # f32[J]


@pytree_dataclass
class Thrusters:
    """Body-fixed forces [n_thrusters]; force = control * max_force along the direction."""

    active: jax.Array  # bool[T]
    body: jax.Array  # i32[T]
    local_point: jax.Array  # f32[T, 2] body frame, around the centre of mass
    local_angle: jax.Array  # f32[T] direction of the force in the body frame
    max_force: jax.Array  # f32[T] newtons


@pytree_dataclass
class Boundary:
    """Optional world boundary: floor, left wall, right wall, ceiling (half-planes).

    It lives outside the polygon budget.  ``position`` holds the floor's y, the
    left wall's x, the right wall's x and the ceiling's y.
    """

    active: jax.Array  # bool[4]
    position: jax.Array  # f32[4]
    friction: jax.Array  # f32[4]
    restitution: jax.Array  # f32[4]


@pytree_dataclass
class ContactCache:
    """Contact impulses kept between steps for warm starting, keyed by feature id."""

    pair_id: jax.Array  # i32[R, L, 2] (round-robin lane layout)
    pair_normal_impulse: jax.Array  # f32[R, L, 2]
    pair_tangent_impulse: jax.Array  # f32[R, L, 2]
    wall_id: jax.Array  # i32[N, 4, 2]
    wall_normal_impulse: jax.Array  # f32[N, 4, 2]
    wall_tangent_impulse: jax.Array  # f32[N, 4, 2]


@pytree_dataclass
class Scene:
    """A whole scene of one :class:`Capacity`; a leading batch axis stacks many."""

    state: BodyState
    props: BodyProps
    polygons: PolygonShapes
    circles: CircleShapes
    joints: Joints
    thrusters: Thrusters
    boundary: Boundary
    cache: ContactCache
    joint_chain_filter: jax.Array  # bool[]: bodies anywhere in one joint chain never collide
    capacity: Capacity = static_field()


def empty_scene(capacity: Capacity) -> Scene:
    """A scene of ``capacity`` with every slot inactive and no boundary."""
    n, p, c = capacity.n_bodies, capacity.n_polygons, capacity.n_circles
    j, t, v = capacity.n_joints, capacity.n_thrusters, capacity.max_vertices
    sched = pair_schedule(n, p)
    r, l = sched.rounds, sched.lanes
    f32 = lambda *s: np.zeros(s, np.float32)  # noqa: E731
    i32 = lambda *s: np.zeros(s, np.int32)  # noqa: E731
    b = lambda *s: np.zeros(s, bool)  # noqa: E731
    all_bits = np.full((n,), -1, np.int32)
    scene = Scene(
        state=BodyState(position=f32(n, 2), angle=f32(n), velocity=f32(n, 2), angular_velocity=f32(n)),
        props=BodyProps(
            active=b(n), inv_mass=f32(n), inv_inertia=f32(n), density=f32(n), friction=f32(n),
            restitution=f32(n), bounding_radius=f32(n), category=np.ones((n,), np.int32), mask=all_bits,
        ),
        polygons=PolygonShapes(vertices=f32(p, v, 2), normals=f32(p, v, 2), n_vertices=np.full((p,), 3, np.int32)),
        circles=CircleShapes(radius=f32(c)),
        joints=Joints(
            active=b(j), body_a=i32(j), body_b=i32(j), local_anchor_a=f32(j, 2), local_anchor_b=f32(j, 2),
            reference_angle=f32(j), is_fixed=b(j), motor_enabled=b(j), motor_speed=f32(j),
            max_motor_torque=f32(j), limit_enabled=b(j), lower_angle=f32(j), upper_angle=f32(j),
            collide_connected=b(j), linear_impulse=f32(j, 2), angular_impulse=f32(j), motor_impulse=f32(j),
            lower_impulse=f32(j), upper_impulse=f32(j),
        ),
        thrusters=Thrusters(active=b(t), body=i32(t), local_point=f32(t, 2), local_angle=f32(t), max_force=f32(t)),
        boundary=Boundary(
            active=b(4), position=np.array([0.0, 0.0, 5.0, 5.0], np.float32),
            friction=np.full((4,), 0.6, np.float32), restitution=f32(4),
        ),
        cache=ContactCache(
            pair_id=i32(r, l, 2), pair_normal_impulse=f32(r, l, 2), pair_tangent_impulse=f32(r, l, 2),
            wall_id=i32(n, 4, 2), wall_normal_impulse=f32(n, 4, 2), wall_tangent_impulse=f32(n, 4, 2),
        ),
        joint_chain_filter=np.array(False),
        capacity=capacity,
    )
    return jax.tree_util.tree_map(jnp.asarray, scene)


def stack_scenes(scenes: list[Scene]) -> Scene:
    """Stack scenes of one capacity along a new leading axis, for ``vmap``."""
    if not scenes:
        raise ValueError("stack_scenes needs at least one scene")
    caps = {s.capacity for s in scenes}
    if len(caps) != 1:
        raise ValueError(f"all scenes must share one capacity to be stacked, got {sorted(map(str, caps))}")
    return jax.tree_util.tree_map(_stack_leaves, *scenes)


def _stack_leaves(*xs) -> jax.Array:
    # concrete leaves stack on the host: jnp.stack of thousands of arrays compiles one
    # concatenate with an operand each (minutes for 4096 scenes)
    if any(isinstance(x, jax.core.Tracer) for x in xs):
        return jnp.stack(xs)
    return jnp.asarray(np.stack([np.asarray(x) for x in xs]))


def unstack_scene(batch: Scene, index: int) -> Scene:
    """Take scene ``index`` out of a stacked batch."""
    return jax.tree_util.tree_map(lambda x: x[index], batch)
