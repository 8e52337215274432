"""Appendix A3's exercises: the "implement it" batch norm in training mode (A3.1) passes a right function and
diagnoses each typical mistake; the answers of A3.2-A3.4 agree with hand-worked values, PyTorch's documented
update and Keras' own layers. The learners' functions here are written independently of scratch.batch_norm."""

import math
import re

import keras
import numpy as np
import pytest

from course_utils import exercises
from course_utils.exercises import nbA3_batch_normalization as nbA3

DIAGNOSIS = {fn.__name__: text for text, fn in nbA3.DIAGNOSES}
STUCK = "(Stuck? `course_utils.solution('A3.1')` shows a worked solution.)"


def learner_right(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    """Right, written channel by channel with a loop."""
    y = np.empty_like(x, dtype=np.float64)
    new_mean, new_var = np.empty(x.shape[-1]), np.empty(x.shape[-1])
    for c in range(x.shape[-1]):
        values = x[..., c].ravel()
        mean = values.sum() / values.size
        var = ((values - mean) ** 2).sum() / values.size
        y[..., c] = gamma[c] * (x[..., c] - mean) / math.sqrt(var + epsilon) + beta[c]
        new_mean[c] = momentum * moving_mean[c] + (1 - momentum) * mean
        new_var[c] = momentum * moving_var[c] + (1 - momentum) * var
    return y, new_mean, new_var


def _learner(ddof=0, update_ddof=None, swap=False, normalise_with=None, update=True, outside=False):
    """A learner's function with one slip switched on."""
    def fn(x, g, b, mm, mv, m, e):
        axes = tuple(range(x.ndim - 1))
        mean, var = x.mean(axis=axes), x.var(axis=axes, ddof=ddof)
        keep = 1 - m if swap else m
        new_mean = keep * mm + (1 - keep) * mean if update else mm
        upd_var = var if update_ddof is None else x.var(axis=axes, ddof=update_ddof)
        new_var = keep * mv + (1 - keep) * upd_var if update else mv
        use_mean, use_var = {"moving": (mm, mv), "updated": (new_mean, new_var)}.get(normalise_with, (mean, var))
        std = np.sqrt(use_var) + e if outside else np.sqrt(use_var + e)
        return g * (x - use_mean) / std + b, new_mean, new_var
    return fn


def test_a_right_function_passes_against_the_reference_and_keras():
    ok, message = nbA3.grade_batch_norm_training(learner_right)
    assert ok, message
    assert re.fullmatch(r"Exercise A3\.1: correct: output and both moving statistics agree, max \|diff\| = \d\.\de-\d\d "
                        r"over 5 random batches, NHWC and \(N, C\) \(tolerance 1e-06\); against Keras' "
                        r"BatchNormalization\(training=True\) \d\.\de-\d\d \(tolerance 1e-05\)\.", message), message
    assert exercises.grade("A3.1", learner_right)[0]


@pytest.mark.parametrize("learner, mistake", [
    (_learner(ddof=1), "_unbiased_variance"),
    (_learner(update_ddof=1), "_unbiased_moving_variance"),
    (_learner(swap=True), "_momentum_swapped"),
    (_learner(normalise_with="moving"), "_moving_statistics_in_training"),
    (_learner(normalise_with="updated"), "_updated_statistics_in_training"),
    (_learner(update=False), "_not_updated"),
    (_learner(outside=True), "_epsilon_outside"),
])
def test_typical_mistakes_are_diagnosed(learner, mistake):
    ok, message = nbA3.grade_batch_norm_training(learner)
    assert not ok
    assert message.startswith("Exercise A3.1: not yet: with inputs ")
    assert f"should be below 1e-06: {DIAGNOSIS[mistake]}. {STUCK}" in message


def test_every_diagnosis_is_registered_and_recognised():
    ex = exercises.exercise("A3.1")
    assert {fn.__name__ for fn in ex.mistakes} == set(DIAGNOSIS)
    for wrong_fn, text in ex.mistakes.items():
        ok, message = exercises.grade("A3.1", wrong_fn)
        assert not ok and text in message, wrong_fn.__name__


def test_the_mistakes_differ_from_the_right_answer_on_every_kind_of_batch():
    rng = np.random.default_rng(1)
    for make in (nbA3._image_inputs, nbA3._vector_inputs):
        inputs = make(rng)
        right = nbA3.reference_training(*inputs)
        for _text, wrong_fn in nbA3.DIAGNOSES:
            wrong = wrong_fn(*inputs)
            assert any(np.shape(w) != np.shape(r) or not np.allclose(w, r, atol=1e-6)
                       for w, r in zip(wrong, right)) or (wrong_fn is nbA3._per_image_statistics and make is
                                                          nbA3._vector_inputs), wrong_fn.__name__


def test_the_reference_matches_keras_after_one_training_call():
    x, gamma, beta, mm, mv, momentum, eps = nbA3._image_inputs(np.random.default_rng(5))
    y, new_mean, new_var = nbA3.reference_training(x, gamma, beta, mm, mv, momentum, eps)
    ky, kmean, kvar = nbA3._keras(x, gamma, beta, mm, mv, momentum, eps)
    np.testing.assert_allclose(y, ky, atol=1e-5)
    np.testing.assert_allclose(new_mean, kmean, atol=1e-5)
    np.testing.assert_allclose(new_var, kvar, atol=1e-5)


def test_returning_only_the_output_or_calling_the_reference_is_explained():
    ok, message = nbA3.grade_batch_norm_training(lambda *a: learner_right(*a)[0])
    assert not ok and "return three arrays, (y, new_moving_mean, new_moving_var)" in message

    def cheat(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
        from course_utils import scratch
        return scratch.batch_norm(x, gamma, beta, moving_mean, moving_var, True, momentum, epsilon)

    ok, message = nbA3.grade_batch_norm_training(cheat)
    assert not ok and "calls the course's reference `course_utils.scratch.batch_norm`" in message


def test_stub():
    def stub(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
        raise NotImplementedError

    assert nbA3.grade_batch_norm_training(stub)[1].startswith("Exercise A3.1: not implemented yet")


def test_the_printed_solution_passes(capsys):
    exercises.solution("A3.1")
    code = capsys.readouterr().out.split(":\n\n", 1)[1].split("\n\n", 1)[0]
    namespace = {"np": np}
    exec("\n".join(line[4:] for line in code.splitlines()), namespace)
    assert nbA3.grade_batch_norm_training(namespace["batch_norm_training"])[0]


def test_a3_2_moving_mean_by_hand_and_in_keras():
    assert exercises.exercise("A3.2").answer == pytest.approx(1.9)  # 0.9 * (0.9 * 0 + 0.1 * 10) + 0.1 * 10
    layer = keras.layers.BatchNormalization(momentum=0.9)
    batch = np.full((16, 1), 10.0, np.float32)
    for _ in range(2):
        layer(batch, training=True)
    assert float(layer.moving_mean[0]) == pytest.approx(1.9, abs=1e-5)


def _steps_to_nine(update):
    running, steps = 0.0, 0
    while running < 9.0 - 1e-9:
        running, steps = update(running), steps + 1
    return steps


def test_a3_3_steps_by_pytorchs_documented_update_and_keras_layer():
    pytorch_steps = _steps_to_nine(lambda r: (1 - 0.1) * r + 0.1 * 10.0)  # PyTorch's documented update
    assert pytorch_steps == math.ceil(math.log(0.1) / math.log(0.9)) == 22
    layer = keras.layers.BatchNormalization()  # Keras' default momentum
    keras_steps = _steps_to_nine(lambda r: (layer(np.full((8, 1), 10.0, np.float32), training=True),
                                            float(layer.moving_mean[0]))[1])
    assert keras_steps == math.ceil(math.log(0.1) / math.log(0.99)) == 230
    assert exercises.exercise("A3.3").answer == (pytorch_steps, keras_steps)
    assert exercises.grade("A3.3", [22, 230])[0] and not exercises.grade("A3.3", (230, 22))[0]
    assert "swapped" in exercises.grade("A3.3", (230, 22))[1]


def test_a3_4_parameters_counted_by_keras():
    model = keras.Sequential([keras.Input((1024,)), keras.layers.Dense(256, use_bias=False),
                              keras.layers.BatchNormalization()])
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert exercises.exercise("A3.4").answer == (model.count_params(), trainable) == (263_168, 262_656)
    assert "redundant" not in exercises.grade("A3.4", (263_168, 262_656))[1]
    assert "use_bias=False" in exercises.grade("A3.4", (263_424, 262_912))[1]
