"""Issue 15's tests for the instructor kit: a run stopped by a time budget or by the stop button keeps its
best weights and a usable model, returns normally (the next cells run) and is recorded as cut short.

tests/test_training.py covers the stop mechanics (epochs, images, checkpoints); these follow a stopped run
to the end: the weights it holds, predictions from them, and its record.
"""

import json

import keras
import numpy as np
from training_fakes import BATCH, N_IMAGES, FakeClock, Tick, tiny_dataset  # shared with the other training tests

from course_utils import training


def _tiny():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class _Scripted:
    """A validation-style monitor whose value per epoch is fixed in advance: the best epoch is known."""

    name = "val_scripted_accuracy"

    def __init__(self, values):
        self.values, self.calls = list(values), 0

    def __call__(self, logs):
        self.calls += 1
        return self.values[self.calls - 1]


class _WeightsAtEpochEnd(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


class _StopButtonAt(keras.callbacks.Callback):
    """Raises KeyboardInterrupt as batch ``batch`` of epoch ``epoch`` (both from 0) begins: mid-epoch."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            raise KeyboardInterrupt


def _predictions_with(weights, x):
    """What a fresh copy of the model predicts with ``weights``: an independent reference."""
    copy = _tiny()
    copy.set_weights(weights)
    return copy.predict(x, verbose=0).argmax(-1)


def _images():
    return np.random.default_rng(1).integers(0, 255, (6, 8, 8, 1)).astype("float32") / 255


def test_a_few_seconds_of_budget_keep_the_best_weights_and_a_usable_model(monkeypatch, results_dir, capsys):
    clock, seen, model = FakeClock(), _WeightsAtEpochEnd(), _tiny()
    monkeypatch.setattr(training, "time", clock)
    # 1 s per batch, 4 batches per epoch: epochs end at 4 s and 8 s; a third would end at 12 s > 10 s, so the
    # budget stops training after epoch 2, whose monitored value (0.2) is worse than epoch 1's (0.9)
    run = training.train_and_record("tiny", model, tiny_dataset(), tiny_dataset(), epochs=20, time_budget_s=10, verbose=0,
                                    monitor=_Scripted([0.9, 0.2] + [0.1] * 18), callbacks=[Tick(clock), seen],
                                    dataset="tiny_digits", data_source="real subset", train_size=N_IMAGES,
                                    test_size=N_IMAGES, batch_size=BATCH)
    out = capsys.readouterr().out
    assert run.stop_reason == "time budget" and run.epochs == 2 and run.best_epoch == 1 and run.restored_best
    assert "tiny: trained 2 epochs in 8 s (8 images/s), keeping epoch 1's weights" in out
    assert "cut short by the time budget; test accuracy" in out
    # the model holds epoch 1's weights, not epoch 2's, and predicts as a fresh copy with those weights does
    assert len(seen.weights) == 2 and all(np.array_equal(a, b) for a, b in zip(model.get_weights(), seen.weights[0]))
    assert not all(np.array_equal(a, b) for a, b in zip(seen.weights[0], seen.weights[1]))
    np.testing.assert_array_equal(model.predict(_images(), verbose=0).argmax(-1), _predictions_with(seen.weights[0], _images()))
    # recorded, but as cut short: apart from the results
    entry = json.loads((results_dir / "smoke" / "incomplete" / "tiny.json").read_text())
    assert entry["interrupted"] is True and entry["stop_reason"] == "time budget" and entry["epochs"] == 2
    assert not (results_dir / "smoke" / "tiny.json").exists()


def test_the_stop_button_mid_epoch_keeps_the_best_weights_and_a_usable_model(results_dir, capsys):
    seen, model = _WeightsAtEpochEnd(), _tiny()
    # best value in epoch 2; stop pressed as the third batch of epoch 3 begins: two batches changed the weights since
    run = training.train_and_record("tiny", model, tiny_dataset(), tiny_dataset(), epochs=5, verbose=0,
                                    monitor=_Scripted([0.3, 0.9, 0.5, 0.5, 0.5]), callbacks=[seen, _StopButtonAt(2, 2)],
                                    dataset="tiny_digits", data_source="real subset", train_size=N_IMAGES,
                                    test_size=N_IMAGES, batch_size=BATCH)
    out = capsys.readouterr().out  # train_and_record returned normally: the next cell runs
    assert run.stop_reason == "interrupted" and run.epochs == 2 and run.best_epoch == 2 and run.restored_best
    assert run.images == 2 * N_IMAGES + 2 * BATCH  # two epochs and two batches were trained
    assert "CUT SHORT by the stop button (KeyboardInterrupt) after 2 of 5 epochs" in out
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), seen.weights[1]))
    np.testing.assert_array_equal(model.predict(_images(), verbose=0).argmax(-1), _predictions_with(seen.weights[1], _images()))
    labels = np.arange(N_IMAGES) % 2
    predicted = _predictions_with(seen.weights[1], np.concatenate([x.numpy() for x, _ in tiny_dataset()]))
    assert run.test_accuracy == np.mean(predicted == labels)  # test accuracy of the best weights, counted apart
    assert json.loads((results_dir / "smoke" / "incomplete" / "tiny.json").read_text())["stop_reason"] == "interrupted"
