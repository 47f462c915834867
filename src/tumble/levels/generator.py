"""Procedural levels: random tasks in the reference's distribution, with its defects fixed.

:func:`generate` turns a PRNG key into a :class:`~tumble.levels.compile.CompiledLevel`
of a size (``s``, ``m``, ``l`` or a :class:`~tumble.physics.Capacity`).  It is pure
JAX with fixed shapes and ``lax`` control flow, so ``jit(vmap(generate))`` makes a
batch of levels in one call; the same key always gives the same level.
:func:`generate_batch` does exactly that.  The no-op filter (drop levels that doing
nothing solves) is in :mod:`tumble.levels.noop_filter`; :func:`generate_to_files`
writes levels as JSON documents.

The distribution follows the reference's ``sample_kinetix_level`` (kinetix-env 3.0.2):

1. an empty 5 x 5 m world with floor (y = 0.4), side walls and ceiling; the floor's
   role is neutral 0.90, blue 0.02, red 0.08;
2. a green and a blue free shape (the first one's role is drawn between the two
   missing ones; one of the two, chosen with p = 0.5, may not be fixed; each is put on
   "its" half of the world, green left and blue right, with p = 0.5);
3. a forced control, uniformly: thruster only, motor only, or both.  The motor is a
   new shape jointed to an existing one by a motorised revolute joint; without it a
   free shape is added instead;
4. the remaining shape slots: a jointed shape 0.35, a free shape 0.35, nothing 0.30;
5. the forced thruster (on a dynamic shape among the first three) and each spare
   thruster slot with p = 0.3 (on any dynamic shape);
6. with a neutral floor, green and blue swap roles with p = 0.5; finally the order of
   shapes, joints and thrusters is shuffled.

Shapes: rectangle or circle with p proportional to the free slots of each kind;
rectangle half extents U[0.05, 0.354] with one side doubled with p = 0.3; circle
radius U[0.1, 0.4]; random rotation; density 1.  A free shape is fixed (static) with
p = 0.02 + 4 x mass; a fixed green, blue or red shape is moved to the lower half of the
world with p = 0.6.  At most one red shape (p = 1/4 per neutral-or-red draw while none
exists).  A jointed shape attaches at a random point of a rectangle (the centre of a
circle) to a random point of a target chosen by weight (dynamic 1, fixed 0.05;
rectangles take at most two joints, circles one; never circle to circle); it is never
fixed, never green or blue when jointed to blue or green, and red only when jointed to
a neutral shape.  The first two joints are revolute, later ones revolute or fixed
0.5/0.5; a revolute joint has a motor with p = 0.8 (always for the forced motor) on a
random channel 0..3, target speed U[0.4, 3] x 6 rad/s, power U[1, 3] between two
rectangles and 1 with a circle, released (no torque) at channel value 0; limits with
p = 0.4 between two rectangles, lower U[-pi, 0], upper U[0, pi].  A thruster sits at a random point of its shape (uniform in
a rectangle; in a circle at radius U[0, r]), pushes along the line through the centre
of mass (either way) with p = 0.8 or in a random direction, on a random channel 0..1,
with the force of mass x U[10, 40] N.

Deviations from the reference (each one a defect of the reference or a mismatch of
engines; see ``docs/generator.md``):

- **No initial overlaps.**  Every shape is the first of ``candidates`` (default 8)
  independent proposals that keeps a clearance of 2 cm from every shape it is not
  jointed to and from the world boundary, and a jointed shape must stick out of its
  partner (the reference's "both visible" test) instead of paying a penalty; the
  reference keeps the least-overlapping of 8 proposals (of 1 in size S), so its levels
  often start interpenetrated, and its jointed shapes may hang outside the world.
  When no proposal fits, the slot stays empty (the reference adds the overlapping one).
- **A guaranteed actuator.**  The forced motor always has its motor on (the
  reference's is off with p = 0.2), and when no jointed shape fits the forced motor
  becomes a forced thruster, so every level has a motor or thruster that moves a
  dynamic shape.
- **Exactly one green and one blue** (the floor counts): with a blue floor there is
  one green shape and no blue shape; with a red floor no red shape.  A level that would
  lack either (no proposal fitted) is generated again from a key derived from the
  first, inside the same call (``lax.while_loop``; practically never taken).
- **Fixed shapes moved down** stay above the floor (the reference can sink them into
  it).
- **Exact mass properties** (area-weighted centroid, exact inertia, in JAX).
- **Motor power** becomes Tumble's torque cap: the reference's motor applies at most
  900 x power x the joint's axial inertia (1 / (1/I_a + 1/I_b)) of torque, so that is
  ``max_motor_torque``; its target speed (speed x 6 rad/s) is ``motor.speed``.
  Thruster force is the reference's power x 10 N.
- **Friction.**  The reference mixes a pair's friction as 0.4 sqrt(f_a^2 + f_b^2)
  with f = 1 on every shape; Tumble mixes sqrt(f_a f_b), so every shape and the
  boundary get f = 0.4 sqrt 2 = 0.566, the same effective friction on every pair.
- **Joint chains collide.**  Shapes that are not directly jointed collide (the
  reference's rule that no two shapes of one joint chain collide is a known defect),
  and the clearance test covers them.
- **Slot layout.**  Active shapes, joints and thrusters are shuffled but packed at the
  front of their slots (as :func:`~tumble.levels.compile.compile_level` lays out a
  document), so ``compile_level(level_from_arrays(c))`` reproduces ``c``; a joint's
  body ``a`` is the shape it was attached to and ``b`` the new shape.
- **Random numbers.**  The key is hashed once and a counter-based integer hash draws
  the level's ~1,000 uniforms (threefry for each costs more than building the level);
  deterministic per key, but not the reference's stream.

Everything else (sizes, probabilities, roles, channels) is the reference's.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from tumble.levels.compile import NO_CHANNEL, CompiledLevel
from tumble.levels.model import BLUE, GREEN, N_MOTOR_CHANNELS, N_THRUSTER_CHANNELS, NEUTRAL, RED
from tumble.levels.sizes import capacity_of
from tumble.physics import Capacity, SimParams, empty_scene

__all__ = [
    "CHUNK", "DEFAULT_CONFIG", "GeneratorConfig", "generate", "generate_batch", "generate_many", "generate_to_files",
    "level_name", "polygon_mass_properties",
]

FREE, CONNECTED, NOTHING = 0, 1, 2


@dataclasses.dataclass(frozen=True)
class GeneratorConfig:
    """The generator's distribution; the defaults are the reference's (hashable: a static argument)."""

    world_width: float = 5.0
    floor: float = 0.4
    ceiling: float = 5.0
    floor_role_p: tuple[float, float, float, float] = (0.90, 0.0, 0.02, 0.08)  # neutral, green, blue, red
    candidates: int = 8  # proposals per shape; the first that fits is kept
    clearance: float = 0.02  # m between shapes that may collide, and to the boundary
    visibility: float = 0.05  # m a jointed shape must stick out of its partner
    max_attempts: int = 16  # whole-level retries when green, blue or an actuator did not fit
    opposite_side_p: float = 0.5
    min_half: float = 0.05
    max_half: float = 0.5 / math.sqrt(2.0)
    large_side_p: float = 0.3
    large_side_scale: float = 2.0
    min_radius: float = 0.1
    max_radius: float = 0.4
    density: float = 1.0
    friction: float = 0.4 * math.sqrt(2.0)
    fix_p_min: float = 0.02
    fix_p_per_kg: float = 4.0
    fixed_down_p: float = 0.6  # a fixed green/blue/red shape moves to the lower half
    small_world_bodies: int = 3  # capacities with at most this many shapes never fix free shapes
    connected_p: float = 0.35
    free_p: float = 0.35
    nothing_p: float = 0.30
    fixed_target_weight: float = 0.05
    min_revolute: int = 2  # the first joints are always revolute
    revolute_p: float = 0.5
    motor_p: float = 0.8
    motor_speed: tuple[float, float] = (0.4 * 6.0, 3.0 * 6.0)  # rad/s
    motor_power: tuple[float, float] = (1.0, 3.0)  # between two rectangles
    wheel_power: float = 1.0  # when a circle is involved
    motor_accel: float = 900.0  # rad/s^2 per unit power: torque cap = power x this x axial inertia
    limits_p: float = 0.4
    limit_max: float = math.pi
    extra_thruster_p: float = 0.3
    thruster_aim_p: float = 0.8
    thruster_accel: tuple[float, float] = (10.0, 40.0)  # N per kg of the thruster's shape
    swap_p: float = 0.5
    episode_length: int = 256


DEFAULT_CONFIG = GeneratorConfig()

# uniforms per shape proposal
(U_KIND, U_ROLE, U_HX, U_HY, U_LARGE_SIDE, U_LARGE, U_RADIUS, U_OPPOSITE, U_X, U_Y, U_ANGLE, U_FIX, U_DOWN,
 U_TKIND, U_TARGET, U_AX, U_AY, U_TX, U_TY, U_REVOLUTE, U_MOTOR, U_CHANNEL, U_SPEED, U_POWER, U_LIMITS, U_LO,
 U_HI, N_UNIFORMS) = range(28)
# uniforms per thruster slot
UT_ADD, UT_BODY, UT_PX, UT_PY, UT_SIGN, UT_AIM, UT_ANGLE, UT_POWER, UT_CHANNEL, UT_UNIFORMS = range(10)

# While a level is built, its bodies, joints and thrusters are rows of float matrices
# (flags 0/1, small integers exact), so that picking or writing a row is one matrix
# product or one select however many fields there are: a much smaller XLA program.
(B_ACTIVE, B_CIRCLE, B_HX, B_HY, B_RADIUS, B_X, B_Y, B_ANGLE, B_COS, B_SIN, B_STATIC, B_ROLE, B_MASS, B_INERTIA,
 B_CONN, N_BCOLS) = range(16)
(J_ACTIVE, J_A, J_B, J_LAX, J_LAY, J_LBX, J_LBY, J_REF, J_FIXED, J_MOTOR, J_SPEED, J_TORQUE, J_LIMIT, J_LO, J_HI,
 J_CHANNEL, N_JCOLS) = range(17)
T_ACTIVE, T_BODY, T_PX, T_PY, T_ANGLE, T_FORCE, T_CHANNEL, N_TCOLS = range(8)

_ROLE_MASKS = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1]], np.float32)
f32 = jnp.float32


def _mix32(x):
    """A 32-bit integer finaliser with full avalanche (the "lowbias32" constants)."""
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0x846CA68B)
    return x ^ (x >> 16)


def _uniforms(seed, attempt, n: int):
    """``n`` uniforms in [0, 1) for try ``attempt`` from the two seed words of a level's key.

    Threefry for every one of the ~1,000 numbers a level draws would cost more than
    building the level (and its unrolled rounds inflate compile time), so the key is
    hashed once (:func:`_seed`) and a counter-based integer hash does the rest:
    deterministic per key and plenty random for sampling scenes.
    """
    s0 = _mix32(seed[0] ^ (jnp.asarray(attempt).astype(jnp.uint32) * jnp.uint32(0x85EBCA6B)))
    x = _mix32(jnp.arange(n, dtype=jnp.uint32) * jnp.uint32(0x9E3779B9) + s0)
    x = _mix32(x ^ seed[1])
    return (x >> 8).astype(f32) * f32(1.0 / (1 << 24))


def _seed(key):
    """Two well-mixed 32-bit words from a PRNG key (typed or raw ``uint32``), without threefry's rounds."""
    words = jax.random.key_data(key) if _typed(key) else jnp.asarray(key)
    words = words.astype(jnp.uint32).reshape(-1)
    h0, h1 = jnp.uint32(0x243F6A88), jnp.uint32(0x85A308D3)
    for i in range(words.shape[0]):
        h0 = _mix32(h0 ^ words[i]) + jnp.uint32(i)
        h1 = _mix32(h1 + words[i] * jnp.uint32(0x9E3779B9))
    return jnp.stack([_mix32(h0 ^ (h1 >> 7)), _mix32(h1 ^ (h0 << 9))])


def _typed(key) -> bool:
    return jnp.issubdtype(getattr(key, "dtype", None), jax.dtypes.prng_key)


def _categorical(u, weights):
    """Index drawn with probability proportional to ``weights`` from one uniform ``u``."""
    n = weights.shape[0]
    lower = (jnp.arange(n)[None, :] <= jnp.arange(n)[:, None]).astype(weights.dtype)  # cdf without a scan
    cdf = _dot(lower, weights)
    return jnp.minimum(jnp.sum(cdf <= u * cdf[-1]), n - 1).astype(jnp.int32)


def _dot(a, b):
    """Matrix product in full float32 (GPUs would otherwise round to TF32: one-hot picks must be exact)."""
    return jnp.matmul(a, b, precision=jax.lax.Precision.HIGHEST)


def _row(onehot, matrix):
    """The row of ``matrix`` where ``onehot`` is true (a matrix product: exact, no gather)."""
    return _dot(onehot.astype(f32), matrix)


def _int(x):
    return jnp.round(x).astype(jnp.int32)


def _cross(a, b):
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


# --- exact mass properties ----------------------------------------------------------------------

def polygon_mass_properties(vertices, density):
    """Mass, area-weighted centroid and inertia about it of a convex CCW polygon [V, 2].

    Padding slots that repeat vertex 0 add empty fan triangles, so a polygon padded to
    ``max_vertices`` needs no mask.  Same formula as :func:`tumble.physics.geometry.polygon_mass`.
    """
    o = vertices[0]
    e1, e2 = vertices[1:-1] - o, vertices[2:] - o
    d = _cross(e1, e2)
    area = 0.5 * jnp.sum(d)
    first = jnp.sum((0.5 * d)[:, None] * (e1 + e2) / 3.0, axis=0)
    ix = e1[:, 0] ** 2 + e1[:, 0] * e2[:, 0] + e2[:, 0] ** 2
    iy = e1[:, 1] ** 2 + e1[:, 1] * e2[:, 1] + e2[:, 1] ** 2
    second = jnp.sum(d / 12.0 * (ix + iy))
    centre = first / area
    mass = density * area
    inertia = density * second - mass * jnp.dot(centre, centre)
    return mass, centre + o, inertia


def circle_mass_properties(radius, density):
    """Mass and inertia of a solid disc about its centre."""
    mass = density * jnp.pi * radius * radius
    return mass, 0.5 * mass * radius * radius


def rectangle_mass_properties(half, density):
    """Mass and inertia about the centre of a rectangle of half extents ``half`` (closed form)."""
    mass = 4.0 * density * half[..., 0] * half[..., 1]
    return mass, mass * (half[..., 0] ** 2 + half[..., 1] ** 2) / 3.0


def _rectangle(half, n_vertices):
    """CCW rectangle of half extents ``half`` around the origin, padded to ``n_vertices``; with edge normals."""
    hx, hy = half[0], half[1]
    v = jnp.stack([jnp.stack([-hx, -hy]), jnp.stack([hx, -hy]), jnp.stack([hx, hy]), jnp.stack([-hx, hy])])
    nrm = jnp.array([[0.0, -1.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], f32)
    pad = n_vertices - 4
    if pad:
        v = jnp.concatenate([v, jnp.repeat(v[:1], pad, axis=0)])
        nrm = jnp.concatenate([nrm, jnp.repeat(nrm[-1:], pad, axis=0)])
    return v, nrm


# --- overlap tests (rectangles and circles) ---------------------------------------------------------

class _Shape(NamedTuple):
    """A rectangle (half extents) or a circle (radius) at a pose; fields broadcast."""

    x: jax.Array
    y: jax.Array
    cos: jax.Array
    sin: jax.Array
    hx: jax.Array  # 0 for circles
    hy: jax.Array
    radius: jax.Array  # 0 for rectangles
    circle: jax.Array


def _shapes(rows) -> _Shape:
    """The shapes of body rows [..., N_BCOLS]."""
    c = lambda i: rows[..., i]  # noqa: E731
    return _Shape(c(B_X), c(B_Y), c(B_COS), c(B_SIN), c(B_HX), c(B_HY), c(B_RADIUS), c(B_CIRCLE) > 0.5)


def _separation(a: _Shape, b: _Shape):
    """Distance between two shapes, negative when they overlap.

    Circle-circle and rectangle-circle are exact; rectangle-rectangle is the
    separating-axis bound on the four face normals (exact when they overlap or a
    face is closest, an underestimate when two corners are closest), so a positive
    value always means apart by at least that much.
    """
    dx, dy = b.x - a.x, b.y - a.y
    # rectangle-rectangle: SAT on both boxes' axes (c, s: the relative rotation)
    c = jnp.abs(a.cos * b.cos + a.sin * b.sin)
    s = jnp.abs(a.cos * b.sin - a.sin * b.cos)
    rr = jnp.maximum(
        jnp.maximum(jnp.abs(a.cos * dx + a.sin * dy) - a.hx - b.hx * c - b.hy * s,
                    jnp.abs(-a.sin * dx + a.cos * dy) - a.hy - b.hx * s - b.hy * c),
        jnp.maximum(jnp.abs(b.cos * dx + b.sin * dy) - b.hx - a.hx * c - a.hy * s,
                    jnp.abs(-b.sin * dx + b.cos * dy) - b.hy - a.hx * s - a.hy * c))
    # rectangle-circle: the circle's centre in the rectangle's frame
    box = jax.tree_util.tree_map(lambda p, q: jnp.where(a.circle, q, p), a, b)
    ball = jax.tree_util.tree_map(lambda p, q: jnp.where(a.circle, p, q), a, b)
    ex, ey = ball.x - box.x, ball.y - box.y
    lx = box.cos * ex + box.sin * ey
    ly = -box.sin * ex + box.cos * ey
    qx = lx - jnp.clip(lx, -box.hx, box.hx)
    qy = ly - jnp.clip(ly, -box.hy, box.hy)
    depth = jnp.minimum(box.hx - jnp.abs(lx), box.hy - jnp.abs(ly))
    rc = jnp.where((qx == 0.0) & (qy == 0.0), -depth, jnp.sqrt(qx * qx + qy * qy)) - ball.radius
    cc = jnp.sqrt(dx * dx + dy * dy) - a.radius - b.radius
    return jnp.where(a.circle & b.circle, cc, jnp.where(a.circle | b.circle, rc, rr))


def _inside_world(g: _Shape, cfg: GeneratorConfig):
    """Whether the shape keeps ``clearance`` from the floor, the walls and the ceiling."""
    c, s = jnp.abs(g.cos), jnp.abs(g.sin)
    ex = jnp.where(g.circle, g.radius, g.hx * c + g.hy * s)
    ey = jnp.where(g.circle, g.radius, g.hx * s + g.hy * c)
    m = cfg.clearance
    return ((g.x - ex >= m) & (g.x + ex <= cfg.world_width - m) & (g.y - ey >= cfg.floor + m)
            & (g.y + ey <= cfg.ceiling - m))


def _reach(hx, hy, radius, circle, px, py):
    """(farthest point, nearest boundary) distance from the local point ``p`` inside a shape."""
    ax, ay = jnp.abs(px), jnp.abs(py)
    dist = jnp.sqrt(px * px + py * py)
    far = jnp.where(circle, dist + radius, jnp.sqrt((hx + ax) ** 2 + (hy + ay) ** 2))
    near = jnp.where(circle, radius - dist, jnp.minimum(hx - ax, hy - ay))
    return far, near


# --- building a level -----------------------------------------------------------------------------

class _Counts(NamedTuple):
    n_poly: jax.Array
    n_circ: jax.Array
    n_joint: jax.Array
    n_rev: jax.Array
    role_count: jax.Array  # [4], the floor included


def _counts(bodies, joints, floor_role) -> _Counts:
    active = bodies[:, B_ACTIVE] > 0.5
    circle = bodies[:, B_CIRCLE] > 0.5
    roles = (_int(bodies[:, B_ROLE])[:, None] == jnp.arange(4)[None, :]) & active[:, None]
    floor = (jnp.arange(4) == floor_role) & (floor_role != NEUTRAL)
    j_active = joints[:, J_ACTIVE] > 0.5
    return _Counts(jnp.sum(active & ~circle), jnp.sum(active & circle), jnp.sum(j_active),
                   jnp.sum(j_active & (joints[:, J_FIXED] < 0.5)), jnp.sum(roles, axis=0) + floor)


def _proposal(bodies, counts: _Counts, mode, no_fix, force_motor, t, u, cap: Capacity, cfg: GeneratorConfig):
    """One proposed shape (a body row), its joint (a joint row, used when ``mode`` is CONNECTED), whether it fits."""
    n_bodies = cap.n_bodies
    connected = mode == CONNECTED
    space_r = counts.n_poly < cap.n_polygons
    space_c = counts.n_circ < cap.n_circles
    active, circles = bodies[:, B_ACTIVE] > 0.5, bodies[:, B_CIRCLE] > 0.5
    conn = bodies[:, B_CONN]

    # target of a joint: dynamic shapes weigh 1, fixed 0.05; rectangles take 2 joints, circles 1
    w = jnp.where(active, jnp.where(bodies[:, B_STATIC] > 0.5, cfg.fixed_target_weight, 1.0), 0.0)
    w = w * jnp.where(circles, (conn < 0.5).astype(f32), jnp.clip((2.0 - conn) / 2.0, 0.0, 1.0))
    kind_r = jnp.any(active & ~circles).astype(f32)
    kind_c = jnp.any(circles & (w > 0)).astype(f32)
    target_rect = (u[U_TKIND] * (kind_r + kind_c) < kind_r) | ~space_r
    of_kind = active & (circles != target_rect)
    wk = jnp.where(of_kind, w, 0.0)
    wk = jnp.where(jnp.sum(wk) > 0, wk, of_kind.astype(f32))
    target = _categorical(u[U_TARGET], wk)
    tgt_row = _row(jnp.arange(n_bodies) == target, bodies)
    tgt = _shapes(tgt_row)
    target_ok = jnp.any(of_kind) & (kind_r + kind_c > 0) & (counts.n_joint < cap.n_joints)

    # kind: rectangle or circle by free slots; a shape jointed to a circle is a rectangle
    sr, sc = space_r.astype(f32), space_c.astype(f32)
    circle = (u[U_KIND] * (sr + sc) >= sr) & ~(connected & tgt.circle & space_r)
    kind_ok = jnp.where(circle, space_c, space_r)

    # role: green and blue first, then neutral, or red while there is none (p = 1/4)
    needs = counts.role_count == 0
    other = ~needs[GREEN] & ~needs[BLUE]
    wr = jnp.stack([other, needs[GREEN], needs[BLUE], other & needs[RED]]).astype(f32)
    wr = wr * jnp.array([1.0, 1.0, 1.0, 1.0 / 3.0], f32)
    mask = _row(jnp.arange(4) == _int(tgt_row[B_ROLE]), jnp.asarray(_ROLE_MASKS))
    role = _categorical(u[U_ROLE], wr * jnp.where(connected, mask, 1.0))

    # size
    hx = u[U_HX] * (cfg.max_half - cfg.min_half) + cfg.min_half
    hy = u[U_HY] * (cfg.max_half - cfg.min_half) + cfg.min_half
    large = jnp.where(u[U_LARGE] < cfg.large_side_p, cfg.large_side_scale, 1.0)
    hx = jnp.where(circle, 0.0, hx * jnp.where(u[U_LARGE_SIDE] < 0.5, large, 1.0))
    hy = jnp.where(circle, 0.0, hy * jnp.where(u[U_LARGE_SIDE] < 0.5, 1.0, large))
    radius = jnp.where(circle, u[U_RADIUS] * (cfg.max_radius - cfg.min_radius) + cfg.min_radius, 0.0)
    rmass, rinertia = rectangle_mass_properties(jnp.stack([hx, hy]), cfg.density)
    cmass, cinertia = circle_mass_properties(radius, cfg.density)
    mass = jnp.where(circle, cmass, rmass)
    inertia = jnp.where(circle, cinertia, rinertia)
    angle = u[U_ANGLE] * 2.0 * jnp.pi
    cos, sin = jnp.cos(angle), jnp.sin(angle)

    # free placement: anywhere the shape fits at any rotation (green left / blue right with p = 0.5)
    largest = jnp.maximum(jnp.maximum(hx, hy) * math.sqrt(2.0), radius) + cfg.clearance
    x_lo, x_hi = largest, cfg.world_width - largest
    y_lo, y_hi = cfg.floor + largest, cfg.ceiling - largest
    opposite = u[U_OPPOSITE] < cfg.opposite_side_p
    half_w = cfg.world_width / 2.0
    x_hi = jnp.where(opposite & (role == GREEN), x_hi - half_w, x_hi)
    x_lo = jnp.where(opposite & (role == BLUE), x_lo + half_w, x_lo)
    fx, fy = x_lo + u[U_X] * (x_hi - x_lo), y_lo + u[U_Y] * (y_hi - y_lo)
    fix_p = jnp.minimum(cfg.fix_p_min + cfg.fix_p_per_kg * mass, 1.0)
    static = (u[U_FIX] < fix_p) & ~no_fix & ~connected
    mid = cfg.ceiling / 2.0
    down = static & (u[U_DOWN] < cfg.fixed_down_p * (role != NEUTRAL)) & (fy >= mid)
    fy = jnp.where(down, jnp.maximum(fy - mid, y_lo), fy)

    # jointed placement: a random point of the new shape onto a random point of the target
    lax_, lay = (u[U_AX] * 2.0 - 1.0) * hx, (u[U_AY] * 2.0 - 1.0) * hy  # zero for circles
    ltx = jnp.where(tgt.circle, 0.0, (u[U_TX] * 2.0 - 1.0) * tgt.hx)
    lty = jnp.where(tgt.circle, 0.0, (u[U_TY] * 2.0 - 1.0) * tgt.hy)
    ax = tgt.x + tgt.cos * ltx - tgt.sin * lty
    ay = tgt.y + tgt.sin * ltx + tgt.cos * lty
    x = jnp.where(connected, ax - (cos * lax_ - sin * lay), fx)
    y = jnp.where(connected, ay - (sin * lax_ + cos * lay), fy)

    # joint
    rect_rect = ~circle & ~tgt.circle
    revolute = (u[U_REVOLUTE] < cfg.revolute_p) | force_motor | (counts.n_rev < cfg.min_revolute)
    motor = revolute & ((u[U_MOTOR] < cfg.motor_p) | force_motor)
    channel = jnp.minimum(jnp.floor(u[U_CHANNEL] * N_MOTOR_CHANNELS), N_MOTOR_CHANNELS - 1)
    speed = cfg.motor_speed[0] + u[U_SPEED] * (cfg.motor_speed[1] - cfg.motor_speed[0])
    power = jnp.where(rect_rect, cfg.motor_power[0] + u[U_POWER] * (cfg.motor_power[1] - cfg.motor_power[0]),
                      cfg.wheel_power)
    t_inv_inertia = jnp.where(tgt_row[B_STATIC] > 0.5, 0.0, 1.0 / jnp.maximum(tgt_row[B_INERTIA], 1e-12))
    torque = power * cfg.motor_accel / (1.0 / inertia + t_inv_inertia)
    limits = revolute & rect_rect & (u[U_LIMITS] < cfg.limits_p)

    # does it fit?
    g = _Shape(x, y, cos, sin, hx, hy, radius, circle)
    sep = _separation(g, _shapes(bodies))  # [N]
    ignore = ~active | (connected & (jnp.arange(n_bodies) == target))
    clear = jnp.all(ignore | (sep > cfg.clearance))
    far_new, near_new = _reach(hx, hy, radius, circle, lax_, lay)
    far_t, near_t = _reach(tgt.hx, tgt.hy, tgt.radius, tgt.circle, ltx, lty)
    visible = (far_new > near_t + cfg.visibility) & (far_t > near_new + cfg.visibility)
    fits = (mode != NOTHING) & kind_ok & _inside_world(g, cfg) & clear & jnp.where(connected, target_ok & visible, True)

    one = jnp.ones((), f32)
    body = jnp.stack([one, circle, hx, hy, radius, x, y, angle, cos, sin, static, role, mass, inertia, 0 * one])
    joint = jnp.stack([one, target, t, ltx, lty, lax_, lay, angle - tgt_row[B_ANGLE], ~revolute, motor,
                       speed * motor, torque * motor, limits, -u[U_LO] * cfg.limit_max * limits,
                       u[U_HI] * cfg.limit_max * limits, jnp.where(motor, channel, NO_CHANNEL)])
    return body.astype(f32), joint.astype(f32), fits


def _add(carry, x, floor_role, cap: Capacity, cfg: GeneratorConfig):
    """Action ``t``: keep the first fitting of the proposals ``u`` [K, N_UNIFORMS] in body slot ``t``."""
    bodies, joints, motor_placed = carry
    t, mode, no_fix, force_motor, u = x
    counts = _counts(bodies, joints, floor_role)
    rows, jrows, fits = jax.vmap(_proposal, in_axes=(None, None, None, None, None, None, 0, None, None))(
        bodies, counts, mode, no_fix, force_motor, t, u, cap, cfg)
    k = jnp.arange(fits.shape[0])
    first = k == jnp.min(jnp.where(fits, k, fits.shape[0] - 1))
    ok = jnp.any(fits)
    row, jrow = _row(first, rows), _row(first, jrows)
    connected = ok & (mode == CONNECTED)
    slot = (jnp.arange(cap.n_bodies) == t) & ok
    bodies = jnp.where(slot[:, None], row[None, :], bodies)
    linked = ((jnp.arange(cap.n_bodies) == _int(jrow[J_A])) | slot) & connected
    bodies = bodies.at[:, B_CONN].add(linked.astype(f32))
    jslot = (jnp.arange(cap.n_joints) == counts.n_joint) & connected
    joints = jnp.where(jslot[:, None], jrow[None, :], joints)
    return (bodies, joints, motor_placed | (connected & force_motor)), None


def _ranks(active, u):
    """Each entry's rank when the active ones come first in the random order ``u`` and the rest after."""
    n = active.shape[0]
    idx = jnp.arange(n)
    key = jnp.where(active, u, 2.0 + idx.astype(f32))
    before = (key[None, :] < key[:, None]) | ((key[None, :] == key[:, None]) & (idx[None, :] < idx[:, None]))
    return jnp.sum(before, axis=1).astype(jnp.int32)


def _shuffle(rows, u):
    """The active rows (column 0) first in random order, then zero rows."""
    active = rows[:, 0] > 0.5
    rank = _ranks(active, u)
    where = (rank[None, :] == jnp.arange(rows.shape[0])[:, None]) & active[None, :]
    return _dot(where.astype(f32), rows)


def _attempt(seed, attempt, cap: Capacity, cfg: GeneratorConfig):
    """One try at a level: its rows (bodies, joints, thrusters), floor role, shuffle uniforms, and whether it is ok."""
    n, j_cap, t_cap = cap.n_bodies, cap.n_joints, cap.n_thrusters
    k = cfg.candidates
    sizes = [n * k * N_UNIFORMS, t_cap * UT_UNIFORMS, n + j_cap + t_cap, n, 4]
    u = _uniforms(seed, attempt, sum(sizes))
    parts = np.cumsum([0] + sizes)
    u_shapes = u[parts[0]:parts[1]].reshape(n, k, N_UNIFORMS)
    u_thr = u[parts[1]:parts[2]].reshape(t_cap, UT_UNIFORMS)
    u_perm = u[parts[2]:parts[3]]
    u_action = u[parts[3]:parts[4]]
    u_floor, u_green_nf, u_control, u_swap = u[parts[4]:parts[5]]

    floor_role = _categorical(u_floor, jnp.asarray(cfg.floor_role_p, f32))
    control = jnp.minimum(jnp.floor(u_control * 3), 2)  # 0 thruster only, 1 motor only, 2 both
    force_thruster, force_motor = control != 1, control != 0
    green_nf = (u_green_nf < 0.5) | (floor_role == BLUE)
    small = n <= cfg.small_world_bodies

    # the plan: green, blue, the forced motor (or a free shape), then the rest
    t = jnp.arange(n)
    c_connected, c_free = cfg.connected_p, cfg.connected_p + cfg.free_p
    total = c_free + cfg.nothing_p
    rest = jnp.where(u_action * total < c_connected, CONNECTED, jnp.where(u_action * total < c_free, FREE, NOTHING))
    mode = jnp.where(t < 2, FREE, jnp.where(t == 2, jnp.where(force_motor, CONNECTED, FREE), rest))
    no_fix = jnp.where(t == 0, green_nf, jnp.where(t == 1, ~green_nf, False)) | small
    forced_motor = (t == 2) & force_motor

    init = (jnp.zeros((n, N_BCOLS), f32), jnp.zeros((j_cap, N_JCOLS), f32), jnp.zeros((), bool))
    (bodies, joints, motor_placed), _ = jax.lax.scan(
        lambda c, x: _add(c, x, floor_role, cap, cfg), init, (t, mode, no_fix, forced_motor, u_shapes))

    # thrusters: the forced one (on one of the first three shapes) first, then each spare slot with p = 0.3
    dynamic = (bodies[:, B_ACTIVE] > 0.5) & (bodies[:, B_STATIC] < 0.5)
    forced = force_thruster | (force_motor & ~motor_placed)
    s = jnp.arange(t_cap)
    want = jnp.where(s == 0, forced, u_thr[:, UT_ADD] < cfg.extra_thruster_p)
    first_three = dynamic & (jnp.arange(n) < 3)

    def thruster(ut, is_forced, wanted):
        eligible = jnp.where(is_forced, first_three, dynamic)
        b = _categorical(ut[UT_BODY], eligible.astype(f32))
        on = _shapes(_row(jnp.arange(n) == b, bodies))
        mass = _row(jnp.arange(n) == b, bodies)[B_MASS]
        rr, th = ut[UT_PX] * on.radius, ut[UT_PY] * 2.0 * jnp.pi
        px = jnp.where(on.circle, rr * jnp.cos(th), (ut[UT_PX] * 2.0 - 1.0) * on.hx)
        py = jnp.where(on.circle, rr * jnp.sin(th), (ut[UT_PY] * 2.0 - 1.0) * on.hy)
        sign = jnp.where(ut[UT_SIGN] > 0.5, 1.0, -1.0)
        zero = (px == 0.0) & (py == 0.0)
        aim = jnp.arctan2(jnp.where(zero, 0.0, sign * py), jnp.where(zero, 1.0, sign * px))
        angle = jnp.where(ut[UT_AIM] < cfg.thruster_aim_p, aim, ut[UT_ANGLE] * 2.0 * jnp.pi)
        accel = cfg.thruster_accel[0] + ut[UT_POWER] * (cfg.thruster_accel[1] - cfg.thruster_accel[0])
        channel = jnp.minimum(jnp.floor(ut[UT_CHANNEL] * N_THRUSTER_CHANNELS), N_THRUSTER_CHANNELS - 1)
        on_ = wanted & jnp.any(eligible)
        return jnp.stack([on_.astype(f32), b.astype(f32), px, py, angle, mass * accel, channel]) * on_

    thrusters = jax.vmap(thruster)(u_thr, (s == 0) & forced, want)

    has_motor = jnp.any((joints[:, J_ACTIVE] > 0.5) & (joints[:, J_MOTOR] > 0.5))  # a jointed shape is dynamic
    counts = _counts(bodies, joints, floor_role)
    ok = (counts.role_count[GREEN] == 1) & (counts.role_count[BLUE] == 1) & (
        has_motor | jnp.any(thrusters[:, T_ACTIVE] > 0.5))

    # green and blue swap with p = 0.5 (neutral floor only)
    swap = (floor_role == NEUTRAL) & (u_swap < cfg.swap_p)
    role = bodies[:, B_ROLE]
    role = jnp.where(swap & (role == GREEN), BLUE, jnp.where(swap & (role == BLUE), GREEN, role))
    bodies = bodies.at[:, B_ROLE].set(role)
    return (bodies, joints, thrusters, floor_role, u_perm), ok


def _assemble(bodies, joints, thrusters, floor_role, u_perm, cap: Capacity, cfg: GeneratorConfig) -> CompiledLevel:
    """The scene arrays: shapes, joints and thrusters shuffled and packed at the front of their slots."""
    n, p_cap, c_cap, j_cap = cap.n_bodies, cap.n_polygons, cap.n_circles, cap.n_joints
    u_bodies, u_joints, u_thr = u_perm[:n], u_perm[n:n + j_cap], u_perm[n + j_cap:]
    active = bodies[:, B_ACTIVE] > 0.5
    is_poly, is_circ = active & (bodies[:, B_CIRCLE] < 0.5), active & (bodies[:, B_CIRCLE] > 0.5)
    rank_p, rank_c = _ranks(is_poly, u_bodies), _ranks(is_circ, u_bodies)
    # where[i, k]: added body k goes to scene slot i (polygons first, then circles)
    where = jnp.concatenate([(rank_p[None, :] == jnp.arange(p_cap)[:, None]) & is_poly[None, :],
                             (rank_c[None, :] == jnp.arange(c_cap)[:, None]) & is_circ[None, :]])
    rows = _dot(where.astype(f32), bodies)
    valid = rows[:, B_ACTIVE] > 0.5
    scene_index = jnp.where(is_poly, rank_p, jnp.where(is_circ, p_cap + rank_c, 0)).astype(f32)

    template = empty_scene(cap)
    rects = jax.vmap(lambda h: _rectangle(h, cap.max_vertices))(rows[:p_cap, B_HX:B_HY + 1])
    pmass, centroid, pinertia = jax.vmap(lambda v: polygon_mass_properties(v, cfg.density))(rects[0])
    radius = rows[p_cap:, B_RADIUS]
    cmass, cinertia = circle_mass_properties(radius, cfg.density)
    mass = jnp.concatenate([pmass, cmass])
    inertia = jnp.concatenate([pinertia, cinertia])
    dynamic = valid & (rows[:, B_STATIC] < 0.5)
    vp = valid[:p_cap, None, None]
    vertices = jnp.where(vp, rects[0] - centroid[:, None, :], 0.0)
    bounding = jnp.concatenate([jnp.max(jnp.linalg.norm(vertices, axis=-1), axis=-1), radius])
    state = template.state.replace(position=rows[:, B_X:B_Y + 1], angle=rows[:, B_ANGLE])
    props = template.props.replace(
        active=valid,
        inv_mass=jnp.where(dynamic, 1.0 / jnp.where(dynamic, mass, 1.0), 0.0),
        inv_inertia=jnp.where(dynamic, 1.0 / jnp.where(dynamic, inertia, 1.0), 0.0),
        density=jnp.where(valid, f32(cfg.density), 0.0),
        friction=jnp.where(valid, f32(cfg.friction), 0.0),
        bounding_radius=bounding,
    )
    polygons = template.polygons.replace(
        vertices=vertices, normals=jnp.where(vp, rects[1], 0.0), n_vertices=jnp.where(valid[:p_cap], 4, 3),
    )
    circles = template.circles.replace(radius=radius)

    def to_scene(i):  # column of added-body indices -> scene indices
        return _dot((jnp.arange(n)[None, :] == _int(i)[:, None]).astype(f32), scene_index)

    joints = joints.at[:, J_A].set(to_scene(joints[:, J_A])).at[:, J_B].set(to_scene(joints[:, J_B]))
    jr = _shuffle(joints, u_joints)
    vj = jr[:, J_ACTIVE] > 0.5
    flag = lambda i: jr[:, i] > 0.5  # noqa: E731
    scene_joints = template.joints.replace(
        active=vj, body_a=_int(jr[:, J_A]), body_b=_int(jr[:, J_B]), local_anchor_a=jr[:, J_LAX:J_LAY + 1],
        local_anchor_b=jr[:, J_LBX:J_LBY + 1], reference_angle=jr[:, J_REF], is_fixed=flag(J_FIXED),
        motor_enabled=flag(J_MOTOR), motor_speed=jr[:, J_SPEED], max_motor_torque=jr[:, J_TORQUE],
        limit_enabled=flag(J_LIMIT), lower_angle=jr[:, J_LO], upper_angle=jr[:, J_HI],
    )
    thrusters = thrusters.at[:, T_BODY].set(to_scene(thrusters[:, T_BODY]))
    tr = _shuffle(thrusters, u_thr)
    vt = tr[:, T_ACTIVE] > 0.5
    scene_thrusters = template.thrusters.replace(
        active=vt, body=_int(tr[:, T_BODY]), local_point=tr[:, T_PX:T_PY + 1], local_angle=tr[:, T_ANGLE],
        max_force=tr[:, T_FORCE],
    )
    boundary = template.boundary.replace(
        active=jnp.ones((4,), bool),
        position=jnp.array([cfg.floor, 0.0, cfg.world_width, cfg.ceiling], f32),
        friction=jnp.full((4,), cfg.friction, f32),
        restitution=jnp.zeros((4,), f32),
    )
    scene = template.replace(state=state, props=props, polygons=polygons, circles=circles, joints=scene_joints,
                             thrusters=scene_thrusters, boundary=boundary)
    params = SimParams()
    return CompiledLevel(
        scene=scene,
        params=params.as_arrays().replace(substeps=params.substeps),
        roles=_int(rows[:, B_ROLE]),
        wall_roles=jnp.zeros((4,), jnp.int32).at[0].set(floor_role),
        motor_channel=jnp.where(vj & flag(J_MOTOR), _int(jr[:, J_CHANNEL]), NO_CHANNEL),
        motor_free_at_zero=vj & flag(J_MOTOR),  # as the reference: a motor at action 0 applies no torque
        thruster_channel=jnp.where(vt, _int(tr[:, T_CHANNEL]), NO_CHANNEL),
        episode_length=jnp.asarray(cfg.episode_length, jnp.int32),
    )


def _check_capacity(cap: Capacity) -> None:
    if cap.n_bodies < 2:
        raise ValueError(f"the generator needs room for at least 2 shapes (green and blue), got {cap}")
    if cap.n_joints + cap.n_thrusters < 1:
        raise ValueError(f"the generator needs room for a joint or a thruster, got {cap}")
    if cap.max_vertices < 4:
        raise ValueError(f"the generator makes rectangles: max_vertices must be at least 4, got {cap.max_vertices}")


def generate(key, size="m", config: GeneratorConfig = DEFAULT_CONFIG) -> CompiledLevel:
    """A random level of ``size`` (``s``, ``m``, ``l``, a CustomSize or a Capacity) from PRNG ``key``.

    Pure JAX: wrap it in ``jit`` / ``vmap`` (``size`` and ``config`` are static).
    The level has exactly one green and one blue (the floor counts), a motor or
    thruster that moves a dynamic shape, and no two shapes that may collide closer
    than ``config.clearance``.
    """
    cap = capacity_of(size)
    _check_capacity(cap)
    seed = _seed(key)
    shapes = jax.eval_shape(lambda s: _attempt(s, 0, cap, config)[0], seed)
    blank = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)

    def cond(carry):
        i, _, ok = carry
        return ~ok & (i < config.max_attempts)

    def body(carry):
        i, _, _ = carry
        plan, ok = _attempt(seed, i, cap, config)
        return i + 1, plan, ok

    _, plan, _ = jax.lax.while_loop(cond, body, (jnp.asarray(0, jnp.int32), blank, jnp.zeros((), bool)))
    return _assemble(*plan, cap, config)


CHUNK = 256  # levels per vmap inside a batch: bigger batches run as a loop of chunks (cache-friendly)


def generate_many(keys, size="m", config: GeneratorConfig = DEFAULT_CONFIG) -> CompiledLevel:
    """One level per key of ``keys`` [B] (or [B, 2]), stacked: ``vmap(generate)`` in chunks of :data:`CHUNK`."""
    f = lambda k: generate(k, size, config)  # noqa: E731
    n = keys.shape[0]
    return jax.vmap(f)(keys) if n <= CHUNK else jax.lax.map(f, keys, batch_size=CHUNK)


@functools.partial(jax.jit, static_argnames=("size", "batch", "config"))
def _generate_batch(key, size, batch: int, config: GeneratorConfig):
    return generate_many(jax.random.split(key, batch), size, config)


def generate_batch(key, size="m", batch: int = 256, config: GeneratorConfig = DEFAULT_CONFIG) -> CompiledLevel:
    """``batch`` levels stacked on a leading axis: ``jit(vmap(generate))`` over ``split(key, batch)``."""
    if isinstance(size, str):
        size = size.lower()
    return _generate_batch(key, size, int(batch), config)


def level_name(size, seed: int, index: int) -> str:
    """The name :func:`generate_to_files` gives level ``index`` of ``seed``."""
    return f"gen-{size}-{seed}-{index:05d}"


def generate_to_files(out, size: str = "m", count: int = 16, seed: int = 0, noop_filter: bool = True,
                      overwrite: bool = False, chunk: int = 256,
                      config: GeneratorConfig = DEFAULT_CONFIG) -> list[Path]:
    """Write ``count`` generated levels of ``size`` as level files in folder ``out``; return their paths.

    With ``noop_filter`` (default) none of them is solved by doing nothing for 64 env
    steps.  Deterministic: the same ``seed``, ``size``, ``count`` give the same files.
    Raises ``FileExistsError`` (before writing anything) when a file exists and
    ``overwrite`` is false.
    """
    from tumble.levels.codec import save_level
    from tumble.levels.from_arrays import level_from_arrays
    from tumble.levels.noop_filter import generate_filtered

    size = size.lower() if isinstance(size, str) else size
    out = Path(out)
    names = [level_name(size, seed, i) for i in range(count)]
    paths = [out / f"{name}.json" for name in names]
    existing = [p for p in paths if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} exists ({len(existing)} of the {count} files); pass overwrite=True "
                              "(--overwrite) to replace them")
    out.mkdir(parents=True, exist_ok=True)
    key = jax.random.PRNGKey(seed)
    done = 0
    chunk = max(1, min(chunk, count))
    while done < count:
        sub = jax.random.fold_in(key, done // chunk)
        batch = generate_filtered(sub, size, chunk, config=config) if noop_filter else \
            generate_batch(sub, size, chunk, config)
        host = jax.tree_util.tree_map(np.asarray, batch)
        for i in range(min(chunk, count - done)):
            one = jax.tree_util.tree_map(lambda x: x[i], host)
            level = level_from_arrays(one, names[done], description=f"procedurally generated (seed {seed}, "
                                      f"index {done}{', no-op filtered' if noop_filter else ''})", family="generated")
            save_level(level, paths[done])
            done += 1
    return paths
