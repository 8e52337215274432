"""The NumPy LeNet trains as Keras does; convolution as im2col computes what the loops compute."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import models, scratch
from course_utils.numpy_net import LAYERS, NumpyLeNet

RNG = np.random.default_rng(28)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(3, 8), k=st.integers(1, 3), s=st.integers(1, 3), same=st.booleans(), c=st.integers(1, 3))
def test_im2col_convolution_and_its_backward_equal_the_loops(n, k, s, same, c):
    padding = "same" if same else "valid"
    x, kernel, bias = RNG.normal(size=(2, n, n + 1, c)), RNG.normal(size=(k, k, c, 2)), RNG.normal(size=2)
    out = scratch.conv2d(x, kernel, bias, stride=s, padding=padding)
    assert np.allclose(scratch.conv2d_im2col(x, kernel, bias, stride=s, padding=padding), out, atol=1e-12)
    d_out = RNG.normal(size=out.shape)
    for fast, loop in zip(scratch.conv2d_im2col_backward(d_out, x, kernel, stride=s, padding=padding),
                          scratch.conv2d_backward(d_out, x, kernel, stride=s, padding=padding)):
        assert np.allclose(fast, loop, atol=1e-12)


@pytest.fixture
def keras_in_float64():
    """Keras computing in float64, as NumPy does, for this test only: the global dtype policy (which setup() and
    other tests set explicitly, and which wins over floatx) and floatx, both restored afterwards."""
    policy, floatx = keras.mixed_precision.global_policy(), keras.config.floatx()
    keras.config.set_floatx("float64")
    keras.mixed_precision.set_global_policy("float64")
    yield
    keras.mixed_precision.set_global_policy(policy)
    keras.config.set_floatx(floatx)


@pytest.mark.parametrize("seed", [28, 29, 30])
def test_the_numpy_lenet_follows_keras_step_for_step(keras_in_float64, seed):
    # In float64 both compute the same sums, so they agree to rounding. In float32 Keras drifts from the float64
    # NumPy network step by step, because each step's rounding is amplified by the next ones: precision, not a
    # different gradient (the issue note gives the drift measured over seeds).
    keras.utils.set_random_seed(seed)
    reference = models.lenet5_modern()
    net = NumpyLeNet.from_keras(reference)
    logits_model = keras.Sequential([keras.Input((32, 32, 1)), *reference.layers[:-1]])  # shares the weights
    logits_model.compile(keras.optimizers.SGD(0.05), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(seed)  # its own generator: the same batches whatever ran before
    x, y = rng.random((6 * 16, 32, 32, 1)), rng.integers(0, 10, 6 * 16)
    assert np.allclose(net.logits(x[:16]), logits_model.predict_on_batch(x[:16]), atol=1e-10)
    mine, theirs = [], []
    for step in range(6):
        batch = slice(16 * step, 16 * (step + 1))
        mine.append(net.sgd_step(x[batch], y[batch], 0.05))
        theirs.append(float(logits_model.train_on_batch(x[batch], y[batch])))
    assert np.max(np.abs(np.array(mine) - np.array(theirs))) < 1e-10, (mine, theirs)
    for name in LAYERS:
        for ours, keras_weight in zip(net.weights[name], reference.get_layer(name).get_weights()):
            assert np.max(np.abs(ours - keras_weight)) < 1e-10, name


def test_the_loop_convolution_trains_the_same_network():
    keras.utils.set_random_seed(3)
    weights = NumpyLeNet.from_keras(models.lenet5_modern()).weights
    fast = NumpyLeNet({k: tuple(w.copy() for w in v) for k, v in weights.items()})
    slow = NumpyLeNet({k: tuple(w.copy() for w in v) for k, v in weights.items()}, conv=scratch.conv2d,
                      conv_backward=scratch.conv2d_backward)
    x, y = np.random.default_rng(3).random((4, 32, 32, 1)), np.array([1, 2, 3, 4])
    assert abs(fast.sgd_step(x, y, 0.1) - slow.sgd_step(x, y, 0.1)) < 1e-12
    assert all(np.allclose(fast.weights[n][0], slow.weights[n][0], atol=1e-12) for n in LAYERS)


def test_a_model_without_lenets_layers_is_refused():
    with pytest.raises(ValueError, match="no layer C1"):
        NumpyLeNet.from_keras(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]))
