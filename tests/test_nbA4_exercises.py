"""Appendix A4's "implement it" exercises (A4.1-A4.6, backward passes by hand): the course's reference and a right
function written here apart from it pass all three comparisons (reference, centred differences, tf.GradientTape);
each typical mistake is diagnosed; a stub, a function calling the reference and a wrong return are explained."""

import dataclasses
import re

import numpy as np
import pytest

from course_utils import exercises, scratch
from course_utils.arithmetic import same_padding
from course_utils.exercises import nbA4_backpropagation as nbA4

SPECS = {spec.key: spec for spec in (nbA4._DENSE_RELU, nbA4._SOFTMAX, nbA4._CONV, nbA4._POOL, nbA4._DROPOUT,
                                     nbA4._BATCH_NORM)}
GRADERS = {"A4.1": nbA4.grade_dense_relu_backward, "A4.2": nbA4.grade_softmax_cross_entropy_backward,
           "A4.3": nbA4.grade_conv2d_backward, "A4.4": nbA4.grade_max_pool2d_backward,
           "A4.5": nbA4.grade_dropout_backward, "A4.6": nbA4.grade_batch_norm_backward}
CORRECT = re.compile(r"Exercise A4\.\d: correct: .+ agrees? with the course's reference \(max \|diff\| \S+\), with "
                     r"centred differences \(\S+\) and with tf\.GradientTape \(\S+\) over \d random cases: .+ "
                     r"\(tolerances 1e-06, 1e-06 and 1e-08\)\.")


# --- right answers written apart from course_utils.scratch -----------------------------------------------------------

def learner_dense_relu(d_out, x, kernel, bias):
    d_z = np.where(np.einsum("ni,io->no", x, kernel) + bias > 0, d_out, 0.0)
    return np.einsum("no,io->ni", d_z, kernel), np.einsum("ni,no->io", x, d_z), np.einsum("no->o", d_z)


def learner_softmax(logits, labels):
    log_p = logits - logits.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    return (np.exp(log_p) - (np.arange(logits.shape[1]) == labels[:, None])) / len(labels)


def learner_conv(d_out, x, kernel, stride, padding):
    """col2im style: one strided slice per kernel offset instead of one window per output position."""
    kh, kw, _, _ = kernel.shape
    (top, bottom), (left, right) = ((same_padding(x.shape[1], kh, stride), same_padding(x.shape[2], kw, stride))
                                    if padding == "same" else ((0, 0), (0, 0)))
    x_pad = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    _, h_out, w_out, _ = d_out.shape
    dx_pad, d_kernel = np.zeros(x_pad.shape), np.zeros(kernel.shape)
    for a in range(kh):
        for b in range(kw):
            rows, cols = slice(a, a + stride * h_out, stride), slice(b, b + stride * w_out, stride)
            dx_pad[:, rows, cols, :] += d_out @ kernel[a, b].T
            d_kernel[a, b] = np.einsum("nhwc,nhwo->co", x_pad[:, rows, cols, :], d_out)
    return dx_pad[:, top:top + x.shape[1], left:left + x.shape[2], :], d_kernel, d_out.sum(axis=(0, 1, 2))


def learner_pool(d_out, x, pool, stride):
    dx = np.zeros(x.shape)
    for n, i, j, c in np.ndindex(d_out.shape):
        best = None
        for r in range(i * stride, i * stride + pool):  # row-major: a later tie does not replace the first maximum
            for s in range(j * stride, j * stride + pool):
                if best is None or x[n, r, s, c] > x[n, best[0], best[1], c]:
                    best = (r, s)
        dx[n, best[0], best[1], c] += d_out[n, i, j, c]
    return dx


def learner_dropout(d_out, mask, rate):
    return np.where(mask, d_out, 0.0) * (1.0 / (1.0 - rate))


def learner_batch_norm(d_out, x, gamma, epsilon):
    """The textbook's staged chain rule: through x_hat, then the variance, then the mean."""
    axes = tuple(range(x.ndim - 1))
    m = x.size // x.shape[-1]
    mu = x.mean(axis=axes)
    var = ((x - mu) ** 2).mean(axis=axes)
    inv = 1.0 / np.sqrt(var + epsilon)
    x_hat = (x - mu) * inv
    dx_hat = d_out * gamma
    d_var = (dx_hat * (x - mu)).sum(axis=axes) * -0.5 * inv ** 3
    d_mu = -(dx_hat * inv).sum(axis=axes) + d_var * (-2.0 * (x - mu)).mean(axis=axes)
    dx = dx_hat * inv + d_var * 2.0 * (x - mu) / m + d_mu / m
    return dx, (d_out * x_hat).sum(axis=axes), d_out.sum(axis=axes)


LEARNERS = {"A4.1": learner_dense_relu, "A4.2": learner_softmax, "A4.3": learner_conv, "A4.4": learner_pool,
            "A4.5": learner_dropout, "A4.6": learner_batch_norm}


@pytest.mark.parametrize("key", sorted(SPECS))
def test_the_reference_agrees_with_centred_differences_and_the_tape(key):
    spec = dataclasses.replace(SPECS[key], refused=())  # the reference may call scratch: here it is not the learner
    ok, message = nbA4._grade(spec, lambda *inputs: spec.reference(*inputs))
    assert ok, message
    assert CORRECT.fullmatch(message), message


@pytest.mark.parametrize("key", sorted(SPECS))
def test_a_right_function_written_apart_passes(key):
    ok, message = GRADERS[key](LEARNERS[key])
    assert ok, message
    assert CORRECT.fullmatch(message), message
    assert exercises.grade(key, LEARNERS[key])[0]


@pytest.mark.parametrize("key, text, wrong_fn", [(key, text, fn) for key, spec in SPECS.items()
                                                 for text, fn in spec.diagnoses],
                         ids=lambda v: v.__name__ if callable(v) else str(v)[:12])
def test_each_typical_mistake_is_diagnosed(key, text, wrong_fn):
    ok, message = GRADERS[key](wrong_fn)
    assert not ok
    assert message.startswith(f"Exercise {key}: not yet: with inputs ")
    assert f": {text}. (Stuck? `course_utils.solution('{key}')` shows a worked solution.)" in message
    ok, message = exercises.grade(key, wrong_fn)  # the registry's mistakes are these functions, with these texts
    assert not ok and text in message


def test_the_registry_lists_every_diagnosis_and_the_reference_is_refused():
    for key, spec in SPECS.items():
        assert exercises.exercise(key).mistakes == {fn: text for text, fn in spec.diagnoses}
    assert len(nbA4.DIAGNOSES_CONV) == 6 and len(nbA4.DIAGNOSES_POOL) == 5
    assert exercises.grade("A4.3", learner_conv)[0]
    ok, message = exercises.grade("A4.3", scratch.conv2d_backward)
    assert not ok and "the course's own reference" in message
    ok, message = nbA4.grade_conv2d_backward(scratch.conv2d_backward)  # the checker refuses it as well
    assert not ok and "the course's own reference `course_utils.scratch.conv2d_backward`" in message


def test_mistakes_written_by_a_learner_are_recognised():
    def softmax_without_mean(logits, labels):
        return learner_softmax(logits, labels) * len(labels)

    def pool_ties_to_all(d_out, x, pool, stride):
        dx = np.zeros(x.shape)
        for n, i, j, c in np.ndindex(d_out.shape):
            window = x[n, i * stride:i * stride + pool, j * stride:j * stride + pool, c]
            dx[n, i * stride:i * stride + pool, j * stride:j * stride + pool, c] += (window == window.max()) * d_out[
                n, i, j, c]
        return dx

    def conv_flipped(d_out, x, kernel, stride, padding):
        dx, d_kernel, d_bias = learner_conv(d_out, x, kernel[::-1, ::-1], stride, padding)
        return dx, learner_conv(d_out, x, kernel, stride, padding)[1], d_bias

    assert "the 1/N is missing" in nbA4.grade_softmax_cross_entropy_backward(softmax_without_mean)[1]
    message = nbA4.grade_max_pool2d_backward(pool_ties_to_all)[1]
    assert "a tie sent the gradient to every tied maximum" in message and "pool=3, stride=2" in message
    assert "rotated by 180 degrees" in nbA4.grade_conv2d_backward(conv_flipped)[1]


def test_the_tie_case_has_ties_and_no_centred_differences():
    cases = nbA4._pool_cases(np.random.default_rng(0))
    (_, x, pool, stride), smooth = cases[-1]
    assert not smooth and all(smooth for _, smooth in cases[:-1])
    assert [(p, s) for (_, _, p, s), _ in cases] == [(2, 2), (3, 2), (3, 2)]
    starts = range(0, x.shape[1] - pool + 1, stride)
    windows = [x[n, r:r + pool, s:s + pool, c] for n in range(x.shape[0]) for r in starts for s in starts
               for c in range(x.shape[3])]
    assert sum(np.sum(w == w.max()) > 1 for w in windows) > len(windows) // 2


def test_the_conv_cases_cover_stride_padding_and_a_non_square_kernel():
    cases = nbA4._conv_cases(np.random.default_rng(0))
    assert {(stride, padding) for (_, _, _, stride, padding), _ in cases} == {(1, "valid"), (2, "valid"), (1, "same"),
                                                                              (2, "same")}
    assert any(kernel.shape[0] != kernel.shape[1] for (_, _, kernel, _, _), _ in cases)


@pytest.mark.parametrize("key, cheat", [
    ("A4.1", lambda d_out, x, kernel, bias: scratch.dense_backward(
        scratch.relu_backward(d_out, x @ kernel + bias), x, kernel)),
    ("A4.2", lambda logits, labels: scratch.softmax_cross_entropy(logits, labels)[1]),
    ("A4.3", lambda d_out, x, kernel, stride, padding: scratch.conv2d_im2col_backward(d_out, x, kernel, stride, padding)),
    ("A4.4", lambda d_out, x, pool, stride: scratch.max_pool2d_backward(d_out, x, pool, stride)),
    ("A4.5", lambda d_out, mask, rate: scratch.dropout_backward(d_out, mask, rate)),
    ("A4.6", lambda d_out, x, gamma, epsilon: scratch.batch_norm_backward(d_out, x, gamma, epsilon)),
])
def test_a_function_calling_the_reference_is_refused(key, cheat):
    ok, message = GRADERS[key](cheat)
    assert not ok and "calls the course's reference `course_utils.scratch." in message, message


@pytest.mark.parametrize("key", sorted(SPECS))
def test_a_stub_is_not_implemented_yet(key):
    def stub(*inputs):
        raise NotImplementedError

    assert GRADERS[key](stub)[1].startswith(f"Exercise {key}: not implemented yet")


def test_a_wrong_number_of_parts_is_explained():
    ok, message = nbA4.grade_conv2d_backward(lambda *inputs: learner_conv(*inputs)[:2])
    assert not ok and message == ("Exercise A4.3: your function returned a tuple of 2: return three arrays, (dx, "
                                  "d_kernel, d_bias), e.g. `return dx, d_kernel, d_bias`.")
    ok, message = nbA4.grade_dropout_backward(lambda d_out, mask, rate: (learner_dropout(d_out, mask, rate), mask))
    assert not ok and "return one array, dx, e.g. `return dx`." in message
    ok, message = nbA4.grade_batch_norm_backward(lambda *inputs: learner_batch_norm(*inputs)[0])
    assert not ok and "returned an array of shape (8, 3): return three arrays, (dx, d_gamma, d_beta)" in message
    assert "forget `return`" in nbA4.grade_dense_relu_backward(lambda *inputs: None)[1]


def test_float32_and_overflow_are_explained():
    ok, message = nbA4.grade_dropout_backward(lambda *inputs: learner_dropout(*inputs).astype(np.float32))
    assert not ok and "your function returned float32 values" in message

    def naive_softmax(logits, labels):
        with np.errstate(all="ignore"):
            e = np.exp(logits)
            return (e / e.sum(axis=1, keepdims=True) - np.eye(logits.shape[1])[labels]) / len(labels)

    ok, message = nbA4.grade_softmax_cross_entropy_backward(naive_softmax)
    assert not ok and "holds nan or inf" in message and "subtract each row's maximum first" in message


@pytest.mark.parametrize("key", sorted(SPECS))
def test_the_printed_solution_passes(key, capsys):
    exercises.solution(key)
    code = capsys.readouterr().out.split(":\n\n", 1)[1].split("\n\n", 1)[0]
    namespace = {"np": np}
    exec("\n".join(line[4:] for line in code.splitlines()), namespace)
    name = re.search(r"^def (\w+)\(", code.strip(), re.M) or re.search(r"def (\w+)\(", code)
    ok, message = GRADERS[key](namespace[name.group(1)])
    assert ok, message
    assert f"Check it with check_{name.group(1)}({name.group(1)})." in exercises.exercise(key).question


def test_the_network_takes_a_learners_functions_only_where_their_check_passes(capsys):
    import keras

    from course_utils import models

    keras.utils.set_random_seed(4)
    model = models.lenet5_logits()
    net = nbA4.learner_network(model, dense_relu_backward=learner_dense_relu,
                               softmax_cross_entropy_backward=nbA4.DIAGNOSES_SOFTMAX[0][1],  # 1/N forgotten
                               max_pool2d_backward=learner_pool)
    table = capsys.readouterr().out
    assert net.f6_backward is learner_dense_relu and net.pool_backward is learner_pool
    assert net.loss_backward is scratch.softmax_cross_entropy_backward  # the wrong one is not used
    assert re.search(r"F6 and its ReLU +A4\.1 +yours +passes its check", table)
    assert re.search(r"A4\.2 +the course's reference +your function does not pass its check yet", table)
    x, y = np.random.default_rng(4).random((3, 32, 32, 1)), np.array([1, 2, 3])
    reference = nbA4.NumpyLeNet.from_keras(model)
    assert net.sgd_step(x, y, 0.1) == pytest.approx(reference.sgd_step(x, y, 0.1), abs=1e-12)
