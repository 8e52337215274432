"""Training helpers: a timed, interrupt-safe ``fit`` and test-set evaluation.

Usage in a notebook::

    run = fit(model, train_ds, epochs=3, validation_data=test_ds, images_per_epoch=len(x_train))
    run.seconds, run.images_per_second, run.history["val_accuracy"][-1]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .profiles import import_tensorflow_quietly


@dataclass
class TrainingRun:
    """What a :func:`fit` call produced: per-epoch history, wall-clock seconds, throughput."""

    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    images: int = 0
    interrupted: bool = False

    @property
    def epochs(self) -> int:
        return len(next(iter(self.history.values()), []))

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds else 0.0


def fit(
    model,
    train_data,
    epochs: int,
    validation_data=None,
    callbacks: list | None = None,
    steps_per_epoch: int | None = None,
    images_per_epoch: int | None = None,
    checkpoint: str | Path | None = None,
    verbose: int = 2,
) -> TrainingRun:
    """Train ``model`` with ``model.fit``; time it; keep what was learned if interrupted.

    ``train_data`` is a batched ``tf.data.Dataset``; ``images_per_epoch`` (the training-set size,
    or steps times batch size) gives the throughput figure. With ``checkpoint`` a path ending in
    ``.keras``, the best model by validation accuracy is saved there (an existing file of that
    name is replaced, and the function says so). Pressing stop (KeyboardInterrupt) ends training
    early: the weights and the history of the finished epochs are kept.
    """
    import_tensorflow_quietly()
    import keras

    callbacks = list(callbacks or [])
    history = keras.callbacks.History()
    callbacks.append(history)
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        if checkpoint.suffix != ".keras":
            raise ValueError(f"checkpoint must end in .keras (Keras 3 format), got {checkpoint}")
        if checkpoint.exists():
            print(f"note: {checkpoint} exists and will be replaced by this run's best model")
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                str(checkpoint), monitor="val_accuracy" if validation_data is not None else "accuracy",
                save_best_only=True, verbose=0,
            )
        )
    run = TrainingRun()
    start = time.perf_counter()
    try:
        model.fit(
            train_data, epochs=epochs, validation_data=validation_data, callbacks=callbacks,
            steps_per_epoch=steps_per_epoch, verbose=verbose, shuffle=False,
        )
    except KeyboardInterrupt:
        run.interrupted = True
        print("Training interrupted: the model keeps the weights it has; the history keeps finished epochs.")
    run.seconds = time.perf_counter() - start
    run.history = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    run.images = (images_per_epoch or 0) * run.epochs
    return run


def warmup_cosine(peak_learning_rate: float, total_steps: int, warmup_fraction: float = 0.1):
    """Return a learning-rate schedule: linear warm-up from 0 to the peak, then cosine decay to 0.

    The warm-up takes ``warmup_fraction`` of ``total_steps`` (at least one step). Pass the result
    to an optimizer: ``keras.optimizers.Adam(warmup_cosine(5e-3, steps))``.

    Example:
        >>> schedule = warmup_cosine(1e-2, total_steps=100)
        >>> [round(float(schedule(step)), 4) for step in (0, 10, 100)]
        [0.0, 0.01, 0.0]
    """
    import_tensorflow_quietly()
    import keras

    if total_steps < 2 or not 0 <= warmup_fraction < 1:
        raise ValueError(
            f"need total_steps >= 2 and 0 <= warmup_fraction < 1, got {total_steps} and {warmup_fraction}"
        )
    warmup = max(1, int(total_steps * warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=total_steps - warmup, warmup_target=peak_learning_rate, warmup_steps=warmup
    )


def predict_classes(model, dataset) -> tuple[np.ndarray, np.ndarray]:
    """Return (true labels, predicted labels) over a batched dataset of (images, labels)."""
    y_true, y_pred = [], []
    for x, y in dataset:
        y_true.append(np.asarray(y).reshape(len(y), -1)[:, 0])
        y_pred.append(np.argmax(model(x, training=False), axis=-1))
    return np.concatenate(y_true), np.concatenate(y_pred)


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Return the fraction of equal labels."""
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"label arrays differ in length: {y_true.shape} vs {y_pred.shape}")
    return float(np.mean(y_true == y_pred))
