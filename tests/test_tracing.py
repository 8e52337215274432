import keras
import pytest

from course_utils import models, tracing


@pytest.fixture(scope="module")
def vgg16_trace():
    return tracing.trace(keras.applications.VGG16(weights=None))


def test_vgg16_total(vgg16_trace):
    assert vgg16_trace.total_params == 138_357_544


def test_vgg16_receptive_field(vgg16_trace):
    row = vgg16_trace.row("block5_pool")
    assert (row.rf, row.jump) == (212, 32)
    assert row.output_shape == (7, 7, 512)


def test_vgg19_total():
    assert tracing.trace(keras.applications.VGG19(weights=None)).total_params == 143_667_240


def test_lenet_listing_and_formulas():
    t = tracing.trace(models.lenet5_modern())
    assert t.total_params == 61_706
    assert t.row("C1").formula == "(5*5*1+1)*6 = 156"
    assert t.row("F6").formula == "(120+1)*84 = 10,164"
    assert t.row("C1").macs == 28 * 28 * 6 * 25
    assert t.row("flatten").rf is None


def _branchy():
    x = keras.Input((16, 16, 3), name="image")
    a = keras.layers.Conv2D(4, 1, name="b1_1x1")(x)
    b = keras.layers.Conv2D(4, 3, padding="same", name="b2_3x3")(x)
    p = keras.layers.MaxPooling2D(3, strides=1, padding="same", name="b3_pool")(x)
    cat = keras.layers.Concatenate(name="concat")([a, b, p])
    bn = keras.layers.BatchNormalization(name="bn")(cat)
    gap = keras.layers.GlobalAveragePooling2D(name="gap")(bn)
    out1 = keras.layers.Dense(10, name="main")(gap)
    out2 = keras.layers.Dense(2, name="aux")(keras.layers.Flatten(name="flat")(a))
    return keras.Model(x, [out1, out2], name="branchy")


def test_multi_branch_multi_output():
    model = _branchy()
    t = tracing.trace(model)
    # by hand: b1 (1*1*3+1)*4, b2 (3*3*3+1)*4, bn 4*11, main (11+1)*10, aux (16*16*4+1)*2
    assert t.total_params == 16 + 112 + 44 + 120 + 2050 == model.count_params()
    assert t.row("concat").output_shape == (16, 16, 11)
    assert t.row("concat").rf == 3  # the widest branch decides
    assert t.row("bn").formula == "4*11 = 44 (2*11 trainable)"
    assert t.trainable_params == 2342 - 2 * 11  # the moving mean and variance are not trained
    assert [r.name for r in t.rows][:1] == ["image"]


def test_grouped_conv_formula():
    model = keras.Sequential([keras.Input((13, 13, 96)), keras.layers.Conv2D(256, 5, groups=2, name="g")])
    row = tracing.trace(model).row("g")
    assert row.formula == "(5*5*96/2+1)*256 = 307,456"


TINY_TEXT = """\
Model: tiny
layer  type     output shape  params  formula           MACs  RF / jump  act. memory
------------------------------------------------------------------------------------
image  Input    (6, 6, 1)          0  -                    0  1 / 1            144 B
conv   Conv2D   (4, 4, 2)         20  (3*3*1+1)*2 = 20   288  3 / 1            128 B
flat   Flatten  (32)               0  -                    0  all              128 B
------------------------------------------------------------------------------------
Total: 20 parameters (20 trainable), 288 MACs per image, 400 B of activations per image"""


def _tiny():
    layers = [
        keras.Input((6, 6, 1), name="image"),
        keras.layers.Conv2D(2, 3, name="conv"),
        keras.layers.Flatten(name="flat"),
    ]
    return keras.Sequential(layers, name="tiny")


def test_text_and_html_by_hand():
    # by hand: conv 4*4 positions * 2 filters * 9 taps = 288 MACs; (36 + 32 + 32) float32 = 400 bytes
    t = tracing.trace(_tiny())
    text = str(t)
    assert text.startswith(TINY_TEXT + "\n")
    assert text.splitlines()[len(TINY_TEXT.splitlines()) :] == t.legend.splitlines()
    assert text == str(tracing.trace(_tiny()))  # nothing run-dependent (ids, addresses) in the text
    page = t._repr_html_()
    assert "<td>(3*3*1+1)*2 = 20</td><td>288</td><td>3 / 1</td><td>128 B</td>" in page
    assert "<p>Total: 20 parameters (20 trainable), 288 MACs per image, 400 B of activations per image</p>" in page


def test_unbuilt_model_raises():
    with pytest.raises(ValueError, match="not built"):
        tracing.trace(keras.Sequential([keras.layers.Dense(3)]))


def test_not_a_model_raises():
    with pytest.raises(ValueError, match="needs a keras.Model"):
        tracing.trace(keras.layers.Dense(3))


def test_unknown_row_lists_layers():
    with pytest.raises(KeyError, match="C1"):
        tracing.trace(models.lenet5_modern()).row("nope")


def test_memory_estimate_and_warning(capsys):
    model = models.lenet5_modern()
    est = tracing.training_memory(model, batch_size=32)
    # LeNet's outputs by hand: 32*32*1 + 28*28*6 + 14*14*6 + 10*10*16 + 5*5*16 + 120 + 120 + 84 + 10 + 10
    floats = 1024 + 4704 + 1176 + 1600 + 400 + 120 + 120 + 84 + 10 + 10
    assert est == {
        "weights": 61_706 * 4,
        "gradients": 61_706 * 4,
        "optimizer": 2 * 61_706 * 4,  # Adam's two slots
        "activations": 32 * floats * 4,
        "total": 4 * 61_706 * 4 + 32 * floats * 4,
    }
    assert tracing.check_memory(model, 32, budget=10**12) is True
    assert tracing.check_memory(model, 32, budget=1000) is False
    assert "does not fit" in capsys.readouterr().out
