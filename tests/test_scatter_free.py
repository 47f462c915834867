"""The one-scene step's scatter- and sort-free pieces equal the scatter or sort they replace, bit for bit,
against independent numpy or brute-force expectations, unbatched, under vmap over one and over several."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from tumble.physics.barrier import kernels_when_unbatched
from tumble.physics.filtering import chain_labels, joined_pairs
from tumble.physics.solver import _live_first
from tumble.physics.step import _lane_of_pair, _per_body_sum
from tumble.physics.schedule import pair_schedule


def _components(n: int, edges: list[tuple[int, int]]) -> np.ndarray:
    """Least index of each node's connected component, by depth-first search."""
    label = np.arange(n)
    for start in range(n):
        seen, todo = {start}, [start]
        while todo:
            u = todo.pop()
            for a, b in edges:
                for x, y in ((a, b), (b, a)):
                    if x == u and y not in seen:
                        seen.add(y)
                        todo.append(y)
        label[start] = min(seen)
    return label


@pytest.mark.parametrize("seed", range(6))
def test_joined_pairs_and_chain_labels_match_a_graph_search(seed):
    rng = np.random.default_rng(seed)
    n, j = 9, 6
    u, w = rng.integers(-1, n + 1, j), rng.integers(-1, n + 1, j)  # some out of range: they mark nothing
    on = rng.random(j) < 0.7
    want = np.zeros((n, n), bool)
    edges = []
    for a, b, o in zip(u, w, on):
        if o and 0 <= a < n and 0 <= b < n:
            want[a, b] = want[b, a] = True
            edges.append((a, b))
    adjacent = joined_pairs(jnp.asarray(u), jnp.asarray(w), jnp.asarray(on), n)
    np.testing.assert_array_equal(np.asarray(adjacent), want)
    np.testing.assert_array_equal(np.asarray(chain_labels(adjacent, j)), _components(n, edges))


def test_chain_labels_need_as_many_rounds_as_links():
    path = jnp.asarray(np.eye(5, k=1, dtype=bool) | np.eye(5, k=-1, dtype=bool))  # 0-1-2-3-4
    np.testing.assert_array_equal(np.asarray(chain_labels(path, 4)), [0, 0, 0, 0, 0])
    assert int(chain_labels(path, 3)[4]) == 1  # one round short: the far end has not heard of body 0


@pytest.mark.parametrize("seed", range(4))
def test_per_body_sum_equals_the_scatter_add_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    values = (rng.normal(size=(5, 3)) * 10.0 ** rng.integers(-3, 4, (5, 3))).astype(np.float32)
    body = rng.integers(-1, 4, 5).astype(np.int32)  # repeats, and -1 counting from the end
    want = np.zeros((4, 3), np.float32)
    for k in range(5):  # in order from zero, as the scatter adds
        want[body[k]] += values[k]
    got = _per_body_sum(jnp.asarray(values), jnp.asarray(body), 4)
    np.testing.assert_array_equal(np.asarray(got), want)
    batch = np.stack([values, values[::-1]]), np.stack([body, body[::-1]])
    for size in (1, 2):  # under vmap over one scene (compares) and over several (the scatter)
        got = jax.vmap(lambda v, b: _per_body_sum(v, b, 4))(jnp.asarray(batch[0][:size]), jnp.asarray(batch[1][:size]))
        np.testing.assert_array_equal(np.asarray(got[0]), want)


@pytest.mark.parametrize("seed", range(5))
def test_live_first_is_a_stable_argsort_of_not_live(seed):
    rng = np.random.default_rng(seed)
    for size in (1, 4, 11):
        live = rng.random(size) < rng.random()
        np.testing.assert_array_equal(np.asarray(_live_first(jnp.asarray(live))), np.argsort(~live, kind="stable"))


@pytest.mark.parametrize("n_bodies", [1, 4, 7])
def test_lane_of_pair_points_each_pair_to_its_lane(n_bodies):
    sched = pair_schedule(n_bodies, min(n_bodies, 2))
    table = _lane_of_pair(sched)
    a, b = sched.body_a.reshape(-1), sched.body_b.reshape(-1)
    for lane, (x, y) in enumerate(zip(a, b)):
        assert table[x, y] == table[y, x] == lane
    pairs = {(int(x), int(y)) for x, y in zip(a, b)} | {(int(y), int(x)) for x, y in zip(a, b)}
    assert {(int(x), int(y)) for x, y in zip(*np.nonzero(table != a.size))} == pairs  # no other cell names a lane


def test_kernels_when_unbatched_returns_its_input():
    x = jnp.asarray([0.5, -2.0, 3.0, 3.0, jnp.nan], jnp.float32)
    np.testing.assert_array_equal(np.asarray(kernels_when_unbatched(x)), np.asarray(x))
    np.testing.assert_array_equal(np.asarray(jax.vmap(kernels_when_unbatched)(jnp.stack([x, -x]))),
                                  np.asarray(jnp.stack([x, -x])))
