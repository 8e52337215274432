"""Grad-CAM and feature-map probes on models whose answer is known by hand, and the traps they avoid:
nested and never-called models ("Graph disconnected", "never been called"), saturated softmax."""

import keras
import numpy as np
import pytest

from course_utils import explain
from course_utils.explain import class_scores, feature_maps, grad_cam, last_conv_layer, layer_chain

SIDE = 8


def _two_squares() -> np.ndarray:
    """An 8 x 8 image: a bright square in channel 0 on the left half, one in channel 1 on the right half."""
    image = np.zeros((SIDE, SIDE, 2), "float32")
    image[2:6, 1:3, 0] = 1.0
    image[2:6, 5:7, 1] = 1.0
    return image


def _left_right_model(scale: float = 1.0) -> keras.Model:
    """Class 1's logit = sum of feature channel 0 over the left half; class 0's = channel 1 over the right half.

    "features" copies the input (a 1 x 1 identity convolution), a Dense on the flattened maps reads
    the halves with fixed weights; ``scale`` multiplies the logits (a large one saturates the softmax).
    """
    model = keras.Sequential([
        keras.Input((SIDE, SIDE, 2)),
        keras.layers.Conv2D(2, 1, use_bias=False, name="features"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(2, name="logits"),
        keras.layers.Activation("softmax", name="softmax"),
    ])
    model.get_layer("features").set_weights([np.eye(2, dtype="float32").reshape(1, 1, 2, 2)])
    reads = np.zeros((SIDE, SIDE, 2, 2), "float32")  # (row, column, channel, class)
    reads[:, : SIDE // 2, 0, 1] = scale
    reads[:, SIDE // 2:, 1, 0] = scale
    model.get_layer("logits").set_weights([reads.reshape(-1, 2), np.zeros(2, "float32")])
    return model


def test_grad_cam_lights_up_the_half_that_makes_the_class():
    model, image = _left_right_model(), _two_squares()
    class_1, class_0 = grad_cam(model, image, class_index=1, layer="features")[0], grad_cam(model, image, 0, "features")[0]
    # Grad-CAM weighs whole channels by their mean gradient: class 1 reads channel 0, active only on the left
    assert np.array_equal(class_1, image[..., 0]) and np.array_equal(class_0, image[..., 1])
    assert class_1[:, SIDE // 2:].max() == 0 and class_1[:, : SIDE // 2].max() == 1


def test_grad_cam_equals_cam_for_global_average_pooling():
    """With GAP then Dense, Grad-CAM's channel weights are W[:, c] / (h*w): the map is ReLU(A @ W[:, c]), scaled."""
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((6, 5, 3)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="features"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, name="logits"),
        keras.layers.Activation("softmax"),
    ])
    x = rng.normal(size=(2, 6, 5, 3)).astype("float32")
    kernel, bias = model.get_layer("features").get_weights()
    w = model.get_layer("logits").get_weights()[0]
    # the features written out in NumPy: a 3 x 3 'same' correlation, then ReLU
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    maps = np.zeros((2, 6, 5, 4))
    for i in range(6):
        for j in range(5):
            maps[:, i, j] = np.einsum("nhwc,hwck->nk", padded[:, i:i + 3, j:j + 3], kernel) + bias
    maps = np.maximum(maps, 0)
    np.testing.assert_allclose(feature_maps(model, x, ["features"])["features"], maps, atol=1e-5)
    for c in range(3):
        cam = np.maximum(maps @ w[:, c], 0)
        peak = cam.max(axis=(1, 2), keepdims=True)
        expected = np.where(peak > 0, cam / np.where(peak > 0, peak, 1), 0)
        np.testing.assert_allclose(grad_cam(model, x, class_index=c, layer="features"), expected, atol=1e-5)


def test_logits_not_probabilities_when_the_softmax_saturates():
    model, image = _left_right_model(scale=100.0), _two_squares()
    image[..., 1] = 0  # class 0's square gone: logits 0 against 800
    probabilities = model(image[None]).numpy()[0]
    assert probabilities[1] == 1.0  # 800 against 0: saturated in float32
    assert np.array_equal(grad_cam(model, image, 1, "features")[0], image[..., 0])
    assert grad_cam(model, image, 1, "features", score="probability").max() == 0.0  # the gradient vanished


def test_default_class_is_the_prediction_and_one_class_per_image():
    model = _left_right_model()
    left_only = _two_squares()
    left_only[..., 1] = 0  # nothing on the right: class 1 wins
    right_only = _two_squares()
    right_only[..., 0] = 0
    batch = np.stack([left_only, right_only])
    assert class_scores(model, batch).argmax(axis=1).tolist() == [1, 0]
    cams = grad_cam(model, batch, layer="features")
    assert np.array_equal(cams[0], left_only[..., 0]) and np.array_equal(cams[1], right_only[..., 1])
    np.testing.assert_array_equal(grad_cam(model, batch, [1, 0], "features"), cams)


def test_class_scores_are_the_logits_of_a_dense_softmax_and_the_model_is_unchanged():
    rng = np.random.default_rng(1)
    inputs = keras.Input((4, 4, 1))
    hidden = keras.layers.Conv2D(2, 3, name="conv")(inputs)
    outputs = keras.layers.Dense(3, activation="softmax", name="predictions")(keras.layers.Flatten()(hidden))
    model = keras.Model(inputs, outputs)  # like keras.applications: the softmax inside the last Dense
    x = rng.normal(size=(2, 4, 4, 1)).astype("float32")
    flat = keras.ops.convert_to_numpy(keras.Model(inputs, model.layers[-2].output)(x))
    kernel, bias = model.get_layer("predictions").get_weights()
    np.testing.assert_allclose(class_scores(model, x), flat @ kernel + bias, atol=1e-5)
    np.testing.assert_allclose(np.sum(model(x), axis=1), 1.0, atol=1e-5)  # the softmax is back in place


def _base() -> keras.Model:
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="features")(inputs)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="more")(x)
    return keras.Model(inputs, x, name="base")


def test_nested_model_gives_the_flat_models_answer_where_the_usual_recipe_fails():
    base = _base()
    head = [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3), keras.layers.Activation("softmax")]
    nested = keras.Sequential([keras.Input((8, 8, 3)), base, *head])
    flat = keras.Sequential([keras.Input((8, 8, 3)), *base.layers[1:], *head])  # the same layer objects
    x = np.random.default_rng(2).random((2, 8, 8, 3)).astype("float32")
    with pytest.raises(ValueError):
        nested.get_layer("features")  # the usual recipe's first step already fails
    with pytest.raises(ValueError, match="(?i)graph disconnected|not connected"):
        keras.Model(nested.inputs, [base.get_layer("features").output, nested.outputs[0]])
    np.testing.assert_allclose(grad_cam(nested, x, 2, "features"), grad_cam(flat, x, 2, "features"), atol=1e-6)
    np.testing.assert_allclose(feature_maps(nested, x, ["more"])["more"], feature_maps(flat, x, ["more"])["more"])
    assert last_conv_layer(nested) == "more"


def test_a_sequential_model_never_called_works_and_frozen_weights_too():
    model = keras.Sequential([
        keras.layers.Conv2D(3, 3, activation="relu", name="features"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2),
    ])
    with pytest.raises(AttributeError, match="no defined inputs|never been called"):
        keras.Model(model.inputs, model.output)  # the usual recipe: no graph to cut a sub-model from
    x = np.random.default_rng(3).random((1, 6, 6, 1)).astype("float32")
    cam = grad_cam(model, x, 0, "features")
    maps = feature_maps(model, x, ["features"])["features"]
    expected = np.maximum(maps @ model.layers[-1].get_weights()[0][:, 0], 0)
    expected = expected / expected.max() if expected.max() > 0 else expected
    np.testing.assert_allclose(cam, expected, atol=1e-5)
    model.trainable = False
    np.testing.assert_allclose(grad_cam(model, x, 0, "features"), cam, atol=1e-6)


def test_branching_functional_model():
    inputs = keras.Input((6, 6, 2))
    a = keras.layers.Conv2D(2, 1, use_bias=False, name="a")(inputs)
    b = keras.layers.Conv2D(2, 3, padding="same", name="b")(inputs)
    merged = keras.layers.Concatenate()([a, b])
    logits = keras.layers.Dense(2, name="logits")(keras.layers.GlobalAveragePooling2D()(merged))
    model = keras.Model(inputs, keras.layers.Activation("softmax")(logits))
    assert layer_chain(model) is None
    x = np.random.default_rng(4).random((1, 6, 6, 2)).astype("float32")
    maps = feature_maps(model, x, ["a"])["a"]
    w = model.get_layer("logits").get_weights()[0][:2, 1]  # the weights of branch a's two channels for class 1
    expected = np.maximum(maps @ w, 0)
    expected = expected / expected.max() if expected.max() > 0 else expected
    np.testing.assert_allclose(grad_cam(model, x, 1, "a"), expected, atol=1e-5)


def test_errors_say_what_to_do():
    model = _left_right_model()
    with pytest.raises(ValueError, match=r"no layer named \['nope'\]"):
        feature_maps(model, _two_squares(), ["nope"])
    with pytest.raises(ValueError, match="N x H x W x C outputs"):
        grad_cam(model, _two_squares(), 1, layer="flatten")
    with pytest.raises(ValueError, match="score must be 'logit'"):
        grad_cam(model, _two_squares(), score="softmax")
    dense_only = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no Conv2D layer"):
        last_conv_layer(dense_only)


def test_upsample_and_overlay():
    cam = np.zeros((1, 2, 2), "float32")
    cam[0, 0, 0] = 1.0
    big = explain.upsample(cam, (8, 8))
    assert big.shape == (1, 8, 8) and big[0, 0, 0] > big[0, 7, 7]
    picture = explain.overlay(np.full((8, 8, 3), 255, np.uint8), cam[0])
    assert picture.shape == (8, 8, 3) and 0 <= picture.min() and picture.max() <= 1
