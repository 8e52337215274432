"""The explorers' kernel side: moving a control updates the text, whatever ipywidgets the machine has.

pytest runs these with the pinned ipywidgets 8; `make test-colab` runs this file as a script in the Colab-like
environment, with Colab's ipywidgets 7.7.1 (no pytest there): ``python tests/test_widgets.py``. What the browser
draws is the browser suite's part (JupyterLab, ipywidgets 8).
"""

import numpy as np

from course_utils import widgets
from course_utils.arithmetic import conv_output_size


def test_the_padding_and_stride_explorer_follows_its_sliders():
    explorer = widgets.padding_stride_explorer(n=32, k=5, show=False)
    assert explorer.output_text.value == "output: 28 x 28"  # LeNet's C1: 32 - 5 + 1
    explorer.sliders["p"].value = 2
    assert explorer.output_text.value == "output: 32 x 32"  # 'same' for k = 5
    explorer.sliders["s"].value = 2
    assert explorer.output_text.value == f"output: {conv_output_size(32, 5, 2, 2)} x {conv_output_size(32, 5, 2, 2)}"
    assert "= 16" in explorer.formula_text.value
    explorer.sliders["k"].value, explorer.sliders["p"].value, explorer.sliders["n"].value = 11, 0, 5
    assert explorer.output_text.value == "output: none"  # a kernel larger than its input: the text says why


def test_the_pooling_explorer_follows_its_controls():
    explorer = widgets.pooling_explorer(np.zeros((128, 96)), show=False)
    assert explorer.output_text.value == "output: 64 x 48"
    explorer.sliders["pool"].value = 3  # overlapping 3/2: floor((128 - 3) / 2) + 1 = 63
    assert explorer.output_text.value == "output: 63 x 47"
    explorer.sliders["padding"].value = "same"  # ceil(128 / 2) = 64
    assert explorer.output_text.value == "output: 64 x 48" and "ceil(128 / 2) = 64" in explorer.formula_text.value


def test_the_convolution_explorer_moves_its_window_with_the_slider():
    box = widgets.convolution_explorer(show=False)
    (play, slider), panel = box.children[0].children, box.children[1]
    assert "position 0:" in panel.value
    # DEMO_IMAGE (5 x 5) and DEMO_KERNEL (3 x 3): 3 x 3 positions; the last sits at the bottom right
    assert slider.max == 8 and play.max == 8
    slider.value = 8
    assert "position 8:" in panel.value and panel.value == widgets.conv_step_html(widgets.DEMO_IMAGE, widgets.DEMO_KERNEL, 8)


def test_the_model_explorer_follows_its_layer_and_unit_controls():
    import keras

    from course_utils import model_explorer

    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, activation="relu", name="conv"),
                              keras.layers.Flatten(name="flat"), keras.layers.Dense(3, activation="softmax", name="out")])
    images = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
    explorer = model_explorer.explore_model(model, images, layer="conv", position=(1, 2), show=False)
    assert "rows 1-3, columns 2-4" in explorer.text.value and "equal to the model's value" in explorer.text.value
    explorer.controls["layer"].value = "out"
    assert explorer.view.probabilities is not None and "whole image" in explorer.text.value
    explorer.controls["channel"].value = 2
    assert explorer.view.channel == 2 and explorer.view.agrees


if __name__ == "__main__":  # the Colab-like stage: no pytest there
    import ipywidgets

    tests = [f for name, f in sorted(globals().items()) if name.startswith("test_")]
    for test in tests:
        test()
    print(f"widgets: {len(tests)} explorer checks passed with ipywidgets {ipywidgets.__version__}")
