import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import arithmetic as ar


def test_published_sizes():
    assert ar.conv_output_size(32, 5) == 28  # LeNet C1
    assert ar.conv_output_size(227, 11, 4) == 55  # AlexNet conv1
    assert ar.conv_output_size(224, 11, 4) == 54  # why "224" does not give 55
    assert ar.pool_output_size(55, 3, 2) == 27
    assert ar.conv_output_size(28, 5, p=2) == 28
    assert ar.conv_output_size(224, 3, 2, padding="same") == 112


def test_param_formulas():
    assert ar.conv_params(5, 1, 6) == 156
    assert ar.conv_params(5, 96, 256, groups=2) == 307_456
    assert ar.dense_params(84, 10) == 850


def test_same_padding_is_asymmetric_with_stride_2():
    assert ar.same_padding(224, 3, 2) == (0, 1)
    assert ar.same_padding(5, 3, 1) == (1, 1)


def test_receptive_field_of_stacked_3x3():
    r, j = 1, 1
    for _ in range(3):
        r, j = ar.receptive_field(r, j, 3)
    assert (r, j) == (7, 1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 5, "k": 11}, "kernel 11 is larger than the 5-pixel input"),
        ({"n": 32, "k": 3, "s": 0}, "s must be a positive integer"),
        ({"n": 32, "k": 3, "s": -2}, "s must be a positive integer"),
        ({"n": 32, "k": 3, "padding": "full"}, "padding must be 'valid' or 'same'"),
        ({"n": 8, "k": 3, "d": 4}, "dilated to 9"),
    ],
)
def test_bad_input_raises_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ar.conv_output_size(**kwargs)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 64), k=st.integers(1, 9), s=st.integers(1, 4), d=st.integers(1, 3),
    padding=st.sampled_from(["valid", "same"]),
)
def test_conv_formula_matches_keras(n, k, s, d, padding):
    if d > 1 and s > 1:
        s = 1  # Keras does not allow dilation and stride > 1 together
    span = d * (k - 1) + 1
    layer = keras.layers.Conv2D(1, k, strides=s, dilation_rate=d, padding=padding)
    if padding == "valid" and span > n:
        with pytest.raises(ValueError):
            ar.conv_output_size(n, k, s, d=d, padding=padding)
        return
    expected = layer.compute_output_shape((1, n, n, 1))[1]
    assert ar.conv_output_size(n, k, s, d=d, padding=padding) == expected


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 64), pool=st.integers(1, 5), s=st.integers(1, 4), padding=st.sampled_from(["valid", "same"]))
def test_pool_formula_matches_keras(n, pool, s, padding):
    if padding == "valid" and pool > n:
        with pytest.raises(ValueError):
            ar.pool_output_size(n, pool, s, padding)
        return
    layer = keras.layers.MaxPooling2D(pool, strides=s, padding=padding)
    assert ar.pool_output_size(n, pool, s, padding) == layer.compute_output_shape((1, n, n, 1))[1]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(3, 24), k=st.integers(1, 7), s=st.integers(1, 3))
def test_same_padding_reproduces_keras_output(n, k, s):
    """Zeros placed as same_padding says, then a 'valid' convolution, equal Keras' own 'same' values."""
    before, after = ar.same_padding(n, k, s)
    rng = np.random.default_rng(n * 100 + k * 10 + s)
    x = rng.normal(size=(1, n, n, 1)).astype(np.float32)
    kernel = rng.normal(size=(k, k, 1, 1)).astype(np.float32)
    padded = np.pad(x, ((0, 0), (before, after), (before, after), (0, 0)))
    ours = keras.ops.conv(padded, kernel, strides=s, padding="valid")
    np.testing.assert_allclose(ours, keras.ops.conv(x, kernel, strides=s, padding="same"), atol=1e-5)


def test_memory_helpers():
    assert ar.array_bytes(60000, 224, 224, 3) == 60000 * 224 * 224 * 3 * 4
    assert ar.format_bytes(3 * 2**20) == "3.0 MiB"
    assert ar.format_bytes(512) == "512 B"
