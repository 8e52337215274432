"""A sanity check before a long training: can the network memorise a tiny batch? (cs231n's check)

A correct network, loss and optimizer drive the training loss on a few dozen images close to 0 and
their accuracy to 100 % within seconds: it has far more weights than there are images. When it cannot,
no amount of data or epochs will help, and the cause is in the set-up, not in the data: a softmax
output fed to a loss that expects logits, a learning rate far too high (or too low), labels that do not
belong to their images. Its first loss says something too: an untrained network guesses, so its mean
cross-entropy starts near log(K) for K classes (2.30 for 10). :func:`overfit_tiny_batch` runs the check and
says which mistake a failure looks like.

Example:
    >>> import keras
    >>> x = np.random.default_rng(0).random((20, 8), dtype=np.float32)
    >>> y = np.arange(20) % 4
    >>> def build():
    ...     model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(4)])
    ...     model.compile(keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ...     return model
    >>> overfit_tiny_batch(build(), x, y, images=20).passed
    PASS: 100 % of 20 images memorised, loss ... after ... steps: the network, its loss and its optimizer can learn
    True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

LOSS_TARGET = 0.05  # mean cross-entropy: about 95 % probability on each right label


@dataclass(frozen=True)
class OverfitCheck:
    """What :func:`overfit_tiny_batch` saw: the images, steps, seconds, last loss and accuracy, and the verdict."""

    images: int
    steps: int
    seconds: float
    loss: float
    accuracy: float
    passed: bool
    diagnosis: str


def _diagnosis(losses: list[float], accuracy: float, classes: int) -> str:
    """Which set-up mistake a failed check looks like, from its loss curve and the number of classes."""
    first, last, chance = losses[0], losses[-1], math.log(classes)
    if not math.isfinite(last):
        return ("the loss became NaN or infinite: the learning rate is far too high (or the inputs are not scaled); "
                "divide it by 10 and check again")
    if classes > 1 and first > 2 * chance:
        return (f"the first loss is {first:.2f}, where an untrained network starts near log({classes}) = {chance:.2f}: "
                "the loss reads the outputs as something they are not, such as logits given to a loss with "
                "from_logits=False (Keras' default) or probabilities to one with from_logits=True; or the labels "
                f"are not the integers 0 to {classes - 1}")
    if accuracy == 1.0:
        return (f"every image is classified right but the loss stays at {last:.2f}: the outputs cannot become "
                "confident (a softmax read as logits with from_logits=True, a temperature, smoothed labels): give "
                "the loss what the last layer really outputs")
    if max(losses) > 3 * first or last > 0.9 * first:
        return ("the loss did not come down (or jumped up): a learning rate far too high makes it jump or stall, one "
                "far too low barely moves it; also check that the labels belong to their images")
    return (f"the loss fell from {first:.2f} to {last:.2f} but not to {LOSS_TARGET}: more steps, or a larger "
            "learning rate; if it still stalls, the network may be too small or its input wrong")


def overfit_tiny_batch(model: Any, x: Any, y: Any, images: int = 50, steps: int = 300,
                       seconds: float = 60.0) -> OverfitCheck:
    """Train the compiled ``model`` on its first ``images`` examples as one batch until it memorises them.

    ``x`` (NHWC or (N, features)) and integer labels ``y`` as for ``model.fit``; the model is
    trained in place, so pass a fresh copy, not the one you will train. It stops when every image is
    classified right with a mean loss below :data:`LOSS_TARGET`, after ``steps`` steps, or after
    ``seconds``. Prints one line, PASS or FAIL with what the failure looks like, and returns an
    :class:`OverfitCheck`.
    """
    x, y = np.asarray(x)[:images], np.asarray(y)[:images]
    if len(x) == 0 or len(x) != len(y):
        raise ValueError(f"need as many labels as images, and at least one: got {len(x)} images, {len(y)} labels")
    if not getattr(model, "compiled", False):
        raise ValueError("compile the model first, with the loss and optimizer you mean to train with: they are "
                         "what this checks")
    losses: list[float] = []
    accuracy, start = 0.0, time.perf_counter()
    for step in range(1, steps + 1):
        model.reset_metrics()  # some Keras versions (3.10) report the mean since the first step, not this step's loss
        result = model.train_on_batch(x, y, return_dict=True)
        losses.append(float(result["loss"]))
        if step % 10 == 0 or step == steps or not math.isfinite(losses[-1]):
            scores = np.asarray(model.predict_on_batch(x))
            accuracy = float(np.mean(scores.reshape(len(x), -1).argmax(axis=1) == y.reshape(-1)))
            if (accuracy == 1.0 and losses[-1] < LOSS_TARGET) or not math.isfinite(losses[-1]):
                break
            if time.perf_counter() - start > seconds:
                break
    elapsed = time.perf_counter() - start
    passed = accuracy == 1.0 and losses[-1] < LOSS_TARGET
    if passed:
        print(f"PASS: 100 % of {len(x)} images memorised, loss {losses[-1]:.3f} after {len(losses)} steps: the network, "
              "its loss and its optimizer can learn")
        diagnosis = ""
    else:
        diagnosis = _diagnosis(losses, accuracy, int(np.prod(model.outputs[0].shape[1:])))
        print(f"FAIL: {accuracy * 100:.0f} % of {len(x)} images after {len(losses)} steps, loss {losses[-1]:.3g} (a correct set-up "
              f"reaches 100 % and a loss below {LOSS_TARGET} within seconds): {diagnosis}")
    return OverfitCheck(len(x), len(losses), elapsed, losses[-1], accuracy, passed, diagnosis)
