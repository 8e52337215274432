"""The NumPy LeNet trains as Keras does; convolution as im2col computes what the loops compute."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import models, numpy_net, scratch
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
    """Keras computing in float64, as NumPy does, for this test only (numpy_net.keras_float64 restores both settings)."""
    with numpy_net.keras_float64():
        yield


@pytest.mark.parametrize("seed", [28, 29, 30])
def test_the_numpy_lenet_follows_keras_step_for_step(keras_in_float64, seed):
    # In float64 both compute the same sums, so they agree to rounding. In float32 Keras drifts from the float64
    # NumPy network step by step, because each step's rounding is amplified by the next ones: precision, not a
    # different gradient (the issue note gives the drift measured over seeds).
    keras.utils.set_random_seed(seed)
    reference = models.lenet5_modern()
    net = NumpyLeNet.from_keras(reference)
    logits_model = numpy_net.compiled_for_sgd(models.lenet5_logits(reference), 0.05)  # shares the weights
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


def test_the_float64_block_restores_keras_settings_even_after_an_error():
    policy, floatx = keras.mixed_precision.global_policy().name, keras.config.floatx()
    with pytest.raises(RuntimeError), numpy_net.keras_float64():
        assert keras.config.floatx() == "float64"
        raise RuntimeError("interrupted")
    assert (keras.mixed_precision.global_policy().name, keras.config.floatx()) == (policy, floatx)


def test_side_by_side_training_agrees_in_float64_and_uses_every_example_once_per_epoch(keras_in_float64):
    keras.utils.set_random_seed(5)
    logits_model = models.lenet5_logits()
    net = NumpyLeNet.from_keras(logits_model)
    x = np.random.default_rng(5).random((40, 32, 32, 1))
    y = np.arange(40) % 10
    run = numpy_net.train_side_by_side(net, logits_model, x, y, batch_size=8, steps=7, learning_rate=0.05, seed=5)
    assert len(run.numpy_losses) == len(run.keras_losses) == 7
    assert run.loss_gaps.max() < 1e-10 and run.weight_gap < 1e-10
    order = numpy_net.batch_order(40, 8, 7, seed=5)
    assert sorted(np.concatenate(order[:5]).tolist()) == list(range(40))  # the first epoch: each image once
    with pytest.raises(ValueError, match="larger than the 4 examples"):
        numpy_net.batch_order(4, 8, 1)


def test_a_learners_backward_functions_are_the_ones_the_network_calls():
    keras.utils.set_random_seed(6)
    calls = []

    def pool_backward(d_out, x, pool, stride):
        calls.append((pool, stride))
        return scratch.max_pool2d_backward(d_out, x, pool, stride)

    weights = NumpyLeNet.from_keras(models.lenet5_modern()).weights
    mine = NumpyLeNet(dict(weights), pool_backward=pool_backward)
    x, y = np.random.default_rng(6).random((3, 32, 32, 1)), np.array([0, 1, 2])
    assert mine.sgd_step(x, y, 0.1) == pytest.approx(NumpyLeNet(dict(weights)).sgd_step(x, y, 0.1), abs=1e-12)
    assert calls == [(2, 2), (2, 2)]  # S4, then S2


def test_mnist_digits_are_padded_and_scaled_as_notebook_06_reads_them():
    digits = np.zeros((2, 28, 28), np.uint8)
    digits[:, 0, 0] = 255
    x = numpy_net.as_lenet_input(digits)
    assert x.shape == (2, 32, 32, 1) and x.dtype == np.float32 and x[0, 2, 2, 0] == 1.0 and x.sum() == 2.0
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        numpy_net.as_lenet_input(np.zeros((2, 32, 32)))


def test_training_speeds_name_three_implementations_against_their_own_matmul_rate():
    keras.utils.set_random_seed(7)
    logits_model = models.lenet5_logits()
    before = [w.copy() for w in logits_model.get_weights()]
    x, y = np.random.default_rng(7).random((4, 32, 32, 1)).astype(np.float32), np.arange(4)
    speeds = numpy_net.training_speeds(logits_model, x, y, min_seconds=0.02)
    assert [s.name for s in speeds] == ["NumPy, loop convolution", "NumPy, im2col", "Keras (TensorFlow)"]
    assert [s.yardstick for s in speeds] == ["numpy float64 matmul"] * 2 + ["tensorflow float32 matmul"]
    assert all(s.images_per_second > 0 and 0 < s.share_of_matmul for s in speeds)
    assert all(np.array_equal(a, b) for a, b in zip(before, logits_model.get_weights()))  # copies were trained


def test_every_layers_gradient_is_the_tapes_in_float64(keras_in_float64):
    keras.utils.set_random_seed(8)
    model = models.lenet5_logits()
    x, y = np.random.default_rng(8).random((5, 32, 32, 1)), np.array([0, 1, 2, 3, 4])
    rows = numpy_net.compare_with_tape(NumpyLeNet.from_keras(model), model, x, y)
    assert [r.layer for r in rows] == list(LAYERS) and rows[0].kernel_shape == (5, 5, 1, 6)
    assert all(r.kernel_gap < 1e-12 and r.bias_gap < 1e-12 and r.kernel_scale > 1e-6 for r in rows)
    broken = NumpyLeNet.from_keras(model, pool_backward=lambda d, x, p, s: 2 * scratch.max_pool2d_backward(d, x, p, s))
    assert numpy_net.compare_with_tape(broken, model, x, y)[0].kernel_gap > 1e-6  # a wrong layer shows up below it
