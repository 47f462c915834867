"""Static, race-free ordering of every body pair for the parallel solver.

The round-robin ("circle method") tournament splits all pairs of ``n`` bodies
into ``n' - 1`` rounds of ``n' / 2`` games (``n'`` is ``n`` rounded up to even),
in which every body plays exactly once.  All lanes of a round can therefore
be solved at the same time without two lanes writing the same body: each round
is one exact Gauss-Seidel step, and one pass over the rounds visits every pair
once.  For odd ``n`` the spare seat is the "ground" slot (index ``n``) in the
fixed seat 0: its game each round is the bye, never a contact, so it gets no
lane and every lane is a real pair (``rounds * lanes == n (n - 1) / 2``).

Everything here is plain numpy, computed once per capacity at trace time.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

PAIR_NONE = 0
PAIR_POLYGON_POLYGON = 1
PAIR_POLYGON_CIRCLE = 2
PAIR_CIRCLE_CIRCLE = 3


@dataclasses.dataclass(frozen=True)
class PairSchedule:
    """Round-robin schedule for ``n_bodies`` bodies (``n_polygons`` first).

    Attributes:
      body_a, body_b: int32 [rounds, lanes] body index of each lane (``a < b``).
      kind: int32 [rounds, lanes] one of the ``PAIR_*`` codes.
      seats: int32 [seats] body in each seat in round 0; for odd ``n_bodies``
        the ground slot sits in seat 0 (see ``first_seat``).  Lane ``k`` pairs
        seat ``first_seat + k`` with seat ``seats - 1 - first_seat - k``; after
        each round seat 0 stays and the others rotate one place
        (``new = [s0, s_last, s1, ..., s_last-1]``), so the seat order is
        back to the start after all rounds.
      swapped: bool [rounds, lanes] lane whose body A sits in the high seat.
    """

    n_bodies: int
    n_polygons: int
    body_a: np.ndarray
    body_b: np.ndarray
    kind: np.ndarray
    seats: np.ndarray
    swapped: np.ndarray

    @property
    def rounds(self) -> int:
        return self.body_a.shape[0]

    @property
    def lanes(self) -> int:
        return self.body_a.shape[1]

    @property
    def first_seat(self) -> int:
        """1 when seat 0 holds the ground slot (odd body counts), whose bye game has no lane; else 0."""
        return self.n_bodies % 2

    def lanes_of_kind(self, kind: int) -> np.ndarray:
        """Flat lane indices (row-major over [rounds, lanes]) holding pairs of ``kind``."""
        return np.flatnonzero(self.kind.reshape(-1) == kind).astype(np.int32)


@functools.lru_cache(maxsize=None)
def pair_schedule(n_bodies: int, n_polygons: int) -> PairSchedule:
    """Build the round-robin schedule for ``n_bodies`` bodies, polygons first."""
    if n_bodies < 1:
        raise ValueError("a scene needs capacity for at least one body")
    seats = n_bodies + (n_bodies % 2)  # odd counts use the ground slot as the bye
    # the ground slot takes the fixed seat 0, so lane 0 of every round is the bye (see ``bye_lane``)
    players = [n_bodies] + list(range(n_bodies)) if n_bodies % 2 else list(range(seats))
    rounds = max(seats - 1, 1)
    first = n_bodies % 2  # the bye game (seat 0 against the last seat) gets no lane
    lanes = seats // 2 - first
    body_a = np.zeros((rounds, lanes), np.int32)
    body_b = np.zeros((rounds, lanes), np.int32)
    # circle method: seat 0 fixed, the others rotate one place per round
    swapped = np.zeros((rounds, lanes), bool)
    ring = players[1:]
    for r in range(rounds):
        order = [players[0]] + ring
        for k in range(lanes):
            i, j = order[first + k], order[seats - 1 - first - k]
            body_a[r, k], body_b[r, k] = min(i, j), max(i, j)
            swapped[r, k] = i > j
        ring = ring[-1:] + ring[:-1]

    kind = np.full((rounds, lanes), PAIR_NONE, np.int32)
    real = body_b < n_bodies
    a_poly = body_a < n_polygons
    b_poly = body_b < n_polygons
    kind[real & a_poly & b_poly] = PAIR_POLYGON_POLYGON
    kind[real & a_poly & ~b_poly] = PAIR_POLYGON_CIRCLE
    kind[real & ~a_poly & ~b_poly] = PAIR_CIRCLE_CIRCLE

    seat_order = np.array(players, np.int32)
    return PairSchedule(n_bodies, n_polygons, body_a, body_b, kind, seat_order, swapped)
