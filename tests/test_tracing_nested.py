"""Models used as layers and layers called more than once: trace must follow them like a flat model."""

import keras
import pytest

from course_utils import tracing

# VGG16's 13 convolutions (3x3, 'same'): (input side as a fraction of the image, c_in, c_out), from
# Simonyan & Zisserman 2015, Table 1 (configuration D).
VGG16_CONVS = [
    (1, 3, 64),
    (1, 64, 64),
    (2, 64, 128),
    (2, 128, 128),
    (4, 128, 256),
    (4, 256, 256),
    (4, 256, 256),
    (8, 256, 512),
    (8, 512, 512),
    (8, 512, 512),
    (16, 512, 512),
    (16, 512, 512),
    (16, 512, 512),
]


@pytest.fixture(scope="module")
def vgg_nested_and_flat():
    inner = keras.applications.VGG16(include_top=False, weights=None)  # built for (None, None, 3)
    nested = keras.Sequential([keras.Input((32, 32, 3), name="image"), inner], name="nested")
    flat = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    return nested, tracing.trace(nested), tracing.trace(flat)


def test_nested_vgg_equals_flat(vgg_nested_and_flat):
    nested, t_nested, t_flat = vgg_nested_and_flat
    hand_macs = sum((32 // f) ** 2 * 9 * c_in * c_out for f, c_in, c_out in VGG16_CONVS)
    assert hand_macs == 313_196_544  # 15,346,630,656 at 224 x 224, divided by 7 * 7
    assert t_nested.total_params == t_flat.total_params == nested.count_params() == 14_714_688
    assert t_nested.total_macs == t_flat.total_macs == hand_macs
    assert t_nested.activation_bytes == t_flat.activation_bytes
    last_nested, last_flat = t_nested.row("vgg16/block5_pool"), t_flat.row("block5_pool")
    assert (last_nested.rf, last_nested.jump) == (last_flat.rf, last_flat.jump) == (212, 32)
    assert last_nested.output_shape == (1, 1, 512)  # worked out for 32 x 32, not the inner (None, None)


def test_nested_rows_are_prefixed(vgg_nested_and_flat):
    _, t_nested, _ = vgg_nested_and_flat
    names = [r.name for r in t_nested.rows]
    assert names[:3] == ["image", "vgg16/block1_conv1", "vgg16/block1_conv2"]
    assert t_nested.row("vgg16/block1_conv1").output_shape == (32, 32, 64)
    assert t_nested.row("vgg16/block1_conv1").macs == 32 * 32 * 9 * 3 * 64
    assert len(t_nested.rows) == 1 + 18  # the input, 13 convolutions, 5 poolings; no inner input row


def _inception(x, prefix):
    """A small Inception module (1x1, 1x1 -> 3x3, 3x3 max pool -> 1x1), the branches concatenated."""
    conv = keras.layers.Conv2D
    a = conv(8, 1, name=f"{prefix}_1x1")(x)
    b = conv(12, 3, padding="same", name=f"{prefix}_3x3")(conv(4, 1, name=f"{prefix}_reduce")(x))
    c = conv(4, 1, name=f"{prefix}_proj")(keras.layers.MaxPooling2D(3, 1, padding="same", name=f"{prefix}_pool")(x))
    return keras.layers.Concatenate(name=f"{prefix}_concat")([a, b, c])


def _googlenet_like(as_submodels):
    x = keras.Input((20, 20, 3), name="image")
    y = keras.layers.Conv2D(16, 5, strides=2, padding="same", name="stem")(x)
    for prefix, channels in (("mod_a", 16), ("mod_b", 24)):
        if as_submodels:
            inp = keras.Input((None, None, channels))  # sub-model built without sizes
            y = keras.Model(inp, _inception(inp, prefix), name=prefix)(y)
        else:
            y = _inception(y, prefix)
    y = keras.layers.GlobalAveragePooling2D(name="gap")(y)
    return keras.Model(x, keras.layers.Dense(10, name="logits")(y), name="sub" if as_submodels else "flat")


def test_inception_modules_as_submodels_equal_flat():
    nested, flat = _googlenet_like(True), _googlenet_like(False)
    t_nested, t_flat = tracing.trace(nested), tracing.trace(flat)
    # by hand: stem (5*5*3+1)*16; a module on C channels: (C+1)*8 + (C+1)*4 + (9*4+1)*12 + (C+1)*4; dense (24+1)*10
    module = lambda c: (c + 1) * 8 + (c + 1) * 4 + (9 * 4 + 1) * 12 + (c + 1) * 4  # noqa: E731
    assert t_nested.total_params == t_flat.total_params == 1216 + module(16) + module(24) + 250 == nested.count_params()
    # MACs by hand on the 10 x 10 maps after the stride-2 stem
    stem = 10 * 10 * 16 * 25 * 3
    module_macs = lambda c: 10 * 10 * (8 * c + 4 * c + 12 * 9 * 4 + 4 * c)  # noqa: E731
    assert t_nested.total_macs == t_flat.total_macs == stem + module_macs(16) + module_macs(24) + 24 * 10
    assert t_nested.activation_bytes == t_flat.activation_bytes
    # receptive field: stem 5 / 2; each module's widest branch (1x1 then 3x3, or 3x3 pool) adds 2 * 2
    assert t_nested.row("mod_a/mod_a_concat").rf_text == t_flat.row("mod_a_concat").rf_text == "9 / 2"
    assert t_nested.row("mod_b/mod_b_concat").rf_text == t_flat.row("mod_b_concat").rf_text == "13 / 2"
    assert t_nested.row("mod_b/mod_b_3x3").output_shape == (10, 10, 12)


def test_layer_called_twice_counts_weights_once_and_work_twice():
    x = keras.Input((16, 16, 4), name="image")
    conv = keras.layers.Conv2D(4, 3, padding="same", name="conv")
    model = keras.Model(x, conv(conv(x)), name="shared")
    t = tracing.trace(model)
    assert [r.name for r in t.rows] == ["image", "conv", "conv (call 2)"]
    assert t.total_params == (3 * 3 * 4 + 1) * 4 == model.count_params()
    assert t.row("conv (call 2)").formula == "shared with conv"
    assert t.total_macs == 2 * 16 * 16 * 4 * 9 * 4
    assert t.row("conv").rf == 3 and t.row("conv (call 2)").rf == 5


def test_shared_submodel_siamese():
    inp = keras.Input((8, 8, 1))
    encoder = keras.Model(inp, keras.layers.Conv2D(2, 3, name="conv")(inp), name="encoder")
    left, right = keras.Input((8, 8, 1), name="left"), keras.Input((8, 8, 1), name="right")
    both = keras.layers.Concatenate(name="cat")([encoder(left), encoder(right)])
    model = keras.Model([left, right], keras.layers.Dense(1, name="score")(keras.layers.Flatten(name="flat")(both)))
    t = tracing.trace(model)
    assert "encoder/conv" in [r.name for r in t.rows] and "encoder (call 2)/conv" in [r.name for r in t.rows]
    assert t.total_params == (9 + 1) * 2 + (6 * 6 * 4 + 1) == model.count_params()
    assert t.total_macs == 2 * (6 * 6 * 2 * 9) + 6 * 6 * 4
    assert t.row("cat").output_shape == (6, 6, 4) and t.row("cat").rf == 3
