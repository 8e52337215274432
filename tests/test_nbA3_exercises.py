"""Appendix A3's exercises: the "implement it" batch norm at inference (A3.1) passes a right function and
diagnoses each typical mistake; the answers of A3.2-A3.4 agree with hand-worked values, PyTorch's documented
update and Keras' own layer. The learners' functions here are written independently of scratch.batch_norm."""

import re

import keras
import numpy as np
import pytest

from course_utils import exercises
from course_utils.exercises import nbA3_batch_normalization as nbA3

DIAGNOSIS = {fn.__name__: text for text, fn in nbA3.DIAGNOSES}
STUCK = "(Stuck? `course_utils.solution('A3.1')` shows a worked solution.)"


def learner_right(x, gamma, beta, moving_mean, moving_var, epsilon):
    """Right, written channel by channel with a loop."""
    y = np.empty_like(x, dtype=np.float64)
    for c in range(x.shape[-1]):
        y[..., c] = gamma[c] * (x[..., c] - moving_mean[c]) / np.sqrt(moving_var[c] + epsilon) + beta[c]
    return y


def _with(mean, var, gamma, beta, x, epsilon, outside=False):
    std = np.sqrt(var) + epsilon if outside else np.sqrt(var + epsilon)
    return gamma * (x - mean) / std + beta


def test_a_right_function_passes_against_the_reference_and_keras():
    ok, message = nbA3.grade_batch_norm_inference(learner_right)
    assert ok, message
    assert re.fullmatch(r"Exercise A3\.1: correct: max \|diff\| = \d\.\de-\d\d over 3 random NHWC batches \(tolerance "
                        r"1e-06\); against Keras \d\.\de-\d\d \(tolerance 1e-05\); also correct on batches of vectors "
                        r"\(N, C\)\.", message), message
    assert nbA3.grade_batch_norm_inference(nbA3._reference)[0]
    assert exercises.grade("A3.1", learner_right)[0]


def _all_but_last(x):
    return tuple(range(x.ndim - 1))


@pytest.mark.parametrize("learner, mistake", [
    (lambda x, g, b, m, v, e: _with(x.mean(axis=_all_but_last(x)), x.var(axis=_all_but_last(x)), g, b, x, e),
     "_batch_statistics"),
    (lambda x, g, b, m, v, e: _with(x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True), g, b, x, e),
     "_channel_statistics"),
    (lambda x, g, b, m, v, e: _with(x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True), g, b, x, e),
     "_per_position_statistics"),
    (lambda x, g, b, m, v, e: _with(m, v, g, b, x, 0.0), "_no_epsilon"),
    (lambda x, g, b, m, v, e: _with(m, v, g, b, x, e, outside=True), "_epsilon_outside"),
    (lambda x, g, b, m, v, e: g * (x - m) / (v + e) + b, "_divided_by_variance"),
    (lambda x, g, b, m, v, e: _with(m, v * v, g, b, x, e), "_variance_squared"),
    (lambda x, g, b, m, v, e: _with(m, v, 1.0, 0.0, x, e), "_without_gamma_beta"),
    (lambda x, g, b, m, v, e: _with(m, v, b, g, x, e), "_gamma_beta_swapped"),
])
def test_typical_mistakes_are_diagnosed(learner, mistake):
    ok, message = nbA3.grade_batch_norm_inference(learner)
    assert not ok
    assert message.startswith("Exercise A3.1: not yet: max |diff| = ")
    assert f"should be below 1e-06: {DIAGNOSIS[mistake]}. {STUCK}" in message


def test_every_diagnosis_is_tested_and_registered():
    tested = {"_batch_statistics", "_channel_statistics", "_per_position_statistics", "_no_epsilon",
              "_epsilon_outside", "_divided_by_variance", "_variance_squared", "_without_gamma_beta",
              "_gamma_beta_swapped"}
    assert set(DIAGNOSIS) == tested
    ex = exercises.exercise("A3.1")
    assert {fn.__name__ for fn in ex.mistakes} == tested
    for wrong_fn, text in ex.mistakes.items():
        ok, message = exercises.grade("A3.1", wrong_fn)
        assert not ok and text in message


def test_a_function_for_images_only_fails_on_vectors():
    def images_only(x, gamma, beta, moving_mean, moving_var, epsilon):
        return learner_right(x, gamma, beta, moving_mean, moving_var, epsilon).reshape(x.shape[0], -1, 1, x.shape[-1]) \
            if x.ndim == 2 else learner_right(x, gamma, beta, moving_mean, moving_var, epsilon)

    ok, message = nbA3.grade_batch_norm_inference(images_only)
    assert not ok and message.startswith("Exercise A3.1, on a batch of vectors (N, C): not yet: the output has shape ")


def test_stub():
    def stub(x, gamma, beta, moving_mean, moving_var, epsilon):
        raise NotImplementedError

    assert nbA3.grade_batch_norm_inference(stub) == (
        False, "Exercise A3.1: not implemented yet: replace `raise NotImplementedError` with your code and run the "
               "cell again.")


def test_the_printed_solution_passes(capsys):
    exercises.solution("A3.1")
    code = capsys.readouterr().out.split(":\n\n", 1)[1].split("\n\n", 1)[0]
    namespace = {"np": np}
    exec("\n".join(line[4:] for line in code.splitlines()), namespace)
    assert nbA3.grade_batch_norm_inference(namespace["batch_norm_inference"])[0]


def test_a3_2_moving_mean_by_hand_and_in_keras():
    assert exercises.exercise("A3.2").answer == pytest.approx(1.9)  # 0.9 * (0.9 * 0 + 0.1 * 10) + 0.1 * 10
    layer = keras.layers.BatchNormalization(momentum=0.9)
    batch = np.full((16, 1), 10.0, np.float32)
    for _ in range(2):
        layer(batch, training=True)
    assert float(layer.moving_mean[0]) == pytest.approx(1.9, abs=1e-5)


def test_a3_3_keras_momentum_gives_pytorchs_default_update():
    keras_momentum = exercises.exercise("A3.3").answer
    assert keras_momentum == 0.9
    # PyTorch's documented update, running = (1 - momentum) * running + momentum * batch, momentum 0.1
    running, layer = 0.0, keras.layers.BatchNormalization(momentum=keras_momentum)
    for batch_mean in (10.0, -4.0, 3.0):
        running = (1 - 0.1) * running + 0.1 * batch_mean
        layer(np.full((8, 1), batch_mean, np.float32), training=True)
        assert float(layer.moving_mean[0]) == pytest.approx(running, abs=1e-5)


def test_a3_4_parameters_of_batch_norm_after_alexnets_conv1():
    model = keras.Sequential([keras.Input((227, 227, 3)), keras.layers.Conv2D(96, 11, strides=4),
                              keras.layers.BatchNormalization()])
    bn = model.layers[-1]
    total = sum(int(np.prod(w.shape)) for w in bn.weights)
    trainable = sum(int(np.prod(w.shape)) for w in bn.trainable_weights)
    assert exercises.exercise("A3.4").answer == (total, trainable) == (384, 192)
