"""Training helpers: a timed, interrupt-safe ``fit``, per-head accuracy, and one train-and-record call.

Usage in a notebook::

    run = fit(model, train_ds, epochs=3, validation_data=val_ds, images_per_epoch=len(x_train))
    run.seconds, run.images_per_second, run.history["val_accuracy"][-1], run.best_epoch

Pressing stop (KeyboardInterrupt) or running out of the time budget (``COURSE_TIME_BUDGET``) ends
training cleanly: :func:`fit` keeps the best weights and the finished epochs, says that it was cut
short, marks the returned :class:`TrainingRun`, and returns normally, so in a "Run All" the
following cells still run. :func:`course_utils.results.record` never files such a run as a result.

Warm start: :func:`fit_or_reuse` (and :func:`train_and_record`) save the trained weights to a cache
outside the repository (:mod:`course_utils.warm_start`); with ``retrain=False`` (by default the
session's: ``course_utils.setup(retrain=False)`` or ``COURSE_RETRAIN=0``) they load checked weights
from it instead of training, and the run says so.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np

from . import profiles, results, warm_start
from .folders import show_path
from .schedules import RetimableSchedule, planned_steps
from .schedules import warmup_cosine as warmup_cosine  # re-exported: notebooks call training.warmup_cosine
from .session import current, detail
from .sources import last_source
from .tables import duration_text
from .time_plans import (  # re-exported: notebooks call training.plan_training and friends
    TimePlan as TimePlan,
)
from .time_plans import (
    TrainingCosts as TrainingCosts,
)
from .time_plans import (
    measure_training_costs as measure_training_costs,
)
from .time_plans import (
    plan_for_seconds as plan_for_seconds,
)
from .time_plans import (
    plan_training as plan_training,
)
from .time_plans import steps_within as steps_within


@dataclass
class TrainingRun:
    """What a :func:`fit` call produced: per-epoch history, wall-clock seconds, throughput, best epoch.

    ``stop_reason`` is ``"interrupted"`` (the stop button), ``"time budget"`` or None (all epochs ran,
    or a callback such as early stopping ended training on purpose). ``best_epoch`` counts from 1,
    as Keras prints epochs. ``test_accuracy`` is filled in by :func:`train_and_record`.
    ``from_cache``: the weights were loaded from the warm-start cache (:func:`fit_or_reuse`), not
    trained now; ``seconds``, ``history`` and the rest then describe the run that trained them, on
    ``trained_at`` (UTC).
    """
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    images: int = 0
    epochs_planned: int = 0
    stop_reason: str | None = None
    partial_last_epoch: bool = False
    monitor: str = ""
    best_epoch: int | None = None
    best_value: float | None = None
    checkpoint: Path | None = None
    restored_best: bool = False
    test_accuracy: float | None = None
    head_accuracy: dict[str, float] | None = None
    record_path: Path | None = None
    from_cache: bool = False
    trained_at: str | None = None
    budget_by_design: bool = False  # the time budget was the caller's or the profile's plan, not COURSE_TIME_BUDGET
    planned_seconds: float | None = None  # fit(time_plan=...): the plan's seconds, which fit held
    steps_planned: int | None = None  # ... the steps planned before training
    steps_run: int | None = None  # ... and the steps trained, re-planned at this run's speed

    @property
    def interrupted(self) -> bool:
        """True when training was cut short (stop button or time budget)."""
        return self.stop_reason is not None

    @property
    def epochs(self) -> int:
        """Epochs in the history (a last epoch cut short by the time budget included)."""
        return len(next(iter(self.history.values()), []))

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds else 0.0

    def summary(self, name: str) -> str:
        """The one line a training call prints: trained (how long, which epoch's weights) or reused.

        Example:
            >>> run = TrainingRun(seconds=12.4, images=4000, history={"loss": [1.0, 0.5]})
            >>> run.summary("lenet")
            'lenet: trained 2 epochs in 12 s (323 images/s)'
        """
        plural = "" if self.epochs == 1 else "s"
        if self.from_cache:
            return (f"{name}: reused the weights trained before on this machine ({self.epochs} epoch{plural}, "
                    f"{self.seconds:.0f} s of training then); setup(retrain=True) trains again")
        text = f"{name}: trained {self.epochs} epoch{plural} in {self.seconds:.0f} s"
        if self.images:
            text += f" ({self.images_per_second:,.0f} images/s)"
        if self.restored_best:
            text += f", keeping epoch {self.best_epoch}'s weights (best {self.monitor} {self.best_value:.4f})"
        if self.stop_reason:
            why = "the stop button" if self.stop_reason == results.STOP_INTERRUPTED else f"the {self.stop_reason}"
            text += f", cut short by {why}"
        return text


@dataclass(frozen=True)
class MeanOf:
    """A monitored value: the mean of several logged metrics, e.g. one accuracy per output head.

    :func:`fit` adds it to each epoch's logs under ``name`` (so it is in the history too) before
    checkpointing and early stopping look at the logs. Make one with :func:`mean_of`.
    """
    names: tuple[str, ...]
    name: str

    def __call__(self, logs: Mapping[str, float]) -> float:
        missing = [n for n in self.names if n not in logs]
        if missing:
            raise ValueError(_missing_key_message(missing, logs, f"mean_of(...) named {self.name!r}"))
        return float(np.mean([float(logs[n]) for n in self.names]))


def mean_of(*names: str, name: str | None = None) -> MeanOf:
    """Return a monitor for :func:`fit` that is the mean of the logged metrics ``names``.

    The default ``name`` is ``val_mean_accuracy`` (or ``mean_accuracy``) when every name is a
    (validation) accuracy; otherwise pass one.

    Example:
        >>> heads = [f"val_digit_{i}_accuracy" for i in (1, 2)]
        >>> monitor = mean_of(*heads)
        >>> monitor.name, monitor({"val_digit_1_accuracy": 0.5, "val_digit_2_accuracy": 1.0})
        ('val_mean_accuracy', 0.75)
    """
    if len(names) < 1 or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"mean_of needs one or more metric names such as 'val_func1_accuracy', got {names!r}")
    if name is None:
        if not all(n.endswith("accuracy") for n in names):
            raise ValueError(f"mean_of{names!r}: these are not all accuracies; give the mean a name with name=...")
        name = "val_mean_accuracy" if all(n.startswith("val_") for n in names) else "mean_accuracy"
    return MeanOf(tuple(names), name)


def _missing_key_message(missing: Sequence[str], logs: Mapping[str, Any], what: str) -> str:
    return (
        f"{what}: {', '.join(repr(m) for m in missing)} is not among the metrics this model logs "
        f"({', '.join(sorted(logs)) or 'none'}). Fix: pass monitor= one of those names (a multi-output "
        "model logs one accuracy per head, e.g. 'val_<head>_accuracy'; average them with mean_of(...)), "
        "or compile the model with metrics=['accuracy'] and pass validation_data."
    )


def _monitor_key(monitor: str | MeanOf | None, validation_data) -> str:
    """The logs key :func:`fit` watches: ``monitor``'s, else (val_)accuracy."""
    if monitor is None:
        return "val_accuracy" if validation_data is not None else "accuracy"
    return monitor if isinstance(monitor, str) else monitor.name


def _maximise(key: str) -> bool:
    """Accuracies and AUCs improve upwards; losses and errors downwards."""
    return "acc" in key or "auc" in key


class _AddMonitorToLogs(keras.callbacks.Callback):
    """Writes a computed monitor (such as :class:`MeanOf`) into each epoch's logs."""

    def __init__(self, monitor: Callable[[Mapping[str, float]], float]):
        super().__init__()
        self.monitor = monitor

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs[self.monitor.name] = float(self.monitor(logs))


class _KeepBest(keras.callbacks.Callback):
    """Keeps the best weights in memory (and on disk with a checkpoint path) by one monitored key."""

    def __init__(self, key: str, checkpoint: Path | None):
        super().__init__()
        self.key, self.checkpoint, self.maximise = key, checkpoint, _maximise(key)
        self.best_value: float | None = None
        self.best_epoch: int | None = None  # counted from 1
        self.best_weights: list | None = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.key not in logs:
            raise ValueError(_missing_key_message([self.key], logs, "fit(monitor=...)"))
        value = float(logs[self.key])
        if not math.isfinite(value):
            return
        if self.best_value is not None and (value <= self.best_value if self.maximise else value >= self.best_value):
            return
        weights = self.model.get_weights()
        if self.checkpoint is not None:
            # write beside it, then rename: a stop during saving never leaves a half-written best model
            partial = self.checkpoint.with_name(self.checkpoint.stem + ".saving.keras")
            self.model.save(partial)
            os.replace(partial, self.checkpoint)
        self.best_value, self.best_epoch, self.best_weights = value, epoch + 1, weights


class _Clock(keras.callbacks.Callback):
    """Counts trained steps and epochs; with a budget, stops training before it runs out."""

    def __init__(self, budget_s: float | None):
        super().__init__()
        self.budget_s = budget_s
        self.start = self.epoch_start = time.perf_counter()
        self.epochs_trained = 0.0  # whole epochs plus the trained fraction of an unfinished one
        self.steps = 0
        self.in_epoch = False
        self.stopped_by_budget = False
        self.last_epoch_partial = False  # the last epoch ended before its steps (a budget or a time plan stopped it)

    def _fraction(self) -> float:
        steps_per_epoch = self.params.get("steps")
        return min(1.0, self.steps / steps_per_epoch) if steps_per_epoch else 0.0

    def trained_epochs(self) -> float:
        return self.epochs_trained + (self._fraction() if self.in_epoch else 0.0)

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start, self.steps, self.in_epoch = time.perf_counter(), 0, True

    def on_train_batch_end(self, batch, logs=None):
        self.steps = batch + 1
        if self.budget_s is None or time.perf_counter() - self.start <= self.budget_s:
            return
        steps_per_epoch = self.params.get("steps")
        if not self.model.stop_training and (steps_per_epoch is None or self.steps < steps_per_epoch):
            self.model.stop_training = self.stopped_by_budget = True

    def on_epoch_end(self, epoch, logs=None):
        steps_per_epoch = self.params.get("steps")
        self.last_epoch_partial = bool(steps_per_epoch) and self.steps < steps_per_epoch
        self.epochs_trained += self._fraction() if self.last_epoch_partial else 1.0
        self.in_epoch = False
        now = time.perf_counter()
        last_epoch_seconds = now - self.epoch_start
        more_epochs = epoch + 1 < (self.params.get("epochs") or 0)
        if (self.budget_s is not None and more_epochs and not self.model.stop_training
                and now - self.start + last_epoch_seconds > self.budget_s):
            self.model.stop_training = self.stopped_by_budget = True


PLAN_STRETCH = 0.5  # fit(time_plan=...) may train up to 50 % more steps than planned, when this run is faster


class _HoldPlan(keras.callbacks.Callback):
    """Holds a :class:`TimePlan`: as it trains, re-plans the total steps so that ``fit`` ends at the plan's seconds.

    The plan came from a few batches of a throwaway copy; this run's own speed decides. About every
    twentieth of the planned steps, and after each validation, :func:`course_utils.time_plans.steps_within`
    turns the time left (the plan's seconds minus the time since ``fit`` began) into the total steps it
    buys at the speed measured so far (steps after the first, which builds the step) and the validations
    still due; training stops at that total, and a :class:`course_utils.schedules.RetimableSchedule` is
    laid out over it, so the learning rate still anneals to its end at the last step.
    """

    REPLANS = 20

    def __init__(self, plan: TimePlan, schedule: RetimableSchedule | None, max_steps: int, verbose: int):
        super().__init__()
        self.plan, self.schedule, self.max_steps, self.verbose = plan, schedule, max_steps, verbose
        self.total = plan.steps
        self.every = max(1, plan.steps // self.REPLANS)
        self.start = time.perf_counter()  # set again just before model.fit
        self.steps = self.epoch = self.validations = self.replanned_at = 0
        self.train_seconds, self.timed_steps = 0.0, 0  # step time after the first call, summed within epochs
        self.last = None  # (steps, perf_counter) at the last batch end, or at the epoch's beginning
        self.overheads: list[float] = []  # per epoch: from its last batch to the next epoch's beginning

    def on_epoch_begin(self, epoch, logs=None):
        now = time.perf_counter()
        if self.last is not None and epoch > 0:
            self.overheads[-1] += now - self.last[1]  # the gap after on_epoch_end belongs to the epoch's end too
        self.epoch, self.epoch_start = epoch, now
        self.last = (self.steps, now) if self.steps else None  # the first batch of the run builds: not timed

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        self.steps = self.epoch * self.plan.steps_per_epoch + batch + 1
        if self.last is not None:
            self.train_seconds += now - self.last[1]
            self.timed_steps += self.steps - self.last[0]
        self.last = (self.steps, now)
        if self.steps >= self.total or self.steps - self.replanned_at >= self.every:
            self._replan(now)
        if self.steps >= self.total:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.overheads.append(now - self.last[1] if self.last is not None else 0.0)
        self.validations = epoch + 1
        if self.verbose:
            shown = " - ".join(f"{key}: {value:.4f}" for key, value in (logs or {}).items())
            steps = self.steps - epoch * self.plan.steps_per_epoch
            print(f"epoch {epoch + 1}/{-(-self.total // self.plan.steps_per_epoch)} ({steps:,} steps): "
                  f"{now - self.epoch_start:.0f} s - {shown}", flush=True)
        if not self.model.stop_training:
            self._replan(now)
            if self.steps >= self.total:
                self.model.stop_training = True
        self.last = (self.steps, now)

    def _replan(self, now: float) -> None:
        self.replanned_at = self.steps
        if self.timed_steps < 1:
            return
        measured = self.overheads[1:]  # the first validation also builds the evaluation step
        per_validation = statistics.median(measured) if measured else self.plan.seconds_per_epoch
        total = steps_within(self.plan.seconds - (now - self.start), self.train_seconds / self.timed_steps,
                             per_validation, self.steps, self.plan.steps_per_epoch, self.validations, self.max_steps)
        total = max(total, 2)
        if total != self.total:
            self.total = total
            if self.schedule is not None:
                self.schedule.set_total_steps(total)

    def images_per_second(self, batch_size: int) -> float:
        return self.timed_steps * batch_size / self.train_seconds if self.train_seconds else 0.0


def _retimable_schedule(model) -> RetimableSchedule | None:
    """The learning-rate schedule a time plan moves (None for a constant rate); a ValueError for one it cannot move."""
    optimizer = getattr(model, "optimizer", None)
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # mixed precision wraps it in a loss-scale optimizer
    schedule = getattr(optimizer, "_learning_rate", None)
    if schedule is None or isinstance(schedule, RetimableSchedule):
        return schedule
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        raise ValueError(f"fit(time_plan=...) moves the end of the learning-rate schedule to the steps the time buys, "
                         f"and the {type(schedule).__name__} schedule cannot move: build it with training.warmup_cosine or "
                         "schedules.one_cycle")
    return None


class _Estimate(keras.callbacks.Callback):
    """Prints, once ``steps`` training steps have run after the first (which builds them), how long the whole
    ``fit`` will take on this device at that speed: the ``full`` profile's estimate, measured, not guessed.
    Steps are counted by the batch index, so ``steps_per_execution`` (several steps per callback) is allowed for."""

    def __init__(self, steps: int):
        super().__init__()
        self.steps, self.start, self.done, self.epoch = steps, None, False, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.done:
            return
        now = time.perf_counter()
        batch += self.epoch * (self.params.get("steps") or 0)  # steps since the start of fit, across epochs
        if self.start is None:  # the end of the first call: the step is built, the clock starts
            self.start = (batch, now)
            return
        if batch - self.start[0] < self.steps:
            return
        self.done = True
        step = (now - self.start[1]) / (batch - self.start[0])
        per_epoch, epochs = self.params.get("steps"), self.params.get("epochs") or 1
        if not per_epoch:
            print(f"estimate on this device: {step:.3f} s per training step (the number of steps is unknown)")
            return
        seconds = step * per_epoch * epochs
        print(f"estimate on this device: {step:.3f} s per step x {per_epoch:,} steps x {epochs} epoch(s) = "
              f"{duration_text(seconds)} of training steps (validation aside); press stop to end it early, keeping the "
              "best weights")


def _move_aside(path: Path) -> Path:
    """Rename an existing file to ``<stem>.previous.keras`` (or ``.previous-2`` ...: nothing is deleted)."""
    n = 1
    while True:
        target = path.with_name(f"{path.stem}.previous{'' if n == 1 else f'-{n}'}{path.suffix}")
        if not target.exists():
            path.rename(target)
            return target
        n += 1


def _check_schedule_length(model, train_data, epochs: int, steps_per_epoch: int | None,
                           part_of_schedule: bool = False) -> None:
    """Raise when the optimizer's schedule spans another number of steps than ``fit`` is asked to run.

    A schedule built for 5 epochs and a ``fit`` of 3 (or the other way round) would stop half-way
    down the cosine or run on at a rate of zero: the epoch count, stated twice, must agree. With
    ``part_of_schedule`` (a loop that calls ``fit`` once per epoch) this call runs a part of the schedule, and only
    running past its end (the steps the optimizer has taken plus this call's) is refused.
    """
    optimizer = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    planned = planned_steps(optimizer) if optimizer is not None else None
    if planned is None:
        return
    if steps_per_epoch is None and hasattr(train_data, "cardinality"):
        known = int(train_data.cardinality())
        steps_per_epoch = known if known > 0 else None  # -1 infinite, -2 unknown
    if steps_per_epoch is None:
        return
    if part_of_schedule:
        done = int(optimizer.iterations)
        if done + epochs * steps_per_epoch > planned:
            raise ValueError(f"the learning-rate schedule spans {planned:,} steps and {done:,} are done; this fit "
                             f"of {epochs} epoch(s) x {steps_per_epoch:,} steps would run past its end at a rate of "
                             "zero: build the schedule from the number of epochs all the calls train together")
        return
    if planned != epochs * steps_per_epoch:
        raise ValueError(f"the learning-rate schedule spans {planned:,} steps, but fit runs {epochs} epoch(s) x "
                         f"{steps_per_epoch:,} steps = {epochs * steps_per_epoch:,}: build the schedule from the same "
                         "epoch count and steps per epoch as fit (one variable for both)")


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
    *,
    monitor: str | MeanOf | None = None,
    restore_best: bool | None = None,
    time_budget_s: float | None = None,
    part_of_schedule: bool = False,
    time_plan: TimePlan | None = None,
) -> TrainingRun:
    """Train a compiled ``model`` with ``model.fit``; time it; keep the best weights; survive a stop.

    ``train_data`` is a batched ``tf.data.Dataset``; ``images_per_epoch`` (the training-set size)
    gives the throughput figure. ``monitor`` picks the best epoch: a logged metric name
    (default ``"val_accuracy"`` with validation data, else ``"accuracy"``; one head of a
    multi-output model: ``"val_<head>_accuracy"``), or :func:`mean_of` several heads' accuracies,
    which is then added to the logs and the history. Accuracies count as better when higher,
    losses when lower. If the first epoch does not log the monitored key, a ValueError lists the
    keys that exist.

    The best weights are kept in memory; ``restore_best`` (default: True when a validation metric
    is monitored) puts them back into ``model`` at the end, also after a stop. With ``checkpoint``
    a path ending in ``.keras``, each new best model is saved there; a file of that name from an
    earlier run is first renamed to ``<name>.previous.keras`` (never deleted), and the end of the
    run reports the best epoch and value, or that no checkpoint was saved.

    Cut short: the stop button (KeyboardInterrupt) and a time budget (``time_budget_s``, default
    the ``COURSE_TIME_BUDGET`` environment variable in seconds, if set; checked after each epoch,
    whether the next one would fit, and after each batch) end training cleanly: the history keeps
    the finished epochs (with a budget, possibly a last partial one: ``partial_last_epoch``), the
    run is marked ``interrupted`` with its ``stop_reason``, and ``fit`` returns normally. It does
    not re-raise the KeyboardInterrupt on purpose: an instructor who stops a long training in a
    "Run All" gets the rest of the notebook with the model as trained so far; to halt the
    remaining cells, press stop again once training has returned.

    A learning-rate schedule (:func:`course_utils.schedules.warmup_cosine`) must span the steps this call runs: a
    ValueError says when it does not. ``part_of_schedule=True`` is for a loop that trains one schedule over several
    calls (one epoch each, say): then only running past the schedule's end is refused.

    ``time_plan`` (a :func:`plan_training` plan of seconds, whose ``epochs`` and ``steps_per_epoch`` this call
    runs): ``fit`` holds it, ending at the plan's seconds whatever this run's speed. The plan's speed came from a
    few batches of a throwaway copy, and a notebook kernel, another program or a slower hour can make the real
    run slower (or faster); so ``fit`` re-plans the total steps as it trains (:class:`_HoldPlan`, up to
    ``PLAN_STRETCH`` more than planned), stops there, part-way through an epoch if need be (that epoch is still
    validated), and lays a :func:`warmup_cosine` or :func:`course_utils.schedules.one_cycle` schedule out over
    the new total. ``run.steps_planned``, ``run.steps_run`` and ``run.planned_seconds`` say what moved; with
    ``verbose``, one line per epoch and one at the end.

    Example:
        >>> import tensorflow as tf
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> ds = tf.data.Dataset.from_tensor_slices((np.eye(4, dtype="float32"), [0, 1, 0, 1])).batch(2)
        >>> run = fit(model, ds, epochs=3, images_per_epoch=4, verbose=0)
        >>> run.epochs, run.images, run.monitor, run.stop_reason
        (3, 12, 'accuracy', None)
    """
    _check_schedule_length(model, train_data, epochs, steps_per_epoch, part_of_schedule)
    hold, keras_epochs, keras_verbose = None, epochs, verbose
    if time_plan is not None and time_plan.seconds is not None:
        if (epochs, steps_per_epoch) != (time_plan.epochs, time_plan.steps_per_epoch):
            raise ValueError(f"fit holds the time plan of {time_plan.epochs} epoch(s) x {time_plan.steps_per_epoch:,} "
                             f"steps, but was asked for {epochs} x {steps_per_epoch}: pass plan.epochs and "
                             "steps_per_epoch=plan.steps_per_epoch with time_plan=plan")
        max_steps = math.ceil(time_plan.steps * (1 + PLAN_STRETCH))
        hold = _HoldPlan(time_plan, _retimable_schedule(model), max_steps, verbose)
        keras_epochs, keras_verbose = -(-max_steps // time_plan.steps_per_epoch), 0  # the plan prints its own epochs
    monitor_key = _monitor_key(monitor, validation_data)
    if restore_best is None:
        restore_best = monitor_key.startswith("val_")
    budget_by_design = time_budget_s is not None  # the caller's budget (an equal-time comparison), not the session's
    planned_by = None  # the profile whose time plan gives the budget (gpu), if it does
    if time_budget_s is None:
        session = current()
        time_budget_s = session.time_budget
        planned_by = session.profile if session.budget_is_planned else None
    elif not time_budget_s > 0:
        raise ValueError(f"time_budget_s must be a positive number of seconds, got {time_budget_s}")
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        if checkpoint.suffix != ".keras":
            raise ValueError(f"checkpoint must end in .keras (Keras 3 format), got {checkpoint}")
        if checkpoint.exists():
            moved = _move_aside(checkpoint)
            detail(f"checkpoint: {checkpoint} from an earlier run was renamed to {moved.name}, so that it cannot be "
                  "taken for this run's best model (delete old copies yourself when you no longer need them)")
        checkpoint.parent.mkdir(parents=True, exist_ok=True)

    keeper, clock, history = _KeepBest(monitor_key, checkpoint), _Clock(time_budget_s), keras.callbacks.History()
    added = [] if monitor is None or isinstance(monitor, str) else [_AddMonitorToLogs(monitor)]
    # Order matters: the computed monitor first (user callbacks such as EarlyStopping may watch it),
    # then the user's callbacks, then best-keeping, the clock, and the history last (as in Keras).
    all_callbacks = [*added, *(callbacks or []), keeper, *([hold] if hold else []), clock, history]
    estimate_after = profiles.ESTIMATE_STEPS.get(current().profile)
    if estimate_after:
        all_callbacks.append(_Estimate(estimate_after))
    run = TrainingRun(epochs_planned=int(epochs), monitor=monitor_key, budget_by_design=budget_by_design or bool(planned_by))
    start = time.perf_counter()
    if hold is not None:
        hold.start = start
    try:
        model.fit(
            train_data, epochs=keras_epochs, validation_data=validation_data, callbacks=all_callbacks,
            steps_per_epoch=steps_per_epoch, verbose=keras_verbose, shuffle=False,
        )
    except KeyboardInterrupt:
        run.stop_reason = results.STOP_INTERRUPTED
    run.seconds = time.perf_counter() - start
    if run.stop_reason is None and clock.stopped_by_budget:
        run.stop_reason = results.STOP_TIME_BUDGET
    run.partial_last_epoch = clock.last_epoch_partial
    if hold is not None:
        run.planned_seconds, run.steps_planned, run.steps_run = time_plan.seconds, time_plan.steps, hold.steps
        if verbose:
            speeds = ""
            if images_per_epoch and time_plan.images_per_second:
                batch_size = images_per_epoch / time_plan.steps_per_epoch
                speeds = (f" ({hold.images_per_second(batch_size):,.0f} images/s against the "
                          f"{time_plan.images_per_second:,.0f} planned)")
            print(f"time plan: fit took {run.seconds:.0f} s for a plan of {time_plan.seconds:g} s "
                  f"({run.seconds / time_plan.seconds - 1:+.1%}); {hold.steps:,} steps, re-planned from "
                  f"{time_plan.steps:,} at this run's speed{speeds}")
    run.history = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    run.images = round((images_per_epoch or 0) * clock.trained_epochs())
    run.best_epoch, run.best_value = keeper.best_epoch, keeper.best_value
    run.checkpoint = checkpoint if checkpoint is not None and keeper.best_epoch is not None else None
    weights_moved_on = run.stop_reason == results.STOP_INTERRUPTED or keeper.best_epoch != run.epochs
    if restore_best and keeper.best_weights is not None and weights_moved_on:
        model.set_weights(keeper.best_weights)
        run.restored_best = True
    _report(run, checkpoint, time_budget_s, budget_by_design, planned_by)
    return run


def _report(run: TrainingRun, checkpoint: Path | None, time_budget_s: float | None, budget_by_design: bool,
            planned_by: str | None = None) -> None:
    """Print what the caller must know: a run cut short by the stop button or the session's time budget (a
    budget the caller passed is by design: said in verbose mode only; the profile's time plan: one line),
    restored weights, the checkpoint."""
    if run.stop_reason is not None:
        partial = " (the last one cut short)" if run.partial_last_epoch else ""
        if run.stop_reason == results.STOP_TIME_BUDGET and planned_by:
            print(f"Training ended by the {planned_by} profile's time plan ({time_budget_s:g} s per run) after "
                  f"{run.epochs} of {run.epochs_planned} epochs{partial}, as planned: the model keeps what it learnt; "
                  "results.record() files the run apart from complete runs.")
        else:
            why = ("the stop button (KeyboardInterrupt)" if run.stop_reason == results.STOP_INTERRUPTED
                   else f"the time budget of {time_budget_s:g} s")
            by_design = run.stop_reason == results.STOP_TIME_BUDGET and budget_by_design
            (detail if by_design else print)(
                f"Training was CUT SHORT by {why} after {run.epochs} of {run.epochs_planned} epochs{partial}: "
                "the history keeps the finished epochs; results.record() will not file this run as a result.")
    best = f"best {run.monitor} {run.best_value:.4f} at epoch {run.best_epoch}" if run.best_epoch else ""
    if run.restored_best:
        detail(f"The model now holds the weights of its {best} (restore_best=True).")
    if checkpoint is not None:
        if run.best_epoch is not None:
            detail(f"checkpoint: {best}, saved to {checkpoint}")
        else:
            why = "no epoch finished" if run.epochs == 0 else f"{run.monitor} was never a finite number"
            print(f"checkpoint: NONE saved ({why}); {checkpoint} does not exist.")


# TrainingRun fields a warm-start cache entry keeps, so that a reused run reports the training that made it
_CACHED_FIELDS = ("history", "seconds", "images", "epochs_planned", "stop_reason", "partial_last_epoch", "monitor",
                  "best_epoch", "best_value", "restored_best", "planned_seconds", "steps_planned", "steps_run")


def _fit_recipe(epochs: int, fit_kwargs: Mapping[str, Any], recipe: Mapping[str, Any] | None) -> dict[str, Any]:
    """What of a :func:`fit` call shapes the trained weights (the data aside): part of the cache key."""
    validation_data = fit_kwargs.get("validation_data")
    return {
        "epochs": int(epochs),
        "steps_per_epoch": fit_kwargs.get("steps_per_epoch"),
        "monitor": _monitor_key(fit_kwargs.get("monitor"), validation_data),
        "restore_best": fit_kwargs.get("restore_best"),
        "validation": validation_data is not None,
        # an explicit budget is part of the experiment (train N seconds); COURSE_TIME_BUDGET is not
        "time_budget_s": fit_kwargs.get("time_budget_s"),
        "time_plan_seconds": getattr(fit_kwargs.get("time_plan"), "seconds", None),
        "callbacks": [type(c).__qualname__ for c in fit_kwargs.get("callbacks") or []],
        **dict(recipe or {}),
    }


@dataclass(frozen=True)
class TrainedOn:
    """What a run trains on: the dataset, where its files came from, how many images, the batch size.

    Recorded with the result (:func:`course_utils.results.record`) and part of the warm-start key
    (:func:`fit_or_reuse`). Build it once per notebook with :meth:`of` and pass it as ``on=``.

    Example:
        >>> on = TrainedOn("mnist", "real file", train_size=55000, batch_size=128)
        >>> on.train_size, on.with_size(1000).train_size
        (55000, 1000)
    """
    dataset: str
    data_source: str
    train_size: int
    batch_size: int | None = None

    def __post_init__(self) -> None:
        results.check_data_source(self.data_source)
        if self.train_size < 1:
            raise ValueError(f"train_size must be at least 1, got {self.train_size}")

    @classmethod
    def of(cls, dataset: str, x_train, batch_size: int | None = None, data_source: str | None = None) -> TrainedOn:
        """The data ``x_train`` of ``dataset`` (its source: the last load of it, unless given)."""
        return cls(dataset, data_source or last_source(dataset), len(x_train), batch_size)

    def with_size(self, train_size: int) -> TrainedOn:
        """The same data, ``train_size`` images of it (a subset trained on in one experiment)."""
        return replace(self, train_size=int(train_size))


def _merge_on(on: TrainedOn | None, given: dict[str, Any], needed_by: str | None = None) -> dict[str, Any]:
    """``given`` (dataset=, data_source=, ...) completed from ``on``; a clash is an error, and so is, when
    ``needed_by`` names the caller, a value still missing (the message says to pass ``on=TrainedOn(...)``)."""
    merged = dict(given)
    for key in merged:
        value = getattr(on, key) if on is not None else None
        if merged[key] is not None and value is not None and merged[key] != value:
            raise ValueError(f"{key}={merged[key]!r} contradicts on.{key}={value!r}: pass one of them")
        if merged[key] is None:
            merged[key] = value
    missing = [k for k, v in merged.items() if v is None]
    if needed_by and missing:
        raise ValueError(f"{needed_by} needs {', '.join(missing)}: pass on=TrainedOn(...) (or each of them)")
    return merged


def fit_or_reuse(
    name: str,
    model,
    train_data,
    epochs: int,
    *,
    on: TrainedOn | None = None,
    retrain: bool | None = None,
    dataset: str | None = None,
    data_source: str | None = None,
    train_size: int | None = None,
    recipe: Mapping[str, Any] | None = None,
    announce: bool = True,
    **fit_kwargs,
) -> TrainingRun:
    """:func:`fit` a compiled ``model`` and cache its weights; with ``retrain=False`` reuse checked cached weights.

    The cache entry's key is ``name``, the profile, ``dataset``, ``data_source``, ``train_size`` and a
    hash of the recipe: the model's layers, optimizer and loss, ``epochs``, the ``fit`` settings that
    shape the weights, and ``recipe`` (pass what else does: learning rate, augmentation, seed...).
    ``retrain`` defaults to the session's (:func:`course_utils.setup`, ``COURSE_RETRAIN``; True unless
    set otherwise). ``retrain=True`` trains as :func:`fit` does, then saves the weights, unless the stop
    button or ``COURSE_TIME_BUDGET`` cut the run short (an explicit ``time_budget_s`` is part of the
    recipe, so a run ended by it is cached). ``retrain=False`` loads the entry when its checks pass
    (:func:`course_utils.warm_start.load`: sha256, weight shapes) and returns the run that trained
    it, marked ``from_cache`` (its seconds are that run's); otherwise it says why and trains.
    It prints one line, :meth:`TrainingRun.summary` (``announce=False``: none); the cache file's name and
    the other machinery show with ``COURSE_VERBOSE=1``.

    Example:
        >>> import tempfile, tensorflow as tf
        >>> from unittest import mock
        >>> sandbox = mock.patch.dict(os.environ, {warm_start.CACHE_ENV: tempfile.mkdtemp()}); _ = sandbox.start()
        >>> ds = tf.data.Dataset.from_tensor_slices((np.eye(4, dtype="float32"), [0, 1, 0, 1])).batch(2)
        >>> def tiny():
        ...     model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        ...     model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        ...     return model
        >>> where = dict(dataset="demo", data_source="real file", train_size=4)
        >>> first = fit_or_reuse("tiny", tiny(), ds, 2, verbose=0, **where)  # the cache file: COURSE_VERBOSE=1
        tiny: trained 2 epochs in ... s
        >>> again = fit_or_reuse("tiny", tiny(), ds, 2, retrain=False, verbose=0, **where)
        tiny: reused the weights trained before on this machine (2 epochs, ... s of training then); setup(retrain=True) trains again
        >>> again.from_cache, again.epochs, again.seconds == first.seconds
        (True, 2, True)
        >>> _ = sandbox.stop()
    """
    given = _merge_on(on, {"dataset": dataset, "data_source": data_source, "train_size": train_size},
                      needed_by=f"fit_or_reuse({name!r}), for its cache key,")
    results.check_data_source(given["data_source"])
    if on is not None and on.batch_size is not None:
        recipe = {"batch_size": on.batch_size, **dict(recipe or {})}
    entry = warm_start.entry_for(name, model, dataset=given["dataset"], data_source=given["data_source"],
                                 train_size=given["train_size"], recipe=_fit_recipe(epochs, fit_kwargs, recipe))
    if not (current().retrain if retrain is None else retrain):
        sidecar = warm_start.load(entry, model)
        if sidecar is not None:
            run = _run_from_cache(sidecar)
            if announce:
                print(run.summary(name))
            detail(f"warm start: {name}'s weights were trained on {run.trained_at} UTC")
            return run
    run = fit(model, train_data, epochs, **fit_kwargs)
    # a budget passed by the caller is part of the recipe, and the profile's time plan part of the profile (in the
    # key): a run either ends is complete for the cache; COURSE_TIME_BUDGET and the stop button are not
    if run.stop_reason is None or (run.stop_reason == results.STOP_TIME_BUDGET and run.budget_by_design):
        warm_start.save(entry, model, {k: getattr(run, k) for k in _CACHED_FIELDS})
    else:
        detail(f"warm start: not cached: this run was cut short ({run.stop_reason}), and a later retrain=False "
               "should not reuse it as if it were complete.")
    if announce:
        print(run.summary(name))
    return run


def _run_from_cache(sidecar: Mapping[str, Any]) -> TrainingRun:
    """The :class:`TrainingRun` a cache entry's sidecar recorded, marked ``from_cache``."""
    saved = sidecar.get("run", {})
    run = TrainingRun(**{k: saved[k] for k in _CACHED_FIELDS if k in saved})
    run.history = {k: [float(v) for v in vs] for k, vs in run.history.items()}
    run.from_cache, run.trained_at = True, sidecar.get("saved_at")
    return run


def _head_names(model, head_names: Sequence[str] | None) -> list[str]:
    names = list(head_names) if head_names is not None else list(getattr(model, "output_names", None) or [])
    return names or ["output"]


def _per_head(values, names: list[str], what: str) -> list:
    """Split model outputs or labels (a dict by head, a tuple/list, or one array) into one per head."""
    if isinstance(values, Mapping):
        missing = [n for n in names if n not in values]
        if missing:
            raise ValueError(f"{what} is a dict keyed {sorted(values)}, which lacks {missing}; "
                             "pass head_names= the model's output names")
        return [values[n] for n in names]
    if isinstance(values, (tuple, list)):
        if len(values) != len(names):
            raise ValueError(f"{what} has {len(values)} parts for {len(names)} heads {names}")
        return list(values)
    array = np.asarray(values)
    if len(names) == 1:
        return [array]
    if what == "labels" and array.ndim == 2 and array.shape[1] == len(names):
        return [array[:, i] for i in range(len(names))]  # e.g. CAPTCHA labels, one column per character
    raise ValueError(f"{what} of shape {array.shape} cannot be split into {len(names)} heads {names}")


def predict_classes(model, dataset, head_names: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (true labels, predicted labels) over a batched dataset of (images, labels).

    One head: two arrays of shape (N,). Several heads (a multi-output model): shape (N, heads), in
    the order of ``head_names`` (default ``model.output_names``). Labels may be one array (a column
    per head for several heads), a tuple in head order, or a dict keyed by output name. The
    prediction is the arg-max of each head's last axis, computed in inference mode by the model's
    compiled predict step (``predict_on_batch``): an eager ``model(x)`` on the same batches peaked far
    higher (for notebook 11's small Inception at batch 256, most of that notebook's peak memory).
    """
    names = _head_names(model, head_names)
    y_true: list[np.ndarray] = []
    y_pred: list[np.ndarray] = []
    for x, y in dataset:
        outputs = model.predict_on_batch(x)
        if len(names) == 1 and isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        labels = [np.asarray(t) for t in _per_head(y, names, "labels")]
        preds = [np.asarray(p) for p in _per_head(outputs, names, "model outputs")]
        y_true.append(np.stack([t.reshape(len(t), -1)[:, 0] for t in labels], axis=-1))  # (N,) or (N, 1) labels
        y_pred.append(np.stack([np.argmax(p, axis=-1).reshape(len(p)) for p in preds], axis=-1))
    true, pred = np.concatenate(y_true), np.concatenate(y_pred)
    return (true[:, 0], pred[:, 0]) if len(names) == 1 else (true, pred)


@dataclass(frozen=True)
class HeadAccuracy:
    """Accuracy of a multi-output model: per head, and of whole sequences (every head right)."""

    per_head: dict[str, float]
    sequence: float
    n: int


def evaluate_heads(model, dataset, head_names: Sequence[str] | None = None) -> HeadAccuracy:
    """Return each head's accuracy and the whole-sequence accuracy (all heads right) on ``dataset``.

    For a CAPTCHA reader with one softmax head per character, ``sequence`` is the fraction of
    CAPTCHAs read entirely right: at most the lowest head accuracy, often much lower.

    Example:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Identity()])
        >>> ds = [(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1, 1]))]
        >>> evaluate_heads(model, ds).sequence
        0.5
    """
    names = _head_names(model, head_names)
    y_true, y_pred = predict_classes(model, dataset, names)
    right = (y_true == y_pred).reshape(len(y_true), -1)
    return HeadAccuracy(
        per_head={n: float(right[:, i].mean()) for i, n in enumerate(names)},
        sequence=float(right.all(axis=1).mean()),
        n=len(right),
    )


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Return the fraction of equal labels.

    Example:
        >>> accuracy([1, 2, 3, 4], [1, 2, 0, 0])
        0.5
    """
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"label arrays differ in length: {y_true.shape} vs {y_pred.shape}")
    return float(np.mean(y_true == y_pred))


def train_and_record(
    name: str,
    model,
    train_ds,
    test_ds,
    *,
    epochs: int,
    optimizer=None,
    loss=None,
    metrics: Sequence | Mapping | None = ("accuracy",),
    compile_options: Mapping[str, Any] | None = None,
    on: TrainedOn | None = None,
    dataset: str | None = None,
    train_size: int | None = None,
    test_size: int | None = None,
    batch_size: int | None = None,
    data_source: str | None = None,
    head_names: Sequence[str] | None = None,
    extra: Mapping[str, Any] | None = None,
    record: bool = True,
    retrain: bool | None = None,
    recipe: Mapping[str, Any] | None = None,
    **fit_kwargs,
) -> TrainingRun:
    """Compile, :func:`fit`, measure test accuracy and :func:`course_utils.results.record`; return the run.

    ``on`` (:class:`TrainedOn`) says what the run trains on (dataset, source, size, batch size: or pass
    them one by one); ``test_size`` defaults to the number of test images scored (one head).
    ``optimizer``/``loss``/``metrics`` (and ``compile_options`` such as ``steps_per_execution``)
    compile the model inside its distribution strategy's scope; with ``optimizer=None`` the model
    must already be compiled. ``fit_kwargs`` go to :func:`fit` (``validation_data``,
    ``checkpoint``, ``restore_best``, ``monitor``, ``verbose`` ...); ``images_per_epoch`` defaults
    to ``train_size``. Test accuracy is the arg-max accuracy on ``test_ds`` (several heads: the
    whole-sequence accuracy, each head's in ``run.head_accuracy`` and in the record's ``extra``).
    A cut-short run or one on a synthetic stand-in is recorded apart (see ``results.record``).

    Warm start: with ``dataset``, ``data_source`` and ``train_size`` given, training goes through
    :func:`fit_or_reuse` (its cache key also covers ``batch_size``, ``extra`` and ``recipe``): the
    weights are cached, and ``retrain=False`` (default: the session's) reuses checked cached
    weights; test accuracy is then measured again, and the record is marked as coming from the
    cache, with the original training time (``extra["warm_start"]``).

    Choosing the best epoch on the test set and then reporting test accuracy would flatter the
    model: with ``validation_data=test_ds`` pass ``restore_best=False`` (or use a validation split).

    Example:
        >>> import tensorflow as tf
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        >>> ds = tf.data.Dataset.from_tensor_slices((np.eye(4, dtype="float32"), [0, 1, 0, 1])).batch(2)
        >>> run = train_and_record("demo", model, ds, ds, epochs=1, optimizer="adam",
        ...                        loss="sparse_categorical_crossentropy", record=False, verbose=0)
        demo: trained 1 epoch in ... s; test accuracy ...%
        >>> run.test_accuracy == accuracy(*predict_classes(model, ds))
        True
    """
    given = _merge_on(on, {"dataset": dataset, "data_source": data_source, "train_size": train_size,
                           "batch_size": batch_size})
    dataset, data_source, train_size, batch_size = (given[k] for k in ("dataset", "data_source", "train_size",
                                                                       "batch_size"))
    if record:
        _merge_on(None, given, needed_by=f"train_and_record({name!r}): recording")
        results.check_data_source(data_source)
    validation_data, restore_best = fit_kwargs.get("validation_data"), fit_kwargs.get("restore_best")
    if restore_best is None:
        restore_best = _monitor_key(fit_kwargs.get("monitor"), validation_data).startswith("val_")
    if validation_data is not None and validation_data is test_ds and restore_best:
        raise ValueError("validation_data is the test set: picking the best epoch on it and then reporting test "
                         "accuracy overstates the model. Pass restore_best=False, or validate on a separate split.")
    if optimizer is not None:
        with model.distribute_strategy.scope():
            metrics = metrics if metrics is None or isinstance(metrics, Mapping) else list(metrics)
            model.compile(optimizer=optimizer, loss=loss, metrics=metrics, **(compile_options or {}))
    elif not model.compiled:
        raise ValueError(f"{model.name} is not compiled: pass optimizer= and loss= (or compile it first)")
    fit_kwargs.setdefault("images_per_epoch", train_size)
    if None not in (dataset, data_source, train_size):
        run = fit_or_reuse(name, model, train_ds, epochs, retrain=retrain, dataset=dataset, data_source=data_source,
                           train_size=train_size, recipe={"batch_size": batch_size, "extra": extra, **dict(recipe or {})},
                           announce=False, **fit_kwargs)
    elif retrain is False:
        raise ValueError(f"train_and_record({name!r}, retrain=False): finding cached weights needs dataset=, "
                         "data_source= and train_size=; pass them, or retrain=True")
    else:
        run = fit(model, train_ds, epochs, **fit_kwargs)
    names = _head_names(model, head_names)
    if len(names) == 1:
        y_true, y_pred = predict_classes(model, test_ds)
        run.test_accuracy = accuracy(y_true, y_pred)
        test_size = len(y_true) if test_size is None else test_size
    else:
        scores = evaluate_heads(model, test_ds, names)
        run.test_accuracy, run.head_accuracy = scores.sequence, scores.per_head
    if record:
        if test_size is None:
            raise ValueError(f"train_and_record({name!r}): a model with several heads needs test_size= to record")
        run.record_path = record_run(name, model, run, dataset=dataset, train_size=train_size, test_size=test_size,
                                     batch_size=batch_size, data_source=data_source, extra=extra, announce=False)
    recorded = f", recorded in {show_path(run.record_path)}" if run.record_path is not None else ""
    print(f"{run.summary(name)}; test accuracy {run.test_accuracy:.2%}{recorded}")
    return run


def record_run(
    name: str,
    model,
    run: TrainingRun,
    *,
    test_size: int,
    on: TrainedOn | None = None,
    dataset: str | None = None,
    train_size: int | None = None,
    batch_size: int | None = None,
    data_source: str | None = None,
    test_accuracy: float | None = None,
    extra: Mapping[str, Any] | None = None,
    profile: str | None = None,
    announce: bool = True,
) -> Path:
    """Record a :class:`TrainingRun` with :func:`course_utils.results.record`; return the file's path.

    Epochs, seconds, throughput, whether it was cut short (and why) come from ``run``, so they
    cannot be left out by mistake; ``test_accuracy`` defaults to ``run.test_accuracy`` (set by
    :func:`train_and_record`), and per-head accuracies go into ``extra["head_test_accuracy"]``.
    A cut-short run or one on a synthetic stand-in lands in ``results/<profile>/incomplete/``.
    A run whose weights came from the warm-start cache (``run.from_cache``) is marked so in
    ``extra["warm_start"]``; its training seconds are those of the run that trained the weights.
    ``on`` (:class:`TrainedOn`) gives dataset, source, training-set size and batch size at once.
    """
    given = _merge_on(on, {"dataset": dataset, "data_source": data_source, "train_size": train_size,
                           "batch_size": batch_size}, needed_by=f"record_run({name!r})")
    dataset, data_source, train_size, batch_size = (given[k] for k in ("dataset", "data_source", "train_size",
                                                                       "batch_size"))
    accuracy_value = run.test_accuracy if test_accuracy is None else test_accuracy
    if accuracy_value is None:
        raise ValueError("run.test_accuracy is not set: pass test_accuracy=..., or train with train_and_record")
    details = dict(extra or {})
    if run.head_accuracy is not None:
        details["head_test_accuracy"] = {k: round(v, 5) for k, v in run.head_accuracy.items()}
    if run.from_cache:
        details["warm_start"] = {"from_cache": True, "trained_at": run.trained_at,
                                 "note": "weights loaded from the warm-start cache, not trained in this run; "
                                         "train_seconds is the training time of the run that made them"}
    return results.record(
        name, model=model, dataset=dataset, train_size=train_size, test_size=test_size, epochs=run.epochs,
        batch_size=batch_size, test_accuracy=accuracy_value, train_seconds=run.seconds,
        images_per_second=run.images_per_second if run.images else None, images_seen=run.images or None,
        data_source=data_source,
        interrupted=run.interrupted, stop_reason=run.stop_reason, extra=details or None, profile=profile,
        announce=announce,
    )
