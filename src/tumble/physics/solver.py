"""The velocity solver: substeps of warm start, solve and relax passes, then restitution.

This is the hot loop of a step (ten passes over every constraint at the
default five substeps), so its data layout matters more than anywhere else.
Every function here works on arrays whose leading axes are the constraint
layout ([bodies], [rounds, lanes], [walls, bodies], [joints]) and broadcasts
over any trailing axes.  Unbatched, there are none.  Under ``vmap`` the
custom batching rule of ``solve_velocities`` moves the batch axis to the end
instead of the front, so that every element-wise kernel's innermost loop
runs over the batch: XLA's CPU loops then vectorise across environments
instead of over three lanes or five bodies, which makes a lane solve about
four times cheaper at batch 1024 (measured: 62 -> 14 ns per lane).  A batch
of one has nothing to vectorise: the rule runs the unbatched program on it,
which launches fewer kernels (M, batch 1: about 1.2x the steps/s, and half
the CPU time, of the batch-last program with a one-wide batch axis).  One
scene also loops over only its live rounds and walls, gathering the two
bodies of each lane by index, instead of scanning every round through the
seats (M, batch 1: +31-38% steps/s; a skipped region inside a scan still
pays for the scan's slicing and the seat shuffle), with its contact and
joint impulses packed and its velocities and displacements stacked
throughout (``solve_one_scene``): each kernel is a launch there, and each
change of layout would be kernels per pass.

At batch 1 the time goes to XLA's CPU runtime (launching kernels,
scheduling them), not to arithmetic.  Its executor hands half of any
ready queue longer than eight kernels to a second thread, which then spins
between tasks; whether that happens in a hot loop varies with small
changes of the program.  See docs/architecture.md ("Batch 1 and XLA's
threads") for the measurements and the ``NPROC=1`` setting.

Rejected: letting ``vmap`` batch the loop as usual (batch-major arrays, the
innermost axis as short as the number of lanes); unrolling the rounds (no
gain, slower compiles).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from tumble.physics.barrier import computed_once_else, fusible_stack, one_scene_or_batched, ordered_sum
from tumble.physics.contact_solver import (
    BounceConstants,
    ContactConstraints,
    ContactImpulses,
    apply_restitution,
    apply_wall_restitution,
    solve_contacts,
    solve_wall_contacts,
    wall_constraints,
    warm_start_contacts,
)
from tumble.physics.joints import (
    JointConstraints,
    JointImpulses,
    pack_joint_impulses,
    solve_joints,
    solve_joints_stacked,
    unpack_joint_impulses,
    warm_start_joints,
    warm_start_joints_stacked,
)
from tumble.physics.scene import WALL_NORMALS
from tumble.physics.schedule import PairSchedule
from tumble.physics.softness import Softness


class Impulses(NamedTuple):
    """Accumulated impulses of every constraint, carried across substeps."""

    pairs: ContactImpulses  # lanes [R, L]
    walls: ContactImpulses  # [4, N]
    joints: JointImpulses


class SolverConstants(NamedTuple):
    """Per-step scalars of the solver (each may carry trailing batch axes)."""

    h: jax.Array  # substep length
    max_push: jax.Array
    restitution_threshold: jax.Array
    max_speed: jax.Array
    max_turn: jax.Array  # rad/s cap on angular speed
    linear_damping: jax.Array  # velocity factor per substep
    angular_damping: jax.Array
    contact_soft: Softness  # contacts between dynamic bodies
    static_soft: Softness  # contacts with a static body or a wall
    joint_soft: Softness


def _pack(tree, fused: bool = False) -> tuple[jax.Array, object]:
    """Stack a pytree of same-shaped [K, ...] leaves into one [K, F, ...] array.

    A ``lax.scan`` over a pytree slices every leaf separately on every
    iteration (one small kernel each); over one packed array it is one slice.
    ``fused`` stacks with :func:`fusible_stack`, so that the code computing
    the leaves fuses into a few kernels: fewer kernels to compile and launch
    for one scene, but 5-10% slower steps at M, batch 1024, where the fused
    kernels recompute shared terms per field.
    """
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return (fusible_stack if fused else jnp.stack)(leaves, axis=1), treedef


def _unpack(packed: jax.Array, treedef, axis: int = 0):
    """Inverse of ``_pack`` for one slice (fields on ``axis`` 0) or the whole array (``axis=1``)."""
    n_fields = packed.shape[axis]
    return jax.tree_util.tree_unflatten(
        treedef, [jax.lax.index_in_dim(packed, i, axis, keepdims=False) for i in range(n_fields)])


def _any_live(row_mass, imp: ContactImpulses) -> jax.Array:
    """Per entry of the leading axis (a round, a wall): whether any of its contact rows has mass or an impulse."""
    rows = [x != 0.0 for x in (*row_mass, *imp.normal, *imp.tangent)]
    live = functools.reduce(jnp.logical_or, rows)
    return jnp.any(live.reshape(live.shape[0], -1), axis=1)


def _filler_output(imp_def, n_velocity_sides: int):
    """A function of ``(*args, filler)`` returning ``filler`` in each place of a region's outputs.

    For the never-taken branch of :func:`computed_once_else`: outputs that are
    an operand compile to copies, not kernels.  The outputs are impulses
    (structure ``imp_def``) then ``n_velocity_sides`` velocity triples, each
    leaf shaped like ``filler``.  The structure is given rather than found by
    ``jax.eval_shape`` of the region, which would trace it once more (a fifth
    of tracing one M step).
    """
    def fill(args):
        filler = args[-1]
        imps = jax.tree_util.tree_unflatten(imp_def, [filler] * imp_def.num_leaves)
        return (imps, *(((filler,) * 3,) * n_velocity_sides))
    return fill


def _at(x: jax.Array, i: jax.Array) -> jax.Array:
    """``x[i]`` for a traced in-range scalar ``i``: one dynamic slice, without jnp's negative-index wrap-around."""
    return jax.lax.dynamic_index_in_dim(x, i, 0, keepdims=False)


def _set_at(x: jax.Array, i: jax.Array, value: jax.Array) -> jax.Array:
    """``x.at[i].set(value)`` for a traced in-range scalar ``i``: one in-place update, without a bounds check."""
    return jax.lax.dynamic_update_index_in_dim(x, value, i, 0)


def _live_first(live: jax.Array) -> jax.Array:
    """The indices of ``live``'s true entries in order, then of its false ones: ``argsort(~live, stable=True)``.

    Counted with cumulative sums and compares rather than sorted, so that a
    one-scene step holds no sort and XLA can compile a loop of steps whole.
    """
    count = live.astype(jnp.int32)
    rank = jnp.where(live, jnp.cumsum(count) - 1, jnp.sum(count) + jnp.cumsum(1 - count) - 1)
    slots = jnp.arange(live.shape[0], dtype=jnp.int32)
    return jnp.sum(jnp.where(rank[None, :] == slots[:, None], slots[None, :], 0), axis=1)


def _expand(mask: np.ndarray, like: jax.Array) -> np.ndarray:
    """``mask`` with trailing unit axes so that it broadcasts against ``like``."""
    return mask.reshape(mask.shape + (1,) * (like.ndim - mask.ndim))


def _velocity_solver(n: int, sched: PairSchedule, substeps: int):
    """The solver for ``n`` bodies and schedule ``sched``, on arrays with any trailing axes."""
    lanes = sched.lanes
    a_idx, b_idx = sched.body_a, sched.body_b
    n_seats = sched.seats.size
    half, first = n_seats // 2, sched.first_seat  # seat 0 is the bye's ground slot when first == 1
    seat_of_body = np.argsort(sched.seats)
    swapped = sched.swapped
    seats_total = n + 1  # bodies and the ground slot
    # warm starting sums each lane's impulse into its two bodies: a 0/1 matrix for one scene,
    # static lists of lanes per body for a batch
    # per body (and the ground slot), the lane sides that act on it: indices into [lanes of side A,
    # then of side B, then one zero], padded with the zero
    side_bodies = np.concatenate([a_idx.reshape(-1), b_idx.reshape(-1)])
    sides_of_body = [np.nonzero(side_bodies == s)[0] for s in range(seats_total)]
    sides_per_body = np.full((seats_total, max([1] + [x.size for x in sides_of_body])), side_bodies.size, np.uint32)
    for s, sides in enumerate(sides_of_body):
        sides_per_body[s, :sides.size] = sides
    lanes_of_body = [
        [(r, k, 0) for r, k in zip(*np.nonzero(a_idx == s))] + [(r, k, 1) for r, k in zip(*np.nonzero(b_idx == s))]
        for s in range(seats_total)
    ]
    # one scene writes a round back as a gather from [bodies + ground, lanes A, lanes B]: per round,
    # where each body's new velocity sits (a scatter would keep XLA from compiling the loops whole)
    round_sources = np.tile(np.arange(seats_total, dtype=np.uint32), (max(a_idx.shape[0], 1), 1))
    for r in range(a_idx.shape[0]):
        round_sources[r, a_idx[r]] = seats_total + np.arange(lanes)
        round_sources[r, b_idx[r]] = seats_total + lanes + np.arange(lanes)

    def solve(v, pair_c: ContactConstraints, pair_bounce: BounceConstants, wall_c: ContactConstraints,
              wall_bounce: BounceConstants, joint_c: JointConstraints, imps: Impulses, accel, k: SolverConstants):
        h = k.h
        inv_h = 1.0 / h
        # one packing of the pair constants for every pass: the loops of the solve and restitution
        # passes then slice the same layout, and their kernels are compiled once
        one_scene = v[0].ndim == 1
        pair_packed, wall_packed = _pack((pair_c, pair_bounce), one_scene), _pack((wall_c, wall_bounce), one_scene)
        if one_scene:
            # From here on every read of these constants is a slice of the packed arrays (inside a
            # loop, sliced there): a field read apart would keep its own kernel instead of fusing
            # into the pack (one M step: 345 -> 309 distinct kernels to compile)
            pair_fields = lambda: _unpack(pair_packed[0], pair_packed[1], axis=1)  # noqa: E731
            wall_fields = lambda: _unpack(wall_packed[0], wall_packed[1], axis=1)  # noqa: E731
        else:  # batched: the packs do not fuse (see _pack), so reading from them would gain nothing
            pair_fields = lambda: (pair_c, pair_bounce)  # noqa: E731
            wall_fields = lambda: (wall_c, wall_bounce)  # noqa: E731
        # A round or a wall with no live contact row (no mass, no warm-start impulse) would
        # change nothing on any pass of the step: its region is skipped.  For one scene that
        # is most of them; the conditional also materialises the region (see barrier.py).
        round_live = _any_live(pair_fields()[0].row_mass, imps.pairs)  # [R]
        wall_live = _any_live(wall_fields()[0].row_mass, imps.walls)  # [4]
        if one_scene:
            # the live rounds and walls, in order, then their count: the loops visit only those
            live_rounds, live_walls = _live_first(round_live), _live_first(wall_live)
            n_live_rounds, n_live_walls = (jnp.sum(x.astype(jnp.int32)) for x in (round_live, wall_live))
            # contact impulses stay packed ([R, 6, L], [4, 6, N]) and velocities stacked through the
            # loops: each conversion between layouts would be a kernel per pass
            wall_normals = jnp.asarray(WALL_NORMALS, jnp.float32)
            (pairs0, imp_def), (walls0, _) = _pack(imps.pairs), _pack(imps.walls)
            imps = imps._replace(pairs=pairs0, walls=walls0)
        # seats [first, half) meet seats [half, n_seats - first) reversed; the bye's two seats sit out
        # seats are axis 1 of the packed [3, seats, ...] velocities
        lo = lambda x: x[:, first:half]  # noqa: E731
        hi = lambda x: x[:, half:n_seats - first][:, ::-1]  # noqa: E731
        rotate = lambda x: jnp.concatenate([x[:, :1], x[:, -1:], x[:, 1:-1]], axis=1)  # noqa: E731

        def over_rounds(v, dp, imp_pairs, lane_fn, packed):
            """Apply ``lane_fn(constraints, impulses, va, vb, dpa, dpb)`` round by round (batched).

            ``packed`` is ``_pack`` of the constraints (any pytree over [rounds, lanes]).

            Bodies sit in seats; every round pairs the low half with the
            reversed high half, and the seats rotate between rounds, all with
            static slices.  A round's inputs arrive as a few packed arrays and
            the whole round runs inside one conditional region (skipped when
            no lane of the round is live; see barrier.py).
            """
            if lanes == 0:  # one body: no pairs
                return v, imp_pairs
            imp_packed, imp_def = _pack(imp_pairs)
            # displacements do not change during a pass: read them per lane once
            dp_lanes = jnp.stack([x[a_idx] for x in dp] + [x[b_idx] for x in dp], axis=1)  # [R, 6, L, ...]

            def seated_pairs(v_seat, swap):
                swap = _expand(swap, lo(v_seat)[0])
                va, vb = jnp.where(swap, hi(v_seat), lo(v_seat)), jnp.where(swap, lo(v_seat), hi(v_seat))
                return tuple(va[i] for i in range(3)), tuple(vb[i] for i in range(3))

            def round_body(args):
                v_seat, c_r, imp_r, dp_r, swap = args
                va, vb = seated_pairs(v_seat, swap)
                dpa, dpb = tuple(dp_r[i] for i in range(3)), tuple(dp_r[i] for i in range(3, 6))
                imp_r, va, vb = lane_fn(_unpack(c_r, packed[1]), _unpack(imp_r, imp_def), va, vb, dpa, dpb)
                return va, vb, tuple(jax.tree_util.tree_leaves(imp_r))

            def round_skipped(args):
                v_seat, _, imp_r, _, swap = args
                return *seated_pairs(v_seat, swap), tuple(imp_r[i] for i in range(imp_r.shape[0]))

            def one_round(v_seat, xs):
                c_r, imp_r, dp_r, swap, live = xs
                # the region's outputs are plain per-lane values: fusing the seat shuffle
                # into it would re-run the lane chain per output element, unvectorised
                va, vb, imp_r = jax.lax.cond(live, round_body, round_skipped, (v_seat, c_r, imp_r, dp_r, swap))
                swap = _expand(swap, va[0])
                va, vb = jnp.stack(va), jnp.stack(vb)
                v_seat = rotate(jnp.concatenate([v_seat[:, :first], jnp.where(swap, vb, va),
                                                 jnp.where(swap, va, vb)[:, ::-1], v_seat[:, n_seats - first:]], axis=1))
                return v_seat, jnp.stack(imp_r)

            v_seat = jnp.stack([x[sched.seats] for x in v])
            xs = (packed[0], imp_packed, dp_lanes, jnp.asarray(swapped), round_live)
            v_seat, imp_packed = jax.lax.scan(one_round, v_seat, xs)
            imp_pairs = _unpack(imp_packed, imp_def, axis=1)
            if n_seats == n + 1:  # the ground slot was seated as the bye
                return tuple(v_seat[i][seat_of_body] for i in range(3)), imp_pairs
            return tuple(jnp.concatenate([v_seat[i][seat_of_body], g[-1:]]) for i, g in enumerate(v)), imp_pairs

        def over_live_rounds(v_all, dp_all, imp_packed, lane_fn):
            """``over_rounds`` for one scene: a loop over only the live rounds, bodies gathered by index.

            ``v_all`` and ``dp_all`` are the stacked [3, n + 1] velocities and
            displacements, ``imp_packed`` the packed [R, 6, L] impulses.
            Skipping a dead round inside a scan still pays for the scan's
            slicing and the seat shuffle, and for one scene every kernel is a
            launch; here a dead round costs nothing.
            """
            if lanes == 0:  # one body: no pairs
                return v_all, imp_packed
            # unsigned lane indices: jnp skips the wrap-around of negative indices (a kernel each)
            body_a, body_b = jnp.asarray(a_idx, jnp.uint32), jnp.asarray(b_idx, jnp.uint32)
            round_sources_j = jnp.asarray(round_sources)
            filler = jnp.zeros((lanes,), v_all.dtype)

            def one_round(i, carry):
                v_all, imp_packed = carry
                r = _at(live_rounds, i)
                a, b = _at(body_a, r), _at(body_b, r)  # no body twice in a round: the scatters do not collide

                def solve_round(args):
                    c_r, imp_r, a, b = args
                    return lane_fn(_unpack(c_r, pair_packed[1]), _unpack(imp_r, imp_def), tuple(v_all[:, a]),
                                   tuple(v_all[:, b]), tuple(dp_all[:, a]), tuple(dp_all[:, b]))

                imp_r, va, vb = computed_once_else(lambda x: solve_round(x[:-1]), _filler_output(imp_def, 2), i,
                                                   (_at(pair_packed[0], r), _at(imp_packed, r), a, b, filler))
                v_all = jnp.concatenate([v_all, jnp.stack(va), jnp.stack(vb)], axis=1)[:, _at(round_sources_j, r)]
                return v_all, _set_at(imp_packed, r, jnp.stack(jax.tree_util.tree_leaves(imp_r)))

            return jax.lax.fori_loop(0, n_live_rounds, one_round, (v_all, imp_packed))

        def over_live_walls(v_all, imp_packed, wall_fn):
            """``over_walls`` for one scene: a loop over only the live walls (stacked velocities, packed impulses)."""
            filler = jnp.zeros((n,), v_all.dtype)

            def one_wall(i, carry):
                v_all, imp_packed = carry
                w = _at(live_walls, i)

                def solve_wall(args):
                    c_w, imp_w, w = args
                    normal = _at(wall_normals, w)
                    return wall_fn((normal[0], normal[1]), _unpack(c_w, wall_packed[1]),
                                   _unpack(imp_w, imp_def), tuple(v_all[:, :n]))

                imp_w, vb = computed_once_else(lambda x: solve_wall(x[:-1]), _filler_output(imp_def, 1), i,
                                               (_at(wall_packed[0], w), _at(imp_packed, w), w, filler))
                imp_packed = _set_at(imp_packed, w, jnp.stack(jax.tree_util.tree_leaves(imp_w)))
                return v_all.at[:, :n].set(jnp.stack(vb)), imp_packed

            return jax.lax.fori_loop(0, n_live_walls, one_wall, (v_all, imp_packed))

        def over_walls(v, imp_walls, wall_fn):
            """Apply ``wall_fn(normal, (constraints, bounce), impulses, v_bodies)`` wall by wall, all bodies at once.

            Each wall runs in a region that is skipped when the wall has no
            live contact (``wall_live``).  Batched, the four walls are
            unrolled and each wall's normal is a constant of the program,
            which removes a third of a wall solve's arithmetic (M, batch 1024:
            +11-17% steps/s).  Batched only: one scene, where kernel launches
            and not arithmetic cost, uses ``over_live_walls``, whose loop
            visits only the live walls and compiles one region instead of four
            (unrolled: +0.7 s to compile one M step).
            """
            vb = tuple(x[:n] for x in v)
            per_wall = []
            for w, normal in enumerate(WALL_NORMALS):
                def wall_body(args, w=w, normal=normal):
                    constants, imp_all, vb = args
                    row, imp_w = jax.tree_util.tree_map(lambda x: x[w], (constants, imp_all))
                    return wall_fn(normal, row, imp_w, vb)

                def wall_skipped(args, w=w):
                    _, imp_all, vb = args
                    return jax.tree_util.tree_map(lambda x: x[w], imp_all), vb

                imp_w, vb = jax.lax.cond(wall_live[w], wall_body, wall_skipped, (wall_fields(), imp_walls, vb))
                per_wall.append(imp_w)
            imp_walls = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *per_wall)
            return tuple(jnp.concatenate([xb, x[-1:]]) for xb, x in zip(vb, v)), imp_walls

        def pass_fns(dp_bodies, use_bias):
            """The wall and lane functions of a solve pass.

            ``dp_bodies()`` gives the displacements of the bodies (no ground
            slot); called inside a wall's region, its slices fuse there.
            """
            def wall_fn(normal, row, imp_w, vb):
                c_w = row[0]  # a body's masses against this wall, as against every wall
                return solve_wall_contacts(wall_constraints(c_w), normal, imp_w, vb, dp_bodies(), c_w.mb, c_w.ib,
                                           use_bias, inv_h, k.max_push, k.static_soft)

            def lane_fn(c_r, imp_r, va, vb, dpa, dpb):
                c_r, _ = c_r
                return solve_contacts(c_r, imp_r, va, vb, dpa, dpb, use_bias, inv_h, k.max_push, k.contact_soft,
                                      k.static_soft)

            return wall_fn, lane_fn

        def solve_pass(v, dp, imps: Impulses, use_bias: jax.Array):
            joints, v = solve_joints(joint_c, imps.joints, v, dp, k.joint_soft, use_bias, inv_h)
            wall_fn, lane_fn = pass_fns(lambda: tuple(x[:n] for x in dp), use_bias)
            v, walls_imp = over_walls(v, imps.walls, wall_fn)
            v, pairs = over_rounds(v, dp, imps.pairs, lane_fn, pair_packed)
            return v, Impulses(pairs, walls_imp, joints)

        def contact_warm_start_deltas(imp_walls, imp_pairs):
            """Velocity changes of warm starting the contacts: per wall and body, per lane and side."""
            wall_c, pair_c = wall_fields()[0], pair_fields()[0]
            zw = tuple(jnp.zeros_like(wall_c.ma) for _ in range(3))
            _, dw = warm_start_contacts(wall_c, imp_walls, zw, zw)
            zl = tuple(jnp.zeros_like(pair_c.ma) for _ in range(3))
            da, db = warm_start_contacts(pair_c, imp_pairs, zl, zl)
            return dw, da, db

        def warm_start(v, dp, imps: Impulses):
            v = warm_start_joints(joint_c, imps.joints, v, dp)
            # contacts: impulses summed per body (accumulation has no races); batch-last, static
            # slices and adds stay element-wise, vectorised over the batch
            dw, da, db = contact_warm_start_deltas(imps.walls, imps.pairs)
            out = []
            for x, xw, xa, xb in zip(v, dw, da, db):
                x = x.at[:n].add(xw[0] + xw[1] + xw[2] + xw[3])
                sides = (xa, xb)
                per_body = [sum((sides[side][r, k] for r, k, side in lanes_of_body[s]), jnp.zeros_like(x[0]))
                            for s in range(n)]
                x = x.at[:n].add(jnp.stack(per_body))
                out.append(x.at[-1].set(0.0))
            return tuple(out)

        def clamp_speed(vx, vy, w):
            speed = jnp.sqrt(vx * vx + vy * vy)
            scale = jnp.minimum(1.0, k.max_speed / jnp.maximum(speed, 1e-12))
            return vx * scale, vy * scale, jnp.clip(w, -k.max_turn, k.max_turn)

        def integrate_velocities(v):
            return clamp_speed((v[0] + h * accel[0]) * k.linear_damping, (v[1] + h * accel[1]) * k.linear_damping,
                               (v[2] + h * accel[2]) * k.angular_damping)

        def substep(carry, _):
            v, dp, imps = carry
            v = integrate_velocities(v)
            v = warm_start(v, dp, imps)

            def solve_then_relax(carry, use_bias):
                # pass 1: solve with bias, then move the bodies; pass 2: relax (no bias)
                v, dp, imps = carry
                v, imps = solve_pass(v, dp, imps, use_bias)
                v = clamp_speed(*v)  # extreme motors or thrusters must not fling bodies past the caps
                move = jnp.where(use_bias, h, 0.0)
                dp = tuple(d + move * x for d, x in zip(dp, v))
                return (v, dp, imps), None

            return jax.lax.scan(solve_then_relax, (v, dp, imps), jnp.array([True, False]))[0], None

        def bounce_wall(normal, row, imp_w, vb):
            c_w, bc = row
            return apply_wall_restitution(wall_constraints(c_w), normal, bc, imp_w, vb, c_w.mb, c_w.ib,
                                          k.restitution_threshold)

        def bounce_lane(c_r, imp_r, va, vb, dpa, dpb):
            c_r, bc = c_r
            return apply_restitution(c_r, bc, imp_r, va, vb, k.restitution_threshold)

        def solve_one_scene(v, imps: Impulses):
            """The solver for one scene, on stacked [3, n + 1] velocities and displacements.

            Contact impulses stay packed ([R, 6, L], [4, 6, N]), joint
            impulses too ([J, 6]), and velocities and displacements stacked,
            through every loop: for one scene each kernel is a launch, and
            each conversion between layouts would be kernels per pass.
            """
            accel_all = jnp.stack(accel)
            damping = jnp.stack([k.linear_damping, k.linear_damping, k.angular_damping])[:, None]
            ground = np.arange(n + 1) == n  # the ground slot never moves

            def clamp(v_all):
                return jnp.stack(clamp_speed(v_all[0], v_all[1], v_all[2]))

            def warm_start_one(v_all, dp_all, imps: Impulses):
                v_all = warm_start_joints_stacked(joint_c, imps.joints, v_all, dp_all)
                dw, da, db = contact_warm_start_deltas(*(_unpack(x, imp_def, axis=1) for x in (imps.walls, imps.pairs)))
                v_all = v_all.at[:, :n].add(jnp.stack([ordered_sum(x) for x in dw]))
                # one gather and a chain of adds sums the lanes into their bodies (a matrix product would
                # be a library call, which keeps XLA from compiling the substep loop whole, see
                # whole_loops; a reduce may sum in an order that depends on the surrounding program,
                # and recorded action sequences replay only where every program rounds alike)
                lanes = jnp.stack([jnp.concatenate([xa.reshape(-1), xb.reshape(-1), jnp.zeros((1,), xa.dtype)])
                                   for xa, xb in zip(da, db)])
                v_all = v_all + ordered_sum(lanes[:, sides_per_body], axis=2)
                return jnp.where(ground, 0.0, v_all)

            def substep_one(carry, _):
                v_all, dp_all, imps = carry
                v_all = clamp((v_all + h * accel_all) * damping)
                v_all = warm_start_one(v_all, dp_all, imps)

                def solve_then_relax(carry, use_bias):
                    # pass 1: solve with bias, then move the bodies; pass 2: relax (no bias)
                    v_all, dp_all, imps = carry
                    joints, v_all = solve_joints_stacked(joint_c, imps.joints, v_all, dp_all, k.joint_soft, use_bias,
                                                         inv_h)
                    wall_fn, lane_fn = pass_fns(lambda: tuple(dp_all[:, :n]), use_bias)
                    v_all, walls_imp = over_live_walls(v_all, imps.walls, wall_fn)
                    v_all, pairs_imp = over_live_rounds(v_all, dp_all, imps.pairs, lane_fn)
                    v_all = clamp(v_all)  # extreme motors or thrusters must not fling bodies past the caps
                    dp_all = dp_all + jnp.where(use_bias, h, 0.0) * v_all
                    return (v_all, dp_all, Impulses(pairs_imp, walls_imp, joints)), None

                return jax.lax.scan(solve_then_relax, (v_all, dp_all, imps), jnp.array([True, False]))[0], None

            v_all = jnp.stack(v)
            imps = imps._replace(joints=pack_joint_impulses(imps.joints))
            (v_all, dp_all, imps), _ = jax.lax.scan(substep_one, (v_all, jnp.zeros_like(v_all), imps), None,
                                                    length=substeps)
            v_all, wall_final = over_live_walls(v_all, imps.walls, bounce_wall)
            v_all, pair_final = over_live_rounds(v_all, dp_all, imps.pairs, bounce_lane)
            pair_final, wall_final = (_unpack(x, imp_def, axis=1) for x in (pair_final, wall_final))
            return tuple(v_all), tuple(dp_all), Impulses(pair_final, wall_final, unpack_joint_impulses(imps.joints))

        if one_scene:
            return solve_one_scene(v, imps)
        dp0 = tuple(jnp.zeros_like(x) for x in v)
        (v, dp, imps), _ = jax.lax.scan(substep, (v, dp0, imps), None, length=substeps)
        v, wall_final = over_walls(v, imps.walls, bounce_wall)
        v, pair_final = over_rounds(v, dp, imps.pairs, bounce_lane, pair_packed)
        return v, dp, Impulses(pair_final, wall_final, imps.joints)

    return solve


def solve_velocities(n: int, sched: PairSchedule, substeps: int, *args):
    """Run the solver on ``args`` (see ``_velocity_solver``); batch-last under ``vmap``.

    Returns ``(v, dp, impulses)``: final velocities and displacements over
    the step, each a tuple of three arrays over bodies plus the ground slot.
    Reverse-mode differentiation through it is not supported (``custom_vmap``).
    """
    solve = _velocity_solver(n, sched, substeps)

    def batched_last(axis_size, in_batched, *args):
        def to_last(x, batched):
            x = jnp.asarray(x)
            return jnp.moveaxis(x, 0, -1) if batched else jnp.broadcast_to(x[..., None], x.shape + (axis_size,))

        out = solve(*jax.tree_util.tree_map(to_last, list(args), list(in_batched)))
        return jax.tree_util.tree_map(lambda x: jnp.moveaxis(x, -1, 0), out)

    # a batch of one has nothing to vectorise: the one-scene solver runs fewest kernels
    return one_scene_or_batched(solve, batched_last)(*args)

    return batched_last(*args)
