"""recipes.range_test, which sets notebook 10's learning rate: its contract on a tiny learnable task."""

import numpy as np
import pytest

from course_utils import recipes

STEPS, BATCH = 24, 16


def _two_colours(n: int = 64, seed: int = 0):
    """``n`` 32 x 32 greyish images, class 1 redder than class 0 (one-hot over 10 classes): learnable in a few steps."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0.5, 0.1, (n, 32, 32, 3)).astype("float32")
    x[y == 1, :, :, 0] += 0.3
    return np.clip(x, 0, 1), np.eye(10, dtype="float32")[y]


@pytest.fixture(scope="module")
def found():
    x, y = _two_colours()
    # "none": with the flip augmentation the test is not reproducible for a seed (unseeded random flips)
    return recipes.range_test(x, y, width=0.125, augmentation="none", batch_size=BATCH, steps=STEPS, seed=10)


def test_the_rate_rises_exponentially_from_1e_4_to_10(found):
    n = len(found.learning_rates)
    assert 2 <= n <= STEPS and len(found.losses) == len(found.smoothed_losses) == n
    expected = 1e-4 * (10 / 1e-4) ** (np.arange(STEPS) / (STEPS - 1))  # 1e-4 ... 10 in STEPS batches
    np.testing.assert_allclose(found.learning_rates, expected[:n], rtol=1e-12)
    assert found.stopped_early or n == STEPS


def test_it_stops_when_the_loss_blows_up(found):
    # at 1 to 10 SGD diverges on this task: the test stops once the smoothed loss exceeds 4 x its lowest
    smoothed = found.smoothed_losses
    assert found.stopped_early and (smoothed[-1] > 4 * smoothed.min() or not np.isfinite(found.losses[-1]))
    assert np.all(smoothed[:-1] <= 4 * smoothed.min())  # and not before


def test_the_suggestions_come_from_the_lowest_smoothed_loss(found):
    n = len(found.smoothed_losses)
    window = slice(10, n - 5) if n - 15 >= 3 else slice(0, n)  # fastai skips the first 10 and last 5 batches
    lowest = int(np.argmin(found.smoothed_losses[window])) + (window.start or 0)
    assert found.min_rate == found.learning_rates[lowest]
    assert found.suggestion == pytest.approx(found.min_rate / 10) and found.one_cycle_peak == pytest.approx(
        found.min_rate / 2)
    # the loss really fell before it rose (the batch losses from about 3.3 to under 1 here), so the
    # suggestion is a rate at which this network learns, well below the blow-up
    assert found.smoothed_losses[lowest] < 0.8 * found.smoothed_losses[:lowest].max()
    assert found.losses[:lowest + 1].min() < 0.5 * found.losses[:5].mean()
    assert 1e-3 < found.suggestion < 1.0 and found.min_rate < found.learning_rates[-1]


def test_a_seed_gives_the_same_test_again(found):
    x, y = _two_colours()
    # 2 steps: 1e-4 then 10; the first two batch losses (the fresh network's, then after one step at 1e-4) are the
    # fixture's. Unseeded, this second network would start from other weights: its first loss would differ.
    again = recipes.range_test(x, y, width=0.125, augmentation="none", batch_size=BATCH, steps=2, seed=10)
    np.testing.assert_array_equal(again.losses, found.losses[:2])
    np.testing.assert_allclose(again.learning_rates, [1e-4, 10.0], rtol=1e-12)
