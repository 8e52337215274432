"""Receptive fields per axis, resampling, MACs of every conv kind, BatchNormalization, unknown layers, columns."""

from fractions import Fraction

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import tracing

L = keras.layers


def _model(input_shape, *layers, name="m"):
    return keras.Sequential([keras.Input(input_shape, name="image"), *layers], name=name)


def test_1x7_then_7x1_is_7x7():
    # by hand, per axis r' = r + (k - 1) * j: height 1 -> 1 -> 7, width 1 -> 7 -> 7; jumps stay 1
    t = tracing.trace(_model((17, 17, 8), L.Conv2D(8, (1, 7), name="c1x7"), L.Conv2D(8, (7, 1), name="c7x1")))
    assert t.row("c1x7").rf_hw == (1, 7) and t.row("c1x7").rf_text == "1x7 / 1x1"
    assert t.row("c7x1").rf_hw == (7, 7) and t.row("c7x1").rf_text == "7 / 1"
    assert t.row("c7x1").rf == 7
    assert t.row("c7x1").macs == 11 * 11 * 8 * 7 * 8


def test_non_square_strides_are_exact():
    # 3x3 stride (2, 1): rf 3x3, jump 2x1; then 3x3: height 3 + 2*2 = 7, width 3 + 2*1 = 5
    t = tracing.trace(_model((15, 15, 1), L.Conv2D(1, 3, strides=(2, 1), name="a"), L.Conv2D(1, 3, name="b")))
    row = t.row("b")
    assert (row.rf_hw, row.jump_hw) == ((7, 5), (2, 1))
    assert row.rf_text == "7x5 / 2x1"
    with pytest.raises(ValueError, match="rf_hw"):
        _ = row.rf


def test_padding_and_cropping_keep_the_field():
    t = tracing.trace(
        _model(
            (8, 8, 1),
            L.Conv2D(1, 3, name="c"),
            L.ZeroPadding2D(2, name="pad"),
            L.Cropping2D(1, name="crop"),
            L.Conv2D(1, 3, name="d"),
        )
    )
    assert t.row("pad").rf_text == t.row("crop").rf_text == "3 / 1"
    assert t.row("d").rf_text == "5 / 1"


def test_upsampling_divides_the_jump():
    # nearest x2: one input pixel per output, jump 1/2; a 3x3 conv then spans 1 + 2 * 1/2 = 2 input pixels
    t = tracing.trace(_model((8, 8, 1), L.UpSampling2D(2, name="up"), L.Conv2D(1, 3, name="c")))
    assert (t.row("up").rf, t.row("up").jump) == (1, 0.5)
    assert t.row("c").rf_text == "2 / 0.5"


def _upsampled_alexnet_conv1(interpolation):
    return _model(
        (32, 32, 3),
        L.Resizing(227, 227, interpolation=interpolation, name="resize"),
        L.Conv2D(96, 11, strides=4, name="conv1"),
    )


def test_resizing_32_to_227_then_11x11_stride_4_by_hand():
    # jump 32/227 input pixels per upsampled pixel; conv1's 11 taps span 10 * 32/227 = 1.41 input
    # pixels beyond the one (nearest) or two (bilinear) that a single upsampled pixel reads
    nearest = tracing.trace(_upsampled_alexnet_conv1("nearest")).row("conv1")
    assert nearest.rf == pytest.approx(1 + 10 * 32 / 227) == pytest.approx(2.4097, abs=1e-4)
    assert nearest.jump == pytest.approx(4 * 32 / 227)
    assert nearest.rf_text == "2.41 / 0.564"
    bilinear = tracing.trace(_upsampled_alexnet_conv1("bilinear")).row("conv1")
    assert bilinear.rf == pytest.approx(2 + 10 * 32 / 227)
    assert tracing.trace(_upsampled_alexnet_conv1("bilinear")).row("resize").rf_text == "2 / 0.141"


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_resizing_field_matches_measured_footprint(interpolation):
    """Measure which input rows each output of resize + conv reads (one-hot probes), average the span."""
    x = keras.Input((32, 1, 1))
    y = L.Resizing(227, 1, interpolation=interpolation)(x)
    y = L.Conv2D(1, (11, 1), strides=(4, 1), use_bias=False, kernel_initializer="ones", name="conv1")(y)
    model = keras.Model(x, y)
    probes = np.zeros((32, 32, 1, 1), "float32")
    probes[np.arange(32), np.arange(32)] = 1.0
    response = np.asarray(model(probes))[:, :, 0, 0]  # response[r, i]: output i when only input row r is 1
    spans = []
    for i in range(2, response.shape[1] - 2):  # away from the clamped borders
        rows = np.nonzero(np.abs(response[:, i]) > 1e-6)[0]
        spans.append(rows.max() - rows.min() + 1)
    rf_h = tracing.trace(model).row("conv1").rf_hw[0]
    assert np.mean(spans) == pytest.approx(rf_h, abs=0.1)


def test_transposed_conv_field_and_macs():
    # 2x2 stride 2 transposed: each output reads exactly one input pixel, jump 1/2
    t = tracing.trace(_model((5, 5, 8), L.Conv2DTranspose(4, 2, strides=2, name="up")))
    row = t.row("up")
    assert row.output_shape == (10, 10, 4)
    assert (row.rf, row.jump) == (1, Fraction(1, 2))
    assert row.macs == 5 * 5 * 2 * 2 * 8 * 4  # every input pixel scatters a 2x2x4 kernel per input channel
    assert row.formula == "(2*2*8+1)*4 = 132"


def test_macs_of_every_conv_kind_by_hand():
    t = tracing.trace(
        _model(
            (16, 16, 8),
            L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="dw"),  # 16x16x16
            L.SeparableConv2D(10, 3, strides=2, padding="same", name="sep"),  # 8x8x10
            L.Dense(6, name="dense_nd"),  # per position
            L.Reshape((64, 6), name="seq"),
            L.Conv1D(5, 4, name="c1d"),  # 61 x 5
            name="kinds",
        )
    )
    assert t.row("dw").macs == 16 * 16 * 8 * 2 * 9
    assert t.row("dw").formula == "(3*3+1)*8*2 = 160"
    assert t.row("sep").macs == 8 * 8 * (16 * 9 + 16 * 10)
    assert t.row("sep").formula == "3*3*16*1 + (16*1+1)*10 = 314"
    assert t.row("dense_nd").macs == 8 * 8 * 10 * 6
    assert t.row("dense_nd").rf_text == "5 / 2"  # a dense layer per position does not widen the field
    assert t.row("c1d").macs == 61 * 5 * 4 * 6
    assert t.macs_complete
    conv3d = tracing.trace(_model((6, 6, 6, 2), L.Conv3D(3, 3, name="c3d"))).row("c3d")
    assert conv3d.macs == 4 * 4 * 4 * 3 * 27 * 2 and conv3d.rf_text == "3 / 1"


@pytest.mark.parametrize(
    ("options", "formula"),
    [
        ({}, "4*64 = 256 (2*64 trainable)"),
        ({"scale": False}, "3*64 = 192 (1*64 trainable)"),
        ({"scale": False, "center": False}, "2*64 = 128 (none trainable)"),
    ],
)
def test_batchnorm_formula_from_its_weights(options, formula):
    model = _model((4, 4, 64), L.BatchNormalization(name="bn", **options))
    row = tracing.trace(model).row("bn")
    assert row.formula == formula
    assert row.macs == 0  # folds into the layer before it at inference: a per-channel scale and shift


class _Mystery(keras.layers.Layer):
    """A custom layer with weights and no param_formula/macs: the tracer cannot know its cost."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w


def test_unknown_layers_show_question_marks():
    model = _model(
        (4, 4, 3), L.Conv2D(2, 3, name="conv"), _Mystery(name="mystery"), L.Lambda(lambda x: x * 2, name="double")
    )
    t = tracing.trace(model)
    assert t.row("mystery").macs is None and t.row("double").macs is None
    assert t.row("mystery").rf_text == "?" and t.row("double").rf is None
    assert not t.macs_complete
    assert t.total_macs == 2 * 2 * 2 * 27  # the known conv only: 2*2 positions, 2 filters, 3*3*3 taps
    assert t.by_type("Conv2D", "_Mystery") == {"Conv2D": (56, 216), "_Mystery": (2, None)}
    text = str(t)
    assert "at least 216 MACs per image (2 layers unknown: ?)" in text
    assert t.row("mystery").formula == "2 = 2"


def test_columns_presets_and_lists():
    model = _model((8, 8, 1), L.Conv2D(2, 3, name="conv"))
    header = lambda t: str(t).splitlines()[1]  # noqa: E731
    assert header(tracing.trace(model, columns="shapes")).split() == ["layer", "type", "output", "shape"]
    assert "formula" in header(tracing.trace(model, columns="params"))
    assert "MACs" not in header(tracing.trace(model, columns="params"))
    cost = tracing.trace(model, columns="cost")
    assert "act. memory" in header(cost) and "RF" not in header(cost) and "RF / jump" not in cost.legend
    assert header(tracing.trace(model, columns=["layer", "MACs"])).split() == ["layer", "MACs"]
    assert "Total" not in str(tracing.trace(model, columns="shapes"))
    with pytest.raises(ValueError, match="preset"):
        tracing.trace(model, columns="everything")
    with pytest.raises(ValueError, match="unknown column"):
        tracing.trace(model, columns=["layer", "flops"])


def test_subclassed_and_unsized_models_raise_with_a_fix():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match="subclassed"):
        tracing.trace(net)
    with pytest.raises(ValueError, match="fixed sizes"):
        tracing.trace(keras.applications.VGG16(include_top=False, weights=None))


def _gradient_box(model, position, channel=0):
    """The input pixels the output at `position` really depends on: where its gradient is non-zero (all weights
    positive, no activation, average pooling: every pixel of the field contributes), as (first, last) per axis."""
    import tensorflow as tf

    x = tf.Variable(np.ones((1, *model.input_shape[1:]), np.float32))
    with tf.GradientTape() as tape:
        value = model(x)[0, position[0], position[1], channel]
    rows, cols = np.nonzero(np.abs(tape.gradient(value, x).numpy()[0]).sum(axis=-1))
    return (int(rows.min()), int(rows.max())), (int(cols.min()), int(cols.max()))


LAYER_CHOICES = st.sampled_from([
    ("conv", 3, 1, 1, "same"), ("conv", 3, 1, 1, "valid"), ("conv", 3, 2, 1, "same"), ("conv", 2, 2, 1, "same"),
    ("conv", 5, 1, 1, "same"), ("conv", 3, 1, 2, "same"), ("conv", 1, 1, 1, "valid"), ("conv", 4, 3, 1, "valid"),
    ("pool", 2, 2, 1, "valid"), ("pool", 3, 2, 1, "valid"), ("pool", 3, 2, 1, "same"), ("pool", 2, 2, 1, "same"),
    ("pad", 1, 1, 1, "valid"), ("crop", 1, 1, 1, "valid"),
])


@settings(max_examples=25, deadline=None)
@given(specs=st.lists(LAYER_CHOICES, min_size=1, max_size=4), side=st.integers(9, 16), data=st.data())
def test_every_field_box_is_exactly_where_the_gradient_reaches(specs, side, data):
    stack = []
    for i, (kind, k, s, d, padding) in enumerate(specs):
        if kind == "conv":
            stack.append(L.Conv2D(1, k, strides=s, dilation_rate=d, padding=padding, kernel_initializer="ones",
                                  name=f"l{i}"))
        elif kind == "pool":
            stack.append(L.AveragePooling2D(k, s, padding=padding, name=f"l{i}"))
        else:
            stack.append((L.ZeroPadding2D if kind == "pad" else L.Cropping2D)(((1, 0), (2, 1)), name=f"l{i}"))
    try:
        model = _model((side, side, 1), *stack)
    except ValueError:  # the stack shrank the image below a window: not a model
        return
    h, w = model.output_shape[1:3]
    if not h or not w or h < 1 or w < 1:
        return
    position = (data.draw(st.integers(0, h - 1)), data.draw(st.integers(0, w - 1)))
    try:
        expected = _gradient_box(model, position)
    except ValueError:  # the value reads only padding (a padded border): no input pixel to compare
        return
    box = tracing.trace(model).row(f"l{len(specs) - 1}").field_box(position)
    if any(d > 1 for _, _, _, d, _ in specs):  # a dilated kernel cut at the edge: its first real tap may lie inside
        assert all(a <= c and d <= b for (a, b), (c, d) in zip(box, expected)), (specs, side, position)
    else:
        assert box == expected, (specs, side, position)


def test_an_inception_like_merge_has_the_union_of_its_branches_fields():
    x = keras.Input((12, 12, 1))
    a = L.Conv2D(1, 1, name="one")(x)
    b = L.Conv2D(1, 5, padding="same", name="five")(x)
    merged = L.Concatenate(name="merged")([a, b])
    t = tracing.trace(keras.Model(x, merged))
    assert t.row("one").field_box((4, 4)) == ((4, 4), (4, 4))
    assert t.row("five").field_box((0, 11)) == ((0, 2), (9, 11))  # cut at the image's edges
    assert t.row("merged").field_box((4, 4)) == ((2, 6), (2, 6)) == t.row("five").field_box((4, 4))


def test_a_field_box_needs_a_field_with_an_offset():
    t = tracing.trace(_model((8, 8, 1), L.Conv2D(2, 3, name="c"), L.UpSampling2D(2, name="up"), L.Flatten(name="f")))
    with pytest.raises(ValueError, match="no known field offset"):
        t.row("up").field_box((0, 0))
    with pytest.raises(ValueError, match="sees the whole input"):
        t.row("f").field_box((0, 0))
