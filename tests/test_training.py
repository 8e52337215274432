import json
import math
import time

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from training_fakes import BATCH, N_IMAGES, FakeClock, Tick, tiny_dataset, tiny_model

from course_utils import schedules, training


class _Scripted:
    """A monitor whose value in each epoch is fixed in advance, so the best epoch is known."""

    name = "val_scripted_accuracy"

    def __init__(self, values):
        self.values = list(values)
        self.calls = 0

    def __call__(self, logs):
        self.calls += 1
        return self.values[self.calls - 1]


class _WeightsAtEpochEnd(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


class _InterruptAtEpochEnd(keras.callbacks.Callback):
    """Presses stop at the end of epoch ``epoch`` (counted from 0), as the stop button would."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_fit_times_and_keeps_history(tmp_path):
    model = tiny_model()
    run = training.fit(model, tiny_dataset(), epochs=2, validation_data=tiny_dataset(), images_per_epoch=N_IMAGES,
                       checkpoint=tmp_path / "best.keras", verbose=0)
    assert run.epochs == 2 and run.seconds > 0 and run.images == 2 * N_IMAGES and not run.interrupted
    assert run.stop_reason is None and run.monitor == "val_accuracy"
    assert set(run.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    best_by_hand = int(np.argmax(run.history["val_accuracy"])) + 1  # first epoch with the highest value
    assert run.best_epoch == best_by_hand and run.checkpoint == tmp_path / "best.keras"
    saved = keras.models.load_model(tmp_path / "best.keras")
    y_true, y_pred = training.predict_classes(saved, tiny_dataset())
    np.testing.assert_array_equal(y_true, np.arange(N_IMAGES) % 2)
    # the model in memory holds the best epoch's weights too (restore_best: a validation metric is watched)
    assert _same(saved.get_weights(), model.get_weights())


def test_interrupt_keeps_the_best_weights_and_finished_epochs(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COURSE_VERBOSE", "1")  # the checkpoint line is machinery, shown in verbose mode
    model, weights = tiny_model(), _WeightsAtEpochEnd()
    # best value in epoch 2 (index 1); the stop button is pressed at the end of epoch 3 (index 2)
    run = training.fit(model, tiny_dataset(), epochs=5, images_per_epoch=N_IMAGES, monitor=_Scripted([0.3, 0.9, 0.5, 0.1, 0.1]),
                       callbacks=[weights, _InterruptAtEpochEnd(2)], checkpoint=tmp_path / "best.keras", verbose=0)
    out = capsys.readouterr().out
    assert run.interrupted and run.stop_reason == "interrupted" and "CUT SHORT by the stop button" in out
    assert run.epochs == 2 and run.history["val_scripted_accuracy"] == [0.3, 0.9]  # epoch 3 never logged
    assert run.best_epoch == 2 and run.best_value == 0.9 and run.restored_best
    assert run.images == 3 * N_IMAGES  # three epochs of steps were trained, all of them timed
    assert len(weights.weights) == 3 and not _same(weights.weights[1], weights.weights[2])
    assert _same(model.get_weights(), weights.weights[1])
    assert _same(keras.models.load_model(tmp_path / "best.keras").get_weights(), weights.weights[1])
    assert "checkpoint: best val_scripted_accuracy 0.9000 at epoch 2, saved to" in out


def test_interrupt_in_the_first_epoch_saves_no_checkpoint(tmp_path, capsys):
    run = training.fit(tiny_model(), tiny_dataset(), epochs=3, validation_data=tiny_dataset(), callbacks=[_InterruptAtEpochEnd(0)],
                       checkpoint=tmp_path / "best.keras", verbose=0)
    assert run.stop_reason == "interrupted" and run.epochs == 0 and run.best_epoch is None and run.checkpoint is None
    assert not (tmp_path / "best.keras").exists()
    assert "checkpoint: NONE saved (no epoch finished)" in capsys.readouterr().out


def test_restore_best_false_keeps_the_last_weights():
    model, weights = tiny_model(), _WeightsAtEpochEnd()
    run = training.fit(model, tiny_dataset(), epochs=3, monitor=_Scripted([0.9, 0.2, 0.1]), restore_best=False,
                       callbacks=[weights], verbose=0)
    assert run.best_epoch == 1 and not run.restored_best
    assert _same(model.get_weights(), weights.weights[2])


def test_a_stale_checkpoint_is_moved_aside_never_deleted(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COURSE_VERBOSE", "1")  # the rename is said in verbose mode
    (tmp_path / "best.keras").write_bytes(b"an earlier run's model")
    (tmp_path / "best.previous.keras").write_bytes(b"an even earlier one")
    run = training.fit(tiny_model(), tiny_dataset(), epochs=1, validation_data=tiny_dataset(), checkpoint=tmp_path / "best.keras", verbose=0)
    assert (tmp_path / "best.previous.keras").read_bytes() == b"an even earlier one"
    assert (tmp_path / "best.previous-2.keras").read_bytes() == b"an earlier run's model"
    assert "was renamed to best.previous-2.keras" in capsys.readouterr().out
    assert run.checkpoint == tmp_path / "best.keras" and keras.models.load_model(run.checkpoint).count_params() == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.keras", "best.previous-2.keras", "best.previous.keras"]






def test_time_budget_stops_before_an_epoch_that_would_not_fit(monkeypatch, capsys):
    clock = FakeClock()
    monkeypatch.setattr(training, "time", clock)
    # 4 batches of 1 s: epoch 1 ends at 4 s; a second one would end at 8 s > 5.5 s, so training stops
    monkeypatch.setenv("COURSE_TIME_BUDGET", "5.5")  # the session's budget: the learner is told
    run = training.fit(tiny_model(), tiny_dataset(), epochs=10, images_per_epoch=N_IMAGES, callbacks=[Tick(clock)], verbose=0)
    assert run.stop_reason == "time budget" and run.interrupted and run.epochs == 1 and not run.partial_last_epoch
    assert run.seconds == 4.0 and run.images == N_IMAGES
    assert "CUT SHORT by the time budget of 5.5 s after 1 of 10 epochs" in capsys.readouterr().out
    monkeypatch.delenv("COURSE_TIME_BUDGET")
    clock.now = 0.0
    training.fit(tiny_model(), tiny_dataset(), epochs=10, callbacks=[Tick(clock)], time_budget_s=5.5, verbose=0)
    assert capsys.readouterr().out == ""  # a budget the caller passed is by design: nothing to warn about


def test_time_budget_from_the_environment_stops_mid_epoch(monkeypatch, capsys):
    clock = FakeClock()
    monkeypatch.setattr(training, "time", clock)
    monkeypatch.setenv("COURSE_TIME_BUDGET", "2.5")
    # over budget after the third batch (3 s > 2.5 s): the first epoch ends there, 3 of its 4 batches trained
    run = training.fit(tiny_model(), tiny_dataset(), epochs=10, images_per_epoch=N_IMAGES, callbacks=[Tick(clock)], verbose=0)
    assert run.stop_reason == "time budget" and run.epochs == 1 and run.partial_last_epoch
    assert run.images == N_IMAGES * 3 // 4
    assert "(the last one cut short)" in capsys.readouterr().out


def test_time_budget_that_is_not_reached_changes_nothing(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(training, "time", clock)
    run = training.fit(tiny_model(), tiny_dataset(), epochs=2, callbacks=[Tick(clock)], time_budget_s=100, verbose=0)
    assert run.stop_reason is None and run.epochs == 2


def test_bad_time_budget_says_how_to_fix_it(monkeypatch):
    monkeypatch.setenv("COURSE_TIME_BUDGET", "ten minutes")
    with pytest.raises(ValueError, match="COURSE_TIME_BUDGET='ten minutes' is not a positive number of seconds"):
        training.fit(tiny_model(), tiny_dataset(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="time_budget_s must be a positive"):
        training.fit(tiny_model(), tiny_dataset(), epochs=1, time_budget_s=0, verbose=0)


def test_checkpoint_must_be_keras_format():
    with pytest.raises(ValueError, match=r"\.keras"):
        training.fit(tiny_model(), tiny_dataset(), epochs=1, checkpoint="model.h5", verbose=0)


# --- multi-output models -------------------------------------------------------------------------------


def _two_heads():
    """Input: one-hot of a label in {0, 1}. Head 'a' copies it (always right), head 'b' swaps it (always wrong)."""
    inputs = keras.Input((2,), name="x")
    a = keras.layers.Dense(2, activation="softmax", name="a")(inputs)
    b = keras.layers.Dense(2, activation="softmax", name="b")(inputs)
    model = keras.Model(inputs, [a, b])
    model.get_layer("a").set_weights([5 * np.eye(2), np.zeros(2)])
    model.get_layer("b").set_weights([5 * np.eye(2)[::-1], np.zeros(2)])
    return model


def _one_hot_data(labels):
    labels = np.asarray(labels)
    return np.eye(2, dtype="float32")[labels], labels


def test_evaluate_heads_knows_which_head_is_right():
    x, y = _one_hot_data([0, 1, 1, 0, 1, 0])
    for labels in ({"a": y, "b": y}, (y, y)):
        ds = tf.data.Dataset.from_tensor_slices((x, labels)).batch(4)
        scores = training.evaluate_heads(_two_heads(), ds, ["a", "b"])
        assert scores.per_head == {"a": 1.0, "b": 0.0} and scores.sequence == 0.0 and scores.n == 6


def test_sequence_accuracy_needs_every_head_right():
    x, y = _one_hot_data([0, 1, 1, 0, 1, 0])
    # head a (copies the input) is right where its label equals y: samples 0-3; head b (swaps it) where
    # its label is 1 - y: samples 2-4. Both right: samples 2 and 3, so 2 of 6.
    labels_a = np.where(np.arange(6) < 4, y, 1 - y)
    labels_b = np.where((np.arange(6) >= 2) & (np.arange(6) <= 4), 1 - y, y)
    ds = [(x[:3], {"a": labels_a[:3], "b": labels_b[:3]}), (x[3:], {"a": labels_a[3:], "b": labels_b[3:]})]
    scores = training.evaluate_heads(_two_heads(), ds)  # head names from model.output_names
    assert scores.per_head == {"a": 4 / 6, "b": 3 / 6} and scores.sequence == 2 / 6


def test_predict_classes_shapes_for_one_and_many_heads():
    x, y = _one_hot_data([0, 1, 1])
    y_true, y_pred = training.predict_classes(_two_heads(), [(x, np.stack([y, y], axis=1))])
    assert y_true.shape == y_pred.shape == (3, 2)
    np.testing.assert_array_equal(y_pred, [[0, 1], [1, 0], [1, 0]])
    single = keras.Sequential([keras.Input((2,)), keras.layers.Identity()])
    y_true, y_pred = training.predict_classes(single, [(x, y.reshape(-1, 1))])  # CIFAR-style (N, 1) labels
    assert y_true.shape == y_pred.shape == (3,)
    np.testing.assert_array_equal(y_pred, [0, 1, 1])


def test_predict_classes_explains_labels_it_cannot_split():
    x, y = _one_hot_data([0, 1])
    with pytest.raises(ValueError, match=r"lacks \['b'\]"):
        training.predict_classes(_two_heads(), [(x, {"a": y})])


def _compiled_two_heads():
    model = _two_heads()
    model.compile("adam", ["sparse_categorical_crossentropy"] * 2, metrics=[["accuracy"], ["accuracy"]])
    return model


def _two_headtiny_dataset():
    x, y = _one_hot_data(np.arange(16) % 2)
    return tf.data.Dataset.from_tensor_slices((x, (y, y))).batch(8)


def test_missing_monitor_lists_the_keys_that_exist():
    with pytest.raises(ValueError, match=r"'val_accuracy' is not among the metrics.*val_a_accuracy, val_a_loss"):
        training.fit(_compiled_two_heads(), _two_headtiny_dataset(), epochs=2, validation_data=_two_headtiny_dataset(), verbose=0)
    with pytest.raises(ValueError, match=r"'val_c_accuracy' is not among"):
        training.fit(_compiled_two_heads(), _two_headtiny_dataset(), epochs=2, validation_data=_two_headtiny_dataset(), verbose=0,
                     monitor=training.mean_of("val_a_accuracy", "val_c_accuracy"))


def test_mean_of_heads_is_monitored_and_in_the_history():
    run = training.fit(_compiled_two_heads(), _two_headtiny_dataset(), epochs=2, validation_data=_two_headtiny_dataset(), verbose=0,
                       monitor=training.mean_of("val_a_accuracy", "val_b_accuracy"))
    h = run.history
    assert h["val_mean_accuracy"] == [(a + b) / 2 for a, b in zip(h["val_a_accuracy"], h["val_b_accuracy"])]
    assert run.monitor == "val_mean_accuracy" and run.best_value == max(h["val_mean_accuracy"])
    assert training.mean_of("val_a_loss", "val_b_loss", name="val_mean_loss").name == "val_mean_loss"
    with pytest.raises(ValueError, match="give the mean a name"):
        training.mean_of("val_a_loss", "val_b_loss")


# --- train_and_record ------------------------------------------------------------------------------------


def _untrained():
    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])


def _record_args(**overrides):
    args = dict(epochs=2, optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                dataset="mnist", train_size=N_IMAGES, test_size=N_IMAGES, batch_size=BATCH, data_source="real subset",
                verbose=0)
    return {**args, **overrides}


def test_train_and_record_compiles_fits_evaluates_and_records(results_dir):
    model = _untrained()
    run = training.train_and_record("tiny", model, tiny_dataset(), tiny_dataset(), **_record_args())
    keras_accuracy = model.evaluate(tiny_dataset(), return_dict=True, verbose=0)["accuracy"]  # Keras' own metric
    assert run.test_accuracy == pytest.approx(keras_accuracy) and run.epochs == 2
    assert run.record_path == results_dir / "smoke" / "tiny.json"
    entry = json.loads(run.record_path.read_text())
    assert entry["test_accuracy"] == round(run.test_accuracy, 5) and entry["data_source"] == "real subset"
    assert entry["epochs"] == 2 and entry["interrupted"] is False and entry["train_size"] == N_IMAGES


def test_train_and_record_files_a_cut_short_run_apart(results_dir):
    run = training.train_and_record("tiny", _untrained(), tiny_dataset(), tiny_dataset(),
                                    **_record_args(epochs=3, callbacks=[_InterruptAtEpochEnd(1)]))
    assert run.stop_reason == "interrupted"
    assert run.record_path == results_dir / "smoke" / "incomplete" / "tiny.json"
    assert not (results_dir / "smoke" / "tiny.json").exists()


def test_train_and_record_refuses_to_pick_the_best_epoch_on_the_test_set(results_dir):
    test_ds = tiny_dataset()
    with pytest.raises(ValueError, match="validation_data is the test set"):
        training.train_and_record("tiny", _untrained(), tiny_dataset(), test_ds, **_record_args(validation_data=test_ds))
    run = training.train_and_record("tiny", _untrained(), tiny_dataset(), test_ds, record=False,
                                    **_record_args(validation_data=test_ds, restore_best=False))
    assert run.record_path is None and run.epochs == 2 and not (results_dir / "smoke").exists()


def test_train_and_record_needs_what_it_records():
    with pytest.raises(ValueError, match="recording needs data_source"):
        training.train_and_record("tiny", _untrained(), tiny_dataset(), tiny_dataset(), **_record_args(data_source=None))
    with pytest.raises(ValueError, match="data_source='mnist' is not one of"):
        training.train_and_record("tiny", _untrained(), tiny_dataset(), tiny_dataset(), **_record_args(data_source="mnist"))


def test_train_and_record_with_two_heads(results_dir):
    x, y = _one_hot_data(np.arange(16) % 2)
    test_ds = tf.data.Dataset.from_tensor_slices((x, {"a": y, "b": y})).batch(8)
    model = _two_heads()  # head a always right, head b always wrong; a tiny learning rate keeps it so
    run = training.train_and_record(
        "heads", model, _two_headtiny_dataset(), test_ds,
        **_record_args(epochs=1, optimizer=keras.optimizers.SGD(1e-6), loss=["sparse_categorical_crossentropy"] * 2,
                       metrics=[["accuracy"], ["accuracy"]], monitor="a_accuracy", train_size=16, test_size=16),
    )
    assert run.head_accuracy == {"a": 1.0, "b": 0.0} and run.test_accuracy == 0.0
    assert json.loads(run.record_path.read_text())["extra"] == {"head_test_accuracy": {"a": 1.0, "b": 0.0}}


def test_warmup_cosine_rises_then_decays():
    schedule = schedules.warmup_cosine(0.01, total_steps=200, warmup_fraction=0.1)
    rates = [float(schedule(step)) for step in range(201)]
    assert rates[0] == 0.0 and max(rates) == pytest.approx(0.01) and int(np.argmax(rates)) == 20
    assert all(a <= b for a, b in zip(rates[:20], rates[1:21]))
    assert all(a >= b - 1e-12 for a, b in zip(rates[20:], rates[21:])) and rates[-1] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="warmup_fraction"):
        schedules.warmup_cosine(0.01, total_steps=1)


def _scheduled_tiny_model(epochs: int):
    """tiny_model with Adam on a warm-up + cosine schedule over ``epochs`` x 4 steps (N_IMAGES / BATCH = 4 per epoch)."""
    model = tiny_model()
    steps = epochs * N_IMAGES // BATCH
    model.compile(keras.optimizers.Adam(schedules.warmup_cosine(0.01, total_steps=steps)), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_fit_refuses_a_schedule_of_another_length_unless_it_is_trained_in_parts():
    with pytest.raises(ValueError, match="schedule spans 12 steps, but fit runs 2 epoch\\(s\\) x 4 steps = 8"):
        training.fit(_scheduled_tiny_model(3), tiny_dataset(), epochs=2, verbose=0)
    assert training.fit(_scheduled_tiny_model(3), tiny_dataset(), epochs=3, verbose=0).epochs == 3
    model = _scheduled_tiny_model(3)  # a loop of one-epoch calls (benchmarks/bench_lenet.py): 3 fit, the 4th runs past
    for _ in range(3):
        training.fit(model, tiny_dataset(), epochs=1, verbose=0, part_of_schedule=True)
    assert int(model.optimizer.iterations) == 12
    with pytest.raises(ValueError, match="spans 12 steps and 12 are done"):
        training.fit(model, tiny_dataset(), epochs=1, verbose=0, part_of_schedule=True)


def test_trace_by_type_adds_up():
    from course_utils import models, tracing

    t = tracing.trace(models.lenet5_modern())
    shares = t.by_type("Conv2D", "Dense")
    assert sum(p for p, _ in shares.values()) == t.total_params
    assert shares["Conv2D"][0] == 156 + 2416 + 48120


def test_record_run_carries_the_cut_short_flags(results_dir):
    run = training.fit(tiny_model(), tiny_dataset(), epochs=3, images_per_epoch=N_IMAGES, callbacks=[_InterruptAtEpochEnd(1)],
                       verbose=0)
    with pytest.raises(ValueError, match="test_accuracy is not set"):
        training.record_run("tiny", tiny_model(), run, dataset="mnist", train_size=N_IMAGES, test_size=N_IMAGES,
                            batch_size=BATCH, data_source="real file")
    path = training.record_run("tiny", tiny_model(), run, test_accuracy=0.25, dataset="mnist", train_size=N_IMAGES,
                               test_size=N_IMAGES, batch_size=BATCH, data_source="real file")
    entry = json.loads(path.read_text())
    assert path == results_dir / "smoke" / "incomplete" / "tiny.json"
    assert (entry["interrupted"], entry["stop_reason"], entry["epochs"], entry["test_accuracy"]) == (
        True, "interrupted", 1, 0.25)


@settings(max_examples=200, deadline=None)
@given(seconds=st.floats(0.5, 5000), speed=st.floats(1, 5000), train_size=st.integers(1, 60000),
       batch_size=st.integers(1, 512))
def test_plan_for_seconds_spends_the_time_within_one_epoch_and_never_passes_the_data_twice_per_epoch(
        seconds, speed, train_size, batch_size):
    plan = training.plan_for_seconds(seconds, speed, train_size, batch_size)
    wanted = max(2, round(seconds * speed / batch_size))
    assert plan.steps_per_epoch <= max(2, math.ceil(train_size / batch_size)) and plan.steps_per_epoch >= 1
    assert abs(plan.steps - wanted) <= plan.epochs / 2
    assert plan.epochs >= 1 and plan.steps >= 2


def test_plan_for_seconds_gives_the_slower_network_fewer_steps_and_rejects_nonsense():
    fast, slow = (training.plan_for_seconds(120, s, 5085, 64) for s in (100.0, 25.0))
    # 120 s x 100 / 64 = 187.5 -> 188 steps; a pass is ceil(5085 / 64) = 80 steps, so 3 epochs of 63 (189);
    # 120 x 25 / 64 = 46.9 -> 47 steps, less than one pass: one epoch of 47
    assert (fast.epochs, fast.steps_per_epoch, fast.steps) == (3, 63, 189)
    assert (slow.epochs, slow.steps_per_epoch, slow.steps) == (1, 47, 47)
    for bad in [(0, 10, 100, 8), (10, -1, 100, 8), (10, 10, 0, 8)]:
        with pytest.raises(ValueError, match="need"):
            training.plan_for_seconds(*bad)


@settings(max_examples=200, deadline=None)
@given(seconds=st.floats(20, 5000), speed=st.floats(1, 5000), train_size=st.integers(1, 60000),
       batch_size=st.integers(1, 512), fixed=st.floats(0, 10), per_epoch=st.floats(0, 2))
def test_a_plan_with_overheads_fills_the_seconds_with_as_few_epochs_as_fit(
        seconds, speed, train_size, batch_size, fixed, per_epoch):
    plan = training.plan_for_seconds(seconds, speed, train_size, batch_size, fixed_seconds=fixed,
                                     seconds_per_epoch=per_epoch)
    per_pass, step = math.ceil(train_size / batch_size), batch_size / speed  # steps per pass, seconds per step
    assert 1 <= plan.steps_per_epoch <= max(2, per_pass)
    wanted = (seconds - fixed - plan.epochs * per_epoch) * speed / batch_size  # steps the rest of the time buys
    # a validation pass costs less than half a training pass, a pass has 4 steps or more (else an epoch's
    # validation can outweigh its steps, and whole epochs cannot fill the time to within a step)
    if wanted > 2.5 and per_epoch <= per_pass * step / 2 and per_pass >= 4:  # the plan misses by rounding only
        assert abs(plan.planned_seconds(batch_size) - seconds) <= (plan.epochs / 2 + 0.5) * step + 1e-6
    if plan.epochs > 1:  # one epoch fewer would have needed more than one pass per epoch
        fewer = (seconds - fixed - (plan.epochs - 1) * per_epoch) * speed / batch_size
        assert max(2, round(fewer)) > (plan.epochs - 1) * per_pass


def test_overheads_come_off_the_budget_before_the_steps():
    plain = training.plan_for_seconds(150, 120, 5085, 64)  # 150 s x 120 / 64 = 281 steps: 4 epochs of 70
    costly = training.plan_for_seconds(150, 120, 5085, 64, fixed_seconds=15, seconds_per_epoch=2.5)
    # 4 epochs: (150 - 15 - 10) x 120 / 64 = 234 steps, at most 3 passes (240): 3 epochs are enough?
    # 3 epochs: (150 - 15 - 7.5) x 120 / 64 = 239 steps <= 240 -> 3 x 80 steps
    assert (plain.epochs, plain.steps_per_epoch) == (4, 70)
    assert (costly.epochs, costly.steps_per_epoch) == (3, 80)
    assert costly.planned_seconds(64) == pytest.approx(15 + 3 * 2.5 + 240 * 64 / 120)  # 150.5 s
    assert training.plan_for_seconds(10, 120, 5085, 64, fixed_seconds=30).steps == 2  # overheads beyond the budget
    with pytest.raises(ValueError, match="fixed_seconds >= 0"):
        training.plan_for_seconds(10, 120, 5085, 64, fixed_seconds=-1)
    assert training.TimePlan(None, None, 3, 79).planned_seconds(64) is None  # whole passes: no speed, no estimate


def _plan_for_seconds_by_linear_search(seconds, images_per_second, train_size, batch_size, fixed_seconds=0.0,
                                       seconds_per_epoch=0.0):
    """The linear search ``plan_for_seconds`` used until issue 24, kept as the reference for its faster form."""
    per_pass = math.ceil(train_size / batch_size)
    epochs = 1
    while True:
        steps = max(2, round((seconds - fixed_seconds - epochs * seconds_per_epoch) * images_per_second / batch_size))
        if steps <= epochs * per_pass:
            break
        epochs += 1
    return training.TimePlan(seconds, images_per_second, epochs, max(1, round(steps / epochs)),
                             float(fixed_seconds), float(seconds_per_epoch))


# whole numbers as well as floats, so that (seconds - overheads) x speed / batch lands on .5 ties for round()
_small_seconds = st.one_of(st.integers(1, 120), st.floats(0.01, 120), st.sampled_from([0.5, 1.5, 2.5, 12.5]))


@settings(max_examples=400, deadline=None)
@given(seconds=_small_seconds, speed=st.one_of(st.integers(1, 200), st.floats(0.01, 200)),
       train_size=st.integers(1, 3000), batch_size=st.integers(1, 64),
       fixed=st.one_of(st.just(0.0), st.integers(0, 60), st.floats(0, 60)),
       per_epoch=st.one_of(st.just(0.0), st.integers(0, 3), st.floats(0, 3), st.floats(0, 1e-3)))
def test_plan_for_seconds_is_the_plan_the_linear_search_found(seconds, speed, train_size, batch_size, fixed,
                                                               per_epoch):
    # at most 120 x 200 / 1 = 24,000 steps: the reference's loop stays short
    expected = _plan_for_seconds_by_linear_search(seconds, speed, train_size, batch_size, fixed, per_epoch)
    assert training.plan_for_seconds(seconds, speed, train_size, batch_size, fixed_seconds=fixed,
                                     seconds_per_epoch=per_epoch) == expected


def test_plan_for_seconds_is_quick_where_the_linear_search_took_seconds():
    start = time.perf_counter()
    # 5000 s x 5000 images/s / 1 image a step = 25,000,000 steps; a pass is 1 step: 25,000,000 epochs of 1
    plan = training.plan_for_seconds(5000, 5000, 1, 1)
    # (10,000 - 100) x 1000 / 1 = 9,900,000 steps before validation; 10 s a validation, a pass of 1 step:
    # e epochs leave (9,900 - 10 e) x 1000 steps <= e  <=>  e >= 9,900,000 / 10,001 = 989.9...: 990 epochs,
    # (9,900 - 9,900) x 1000 = 0 -> at least 2 steps, round(2 / 990) = 0 -> at least 1 step an epoch
    costly = training.plan_for_seconds(10_000, 1000, 1, 1, fixed_seconds=100, seconds_per_epoch=10)
    assert time.perf_counter() - start < 0.5  # the linear search took 24 s on the first
    assert (plan.epochs, plan.steps_per_epoch) == (25_000_000, 1)
    assert (costly.epochs, costly.steps_per_epoch) == (990, 1)


def test_measure_training_costs_times_steps_after_the_first_and_a_validation_pass():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    ds = tf.data.Dataset.from_tensor_slices((np.eye(4, dtype="float32"), [0, 1, 0, 1])).batch(2)
    costs = training.measure_training_costs(model, ds, batch_size=2, batches=3)  # 3 batches > the 2 in ds: repeats
    assert int(model.optimizer.iterations) == 1 + 3  # one step that builds the training function, 3 timed
    assert costs.images_per_second > 0 and costs.fixed_seconds > 0 and costs.validation_seconds == 0
    validated = training.measure_training_costs(model, ds, batch_size=2, batches=3, validation_data=ds)
    assert validated.validation_seconds > 0
    with pytest.raises(ValueError, match="at least 1"):
        training.measure_training_costs(model, ds, batch_size=2, batches=0)
    with pytest.raises(ValueError, match="is it empty"):
        training.measure_training_costs(model, ds.take(0), batch_size=2, batches=3)


def _counting_builder():
    """A ``build`` for plan_training (a compiled 4 -> 2 softmax each call), the list of what it built, 4 images."""
    built = []

    def build():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy")
        built.append(model)
        return model

    return build, built, tf.data.Dataset.from_tensor_slices((np.eye(4, dtype="float32"), [0, 1, 0, 1])).batch(2)


def test_plan_training_times_a_throwaway_copy_only_when_given_seconds():
    build, built, ds = _counting_builder()
    by_epochs = training.plan_training(build, ds, train_size=4, batch_size=2, epochs=3)
    assert (by_epochs.epochs, by_epochs.steps_per_epoch, built) == (3, 2, [])  # nothing built, nothing timed
    by_time = training.plan_training(build, ds, train_size=4, batch_size=2, seconds=0.5, batches=2)
    assert len(built) == 1 and int(built[0].optimizer.iterations) == 1 + 2
    assert by_time.seconds == 0.5 and by_time.images_per_second > 0 and by_time.steps >= 2


def test_a_kept_plan_is_reused_with_retrain_false_so_the_cached_weights_key_matches(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    build, built, ds = _counting_builder()
    sizes = dict(train_size=4, batch_size=2, seconds=0.5, batches=2, name="tiny net")
    first = training.plan_training(build, ds, **sizes)  # retrain=True: timed, and kept
    assert len(built) == 1 and training.warm_start.plan_file("tiny net").is_file()
    again = training.plan_training(build, ds, retrain=False, **sizes)
    assert again == first and len(built) == 1  # nothing built or timed
    assert "REUSED the plan of tiny net" in capsys.readouterr().out
    training.plan_training(build, ds, retrain=True, **sizes)  # RETRAIN = True times the machine again
    assert len(built) == 2
    other = training.plan_training(build, ds, retrain=False, **{**sizes, "seconds": 0.7})  # other seconds: timed
    assert len(built) == 3 and other.seconds == 0.7
    assert "made for other sizes" in capsys.readouterr().out
    training.warm_start.plan_file("tiny net").write_text("{not json", encoding="utf-8")  # corrupt: timed, never a crash
    training.plan_training(build, ds, retrain=False, **sizes)
    assert len(built) == 4 and "unreadable" in capsys.readouterr().out


def _planned_model(total_steps: int):
    """tiny_model with Adam on a warm-up + cosine schedule over ``total_steps``; the schedule too."""
    schedule = training.warmup_cosine(1e-2, total_steps)
    model = tiny_model()
    model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, schedule


def _plan(seconds: float, epochs: int, steps_per_epoch: int = N_IMAGES // BATCH) -> training.TimePlan:
    return training.TimePlan(seconds, images_per_second=1.0, epochs=epochs, steps_per_epoch=steps_per_epoch)


def test_a_time_plan_that_overestimated_the_speed_is_held_by_stopping_earlier(monkeypatch, capsys):
    clock = FakeClock()
    monkeypatch.setattr(training, "time", clock)
    # planned: 4 epochs x 4 steps in 10 s (0.6 s a step); each step takes 1 s here, so 10 s buy 10 steps:
    # two epochs and half of the third, which still validates; the schedule now ends at step 10
    model, schedule = _planned_model(16)
    plan = _plan(10.0, epochs=4)
    run = training.fit(model, tiny_dataset().repeat(), plan.epochs, steps_per_epoch=plan.steps_per_epoch,
                       validation_data=tiny_dataset(), images_per_epoch=N_IMAGES, callbacks=[Tick(clock)],
                       time_plan=plan, restore_best=False)
    assert run.seconds == 10.0 and run.stop_reason is None and not run.interrupted
    assert (run.steps_planned, run.steps_run, run.planned_seconds) == (16, 10, 10.0)
    assert run.epochs == 3 and run.partial_last_epoch and len(run.history["val_accuracy"]) == 3
    assert run.images == 10 * BATCH
    assert int(model.optimizer.iterations) == 10 and schedule.total_steps == 10
    assert float(schedule(10)) == 0.0  # the rate annealed to its end at the last step
    printed = capsys.readouterr().out
    assert "epoch 3/3 (2 steps): " in printed and "val_accuracy: " in printed
    assert "time plan: fit took 10 s for a plan of 10 s (+0.0%); 10 steps, re-planned from 16" in printed


def test_a_time_plan_that_underestimated_the_speed_trains_longer_up_to_the_stretch(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(training, "time", clock)
    model, schedule = _planned_model(8)  # 2 epochs x 4 steps planned in 10 s; 1 s a step buys 10
    run = training.fit(model, tiny_dataset().repeat(), 2, steps_per_epoch=4, callbacks=[Tick(clock)],
                       time_plan=_plan(10.0, epochs=2), verbose=0)
    assert (run.seconds, run.steps_run, schedule.total_steps, run.epochs) == (10.0, 10, 10, 3)
    model, schedule = _planned_model(4)  # 1 epoch x 4 steps in 100 s: capped at 50 % more, 6 steps
    clock.now = 0.0
    run = training.fit(model, tiny_dataset().repeat(), 1, steps_per_epoch=4, callbacks=[Tick(clock)],
                       time_plan=_plan(100.0, epochs=1), verbose=0)
    assert (run.steps_run, schedule.total_steps, int(model.optimizer.iterations)) == (6, 6, 6)
    assert run.steps_run == math.ceil(4 * (1 + training.PLAN_STRETCH))


def test_a_time_plan_checks_the_call_and_the_schedule():
    model, _ = _planned_model(8)
    with pytest.raises(ValueError, match=r"holds the time plan of 2 epoch\(s\) x 4 steps, but was asked for 1 x 8"):
        training.fit(model, tiny_dataset().repeat(), 1, steps_per_epoch=8, time_plan=_plan(10.0, epochs=2), verbose=0)
    model = tiny_model()
    model.compile(keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(1e-2, 10, 0.9)),
                  "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="the ExponentialDecay schedule cannot move: build it with training.warmup_cosine"):
        training.fit(model, tiny_dataset().repeat(), 2, steps_per_epoch=4, time_plan=_plan(10.0, epochs=2), verbose=0)
    model = tiny_model()  # a constant rate: the steps move, nothing else
    run = training.fit(model, tiny_dataset().repeat(), 2, steps_per_epoch=4, time_plan=_plan(1e-9, epochs=2), verbose=0)
    assert run.steps_run < 8


@settings(max_examples=200, deadline=None)
@given(left=st.floats(0, 500), per_step=st.floats(0.01, 5), per_validation=st.floats(0, 30),
       done=st.integers(0, 300), per_epoch=st.integers(1, 100), extra=st.integers(0, 400))
def test_steps_within_is_the_largest_total_whose_cost_fits(left, per_step, per_validation, done, per_epoch, extra):
    validations = done // per_epoch  # every finished epoch validated (the one at a boundary not yet)
    cap = done + extra
    total = training.steps_within(left, per_step, per_validation, done, per_epoch, validations, cap)

    def cost(m):
        return (m - done) * per_step + max(0, -(-m // per_epoch) - validations) * per_validation

    assert done <= total <= cap
    assert total == done or cost(total) <= left
    assert total == cap or cost(total + 1) > left
