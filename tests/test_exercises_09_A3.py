"""Exercises of notebooks 09-12 and the appendices changed for issue 25: 10.4 names a logarithm in the wrong base,
11.2 asks for the width of naive modules (checked against Keras' own naive module), and the notebooks' exercise
cells follow the one convention and cite the source articles by their handles."""

import re
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest

from course_utils import exercises
from course_utils.exercises import nb10_mini_vgg as nb10
from course_utils.models import inception

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MINE = ("09_vgg_captcha", "10_mini_vgg", "11_inception", "12_model_comparison", "A1_fast_training_on_a_cpu",
        "A2_input_pipelines_and_memory", "A3_batch_normalization", "A4_backpropagation")


@pytest.mark.parametrize("log, base", [(np.log10, "base-10"), (np.log2, "base-2")])
def test_10_4_a_logarithm_in_another_base_is_named(log, base, capsys):
    def learner(y_true, y_prob, smoothing):  # written apart from the reference, with the wrong logarithm
        k = y_true.shape[-1]
        return -np.sum((y_true * (1 - smoothing) + smoothing / k) * log(y_prob), axis=-1)

    nb10.check_smoothed_cross_entropy(learner)
    message = capsys.readouterr().out
    assert message.startswith("Exercise 10.4: not yet: ")
    assert f"that is the {base} logarithm" in message and "natural logarithm, np.log" in message


def _naive_width(c_in, module):
    x = keras.Input((14, 14, c_in))
    c1, _, c3, _, c5, _ = inception.GOOGLENET_MODULES[module]
    return keras.Model(x, inception.naive_inception_module(x, c1, c3, c5, name=f"naive_{module}")).output_shape[-1]


def test_11_2_naive_modules_widths_built_in_keras():
    width_4a = _naive_width(480, "4a")  # 3b outputs 480 channels, pooled before 4a
    width_4b = _naive_width(width_4a, "4b")
    assert (width_4a, width_4b) == (928, 1376)
    assert exercises.exercise("11.2").answer == width_4b
    assert exercises.grade("11.2", 1376)[0]
    for wrong, words in ((512, "real 4b"), (928, "naive 4a"), (448, "passes all"), (960, "only 4b naive")):
        ok, message = exercises.grade("11.2", wrong)
        assert not ok and words in message, (wrong, message)


def test_11_2_answer_is_not_printed_in_notebook_11():
    nb = nbformat.read(NOTEBOOKS / "11_inception.ipynb", as_version=4)
    answer = exercises.exercise("11.2").answer
    for cell in nb.cells:
        assert not re.search(rf"\b{answer}\b|\b{answer:,}\b", cell.source)


@pytest.mark.parametrize("name", MINE)
def test_exercise_cells_follow_the_one_convention(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for key in re.findall(r'course_utils\.check\("([0-9A-Z]\d\.\d+)", ', cell.source):
            n = key.split(".")[1]
            assert f'course_utils.check("{key}", answer_{n})' in cell.source, (name, key)
            assert re.search(rf"^answer_{n} = None  # {re.escape(key)}: \S", cell.source, re.M), (name, key)


@pytest.mark.parametrize("name", MINE)
def test_sources_are_cited_by_handle_not_as_seeds(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    assert not re.search(r"\bseed 00\d|\bthe seed's|\bthe seed (article|listing)|Krizhevsky 2011|\(Ioffe and Szegedy, 2015\)"
                         r"|Zhang et al\. \(2017", text, re.I)
    handles = [h for h in ("the VGG16-CAPTCHA tutorial", "the classic-models tutorial", "Sucky 2023")
               if h.lower() in text.lower()]
    for handle in handles:  # the first mention in prose links to the Sources section
        first = next(c.source for c in nb.cells if c.cell_type == "markdown" and handle.lower() in c.source.lower())
        assert re.search(rf"\[{re.escape(handle)}\]\(00_start_here\.ipynb#Sources\)", first, re.I), (name, handle)
