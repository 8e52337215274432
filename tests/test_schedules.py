"""course_utils.schedules: the one-cycle schedule against hand-worked values and a plain-Python formula,
the loss smoothing by hand, and the learning-rate range test on a tiny problem (weights put back,
exponential rates, stop on divergence)."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import schedules


def _one_cycle_by_hand(step, peak, total, warmup_fraction=0.25, div=25.0, final_div=1e4):
    """fastai's fit_one_cycle rate written out in plain Python (cosine up, cosine down)."""
    start, end = peak / div, peak / div / final_div
    warm = max(1, round(total * warmup_fraction))
    if step < warm:
        a, b, t = start, peak, step / warm
    else:
        a, b, t = peak, end, min(1.0, (step - warm) / (total - warm))
    return a + (b - a) * (1 - math.cos(math.pi * t)) / 2


def test_one_cycle_hand_worked_values():
    schedule = schedules.one_cycle(0.4, total_steps=400)  # warm-up 100 steps
    rates = [float(schedule(s)) for s in (0, 50, 100, 250, 400, 500)]
    expected = [0.4 / 25, (0.016 + 0.4) / 2, 0.4, (0.4 + 0.4 / 25 / 1e4) / 2, 0.4 / 25 / 1e4, 0.4 / 25 / 1e4]
    np.testing.assert_allclose(rates, expected, rtol=1e-5)


@pytest.mark.parametrize("peak, total, fraction", [(0.1, 800, 0.25), (3e-3, 37, 0.3), (1.0, 10, 0.1)])
def test_one_cycle_matches_the_formula_at_every_step(peak, total, fraction):
    schedule = schedules.one_cycle(peak, total, warmup_fraction=fraction)
    got = [float(schedule(s)) for s in range(total + 1)]
    # float32 arithmetic: within a millionth of the peak (the tail, near peak / 250,000, loses relative digits)
    np.testing.assert_allclose(got, [_one_cycle_by_hand(s, peak, total, fraction) for s in range(total + 1)],
                               rtol=1e-5, atol=1e-6 * peak)


def test_one_cycle_drives_an_optimizer_and_rejects_bad_arguments():
    variable = keras.Variable(1.0)
    optimizer = keras.optimizers.SGD(schedules.one_cycle(0.5, total_steps=4, warmup_fraction=0.5))
    optimizer.apply_gradients([(tf.constant(1.0), variable)])  # step 0: rate 0.5 / 25 = 0.02
    assert float(variable.numpy()) == pytest.approx(1.0 - 0.02)
    with pytest.raises(ValueError, match="total_steps >= 2"):
        schedules.one_cycle(0.1, total_steps=1)
    with pytest.raises(ValueError, match="positive"):
        schedules.one_cycle(0.0, total_steps=10)


def test_smooth_by_hand():
    # beta 0.9: a1 = 0.1*2 = 0.2 -> 0.2/0.1 = 2; a2 = 0.9*0.2 + 0.1*4 = 0.58 -> 0.58/0.19
    np.testing.assert_allclose(schedules.smooth([2.0, 4.0], beta=0.9), [2.0, 0.58 / 0.19])


def _tiny_problem(seed=0):
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    return model, tf.data.Dataset.from_tensor_slices((x, y)).batch(32)


def test_lr_find_puts_the_weights_back_and_grows_the_rate_exponentially():
    model, ds = _tiny_problem()
    before = [w.copy() for w in model.get_weights()]
    found = schedules.lr_find(model, ds, keras.optimizers.SGD(), "sparse_categorical_crossentropy",
                              min_rate=1e-4, max_rate=1e-1, steps=31)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)
    # 31 rates from 1e-4 to 1e-1: three decades in 30 equal steps of 10 ** 0.1 (the dataset repeats after 8 batches)
    assert len(found.learning_rates) == 31 and not found.stopped_early
    np.testing.assert_allclose(found.learning_rates, 1e-4 * 10 ** (np.arange(31) / 10), rtol=1e-9)
    np.testing.assert_allclose(found.smoothed_losses, schedules.smooth(found.losses))
    assert found.suggestion == pytest.approx(found.min_rate / 10)
    inside = found.smoothed_losses[10:26]  # fastai's window: not the first 10 batches nor the last 5
    assert found.min_rate == found.learning_rates[10 + int(np.argmin(inside))]


def test_lr_find_records_each_batch_loss_not_the_running_mean():
    model, ds = _tiny_problem(1)
    x, y = next(iter(ds))
    first_loss = float(keras.losses.sparse_categorical_crossentropy(y, model(x)).numpy().mean())
    found = schedules.lr_find(model, ds, keras.optimizers.SGD(), "sparse_categorical_crossentropy", steps=5,
                              min_rate=1e-6, max_rate=1e-5)
    assert found.losses[0] == pytest.approx(first_loss, rel=1e-5)  # the first batch, before any update


def test_lr_find_stops_when_the_loss_explodes():
    model, ds = _tiny_problem(2)
    found = schedules.lr_find(model, ds, keras.optimizers.SGD(), "sparse_categorical_crossentropy",
                              min_rate=1e-3, max_rate=1e6, steps=200)
    assert found.stopped_early and len(found.learning_rates) < 200
    assert np.all(np.isfinite(found.losses))


def test_lr_find_refuses_a_schedule():
    model, ds = _tiny_problem()
    with pytest.raises(ValueError, match="float learning rate"):
        schedules.lr_find(model, ds, keras.optimizers.SGD(schedules.one_cycle(0.1, 100)),
                          "sparse_categorical_crossentropy")


@pytest.mark.parametrize("total, fraction", [(100, 0.1), (37, 0.05), (2, 0.1), (1000, 0.0), (57, 0.3)])
def test_warmup_cosine_gives_the_rates_of_keras_cosine_decay_with_a_warm_up(total, fraction):
    """WarmupCosine replaced Keras' CosineDecay (so that a time plan can move its end): the same rates, past the end too."""
    warmup = max(1, int(total * fraction))
    keras_schedule = keras.optimizers.schedules.CosineDecay(0.0, decay_steps=total - warmup, warmup_target=3e-3,
                                                             warmup_steps=warmup)
    ours = schedules.warmup_cosine(3e-3, total, fraction)
    steps = range(total + 5)
    np.testing.assert_allclose([float(ours(s)) for s in steps], [float(keras_schedule(s)) for s in steps], atol=1e-9)


def test_moving_the_total_moves_the_end_of_the_schedule():
    schedule = schedules.warmup_cosine(1e-2, 100)
    schedule.set_total_steps(50)
    assert (schedule.total_steps, schedule.warmup_steps, float(schedule(50))) == (50, 5, 0.0)
    assert schedules.planned_steps(keras.optimizers.Adam(schedule)) == 50
    with pytest.raises(ValueError, match="total_steps >= 2"):
        schedule.set_total_steps(1)
