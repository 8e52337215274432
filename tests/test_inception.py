"""Inception (notebook 11): modules, GoogLeNet against the paper's Table 1, auxiliary heads, v2/v3 blocks, v3 against
keras.applications, the small Inception, the full-profile path on a CPU, and exercise 11.5's checker.

Expected values are worked by hand from the papers' filter counts (retyped here, not read from the module) or taken
from the papers and from Keras' own InceptionV3."""

import gc

import keras
import numpy as np
import pytest

from course_utils import exercises, trace
from course_utils.exercises import nb11_inception as nb11
from course_utils.models import inception

# Szegedy et al. 2015, Table 1, retyped: (input channels, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj, side)
TABLE_1 = {
    "3a": (192, 64, 96, 128, 16, 32, 32, 28), "3b": (256, 128, 128, 192, 32, 96, 64, 28),
    "4a": (480, 192, 96, 208, 16, 48, 64, 14), "4b": (512, 160, 112, 224, 24, 64, 64, 14),
    "4c": (512, 128, 128, 256, 24, 64, 64, 14), "4d": (512, 112, 144, 288, 32, 64, 64, 14),
    "4e": (528, 256, 160, 320, 32, 128, 128, 14), "5a": (832, 256, 160, 320, 32, 128, 128, 7),
    "5b": (832, 384, 192, 384, 48, 128, 128, 7),
}
# the paper's "ops" column (millions) for the rows whose figure follows from the filter counts
PAPER_OPS_M = {"conv2": 360, "3a": 128, "3b": 304, "4a": 73, "4b": 88, "4c": 100, "4d": 119, "4e": 170, "5b": 71, "linear": 1}


def module_weights(c_in, c1, c3r, c3, c5r, c5, pp):
    """Weights (no biases) of one Inception v1 module, and its number of filters (= its biases)."""
    weights = c_in * c1 + c_in * c3r + 9 * c3r * c3 + c_in * c5r + 25 * c5r * c5 + c_in * pp
    return weights, c1 + c3r + c3 + c5r + c5 + pp


def googlenet_by_hand(num_classes=1000):
    total = (7 * 7 * 3 + 1) * 64 + (64 + 1) * 64 + (9 * 64 + 1) * 192  # conv1, conv2 reduce, conv2
    for c_in, *counts, _side in TABLE_1.values():
        weights, biases = module_weights(c_in, *counts)
        total += weights + biases
    return total + (1024 + 1) * num_classes


def aux_head_by_hand(channels, num_classes=1000):
    return (channels + 1) * 128 + (4 * 4 * 128 + 1) * 1024 + (1024 + 1) * num_classes


def small_inception_by_hand():
    """Zhang et al. 2017's small Inception: bias-free convolutions + batch norm (4 numbers per channel), dense 10."""
    def conv(k, c_in, c_out):
        return k * k * c_in * c_out + 4 * c_out

    total, c = conv(3, 3, 96), 96
    for kind, a, b in [("i", 32, 32), ("i", 32, 48), ("d", 80, 0), ("i", 112, 48), ("i", 96, 64), ("i", 80, 80),
                       ("i", 48, 96), ("d", 96, 0), ("i", 176, 160), ("i", 176, 160)]:
        if kind == "i":
            total, c = total + conv(1, c, a) + conv(3, c, b), a + b
        else:
            total, c = total + conv(3, c, a), c + a
    return total + (c + 1) * 10


def test_modules_3a_and_3b():
    for name, channels in (("3a", 256), ("3b", 480)):
        c_in, *counts, side = TABLE_1[name]
        x = keras.Input((side, side, c_in))
        model = keras.Model(x, inception.inception_module(x, *counts, name=name))
        weights, biases = module_weights(c_in, *counts)
        assert model.output_shape == (None, side, side, channels)
        assert model.count_params() == weights + biases
    assert googlenet_by_hand() == 6_998_552


def test_naive_module_passes_the_input_channels_on():
    x = keras.Input((28, 28, 192))
    model = keras.Model(x, inception.naive_inception_module(x, 64, 128, 32))
    assert model.output_shape == (None, 28, 28, 64 + 128 + 32 + 192)
    assert model.count_params() == 193 * 64 + (9 * 192 + 1) * 128 + (25 * 192 + 1) * 32


def test_googlenet_counts_beside_table_1():
    model = inception.googlenet()
    assert model.count_params() == googlenet_by_hand()
    assert model.output_shape == (None, 1000) and model.get_layer("inception_5b_output").output.shape == (None, 7, 7, 1024)
    costs = {c.name: c for c in inception.module_costs(model)}
    assert list(costs) == ["conv1", "conv2", *TABLE_1, "linear"]
    for name, (c_in, *counts, side) in TABLE_1.items():
        weights, biases = module_weights(c_in, *counts)
        assert costs[name].weights == weights and costs[name].params == weights + biases
        assert costs[name].macs == weights * side * side  # every weight of a module is used once per output position
    assert costs["conv1"].weights == 7 * 7 * 3 * 64 and costs["conv1"].macs == 7 * 7 * 3 * 64 * 112 * 112
    for name, ops in PAPER_OPS_M.items():
        assert abs(costs[name].macs / 1e6 - ops) <= 1, name
    # Table 1's params column reads K as 1,024: 3a's 159K is 163,328 / 1,024 = 159.5 (and 160 with K = 1,000 would be 163)
    assert int(costs["3a"].weights / 1024) == inception.PAPER_TABLE_1["3a"][0] == 159
    del model
    gc.collect()


def test_auxiliary_heads_and_the_inference_model_share_weights():
    train = inception.googlenet(aux_heads=True)
    assert train.output_names == ["softmax", "aux1_softmax", "aux2_softmax"]
    assert train.count_params() == googlenet_by_hand() + aux_head_by_hand(512) + aux_head_by_hand(528)
    assert train.get_layer("aux1_pool").output.shape == (None, 4, 4, 512)
    infer = inception.inference_model(train)
    assert infer.count_params() == googlenet_by_hand() and infer.output_shape == (None, 1000)
    train_ids = {id(v) for v in train.weights}
    assert all(id(v) in train_ids for v in infer.weights)
    x = np.random.default_rng(0).random((1, 224, 224, 3)).astype("float32")
    np.testing.assert_allclose(infer(x, training=False), train(x, training=False)[0], atol=1e-6)
    del train, infer
    gc.collect()


def test_full_profile_path_mixed_precision_trains_two_steps_on_cpu():
    """The `full` profile's model (GoogLeNet + both aux heads + batch norm, CIFAR-10 resized to 224 inside,
    mixed_float16) for 2 steps on a CPU; width 1/16 keeps it quick, everything else is the full-profile path."""
    import tensorflow as tf

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = inception.inception_for_profile("paper", width=1 / 16)
        assert model.get_layer("resize_224").output.shape == (None, 224, 224, 3)
        assert model.get_layer("conv1_7x7_s2").compute_dtype == "float16"
        assert model.get_layer("inception_5b_output").output.shape == (None, 7, 7, 24 + 24 + 8 + 8)
        inception.compile_with_aux_heads(model, keras.optimizers.Adam(1e-3))
        # eagerly: the same layers, dtypes and weighted losses, without the ~35 s that building GoogLeNet's
        # training graph takes on 2 cores (timed beside 2 s eagerly); the graph path is what the GPU check times
        model.run_eagerly = True
        rng = np.random.default_rng(0)
        ds = tf.data.Dataset.from_tensor_slices((rng.random((4, 32, 32, 3)).astype("float32"), np.array([0, 1, 2, 3])))
        history = model.fit(inception.with_aux_targets(ds.batch(2)), epochs=1, verbose=0, shuffle=False)
        assert np.isfinite(history.history["loss"][0])
        scores = model.evaluate(inception.with_aux_targets(ds.batch(4)), verbose=0, return_dict=True)
        main, aux1, aux2 = (scores[f"{head}_loss"] for head in ("softmax", "aux1_softmax", "aux2_softmax"))
        assert scores["loss"] == pytest.approx(main + 0.3 * (aux1 + aux2), rel=1e-3)
        out = inception.inference_model(model)(np.zeros((1, 32, 32, 3), "float32"), training=False)
        assert out.dtype == "float32" and abs(float(np.sum(out)) - 1.0) < 1e-3
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_factorizations_save_weights_and_keep_the_receptive_field():
    x = keras.Input((17, 17, 8))
    pair = trace(keras.Model(x, inception.factorized_conv(x, 8, [(1, 7), (7, 1)], "f")))
    assert pair.total_params == 2 * (7 * 8 + 1) * 8
    assert pair.row("f_1").rf_hw == (1, 7) and pair.row("f_2").rf_hw == (7, 7)
    two = trace(keras.Model(x, inception.factorized_conv(x, 8, [3, 3], "g")))
    assert two.total_params == 2 * (9 * 8 + 1) * 8 and two.row("g_2").rf_hw == (5, 5)


def test_grid_reductions():
    x = keras.Input((35, 35, 32))
    costs = {}
    for variant in ("parallel", "pool_then_conv", "conv_then_pool"):
        t = trace(keras.Model(x, inception.grid_reduction(x, 32, variant)))
        assert t.rows[-1].output_shape == (17, 17, 64)
        costs[variant] = (t.total_params, t.total_macs)
    assert costs["parallel"] == ((9 * 32 + 1) * 32, 9 * 32 * 32 * 17 * 17)
    assert costs["pool_then_conv"] == ((9 * 32 + 1) * 64, 9 * 32 * 64 * 17 * 17)
    assert costs["conv_then_pool"] == ((9 * 32 + 1) * 64, 9 * 32 * 64 * 35 * 35)
    with pytest.raises(ValueError, match="variant must be 'parallel'"):
        inception.grid_reduction(x, 32, "stride")


def test_inception_resnet_block():
    x = keras.Input((35, 35, 320))
    block = keras.Model(x, inception.inception_resnet_block(x))
    assert block.output_shape == (None, 35, 35, 320)
    assert block.count_params() == 3 * 321 * 32 + (9 * 32 + 1) * 32 + (9 * 32 + 1) * 48 + (9 * 48 + 1) * 64 + 129 * 320
    sample = np.random.default_rng(1).normal(size=(1, 35, 35, 320)).astype("float32")
    up = block.get_layer("block35_up")
    branches = keras.Model(x, block.get_layer("block35_mixed").output)(sample)
    expected = np.maximum(sample + 0.17 * keras.ops.convert_to_numpy(up(branches)), 0)
    np.testing.assert_allclose(block(sample), expected, atol=1e-4)
    up.set_weights([np.zeros_like(w) for w in up.get_weights()])
    np.testing.assert_allclose(block(sample), np.maximum(sample, 0), atol=1e-6)


def test_inception_v3_equals_keras_applications():
    ours, theirs = inception.inception_v3(), keras.applications.InceptionV3(weights=None)
    assert ours.count_params() == theirs.count_params() == 23_851_784
    assert sum(np.prod(w.shape) for w in ours.trainable_weights) == sum(np.prod(w.shape) for w in theirs.trainable_weights)
    for i in range(11):
        assert ours.get_layer(f"mixed{i}").output.shape == theirs.get_layer(f"mixed{i}").output.shape
    del ours, theirs
    gc.collect()


def test_mixed_blocks_beside_the_v3_papers_table_1():
    """The reference v3 (ours and Keras') keeps a 5 x 5 branch in mixed0-2 and has 4 modules at 17 x 17 (Table 1: 5)."""
    ours, theirs = inception.inception_v3(), keras.applications.InceptionV3(weights=None)
    blocks = inception.mixed_blocks(ours)
    assert blocks == inception.mixed_blocks(theirs)
    assert [b.name for b in blocks] == [f"mixed{i}" for i in range(11)]
    assert [b.name for b in blocks if b.reduces_grid] == ["mixed3", "mixed8"]
    assert all(b.kernels == ((1, 1), (3, 3), (5, 5)) for b in blocks[:3])
    assert all(b.kernels == ((1, 1), (1, 7), (7, 1)) for b in blocks[4:8])
    assert blocks[9].kernels == ((1, 1), (1, 3), (3, 1), (3, 3))
    modules = {side: sum(not b.reduces_grid and b.side_out == side for b in blocks) for side in (35, 17, 8)}
    assert modules == {35: 3, 17: 4, 8: 2}
    assert inception.V3_TABLE_1_MODULES == {35: 3, 17: 5, 8: 2}
    assert not any(isinstance(layer, keras.layers.Add) for layer in ours.layers)  # no residual connection in v3
    assert 5_700_000_000 < trace(ours, columns="cost").total_macs < 5_720_000_000  # against the paper's rounded 5e9
    assert inception.V3_PAPER_MACS == 5_000_000_000
    x = keras.Input((8, 8, 4))
    with pytest.raises(ValueError, match="no layers named mixed0"):
        inception.mixed_blocks(keras.Model(x, keras.layers.Conv2D(2, 1)(x)))
    del ours, theirs
    gc.collect()


def test_small_inception():
    model = inception.small_inception()
    assert model.count_params() == small_inception_by_hand() == 1_654_538
    assert model.get_layer("down1_output").output.shape == (None, 15, 15, 80 + 80)  # 3 x 3 stride 2 beside the pooling
    assert model.get_layer("down2_output").output.shape == (None, 7, 7, 240)


def test_builder_errors():
    with pytest.raises(ValueError, match="width must be positive"):
        inception.googlenet(width=0)
    with pytest.raises(ValueError, match="kind must be 'small'"):
        inception.inception_for_profile("large")
    with pytest.raises(ValueError, match="unknown Inception v3 block 'D'"):
        inception._v3_block(keras.Input((8, 8, 4)), "D", 0, "mixed")


# --- exercises ----------------------------------------------------------------------------------------------------


def test_exercise_reference_passes():
    ok, message = nb11.grade_inception_module(inception.inception_module)
    assert ok, message
    assert message.startswith("Exercise 11.5: correct: output shapes and parameter counts equal the reference's on 2 inputs")


def _learner_module(x, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    """A correct answer written differently: reductions created first, separate ReLU layers, keras.ops.concatenate."""
    from keras import layers

    r3, r5 = layers.Conv2D(c3_reduce, 1, activation="relu")(x), layers.Conv2D(c5_reduce, 1, activation="relu")(x)
    pooled = layers.MaxPooling2D((3, 3), strides=(1, 1), padding="same")(x)
    b1 = layers.ReLU()(layers.Conv2D(c1, (1, 1))(x))
    b3 = layers.Conv2D(c3, 3, padding="same", activation="relu")(r3)
    b5 = layers.Conv2D(c5, 5, padding="same", activation="relu")(r5)
    bp = layers.Conv2D(pool_proj, 1, activation="relu")(pooled)
    return keras.ops.concatenate([b1, b3, b5, bp], axis=3)


def test_exercise_accepts_another_correct_writing():
    assert nb11.grade_inception_module(_learner_module)[0]
    assert exercises.grade("11.5", _learner_module)[0]


@pytest.mark.parametrize("name", [f.__name__ for f in nb11.MODULE_MISTAKES])
def test_exercise_diagnoses_each_mistake(name):
    mistake = getattr(nb11, name)  # looked up now: tests/test_exercises.py may have reloaded the module
    ok, message = nb11.grade_inception_module(mistake)
    assert not ok
    assert message.startswith("Exercise 11.5: ") and nb11.MODULE_MISTAKES[mistake] in message
    assert message.endswith("(Stuck? `course_utils.solution('11.5')` shows a worked solution.)")


def test_exercise_stub_none_and_errors():
    def stub(x, *counts):
        raise NotImplementedError

    assert nb11.grade_inception_module(stub) == (False, "Exercise 11.5: not implemented yet: replace `raise "
                                                       "NotImplementedError` with your code and run the cell again.")
    assert nb11.grade_inception_module(lambda x, *c: None)[1] == ("Exercise 11.5: your function returned None: did "
                                                                  "you forget `return`?")
    ok, message = nb11.grade_inception_module(lambda x, *c: x.shape)
    assert not ok and "return the tensor the Concatenate layer gave you" in message
    ok, message = nb11.grade_inception_module(lambda x, *c: keras.layers.Conv2D(c[0], 3)(x, bad=1))
    assert not ok and message.startswith("Exercise 11.5: your function raised TypeError")


def test_exercise_answers_worked_by_hand():
    assert exercises.exercise("11.1").answer == 256 * 48 + 48 * 5 * 5 * 128 == 165_888
    assert exercises.exercise("11.2").answer == (192 + 208 + 48 + 480) + 160 + 224 + 64 == 1376  # naive 4a, then naive 4b
    assert exercises.exercise("11.3").answer == 2 * 5 * 160 * 160 == 256_000
    assert exercises.exercise("11.4").answer == aux_head_by_hand(528, 10) == 529 * 128 + 2049 * 1024 + 1025 * 10
    for key in ("11.1", "11.2", "11.3", "11.4"):
        exercise = exercises.exercise(key)
        assert exercises.grade(key, exercise.answer)[0]
        for wrong, text in exercise.mistakes.items():
            ok, message = exercises.grade(key, wrong)
            assert not ok and text in message, (key, wrong)
