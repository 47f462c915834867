"""The fusion helpers return exactly what the plain jnp calls return."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from tumble.physics.barrier import fusible_concatenate, fusible_stack, ordered_sum


@pytest.mark.parametrize("count", [1, 8, 9, 17, 25])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_fusible_stack_equals_stack(count, axis):
    rng = np.random.default_rng(count)
    arrays = [rng.normal(size=(3, 4)).astype(np.float32) for _ in range(count)]
    got = np.asarray(fusible_stack(arrays, axis))
    want = np.stack(arrays, axis)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("widths", [(1,), (1, 2, 1, 1, 3, 1, 1, 1, 4, 2), (5,) * 7])
def test_fusible_concatenate_equals_concatenate(widths):
    rng = np.random.default_rng(len(widths))
    arrays = [rng.normal(size=(6, w)).astype(np.float32) for w in widths]
    np.testing.assert_array_equal(np.asarray(fusible_concatenate(arrays, axis=1)), np.concatenate(arrays, axis=1))
    np.testing.assert_array_equal(np.asarray(fusible_concatenate([a.T for a in arrays], axis=0)),
                                  np.concatenate([a.T for a in arrays], axis=0))


def test_fusible_stack_keeps_integer_dtype():
    arrays = [jnp.arange(5, dtype=jnp.int32) + i for i in range(11)]
    got = fusible_stack(arrays, 1)
    assert got.dtype == jnp.int32
    np.testing.assert_array_equal(np.asarray(got), np.stack([np.arange(5) + i for i in range(11)], 1))


def test_fusible_stack_of_empty_arrays():
    # one body has no pairs: its lane constants are [0, ...] arrays
    arrays = [np.zeros((0, 3), np.float32)] * 12
    assert fusible_stack(arrays, 1).shape == (0, 12, 3)


def test_ordered_sum_adds_left_to_right_along_the_axis():
    # float32: 1e8 + 1 rounds back to 1e8, so only the left-to-right order leaves the last 1 standing
    row = np.array([1e8, 1.0, -1e8, 1.0], np.float32)
    assert float(jax.jit(ordered_sum)(jnp.asarray(row))) == 1.0
    assert float(jax.jit(ordered_sum)(jnp.asarray(row[::-1].copy()))) == 0.0  # reversed order: another result
    x = jnp.asarray(np.stack([row, 2 * row]))[:, None, :]  # [2, 1, 4], summed along axis 2
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda v: ordered_sum(v, axis=2))(x)), [[1.0], [2.0]])
