"""The noise a comparison states: binomial standard errors of an accuracy difference, and the verdicts read
against it (notebook A1's summary cell)."""

import numpy as np
import pytest

from course_utils import noise


def test_difference_noise_is_two_standard_errors_of_a_difference_worked_by_hand():
    # p = 0.5 on 200 images: one accuracy sqrt(0.25 / 200) = 0.0354; a difference sqrt(2) times that, 0.05; twice: 0.1
    assert noise.difference_noise(0.5, 200) == pytest.approx(0.1)
    assert noise.difference_noise(1.0, 50) == 0.0

def test_difference_noise_matches_simulated_differences():
    rng = np.random.default_rng(0)
    p, n = 0.8, 400
    gaps = rng.binomial(n, p, 20_000) / n - rng.binomial(n, p, 20_000) / n
    assert 2 * gaps.std() == pytest.approx(noise.difference_noise(p, n), rel=0.03)

def test_bad_input_is_refused_with_what_was_wrong():
    with pytest.raises(ValueError, match="positive number of images"):
        noise.difference_noise(0.5, 0)
    with pytest.raises(ValueError, match="accuracy in"):
        noise.difference_noise(50, 100)  # a percentage, not a fraction

@pytest.mark.parametrize("ratio, spread, word", [(1.3, 0.2, "faster"), (0.7, 0.2, "slower"), (1.2, 0.2, "no gain"),
                                                 (0.81, 0.2, "no gain")])
def test_ratio_verdict_reads_a_ratio_against_its_spread(ratio, spread, word):
    assert word in noise.ratio_verdict(ratio, spread)
    assert "too few repeats" in noise.ratio_verdict(ratio, None)

def test_gap_verdict():
    assert noise.gap_verdict(0.03, 0.02).startswith("better")
    assert noise.gap_verdict(-0.03, 0.02).startswith("worse")
    assert noise.gap_verdict(0.02, 0.02).startswith("no difference")
