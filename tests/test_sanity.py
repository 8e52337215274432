"""The tiny-batch check: a correct LeNet memorises 50 images; the two classic set-up mistakes do not, and are named."""

import keras
import numpy as np
import pytest

from course_utils import models, sanity

X = np.random.default_rng(6).random((50, 32, 32, 1), dtype=np.float32)
Y = np.arange(50) % 10  # random images, every class five times: only memorising fits them


def _lenet(output_softmax: bool, learning_rate: float, from_logits: bool):
    keras.utils.set_random_seed(6)
    model = models.lenet5_modern()  # ends in a softmax
    if not output_softmax:  # the same layers without the softmax: the network outputs logits
        model = models.lenet5_logits(model)
    model.compile(keras.optimizers.Adam(learning_rate), keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    return model


def test_a_correct_lenet_memorises_fifty_images(capsys):
    result = sanity.overfit_tiny_batch(_lenet(True, 1e-3, False), X, Y)
    assert result.passed and result.accuracy == 1.0 and result.loss < sanity.LOSS_TARGET and result.images == 50
    assert capsys.readouterr().out.startswith("PASS: 100 % of 50 images memorised")


def test_logits_fed_to_a_loss_that_expects_probabilities_is_named(capsys):
    # Keras' default from_logits=False on a network that ends without its softmax (Keras 3 itself catches the
    # opposite mistake, a softmax output with from_logits=True: it takes the logits under the softmax)
    result = sanity.overfit_tiny_batch(_lenet(False, 1e-3, False), X, Y, steps=100)
    assert not result.passed and "from_logits=False" in result.diagnosis and "log(10) = 2.30" in result.diagnosis
    assert capsys.readouterr().out.startswith("FAIL:")


def test_a_learning_rate_a_hundred_times_too_high_is_named():
    result = sanity.overfit_tiny_batch(_lenet(False, 1e-1, True), X, Y, steps=100)
    assert not result.passed and "learning rate" in result.diagnosis


def test_bad_input_says_what_to_do():
    with pytest.raises(ValueError, match="as many labels as images"):
        sanity.overfit_tiny_batch(_lenet(True, 1e-3, False), X, Y[:10])
    with pytest.raises(ValueError, match="compile the model first"):
        sanity.overfit_tiny_batch(models.lenet5_modern(), X, Y)
