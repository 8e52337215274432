"""From-scratch pooling against Keras, coverage counts, and the padding/stride explorer widget."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import arithmetic as ar
from course_utils import scratch

POOL_CASES = dict(
    n=st.integers(1, 3), h=st.integers(1, 12), w=st.integers(1, 12), c=st.integers(1, 3),
    pool=st.integers(1, 4), stride=st.integers(1, 4), padding=st.sampled_from(["valid", "same"]),
    seed=st.integers(0, 2**16),
)


def _inputs(n, h, w, c, pool, padding, seed):
    if padding == "valid" and (pool > h or pool > w):
        pool = min(h, w)  # a window larger than the input is an error with 'valid' (tested below)
    x = np.random.default_rng(seed).normal(size=(n, h, w, c)).astype(np.float32)
    return x, pool


@settings(max_examples=40, deadline=None)
@given(**POOL_CASES)
def test_max_pool_matches_keras(n, h, w, c, pool, stride, padding, seed):
    x, pool = _inputs(n, h, w, c, pool, padding, seed)
    expected = keras.layers.MaxPooling2D(pool, strides=stride, padding=padding)(x)
    np.testing.assert_allclose(scratch.max_pool2d(x, pool, stride, padding), expected, atol=0)


@settings(max_examples=40, deadline=None)
@given(**POOL_CASES)
def test_avg_pool_matches_keras(n, h, w, c, pool, stride, padding, seed):
    x, pool = _inputs(n, h, w, c, pool, padding, seed)
    expected = keras.layers.AveragePooling2D(pool, strides=stride, padding=padding)(x)
    np.testing.assert_allclose(scratch.avg_pool2d(x, pool, stride, padding), expected, atol=1e-5)


def test_rectangular_windows_match_keras():
    x = np.random.default_rng(0).normal(size=(2, 9, 7, 3)).astype(np.float32)
    for layer, fn in ((keras.layers.MaxPooling2D, scratch.max_pool2d), (keras.layers.AveragePooling2D, scratch.avg_pool2d)):
        expected = layer((3, 2), strides=(2, 3), padding="same")(x)
        np.testing.assert_allclose(fn(x, (3, 2), (2, 3), "same"), expected, atol=1e-5)


def test_same_average_excludes_padding():
    x = np.ones((1, 3, 3, 1), np.float32)  # every real pixel is 1: the mean must stay 1 at the border
    np.testing.assert_array_equal(scratch.avg_pool2d(x, 2, padding="same"), np.ones((1, 2, 2, 1)))


def test_global_average_pool_matches_keras():
    x = np.random.default_rng(1).normal(size=(2, 5, 6, 4)).astype(np.float32)
    expected = keras.layers.GlobalAveragePooling2D()(x)
    np.testing.assert_allclose(scratch.global_avg_pool2d(x), expected, atol=1e-6)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: scratch.max_pool2d(np.zeros((4, 4))), "NHWC"),
        (lambda: scratch.max_pool2d(np.zeros((1, 2, 2, 1)), 3), "larger than the 2-pixel input"),
        (lambda: scratch.avg_pool2d(np.zeros((1, 4, 4, 1)), 2, padding="full"), "'valid' or 'same'"),
        (lambda: scratch.coverage_count(4, 3, p="full"), "'valid' or 'same'"),
        (lambda: scratch.coverage_count(4, 3, p=-1), "padding must be >= 0"),
    ],
)
def test_bad_input_raises_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 16), k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3))
def test_coverage_adds_up_to_the_real_pixels_seen(n, k, s, p, d):
    span = d * (k - 1) + 1
    if span > n + 2 * p:
        return
    counts = scratch.coverage_count(n, k, s, p, d)
    assert counts.shape == (n, n)
    # Each output position touches k*k cells; the cells that are real pixels are what the map counts.
    ones = np.pad(np.ones((n, n)), p)
    out = ar.conv_output_size(n, k, s, p, d)
    seen = sum(
        ones[i * s:i * s + span:d, j * s:j * s + span:d].sum() for i in range(out) for j in range(out)
    )
    assert counts.sum() == seen


def test_coverage_border_argument():
    no_pad = scratch.coverage_count(6, 3)
    padded = scratch.coverage_count(6, 3, p=1)
    assert no_pad[0, 0] == 1 and no_pad[3, 3] == 9  # The VGG16-CAPTCHA tutorial: corners are used once, the centre 9 times
    assert padded[0, 0] == 4 and padded.min() == 4
    assert np.array_equal(scratch.coverage_count(6, 3, p="same"), padded)
    pooled = scratch.coverage_count(55, 2, 2)  # 2/2 pooling of AlexNet's 55: the last row/column is dropped
    assert (pooled == 0).sum() == 55 * 55 - 54 * 54
    assert scratch.coverage_count(55, 3, 2).min() == 1  # 3/2 sees every pixel, some twice


def test_coverage_same_padding_is_asymmetric_with_stride_2():
    counts = scratch.coverage_count(6, 3, 2, p="same")  # Keras pads (0, 1): nothing before
    assert ar.same_padding(6, 3, 2) == (0, 1)
    assert counts[0, 0] == 1 and counts[-1, -1] == 1 and counts[2, 2] == 4


def test_padding_stride_explorer_builds_and_updates_without_front_end():
    from course_utils import widgets

    explorer = widgets.padding_stride_explorer(n=32, k=5, show=False)
    assert explorer.output_text.value.endswith("28 x 28")
    before = explorer.output_text.value
    explorer.sliders["p"].value = 2
    assert explorer.output_text.value.endswith("32 x 32") and explorer.output_text.value != before
    explorer.sliders["s"].value = 2
    assert explorer.output_text.value.endswith("16 x 16")  # floor((32 + 2*2 - 5) / 2) + 1 = 15 + 1
    explorer.sliders["k"].value = 11
    explorer.sliders["n"].value = 5
    explorer.sliders["p"].value = 0
    assert explorer.output_text.value == "output: none"  # an impossible setting says why instead of crashing
    assert "larger than the 5-pixel input" in explorer.formula_text.value


def test_pooling_explorer_builds_and_updates_without_front_end():
    from course_utils import widgets

    explorer = widgets.pooling_explorer(np.zeros((55, 55)), show=False)
    assert explorer.output_text.value == "output: 27 x 27"
    explorer.sliders["pool"].value = 3  # AlexNet's overlapping 3/2: the same size
    assert explorer.output_text.value == "output: 27 x 27"
    explorer.sliders["padding"].value = "same"
    assert explorer.output_text.value == "output: 28 x 28"
    explorer.sliders["padding"].value = "valid"
    explorer.sliders["pool"].value = 8
    explorer.sliders["stride"].value = 8
    assert explorer.output_text.value == "output: 6 x 6"  # floor((55 - 8) / 8) + 1 = 5 + 1
    with pytest.raises(ValueError, match="one grey H x W image"):
        widgets.pooling_explorer(np.zeros((1, 5, 5, 1)), show=False)
