"""What the training tests share: a tiny model, a tiny dataset (32 images in 4 batches of 8) and a fake clock on
which every training batch takes one second, so that time budgets and plans are tested without waiting."""

import keras
import numpy as np

from course_utils import data

N_IMAGES, BATCH = 32, 8  # every count in the tests is worked out by hand from these sizes


def tiny_model():
    """Flatten and one softmax Dense layer on 8 x 8 x 1 images (130 parameters), compiled with Adam."""
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def tiny_dataset():
    """N_IMAGES random 8 x 8 images, labels alternating 0 and 1, in batches of BATCH."""
    x = np.random.default_rng(0).integers(0, 255, (N_IMAGES, 8, 8), dtype=np.uint8)
    return data.make_dataset(x, np.arange(N_IMAGES) % 2, batch_size=BATCH)


class FakeClock:
    """Stands in for the time module inside course_utils.training (monkeypatch ``training.time``)."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


class Tick(keras.callbacks.Callback):
    """Advances a FakeClock by one second at the end of every training batch."""

    def __init__(self, clock):
        super().__init__()
        self.clock = clock

    def on_train_batch_end(self, batch, logs=None):
        self.clock.now += 1.0
