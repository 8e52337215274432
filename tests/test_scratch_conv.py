"""From-scratch images and convolution (notebooks 01 and 02) against Keras, scikit-image and SciPy."""

import keras
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from course_utils import arithmetic, scratch, widgets


def keras_conv(x, kernel, bias, stride, padding):
    layer = keras.layers.Conv2D(kernel.shape[-1], kernel.shape[:2], strides=stride, padding=padding,
                                use_bias=bias is not None, name="reference")
    layer.build(x.shape)
    layer.set_weights([kernel] if bias is None else [kernel, bias])
    return keras.ops.convert_to_numpy(layer(x))


@st.composite
def conv_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["valid", "same"]))
    h, w = draw(st.integers(kh, 11)), draw(st.integers(kw, 11))
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    use_bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    return (n, h, w, c_in, c_out, kh, kw, sh, sw, padding, use_bias, seed)


def onednn_bug(w, kh, kw, sh, sw, padding):
    """TF 2.21's oneDNN Conv2D on CPU returns garbage (uninitialised memory) when the output is one
    column wide, the width stride is > 1, the height stride is 1 and the kernel is wider than 1
    (found by this test; TF_ENABLE_ONEDNN_OPTS=0 gives the right values)."""
    return arithmetic.conv_output_size(w, kw, sw, padding=padding) == 1 and sh == 1 and sw > 1 and kw > 1


@settings(max_examples=40, deadline=None)
@given(conv_cases())
def test_conv2d_matches_keras(case):
    n, h, w, c_in, c_out, kh, kw, sh, sw, padding, use_bias, seed = case
    assume(not onednn_bug(w, kh, kw, sh, sw, padding))  # see test_conv2d_where_keras_cpu_is_wrong
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, h, w, c_in)).astype(np.float32)
    kernel = rng.normal(size=(kh, kw, c_in, c_out)).astype(np.float32)
    bias = rng.normal(size=c_out).astype(np.float32) if use_bias else None
    ours = scratch.conv2d(x, kernel, bias, stride=(sh, sw), padding=padding)
    expected = keras_conv(x, kernel, bias, (sh, sw), padding)
    assert ours.shape == expected.shape
    assert ours.shape[1:3] == (arithmetic.conv_output_size(h, kh, sh, padding=padding),
                               arithmetic.conv_output_size(w, kw, sw, padding=padding))
    np.testing.assert_allclose(ours, expected, atol=1e-4)


@pytest.mark.parametrize("h, w, kh, kw, stride, padding", [(2, 3, 1, 2, (1, 2), "valid"), (3, 2, 3, 3, (1, 2), "same")])
def test_conv2d_where_keras_cpu_is_wrong(h, w, kh, kw, stride, padding):
    """Where oneDNN fails, check against Keras on the transposed problem (rows and columns swapped)."""
    assert onednn_bug(w, kh, kw, *stride, padding)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, h, w, 2)).astype(np.float32)
    kernel = rng.normal(size=(kh, kw, 2, 3)).astype(np.float32)
    ours = scratch.conv2d(x, kernel, stride=stride, padding=padding)
    swapped = keras_conv(x.transpose(0, 2, 1, 3), kernel.transpose(1, 0, 2, 3), None, stride[::-1], padding)
    np.testing.assert_allclose(ours, swapped.transpose(0, 2, 1, 3), atol=1e-4)


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 9), st.integers(3, 9), st.integers(1, 3), st.integers(0, 2**16))
def test_correlate2d_is_scipy_correlate_and_flipped_convolve(h, w, k, seed):
    from scipy import signal

    rng = np.random.default_rng(seed)
    image, kernel = rng.normal(size=(h, w)), rng.normal(size=(k, k))
    ours = scratch.correlate2d(image, kernel)
    np.testing.assert_allclose(ours, signal.correlate2d(image, kernel, mode="valid"), atol=1e-12)
    np.testing.assert_allclose(ours, signal.convolve2d(image, kernel[::-1, ::-1], mode="valid"), atol=1e-12)
    as_batch = scratch.conv2d(image[None, ..., None], kernel[..., None, None])
    np.testing.assert_allclose(as_batch[0, ..., 0], ours, atol=1e-12)


def test_pad_same_is_asymmetric_with_stride_2():
    x = np.ones((1, 6, 7, 2))
    padded = scratch.pad_same(x, k=3, s=2)
    assert arithmetic.same_padding(6, 3, 2) == (0, 1) and arithmetic.same_padding(7, 3, 2) == (1, 1)
    assert padded.shape == (1, 7, 9, 2)
    assert padded[0, 0, 1:-1].min() == 1 and padded[0, -1].max() == 0  # nothing on top, a row below
    assert padded[0, :-1, 0].max() == 0 and padded[0, :-1, -1].max() == 0  # one column on each side


def test_grayscale_and_scaling():
    from skimage import color, data

    photo = data.astronaut()
    gray = scratch.rgb_to_gray(photo)
    assert gray.shape == photo.shape[:2] + (1,) and gray.dtype == np.float32
    np.testing.assert_allclose(gray[..., 0], color.rgb2gray(photo), atol=1e-6)
    scaled = scratch.to_unit_range(photo)
    assert scaled.dtype == np.float32 and scaled.min() == 0.0 and scaled.max() == 1.0
    np.testing.assert_allclose(scaled, keras.layers.Rescaling(1 / 255, name="scale")(photo.astype(np.float32)),
                               atol=1e-7)
    # a grey conversion is a 1x1 convolution with the three weights
    as_conv = scratch.conv2d(scaled[None], np.array(scratch.GRAY_WEIGHTS).reshape(1, 1, 3, 1))
    np.testing.assert_allclose(as_conv[0], gray, atol=1e-6)


def test_classic_kernels_on_a_step_edge():
    step = np.zeros((5, 6))
    step[:, 3:] = 1.0  # dark left half, bright right half
    assert scratch.correlate2d(step, scratch.KERNELS["vertical edges (Sobel x)"]).max() == 4.0
    assert scratch.correlate2d(step, scratch.KERNELS["horizontal edges (Sobel y)"]).max() == 0.0
    np.testing.assert_allclose(scratch.correlate2d(step, scratch.KERNELS["identity"]), step[1:-1, 1:-1])
    np.testing.assert_allclose(scratch.KERNELS["blur (box 3x3)"].sum(), 1.0, rtol=1e-6)


def test_errors_say_what_to_do():
    with pytest.raises(ValueError, match="NHWC batch"):
        scratch.conv2d(np.ones((5, 5)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="C_in=3"):
        scratch.conv2d(np.ones((1, 5, 5, 3)), np.ones((3, 3, 1, 2)))
    with pytest.raises(ValueError, match="larger than the 2x5 input"):
        scratch.conv2d(np.ones((1, 2, 5, 1)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="padding must be"):
        scratch.conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), padding="full")
    with pytest.raises(ValueError, match="larger than the image"):
        scratch.correlate2d(np.ones((2, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="uint8"):
        scratch.to_unit_range(np.ones(3))
    with pytest.raises(ValueError, match="3 channels"):
        scratch.rgb_to_gray(np.ones((4, 4, 1)))


def test_conv_steps_add_up_to_the_feature_map():
    fmap = scratch.correlate2d(widgets.DEMO_IMAGE, widgets.DEMO_KERNEL)
    steps = [widgets.conv_step(widgets.DEMO_IMAGE, widgets.DEMO_KERNEL, p) for p in range(fmap.size)]
    assert [s.total for s in steps] == fmap.ravel().tolist()
    assert steps[-1].text(widgets.DEMO_KERNEL).endswith(f"= {int(fmap[-1, -1])}")
    with pytest.raises(ValueError, match="position must be 0..8"):
        widgets.conv_step(widgets.DEMO_IMAGE, widgets.DEMO_KERNEL, 9)


def test_explorer_builds_without_a_front_end_and_updates():
    box = widgets.convolution_explorer(show=False)
    controls, panel = box.children
    slider = controls.children[1]
    assert slider.description == "position" and (slider.min, slider.max, slider.value) == (0, 8, 0)
    before = panel.value
    assert "products and sum at position 0" in before
    slider.value = 4
    assert panel.value != before and "products and sum at position 4" in panel.value
    step = widgets.conv_step(widgets.DEMO_IMAGE, widgets.DEMO_KERNEL, 4)
    assert f"= {int(step.total)}</code>" in panel.value


def test_explorer_draws_its_static_figure(monkeypatch):
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf().get_suptitle()))
    widgets.convolution_explorer(position=3, show=True)
    plt.close("all")
    assert shown == ["position 3 of 0..8: sum of products = 2"]  # row 1, column 0 of the map
