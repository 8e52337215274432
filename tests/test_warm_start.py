"""Warm start: trained weights cached outside the repository, checked (sha256, shapes) before reuse."""

import json
import re
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest

from course_utils import data, session, training, warm_start

# 32 images in 4 batches of 8, two classes (as in test_training.py)
N_IMAGES, BATCH = 32, 8
WHERE = {"dataset": "tiny_digits", "data_source": "real subset", "train_size": N_IMAGES}


def _ds():
    x = np.random.default_rng(0).integers(0, 255, (N_IMAGES, 8, 8), dtype=np.uint8)
    return data.make_dataset(x, np.arange(N_IMAGES) % 2, batch_size=BATCH)


def _tiny(units=2, learning_rate=1e-2, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(units, activation="softmax")])
    model.compile(keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def trained(cache, capsys):
    """A tiny model trained 2 epochs through fit_or_reuse (so cached), its run and its cache entry."""
    model = _tiny()
    run = training.fit_or_reuse("tiny", model, _ds(), 2, images_per_epoch=N_IMAGES, verbose=0, **WHERE)
    entry = warm_start.entry_for("tiny", _tiny(seed=1), recipe=training._fit_recipe(2, {"images_per_epoch": N_IMAGES}, None),
                                 **WHERE)
    capsys.readouterr()
    return model, run, entry


def _no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("fit was called although the cache entry is good")
    monkeypatch.setattr(training, "fit", refuse)


def test_a_good_entry_is_reused_without_training(trained, monkeypatch, capsys):
    model, first, entry = trained
    assert entry.weights.is_file() and entry.sidecar.is_file()  # written under the cache folder of this test
    fresh = _tiny(seed=1)  # other initial weights: only loading can make them equal to the trained ones
    assert not _same(fresh.get_weights(), model.get_weights())
    _no_training(monkeypatch)
    again = training.fit_or_reuse("tiny", fresh, _ds(), 2, retrain=False, images_per_epoch=N_IMAGES, verbose=0, **WHERE)
    assert _same(fresh.get_weights(), model.get_weights())
    assert again.from_cache and not first.from_cache
    # the run that trained the weights, not a new one: its seconds, epochs and history
    assert again.seconds == first.seconds and again.epochs == 2 and again.history == first.history
    assert again.images == 2 * N_IMAGES and again.trained_at is not None
    assert "tiny: reused the weights trained before on this machine" in capsys.readouterr().out


def test_retrain_true_trains_even_with_a_good_entry(trained, capsys, monkeypatch):
    model, first, entry = trained
    monkeypatch.setenv("COURSE_VERBOSE", "1")  # the file's name is machinery, shown in verbose mode
    before = json.loads(entry.sidecar.read_text())["saved_at"]
    again = training.fit_or_reuse("tiny", _tiny(seed=1), _ds(), 2, images_per_epoch=N_IMAGES, verbose=0, **WHERE)
    assert not again.from_cache
    assert "warm start: weights saved to $COURSE_CACHE_DIR/weights/smoke/tiny-tiny_digits-real_subset-32-" in capsys.readouterr().out
    assert json.loads(entry.sidecar.read_text())["saved_at"] >= before
    monkeypatch.setenv("COURSE_VERBOSE", "0")
    training.fit_or_reuse("tiny", _tiny(seed=1), _ds(), 2, images_per_epoch=N_IMAGES, verbose=0, **WHERE)
    (line,) = capsys.readouterr().out.splitlines()  # trained and saved: one line, no file name
    assert line.startswith("tiny: trained 2 epochs in ") and "weights" not in line


def test_a_reused_run_says_so_in_one_line_without_a_date(trained, capsys):
    training.fit_or_reuse("tiny", _tiny(seed=1), _ds(), 2, retrain=False, images_per_epoch=N_IMAGES, verbose=0, **WHERE)
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("tiny: reused the weights trained before on this machine (2 epochs, ")
    assert not re.search(r"\d{4}-\d\d-\d\d", line)


def test_a_corrupt_weights_file_is_rejected_and_retrained(trained, capsys):
    model, first, entry = trained
    raw = bytearray(entry.weights.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte in the middle of the file
    entry.weights.write_bytes(bytes(raw))
    fresh = _tiny(seed=1)
    run = training.fit_or_reuse("tiny", fresh, _ds(), 2, retrain=False, images_per_epoch=N_IMAGES, verbose=0, **WHERE)
    out = capsys.readouterr().out
    assert "were REJECTED: the weights file is corrupt: its sha256 is" in out and "Training instead" in out
    assert not run.from_cache and run.epochs == 2  # trained now
    # the entry was replaced by the new run's weights: its recorded hash matches the file again
    sidecar = json.loads(entry.sidecar.read_text())
    assert sidecar["weights_sha256"] == warm_start.file_sha256(entry.weights)


def test_a_shape_mismatch_is_rejected_and_the_model_is_untouched(trained, capsys):
    _, _, entry = trained
    wider = _tiny(units=3, seed=2)  # Dense(3): kernel (64, 3) where the entry holds (64, 2)
    before = wider.get_weights()
    assert warm_start.load(entry, wider) is None
    out = capsys.readouterr().out
    assert "were REJECTED: it is stale" in out and "weight 0 was saved as (64, 2), this model's is (64, 3)" in out
    assert _same(wider.get_weights(), before)


def test_an_unreadable_sidecar_is_rejected(trained, capsys):
    _, _, entry = trained
    entry.sidecar.write_text("{ not json")
    assert warm_start.load(entry, _tiny(seed=1)) is None
    assert "its sidecar" in capsys.readouterr().out


def test_a_missing_weights_file_is_rejected(trained, capsys):
    _, _, entry = trained
    entry.weights.unlink()
    assert warm_start.load(entry, _tiny(seed=1)) is None
    assert f"its file {entry.weights.name} is missing" in capsys.readouterr().out


def test_a_file_keras_cannot_read_is_rejected_even_with_a_matching_hash(trained, capsys):
    _, _, entry = trained
    entry.weights.write_bytes(b"not an HDF5 file")
    sidecar = json.loads(entry.sidecar.read_text())
    sidecar["weights_sha256"] = warm_start.file_sha256(entry.weights)  # a consistent but useless entry
    entry.sidecar.write_text(json.dumps(sidecar))
    model = _tiny(seed=1)
    before = model.get_weights()
    assert warm_start.load(entry, model) is None
    assert "Keras could not load it" in capsys.readouterr().out
    assert _same(model.get_weights(), before)


def test_the_key_follows_the_recipe_not_the_session():
    recipe = {"epochs": 2}
    a = warm_start.entry_for("tiny", _tiny(seed=0), recipe=recipe, profile="smoke", **WHERE)
    b = warm_start.entry_for("tiny", _tiny(seed=5), recipe=recipe, profile="smoke", **WHERE)  # new layer/optimizer names
    assert a.weights == b.weights
    other_rate = warm_start.entry_for("tiny", _tiny(learning_rate=1e-3), recipe=recipe, profile="smoke", **WHERE)
    other_epochs = warm_start.entry_for("tiny", _tiny(), recipe={"epochs": 3}, profile="smoke", **WHERE)
    other_source = warm_start.entry_for("tiny", _tiny(), recipe=recipe, profile="smoke",
                                        **{**WHERE, "data_source": "synthetic stand-in"})
    other_profile = warm_start.entry_for("tiny", _tiny(), recipe=recipe, profile="classroom", **WHERE)
    assert len({a.weights, other_rate.weights, other_epochs.weights, other_source.weights, other_profile.weights}) == 5
    assert other_profile.weights.parent.name == "classroom"


def test_a_run_cut_short_by_the_stop_button_is_not_cached(cache, capsys):
    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    run = training.fit_or_reuse("tiny", _tiny(), _ds(), 3, callbacks=[Stop()], verbose=0, **WHERE)
    assert run.stop_reason == "interrupted"
    assert capsys.readouterr().out.splitlines()[-1].endswith("cut short by the stop button")
    assert not cache.exists() or not any(cache.rglob("*.weights.h5"))


def test_train_and_record_marks_a_reused_run(cache, results_dir, monkeypatch):
    args = dict(epochs=2, batch_size=BATCH, test_size=N_IMAGES, verbose=0, **WHERE)
    first = training.train_and_record("tiny", _tiny(), _ds(), _ds(), **args)
    fresh = _tiny(seed=1)
    _no_training(monkeypatch)
    again = training.train_and_record("tiny", fresh, _ds(), _ds(), retrain=False, **args)
    assert again.from_cache and again.test_accuracy == first.test_accuracy
    assert again.test_accuracy == training.accuracy(*training.predict_classes(fresh, _ds()))
    entry = json.loads((results_dir / "smoke" / "tiny.json").read_text())
    assert entry["train_seconds"] == round(first.seconds, 2)  # the original training time, not ~0 s
    assert entry["extra"]["warm_start"]["from_cache"] is True
    assert entry["extra"]["warm_start"]["trained_at"] == again.trained_at


def test_retrain_false_needs_the_data_description():
    with pytest.raises(ValueError, match="finding cached weights needs dataset=, data_source= and train_size="):
        training.train_and_record("tiny", _tiny(), _ds(), _ds(), epochs=1, record=False, retrain=False, verbose=0)


def test_the_cache_lives_in_the_user_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert warm_start.cache_root() == tmp_path / "xdg" / "cnn-classics" / "weights"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert warm_start.cache_root() == tmp_path / "home" / ".cache" / "cnn-classics" / "weights"


def test_an_unwritable_cache_costs_only_the_warm_start(monkeypatch, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(blocker / "cache"))
    run = training.fit_or_reuse("tiny", _tiny(), _ds(), 1, verbose=0, **WHERE)
    assert run.epochs == 1
    assert "warm start: could not save the weights of tiny" in capsys.readouterr().out


@pytest.mark.parametrize(("value", "expected"), [("", True), ("1", True), ("yes", True), ("0", False), ("false", False)])
def test_retrain_default_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_RETRAIN", value)
    assert warm_start.retrain() is expected


def test_retrain_default_rejects_a_typo(monkeypatch):
    monkeypatch.setenv("COURSE_RETRAIN", "nope")
    with pytest.raises(ValueError, match="COURSE_RETRAIN='nope': use 1"):
        warm_start.retrain()


# --- the session decides: notebooks pass nothing -----------------------------------------------------------


def test_the_session_retrain_switch_reaches_every_training_call_without_being_passed(trained, monkeypatch, capsys):
    """setup(retrain=False) alone makes fit_or_reuse and train_and_record reuse, and plan_training keep its plan."""
    model, _, _ = trained
    on = training.TrainedOn(**WHERE, batch_size=BATCH)
    training.train_and_record("tiny_recorded", _tiny(), _ds(), _ds(), epochs=2, images_per_epoch=N_IMAGES, verbose=0,
                              record=False, on=on)  # trained and cached, as the session says (retrain=True)
    session.setup(seed=0, verbose=False, retrain=False)
    _no_training(monkeypatch)
    fresh = _tiny(seed=1)
    again = training.fit_or_reuse("tiny", fresh, _ds(), 2, images_per_epoch=N_IMAGES, verbose=0, **WHERE)
    assert again.from_cache and _same(fresh.get_weights(), model.get_weights())
    recorded = training.train_and_record("tiny_recorded", _tiny(seed=1), _ds(), _ds(), epochs=2,
                                         images_per_epoch=N_IMAGES, verbose=0, record=False, on=on)
    assert recorded.from_cache and recorded.test_accuracy is not None
    out = capsys.readouterr().out
    assert "tiny: reused the weights trained before" in out and "tiny_recorded: reused the weights trained before" in out


def test_an_explicit_argument_still_wins_over_the_session(trained, capsys):
    session.setup(seed=0, verbose=False, retrain=False)
    again = training.fit_or_reuse("tiny", _tiny(seed=1), _ds(), 2, retrain=True, images_per_epoch=N_IMAGES, verbose=0,
                                  **WHERE)
    assert not again.from_cache


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_no_notebook_threads_retrain_and_the_training_notebooks_use_the_cache():
    """The session carries the retrain switch: a notebook that passed retrain= would override it for one call.
    The notebooks that train the course's networks (06-11) go through the cache (05's small demo trains in seconds)."""
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            assert "retrain=" not in cell.source and "RETRAIN" not in cell.source, path.stem
            if "06" <= path.stem[:2] <= "11":
                assert "training.fit(" not in cell.source, f"{path.stem}: training.fit bypasses the cache, use fit_or_reuse"
