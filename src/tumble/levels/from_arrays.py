"""From arrays back to a level document: the inverse of :func:`~tumble.levels.compile.compile_level`.

:func:`level_from_arrays` reads one (unbatched) :class:`CompiledLevel`, for example
one made by the generator, and returns the :class:`~tumble.levels.model.Level` that
compiles back to it, so it can be saved as JSON.  Inactive slots are dropped; the
shapes are listed polygons first, then circles, in slot order.  The scene's current
state is taken as the initial pose: polygon vertices around the centre of mass (the
body's position), joint anchors and thruster points as world points computed from
their local coordinates.

``compile_level(level_from_arrays(c))`` reproduces ``c`` to float tolerance when the
active slots of each kind are packed at the front (as the compiler and the generator
lay them out) and every joint's reference angle is the difference of its bodies'
angles (true of any scene that has not been stepped).  Numbers are written as the
shortest decimals that read back as the same float32, so files stay readable.
"""

from __future__ import annotations

import math

import numpy as np

from tumble.levels.compile import AUTO_CHANNEL, NO_CHANNEL, CompiledLevel
from tumble.levels.model import (
    AUTO, ROLES, Boundary, Circle, CustomSize, Joint, Level, Motor, Polygon, Thruster, Wall,
)
from tumble.levels.sizes import SIZES
from tumble.physics import WORLD, Capacity

__all__ = ["level_from_arrays", "size_of_capacity"]


def _f(x) -> float:
    """The shortest decimal that reads back as the same float32."""
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def _same_or(x, default: float) -> float:
    """``default`` when it is the same float32 as ``x`` (keeps 1/60 exact in the document), else ``_f(x)``."""
    return default if np.float32(default) == np.float32(x) else _f(x)


def _vec(v) -> tuple[float, float]:
    return (_f(v[0]), _f(v[1]))


def _rotate(angle: float, v) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def size_of_capacity(cap: Capacity) -> str | CustomSize:
    """The size name (``s``, ``m``, ``l``) of a capacity, or a :class:`CustomSize`."""
    for name, named in SIZES.items():
        if named == cap:
            return name
    return CustomSize(cap.n_polygons, cap.n_circles, cap.n_joints, cap.n_thrusters, cap.max_vertices)


def level_from_arrays(compiled: CompiledLevel, name: str, *, description: str = "", family: str = "",
                      frame_skip: int = 2) -> Level:
    """The level document of one unbatched ``compiled`` level (see the module docstring)."""
    c = _host(compiled)
    scene = c.scene
    cap = scene.capacity
    if np.ndim(scene.props.active) != 1:
        raise ValueError("level_from_arrays takes one level; index a batch first (tumble.levels.unstack_level)")
    st, pr = scene.state, scene.props
    active = np.asarray(pr.active, bool)
    order = [i for i in range(cap.n_bodies) if active[i]]  # polygons come first in slot order
    shape_of = {slot: k for k, slot in enumerate(order)}

    shapes = []
    for slot in order:
        common = dict(
            position=_vec(st.position[slot]), angle=_f(st.angle[slot]), velocity=_vec(st.velocity[slot]),
            angular_velocity=_f(st.angular_velocity[slot]), density=_f(pr.density[slot]),
            friction=_f(pr.friction[slot]), restitution=_f(pr.restitution[slot]),
            static=bool(pr.inv_mass[slot] == 0.0), role=ROLES[int(c.roles[slot])],
            category=int(pr.category[slot]), mask=int(pr.mask[slot]),
        )
        if slot < cap.n_polygons:
            count = int(scene.polygons.n_vertices[slot])
            verts = tuple(_vec(v) for v in scene.polygons.vertices[slot][:count])
            shapes.append(Polygon(vertices=verts, **common))
        else:
            shapes.append(Circle(radius=_f(scene.circles.radius[slot - cap.n_polygons]), **common))

    def shape_index(body: int, what: str) -> int | None:
        if body == WORLD:
            return None
        if body not in shape_of:
            raise ValueError(f"{what} refers to body {body}, which is not active")
        return shape_of[body]

    jt = scene.joints
    joints = []
    for k in range(cap.n_joints):
        if not jt.active[k]:
            continue
        a = shape_index(int(jt.body_a[k]), f"joint {k}")
        b = shape_index(int(jt.body_b[k]), f"joint {k}")
        body_b = int(jt.body_b[k])
        anchor = st.position[body_b] + _rotate(float(st.angle[body_b]), jt.local_anchor_b[k])
        motor = None
        if jt.motor_enabled[k] and not jt.is_fixed[k]:
            channel = int(c.motor_channel[k])
            if channel == NO_CHANNEL:
                raise ValueError(f"joint {k} has a motor bound to no channel, which a level document cannot express")
            free = bool(getattr(c, "motor_free_at_zero", np.zeros(cap.n_joints, bool))[k])
            motor = Motor(speed=_f(jt.motor_speed[k]), max_torque=_f(jt.max_motor_torque[k]),
                          channel=AUTO if channel == AUTO_CHANNEL else channel, idle="free" if free else "brake")
        limits = None
        if jt.limit_enabled[k] and not jt.is_fixed[k]:
            limits = (_f(jt.lower_angle[k]), _f(jt.upper_angle[k]))
        joints.append(Joint(b=b, anchor=_vec(anchor), a=a, kind="fixed" if jt.is_fixed[k] else "revolute",
                            motor=motor, limits=limits, collide=bool(jt.collide_connected[k])))

    th = scene.thrusters
    thrusters = []
    for k in range(cap.n_thrusters):
        if not th.active[k]:
            continue
        body = int(th.body[k])
        index = shape_index(body, f"thruster {k}")
        channel = int(c.thruster_channel[k])
        if channel == NO_CHANNEL:
            raise ValueError(f"thruster {k} is bound to no channel, which a level document cannot express")
        point = st.position[body] + _rotate(float(st.angle[body]), th.local_point[k])
        thrusters.append(Thruster(body=index, point=_vec(point), angle=_f(float(st.angle[body]) + th.local_angle[k]),
                                  max_force=_f(th.max_force[k]), channel=channel))

    bd = scene.boundary
    walls = [Wall(at=_f(bd.position[i]), role=ROLES[int(c.wall_roles[i])]) if bd.active[i] else None
             for i in range(4)]
    boundary = None
    if any(w is not None for w in walls):
        boundary = Boundary(*walls, friction=_f(bd.friction[0]), restitution=_f(bd.restitution[0]))

    params = c.params
    return Level(
        name=name, shapes=tuple(shapes), joints=tuple(joints), thrusters=tuple(thrusters),
        size=size_of_capacity(cap), description=description, family=family,
        episode_length=int(c.episode_length), frame_skip=int(frame_skip),
        gravity=_vec(params.gravity), dt=_same_or(params.dt, 1.0 / 60.0), boundary=boundary,
        joint_chain_filter=bool(scene.joint_chain_filter),
    )


def _host(compiled: CompiledLevel) -> CompiledLevel:
    import jax

    return jax.tree_util.tree_map(np.asarray, compiled)
