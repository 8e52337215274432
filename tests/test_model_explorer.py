"""The model explorer's views on the course's own networks: receptive fields from the tracer, the unit's value
recomputed in NumPy equal to the model's, an output layer's softmax, each head of a multi-output model, each branch
of an Inception module, and clear errors."""

import keras
import numpy as np
import pytest

from course_utils import models
from course_utils.model_explorer import ModelExplorer, explore_model

RNG = np.random.default_rng(29)


@pytest.fixture(scope="module")
def lenet():
    keras.utils.set_random_seed(29)
    return ModelExplorer(models.lenet5_modern(), RNG.random((2, 32, 32, 1)).astype("float32"),
                         class_names=[f"digit {k}" for k in range(10)])


def test_every_conv_and_dense_unit_of_lenet_is_recomputed_equal_to_the_model(lenet):
    for layer in ("C1", "C3", "C5", "F6", "logits"):
        _, output = lenet.activations(1)[layer]
        for channel in range(0, output.shape[-1], 5):
            position = (output.shape[0] - 1, 0) if output.ndim == 3 else None
            view = lenet.unit(layer, image=1, position=position, channel=channel)
            assert view.agrees, (layer, channel, view.value, view.recomputed)
            assert view.arithmetic.endswith(f"-> {view.recomputed:.4f}")


def test_lenets_fields_are_the_textbook_ones(lenet):
    # C1: 5 x 5 under the unit; S2 doubles the jump; C3: 5 + 4 * 2 = 14 pixels from 2 * position
    assert lenet.unit("C1", position=(3, 7)).box == ((3, 7), (7, 11))
    assert lenet.unit("C3", position=(1, 2)).box == ((2, 15), (4, 17))
    view = lenet.unit("F6", channel=3)
    assert view.box is None and "whole image" in view.field_note


def test_the_output_layer_shows_the_softmax_that_the_model_outputs(lenet):
    view = lenet.unit("logits", image=0, channel=4)
    probabilities = lenet.model.predict(lenet.images[:1], verbose=0)[0]
    assert np.allclose(view.probabilities, probabilities, atol=1e-5) and view.probabilities.sum() == pytest.approx(1)
    assert view.logits.argmax() == probabilities.argmax()


def test_each_captcha_head_is_an_output_with_its_own_softmax():
    keras.utils.set_random_seed(29)
    model = models.captcha_for_profile("small")
    explorer = ModelExplorer(model, RNG.random((1, *model.input_shape[1:])).astype("float32"))
    heads = [layer.name for layer in model.layers if layer.output in model.outputs]
    assert len(heads) >= 4 and set(heads) <= set(explorer.layers)
    for head in heads:
        view = explorer.unit(head, channel=0)
        assert view.probabilities is not None and view.agrees


def test_an_inception_module_shows_its_four_branches_side_by_side():
    x = keras.Input((12, 12, 8))
    module = models.inception_module(x, 4, 2, 4, 2, 4, 4, name="m")
    explorer = ModelExplorer(keras.Model(x, module), RNG.random((1, 12, 12, 8)).astype("float32"))
    view = explorer.unit("m_output", position=(5, 5))
    sides = {name: box[0][1] - box[0][0] + 1 for name, box in view.branches}
    assert sorted(sides.values()) == [1, 3, 3, 5]  # 1x1; pool 3 then 1x1; 1x1 then 3x3; 1x1 then 5x5
    assert view.box == ((3, 7), (3, 7))  # the widest branch's


def test_bad_input_is_explained(lenet):
    with pytest.raises(ValueError, match=r"images\[None\]"):
        ModelExplorer(lenet.model, np.zeros((32, 32, 1)))
    with pytest.raises(KeyError, match="layers: C1, S2"):
        lenet.unit("C7")
    with pytest.raises(IndexError, match="outside 'C1'"):
        lenet.unit("C1", position=(28, 0))


def test_the_widget_follows_its_controls_and_times_itself(lenet):
    widget = explore_model(lenet.model, lenet.images, layer="C3", position=(2, 2), channel=5, show=False)
    assert widget.view.layer == "C3" and widget.view.position == (2, 2) and widget.view.channel == 5
    assert "equal to the model's value" in widget.text.value
    widget.controls["layer"].value = "F6"
    assert widget.controls["row"].disabled and widget.controls["channel"].max == 83 and widget.view.layer == "F6"
    widget.controls["layer"].value = "C1"
    widget.controls["row"].value = 27
    assert widget.view.box == ((27, 31), (0, 4)) and "rows 27-31" in widget.text.value  # F6 had set column 0
    assert 0 < widget.seconds < 60 and "updated in" in widget.text.value


def test_a_nested_models_own_layers_are_explored_under_the_tracers_names():
    keras.utils.set_random_seed(29)
    inner = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Conv2D(2, 3, name="c1"),
                              keras.layers.Conv2D(2, 3, activation="relu", name="c2")], name="inner")
    outer = keras.Sequential([keras.Input((16, 16, 1)), inner, keras.layers.Flatten(name="flat"),
                              keras.layers.Dense(3, name="out")], name="outer")
    explorer = ModelExplorer(outer, RNG.random((1, 16, 16, 1)).astype("float32"))
    assert explorer.layers[:3] == ["inner", "inner/c1", "inner/c2"]
    view = explorer.unit("inner/c2", position=(2, 3), channel=1)
    assert view.box == ((2, 6), (3, 7)) and view.agrees
    assert explorer.unit("inner", position=(2, 3), channel=1).value == pytest.approx(view.value)
    assert explorer.unit("out", channel=1).probabilities is not None  # the model's output: its softmax is shown
