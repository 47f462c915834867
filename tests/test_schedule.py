"""The round-robin pair schedule: every pair exactly once, no body twice in a round (no compilation)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tumble.physics.schedule import (
    PAIR_CIRCLE_CIRCLE,
    PAIR_NONE,
    PAIR_POLYGON_CIRCLE,
    PAIR_POLYGON_POLYGON,
    pair_schedule,
)


@pytest.mark.parametrize("n", range(1, 14))
def test_every_pair_exactly_once(n):
    s = pair_schedule(n, n // 2)
    pairs = [(int(a), int(b)) for a, b in zip(s.body_a.reshape(-1), s.body_b.reshape(-1)) if b < n]
    assert all(a < b for a, b in pairs)
    assert sorted(pairs) == sorted(itertools.combinations(range(n), 2))  # complete and without repeats


@pytest.mark.parametrize("n", range(1, 14))
def test_no_body_twice_in_a_round(n):
    s = pair_schedule(n, n // 2)
    for r in range(s.rounds):
        seats = np.concatenate([s.body_a[r], s.body_b[r]])
        assert len(set(seats.tolist())) == seats.size, f"round {r}: {seats}"
        # every lane is a real pair: the ground slot's bye game (odd n) has no lane
        assert set(seats.tolist()) <= set(range(n))


@pytest.mark.parametrize("n", range(1, 14))
def test_shape(n):
    s = pair_schedule(n, 0)
    seats = n + n % 2
    assert s.lanes == seats // 2 - n % 2
    assert s.rounds == max(seats - 1, 1)
    assert s.rounds * s.lanes == n * (n - 1) // 2  # no lane wasted
    if n % 2:
        assert s.seats[0] == n  # the ground slot sits out in the fixed seat


@pytest.mark.parametrize("n", range(1, 14))
def test_seat_rotation_reproduces_every_round(n):
    # the solver never gathers inside its loop: it pairs seat k with seat S-1-k and
    # rotates the seats (seat 0 fixed, the last moves to 1); that must give each
    # round's lanes and swap flags, and come back to the start after all rounds
    s = pair_schedule(n, n // 2)
    order = list(s.seats)
    seats, first = len(order), s.first_seat
    for r in range(s.rounds):
        for k in range(s.lanes):
            lo, hi = order[first + k], order[seats - 1 - first - k]
            assert {lo, hi} == {s.body_a[r, k], s.body_b[r, k]}
            assert s.swapped[r, k] == (lo > hi)
        order = [order[0], order[-1]] + order[1:-1]
    assert order == list(s.seats)


@pytest.mark.parametrize("n, p", [(1, 1), (2, 0), (5, 2), (7, 7), (8, 3), (13, 6)])
def test_pair_kinds(n, p):
    s = pair_schedule(n, p)
    for a, b, k in zip(s.body_a.reshape(-1), s.body_b.reshape(-1), s.kind.reshape(-1)):
        if b >= n:
            expected = PAIR_NONE
        elif b < p:
            expected = PAIR_POLYGON_POLYGON
        elif a < p:
            expected = PAIR_POLYGON_CIRCLE
        else:
            expected = PAIR_CIRCLE_CIRCLE
        assert k == expected, (a, b, k)
    total = sum(s.lanes_of_kind(k).size for k in (PAIR_POLYGON_POLYGON, PAIR_POLYGON_CIRCLE, PAIR_CIRCLE_CIRCLE))
    assert total == n * (n - 1) // 2
    assert s.lanes_of_kind(PAIR_POLYGON_POLYGON).size == p * (p - 1) // 2
    assert s.lanes_of_kind(PAIR_CIRCLE_CIRCLE).size == (n - p) * (n - p - 1) // 2


def test_rejects_empty():
    with pytest.raises(ValueError):
        pair_schedule(0, 0)
