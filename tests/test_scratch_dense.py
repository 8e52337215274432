"""From-scratch flatten, dense, dropout and batch normalization (notebook 05) against Keras."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import arithmetic, scratch

shapes_4d = st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(1, 6), st.integers(1, 5))


@settings(max_examples=20, deadline=None)
@given(shape=shapes_4d)
def test_flatten_matches_keras(shape):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    expected = keras.layers.Flatten()(x)
    assert np.array_equal(scratch.flatten(x), np.asarray(expected))


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 8), n_in=st.integers(1, 40), n_out=st.integers(1, 20), bias=st.booleans())
def test_dense_matches_keras(n, n_in, n_out, bias):
    rng = np.random.default_rng(n_in * 100 + n_out)
    x = rng.normal(size=(n, n_in)).astype(np.float32)
    layer = keras.layers.Dense(n_out, use_bias=bias, bias_initializer="random_normal")
    expected = np.asarray(layer(x))
    kernel = np.asarray(layer.kernel)
    b = np.asarray(layer.bias) if bias else None
    np.testing.assert_allclose(scratch.dense(x, kernel, b), expected, atol=1e-5)
    assert layer.count_params() == arithmetic.dense_params(n_in, n_out, bias=bias)


def test_dense_and_flatten_bad_shapes_say_what_to_do():
    with pytest.raises(ValueError, match="flatten images first"):
        scratch.dense(np.zeros((2, 4, 4, 1)), np.zeros((16, 3)))
    with pytest.raises(ValueError, match=r"n_in=5"):
        scratch.dense(np.zeros((2, 5)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="add the batch axis"):
        scratch.flatten(np.zeros(5))


@pytest.mark.parametrize("rate", [0.1, 0.4, 0.5, 0.8])
def test_dropout_statistics(rate):
    """Keep rate 1 - rate and mean preserved, within 5 standard errors (false alarm ~ 1e-6)."""
    n = 400_000
    x = np.ones(n)
    y = scratch.dropout(x, rate, training=True, rng=np.random.default_rng(1))
    keep = 1.0 - rate
    assert set(np.unique(y)) <= {0.0, 1.0 / keep}
    assert abs(np.mean(y != 0) - keep) <= 5 * np.sqrt(keep * rate / n)
    assert abs(np.mean(y) - 1.0) <= 5 * np.sqrt(rate / keep / n)  # std of one output: sqrt(rate / keep)


def test_dropout_inference_is_identity_and_seeded():
    x = np.random.default_rng(0).normal(size=(3, 5))
    assert scratch.dropout(x, 0.5, training=False) is x
    a = scratch.dropout(x, 0.5, training=True, rng=np.random.default_rng(7))
    b = scratch.dropout(x, 0.5, training=True, rng=np.random.default_rng(7))
    assert np.array_equal(a, b)
    assert np.array_equal(scratch.dropout(x, 0.0, training=True), x)


def test_dropout_bad_arguments():
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        scratch.dropout(np.ones(3), 1.0, training=True, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="pass rng="):
        scratch.dropout(np.ones(3), 0.5, training=True)
    with pytest.raises(ValueError, match="mask must have the input's shape"):
        scratch.dropout(np.ones(3), 0.5, training=True, mask=np.ones(4, bool))


@settings(max_examples=20, deadline=None)
@given(shape=shapes_4d, rate=st.floats(0.05, 0.9), seed=st.integers(0, 1000))
def test_dropout_replays_keras_mask(shape, rate, seed):
    x = np.random.default_rng(seed).uniform(0.5, 2.0, size=shape).astype(np.float32)  # no zeros in x
    layer = keras.layers.Dropout(rate, seed=seed)
    expected = np.asarray(layer(x, training=True))
    kept = expected != 0
    np.testing.assert_allclose(scratch.dropout(x, rate, training=True, mask=kept), expected, rtol=1e-6)
    assert np.array_equal(np.asarray(layer(x, training=False)), x)


def _keras_bn(shape, momentum, epsilon, rng):
    channels = shape[-1]
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
    layer.build((None, *shape[1:]))
    layer.set_weights([
        rng.uniform(0.5, 2.0, channels).astype(np.float32),  # gamma
        rng.normal(size=channels).astype(np.float32),  # beta
        rng.normal(size=channels).astype(np.float32),  # moving mean
        rng.uniform(0.5, 3.0, channels).astype(np.float32),  # moving variance
    ])
    return layer


@settings(max_examples=25, deadline=None)
@given(
    shape=st.one_of(st.tuples(st.integers(2, 16), st.integers(1, 8)), shapes_4d.filter(lambda s: s[0] * s[1] * s[2] > 1)),
    momentum=st.sampled_from([0.0, 0.5, 0.9, 0.99]),
    epsilon=st.sampled_from([1e-5, 1e-3, 0.1]),
    seed=st.integers(0, 1000),
)
def test_batch_norm_matches_keras_in_both_modes(shape, momentum, epsilon, seed):
    rng = np.random.default_rng(seed)
    layer = _keras_bn(shape, momentum, epsilon, rng)
    gamma, beta, moving_mean, moving_var = (np.asarray(w) for w in layer.get_weights())
    x = (rng.normal(size=shape) * rng.uniform(0.5, 3.0) + rng.uniform(-3, 3)).astype(np.float32)

    # inference first: moving statistics, nothing updated
    y, m, v = scratch.batch_norm(x, gamma, beta, moving_mean, moving_var, training=False,
                                 momentum=momentum, epsilon=epsilon)
    np.testing.assert_allclose(y, np.asarray(layer(x, training=False)), atol=1e-4, rtol=1e-4)
    assert np.array_equal(m, moving_mean) and np.array_equal(v, moving_var)

    # training: batch statistics, then the moving-average update
    y, m, v = scratch.batch_norm(x, gamma, beta, moving_mean, moving_var, training=True,
                                 momentum=momentum, epsilon=epsilon)
    expected = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(y, expected, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(m, np.asarray(layer.moving_mean), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(v, np.asarray(layer.moving_variance), atol=1e-4, rtol=1e-4)


def test_batch_norm_momentum_convention():
    """Keras: moving = moving * momentum + batch * (1 - momentum), so 0.99 moves 1 % of the way."""
    x = np.full((4, 1), 10.0)
    _, m, _ = scratch.batch_norm(x, np.ones(1), np.zeros(1), np.zeros(1), np.ones(1), training=True, momentum=0.99)
    np.testing.assert_allclose(m, [0.1])


def test_batch_norm_bad_shapes():
    with pytest.raises(ValueError, match=r"gamma must hold one value per channel, shape \(3,\)"):
        scratch.batch_norm(np.zeros((2, 3)), np.ones(4), np.zeros(3), np.zeros(3), np.ones(3), training=True)
