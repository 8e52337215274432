"""Receptive fields per axis, resampling, MACs of every conv kind, BatchNormalization, unknown layers, columns."""

from fractions import Fraction

import keras
import numpy as np
import pytest

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
