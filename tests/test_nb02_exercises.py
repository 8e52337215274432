"""Notebook 02's "implement it" exercise (02.5, a convolution layer's forward pass) and its checker:
the reference and the worked solution pass, every diagnosed mistake gets its own diagnosis, a wrong output
size is reported, and the committed notebook shows the checker's message on the stub."""

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from course_utils import checks, exercises, scratch
from course_utils.exercises import nb02_convolution as ex02

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"keras_fn": ex02.keras_conv2d, "diagnoses": ex02.CONV2D_MISTAKES}


def _grade(fn):
    return checks.grade_function("02.5", fn, scratch.conv2d, ex02.conv2d_inputs, **SETTINGS)


def _einsum_conv(x, kernel, bias):
    """A correct answer written independently of scratch.conv2d: all windows at once, then one einsum."""
    windows = sliding_window_view(x, kernel.shape[:2], axis=(1, 2))  # (N, H', W', C_in, kh, kw)
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel) + bias


def test_the_reference_and_an_independent_answer_pass_against_keras():
    for fn in (scratch.conv2d, _einsum_conv):
        ok, message = _grade(fn)
        assert ok, message
        assert "over 3 random inputs (tolerance 1e-06); against Keras" in message


def test_the_worked_solution_passes():
    text = exercises.exercise("02.5").solution
    code = text[text.index("def conv2d_forward"):text.index("return out") + len("return out")]
    namespace = {"np": np}
    exec(code, namespace)
    ok, message = _grade(namespace["conv2d_forward"])
    assert ok, message


def _flipped(x, kernel, bias):  # the textbook convolution
    return _einsum_conv(x, kernel[::-1, ::-1], bias)


def _no_bias(x, kernel, bias):
    return _einsum_conv(x, kernel, 0 * bias)


def _bias_in_the_channel_loop(x, kernel, bias):
    return sum(_einsum_conv(x[..., c:c + 1], kernel[:, :, c:c + 1], bias) for c in range(x.shape[-1]))


def _first_channel(x, kernel, bias):
    return _einsum_conv(x[..., :1], kernel[:, :, :1], bias)


def _mean_over_channels(x, kernel, bias):
    return sum(_einsum_conv(x[..., c:c + 1], kernel[:, :, c:c + 1], 0 * bias) for c in range(x.shape[-1])) / x.shape[-1] + bias


def _transposed_kernel(x, kernel, bias):
    return _einsum_conv(x, kernel.transpose(1, 0, 2, 3), bias)


def _loops_one_short(x, kernel, bias):
    """The learner's loop ``for i in range(h - kh)`` in an output of the right size, filled with zeros."""
    full = _einsum_conv(x, kernel, bias)
    out = np.zeros_like(full)
    out[:, :-1, :-1] = full[:, :-1, :-1]
    return out


# Mistakes written by hand (not with the diagnoses' own functions), and the words their diagnosis must use.
MISTAKES = [
    (_flipped, "flipped"),
    (_no_bias, "bias is missing"),
    (_bias_in_the_channel_loop, "once per input channel"),
    (_first_channel, "only the first input channel"),
    (_mean_over_channels, "averaged"),
    (_transposed_kernel, "rows and columns are swapped"),
    (_loops_one_short, "off-by-one"),
]


@pytest.mark.parametrize("mistake, words", MISTAKES, ids=[m.__name__ for m, _ in MISTAKES])
def test_each_typical_mistake_is_diagnosed(mistake, words):
    ok, message = _grade(mistake)
    assert not ok
    assert message.startswith("Exercise 02.5: not yet: max |diff| = ") and "should be below 1e-06" in message
    assert words in message
    diagnoses = [text for text, _ in ex02.CONV2D_MISTAKES if text in message]
    assert len(diagnoses) == 1, diagnoses
    assert message.endswith("(Stuck? `course_utils.solution('02.5')` shows a worked solution.)")


def test_every_diagnosis_is_exercised_by_a_hand_written_mistake():
    found = {text for mistake, _ in MISTAKES for text, _ in ex02.CONV2D_MISTAKES if text in _grade(mistake)[1]}
    assert found == {text for text, _ in ex02.CONV2D_MISTAKES}


def test_an_output_one_row_and_column_short_is_reported_by_its_shape():
    def one_short(x, kernel, bias):
        return _einsum_conv(x, kernel, bias)[:, :-1, :-1]

    ok, message = _grade(one_short)
    x, kernel, _ = ex02.conv2d_inputs(np.random.default_rng(0))  # the first trial's inputs
    n, h, w, _ = x.shape
    kh, kw, _, c_out = kernel.shape
    assert not ok
    assert f"the output has shape {(n, h - kh, w - kw, c_out)}, should be {(n, h - kh + 1, w - kw + 1, c_out)}" in message


def test_the_stub_is_not_implemented_yet_and_the_inputs_are_never_square():
    def stub(x, kernel, bias):
        raise NotImplementedError

    assert _grade(stub) == (False, "Exercise 02.5: not implemented yet: replace `raise NotImplementedError` "
                                   "with your code and run the cell again.")
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, kernel, bias = ex02.conv2d_inputs(rng)
        assert x.shape[1] != x.shape[2] and x.shape[3] == kernel.shape[2] >= 2 and bias.shape == kernel.shape[3:]


def test_check_accepts_a_function_for_02_5():
    assert exercises.grade("02.5", _einsum_conv)[0]
    ok, message = exercises.grade("02.5", _flipped)
    assert not ok and "not yet" in message
    ok, message = exercises.grade("02.5", 42)
    assert not ok and "should be a function" in message


def test_the_committed_notebook_runs_the_checker_on_the_stub():
    cells = json.loads((ROOT / "notebooks" / "02_convolution.ipynb").read_text())["cells"]
    stub = [c for c in cells if c["cell_type"] == "code" and "def conv2d_forward" in "".join(c["source"])]
    assert len(stub) == 1
    source = "".join(stub[0]["source"])
    assert "raise NotImplementedError" in source and 'check_function("02.5", conv2d_forward' in source
    printed = "".join("".join(o.get("text", "")) for o in stub[0]["outputs"])
    assert printed.startswith("Exercise 02.5: not implemented yet")
    assert not any(o["output_type"] == "error" for o in stub[0]["outputs"])
