"""Notebook 09's pieces: seeded, cached CAPTCHAs from the captcha package; the VGG16-CAPTCHA tutorial's multi-head VGG; read_captcha;
the implement-it exercise 09.4. Expected values are the issue's figures, hand-worked counts or PIL's own results."""

import math
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from course_utils import captchas, data, models, profiles, training
from course_utils.exercises import nb09_vgg_captcha as nb09
from course_utils.models.vgg_captcha import HEADS

ROOT = Path(__file__).resolve().parents[1]
VGG16_FILTERS = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]  # VGG16's 13 convolutions


def _hand_count(width: float, fc_units: int, conv_bias: bool) -> int:
    """Parameters of the VGG16-CAPTCHA tutorial's network counted layer by layer: conv (+bias), BN (4 per channel), dense + BN, heads."""
    total, c_in = 0, 1
    for filters in VGG16_FILTERS:
        f = round(filters * width)
        total += 9 * c_in * f + (f if conv_bias else 0) + 4 * f
        c_in = f
    n_in = 2 * 5 * c_in  # five 'same' poolings: 60 x 160 -> 2 x 5
    for _ in range(2):
        total += n_in * fc_units + fc_units + 4 * fc_units
        n_in = fc_units
    return total + 4 * (n_in * 10 + 10)


# --- the model -------------------------------------------------------------------------------------------------------

def test_classroom_network_is_every_width_over_eight():
    assert _hand_count(1 / 8, 128, conv_bias=False) == 336_752  # the figure (dense 128) by hand
    assert models.vgg_captcha(width=1 / 8, fc_units=128).count_params() == 336_752
    assert models.captcha_for_profile("small").count_params() == _hand_count(1 / 8, 4096 // 8, conv_bias=False) == 847_472


def test_seed_widths_and_shapes():
    model = models.vgg_captcha()
    assert model.count_params() == _hand_count(1.0, 4096, conv_bias=False)
    assert model.count_params() + sum(VGG16_FILTERS) == _hand_count(1.0, 4096, conv_bias=True)  # the seed's own biases
    sides = [(60, 160), (30, 80), (15, 40), (8, 20), (4, 10), (2, 5)]  # 'same' pooling rounds 15 up to 8
    for block, (h, w) in enumerate(sides[1:], start=1):
        assert model.get_layer(f"block{block}_pool").output.shape[1:3] == (h, w)
    assert model.get_layer("block1_pool").output.shape[1:] == (30, 80, 64)  # not the seed's 64 x 80 x 30
    assert model.get_layer("flatten").output.shape[-1] == 5120
    assert model.output_names == list(HEADS)
    for name in HEADS:
        head = model.get_layer(name)
        assert head.units == 10 and head.activation.__name__ == "softmax"
    assert [model.get_layer(f"drop_fc{i}").rate for i in (1, 2)] == [0.4, 0.4]
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == VGG16_FILTERS
    assert all(c.kernel_size == (3, 3) and c.padding == "same" for c in convs)
    assert all(type(c.kernel_initializer).__name__ == "HeUniform" for c in convs)


def test_registered_and_profile_errors():
    info = models.model_info("vgg_captcha")
    assert info.notebook == "09_vgg_captcha" and info.input_shape == (60, 160, 1)
    with pytest.raises(ValueError, match="'small' .* or 'paper'"):
        models.captcha_for_profile("huge")
    with pytest.raises(ValueError, match="width must be positive"):
        models.vgg_captcha(width=0)


def test_full_profile_path_trains_a_couple_of_steps_on_cpu():
    """The full profile's network (the VGG16-CAPTCHA tutorial's widths, 52.7 million parameters): two training steps, then a reading."""
    P = profiles.params("09_vgg_captcha", "full")
    assert P.model == "paper"
    model = models.captcha_for_profile(P.model)
    assert model.get_layer("fc1").units == 4096
    x, y = captchas.generate_captchas(4, seed=3, workers=1)
    ds = data.make_dataset(x, {name: y[:, i] for i, name in enumerate(HEADS)}, batch_size=2)
    # eagerly: the same layers, heads and losses without building the training, test and predict graphs of a
    # 52.7-million-parameter network (most of this test's time); make gpu-check times the graph path on a GPU
    run = training.train_and_record(
        "full-path", model, ds, ds, epochs=1, optimizer=keras.optimizers.Adam(P.learning_rate),
        loss={name: "sparse_categorical_crossentropy" for name in HEADS}, record=False, verbose=0,
        monitor=training.mean_of(*(f"{n}_accuracy" for n in HEADS)),
        metrics={name: ["accuracy"] for name in HEADS}, compile_options={"run_eagerly": True})
    assert len(run.history["loss"]) == 1 and math.isfinite(run.history["loss"][0])
    assert set(run.head_accuracy) == set(HEADS)
    text = models.read_captcha(model, x[0])
    assert len(text) == 4 and text.isdigit()


# --- the data --------------------------------------------------------------------------------------------------------

def test_generation_is_seeded_and_independent_of_workers(monkeypatch):
    monkeypatch.setattr(captchas, "CAPTCHA_CHUNK", 3)  # 7 images: three chunks, so two workers split the work
    x1, y1 = captchas.generate_captchas(7, seed=4, workers=1)
    x2, y2 = captchas.generate_captchas(7, seed=4, workers=2)
    assert x1.shape == (7, 60, 160, 1) and x1.dtype == np.uint8 and y1.shape == (7, 4) and y1.dtype == np.uint8
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    x3, y3 = captchas.generate_captchas(4, seed=4, workers=1)  # a smaller set is the start of the same stream
    assert np.array_equal(x3, x1[:4]) and np.array_equal(y3, y1[:4])
    x4, _ = captchas.generate_captchas(4, seed=5, workers=1)
    assert not np.array_equal(x4, x3)
    assert y1.max() <= 9 and len({tuple(r) for r in y1}) > 1
    assert (x1 < 128).any() and (x1 > 200).any()  # dark strokes on a light background, not a blank


def test_captcha_image_is_the_package_drawing_seeded():
    a, b = captchas.captcha_image("2024", seed=1), captchas.captcha_image("2024", seed=1)
    assert a.size == (160, 60) and a.mode == "L" and np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(captchas.captcha_image("2024", seed=2)))
    with pytest.raises(ValueError, match="text is empty"):
        captchas.captcha_image("")


def test_cache_write_read_and_a_corrupt_file_is_regenerated(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x, y = captchas.captcha_set(3, seed=7, workers=1)
    path = tmp_path / "captcha" / "captcha-160x60-4chars-seed7-n3.npz"
    assert captchas.captcha_cache_file(3, 7) == path and path.is_file()
    assert "generated in" in capsys.readouterr().out
    x2, y2 = captchas.captcha_set(3, seed=7, workers=1)
    assert "read from the cache $COURSE_CACHE_DIR/captcha/captcha-160x60-4chars-seed7-n3.npz" in capsys.readouterr().out
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    path.write_bytes(b"not an npz file")  # e.g. a run killed while writing
    x3, _ = captchas.captcha_set(3, seed=7, workers=1)
    out = capsys.readouterr().out
    assert "are not usable: it cannot be read" in out and "generating them again" in out
    assert np.array_equal(x3, x) and np.load(path)["x"].shape == (3, 60, 160, 1)
    assert not list(path.parent.glob("*.partial.npz"))


def test_default_cache_is_outside_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert captchas.captcha_cache_dir() == tmp_path / "cnn-classics" / "captcha"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert captchas.captcha_cache_dir() == Path.home() / ".cache" / "cnn-classics" / "captcha"
    assert ROOT not in captchas.captcha_cache_dir().parents


def test_load_captcha_has_a_fixed_test_set_and_a_source():
    (xa, _), (ta, la) = captchas.load_captcha(2, 3, seed=1, cache=False, verbose=False)
    assert data.last_source("captcha") == "real file"
    (xb, _), (tb, lb) = captchas.load_captcha(2, 3, seed=2, cache=False, verbose=False)
    assert not np.array_equal(xa, xb) and np.array_equal(ta, tb) and np.array_equal(la, lb)
    loaded = captchas.load_captcha(2, 2, stand_in=True, verbose=False)
    assert loaded.source == "synthetic stand-in" and data.last_source("captcha") == "synthetic stand-in"
    with pytest.raises(ValueError, match="draws the held-out test set"):
        captchas.load_captcha(2, 2, seed=captchas.CAPTCHA_TEST_SEED)


# --- read_captcha ----------------------------------------------------------------------------------------------------

def _fixed_reader(digits=(2, 0, 2, 4)) -> keras.Model:
    """A model that reads `digits` whatever the image: zero weights, one-hot biases in its four heads."""
    image = keras.Input((60, 160, 1))
    flat = keras.layers.Flatten()(image)
    heads = [keras.layers.Dense(10, activation="softmax", name=name)(flat) for name in HEADS]
    model = keras.Model(image, heads)
    for name, d in zip(HEADS, digits):
        layer = model.get_layer(name)
        kernel, bias = layer.get_weights()
        bias[:] = 0
        bias[d] = 10
        layer.set_weights([np.zeros_like(kernel), bias])
    return model


def test_read_captcha_accepts_pil_path_and_arrays(tmp_path):
    model = _fixed_reader()
    pil = captchas.captcha_image("2024", seed=1)
    grey = np.asarray(pil)
    pil.save(tmp_path / "c.png")
    for image in (pil, tmp_path / "c.png", str(tmp_path / "c.png"), grey, grey[..., None], pil.convert("RGB")):
        assert models.read_captcha(model, image) == "2024"
    assert models.read_captcha(model, np.stack([grey[..., None]] * 3)) == ["2024"] * 3


def test_captcha_input_conversions_match_pil():
    pil = captchas.captcha_image("5938", seed=2)
    grey = np.asarray(pil)
    expected = grey[None, ..., None] / 255.0
    assert np.allclose(models.captcha_input(pil), expected)
    assert np.allclose(models.captcha_input(grey), expected) and models.captcha_input(grey).dtype == np.float32
    assert np.allclose(models.captcha_input(grey / 255.0), expected)  # floats in [0, 1] are kept
    colour = np.random.default_rng(0).integers(0, 256, (60, 160, 3), dtype=np.uint8)
    pil_grey = np.asarray(Image.fromarray(colour).convert("L")) / 255.0  # PIL's own conversion, rounded to uint8
    assert np.abs(models.captcha_input(colour)[0, ..., 0] - pil_grey).max() <= 1 / 255 + 1e-6
    rgba = np.concatenate([colour, np.zeros((60, 160, 1), np.uint8)], -1)  # alpha ignored
    assert np.array_equal(models.captcha_input(rgba), models.captcha_input(colour))


@pytest.mark.parametrize("image, message", [
    (Image.new("L", (200, 80)), "the image is 200 x 80 pixels; the model reads 160 x 60"),
    (np.zeros((160, 60), np.uint8), "of 60 x 160, got shape (160, 60, 1)"),
    (np.zeros((2, 30, 80, 1), np.uint8), "the images are 30 x 80 (height x width); the model reads 60 x 160"),
    (np.full((60, 160), 255.0), "float images must hold values in [0, 1], got 255 ... 255: divide 0-255 values by 255"),
    (np.zeros((60, 160, 2), np.uint8), "expected 1 (grey), 3 (RGB) or 4 (RGBA) channels, got 2"),
    (np.array([["a"]]), "expected a PIL image, a path or a numeric array"),
])
def test_captcha_input_errors_say_what_to_do(image, message):
    with pytest.raises(ValueError) as error:
        models.captcha_input(image)
    assert message in str(error.value)


# --- exercise 09.4 ---------------------------------------------------------------------------------------------------

def test_whole_accuracy_by_hand_and_against_evaluate_heads():
    labels = np.array([[1, 2, 3, 4], [1, 2, 3, 4], [0, 0, 0, 0]])
    readings = np.array([[1, 2, 3, 4], [1, 2, 3, 5], [0, 0, 0, 0]])  # the second CAPTCHA has one wrong character
    probs = [np.eye(10)[readings[:, i]] for i in range(4)]
    assert nb09.whole_accuracy(labels, probs) == pytest.approx(2 / 3)
    labels, probs = nb09.accuracy_inputs(np.random.default_rng(1))  # training.evaluate_heads: a separate counter
    heads = [keras.layers.Identity(name=n) for n in HEADS]
    stacked = keras.Input((4, 10))
    model = keras.Model(stacked, [h(stacked[:, i]) for i, h in enumerate(heads)])
    batch = [(np.stack(probs, axis=1).astype("float32"), labels)]
    assert training.evaluate_heads(model, batch).sequence == pytest.approx(nb09.whole_accuracy(labels, probs))


def test_reference_passes_and_each_slip_is_diagnosed():
    ok, message = nb09.grade_whole_accuracy(nb09.whole_accuracy)
    assert ok and message.startswith("Exercise 09.4: correct")
    for wrong, diagnosis in nb09.ACCURACY_MISTAKES.items():
        ok, message = nb09.grade_whole_accuracy(wrong)
        assert not ok and diagnosis in message, (wrong.__name__, message)


def test_stub_is_not_implemented_yet(capsys):
    def stub(labels, head_probs):
        raise NotImplementedError

    nb09.check_whole_accuracy(stub)
    assert "Exercise 09.4: not implemented yet" in capsys.readouterr().out


def test_the_captcha_package_itself_is_left_untouched():
    """The seeded stream goes into the course's private copy of captcha.image, never into the package's module."""
    import secrets

    import captcha.image

    captchas.generate_captchas(2, seed=1, workers=1)
    assert captcha.image.secrets is secrets
    assert captchas._image_module() is not captcha.image
