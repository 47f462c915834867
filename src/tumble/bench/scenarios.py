"""Physics fidelity scenarios (see ``shared/physics-scenarios.md``).

Ten standard scenes (eleven pass/fail checks) that score Tumble's engine against
the Box2D-derived thresholds of the spec.  Each scene is described as plain data
(:class:`ScenarioSpec`), built through Tumble's scripting API
(:class:`tumble.physics.SceneBuilder`), simulated with
:func:`tumble.physics.simulate`, and scored with the metric helpers below.

Every metric is computed from the recorded trajectory only (poses and
velocities of all bodies at every step), never from engine internals; masses
and inertias come analytically from the scenario definitions (density 1).
The metric helpers are pure numpy and do not need the engine.

Usage::

    from tumble.bench.scenarios import run_all, run_scenario
    results = run_all()                 # list of result dicts
    run_scenario("pendulum")["metrics"]
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable, Sequence

import numpy as np

G = 9.81
DT = 1.0 / 60.0
GRAVITY = (0.0, -G)

__all__ = [
    "BodySpec",
    "JointSpec",
    "ScenarioSpec",
    "Trajectory",
    "SCENARIOS",
    "CRITERIA",
    "run_all",
    "run_scenario",
    "simulate_spec",
]


# --------------------------------------------------------------------------------------
# Scenario description (plain data; the engine is only touched in simulate_spec)
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BodySpec:
    """One body; ``kind`` is ``"box"`` (``size`` = (w, h)) or ``"circle"`` (``radius``)."""

    kind: str
    position: tuple[float, float]
    size: tuple[float, float] | None = None
    radius: float | None = None
    angle: float = 0.0
    density: float = 1.0
    friction: float = 0.6
    restitution: float = 0.0
    static: bool = False
    velocity: tuple[float, float] = (0.0, 0.0)
    angular_velocity: float = 0.0
    name: str | None = None

    @property
    def mass(self) -> float:
        """Analytic mass (0 for static bodies)."""
        if self.static:
            return 0.0
        return box_mass(self.size, self.density) if self.kind == "box" else circle_mass(self.radius, self.density)

    @property
    def inertia(self) -> float:
        """Analytic moment of inertia about the centre of mass (0 for static bodies)."""
        if self.static:
            return 0.0
        if self.kind == "box":
            return box_inertia(self.size, self.density)
        return circle_inertia(self.radius, self.density)


@dataclasses.dataclass(frozen=True)
class JointSpec:
    """A revolute joint; ``body_a``/``body_b`` are indices into ``ScenarioSpec.bodies`` (None = world)."""

    body_a: int | None
    body_b: int
    anchor: tuple[float, float]
    enable_motor: bool = False
    motor_speed: float = 0.0
    max_motor_torque: float = 0.0
    collide_connected: bool = False


@dataclasses.dataclass(frozen=True)
class ScenarioSpec:
    name: str
    bodies: tuple[BodySpec, ...]
    n_steps: int
    joints: tuple[JointSpec, ...] = ()
    gravity: tuple[float, float] = GRAVITY
    dt: float = DT
    #: bodies joined by joints must not collide with each other at all (chain scenario)
    no_collide_jointed: bool = False

    @property
    def masses(self) -> np.ndarray:
        return np.array([b.mass for b in self.bodies], dtype=np.float64)

    @property
    def inertias(self) -> np.ndarray:
        return np.array([b.inertia for b in self.bodies], dtype=np.float64)

    @property
    def dynamic(self) -> np.ndarray:
        return np.array([not b.static for b in self.bodies], dtype=bool)

    def times(self) -> np.ndarray:
        return np.arange(self.n_steps + 1, dtype=np.float64) * self.dt


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """Recorded states in float64, bodies in :class:`ScenarioSpec` order; row 0 is t = 0."""

    position: np.ndarray  # [T+1, N, 2]
    angle: np.ndarray  # [T+1, N]
    velocity: np.ndarray  # [T+1, N, 2]
    angular_velocity: np.ndarray  # [T+1, N]

    @classmethod
    def from_engine(cls, traj: Any, order: Sequence[int] | None = None) -> "Trajectory":
        idx = slice(None) if order is None else np.asarray(order, dtype=np.int64)
        get = lambda a: np.asarray(a, dtype=np.float64)[:, idx]  # noqa: E731
        return cls(get(traj.position), get(traj.angle), get(traj.velocity), get(traj.angular_velocity))

    def is_finite(self) -> bool:
        return bool(
            np.isfinite(self.position).all()
            and np.isfinite(self.angle).all()
            and np.isfinite(self.velocity).all()
            and np.isfinite(self.angular_velocity).all()
        )


# --------------------------------------------------------------------------------------
# Pure-numpy metric helpers
# --------------------------------------------------------------------------------------


def box_mass(size: Sequence[float], density: float = 1.0) -> float:
    return float(density * size[0] * size[1])


def box_inertia(size: Sequence[float], density: float = 1.0) -> float:
    w, h = float(size[0]), float(size[1])
    return box_mass(size, density) * (w * w + h * h) / 12.0


def circle_mass(radius: float, density: float = 1.0) -> float:
    return float(density * math.pi * radius * radius)


def circle_inertia(radius: float, density: float = 1.0) -> float:
    return circle_mass(radius, density) * radius * radius / 2.0


def rotation(angle: Any) -> np.ndarray:
    """Rotation matrices [..., 2, 2] for angles [...]."""
    a = np.asarray(angle, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def rotate(angle: Any, v: Any) -> np.ndarray:
    """Rotate vectors v [..., 2] by angles [...] (broadcasting)."""
    a = np.asarray(angle, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], -1)


def wrap_angle(a: Any) -> np.ndarray:
    """Wrap to [-pi, pi)."""
    return (np.asarray(a, dtype=np.float64) + math.pi) % (2.0 * math.pi) - math.pi


def kinetic_energy(velocity: Any, angular_velocity: Any, masses: Any, inertias: Any) -> np.ndarray:
    """Total kinetic energy sum(1/2 m v^2 + 1/2 I w^2) over bodies; velocity [..., N, 2]."""
    v = np.asarray(velocity, dtype=np.float64)
    w = np.asarray(angular_velocity, dtype=np.float64)
    m = np.asarray(masses, dtype=np.float64)
    inertia = np.asarray(inertias, dtype=np.float64)
    return 0.5 * np.sum(m * np.sum(v * v, -1), -1) + 0.5 * np.sum(inertia * w * w, -1)


def obb_overlap_depth(
    center_a: Any, angle_a: Any, size_a: Any, center_b: Any, angle_b: Any, size_b: Any
) -> np.ndarray:
    """Separating-axis overlap depth between oriented boxes (0 when separated or touching).

    The depth is the smallest overlap of the two boxes' projections over the four
    edge normals (two per box).  All arguments broadcast: centres [..., 2],
    angles [...], full sizes (w, h) [..., 2].
    """
    ca = np.asarray(center_a, dtype=np.float64)
    cb = np.asarray(center_b, dtype=np.float64)
    ha = 0.5 * np.asarray(size_a, dtype=np.float64)
    hb = 0.5 * np.asarray(size_b, dtype=np.float64)
    aa = np.asarray(angle_a, dtype=np.float64)
    ab = np.asarray(angle_b, dtype=np.float64)
    # unit axes of both boxes [..., 2]
    ax_a = np.stack([np.cos(aa), np.sin(aa)], -1)
    ay_a = np.stack([-np.sin(aa), np.cos(aa)], -1)
    ax_b = np.stack([np.cos(ab), np.sin(ab)], -1)
    ay_b = np.stack([-np.sin(ab), np.cos(ab)], -1)
    d = cb - ca
    dot = lambda u, v: np.sum(u * v, -1)  # noqa: E731
    depth = None
    for axis in (ax_a, ay_a, ax_b, ay_b):
        ra = ha[..., 0] * np.abs(dot(ax_a, axis)) + ha[..., 1] * np.abs(dot(ay_a, axis))
        rb = hb[..., 0] * np.abs(dot(ax_b, axis)) + hb[..., 1] * np.abs(dot(ay_b, axis))
        overlap = ra + rb - np.abs(dot(d, axis))
        depth = overlap if depth is None else np.minimum(depth, overlap)
    return np.maximum(depth, 0.0)


def pairwise_box_penetration(positions: Any, angles: Any, sizes: Any, skip_static_pairs: Any = None) -> np.ndarray:
    """Overlap depths of all unordered box pairs (i < j) at one instant.

    positions [N, 2], angles [N], sizes [N, 2].  ``skip_static_pairs`` (bool [N],
    True for static bodies) drops static-static pairs.  Returns a flat array of
    depths, one per considered pair.
    """
    p = np.asarray(positions, dtype=np.float64)
    a = np.asarray(angles, dtype=np.float64)
    s = np.asarray(sizes, dtype=np.float64)
    i, j = np.triu_indices(p.shape[0], k=1)
    if skip_static_pairs is not None:
        st = np.asarray(skip_static_pairs, dtype=bool)
        keep = ~(st[i] & st[j])
        i, j = i[keep], j[keep]
    # cheap bounding-circle reject before the SAT test
    reach = 0.5 * np.hypot(s[:, 0], s[:, 1])
    near = np.hypot(*(p[j] - p[i]).T) < reach[i] + reach[j]
    depth = np.zeros(i.shape[0], dtype=np.float64)
    if near.any():
        ii, jj = i[near], j[near]
        depth[near] = obb_overlap_depth(p[ii], a[ii], s[ii], p[jj], a[jj], s[jj])
    return depth


def zero_crossings(t: Any, x: Any) -> np.ndarray:
    """Times where x changes sign, linearly interpolated between samples.

    Samples exactly equal to zero are skipped, so touching zero without
    crossing does not count and an exact zero between opposite signs counts once.
    """
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    nz = np.nonzero(x != 0.0)[0]
    if nz.size < 2:
        return np.zeros(0)
    xs, ts = x[nz], t[nz]
    k = np.nonzero(np.sign(xs[:-1]) != np.sign(xs[1:]))[0]
    x0, x1, t0, t1 = xs[k], xs[k + 1], ts[k], ts[k + 1]
    return t0 + (t1 - t0) * x0 / (x0 - x1)


def period_from_crossings(crossings: Any) -> tuple[float, float]:
    """(period from crossings 1 -> 3, mean period over all crossings); NaN if too few."""
    c = np.asarray(crossings, dtype=np.float64)
    first = float(c[2] - c[0]) if c.size >= 3 else float("nan")
    mean = float(2.0 * (c[-1] - c[0]) / (c.size - 1)) if c.size >= 3 else float("nan")
    return first, mean


def agm(a: float, b: float, tol: float = 1e-15) -> float:
    """Arithmetic-geometric mean of two non-negative numbers."""
    a, b = float(a), float(b)
    for _ in range(100):
        if abs(a - b) <= tol * max(abs(a), 1.0):
            break
        a, b = 0.5 * (a + b), math.sqrt(a * b)
    return 0.5 * (a + b)


def ellipk(k: float) -> float:
    """Complete elliptic integral of the first kind K(k), k the modulus: pi / (2 AGM(1, sqrt(1 - k^2)))."""
    if not 0.0 <= k < 1.0:
        raise ValueError(f"modulus must be in [0, 1), got {k}")
    return math.pi / (2.0 * agm(1.0, math.sqrt(1.0 - k * k)))


def pendulum_period(mass: float, inertia_cm: float, length: float, g: float = G, amplitude: float | None = None) -> float:
    """Physical-pendulum period; small-angle if ``amplitude`` (rad) is None."""
    i_p = inertia_cm + mass * length * length
    small = 2.0 * math.pi * math.sqrt(i_p / (mass * g * length))
    if amplitude is None:
        return small
    return small * 2.0 * ellipk(math.sin(0.5 * amplitude)) / math.pi


def anchor_local(position0: Any, angle0: Any, anchor: Any) -> np.ndarray:
    """Body-frame coordinates of a world point, from the body's initial pose."""
    d = np.asarray(anchor, dtype=np.float64) - np.asarray(position0, dtype=np.float64)
    return rotate(-np.asarray(angle0, dtype=np.float64), d)


def anchor_world(position: Any, angle: Any, local: Any) -> np.ndarray:
    """World coordinates of a body-frame point for poses position [..., 2], angle [...]."""
    return np.asarray(position, dtype=np.float64) + rotate(angle, local)


def joint_errors(traj: Trajectory, joints: Sequence[JointSpec]) -> np.ndarray:
    """Anchor separation [T+1, J] for every joint at every recorded step.

    Each body's copy of the anchor is fixed in its frame at t = 0 from the
    initial pose; the world's copy is the anchor point itself.
    """
    out = np.zeros((traj.position.shape[0], len(joints)), dtype=np.float64)
    for k, jt in enumerate(joints):
        copies = []
        for body in (jt.body_a, jt.body_b):
            if body is None:
                copies.append(np.broadcast_to(np.asarray(jt.anchor, dtype=np.float64), traj.position[:, 0].shape))
            else:
                loc = anchor_local(traj.position[0, body], traj.angle[0, body], jt.anchor)
                copies.append(anchor_world(traj.position[:, body], traj.angle[:, body], loc))
        out[:, k] = np.linalg.norm(copies[0] - copies[1], axis=-1)
    return out


def first_time_at_least(t: Any, x: Any, threshold: float) -> float:
    """First sample time with x >= threshold (inf if never)."""
    x = np.asarray(x, dtype=np.float64)
    hit = np.nonzero(x >= threshold)[0]
    return float(np.asarray(t, dtype=np.float64)[hit[0]]) if hit.size else float("inf")


def rebound_window(vy: Any) -> tuple[int, int]:
    """(k, m): k = first sample with vy > 0 (first impact), m = next sample with vy <= 0.

    k = -1 if the body never moves up; m = last index if vy never returns to <= 0.
    """
    vy = np.asarray(vy, dtype=np.float64)
    up = np.nonzero(vy[1:] > 0.0)[0]
    if up.size == 0:
        return -1, vy.size - 1
    k = int(up[0]) + 1
    down = np.nonzero(vy[k:] <= 0.0)[0]
    m = k + int(down[0]) if down.size else vy.size - 1
    return k, m


def circle_contact_time(p_a: Any, v_a: Any, r_a: float, p_b: Any, v_b: Any, r_b: float) -> float:
    """First time two circles in free flight touch (inf if never)."""
    d = np.asarray(p_b, dtype=np.float64) - np.asarray(p_a, dtype=np.float64)
    w = np.asarray(v_b, dtype=np.float64) - np.asarray(v_a, dtype=np.float64)
    r = r_a + r_b
    a, b, c = w @ w, 2.0 * (d @ w), d @ d - r * r
    disc = b * b - 4.0 * a * c
    if a == 0.0 or disc < 0.0:
        return float("inf")
    t = (-b - math.sqrt(disc)) / (2.0 * a)
    return float(t) if t >= 0.0 else float("inf")


def elastic_circle_collision(
    p_a: Any, v_a: Any, r_a: float, m_a: float, p_b: Any, v_b: Any, r_b: float, m_b: float, e: float = 1.0
) -> dict[str, Any]:
    """Analytic smooth (frictionless) impact of two circles in free flight.

    Returns the contact time, the contact normal (A -> B) and the post-impact
    velocities from an impulse along the line of centres at contact.
    """
    t_c = circle_contact_time(p_a, v_a, r_a, p_b, v_b, r_b)
    va, vb = np.asarray(v_a, dtype=np.float64), np.asarray(v_b, dtype=np.float64)
    if not math.isfinite(t_c):
        return {"t_contact": t_c, "normal": np.full(2, np.nan), "v_a": va.copy(), "v_b": vb.copy()}
    d = (np.asarray(p_b, dtype=np.float64) + vb * t_c) - (np.asarray(p_a, dtype=np.float64) + va * t_c)
    n = d / np.linalg.norm(d)
    vn = (vb - va) @ n
    j = -(1.0 + e) * vn / (1.0 / m_a + 1.0 / m_b)
    return {"t_contact": t_c, "normal": n, "v_a": va - j * n / m_a, "v_b": vb + j * n / m_b}


# --------------------------------------------------------------------------------------
# Engine bridge
# --------------------------------------------------------------------------------------

#: set by simulate_spec when a requested option (e.g. a collision filter) could not be applied
_BUILD_NOTES: dict[str, list[str]] = {}


def build_scene(spec: ScenarioSpec) -> tuple[Any, Any, list[int]]:
    """Build ``spec`` with :class:`tumble.physics.SceneBuilder`.

    Returns (scene, params, order) where ``order[i]`` is the engine's body index
    of ``spec.bodies[i]`` (the ``add_*`` handles resolve to indices at build time).
    """
    from tumble.physics import SceneBuilder

    notes: list[str] = []
    builder = SceneBuilder(gravity=tuple(spec.gravity), dt=spec.dt)
    handles: list[Any] = []
    for body in spec.bodies:
        kw = dict(
            angle=body.angle, density=body.density, friction=body.friction, restitution=body.restitution,
            static=body.static, velocity=tuple(body.velocity), angular_velocity=body.angular_velocity,
            name=body.name,
        )
        if body.kind == "box":
            handles.append(builder.add_box(size=tuple(body.size), position=tuple(body.position), **kw))
        elif body.kind == "circle":
            handles.append(builder.add_circle(body.radius, tuple(body.position), **kw))
        else:
            raise ValueError(f"unknown body kind {body.kind!r}")
    for jt in spec.joints:
        builder.add_revolute_joint(
            None if jt.body_a is None else handles[jt.body_a],
            handles[jt.body_b],
            anchor=tuple(jt.anchor),
            enable_motor=jt.enable_motor,
            motor_speed=jt.motor_speed,
            max_motor_torque=jt.max_motor_torque,
            collide_connected=jt.collide_connected,
        )
    if spec.no_collide_jointed:
        set_filter = getattr(builder, "set_joint_chain_filter", None)
        if callable(set_filter):
            set_filter(True)
        else:
            notes.append("SceneBuilder has no set_joint_chain_filter; non-adjacent links may collide")
    _BUILD_NOTES[spec.name] = notes
    scene, params = builder.build()
    return scene, params, [int(h) for h in handles]


def simulate_spec(spec: ScenarioSpec) -> Trajectory:
    """Build and simulate ``spec``; the trajectory is returned in spec body order."""
    from tumble.physics import simulate

    scene, params, order = build_scene(spec)
    traj = simulate(scene, params, spec.n_steps)
    out = Trajectory.from_engine(traj, order)
    expected = (spec.n_steps + 1, len(spec.bodies))
    if out.angle.shape != expected:
        raise ValueError(f"{spec.name}: trajectory angle shape {out.angle.shape}, expected {expected}")
    return out


# --------------------------------------------------------------------------------------
# Pass criteria (thresholds exactly as in the spec)
# --------------------------------------------------------------------------------------

# (metric, op, threshold): op is "<=", "abs<=", "in" (closed interval), "==" or "is"
_STACKING = [
    ("max_horizontal_displacement", "<=", 0.1),
    ("max_sink", "<=", 0.1),
    ("max_rotation", "<=", 0.05),
    ("max_penetration", "<=", 0.01),
    ("penetration_per_contact", "<=", 0.005),
    ("ke_per_box_max_last_2s", "<=", 2e-5),
]
CRITERIA: dict[str, list[tuple[str, str, Any]]] = {
    "free_fall": [("pos_err", "abs<=", 0.09), ("vel_err", "<=", 1e-3)],
    "bounce": [("rel_err", "abs<=", 0.10)],
    "incline_friction": [("stick_mu0p7.along_slope", "abs<=", 0.01), ("slide_mu0p3.rel_err", "abs<=", 0.03)],
    "pyramid": list(_STACKING),
    "pyramid_base20": list(_STACKING),
    "stack": list(_STACKING),
    "pendulum": [
        ("joint_err_max", "<=", 0.01),
        ("period_first_rel_err", "abs<=", 0.05),
        ("energy_drift_end", "in", (-0.5, 0.02)),
    ],
    "chain": [("joint_err_max", "<=", 0.05), ("stays_connected", "is", True)],
    "motor": [("t95_ratio", "<=", 1.2), ("w_end_rel_err", "abs<=", 0.01)],
    "high_speed": [("tunnelled", "==", 0)],
    "momentum": [
        ("momentum_rel_err", "<=", 1e-5),
        ("ke_rel_change", "abs<=", 0.005),
        ("post_velocity_err_rel", "<=", 0.05),
    ],
}


def check(value: Any, op: str, threshold: Any) -> bool:
    """True when ``value`` meets the criterion; NaN / None never pass."""
    if value is None:
        return False
    if op == "is":
        return value is threshold or (isinstance(value, (bool, np.bool_)) and bool(value) == threshold)
    v = float(value)
    if math.isnan(v):
        return False
    if op == "<=":
        return v <= threshold
    if op == "abs<=":
        return abs(v) <= threshold
    if op == "in":
        return threshold[0] <= v <= threshold[1]
    if op == "==":
        return v == threshold
    raise ValueError(f"unknown op {op!r}")


def describe(op: str, threshold: Any) -> str:
    """Human-readable criterion, e.g. ``|x| <= 0.09``."""
    if op == "<=":
        return f"<= {threshold:g}"
    if op == "abs<=":
        return f"|x| <= {threshold:g}"
    if op == "in":
        return f"in [{threshold[0]:g}, {threshold[1]:g}]"
    return f"{op} {threshold}"


def _result(name: str, metrics: dict[str, Any], wall_s: float, notes: Sequence[str] = ()) -> dict[str, Any]:
    metrics = {k: _plain(v) for k, v in metrics.items()}
    failed = [m for m, op, thr in CRITERIA[name] if not check(metrics.get(m), op, thr)]
    return {
        "scenario": name,
        "metrics": metrics,
        "criteria": {m: describe(op, thr) for m, op, thr in CRITERIA[name]},
        "passed": not failed,
        "failed": failed,
        "wall_s": round(wall_s, 3),
        "notes": list(notes),
    }


def _plain(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    return v


# --------------------------------------------------------------------------------------
# Scenario builders
# --------------------------------------------------------------------------------------


def ground(friction: float = 0.6, restitution: float = 0.0) -> BodySpec:
    """Static 40 m x 1 m box centred at (0, -0.5): top face at y = 0."""
    return BodySpec("box", (0.0, -0.5), size=(40.0, 1.0), static=True, friction=friction, restitution=restitution,
                    name="ground")


def build_free_fall() -> ScenarioSpec:
    return ScenarioSpec("free_fall", (BodySpec("box", (0.0, 10.0), size=(1.0, 1.0), name="box"),), n_steps=60)


BOUNCE_R, BOUNCE_H, BOUNCE_E, BOUNCE_MU = 0.5, 5.0, 0.5, 0.5


def build_bounce() -> ScenarioSpec:
    return ScenarioSpec(
        "bounce",
        (
            ground(BOUNCE_MU, BOUNCE_E),
            BodySpec("circle", (0.0, BOUNCE_H + BOUNCE_R), radius=BOUNCE_R, friction=BOUNCE_MU,
                     restitution=BOUNCE_E, name="ball"),
        ),
        n_steps=180,
    )


INCLINE_ANGLE = math.radians(30.0)


def build_incline(mu: float) -> ScenarioSpec:
    """Slope: static 30 x 1 box at the origin rotated +30 deg; box resting flush at R(30)(8, 1)."""
    c, s = math.cos(INCLINE_ANGLE), math.sin(INCLINE_ANGLE)
    centre = (8.0 * c - 1.0 * s, 8.0 * s + 1.0 * c)
    tag = f"mu{mu:g}".replace(".", "p")
    return ScenarioSpec(
        f"incline_{tag}",
        (
            BodySpec("box", (0.0, 0.0), size=(30.0, 1.0), angle=INCLINE_ANGLE, static=True, friction=mu,
                     restitution=0.0, name="slope"),
            BodySpec("box", centre, size=(1.0, 1.0), angle=INCLINE_ANGLE, friction=mu, restitution=0.0, name="box"),
        ),
        n_steps=180,
    )


def build_pyramid(base: int = 10) -> ScenarioSpec:
    bodies = [ground(0.6, 0.0)]
    for i in range(base):
        n = base - i
        for j in range(n):
            x = (j - (n - 1) / 2.0) * 1.1
            bodies.append(BodySpec("box", (x, 0.5 + i), size=(1.0, 1.0), friction=0.6, restitution=0.0,
                                   name=f"r{i}c{j}"))
    name = "pyramid" if base == 10 else f"pyramid_base{base}"
    return ScenarioSpec(name, tuple(bodies), n_steps=600)


def build_stack(n: int = 10) -> ScenarioSpec:
    bodies = [ground(0.6, 0.0)] + [
        BodySpec("box", (0.0, 0.5 + i), size=(1.0, 1.0), friction=0.6, restitution=0.0, name=f"b{i}")
        for i in range(n)
    ]
    return ScenarioSpec("stack", tuple(bodies), n_steps=600)


PENDULUM_R, PENDULUM_L = 0.25, 2.0


def build_pendulum() -> ScenarioSpec:
    return ScenarioSpec(
        "pendulum",
        (BodySpec("circle", (PENDULUM_L, 0.0), radius=PENDULUM_R, name="bob"),),
        n_steps=600,
        joints=(JointSpec(None, 0, (0.0, 0.0)),),
    )


def build_chain(n_links: int = 10) -> ScenarioSpec:
    bodies = tuple(
        BodySpec("box", (k + 0.5, 0.0), size=(1.0, 0.2), name=f"link{k}") for k in range(n_links)
    )
    joints = (JointSpec(None, 0, (0.0, 0.0)),) + tuple(
        JointSpec(k - 1, k, (float(k), 0.0)) for k in range(1, n_links)
    )
    return ScenarioSpec("chain", bodies, n_steps=600, joints=joints, no_collide_jointed=True)


MOTOR_R, MOTOR_SPEED, MOTOR_TORQUE = 0.5, 5.0, 1.0


def build_motor() -> ScenarioSpec:
    return ScenarioSpec(
        "motor",
        (BodySpec("circle", (0.0, 0.0), radius=MOTOR_R, name="wheel"),),
        n_steps=180,
        joints=(JointSpec(None, 0, (0.0, 0.0), enable_motor=True, motor_speed=MOTOR_SPEED,
                          max_motor_torque=MOTOR_TORQUE),),
    )


HS_R, HS_SPEED, HS_RUNS = 0.1, 50.0, 8


def high_speed_starts() -> list[float]:
    step = HS_SPEED * DT  # 0.833 m per step
    return [-3.0 + (k / HS_RUNS) * step for k in range(HS_RUNS)]


def build_high_speed(x0: float) -> ScenarioSpec:
    """Wall: static 0.2 x 4 box occupying x in [0, 0.2], centred on the ball's line of flight."""
    return ScenarioSpec(
        "high_speed",
        (
            BodySpec("box", (0.1, 0.0), size=(0.2, 4.0), static=True, friction=0.5, restitution=0.0, name="wall"),
            BodySpec("circle", (x0, 0.0), radius=HS_R, friction=0.5, restitution=0.0, velocity=(HS_SPEED, 0.0),
                     name="bullet"),
        ),
        n_steps=30,
    )


def build_momentum() -> ScenarioSpec:
    return ScenarioSpec(
        "momentum",
        (
            BodySpec("circle", (-2.0, 0.0), radius=0.5, friction=0.0, restitution=1.0, velocity=(3.0, 0.0), name="A"),
            BodySpec("circle", (2.0, 0.3), radius=0.25, friction=0.0, restitution=1.0, velocity=(-1.0, 0.0),
                     name="B"),
        ),
        n_steps=120,
        gravity=(0.0, 0.0),
    )


# --------------------------------------------------------------------------------------
# Metrics per scenario (from trajectories) and runners
# --------------------------------------------------------------------------------------


def free_fall_metrics(spec: ScenarioSpec, traj: Trajectory) -> dict[str, Any]:
    t = spec.n_steps * spec.dt
    y0 = spec.bodies[0].position[1]
    y, vy = traj.position[-1, 0, 1], traj.velocity[-1, 0, 1]
    return {
        "pos_err": y - (y0 - 0.5 * G * t * t),
        "vel_err": abs(vy + G * t),
        "y_end": y,
    }


def bounce_metrics(spec: ScenarioSpec, traj: Trajectory) -> dict[str, Any]:
    ball = 1
    r = spec.bodies[ball].radius
    low = traj.position[:, ball, 1] - r
    vy = traj.velocity[:, ball, 1]
    k, m = rebound_window(vy)
    if k < 0:
        rebound = 0.0
        pen = float(max(0.0, -low.min()))
    else:
        rebound = float(low[k : m + 1].max())
        pen = float(max(0.0, -low[: m + 1].min()))
    target = BOUNCE_E**2 * BOUNCE_H
    return {
        "rebound_height": rebound,
        "rel_err": rebound / target - 1.0,
        "effective_restitution": math.sqrt(max(rebound, 0.0) / BOUNCE_H),
        "penetration_at_impact": pen,
        "t_first_impact": k * spec.dt if k >= 0 else float("nan"),
    }


def incline_displacement(spec: ScenarioSpec, traj: Trajectory) -> float:
    """Down-slope displacement of the box centre at the end of the run."""
    down = -np.array([math.cos(INCLINE_ANGLE), math.sin(INCLINE_ANGLE)])
    return float((traj.position[-1, 1] - traj.position[0, 1]) @ down)


def incline_slide_analytic(mu: float, t: float) -> float:
    return G * (math.sin(INCLINE_ANGLE) - mu * math.cos(INCLINE_ANGLE)) * t * t / 2.0


def stacking_metrics(spec: ScenarioSpec, traj: Trajectory, n_contacts: int) -> dict[str, Any]:
    dyn = spec.dynamic
    p, a = traj.position, traj.angle
    dx_end = np.abs(p[-1, dyn, 0] - p[0, dyn, 0])
    dy_end = p[-1, dyn, 1] - p[0, dyn, 1]
    dx_all = np.abs(p[:, dyn, 0] - p[0, dyn, 0])
    sizes = np.array([b.size for b in spec.bodies], dtype=np.float64)
    depth = pairwise_box_penetration(p[-1], a[-1], sizes, skip_static_pairs=~dyn)
    m, inertia = spec.masses[dyn], spec.inertias[dyn]
    ke = kinetic_energy(traj.velocity[:, dyn], traj.angular_velocity[:, dyn], m, inertia)
    n_boxes = int(dyn.sum())
    total_pen = float(depth.sum())
    return {
        "max_horizontal_displacement": float(dx_end.max()),
        "max_horizontal_displacement_any_time": float(dx_all.max()),
        "max_sink": float(max(0.0, (-dy_end).max())),
        "max_rise": float(max(0.0, dy_end.max())),
        "max_rotation": float(np.abs(wrap_angle(a[-1, dyn])).max()),
        "max_penetration": float(depth.max()) if depth.size else 0.0,
        "total_penetration": total_pen,
        "penetration_per_contact": total_pen / n_contacts,
        "ke_end": float(ke[-1]),
        "ke_per_box_max_last_2s": float(ke[-120:].max() / n_boxes),
        "finite": traj.is_finite(),
    }


def pendulum_metrics(spec: ScenarioSpec, traj: Trajectory) -> dict[str, Any]:
    bob = spec.bodies[0]
    pivot = np.asarray(spec.joints[0].anchor, dtype=np.float64)
    m, i_cm = bob.mass, bob.inertia
    length = float(np.linalg.norm(np.asarray(bob.position) - pivot))
    t = spec.times()
    err = joint_errors(traj, spec.joints)[1:, 0]
    d = traj.position[:, 0] - pivot
    phi = np.unwrap(np.arctan2(d[:, 0], -d[:, 1]))  # angle from the downward vertical
    period_first, period = period_from_crossings(zero_crossings(t, phi))
    t_an = pendulum_period(m, i_cm, length, G, amplitude=abs(float(phi[0])))
    t_small = pendulum_period(m, i_cm, length, G)
    v, w = traj.velocity[:, 0], traj.angular_velocity[:, 0]
    energy = 0.5 * m * np.sum(v * v, -1) + 0.5 * i_cm * w * w + m * G * traj.position[:, 0, 1]
    return {
        "joint_err_max": float(err.max()),
        "joint_err_mean": float(err.mean()),
        "period_first": period_first,
        "period_first_rel_err": period_first / t_an - 1.0,
        "period": period,
        "period_rel_err": period / t_an - 1.0,
        "period_analytic": t_an,
        "period_small_angle": t_small,
        "energy_drift_end": float((energy[-1] - energy[0]) / (m * G * length)),
    }


def chain_metrics(spec: ScenarioSpec, traj: Trajectory) -> dict[str, Any]:
    err = joint_errors(traj, spec.joints)[1:]
    finite = traj.is_finite()
    err_max = float(err.max()) if finite else float("nan")
    return {
        "joint_err_max": err_max,
        "joint_err_mean": float(err.mean()) if finite else float("nan"),
        "stays_connected": bool(finite and err_max < 0.1),
    }


def motor_metrics(spec: ScenarioSpec, traj: Trajectory) -> dict[str, Any]:
    wheel = spec.bodies[0]
    w = traj.angular_velocity[:, 0]
    t95 = first_time_at_least(spec.times(), w, 0.95 * MOTOR_SPEED)
    t_an = 0.95 * MOTOR_SPEED * wheel.inertia / MOTOR_TORQUE
    w_end = float(w[-1])
    return {
        "t95": t95,
        "t95_analytic": t_an,
        "t95_ratio": t95 / t_an,
        "w_end": w_end,
        "w_end_rel_err": w_end / MOTOR_SPEED - 1.0,
    }


def momentum_metrics(spec: ScenarioSpec, traj: Trajectory) -> dict[str, Any]:
    a, b = spec.bodies
    m = spec.masses
    mom = np.einsum("n,tnk->tk", m, traj.velocity)
    ke = kinetic_energy(traj.velocity, traj.angular_velocity, m, spec.inertias)
    an = elastic_circle_collision(a.position, a.velocity, a.radius, a.mass, b.position, b.velocity, b.radius, b.mass,
                                  e=1.0)
    approach = float(np.linalg.norm(np.subtract(a.velocity, b.velocity)))
    v_end = traj.velocity[-1]
    err = max(np.linalg.norm(v_end[0] - an["v_a"]), np.linalg.norm(v_end[1] - an["v_b"]))
    return {
        "momentum_rel_err": float(np.linalg.norm(mom[-1] - mom[0]) / np.linalg.norm(mom[0])),
        "ke_rel_change": float((ke[-1] - ke[0]) / ke[0]),
        "post_velocity_err_rel": float(err / approach),
        "t_contact_analytic": an["t_contact"],
    }


def _timed(fn: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _notes(*names: str) -> list[str]:
    return [n for name in names for n in _BUILD_NOTES.get(name, [])]


def run_free_fall() -> dict[str, Any]:
    spec = build_free_fall()
    metrics, wall = _timed(lambda: free_fall_metrics(spec, simulate_spec(spec)))
    return _result("free_fall", metrics, wall)


def run_bounce() -> dict[str, Any]:
    spec = build_bounce()
    metrics, wall = _timed(lambda: bounce_metrics(spec, simulate_spec(spec)))
    return _result("bounce", metrics, wall)


def run_incline_friction() -> dict[str, Any]:
    def go() -> dict[str, Any]:
        stick, slide = build_incline(0.7), build_incline(0.3)
        along = incline_displacement(stick, simulate_spec(stick))
        dist = incline_displacement(slide, simulate_spec(slide))
        target = incline_slide_analytic(0.3, slide.n_steps * slide.dt)
        return {
            "stick_mu0p7.along_slope": along,
            "slide_mu0p3.distance": dist,
            "slide_mu0p3.analytic": target,
            "slide_mu0p3.rel_err": dist / target - 1.0,
        }

    metrics, wall = _timed(go)
    return _result("incline_friction", metrics, wall)


def run_pyramid(base: int = 10) -> dict[str, Any]:
    spec = build_pyramid(base)
    metrics, wall = _timed(lambda: stacking_metrics(spec, simulate_spec(spec), base * base))
    metrics = {"boxes": base * (base + 1) // 2, **metrics}
    return _result(spec.name, metrics, wall)


def run_pyramid_base20() -> dict[str, Any]:
    return run_pyramid(20)


def run_stack() -> dict[str, Any]:
    spec = build_stack(10)
    metrics, wall = _timed(lambda: stacking_metrics(spec, simulate_spec(spec), 10))
    return _result("stack", metrics, wall)


def run_pendulum() -> dict[str, Any]:
    spec = build_pendulum()
    metrics, wall = _timed(lambda: pendulum_metrics(spec, simulate_spec(spec)))
    return _result("pendulum", metrics, wall)


def run_chain() -> dict[str, Any]:
    spec = build_chain()
    metrics, wall = _timed(lambda: chain_metrics(spec, simulate_spec(spec)))
    return _result("chain", metrics, wall, _notes("chain"))


def run_motor() -> dict[str, Any]:
    spec = build_motor()
    metrics, wall = _timed(lambda: motor_metrics(spec, simulate_spec(spec)))
    return _result("motor", metrics, wall)


def run_high_speed() -> dict[str, Any]:
    def go() -> dict[str, Any]:
        x_end = []
        for x0 in high_speed_starts():
            spec = build_high_speed(x0)
            x_end.append(float(simulate_spec(spec).position[-1, 1, 0]))
        wall_mid = 0.1
        x_end_arr = np.asarray(x_end)
        return {
            # NaN counts as tunnelled: the ball did not demonstrably stay in front of the wall
            "tunnelled": int(np.sum(~(x_end_arr <= wall_mid))),
            "runs": len(x_end),
            "x_end_max": float(np.max(x_end_arr)),
        }

    metrics, wall = _timed(go)
    return _result("high_speed", metrics, wall)


def run_momentum() -> dict[str, Any]:
    spec = build_momentum()
    metrics, wall = _timed(lambda: momentum_metrics(spec, simulate_spec(spec)))
    return _result("momentum", metrics, wall)


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    "free_fall": run_free_fall,
    "bounce": run_bounce,
    "incline_friction": run_incline_friction,
    "pyramid": run_pyramid,
    "pyramid_base20": run_pyramid_base20,
    "stack": run_stack,
    "pendulum": run_pendulum,
    "chain": run_chain,
    "motor": run_motor,
    "high_speed": run_high_speed,
    "momentum": run_momentum,
}


def run_scenario(name: str) -> dict[str, Any]:
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    return SCENARIOS[name]()


def run_all(names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Run the named scenarios (all by default) and return their result dicts."""
    return [run_scenario(n) for n in (list(SCENARIOS) if names is None else names)]
