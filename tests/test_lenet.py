"""LeNet-5 (notebook 06): the 1998 layers against NumPy and Keras, the published table, save/load."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import layers, models, tracing

# The 1998 paper's per-layer figures: (feature maps, trainable parameters, connections).
PUBLISHED = {
    "C1": ("6@28x28", 156, 122_304),
    "S2": ("6@14x14", 12, 5_880),
    "C3": ("16@10x10", 1_516, 151_600),
    "S4": ("16@5x5", 32, 2_000),
    "C5": ("120@1x1", 48_120, 48_120),
    "F6": ("84", 10_164, 10_164),
    "output": ("10", 840, 840),
}


@pytest.fixture(scope="module")
def classic():
    return models.lenet5_classic()


def test_published_table(classic):
    table = models.layer_table(classic)
    for name, (maps, params, conns) in PUBLISHED.items():
        row = table.row(name)
        assert (row["maps"], row["params"], row["connections"]) == (maps, params, conns), name
        assert classic.get_layer(name).count_params() == params, name
    assert table.row("C3")["param_formula"] == "(5*5*3+1)*6 + (5*5*4+1)*9 + (5*5*6+1)*1"
    assert "(5*5*3+1)*6 + (5*5*4+1)*9 + (5*5*6+1)*1" in str(table)


def test_layer_table_text_and_html(classic):
    table = models.layer_table(classic, ("C1", "F6"))
    assert str(table).splitlines() == [
        "Layer table: lenet5_classic",
        "layer  feature maps  parameters           connections",
        "-----------------------------------------------------",
        "C1     6@28x28       (5*5*1+1)*6 = 156    (5*5*1+1)*6*28*28 = 122,304",
        "F6     84            (120+1)*84 = 10,164  (120+1)*84 = 10,164",
    ]
    html = table._repr_html_()
    assert html.startswith("<b>Layer table: lenet5_classic</b><table><thead><tr><th>layer</th>")
    assert "<td>(5*5*1+1)*6 = 156</td>" in html and html.count("<tr>") == 3
    with pytest.raises(KeyError, match="no layer 'C9'"):
        table.row("C9")


def test_totals_and_trace(classic):
    t = tracing.trace(classic)
    assert t.total_params == 60_840 == classic.count_params()
    assert t.trainable_params == 60_000  # the RBF codes are fixed
    assert t.row("C3").formula == "(5*5*3+1)*6 + (5*5*4+1)*9 + (5*5*6+1)*1 = 1,516"
    assert t.row("S2").formula == "2*6 = 12"
    assert t.row("C3").macs == 10 * 10 * 25 * 60
    assert (t.row("S2").rf, t.row("S2").jump) == (6, 2)  # trace reads pool_size/strides of Subsampling
    assert (t.row("C5").rf, t.row("C5").jump) == (32, 4)
    assert tracing.trace(models.lenet5_modern()).total_params == 61_706


def test_c3_connection_table():
    sizes = [len(column) for column in layers.LENET_C3_TABLE]
    assert sizes == [3] * 6 + [4] * 9 + [6]
    assert sum(sizes) == 60
    uses = np.bincount([i for column in layers.LENET_C3_TABLE for i in column], minlength=6)
    assert uses.tolist() == [10] * 6  # every S2 map feeds ten C3 maps
    assert len(set(layers.LENET_C3_TABLE)) == 16


def test_partial_conv_kernel_follows_the_table():
    c3 = layers.PartialConv2D(name="C3")
    c3.build((None, 14, 14, 6))
    kernel = keras.ops.convert_to_numpy(c3.full_kernel())
    assert kernel.shape == (5, 5, 6, 16)
    connected = np.abs(kernel).sum(axis=(0, 1)) > 0
    expected = np.zeros((6, 16), bool)
    for j, column in enumerate(layers.LENET_C3_TABLE):
        expected[list(column), j] = True
    assert (connected == expected).all()


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**16), st.integers(1, 3), st.integers(1, 4), st.integers(3, 5))
def test_partial_conv_equals_masked_keras_conv(seed, c_in, c_out, k):
    rng = np.random.default_rng(seed)
    table = [tuple(sorted(rng.choice(c_in, rng.integers(1, c_in + 1), replace=False).tolist())) for _ in range(c_out)]
    layer = layers.PartialConv2D(table, k, activation="linear", name="partial")
    x = rng.normal(size=(2, k + 3, k + 2, c_in)).astype("float32")
    y = keras.ops.convert_to_numpy(layer(x))
    assert layer.count_params() == sum(k * k * len(col) + 1 for col in table)
    reference = keras.layers.Conv2D(c_out, k, name="reference")
    reference.build(x.shape)
    reference.set_weights([keras.ops.convert_to_numpy(layer.full_kernel()), keras.ops.convert_to_numpy(layer.bias)])
    np.testing.assert_allclose(y, keras.ops.convert_to_numpy(reference(x)), atol=1e-5)


def test_partial_conv_rejects_a_bad_table():
    with pytest.raises(ValueError, match="input has 6 maps"):
        layers.PartialConv2D([(0, 7)], 5, name="bad")(np.zeros((1, 14, 14, 6), "float32"))
    with pytest.raises(ValueError, match="empty column"):
        layers.PartialConv2D([()], 5, name="bad")


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**16), st.integers(1, 3), st.integers(2, 9), st.integers(2, 9), st.integers(1, 4))
def test_subsampling_equals_numpy(seed, p, h, w, c):
    rng = np.random.default_rng(seed)
    h, w = max(h, p), max(w, p)
    x = rng.normal(size=(2, h, w, c)).astype("float32")
    layer = layers.Subsampling(p, activation="tanh", name="sub")
    layer.build(x.shape)
    coefficient, bias = rng.normal(size=c).astype("float32"), rng.normal(size=c).astype("float32")
    layer.set_weights([coefficient, bias])
    y = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(y, layers.subsample_numpy(x, coefficient, bias, p, np.tanh), atol=1e-5)
    assert layer.count_params() == 2 * c


def test_subsampling_starts_as_average_pooling():
    x = np.random.default_rng(0).normal(size=(1, 8, 8, 3)).astype("float32")
    layer = layers.Subsampling(2, activation="linear", name="sub")
    average = keras.layers.AveragePooling2D(2, name="avg")(x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), keras.ops.convert_to_numpy(average), atol=1e-6)


def test_rbf_output_and_codes():
    codes = layers.digit_codes()
    assert codes.shape == (10, 84) and set(np.unique(codes)) == {-1.0, 1.0}
    hamming = (codes[:, None, :] != codes[None, :, :]).sum(-1)
    assert hamming[~np.eye(10, dtype=bool)].min() >= 10  # every pair of codes differs in 10+ pixels
    rbf = layers.RBFOutput(10, name="output")
    x = np.random.default_rng(1).normal(size=(4, 84)).astype("float32")
    y = keras.ops.convert_to_numpy(rbf(x))
    np.testing.assert_allclose(y, ((x[:, None, :] - codes[None]) ** 2).sum(-1), rtol=1e-5)
    assert rbf.count_params() == 840 and not rbf.trainable_weights
    assert layers.RBFOutput(3, trainable_codes=True, name="t")(x).shape == (4, 3)


def test_lecun_tanh():
    assert float(layers.lecun_tanh(1.0)) == pytest.approx(1.0, abs=1e-3)
    assert float(layers.lecun_tanh(-1.0)) == pytest.approx(-1.0, abs=1e-3)


def test_connections_of_modern_lenet():
    modern = models.lenet5_modern()
    assert layers.connections(modern.get_layer("S2")) == (2 * 2 * 6 * 14 * 14, "2*2*6*14*14")
    assert layers.connections(modern.get_layer("C3"))[0] == 241_600
    assert layers.connections(modern.get_layer("flatten")) == (0, "-")


def test_layer_configs_round_trip():
    for layer in (layers.Subsampling(2, name="S2"), layers.PartialConv2D(name="C3"), layers.RBFOutput(10, name="out")):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


def test_classic_model_saves_and_loads(classic, tmp_path):
    classic.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(2).random((3, 32, 32, 1)).astype("float32")
    classic.fit(x, np.array([0, 1, 2]), epochs=1, verbose=0)
    path = tmp_path / "lenet5_classic.keras"
    classic.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(classic(x)), atol=1e-6)
    assert [type(x).__name__ for x in loaded.layers] == [type(x).__name__ for x in classic.layers]
    assert loaded.get_layer("C3").table == layers.LENET_C3_TABLE
    assert loaded.count_params() == 60_840


def test_distance_scale_changes_confidence_not_the_prediction():
    x = np.random.default_rng(3).random((4, 32, 32, 1)).astype("float32")
    keras.utils.set_random_seed(0)
    paper = models.lenet5_classic(distance_scale=1.0)
    softer = models.lenet5_classic(distance_scale=0.1)
    softer.set_weights(paper.get_weights())
    assert paper.get_layer("minus_distance").scale == -1.0
    p_paper = keras.ops.convert_to_numpy(paper(x))
    p_softer = keras.ops.convert_to_numpy(softer(x))
    assert (p_paper.argmax(1) == p_softer.argmax(1)).all()
    assert p_softer.max(1).mean() <= p_paper.max(1).mean()
