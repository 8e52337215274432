"""The backward passes of course_utils.scratch: each against centred differences (float64, relative error below
1e-7) and against tf.GradientTape on the same inputs (float64 too, so the two agree to 1e-10); and the gradient
checker itself, which must catch a wrong formula."""

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import checks, scratch

RNG = np.random.default_rng(28)


def _tape(forward, *arrays, d_out):
    """Gradients of sum(forward(*arrays) * d_out) with respect to every array, by tf.GradientTape."""
    variables = [tf.Variable(a, dtype=tf.float64) for a in arrays]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(forward(*variables) * d_out)
    return [g.numpy() for g in tape.gradient(loss, variables)]


def test_the_checker_passes_a_right_gradient_and_names_where_a_wrong_one_disagrees(capsys):
    x = RNG.normal(size=(3, 4))
    result = checks.gradient_check("x**2", lambda v: np.sum(v ** 2), x, 2 * x)
    assert result.passed and result.coordinates == 12 and result.relative_error < 1e-9
    assert "should be below 1e-7" in capsys.readouterr().out
    wrong = 2 * x
    wrong[1, 2] += 0.5
    with pytest.raises(AssertionError, match=r"disagreeing: index \(1, 2\): analytic"):
        checks.gradient_check("one wrong coordinate", lambda v: np.sum(v ** 2), x, wrong)
    sampled = checks.gradient_check("sampled", lambda v: np.sum(v ** 3), x, 3 * x ** 2, coordinates=5)
    assert sampled.coordinates == 5
    with pytest.raises(ValueError, match="the input's shape"):
        checks.gradient_check("shape", lambda v: np.sum(v), x, np.ones(3))


def test_relu_and_dense():
    x, kernel, d_out = RNG.normal(size=(4, 5)), RNG.normal(size=(5, 3)), RNG.normal(size=(4, 3))
    x[0, 0] = 0.0  # at 0 ReLU's gradient is 0, as TensorFlow's
    d_relu = scratch.relu_backward(d_out[:, :1].repeat(5, 1), x)
    assert np.array_equal(d_relu, _tape(tf.nn.relu, x, d_out=d_out[:, :1].repeat(5, 1))[0])
    dx, dk, db = scratch.dense_backward(d_out, x, kernel)
    bias = np.zeros(3)
    for name, grad, arg in (("dx", dx, 0), ("d_kernel", dk, 1), ("d_bias", db, 2)):
        args = [x, kernel, bias]

        def f(v, arg=arg, args=args):
            return scratch.dense(*(v if i == arg else a for i, a in enumerate(args)))

        checks.gradient_check(f"dense {name}", f, args[arg], grad, d_out=d_out)
    tape = _tape(lambda a, k, b: tf.matmul(a, k) + b, x, kernel, bias, d_out=d_out)
    for mine, theirs in zip((dx, dk, db), tape):
        assert np.max(np.abs(mine - theirs)) < 1e-10


def test_softmax_cross_entropy_takes_logits_and_divides_by_the_batch():
    logits, labels = RNG.normal(size=(6, 4)) * 3, RNG.integers(0, 4, size=6)
    loss, d_logits = scratch.softmax_cross_entropy(logits, labels)
    keras_loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits).numpy()
    assert loss == pytest.approx(float(keras_loss), rel=1e-6)
    checks.gradient_check("softmax + cross-entropy", lambda v: scratch.softmax_cross_entropy(v, labels)[0],
                          logits, d_logits)
    variable = tf.Variable(logits)
    with tf.GradientTape() as tape:
        tf_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, variable))
    assert np.max(np.abs(tape.gradient(tf_loss, variable).numpy() - d_logits)) < 1e-12
    assert scratch.softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))[0] == pytest.approx(1000.0)


@pytest.mark.parametrize("stride, padding", [(1, "valid"), (2, "valid"), (1, "same"), (2, "same"), ((2, 1), "same")])
def test_conv2d_backward_matches_the_numbers_and_the_tape(stride, padding):
    x, kernel = RNG.normal(size=(2, 6, 5, 3)), RNG.normal(size=(3, 2, 3, 4))
    out = scratch.conv2d(x, kernel, stride=stride, padding=padding)
    d_out = RNG.normal(size=out.shape)
    dx, dk, db = scratch.conv2d_backward(d_out, x, kernel, stride=stride, padding=padding)
    checks.gradient_check("conv dx", lambda v: scratch.conv2d(v, kernel, stride=stride, padding=padding), x, dx,
                          d_out=d_out)
    checks.gradient_check("conv d_kernel", lambda v: scratch.conv2d(x, v, stride=stride, padding=padding), kernel, dk,
                          d_out=d_out)
    strides = (1, *((stride, stride) if isinstance(stride, int) else stride), 1)
    tape = _tape(lambda a, k: tf.nn.conv2d(a, k, strides, padding.upper()), x, kernel, d_out=d_out)
    assert np.max(np.abs(dx - tape[0])) < 1e-10 and np.max(np.abs(dk - tape[1])) < 1e-10
    assert np.allclose(db, d_out.sum(axis=(0, 1, 2)))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(3, 7), k=st.integers(1, 3), s=st.integers(1, 3), same=st.booleans())
def test_conv2d_backward_is_the_tapes_for_any_size(n, k, s, same):
    padding = "same" if same else "valid"
    x, kernel = RNG.normal(size=(1, n, n, 2)), RNG.normal(size=(k, k, 2, 2))
    d_out = RNG.normal(size=scratch.conv2d(x, kernel, stride=s, padding=padding).shape)
    dx, dk, _ = scratch.conv2d_backward(d_out, x, kernel, stride=s, padding=padding)
    tape = _tape(lambda a, w: tf.nn.conv2d(a, w, s, padding.upper()), x, kernel, d_out=d_out)
    assert np.max(np.abs(dx - tape[0])) < 1e-10 and np.max(np.abs(dk - tape[1])) < 1e-10


@pytest.mark.parametrize("pool, stride", [(2, 2), (3, 2), (2, 1)])  # non-overlapping, AlexNet's 3/2, stride 1
def test_max_pool_backward_routes_each_window_to_its_maximum(pool, stride):
    x = RNG.normal(size=(2, 7, 7, 3))
    out = scratch.max_pool2d(x, pool, stride)
    d_out = RNG.normal(size=out.shape)
    dx = scratch.max_pool2d_backward(d_out, x, pool, stride)
    checks.gradient_check("max pool dx", lambda v: scratch.max_pool2d(v, pool, stride), x, dx, d_out=d_out)
    tape = _tape(lambda a: tf.nn.max_pool2d(a, pool, stride, "VALID"), x, d_out=d_out)[0]
    assert np.max(np.abs(dx - tape)) < 1e-12
    assert np.count_nonzero(dx) <= out.size  # at most one winner per window (overlaps may share one)


def test_max_pool_backward_gives_a_tie_to_the_first_maximum_as_tensorflow_does():
    x = np.ones((1, 2, 2, 1))
    dx = scratch.max_pool2d_backward(np.full((1, 1, 1, 1), 3.0), x)
    tape = _tape(lambda a: tf.nn.max_pool2d(a, 2, 2, "VALID"), x, d_out=np.full((1, 1, 1, 1), 3.0))[0]
    assert dx[0, ..., 0].tolist() == [[3.0, 0.0], [0.0, 0.0]] and np.array_equal(dx, tape)


def test_dropout_backward_reuses_the_forward_mask_and_scale():
    x, rate = RNG.normal(size=(5, 6)), 0.4
    mask = RNG.random(x.shape) >= rate
    d_out = RNG.normal(size=x.shape)
    dx = scratch.dropout_backward(d_out, mask, rate)
    checks.gradient_check("dropout dx", lambda v: scratch.dropout(v, rate, training=True, mask=mask), x, dx,
                          d_out=d_out)
    assert np.array_equal(dx == 0, ~mask | (d_out == 0))


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 3, 2)])
def test_batch_norm_backward_in_training_mode(shape):
    x, gamma, beta = RNG.normal(size=shape) * 2 + 1, RNG.normal(size=shape[-1]), RNG.normal(size=shape[-1])
    zeros, ones = np.zeros(shape[-1]), np.ones(shape[-1])
    d_out = RNG.normal(size=shape)
    dx, dg, db = scratch.batch_norm_backward(d_out, x, gamma)

    def forward(v=x, g=gamma, b=beta):
        return scratch.batch_norm(v, g, b, zeros, ones, training=True)[0]

    checks.gradient_check("batch norm dx", lambda v: forward(v=v), x, dx, d_out=d_out)
    checks.gradient_check("batch norm d_gamma", lambda v: forward(g=v), gamma, dg, d_out=d_out)
    checks.gradient_check("batch norm d_beta", lambda v: forward(b=v), beta, db, d_out=d_out)
    axes = list(range(len(shape) - 1))

    def tf_batch_norm(a, g, b):
        mean, variance = tf.nn.moments(a, axes)
        return tf.nn.batch_normalization(a, mean, variance, b, g, 1e-3)

    tape = _tape(tf_batch_norm, x, gamma, beta, d_out=d_out)
    for mine, theirs in zip((dx, dg, db), tape):
        assert np.max(np.abs(mine - theirs)) < 1e-9
