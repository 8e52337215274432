"""Time plans: how many epochs and steps a number of seconds of training buys on this machine.

:func:`measure_training_costs` times a few training steps (and one validation pass) of a model;
:func:`plan_for_seconds` turns the measured speed into epochs and steps that fit a budget, in closed form;
:func:`plan_training` does both and keeps the plan beside the warm-start weights, so that a rerun with
``retrain=False`` trains the same number of steps. :func:`course_utils.training.fit` runs the plan, and given it
(``time_plan=plan``) holds it: a few batches of a copy are a rough speed, so ``fit`` re-plans the steps at the run's
own speed as it trains (:func:`steps_within`) and ends at the plan's seconds.

Example:
    >>> plan = plan_for_seconds(100, images_per_second=96, train_size=5000, batch_size=64)
    >>> plan.epochs * plan.steps_per_epoch <= 100 * 96 / 64
    True
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import keras

from . import warm_start
from .session import current


@dataclass(frozen=True)
class TimePlan:
    """How many steps of ``batch_size`` images ``seconds`` of training buy at a measured speed.

    Pass ``epochs`` and ``steps_per_epoch`` to :func:`fit` with a repeating dataset
    (``train_ds.repeat()``): ``steps_per_epoch`` is at most one pass over the training set, so a
    short budget ends part-way through the first pass instead of being rounded up to a whole one.
    ``fixed_seconds`` (building the training and validation steps once) and ``seconds_per_epoch``
    (one validation pass) are the parts of ``fit``'s wall time that train nothing; the steps get
    the rest. A plan of whole passes (:func:`plan_training` without ``seconds``) has no seconds nor speed.
    """
    seconds: float | None
    images_per_second: float | None
    epochs: int
    steps_per_epoch: int
    fixed_seconds: float = 0.0
    seconds_per_epoch: float = 0.0

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    def planned_seconds(self, batch_size: int) -> float | None:
        """``fit``'s expected wall time: the fixed costs, one validation per epoch and the steps (None: no speed)."""
        if self.images_per_second is None:
            return None
        return self.fixed_seconds + self.epochs * self.seconds_per_epoch + self.steps * batch_size / self.images_per_second


@dataclass(frozen=True)
class TrainingCosts:
    """What one ``fit`` costs here, measured on a throwaway copy (:func:`measure_training_costs`).

    ``images_per_second``: sustained training speed, batches after the first; ``fixed_seconds``: the
    time beyond one step that ``fit`` and ``evaluate`` spend once (building, compiling); ``validation_seconds``:
    one pass over the validation data (0 without it).
    """
    images_per_second: float
    fixed_seconds: float
    validation_seconds: float = 0.0


def plan_for_seconds(
    seconds: float,
    images_per_second: float,
    train_size: int,
    batch_size: int,
    *,
    fixed_seconds: float = 0.0,
    seconds_per_epoch: float = 0.0,
) -> TimePlan:
    """Return the :class:`TimePlan` whose ``fit`` takes about ``seconds`` at ``images_per_second``.

    ``fixed_seconds`` and ``seconds_per_epoch`` (a validation pass after each epoch) come off the
    budget first. The steps are split into as few equal "epochs" as keep each at most one pass over
    ``train_size`` images: the smallest number of epochs ``e`` whose remaining time,
    ``seconds - fixed_seconds - e * seconds_per_epoch``, buys at most ``e`` passes. At least 2 steps
    (a schedule needs two), so ``steps`` may differ from that count by less than one epoch's. Two
    networks trained with plans for the same ``seconds`` get about the same wall time, whatever their speeds.

    Example:
        >>> plan = plan_for_seconds(100, images_per_second=96, train_size=5000, batch_size=64)
        >>> plan.epochs, plan.steps_per_epoch, plan.steps  # 150 steps: two passes of 75
        (2, 75, 150)
        >>> plan_for_seconds(100, images_per_second=20, train_size=5000, batch_size=64).epochs  # 31 steps
        1
        >>> plan = plan_for_seconds(100, 96, 5000, 64, fixed_seconds=10, seconds_per_epoch=5)  # 80 s: 120 steps
        >>> plan.epochs, plan.steps_per_epoch, round(plan.planned_seconds(64), 1)
        (2, 60, 100.0)
    """
    if not seconds > 0 or not images_per_second > 0:
        raise ValueError(f"need seconds > 0 and images_per_second > 0, got {seconds} and {images_per_second}")
    if train_size < 1 or batch_size < 1:
        raise ValueError(f"need train_size >= 1 and batch_size >= 1, got {train_size} and {batch_size}")
    if fixed_seconds < 0 or seconds_per_epoch < 0:
        raise ValueError(f"need fixed_seconds >= 0 and seconds_per_epoch >= 0, got {fixed_seconds} and {seconds_per_epoch}")
    per_pass = math.ceil(train_size / batch_size)

    def steps_for(epochs: int) -> int:  # what the time left after ``epochs`` validations buys
        return max(2, round((seconds - fixed_seconds - epochs * seconds_per_epoch) * images_per_second / batch_size))

    def fits(epochs: int) -> bool:
        try:
            return steps_for(epochs) <= epochs * per_pass
        except OverflowError:  # epochs * seconds_per_epoch overflowed: no time left, so it fits
            return True

    # steps_for never grows with the epochs (each operation and round are monotonic) while the passes
    # do, so ``fits`` turns true once and stays true: bisect for the first such epoch count, which is at
    # most ceil(steps_for(1) / per_pass) (that many passes hold steps_for(1) >= steps_for(e) steps).
    low, high = 1, -(-steps_for(1) // per_pass)  # where steps_for raises, a search from 1 epoch up raised too
    while low < high:  # about log2(steps / per_pass) steps
        middle = (low + high) // 2
        low, high = (low, middle) if fits(middle) else (middle + 1, high)
    epochs, steps = low, steps_for(low)
    return TimePlan(seconds, images_per_second, epochs, max(1, round(steps / epochs)),
                    float(fixed_seconds), float(seconds_per_epoch))


def steps_within(
    seconds_left: float,
    seconds_per_step: float,
    seconds_per_validation: float,
    steps_done: int,
    steps_per_epoch: int,
    validations_done: int,
    max_steps: int,
) -> int:
    """Return the total steps (at least ``steps_done``, at most ``max_steps``) that end ``fit`` within ``seconds_left``.

    A total of ``M`` steps still costs ``(M - steps_done) * seconds_per_step`` plus one validation per epoch end
    not yet validated: ``ceil(M / steps_per_epoch) - validations_done`` (a last epoch cut short validates too).
    The largest ``M`` whose cost fits is returned; ``steps_done`` when even the pending validation does not fit.
    :func:`course_utils.training.fit` calls this as it trains, to hold a :class:`TimePlan`.

    Example (100 s left, 0.5 s a step, 5 s a validation, epochs of 50 steps, 20 steps into the first: 180 steps in
    all cost 160 x 0.5 + 4 validations x 5 = 100 s):
        >>> steps_within(100, 0.5, 5, steps_done=20, steps_per_epoch=50, validations_done=0, max_steps=1000)
        180
        >>> steps_within(100, 0.5, 5, 20, 50, 0, max_steps=120)  # the cap
        120
        >>> steps_within(3, 0.5, 5, 20, 50, 0, max_steps=1000)  # not even the pending validation fits: stop now
        20
    """
    if not seconds_per_step > 0 or seconds_per_validation < 0 or steps_per_epoch < 1:
        raise ValueError(f"need seconds_per_step > 0, seconds_per_validation >= 0 and steps_per_epoch >= 1, got "
                         f"{seconds_per_step}, {seconds_per_validation} and {steps_per_epoch}")

    def cost(total: int) -> float:
        return ((total - steps_done) * seconds_per_step
                + max(0, -(-total // steps_per_epoch) - validations_done) * seconds_per_validation)

    low, high = steps_done, max(steps_done, max_steps)  # cost grows with the total: bisect for the last that fits
    if cost(low) > seconds_left:
        return steps_done
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if cost(middle) <= seconds_left else (low, middle - 1)
    return low


def plan_training(
    build: Callable[[], Any],
    train_data,
    train_size: int,
    batch_size: int,
    *,
    seconds: float | None = None,
    epochs: int = 1,
    batches: int = 20,
    validation_data=None,
    name: str | None = None,
    retrain: bool | None = None,
) -> TimePlan:
    """Return how long to train: ``epochs`` whole passes, or, with ``seconds``, the steps they buy here.

    With ``seconds``, ``build()`` must return a throwaway copy of the model to be trained, compiled
    with the same loss and metrics, so that its steps do the real run's work;
    what ``fit`` costs with it (:func:`measure_training_costs`: its speed on ``batches`` batches of
    ``train_data``, building its steps and, given the ``validation_data`` the real ``fit`` will use,
    one validation pass) goes to :func:`plan_for_seconds`; 20 batches by default, because on a 2-core
    machine a speed timed over 5 strayed too far from the run's to plan by. Without, nothing is built nor timed. Train with
    ``fit(train_data.repeat(), plan.epochs, steps_per_epoch=plan.steps_per_epoch, validation_data=...)``.

    ``name`` (the run's name in :func:`fit_or_reuse`) keeps the plan in the warm-start cache
    (:func:`course_utils.warm_start.plan_file`); with ``retrain=False`` a kept plan for the same
    seconds and sizes is reused without timing anything, so the steps, and with them the cached
    weights' key, are those of the run that trained them.

    Example:
        >>> plan = plan_training(None, None, train_size=5000, batch_size=64, epochs=3)  # no timing
        >>> plan.epochs, plan.steps_per_epoch, plan.seconds
        (3, 79, None)
    """
    if seconds is None:
        if epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {epochs}")
        return TimePlan(None, None, int(epochs), math.ceil(train_size / batch_size))
    path = warm_start.plan_file(name) if name is not None else None
    sizes = {"seconds": seconds, "train_size": int(train_size), "batch_size": int(batch_size)}
    if retrain is None:
        retrain = current().retrain
    if path is not None and not retrain and path.is_file():
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            if {k: kept[k] for k in sizes} == sizes:
                plan = TimePlan(**kept["plan"])
                print(f"warm start: REUSED the plan of {name}: {plan.epochs} x {plan.steps_per_epoch} steps, from "
                      f"{plan.images_per_second:,.0f} images/s measured when it trained (nothing timed now)")
                return plan
            print(f"warm start: the kept plan of {name} was made for other sizes ({ {k: kept[k] for k in sizes} }); "
                  "timing this machine instead")
        except (ValueError, KeyError, TypeError) as error:
            print(f"warm start: the kept plan of {name} is unreadable ({type(error).__name__}: {error}); "
                  "timing this machine instead")
    probe = build()
    costs = measure_training_costs(probe, train_data, batch_size, batches, validation_data=validation_data)
    del probe
    plan = plan_for_seconds(seconds, costs.images_per_second, train_size, batch_size,
                            fixed_seconds=costs.fixed_seconds, seconds_per_epoch=costs.validation_seconds)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**sizes, "plan": asdict(plan)}, indent=1), encoding="utf-8")
    return plan


def measure_training_costs(model, train_data, batch_size: int, batches: int = 20, validation_data=None) -> TrainingCosts:
    """Measure what ``fit`` costs a compiled ``model`` here: speed, one-off building time, a validation pass.

    One ``fit`` over ``batches + 1`` batches of ``train_data``: the first builds (and compiles) the
    training step; the speed comes from the ``batches`` after it, timed batch end to batch end. With
    ``validation_data``, two ``evaluate`` passes: the second is the pass, the first's extra time is
    building the evaluation step. This trains ``model``: measure a throwaway copy (built the same
    way), not the model you will train. A figure of this machine, now: other programs running at the
    same time lower it.
    """
    if batches < 1:
        raise ValueError(f"batches must be at least 1, got {batches}")
    ends: list[float] = []  # when each training batch ended (perf_counter seconds)
    clock = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter()))
    start = time.perf_counter()
    model.fit(train_data.repeat().take(batches + 1), callbacks=[clock], verbose=0)
    if len(ends) != batches + 1:
        raise ValueError(f"train_data gave {len(ends)} batches, not {batches + 1}: is it empty?")
    step = (ends[-1] - ends[0]) / batches
    fixed = max(0.0, ends[0] - start - step)  # the first batch beyond one step: building the step
    validation = 0.0
    if validation_data is not None:
        first = time.perf_counter()
        model.evaluate(validation_data, verbose=0)
        second = time.perf_counter()
        model.evaluate(validation_data, verbose=0)
        validation = time.perf_counter() - second
        fixed += max(0.0, second - first - validation)
    return TrainingCosts(batch_size / step, fixed, validation)
