"""Learning-rate tools: the range test (fastai's ``lr_find``) and the one-cycle schedule.

The range test (Smith 2017, "Cyclical Learning Rates for Training Neural Networks", sec. 3.3;
popularised by fastai's ``lr_find``) trains for a few hundred mini-batches while the learning rate
grows exponentially from tiny to huge, records the loss of each batch, and stops once the loss
explodes; the model's weights are put back afterwards. Loss against learning rate (log axis) falls,
flattens, then shoots up: a good peak rate lies on the falling part, well before the minimum.
:func:`one_cycle` (Smith and Topin 2018, "Super-Convergence") then warms up from a tenth-or-less of
that peak to the peak and anneals far below it. The warm-up + cosine schedule of notebooks 06-08
stays in :func:`course_utils.training.warmup_cosine`.

Example:
    >>> schedule = one_cycle(0.1, total_steps=100)
    >>> [round(float(schedule(step)), 6) for step in (0, 25, 100)]
    [0.004, 0.1, 0.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import matplotlib.pyplot as plt
import numpy as np


class RetimableSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A learning-rate schedule laid out over ``total_steps`` that can be moved while it trains.

    The total and the warm-up (``warmup_fraction`` of it, at least one step) live in two non-trainable
    variables, read at every step: :meth:`set_total_steps` changes them without rebuilding the training
    step, so :func:`course_utils.training.fit`, holding a time plan, can stretch or shorten the schedule
    to the steps the time left buys and the rate still ends its annealing at the last step.
    """

    def __init__(self, total_steps: int, warmup_fraction: float):
        if total_steps < 2 or not 0 <= warmup_fraction < 1:
            raise ValueError(f"need total_steps >= 2 and 0 <= warmup_fraction < 1, got {total_steps} and {warmup_fraction}")
        self.warmup_fraction = float(warmup_fraction)
        self._total = keras.Variable(0.0, dtype="float32", trainable=False, name="schedule_total_steps")
        self._warmup = keras.Variable(1.0, dtype="float32", trainable=False, name="schedule_warmup_steps")
        self.set_total_steps(total_steps)

    @property
    def total_steps(self) -> int:
        return int(self._total.numpy())

    @property
    def warmup_steps(self) -> int:
        return int(self._warmup.numpy())

    def warmup_for(self, total_steps: int) -> int:
        """The warm-up steps of a schedule of ``total_steps``."""
        return max(1, int(total_steps * self.warmup_fraction))

    def set_total_steps(self, total_steps: int) -> None:
        """Lay the schedule out over ``total_steps`` (at least 2) from now on; the steps already taken stay taken.

        Example:
            >>> schedule = one_cycle(0.1, total_steps=100)
            >>> schedule.set_total_steps(40); schedule.total_steps, schedule.warmup_steps
            (40, 10)
        """
        if int(total_steps) < 2:
            raise ValueError(f"a schedule needs total_steps >= 2, got {total_steps}")
        self._total.assign(float(int(total_steps)))
        self._warmup.assign(float(self.warmup_for(int(total_steps))))


@keras.saving.register_keras_serializable(package="course_utils")
class OneCycle(RetimableSchedule):
    """One-cycle learning rate: cosine warm-up from ``peak / div_factor`` to ``peak``, cosine annealing to
    ``peak / (div_factor * final_div_factor)``.

    The warm-up takes ``warmup_fraction`` of ``total_steps``; past ``total_steps`` the rate stays at its
    final value. The defaults are fastai's ``fit_one_cycle`` (and PyTorch's ``OneCycleLR``): 25,
    10,000 and 0.25 (PyTorch: 0.3). Momentum cycling, the other half of fastai's policy, is left out:
    Keras' SGD keeps a fixed momentum. The total can move while training (:class:`RetimableSchedule`).
    """
    def __init__(self, peak_learning_rate: float, total_steps: int, warmup_fraction: float = 0.25,
                 div_factor: float = 25.0, final_div_factor: float = 1e4):
        if not peak_learning_rate > 0:
            raise ValueError(f"peak_learning_rate must be positive, got {peak_learning_rate}")
        if total_steps < 2 or not 0 < warmup_fraction < 1:
            raise ValueError(f"need total_steps >= 2 and 0 < warmup_fraction < 1, got {total_steps} and {warmup_fraction}")
        if div_factor < 1 or final_div_factor < 1:
            raise ValueError(f"div_factor and final_div_factor must be >= 1, got {div_factor} and {final_div_factor}")
        self.peak_learning_rate = float(peak_learning_rate)
        self.div_factor = float(div_factor)
        self.final_div_factor = float(final_div_factor)
        super().__init__(total_steps, warmup_fraction)

    def warmup_for(self, total_steps: int) -> int:
        return max(1, round(total_steps * self.warmup_fraction))

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        total, warmup = keras.ops.convert_to_tensor(self._total), keras.ops.convert_to_tensor(self._warmup)
        peak = self.peak_learning_rate
        start = peak / self.div_factor
        end = start / self.final_div_factor
        up = keras.ops.clip(step / warmup, 0.0, 1.0)
        down = keras.ops.clip((step - warmup) / (total - warmup), 0.0, 1.0)

        def cosine(a, b, t):  # from a (t = 0) to b (t = 1) along half a cosine
            return b + (a - b) * (1.0 + keras.ops.cos(math.pi * t)) / 2.0

        return keras.ops.where(step < warmup, cosine(start, peak, up), cosine(peak, end, down))

    def get_config(self) -> dict:
        return {"peak_learning_rate": self.peak_learning_rate, "total_steps": self.total_steps,
                "warmup_fraction": self.warmup_fraction, "div_factor": self.div_factor,
                "final_div_factor": self.final_div_factor}


@keras.saving.register_keras_serializable(package="course_utils")
class WarmupCosine(RetimableSchedule):
    """Linear warm-up from 0 to ``peak_learning_rate`` over ``warmup_fraction`` of ``total_steps`` (at least one
    step), then cosine decay to 0 at ``total_steps``; 0 after it. The same rates as Keras' ``CosineDecay(0.0,
    total - warmup, warmup_target=peak, warmup_steps=warmup)``, with a total that can move while training
    (:class:`RetimableSchedule`)."""

    def __init__(self, peak_learning_rate: float, total_steps: int, warmup_fraction: float = 0.1):
        self.peak_learning_rate = float(peak_learning_rate)
        super().__init__(total_steps, warmup_fraction)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        total, warmup = keras.ops.convert_to_tensor(self._total), keras.ops.convert_to_tensor(self._warmup)
        peak = self.peak_learning_rate
        up = peak * step / warmup
        down = keras.ops.clip((step - warmup) / (total - warmup), 0.0, 1.0)
        return keras.ops.where(step < warmup, up, peak * (1.0 + keras.ops.cos(math.pi * down)) / 2.0)

    def get_config(self) -> dict:
        return {"peak_learning_rate": self.peak_learning_rate, "total_steps": self.total_steps,
                "warmup_fraction": self.warmup_fraction}


def one_cycle(peak_learning_rate: float, total_steps: int, warmup_fraction: float = 0.25,
              div_factor: float = 25.0, final_div_factor: float = 1e4) -> OneCycle:
    """Return the one-cycle schedule (:class:`OneCycle`) for an optimizer: ``keras.optimizers.SGD(one_cycle(0.1, steps))``.

    Example:
        >>> schedule = one_cycle(1.0, total_steps=8, warmup_fraction=0.5)    # 4 steps up, 4 down
        >>> [round(float(schedule(s)), 3) for s in range(0, 9, 2)]
        [0.04, 0.52, 1.0, 0.5, 0.0]
    """
    return OneCycle(peak_learning_rate, total_steps, warmup_fraction, div_factor, final_div_factor)


@dataclass
class RangeTest:
    """What :func:`lr_find` measured: the learning rate and loss of each batch, and the suggestions.

    ``smoothed_losses`` is the exponentially weighted average of ``losses`` (bias-corrected, as fastai
    plots it). ``min_rate`` is the rate of the lowest smoothed loss; ``suggestion`` is ``min_rate / 10``
    (fastai's ``lr_min``: a constant rate where the loss still falls fast, safely before the blow-up);
    ``one_cycle_peak`` is ``min_rate / 2``, a peak for :func:`one_cycle`, which visits it only briefly;
    ``steepest_rate`` is where the smoothed loss falls fastest per unit of log rate. Both ignore the
    first ``skip_start`` and last ``skip_end`` batches, as fastai does.
    """
    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed_losses: np.ndarray
    stopped_early: bool

    skip_start: int = 10
    skip_end: int = 5

    def _window(self) -> slice:
        """The batches the suggestions look at: not the first ``skip_start`` (the smoothing is still settling) nor
        the last ``skip_end`` (the blow-up), as fastai skips them; all batches when too few remain."""
        n = len(self.smoothed_losses)
        return slice(self.skip_start, n - self.skip_end) if n - self.skip_end - self.skip_start >= 3 else slice(0, n)

    @property
    def min_rate(self) -> float:
        window = self._window()
        return float(self.learning_rates[window][int(np.argmin(self.smoothed_losses[window]))])

    @property
    def suggestion(self) -> float:
        return self.min_rate / 10

    @property
    def one_cycle_peak(self) -> float:
        """A peak rate for :func:`one_cycle`: half the rate of the lowest smoothed loss.

        Smith (2018, "A disciplined approach to neural network hyper-parameters", sec. 4.1) takes the one-cycle
        peak near the largest rate at which the loss still falls in the range test: the schedule spends only
        a few steps there and warms up to it. Half the minimum leaves a margin for the noise of a short test.
        """
        return self.min_rate / 2

    @property
    def steepest_rate(self) -> float:
        window = self._window()
        rates, losses = self.learning_rates[window], self.smoothed_losses[window]
        end = max(2, int(np.argmin(losses)) + 1)  # only the falling part
        slopes = np.gradient(losses[:end], np.log(rates[:end]))
        return float(rates[int(np.argmin(slopes))])

    def plot(self, ax=None, title: str = "Learning-rate range test"):
        """Plot smoothed loss (and raw batch losses, faint) against the learning rate on a log axis."""

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.6))
        ax.plot(self.learning_rates, self.losses, color="0.75", lw=0.8, label="batch loss")
        ax.plot(self.learning_rates, self.smoothed_losses, color="C0", lw=2, label="smoothed")
        for rate, style, label in [(self.min_rate, ":", "minimum"), (self.suggestion, "--", "minimum / 10"),
                                   (self.steepest_rate, "-.", "steepest descent")]:
            ax.axvline(rate, color="C3" if label.startswith("minimum /") else "0.4", ls=style, lw=1.2,
                       label=f"{label}: {rate:.2g}")
        low, high = float(np.min(self.smoothed_losses)), float(self.smoothed_losses[0])
        ax.set_ylim(low - 0.1 * (high - low + 1e-9), high + 0.6 * (high - low + 1e-9))
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("training loss")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        return ax


def smooth(values, beta: float = 0.98) -> np.ndarray:
    """Return the bias-corrected exponentially weighted average of ``values`` (fastai's loss smoothing).

    Example:
        >>> smooth([1.0, 3.0], beta=0.5).tolist()       # 1, then (0.5*0.5*1 + 0.5*3) / (1 - 0.25)
        [1.0, 2.3333333333333335]
    """
    out, average = [], 0.0
    for i, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * float(value)
        out.append(average / (1 - beta ** i))
    return np.asarray(out)


def lr_find(
    model,
    dataset,
    optimizer,
    loss,
    *,
    min_rate: float = 1e-5,
    max_rate: float = 10.0,
    steps: int = 100,
    diverge: float = 4.0,
    beta: float = 0.98,
) -> RangeTest:
    """Run the learning-rate range test on ``model``; put its weights back; return a :class:`RangeTest`.

    ``optimizer`` is a fresh Keras optimizer (its learning rate is overwritten at every step, so a
    float learning rate, not a schedule); ``loss`` as for ``compile``. The rate grows exponentially
    from ``min_rate`` to ``max_rate`` over ``steps`` batches of ``dataset`` (repeated if shorter);
    each batch's own loss is recorded (``train_on_batch``: not Keras' running mean over the epoch).
    The test stops once the smoothed loss exceeds ``diverge`` times its lowest value. The model is
    compiled with ``optimizer`` here: compile it again (a fresh optimizer) before training it.

    Example:
        >>> import tensorflow as tf
        >>> keras.utils.set_random_seed(0)
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        >>> ds = tf.data.Dataset.from_tensor_slices((np.eye(4, dtype="float32"), [0, 1, 0, 1])).batch(2)
        >>> before = model.get_weights()[0].copy()
        >>> test = lr_find(model, ds, keras.optimizers.SGD(), "sparse_categorical_crossentropy", steps=20)
        >>> len(test.learning_rates) <= 20, bool(np.all(model.get_weights()[0] == before))
        (True, True)
    """
    if not 0 < min_rate < max_rate:
        raise ValueError(f"need 0 < min_rate < max_rate, got {min_rate} and {max_rate}")
    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    if isinstance(optimizer.learning_rate, keras.optimizers.schedules.LearningRateSchedule) or callable(
            getattr(optimizer, "_learning_rate", None)):
        raise ValueError("lr_find sets the learning rate itself: pass an optimizer with a float learning rate, "
                         "not a schedule")
    saved = model.get_weights()
    model.compile(optimizer=optimizer, loss=loss)
    rates = min_rate * (max_rate / min_rate) ** (np.arange(steps) / (steps - 1))
    seen_rates: list[float] = []
    losses: list[float] = []
    stopped = False
    batches = iter(dataset.repeat())
    try:
        for rate in rates:
            x, y = next(batches)
            optimizer.learning_rate = float(rate)
            batch_loss = float(np.asarray(model.train_on_batch(x, y, return_dict=True)["loss"]))
            seen_rates.append(float(rate))
            losses.append(batch_loss)
            smoothed = smooth(losses, beta)
            if not math.isfinite(batch_loss) or (len(losses) > 1 and smoothed[-1] > diverge * smoothed.min()):
                stopped = True
                break
    finally:
        model.set_weights(saved)
    if not math.isfinite(losses[-1]):  # a nan/inf would hide the curve: drop it, keep the rest
        seen_rates, losses = seen_rates[:-1] or seen_rates, losses[:-1] or [float("nan")]
    return RangeTest(np.asarray(seen_rates), np.asarray(losses), smooth(losses, beta), stopped)


def warmup_cosine(peak_learning_rate: float, total_steps: int, warmup_fraction: float = 0.1) -> WarmupCosine:
    """Return a learning-rate schedule: linear warm-up from 0 to the peak, then cosine decay to 0 (:class:`WarmupCosine`).

    The warm-up takes ``warmup_fraction`` of ``total_steps`` (at least one step). Pass the result
    to an optimizer: ``keras.optimizers.Adam(warmup_cosine(5e-3, steps))``.

    Example:
        >>> schedule = warmup_cosine(1e-2, total_steps=100)
        >>> [round(float(schedule(step)), 4) for step in (0, 10, 100)]
        [0.0, 0.01, 0.0]
    """
    return WarmupCosine(peak_learning_rate, total_steps, warmup_fraction)


def planned_steps(optimizer) -> int | None:
    """Return how many steps ``optimizer``'s learning-rate schedule is laid out over; None for a constant rate.

    Read from the optimizer's public config: a :func:`warmup_cosine` or :func:`one_cycle` schedule (their total
    as it stands now), or Keras' ``CosineDecay`` (warm-up plus decay steps). :func:`course_utils.training.fit`
    compares it with the steps it is asked to run, so that an epoch count stated twice (once for
    the schedule, once for ``fit``) cannot silently disagree.

    Example:
        >>> planned_steps(keras.optimizers.Adam(warmup_cosine(1e-2, total_steps=100)))
        100
        >>> planned_steps(keras.optimizers.SGD(one_cycle(0.1, total_steps=40))), planned_steps(keras.optimizers.SGD(0.1))
        (40, None)
    """
    rate = optimizer.get_config().get("learning_rate")
    if not isinstance(rate, dict):
        return None
    config = rate.get("config", {})
    if rate.get("class_name") == "CosineDecay":
        return int(config["decay_steps"]) + int(config.get("warmup_steps") or 0)
    if rate.get("class_name") in ("OneCycle", "WarmupCosine"):
        return int(config["total_steps"])
    return None
