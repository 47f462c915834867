"""Contact constraints: prepare, warm start, solve (with and without bias), restitution.

All functions work on "lanes": each lane is one body pair with a manifold of
up to two points, i.e. four constraint rows (normal 0, normal 1, tangent 0,
tangent 1).  Data is structure-of-arrays, every field an array over lanes.

Within a lane the rows are solved one after another (Gauss-Seidel), but not
by updating body velocities after each row: the rows' relative velocities
are linear in the impulses, ``u = u0 + K @ impulses`` with ``K`` the lane's
4x4 Delassus matrix (rebuilt from the arms and masses on each pass), so a pass reads the body
velocities once, runs the sequential updates on four scalars, and writes the
bodies once.  It is the same Gauss-Seidel step, but XLA's element-wise
fusion (which re-evaluates a chain for every output it feeds) now repeats a
short scalar chain instead of the whole velocity update, which makes the
solver several times faster and quicker to compile.

Body velocities come in as ``(vx, vy, w)`` and displacements since the start
of the step as ``(dx, dy, dangle)``.  The caller guarantees that no two lanes
solved together share a dynamic body (see ``schedule.py``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from tumble.physics.manifold import Manifold
from tumble.physics.softness import Softness

Vel = tuple[jax.Array, jax.Array, jax.Array]  # (vx, vy, w) or (dx, dy, dangle)
Rows = tuple[jax.Array, jax.Array, jax.Array, jax.Array]  # per row: normal 0, normal 1, tangent 0, tangent 1
N_ROWS = 4


class ContactConstraints(NamedTuple):
    """Per-step constants of a set of contact lanes, read on every solve and relax pass.

    Kept to what a pass cannot cheaply recompute: every field is streamed
    through memory on each of the ten passes of a step, which costs more than
    the arithmetic that rebuilds the Delassus entries from the arms and masses
    (see ``_coupling``).  What only restitution needs is in :class:`BounceConstants`.
    """

    nx: jax.Array
    ny: jax.Array
    arm_a: Rows  # r_a x direction of each row
    arm_b: Rows  # r_b x direction of each row
    row_mass: Rows  # 1 / K[p][p], 0 for inactive points
    separation: tuple[jax.Array, jax.Array]  # per point, at the start of the step
    friction: jax.Array
    stiff: jax.Array  # 1.0 against a static body (the stiffer softness), 0.0 between dynamic bodies
    ma: jax.Array  # inverse masses and inertias
    ia: jax.Array
    mb: jax.Array
    ib: jax.Array


class BounceConstants(NamedTuple):
    """Per-step constants that only the restitution pass reads."""

    relative_velocity: tuple[jax.Array, jax.Array]  # normal speed per point at the start (negative: approaching)
    restitution: jax.Array


class ContactImpulses(NamedTuple):
    normal: tuple[jax.Array, jax.Array]  # accumulated over the step, per point
    tangent: tuple[jax.Array, jax.Array]
    max_normal: tuple[jax.Array, jax.Array]  # largest single normal impulse (gates restitution)


def _coupling(ma, ia, mb, ib, arm_a: Rows, arm_b: Rows) -> dict[tuple[int, int], jax.Array]:
    """The lane's 4x4 Delassus matrix ``K[p, q]`` (symmetric; rows 0-1 normal, 2-3 tangent).

    Normal and tangent directions are orthonormal, so the linear part is the
    summed inverse mass on the diagonal blocks and zero across them.
    """
    msum = ma + mb
    k = {}
    for p in range(N_ROWS):
        for q in range(p, N_ROWS):
            angular = ia * arm_a[p] * arm_a[q] + ib * arm_b[p] * arm_b[q]
            k[p, q] = k[q, p] = msum + angular if (p < 2) == (q < 2) else angular
    return k


def _directions(c: ContactConstraints, row: int):
    return (c.nx, c.ny) if row < 2 else (c.ny, -c.nx)


def impulses_from_arrays(normal: jax.Array, tangent: jax.Array) -> ContactImpulses:
    """Warm-start impulses from [..., 2] arrays."""
    zero = jnp.zeros_like(normal[..., 0])
    return ContactImpulses((normal[..., 0], normal[..., 1]), (tangent[..., 0], tangent[..., 1]), (zero, zero))


def impulses_to_arrays(imp: ContactImpulses) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(normal, tangent, max_normal) as [..., 2] arrays."""
    return tuple(jnp.stack(x, axis=-1) for x in imp)  # type: ignore[return-value]


def prepare_contacts(
    m: Manifold, enabled: jax.Array, va: Vel, vb: Vel, ma, ia, mb, ib, friction, restitution,
) -> tuple[ContactConstraints, BounceConstants]:
    """Step constants for the lanes of ``m`` (``enabled`` masks lanes)."""
    nx, ny = m.normal[..., 0], m.normal[..., 1]
    dirs = [(nx, ny), (nx, ny), (ny, -nx), (ny, -nx)]
    points = [0, 1, 0, 1]
    arm_a, arm_b = [], []
    for (dx, dy), p in zip(dirs, points):
        arm_a.append(m.anchor_a[..., p, 0] * dy - m.anchor_a[..., p, 1] * dx)
        arm_b.append(m.anchor_b[..., p, 0] * dy - m.anchor_b[..., p, 1] * dx)
    k = _coupling(ma, ia, mb, ib, arm_a, arm_b)
    active = [m.active[..., p] & enabled for p in (0, 1)]
    row_mass = []
    for r in range(N_ROWS):
        ok = active[points[r]] & (k[r, r] > 0.0)
        row_mass.append(jnp.where(ok, 1.0 / jnp.where(ok, k[r, r], 1.0), 0.0))
    rel = []
    for p in (0, 1):
        rel.append((vb[0] - va[0]) * nx + (vb[1] - va[1]) * ny + vb[2] * arm_b[p] - va[2] * arm_a[p])
    stiff = ((ma == 0.0) | (mb == 0.0)).astype(nx.dtype)
    constraints = ContactConstraints(
        nx=nx, ny=ny, arm_a=tuple(arm_a), arm_b=tuple(arm_b), row_mass=tuple(row_mass),
        separation=(m.separation[..., 0], m.separation[..., 1]), friction=friction, stiff=stiff,
        ma=ma, ia=ia, mb=mb, ib=ib,
    )
    return constraints, BounceConstants(relative_velocity=tuple(rel), restitution=restitution)


def _row_velocities(c: ContactConstraints, va: Vel, vb: Vel, rows) -> list[jax.Array]:
    dvx, dvy = vb[0] - va[0], vb[1] - va[1]
    out = []
    for r in rows:
        dx, dy = _directions(c, r)
        out.append(dvx * dx + dvy * dy + vb[2] * c.arm_b[r] - va[2] * c.arm_a[r])
    return out


def _apply_rows(c: ContactConstraints, va: Vel, vb: Vel, impulses: dict[int, jax.Array]) -> tuple[Vel, Vel]:
    """Apply row impulses (positive pushes B along the row direction, A against)."""
    px = sum(impulses[r] * _directions(c, r)[0] for r in impulses)
    py = sum(impulses[r] * _directions(c, r)[1] for r in impulses)
    ta = sum(impulses[r] * c.arm_a[r] for r in impulses)
    tb = sum(impulses[r] * c.arm_b[r] for r in impulses)
    va = (va[0] - c.ma * px, va[1] - c.ma * py, va[2] - c.ia * ta)
    vb = (vb[0] + c.mb * px, vb[1] + c.mb * py, vb[2] + c.ib * tb)
    return va, vb


def warm_start_contacts(c: ContactConstraints, imp: ContactImpulses, va: Vel, vb: Vel) -> tuple[Vel, Vel]:
    """Apply last substep's accumulated impulses."""
    return _apply_rows(c, va, vb, {0: imp.normal[0], 1: imp.normal[1], 2: imp.tangent[0], 3: imp.tangent[1]})


class WallConstraints(NamedTuple):
    """Per-step constants of body-against-wall contacts, [walls, bodies].

    A wall is static and its normal is a constant of the program, so next to
    :class:`ContactConstraints` this drops the normal, wall-side arms and
    masses and the softness flag; the bodies' inverse masses are passed once
    per body instead of once per wall.
    """

    arm_b: Rows
    row_mass: Rows
    separation: tuple[jax.Array, jax.Array]
    friction: jax.Array


def wall_constraints(c: ContactConstraints) -> WallConstraints:
    """The fields of ``c`` (prepared with a static wall as body A) that a wall solve reads."""
    return WallConstraints(c.arm_b, c.row_mass, c.separation, c.friction)


def _targets(separation_now, u, use_bias, inv_h, max_push, soft: Softness):
    """Per normal point: the velocity error to remove and the soft mass and impulse scales.

    A positive current separation is a speculative contact: it only stops
    the bodies from closing more than the gap within one substep.  The relax
    pass (``use_bias`` false) removes the velocity error rigidly.
    """
    target, mass_scale, impulse_scale = [], [], []
    for p in range(2):
        s = separation_now[p]
        speculative = s > 0.0
        soft_bias = jnp.where(use_bias, jnp.maximum(soft.bias_rate * s, -max_push), 0.0)
        target.append(u[p] + jnp.where(speculative, s * inv_h, soft_bias))
        rigid = speculative | ~use_bias
        mass_scale.append(jnp.where(rigid, 1.0, soft.mass_scale))
        impulse_scale.append(jnp.where(rigid, 0.0, soft.impulse_scale))
    return target, mass_scale, impulse_scale


def _solve_rows(imp: ContactImpulses, u, k, target, mass_scale, impulse_scale, row_mass: Rows, friction):
    """One Gauss-Seidel sweep over a lane's rows: the two normal points (as a block when possible), then friction.

    ``u`` are the rows' current relative velocities and ``k`` the lane's
    Delassus matrix.  Returns the new impulses and each row's impulse change.
    """
    # one point after the other (Gauss-Seidel) ...
    seq = []
    err = list(target)
    for p in range(2):
        old = imp.normal[p]
        new = jnp.maximum(old - row_mass[p] * mass_scale[p] * err[p] - impulse_scale[p] * old, 0.0)
        seq.append(new)
        err[1] = err[1] + k[1, p] * (new - old)
    # ... or both at once (2x2 block, as Box2D v2), when both push and the pair is well
    # conditioned: two symmetric points then get symmetric impulses, so a flat face-on
    # impact does not set the bodies spinning
    k00, k01, k11 = k[0, 0], k[0, 1], k[1, 1]
    det = k00 * k11 - k01 * k01
    conditioned = (row_mass[0] > 0.0) & (row_mass[1] > 0.0) & (det > 1e-3 * k00 * k11)
    inv_det = jnp.where(conditioned, 1.0 / jnp.where(conditioned, det, 1.0), 0.0)
    x0 = (k11 * target[0] - k01 * target[1]) * inv_det
    x1 = (k00 * target[1] - k01 * target[0]) * inv_det
    block = [imp.normal[0] - mass_scale[0] * x0 - impulse_scale[0] * imp.normal[0],
             imp.normal[1] - mass_scale[1] * x1 - impulse_scale[1] * imp.normal[1]]
    use_block = conditioned & (block[0] >= 0.0) & (block[1] >= 0.0)
    normal = [jnp.where(use_block, block[p], seq[p]) for p in range(2)]
    delta = {p: normal[p] - imp.normal[p] for p in range(2)}
    max_normal = [jnp.maximum(imp.max_normal[p], delta[p]) for p in range(2)]
    u = [u[q] + k[q, 0] * delta[0] + k[q, 1] * delta[1] for q in range(N_ROWS)]
    tangent = []
    for p in range(2):
        r = 2 + p
        old = imp.tangent[p]
        limit = friction * normal[p]
        new = jnp.clip(old - row_mass[r] * u[r], -limit, limit)
        d = new - old
        tangent.append(new)
        delta[r] = d
        u = [u[q] + k[q, r] * d for q in range(N_ROWS)]
    return ContactImpulses(tuple(normal), tuple(tangent), tuple(max_normal)), delta


def solve_contacts(c: ContactConstraints, imp: ContactImpulses, va: Vel, vb: Vel, dpa: Vel, dpb: Vel,
                   use_bias: jax.Array, inv_h: jax.Array, max_push: jax.Array, soft: Softness, static_soft: Softness):
    """One pass over the lanes' rows: the two normal points (as a block when possible), then friction.

    The current separation is the step-start separation moved by the bodies'
    displacements since (linearised in the rotation).  ``use_bias`` (a
    traced bool) selects the solve pass (soft position correction) or the
    relax pass (none).  Contacts with a static body use ``static_soft``,
    the others ``soft``.
    """
    k = _coupling(c.ma, c.ia, c.mb, c.ib, c.arm_a, c.arm_b)
    stiff = c.stiff > 0.5
    lane_soft = Softness(*(jnp.where(stiff, x, y) for x, y in zip(static_soft, soft)))
    u = _row_velocities(c, va, vb, range(N_ROWS))
    moved = (dpb[0] - dpa[0]) * c.nx + (dpb[1] - dpa[1]) * c.ny
    now = [c.separation[p] + moved + dpb[2] * c.arm_b[p] - dpa[2] * c.arm_a[p] for p in range(2)]
    target, mass_scale, impulse_scale = _targets(now, u, use_bias, inv_h, max_push, lane_soft)
    imp, delta = _solve_rows(imp, u, k, target, mass_scale, impulse_scale, c.row_mass, c.friction)
    va, vb = _apply_rows(c, va, vb, delta)
    return imp, va, vb


def _wall_rows(normal: tuple[float, float]):
    """Each row's direction for a wall whose (constant) normal is ``normal``: rows 0-1 normal, 2-3 tangent."""
    nx, ny = normal
    return [(nx, ny), (nx, ny), (ny, -nx), (ny, -nx)]


def _is_constant(d, value: float) -> bool:
    return isinstance(d, float) and d == value


def _scaled(x, d):
    """``x * d``, without multiplying by a constant 1 or -1."""
    return x if _is_constant(d, 1.0) else -x if _is_constant(d, -1.0) else x * d


def _along(x, y, direction):
    """``x * dx + y * dy``, skipping constant zero components (axis-aligned walls)."""
    terms = [_scaled(v, d) for v, d in zip((x, y), direction) if not _is_constant(d, 0.0)]
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def _wall_system(c: WallConstraints, normal, vb: Vel, mb, ib):
    """Row directions, relative velocities and Delassus matrix of body B against a static wall."""
    rows = _wall_rows(normal)
    u = [_along(vb[0], vb[1], d) + vb[2] * c.arm_b[r] for r, d in enumerate(rows)]
    k = {}
    for p in range(N_ROWS):
        for q in range(p, N_ROWS):
            angular = ib * c.arm_b[p] * c.arm_b[q]
            k[p, q] = k[q, p] = mb + angular if (p < 2) == (q < 2) else angular
    return rows, u, k


def _apply_wall_rows(rows, c: WallConstraints, vb: Vel, mb, ib, delta) -> Vel:
    """Apply row impulses to bodies B (a wall does not move)."""
    out = []
    for axis in (0, 1):
        terms = [_scaled(delta[r], rows[r][axis]) for r in delta if not _is_constant(rows[r][axis], 0.0)]
        out.append(vb[axis] + mb * sum(terms[1:], terms[0]) if terms else vb[axis])
    return out[0], out[1], vb[2] + ib * sum(delta[r] * c.arm_b[r] for r in delta)


def solve_wall_contacts(c: WallConstraints, normal: tuple[float, float], imp: ContactImpulses, vb: Vel, dpb: Vel,
                        mb, ib, use_bias: jax.Array, inv_h: jax.Array, max_push: jax.Array, static_soft: Softness):
    """``solve_contacts`` for bodies B against one static wall with a constant normal: returns ``(impulses, vb)``."""
    rows, u, k = _wall_system(c, normal, vb, mb, ib)
    moved = _along(dpb[0], dpb[1], normal)
    now = [c.separation[p] + moved + dpb[2] * c.arm_b[p] for p in range(2)]
    target, mass_scale, impulse_scale = _targets(now, u, use_bias, inv_h, max_push, static_soft)
    imp, delta = _solve_rows(imp, u, k, target, mass_scale, impulse_scale, c.row_mass, c.friction)
    return imp, _apply_wall_rows(rows, c, vb, mb, ib, delta)


def _bounce_rows(imp: ContactImpulses, u, k, bc: BounceConstants, row_mass: Rows, threshold):
    """Restitution on a lane's normal points; returns the new normal impulses and their changes."""
    bounce = [(bc.relative_velocity[p] < -threshold) & (imp.max_normal[p] > 0.0) & (bc.restitution > 0.0) for p in (0, 1)]
    target = [u[p] + bc.restitution * bc.relative_velocity[p] for p in (0, 1)]
    seq = []
    for p in range(2):
        old = imp.normal[p]
        new = jnp.where(bounce[p], jnp.maximum(old - row_mass[p] * target[p], 0.0), old)
        seq.append(new)
        target[1] = target[1] + k[1, p] * (new - old)
    # both points bouncing together: solve them as a block so that symmetric points stay symmetric
    target = [u[p] + bc.restitution * bc.relative_velocity[p] for p in (0, 1)]
    k00, k01, k11 = k[0, 0], k[0, 1], k[1, 1]
    det = k00 * k11 - k01 * k01
    conditioned = bounce[0] & bounce[1] & (row_mass[0] > 0.0) & (row_mass[1] > 0.0) & (det > 1e-3 * k00 * k11)
    inv_det = jnp.where(conditioned, 1.0 / jnp.where(conditioned, det, 1.0), 0.0)
    block = [imp.normal[0] - (k11 * target[0] - k01 * target[1]) * inv_det,
             imp.normal[1] - (k00 * target[1] - k01 * target[0]) * inv_det]
    use_block = conditioned & (block[0] >= 0.0) & (block[1] >= 0.0)
    normal = [jnp.where(use_block, block[p], seq[p]) for p in range(2)]
    return imp._replace(normal=tuple(normal)), {p: normal[p] - imp.normal[p] for p in range(2)}


def apply_restitution(c: ContactConstraints, bc: BounceConstants, imp: ContactImpulses, va: Vel, vb: Vel, threshold):
    """Bounce: drive the normal speed of impacting points to ``-e`` times the approach speed."""
    k = _coupling(c.ma, c.ia, c.mb, c.ib, c.arm_a, c.arm_b)
    u = _row_velocities(c, va, vb, (0, 1))
    imp, delta = _bounce_rows(imp, u, k, bc, c.row_mass, threshold)
    va, vb = _apply_rows(c, va, vb, delta)
    return imp, va, vb


def apply_wall_restitution(c: WallConstraints, normal: tuple[float, float], bc: BounceConstants, imp: ContactImpulses,
                           vb: Vel, mb, ib, threshold):
    """``apply_restitution`` for bodies B against one static wall with a constant normal: returns ``(impulses, vb)``."""
    rows, u, k = _wall_system(c, normal, vb, mb, ib)
    imp, delta = _bounce_rows(imp, u, k, bc, c.row_mass, threshold)
    return imp, _apply_wall_rows(rows, c, vb, mb, ib, delta)
