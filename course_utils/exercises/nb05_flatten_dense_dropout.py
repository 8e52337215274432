"""Exercises of notebook 05_flatten_dense_dropout: Flatten sizes, Dense parameters, inverted dropout, batch normalization.

Keys ``05.1``, ``05.2``, ...; answers are computed by the code the notebook teaches, never typed twice.

Example:
    >>> from course_utils.checks import grade
    >>> grade("05.1", EXERCISES[0].answer)[0]
    True
"""

from __future__ import annotations

import numpy as np

from .. import arithmetic, scratch
from ..checks import Exercise, register


def _captcha_flatten() -> int:
    """Numbers per image after seed 000's five 2 x 2 'same' poolings of a 60 x 160 x 1 input, 512 maps."""
    h, w = 60, 160
    for _ in range(5):
        h, w = arithmetic.pool_output_size(h, 2, 2, "same"), arithmetic.pool_output_size(w, 2, 2, "same")
    return h * w * 512


def _close(given, expected) -> bool:
    """True when given is a number or tuple of numbers within 1e-6 of expected."""
    given_t = given if isinstance(given, tuple) else (given,)
    expected_t = expected if isinstance(expected, tuple) else (expected,)
    try:
        return len(given_t) == len(expected_t) and all(abs(g - e) <= 1e-6 for g, e in zip(given_t, expected_t))
    except TypeError:
        return False


def _moving_mean_after_one_step() -> float:
    x = np.full((8, 1), 10.0)  # a batch whose mean is 10
    _, moving_mean, _ = scratch.batch_norm(x, np.ones(1), np.zeros(1), np.zeros(1), np.ones(1),
                                              training=True, momentum=0.99)
    return round(float(moving_mean[0]), 10)


def _kept_and_inference(value: float = 3.0, rate: float = 0.4) -> tuple[float, float]:
    x = np.array([[value]])
    kept = scratch.dropout(x, rate, training=True, mask=np.array([[True]]))
    return round(float(kept[0, 0]), 10), float(scratch.dropout(x, rate, training=False)[0, 0])


EXERCISES = (
    Exercise(
        key="05.1",
        question="Seed 000's CAPTCHA network ends its convolutions with 512 feature maps of 2 x 5 (after the five "
        "poolings of exercise 04.2). How many numbers per image does Flatten hand to the first Dense layer?",
        answer=_captcha_flatten(),
        solution=f"Flatten multiplies out every axis but the batch: 2 * 5 * 512 = {_captcha_flatten():,}.",
        mistakes={
            10: "2 * 5 = 10 counts positions only: every position holds 512 channel values.",
            512: "512 is the number of maps; each map has 2 * 5 positions.",
            60 * 160: "that is the input image; Flatten comes after five poolings and 13 convolutions.",
        },
    ),
    Exercise(
        key="05.2",
        question="Seed 000 puts Dense(4096) right after that Flatten. How many parameters does this one layer have?",
        answer=arithmetic.dense_params(_captcha_flatten(), 4096),
        solution=f"(n_in + 1) * n_out = ({_captcha_flatten():,} + 1) * 4096 = "
        f"{arithmetic.dense_params(_captcha_flatten(), 4096):,}: one weight per input and one bias, per unit.",
        mistakes={
            _captcha_flatten() * 4096: "that forgets the 4096 biases: each unit has n_in weights plus one bias.",
            _captcha_flatten() * 4097: "the bias belongs to the output units: (n_in + 1) * n_out, not n_in * (n_out + 1).",
            arithmetic.dense_params(7 * 7 * 512, 4096): "that is VGG16's 224-pixel fc1 (7 x 7 x 512 inputs); this input is 2 x 5 x 512.",
        },
    ),
    Exercise(
        key="05.3",
        question="Dropout(0.4) as in seed 000. A unit outputs 3.0. What does the Dropout layer output for it "
        "(a) in training, when this unit is kept, and (b) at inference? Answer (training_kept, inference).",
        answer=_kept_and_inference(),
        solution="Keras uses inverted dropout: kept values are divided by the keep probability 1 - 0.4 = 0.6 during "
        "training, 3.0 / 0.6 = 5.0, so that the expected output stays 3.0; at inference the layer does nothing: 3.0.",
        mistakes={
            (3.0, 3.0): "a kept value is scaled by 1 / (1 - rate) in training; otherwise the average output would shrink.",
            (5.0, 5.0): "at inference Dropout is the identity: the scaling was already done during training.",
            (3.0, 1.8): "that is the original dropout of the AlexNet paper (scale by 1 - rate at test time); "
            "Keras scales during training instead, so inference needs no change.",
            (1.2, 3.0): "multiply by 1 / (1 - rate) = 1 / 0.6, not by the rate 0.4.",
        },
        compare=_close,
    ),
    Exercise(
        key="05.4",
        question="A BatchNormalization layer (Keras defaults: momentum 0.99, moving mean starts at 0) sees one "
        "training batch whose mean, for some channel, is 10. What is that channel's moving mean afterwards?",
        answer=_moving_mean_after_one_step(),
        solution="Keras: moving = moving * momentum + batch_mean * (1 - momentum) = 0 * 0.99 + 10 * 0.01 = 0.1. "
        "That is why a freshly started model predicts badly in inference mode: the moving statistics need many "
        "steps to catch up.",
        mistakes={
            9.9: "that is PyTorch's convention (momentum = weight of the new value); Keras' momentum is the weight of the old value.",
            10: "the moving mean moves only (1 - momentum) = 1 % of the way towards the batch mean per step.",
            0: "a training step does update the moving statistics (inference steps do not).",
        },
        compare=_close,
    ),
    Exercise(
        key="05.5",
        question="BatchNormalization after a Dense(256) layer: how many parameters does it have in all, and how "
        "many of them are trainable? Answer (total, trainable).",
        answer=(4 * 256, 2 * 256),
        solution="Per channel: gamma and beta (trained by gradient descent) and the moving mean and variance "
        "(updated by the moving average, not by gradients): 4 * 256 = 1024 in all, 2 * 256 = 512 trainable.",
        mistakes={
            (512, 512): "the moving mean and variance are parameters too (saved with the model), just not trainable: 4 per channel.",
            (1024, 1024): "the moving statistics are not trained by gradient descent: only gamma and beta are trainable.",
            (1024, 0): "gamma (scale) and beta (shift) are learned: 2 per channel are trainable.",
        },
    ),
)

register(*EXERCISES, origin=__name__)
