"""The fusion helpers return exactly what the plain jnp calls return."""

import numpy as np
import pytest

import jax.numpy as jnp

from tumble.physics.barrier import fusible_concatenate, fusible_stack


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
