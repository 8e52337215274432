"""Notebook 02's "implement it" exercise (02.5, a convolution layer's forward pass with a stride) and its
checker: the reference and the worked solution pass, every diagnosed mistake gets its own diagnosis (a
kh/kw swap included, which square kernels cannot reveal), a wrong output size is reported, and the
committed notebook shows the checker's message on the stub."""

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from course_utils import exercises, scratch
from course_utils.exercises import nb02_convolution as ex02

ROOT = Path(__file__).resolve().parents[1]
STUCK = "(Stuck? `course_utils.solution('02.5')` shows a worked solution.)"


def _grade(fn, **options):
    return ex02.grade_conv2d(fn, **options)


def _einsum_conv(x, kernel, bias, stride=1):
    """A correct answer written independently of scratch.conv2d: all windows at once, every stride-th, one einsum."""
    windows = sliding_window_view(x, kernel.shape[:2], axis=(1, 2))[:, ::stride, ::stride]  # (N, H', W', C_in, kh, kw)
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel) + bias


def _loop_conv_swapped(x, kernel, bias, stride=1):
    """The learner's loop version with `kw, kh = ...`: right whenever the kernel is square."""
    n, h, w, _ = x.shape
    kw, kh, _, c_out = kernel.shape  # the slip: the first axis is kh
    out = np.zeros((n, (h - kh) // stride + 1, (w - kw) // stride + 1, c_out))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            window = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(window, kernel, axes=([1, 2, 3], [0, 1, 2])) + bias
    return out


def _output_size_swapped(x, kernel, bias, stride=1):
    """kh and kw swapped in the output size only (windows cut with the right sizes): a wrong shape, no crash."""
    kh, kw = kernel.shape[:2]
    full = _einsum_conv(np.pad(x, ((0, 0), (0, max(0, kw - kh)), (0, max(0, kh - kw)), (0, 0))), kernel, bias, stride)
    return full[:, :(x.shape[1] - kw) // stride + 1, :(x.shape[2] - kh) // stride + 1]


def test_the_reference_and_an_independent_answer_pass_against_keras():
    for fn in (scratch.conv2d, _einsum_conv):
        ok, message = _grade(fn)
        assert ok, message
        assert f"over {len(ex02.CONV2D_CASES)} random inputs (tolerance 1e-06); against Keras" in message


def test_the_trials_cover_non_square_kernels_channels_and_strides():
    make, rng = ex02.conv2d_cases(), np.random.default_rng(2)
    trials = [make(rng) for _ in ex02.CONV2D_CASES]
    kernels = [kernel.shape for _, kernel, _, _ in trials]
    assert all(kh != kw for kh, kw, _, _ in kernels)
    assert {kh > kw for kh, kw, _, _ in kernels} == {True, False}  # taller and wider kernels
    assert (7, 5) in {k[:2] for k in kernels}  # the kernel of exercise 02.3
    assert len({k[2] for k in kernels}) >= 3 and 1 in {k[2] for k in kernels}  # channel counts, one channel too
    assert {stride for *_, stride in trials} == {1, 2}
    assert all(x.shape[1] != x.shape[2] for x, *_ in trials)


def test_the_worked_solution_passes():
    text = exercises.exercise("02.5").solution
    code = text[text.index("def conv2d_forward"):text.index("return out") + len("return out")]
    namespace = {"np": np}
    exec(code, namespace)
    ok, message = _grade(namespace["conv2d_forward"])
    assert ok, message


@pytest.mark.parametrize("swapped", [_loop_conv_swapped, _output_size_swapped])
def test_kh_and_kw_swapped_fails_with_its_own_diagnosis(swapped):
    square = ex02._squared(ex02.CONV2D_CASES)
    assert _grade(swapped, cases=square, keras=False)[0]  # square kernels cannot tell: the old checker's blind spot
    ok, message = _grade(swapped)
    assert not ok
    assert message.startswith(f"Exercise 02.5: not yet: {ex02.KH_KW_SWAPPED}. With inputs shape ")
    assert message.endswith(STUCK)


def test_the_kh_kw_diagnosis_is_not_given_to_other_mistakes():
    ok, message = _grade(lambda x, kernel, bias, stride=1: 2 * _einsum_conv(x, kernel, bias, stride))
    assert not ok and ex02.KH_KW_SWAPPED not in message


def _flipped(x, kernel, bias, stride=1):  # the textbook convolution
    return _einsum_conv(x, kernel[::-1, ::-1], bias, stride)


def _no_bias(x, kernel, bias, stride=1):
    return _einsum_conv(x, kernel, 0 * bias, stride)


def _bias_in_the_channel_loop(x, kernel, bias, stride=1):
    return sum(_einsum_conv(x[..., c:c + 1], kernel[:, :, c:c + 1], bias, stride) for c in range(x.shape[-1]))


def _first_channel(x, kernel, bias, stride=1):
    return _einsum_conv(x[..., :1], kernel[:, :, :1], bias, stride)


def _mean_over_channels(x, kernel, bias, stride=1):
    return sum(_einsum_conv(x[..., c:c + 1], kernel[:, :, c:c + 1], 0 * bias, stride)
               for c in range(x.shape[-1])) / x.shape[-1] + bias


def _transposed_kernel(x, kernel, bias, stride=1):
    return _einsum_conv(x, kernel.transpose(1, 0, 2, 3), bias, stride)


def _loops_one_short(x, kernel, bias, stride=1):
    """The learner's loop ``for i in range(h_out - 1)`` in an output of the right size, filled with zeros."""
    full = _einsum_conv(x, kernel, bias, stride)
    out = np.zeros_like(full)
    out[:, :-1, :-1] = full[:, :-1, :-1]
    return out


def _stride_ignored(x, kernel, bias, stride=1):
    return _einsum_conv(x, kernel, bias)


def _windows_not_strided(x, kernel, bias, stride=1):
    h_out, w_out = _einsum_conv(x, kernel, bias, stride).shape[1:3]
    return _einsum_conv(x, kernel, bias)[:, :h_out, :w_out]


# Mistakes written by hand (not with the diagnoses' own functions), and the words their diagnosis must use.
MISTAKES = [
    (_flipped, "flipped"),
    (_no_bias, "bias is missing"),
    (_bias_in_the_channel_loop, "once per input channel"),
    (_first_channel, "only the first input channel"),
    (_mean_over_channels, "averaged"),
    (_transposed_kernel, "rows and columns are swapped"),
    (_loops_one_short, "off-by-one"),
    (_stride_ignored, "stride is ignored"),
    (_windows_not_strided, "windows are not strided"),
]


@pytest.mark.parametrize("mistake, words", MISTAKES, ids=[m.__name__ for m, _ in MISTAKES])
def test_each_typical_mistake_is_diagnosed(mistake, words):
    ok, message = _grade(mistake)
    assert not ok
    assert message.startswith("Exercise 02.5: not yet: ")
    assert words in message
    diagnoses = [text for text, _ in ex02.CONV2D_MISTAKES if text in message]
    assert len(diagnoses) == 1, diagnoses
    assert message.endswith(STUCK)


def test_every_diagnosis_is_exercised_by_a_hand_written_mistake():
    found = {text for mistake, _ in MISTAKES for text, _ in ex02.CONV2D_MISTAKES if text in _grade(mistake)[1]}
    assert found == {text for text, _ in ex02.CONV2D_MISTAKES}


def test_an_output_one_row_and_column_short_is_reported_by_its_shape():
    def one_short(x, kernel, bias, stride=1):
        return _einsum_conv(x, kernel, bias, stride)[:, :-1, :-1]

    ok, message = _grade(one_short)
    x, kernel, _, _ = ex02.conv2d_cases()(np.random.default_rng(2))  # the first trial's inputs (stride 1)
    n, h, w, _ = x.shape
    kh, kw, _, c_out = kernel.shape
    assert not ok
    assert f"the output has shape {(n, h - kh, w - kw, c_out)}, should be {(n, h - kh + 1, w - kw + 1, c_out)}" in message


def test_the_stub_is_not_implemented_yet():
    def stub(x, kernel, bias, stride=1):
        raise NotImplementedError

    assert _grade(stub) == (False, "Exercise 02.5: not implemented yet: replace `raise NotImplementedError` "
                                   "with your code and run the cell again.")


def test_check_accepts_a_function_for_02_5(capsys):
    assert exercises.grade("02.5", _einsum_conv)[0]
    ok, message = exercises.grade("02.5", _flipped)
    assert not ok and "not yet" in message
    assert not exercises.grade("02.5", _loop_conv_swapped)[0]
    ok, message = exercises.grade("02.5", 42)
    assert not ok and "should be a function" in message
    ex02.check_conv2d(_loop_conv_swapped)
    assert ex02.KH_KW_SWAPPED in capsys.readouterr().out


def test_the_committed_notebook_runs_the_checker_on_the_stub():
    cells = json.loads((ROOT / "notebooks" / "02_convolution.ipynb").read_text())["cells"]
    stub = [c for c in cells if c["cell_type"] == "code" and "def conv2d_forward" in "".join(c["source"])]
    assert len(stub) == 1
    source = "".join(stub[0]["source"])
    assert "def conv2d_forward(x, kernel, bias, stride=1):" in source
    assert "raise NotImplementedError" in source and "ex02.check_conv2d(conv2d_forward)" in source
    printed = "".join("".join(o.get("text", "")) for o in stub[0]["outputs"])
    assert printed.startswith("Exercise 02.5: not implemented yet")
    assert not any(o["output_type"] == "error" for o in stub[0]["outputs"])
