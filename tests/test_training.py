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


def test_warmup_cosine_rises_then_decays():
    import pytest

    schedule = training.warmup_cosine(0.01, total_steps=200, warmup_fraction=0.1)
    rates = [float(schedule(step)) for step in range(201)]
    assert rates[0] == 0.0 and max(rates) == pytest.approx(0.01) and int(np.argmax(rates)) == 20
    assert all(a <= b for a, b in zip(rates[:20], rates[1:21]))
    assert all(a >= b - 1e-12 for a, b in zip(rates[20:], rates[21:])) and rates[-1] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="warmup_fraction"):
        training.warmup_cosine(0.01, total_steps=1)


def test_trace_by_type_adds_up():
    from course_utils import models, tracing

    t = tracing.trace(models.lenet5_modern())
    shares = t.by_type("Conv2D", "Dense")
    assert sum(p for p, _ in shares.values()) == t.total_params
    assert shares["Conv2D"][0] == 156 + 2416 + 48120
