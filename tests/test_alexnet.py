"""Notebook 07 (AlexNet): parameter counts, shape trace, LRN against NumPy, augmentation, distribution."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import course_utils
from course_utils import augmentation, data, models, pipelines
from course_utils.layers import LocalResponseNormalization, lrn_numpy

# Run in a fresh process: logical devices can only be configured before TensorFlow initializes.
# One run on a single device, one under MirroredStrategy over two logical CPUs, same start weights.
MIRRORED_SCRIPT = r"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from course_utils.models import alexnet_small  # noqa: E402

rng = np.random.default_rng(0)
x = rng.random((32, 32, 32, 3), dtype=np.float32)
y = (np.arange(32) % 10).astype("int32")
ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)


def build():
    keras.utils.set_random_seed(0)
    model = alexnet_small(width=0.25, dropout=0.0)  # no dropout: both runs must compute the same thing
    model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
    return model


single = build()
start = single.get_weights()
single_losses = single.fit(ds, epochs=3, verbose=0, shuffle=False).history["loss"]
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = build()
    mirrored.set_weights(start)
mirrored_losses = mirrored.fit(ds, epochs=3, verbose=0, shuffle=False).history["loss"]
json.dump({"replicas": strategy.num_replicas_in_sync, "single": single_losses, "mirrored": mirrored_losses}, sys.stdout)
"""


def _side(model, name):
    return model.get_layer(name).output.shape[1]


def test_paper_parameter_counts():
    assert models.alexnet_paper().count_params() == 62_378_344
    assert models.alexnet_paper(groups=2).count_params() == 60_965_224
    assert course_utils.trace(models.alexnet_paper(groups=2)).total_params == 60_965_224
    with pytest.raises(ValueError, match="groups"):
        models.alexnet_paper(groups=3)


def test_paper_shape_trace_55_27_27_13_13_13_13_6():
    model = models.alexnet_paper()
    names = ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5"]
    assert [_side(model, n) for n in names] == [55, 27, 27, 13, 13, 13, 13, 6]
    assert course_utils.conv_output_size(224, k=11, s=4) == 54  # why the paper's "224" must be 227
    assert course_utils.conv_output_size(227, k=11, s=4) == 55


def test_classics_listing_and_small_model():
    seed = models.alexnet_classics_listing()
    assert [_side(seed, n) for n in ("conv1", "pool1", "pool2", "pool5")] == [54, 26, 12, 5]
    assert seed.count_params() == 46_787_978
    small = models.alexnet_small()
    assert small.output_shape == (None, 10)
    assert all(layer.name and not layer.name.startswith(("conv2d", "dense")) for layer in small.layers)
    assert models.alexnet_small(pool=(2, 2)).get_layer("pool5").output.shape[1] == 4


@settings(max_examples=25, deadline=None)
@given(
    channels=st.integers(1, 12),
    n=st.sampled_from([1, 3, 5, 7]),
    k=st.floats(0.5, 3.0),
    alpha=st.floats(1e-5, 1e-2),
    beta=st.floats(0.5, 1.0),
    scale=st.floats(0.1, 50.0),
)
def test_lrn_matches_numpy(channels, n, k, alpha, beta, scale):
    x = (np.random.default_rng(channels).normal(size=(2, 3, 4, channels)) * scale).astype("float32")
    layer = LocalResponseNormalization(k=k, n=n, alpha=alpha, beta=beta, name="lrn")
    expected = lrn_numpy(x, k=k, n=n, alpha=alpha, beta=beta)
    assert course_utils.rel_error(layer(x), expected) < 1e-5


def test_lrn_serializes_and_rejects_even_windows(tmp_path):
    layer = LocalResponseNormalization(name="lrn1")
    clone = LocalResponseNormalization.from_config(layer.get_config())
    assert (clone.k, clone.n, clone.alpha, clone.beta) == (2.0, 5, 1e-4, 0.75)
    model = models.alexnet_small(width=0.25)
    path = tmp_path / "small.keras"
    model.save(path)
    x = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="odd"):
        LocalResponseNormalization(n=4)


def test_ten_crops_are_the_papers_corner_and_centre_crops_with_flips():
    x = np.random.default_rng(0).random((3, 32, 32, 3), dtype=np.float32)
    views = augmentation.ten_crops(x, size=28)
    assert views.shape == (10, 3, 28, 28, 3)
    # hand-written windows of the image itself (no padding): 4 spare pixels per axis, centre offset 2
    expected = [x[:, :28, :28], x[:, :28, 4:], x[:, 4:, :28], x[:, 4:, 4:], x[:, 2:30, 2:30]]
    for i, window in enumerate(expected):
        np.testing.assert_array_equal(views[i], window)
        np.testing.assert_array_equal(views[5 + i], window[:, :, ::-1])  # its mirror image
    np.testing.assert_array_equal(augmentation.center_crop(x, 28), x[:, 2:30, 2:30])
    np.testing.assert_array_equal(augmentation.center_crop(x[:, :5, :6], 2), x[:, 1:3, 2:4])  # odd spare: extra after
    with pytest.raises(ValueError, match="does not fit"):
        augmentation.ten_crops(x, size=33)


def _windows_and_mirrors(image, size):
    """Every size x size window of one H x W x C image and its mirror image (a separate, brute-force count)."""
    h, w = image.shape[:2]
    out = []
    for r in range(h - size + 1):
        for c in range(w - size + 1):
            window = image[r : r + size, c : c + size]
            out += [window, window[:, ::-1]]
    return out


def test_random_crops_are_windows_of_the_image_or_their_mirrors():
    x = np.random.default_rng(1).random((6, 10, 9, 3), dtype=np.float32)
    crops = augmentation.random_crop_flip(x, pad=0, size=7).numpy()
    assert crops.shape == (6, 7, 7, 3)
    for image, crop in zip(x, crops):
        assert any(np.array_equal(crop, window) for window in _windows_and_mirrors(image, 7))
    assert len(_windows_and_mirrors(x[0, :9, :9], 7)) == augmentation.crops_per_image(9, 7) == 3 * 3 * 2
    assert augmentation.crops_per_image(256, 224) == 33 * 33 * 2  # the paper's factor, counted exactly
    padded = augmentation.random_crop_flip(x, pad=2).numpy()  # the CIFAR recipe: mirror-pad, crop back
    assert padded.shape == x.shape
    with pytest.raises(ValueError, match="does not fit"):
        augmentation.random_crop_flip(x, pad=0, size=11)


def test_pca_colour_basis_and_shift():
    x = np.random.default_rng(0).random((3, 32, 32, 3), dtype=np.float32)
    values, vectors = augmentation.pca_colour_basis(x)
    np.testing.assert_allclose(vectors @ np.diag(values) @ vectors.T, np.cov(x.reshape(-1, 3), rowvar=False), atol=1e-10)
    np.testing.assert_array_equal(augmentation.pca_colour_shift(x, values, vectors, sigma=0.0), x)


def test_ten_crop_predict_averages_the_ten_views():
    x = np.random.default_rng(2).random((4, 32, 32, 3), dtype=np.float32)
    model = models.alexnet_small(input_shape=(28, 28, 3), width=0.25)
    views = augmentation.ten_crops(x, 28)
    by_hand = np.mean([model.predict(v, verbose=0) for v in views], axis=0)
    np.testing.assert_allclose(augmentation.ten_crop_predict(model, x, 28), by_hand, atol=1e-6)


def _lrn_by_padding(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    """A learner's correct LRN written differently from lrn_numpy: zero-pad the channels, add shifted squares."""
    squares = np.pad(np.asarray(a, np.float64) ** 2, [(0, 0)] * 3 + [(n // 2, n // 2)])
    channels = a.shape[-1]
    total = sum(squares[..., j : j + channels] for j in range(n))
    return a / (k + alpha * total) ** beta


def test_lrn_exercise_passes_correct_code_and_names_each_slip(monkeypatch):
    import contextlib

    from course_utils import checks
    from course_utils.exercises import nb07_alexnet as nb07

    ok, message = nb07.grade_lrn(_lrn_by_padding)
    assert ok, message
    assert message.startswith("Exercise 07.5: correct: max |diff| = ") and "against Keras" in message
    # the library's mistakes are built on the reference, which a learner's function may not call: let them
    monkeypatch.setattr(checks, "RefuseReference", lambda *fns: contextlib.nullcontext())
    for text, wrong in nb07.LRN_MISTAKES:
        ok, message = nb07.grade_lrn(wrong)
        assert not ok and "should be below 1e-06 (first at output index" in message and f"): {text}." in message, text
    def stub(a):
        raise NotImplementedError

    assert "not implemented yet" in nb07.grade_lrn(stub)[1]


def test_pipelines_give_the_same_224_batches():
    x = np.random.default_rng(0).integers(0, 255, (8, 32, 32, 3), dtype=np.uint8)
    y = np.arange(8).reshape(-1, 1)
    gen_images, _ = next(pipelines.generator_batches(x, y, batch_size=4, size=64))
    tfdata_images, _ = next(iter(data.make_dataset(x, y, batch_size=4, image_size=64)))
    in_model = pipelines.resize_in_model(64)(next(iter(data.make_dataset(x, y, batch_size=4)))[0])
    np.testing.assert_allclose(np.asarray(gen_images), tfdata_images.numpy(), atol=1e-5)
    np.testing.assert_allclose(in_model.numpy(), tfdata_images.numpy(), atol=1e-5)


def test_mirrored_strategy_on_two_logical_cpus_matches_one_device():
    env = {**os.environ, "COURSE_PROFILE": "smoke", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    losses = json.loads(result.stdout.strip().splitlines()[-1])
    assert losses["replicas"] == 2
    np.testing.assert_allclose(losses["mirrored"], losses["single"], rtol=1e-4)


def test_full_profile_path_runs_on_cpu_with_mixed_precision():
    """The `full` profile's code path (paper network, 227 inputs, mixed_float16): one step of one image, then a
    prediction (float16 arithmetic is emulated on a CPU, so each image costs seconds; one is enough for the path)."""
    P = course_utils.params("07_alexnet", "full")
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        strategy = course_utils.quiet.import_tensorflow_quietly().distribute.get_strategy()
        with strategy.scope():
            model = models.alexnet_for_profile(P.model, num_classes=10)
            model.compile(keras.optimizers.Adam(P.learning_rate), "sparse_categorical_crossentropy", metrics=["accuracy"])
        assert model.get_layer("conv1").compute_dtype == "float16"
        assert model.get_layer("softmax").compute_dtype == "float32"
        assert model.get_layer("resize_227").output.shape[1:] == (227, 227, 3)
        x = np.random.default_rng(0).integers(0, 255, (1, 32, 32, 3), dtype=np.uint8)
        ds = data.make_dataset(x, np.arange(1).reshape(-1, 1), batch_size=1)
        history = model.fit(ds, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False).history
        assert np.isfinite(history["loss"][0])
        assert model.predict(ds, verbose=0).dtype == np.float32
    finally:
        keras.mixed_precision.set_global_policy("float32")
