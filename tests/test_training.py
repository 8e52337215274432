import keras
import numpy as np

from course_utils import data, training


def _tiny():
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _ds():
    x = np.random.default_rng(0).integers(0, 255, (32, 8, 8), dtype=np.uint8)
    return data.make_dataset(x, np.arange(32) % 2, batch_size=8)


def test_fit_times_and_keeps_history(tmp_path):
    run = training.fit(_tiny(), _ds(), epochs=2, validation_data=_ds(), images_per_epoch=32,
                       checkpoint=tmp_path / "best.keras", verbose=0)
    assert run.epochs == 2 and run.seconds > 0 and run.images == 64 and not run.interrupted
    assert set(run.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert (tmp_path / "best.keras").is_file()
    y_true, y_pred = training.predict_classes(keras.models.load_model(tmp_path / "best.keras"), _ds())
    assert 0.0 <= training.accuracy(y_true, y_pred) <= 1.0


class _StopAfter(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_interrupt_keeps_finished_epochs(capsys):
    model = _tiny()
    run = training.fit(model, _ds(), epochs=5, callbacks=[_StopAfter()], verbose=0)
    assert run.interrupted and "interrupted" in capsys.readouterr().out
    assert 1 <= run.epochs <= 2
    assert model.predict(np.zeros((1, 8, 8, 1)), verbose=0).shape == (1, 2)


def test_checkpoint_must_be_keras_format():
    import pytest

    with pytest.raises(ValueError, match=r"\.keras"):
        training.fit(_tiny(), _ds(), epochs=1, checkpoint="model.h5", verbose=0)
