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

def test_compare_accuracies_names_the_better_one_or_says_not_established():
    # by hand: noise at the mean 0.75 on 1000 images = sqrt(2) * 2 * sqrt(0.75 * 0.25 / 1000) = 0.0387
    assert noise.compare_accuracies("A", 0.70, "B", 0.80, 1000).endswith("B better (beyond the noise of one run, 3.9 points)")
    assert noise.compare_accuracies("A", 0.80, "B", 0.70, 1000).startswith("A 80.0% vs B 70.0% (+10.0 points): A better")
    assert "not established" in noise.compare_accuracies("A", 0.77, "B", 0.74, 1000)  # 3.0 points, within 3.9
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        noise.compare_accuracies("A", 77.0, "B", 74.0, 1000)  # percentages, not fractions


# --- Welch's t-test over seeds (notebook 10's recipe comparison) ---------------------------------------------------

BENCH_ARTICLE, BENCH_BETTER = [0.5231, 0.5644, 0.6067], [0.6096, 0.6382, 0.6067]  # mini_vgg.json, classroom, 3 seeds


def test_seed_comparison_is_welchs_test_on_the_benchmarks_three_seeds():
    c = noise.seed_comparison(BENCH_BETTER, BENCH_ARTICLE)
    assert c.gap == pytest.approx(np.mean(BENCH_BETTER) - np.mean(BENCH_ARTICLE))
    by_hand = np.sqrt(np.var(BENCH_BETTER, ddof=1) / 3 + np.var(BENCH_ARTICLE, ddof=1) / 3)
    assert c.standard_error == pytest.approx(by_hand)
    assert (round(c.t, 2), round(c.p, 2), c.n_new, c.n_old) == (2.04, 0.14, 3, 3)  # the t = 2.04, p about 0.14
    assert c.dof == pytest.approx(2.67, abs=0.01)
    assert not c.established
    assert "too few seeds (3 and 3" in c.verdict and "p = 0.14 is not below 0.05" in c.verdict
    assert c.seeds_needed() == 5  # if the gap and spreads held, five seeds per side would do


def test_established_needs_both_a_small_p_and_enough_seeds():
    rng = np.random.default_rng(1)
    high, low = 0.62 + 0.01 * rng.standard_normal(6), 0.55 + 0.01 * rng.standard_normal(6)
    c = noise.seed_comparison(high, low)
    assert c.established and c.verdict.startswith("established: higher") and "6 and 6 seeds" in c.verdict
    assert noise.seed_comparison(low, high).verdict.startswith("established: lower")
    few = noise.seed_comparison(high[:4], low[:4])  # p tiny, but four seeds a side
    assert few.p < 0.01 and not few.established
    assert "too few seeds" in few.verdict and "not below" not in few.verdict
    same = noise.seed_comparison(high, high + 0.001 * rng.standard_normal(6))  # enough seeds, no gap
    assert not same.established and "too few" not in same.verdict and "not below 0.05" in same.verdict


def test_seed_comparison_matches_scipy_and_handles_one_seed_and_no_spread():
    from scipy import stats

    a, b = [0.5, 0.55, 0.61, 0.58, 0.52], [0.6, 0.62, 0.57, 0.66, 0.64, 0.63]
    reference = stats.ttest_ind(b, a, equal_var=False)
    c = noise.seed_comparison(b, a)
    assert (c.t, c.p, c.dof) == pytest.approx((reference.statistic, reference.pvalue, reference.df))
    one = noise.seed_comparison([0.6], [0.5, 0.52])
    assert np.isnan(one.p) and "no spread" in one.verdict and "too few seeds" in one.verdict
    flat = noise.seed_comparison([0.6] * 5, [0.5] * 5)
    assert flat.p == 0.0 and flat.established
    with pytest.raises(ValueError, match="non-empty"):
        noise.seed_comparison([], [0.5])


def test_seeds_needed_is_where_the_same_means_and_spreads_would_pass():
    c = noise.seed_comparison([0.60, 0.64, 0.56], [0.55, 0.59, 0.51])  # gap 0.05, both sd 0.04
    n = c.seeds_needed()
    assert n is not None and n > 5

    def p_at(seeds):  # samples with exactly these means and standard deviations
        z = np.linspace(-1, 1, seeds)
        z = z / z.std(ddof=1)
        return noise.seed_comparison(0.60 + 0.04 * z, 0.55 + 0.04 * z).p

    assert p_at(n) < 0.05 <= p_at(n - 1)
    assert noise.seed_comparison([0.5, 0.6], [0.5, 0.6]).seeds_needed() is None  # no gap: no number of seeds


# --- errors on the same images (notebook 09's four heads) ----------------------------------------------------------

def test_poisson_binomial_against_enumeration():
    import itertools

    p = [0.012, 0.0405, 0.051, 0.016]
    by_enumeration = np.zeros(5)
    for wrong in itertools.product((0, 1), repeat=4):
        by_enumeration[sum(wrong)] += np.prod([q if w else 1 - q for q, w in zip(p, wrong)])
    assert noise.poisson_binomial(p) == pytest.approx(by_enumeration)
    assert noise.poisson_binomial([]).tolist() == [1.0]
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        noise.poisson_binomial([1.5])


def test_error_clustering_worked_by_hand():
    right = np.array([[1, 1], [1, 1], [0, 0], [1, 1]], bool)  # one image with both heads wrong
    c = noise.error_clustering(right)
    assert (c.measured_whole, c.predicted_whole, c.observed_multi) == (0.75, 0.5625, 1)
    assert c.expected_multi == pytest.approx(4 * 0.25 * 0.25)
    assert c.p == pytest.approx(1 - (1 - 0.0625) ** 4)  # at least one such image out of four, q = 1/16
    assert c.whole_noise == pytest.approx(noise.accuracy_noise(0.75, 4))
    with pytest.raises(ValueError, match="at least two heads"):
        noise.error_clustering(np.ones((5, 1), bool))


def test_error_clustering_finds_shared_hard_images_and_not_independent_errors():
    rng = np.random.default_rng(0)
    n, rates = 2000, np.array([0.012, 0.0405, 0.051, 0.016])
    independent = rng.random((n, 4)) >= rates
    c = noise.error_clustering(independent)
    assert not c.established and "not established" in c.verdict
    hard = rng.random(n) < 0.03  # 3 % hard images where every head errs half the time
    clustered = independent & ~(hard[:, None] & (rng.random((n, 4)) < 0.5))
    d = noise.error_clustering(clustered)
    assert d.established and d.observed_multi > d.expected_multi + d.multi_noise
    assert "established (p =" in d.verdict and str(d).count("\n") == 3


def test_error_clustering_false_alarms_stay_below_the_significance_level():
    rng = np.random.default_rng(2)
    rates = np.array([0.012, 0.0405, 0.051, 0.016])
    alarms = sum(noise.error_clustering(rng.random((2000, 4)) >= rates).established for _ in range(300))
    assert alarms <= 0.05 * 300 + 6  # the level, plus room for the simulation's own noise
