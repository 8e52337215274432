"""VGG (notebook 08): the six configurations against the paper and keras.applications, the classroom
stack, FC-to-convolution, the 3x3-stack arithmetic, the full-profile path and exercise 08.5."""

import gc

import keras
import numpy as np
import pytest

from course_utils import arithmetic, exercises, trace
from course_utils.exercises import nb08_vgg16 as nb08
from course_utils.explain import class_scores, feature_maps
from course_utils.models.vgg import (
    PAPER_SINGLE_SCALE_ERRORS,
    PAPER_SUBMISSION_ERRORS,
    VGG_CONFIGS,
    cached_imagenet_weights,
    config_blocks,
    config_table,
    fc_to_conv,
    parameter_count,
    vgg16_small,
    vgg_block,
    vgg_for_profile,
    vgg_from_config,
    weight_layers,
)

# Simonyan and Zisserman 2015, Table 2: "Number of parameters (in millions)" at 224 x 224, 1,000 classes.
PAPER_MILLIONS = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}
# Table 1's column headings: weight layers per configuration.
PAPER_WEIGHT_LAYERS = {"A": 11, "A-LRN": 11, "B": 13, "C": 16, "D": 16, "E": 19}

# Worked by hand, layer by layer: (k*k*c_in+1)*filters for convolutions, (n_in+1)*n_out for dense layers.
CONV = {  # (c_in, filters) -> parameters of a 3 x 3 convolution
    (3, 64): 1_792, (64, 64): 36_928, (64, 128): 73_856, (128, 128): 147_584, (128, 256): 295_168,
    (256, 256): 590_080, (256, 512): 1_180_160, (512, 512): 2_359_808,
}
HEAD = 102_764_544 + 16_781_312 + 4_097_000  # fc1 (7*7*512+1)*4096, fc2 (4096+1)*4096, predictions (4096+1)*1000
BY_HAND = {
    "A": CONV[3, 64] + CONV[64, 128] + CONV[128, 256] + CONV[256, 256] + CONV[256, 512] + 3 * CONV[512, 512] + HEAD,
    "B": (CONV[3, 64] + CONV[64, 64] + CONV[64, 128] + CONV[128, 128] + CONV[128, 256] + CONV[256, 256]
          + CONV[256, 512] + 3 * CONV[512, 512] + HEAD),
}
BY_HAND["A-LRN"] = BY_HAND["A"]  # LRN has no parameters
BY_HAND["C"] = BY_HAND["B"] + (256 + 1) * 256 + 2 * (512 + 1) * 512  # plus three 1 x 1 convolutions


@pytest.fixture(scope="module")
def vgg16_and_keras():
    return vgg_from_config("D"), keras.applications.VGG16(weights=None)


def _weight_shapes(model, names):
    return {n: [tuple(w.shape) for w in model.get_layer(n).weights] for n in names}


@pytest.mark.parametrize("config, keras_builder, expected", [
    ("D", keras.applications.VGG16, 138_357_544),
    ("E", keras.applications.VGG19, 143_667_240),
])
def test_vgg16_and_vgg19_exact_and_equal_to_keras_applications(config, keras_builder, expected):
    ours, theirs = vgg_from_config(config), keras_builder(weights=None)
    assert ours.count_params() == theirs.count_params() == expected
    names = [layer.name for layer in theirs.layers if layer.weights]
    assert _weight_shapes(ours, names) == _weight_shapes(theirs, names)  # same names, same weight shapes: swappable
    assert parameter_count(config) == expected
    del ours, theirs
    gc.collect()


def test_each_configuration_rounds_to_the_papers_millions():
    for name in VGG_CONFIGS:
        assert round(parameter_count(name) / 1e6) == PAPER_MILLIONS[name], name
    for name, count in BY_HAND.items():
        assert parameter_count(name) == count, name
    assert BY_HAND["A"] == 132_863_336 and BY_HAND["C"] == 133_638_952


@pytest.mark.parametrize("name", list(VGG_CONFIGS))
def test_the_builder_counts_what_the_formulas_count(name):
    """Every configuration built (at 64 x 64, where fc1 reads 2 x 2 x 512) against the arithmetic counter."""
    model = vgg_from_config(name, (64, 64, 3), 1000)
    assert model.count_params() == parameter_count(name, 64, 1000)
    assert weight_layers(name) == PAPER_WEIGHT_LAYERS[name]
    assert sum(isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)) for layer in model.layers) == PAPER_WEIGHT_LAYERS[name]


def test_table_rows_have_the_papers_layers():
    assert config_blocks("C")[2:] == (("conv3-256", "conv3-256", "conv1-256"), ("conv3-512", "conv3-512", "conv1-512"),
                                      ("conv3-512", "conv3-512", "conv1-512"))
    model = vgg_from_config("C", (32, 32, 3), 10, width=0.125, head="small")
    assert [model.get_layer(f"block{b}_conv3").kernel_size for b in (3, 4, 5)] == [(1, 1)] * 3
    a_lrn = vgg_from_config("A-LRN", (32, 32, 3), 10, width=0.125, head="small")
    names = [layer.name for layer in a_lrn.layers]
    assert names[:3] == ["block1_conv1", "block1_lrn", "block1_pool"]
    assert a_lrn.count_params() == vgg_from_config("A", (32, 32, 3), 10, width=0.125, head="small").count_params()


def test_vgg16_trace_shapes_and_receptive_field(vgg16_and_keras):
    t = trace(vgg16_and_keras[0])
    sides = [t.row(f"block{b}_pool").output_shape for b in range(1, 6)]
    assert sides == [(112, 112, 64), (56, 56, 128), (28, 28, 256), (14, 14, 512), (7, 7, 512)]
    assert (t.row("block5_pool").rf, t.row("block5_pool").jump) == (212, 32)
    assert t.row("fc1").params == 25_088 * 4_096 + 4_096
    convs, dense = t.by_type("Conv2D", "Dense").values()
    assert convs[1] > 10 * dense[1]  # the MACs sit in the convolutions, the parameters in the dense layers
    assert dense[0] > 8 * convs[0]


def test_three_by_three_stacks():
    """Two 3 x 3 see 5 x 5 with 18 weights per channel pair (25 for one 5 x 5); three see 7 x 7 with 27 (49)."""
    field, jump = 1, 1
    fields = []
    for _ in range(3):
        field, jump = arithmetic.receptive_field(field, jump, 3)
        fields.append(field)
    assert fields == [3, 5, 7]
    assert arithmetic.conv_params(3, 1, 1, bias=False) * 2 == 18 < arithmetic.conv_params(5, 1, 1, bias=False) == 25
    assert arithmetic.conv_params(3, 1, 1, bias=False) * 3 == 27 < arithmetic.conv_params(7, 1, 1, bias=False) == 49


def test_kernel_size_override_keeps_the_receptive_fields():
    assert config_blocks("B", kernel_size=5) == tuple((f"conv5-{f}",) for f in (64, 128, 256, 512, 512))
    assert config_blocks(("conv3-8 conv3-8 conv3-8",) * 5, kernel_size=7) == (("conv7-8",),) * 5
    with pytest.raises(ValueError, match="block 1 has 2 stacked 3 x 3 convolution"):
        config_blocks("D", kernel_size=7)
    with pytest.raises(ValueError, match="block 1 has 1 stacked"):
        config_blocks("A", kernel_size=5)
    small = dict(input_shape=(32, 32, 3), num_classes=10, width=0.25, head="small")
    b3, b5 = trace(vgg_from_config("B", **small)), trace(vgg_from_config("B", kernel_size=5, **small))
    for block in range(1, 6):
        assert b3.row(f"block{block}_pool").rf == b5.row(f"block{block}_pool").rf
    # one 5 x 5 against two 3 x 3 per block: (25*c_in + 1)*f against (9*c_in + 1)*f + (9*f + 1)*f
    assert b5.row("block2_conv1").params == (25 * 16 + 1) * 32
    assert b3.row("block2_conv1").params + b3.row("block2_conv2").params == (9 * 16 + 1) * 32 + (9 * 32 + 1) * 32


def test_classroom_stack():
    model = vgg16_small()
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 13 and [c.filters for c in convs[::3]] == [32, 64, 128, 256, 256]
    assert model.get_layer("block5_relu3").output.shape == (None, 2, 2, 256)
    assert "block5_pool" not in [layer.name for layer in model.layers]
    # 13 convolutions without bias, 4 numbers per channel in each batch norm, then 1024 -> 256 -> 256 -> 10
    conv_weights = 9 * (3 * 32 + 32 * 32 + 32 * 64 + 64 * 64 + 64 * 128 + 2 * 128 * 128 + 128 * 256 + 2 * 256 * 256
                        + 3 * 256 * 256)
    batch_norm = 4 * (2 * 32 + 2 * 64 + 3 * 128 + 3 * 256 + 3 * 256)
    assert model.count_params() == conv_weights + batch_norm + (1024 + 1) * 256 + (256 + 1) * 256 + (256 + 1) * 10


def _randomise(model, seed=0):
    """Random weights everywhere (batch norm's moving variance positive), so that a wrong reshape shows."""
    rng = np.random.default_rng(seed)
    weights = []
    for w in model.weights:
        shape = tuple(w.shape)
        fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        value = rng.normal(0, 1 / np.sqrt(fan_in), size=shape)
        weights.append(np.abs(value) + 0.5 if "variance" in w.path else value)
    model.set_weights([w.astype("float32") for w in weights])


def test_fc_to_conv_same_scores_at_training_size_and_a_map_on_larger_images():
    model = vgg16_small(width=0.25)
    _randomise(model)
    converted = fc_to_conv(model)
    x = np.random.default_rng(1).random((3, 32, 32, 3)).astype("float32")
    dense_logits, conv_logits = class_scores(model, x), class_scores(converted, x)
    assert conv_logits.shape == (3, 1, 1, 10)
    assert np.std(dense_logits) > 0.1  # large enough that a wrong reshape could not hide under the tolerance
    assert np.max(np.abs(conv_logits[:, 0, 0] - dense_logits)) <= 1e-4
    assert isinstance(converted.get_layer("fc1"), keras.layers.Conv2D)
    assert converted.get_layer("fc1").kernel_size == (2, 2) and converted.get_layer("fc2").kernel_size == (1, 1)

    big = np.random.default_rng(2).random((1, 64, 64, 3)).astype("float32")
    scores = class_scores(converted, big)
    assert scores.shape == (1, 3, 3, 10)
    # independently: the original dense head applied to every 2 x 2 window of block 5's 4 x 4 map
    block5 = feature_maps(model, big, ["block5_relu3"])["block5_relu3"]
    for i in range(3):
        for j in range(3):
            v = block5[:, i:i + 2, j:j + 2, :].reshape(1, -1)
            for name in ("fc1", "fc2"):
                v = model.get_layer(name)(v)
            v = keras.ops.convert_to_numpy(model.get_layer("predictions")(v))
            assert np.max(np.abs(scores[:, i, j] - v)) <= 1e-4


def test_fc_to_conv_vgg16_at_224():
    # VGG16's layers at a quarter of its widths (fc 1,024): the same 7 x 7 head at 224, a sixteenth of its weights
    model = vgg_from_config("D", width=0.25)
    _randomise(model)
    converted = fc_to_conv(model)
    assert converted.get_layer("fc1").kernel_size == (7, 7) and converted.count_params() == model.count_params()
    x = np.random.default_rng(3).random((1, 224, 224, 3)).astype("float32")
    dense_logits, conv_logits = class_scores(model, x), class_scores(converted, x)
    assert np.std(dense_logits) > 0.1
    assert np.max(np.abs(conv_logits[:, 0, 0] - dense_logits)) <= 1e-4
    assert fc_to_conv(model, (256, 256, 3)).output_shape == (None, 2, 2, 1000)
    del model, converted
    gc.collect()


def test_fc_to_conv_of_a_shapes_only_vgg16_builds_the_same_architecture_without_weights():
    from course_utils import clear_session
    from course_utils.comparison import build_shapes_only

    paper = build_shapes_only(vgg_from_config, config="D")
    converted = build_shapes_only(lambda: fc_to_conv(paper, (288, 288, 3), copy_weights=False))
    assert converted.output_shape == (None, 3, 3, 1000)
    assert converted.count_params() == paper.count_params() == 138_357_544
    assert converted.get_layer("fc1").kernel_size == (7, 7) and converted.get_layer("fc2").kernel_size == (1, 1)
    clear_session()


def test_fc_to_conv_errors():
    no_flatten = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3), keras.layers.GlobalAveragePooling2D()])
    with pytest.raises(ValueError, match="exactly one Flatten"):
        fc_to_conv(no_flatten)
    resized = vgg_for_profile("paper", width=1 / 16)
    with pytest.raises(ValueError, match="resizes its input"):
        fc_to_conv(resized)


def test_builder_errors():
    with pytest.raises(ValueError, match="unknown VGG configuration 'F'; choose one of A, A-LRN, B, C, D, E"):
        vgg_from_config("F")
    with pytest.raises(ValueError, match="unknown layer 'pool'"):
        vgg_from_config(("conv3-8 pool",) * 5, (32, 32, 3), 10)
    with pytest.raises(ValueError, match="pools must be between 0 and 5"):
        vgg_from_config("A", (32, 32, 3), 10, pools=6)
    with pytest.raises(ValueError, match="head must be 'paper'"):
        vgg_from_config("A", (32, 32, 3), 10, head="gap")


def test_custom_row_and_names():
    row = ("conv3-8", "conv3-8 conv3-8", "conv3-16", "conv3-16", "conv3-16")
    model = vgg_from_config(row, (32, 32, 3), 10, head="small", fc_units=32)
    assert model.name == "vgg_custom" and model.get_layer("block2_conv2").filters == 8
    assert vgg_from_config("B", (32, 32, 3), 10, width=0.25, kernel_size=5).name == "vgg_b_5x5"


def test_vgg_block_reference():
    x = keras.Input((12, 10, 3))
    model = keras.Model(x, vgg_block(x, 8, 2))
    assert model.output_shape == (None, 6, 5, 8)
    assert model.count_params() == (9 * 3 + 1) * 8 + (9 * 8 + 1) * 8
    with pytest.raises(ValueError, match="at least one convolution"):
        vgg_block(x, 8, 0)


def test_full_profile_path_mixed_precision_trains_two_steps_on_cpu():
    """The `full` profile's model (VGG16 with batch norm, CIFAR-10 resized to 224 inside, mixed_float16) for 2
    steps on a CPU; width 1/16 keeps it quick, everything else is the full-profile path."""
    import tensorflow as tf

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = vgg_for_profile("paper", width=1 / 16)
        assert model.get_layer("resize_224").output.shape == (None, 224, 224, 3)
        assert model.get_layer("block1_conv1").compute_dtype == "float16"
        assert model.get_layer("block5_pool").output.shape == (None, 7, 7, 32)
        model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
        rng = np.random.default_rng(0)
        ds = tf.data.Dataset.from_tensor_slices((rng.random((4, 32, 32, 3)).astype("float32"), np.array([0, 1, 2, 3])))
        history = model.fit(ds.batch(2), epochs=1, verbose=0, shuffle=False)
        assert np.isfinite(history.history["loss"][0])
        out = model(np.zeros((1, 32, 32, 3), "float32"), training=False)
        assert out.dtype == "float32" and abs(float(np.sum(out)) - 1.0) < 1e-3
    finally:
        keras.mixed_precision.set_global_policy("float32")


# --- exercise 08.5 ----------------------------------------------------------------------------


def test_exercise_reference_passes():
    ok, message = nb08.grade_vgg_block(vgg_block)
    assert ok, message
    assert message.startswith("Exercise 08.5: correct: output shapes and parameter counts equal the reference's on 3 inputs")


def _learner_block(x, filters, convs):
    """A correct answer written differently: Sequential sub-layers in a list."""
    stack = [keras.layers.Conv2D(filters, (3, 3), padding="same") for _ in range(convs)]
    for conv in stack:
        x = keras.layers.ReLU()(conv(x))
    return keras.layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2))(x)


def test_exercise_accepts_another_correct_writing():
    assert nb08.grade_vgg_block(_learner_block)[0]


@pytest.mark.parametrize("name", [f.__name__ for f in nb08.BLOCK_MISTAKES])
def test_exercise_diagnoses_each_mistake(name):
    mistake = getattr(nb08, name)  # looked up now: tests/test_exercises.py may have reloaded the module
    ok, message = nb08.grade_vgg_block(mistake)
    assert not ok
    assert message.startswith("Exercise 08.5: not yet: ") and nb08.BLOCK_MISTAKES[mistake] in message
    assert message.endswith("(Stuck? `course_utils.solution('08.5')` shows a worked solution.)")


def test_exercise_stub_none_and_errors():
    def stub(x, filters, convs):
        raise NotImplementedError

    assert nb08.grade_vgg_block(stub) == (False, "Exercise 08.5: not implemented yet: replace `raise "
                                                "NotImplementedError` with your code and run the cell again.")
    assert nb08.grade_vgg_block(lambda x, f, c: None)[1] == "Exercise 08.5: your function returned None: did you forget `return x`?"
    ok, message = nb08.grade_vgg_block(lambda x, f, c: x.shape)
    assert not ok and "return the tensor the last layer gave you" in message
    ok, message = nb08.grade_vgg_block(lambda x, f, c: keras.layers.Conv2D(f, 3)(x, bad=1))
    assert not ok and message.startswith("Exercise 08.5: your function raised TypeError")


def test_exercise_answers_worked_by_hand():
    # 08.1: 13 convolutions (sum of Table 1's) + fc1 (512+1)*4096 + fc2 (4096+1)*4096 + (4096+1)*10
    convs = (CONV[3, 64] + CONV[64, 64] + CONV[64, 128] + CONV[128, 128] + CONV[128, 256] + 2 * CONV[256, 256]
             + CONV[256, 512] + 5 * CONV[512, 512])
    assert convs == 14_714_688
    assert exercises.exercise("08.1").answer == convs + 513 * 4096 + 4097 * 4096 + 4097 * 10
    assert exercises.exercise("08.2").answer == 212 + 2 * (4 + 8 + 16) == 268
    assert exercises.exercise("08.3").answer == 384 // 32 - 7 + 1
    assert exercises.exercise("08.4").answer == (5, 45, 121)  # 1 + 2n >= 11 -> n = 5; 5 * 9; 11 * 11


def test_config_table_puts_the_counts_beside_the_papers():
    lines = config_table().splitlines()
    assert lines[0].split()[:2] == ["config", "weight"] and len(lines) == 2 + 6
    for line, (name, millions) in zip(lines[2:], PAPER_MILLIONS.items()):
        cells = line.split()
        assert cells[0] == name and cells[1] == str(PAPER_WEIGHT_LAYERS[name])
        assert cells[-2] == f"{parameter_count(name):,}" and cells[-1] == str(millions)
    assert "conv3-256 x2, conv1-256" in lines[2 + 3]  # C's 1 x 1 convolutions in block 3
    assert config_table(["B"], kernel_size=5).splitlines()[2].split()[-1] == "-"  # not a row of the paper


def test_the_quoted_single_scale_table_and_what_the_paper_reads_from_it():
    """Simonyan and Zisserman 2015, Table 3 as typed here, checked by hand against the paper, and section 4.1's reading."""
    table = PAPER_SINGLE_SCALE_ERRORS
    assert list(table) == list(VGG_CONFIGS)  # one entry per configuration of Table 1, in its order
    assert table["A"]["256"] == (29.6, 10.4) and table["E"]["[256;512]"] == (25.5, 8.0)
    assert sum(len(rows) for rows in table.values()) == 12  # C, D, E at three training scales, the others at one
    for rows in table.values():
        assert all(0 < top5 < top1 < 100 for top1, top5 in rows.values())
    top1 = {config: rows["256"][0] for config, rows in table.items()}
    assert top1["A-LRN"] >= top1["A"]  # LRN does not improve A
    assert top1["B"] > top1["C"] > top1["D"]  # 1 x 1 helps (C < B), 3 x 3 helps more (D < C)
    assert top1["E"] >= top1["D"]  # at S = 256 the 19-layer E does not beat D: the error saturates
    assert PAPER_SUBMISSION_ERRORS["top-5 test"] == 7.3 and round(100 - PAPER_SUBMISSION_ERRORS["top-5 test"], 1) == 92.7


def test_imagenet_weights_only_from_the_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert cached_imagenet_weights() is None
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels.h5").write_bytes(b"")
    assert cached_imagenet_weights() is None  # the class names are missing: decode_predictions would download
    (tmp_path / "models" / "imagenet_class_index.json").write_text("{}")
    assert cached_imagenet_weights() == tmp_path / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
