"""How far a measurement can move by chance, and the verdict a comparison may draw against it.

A comparison states its noise and says "not established" (here: "no gain measured") when the gap is within it.

Example:
    >>> round(difference_noise(0.9, 1000), 4)   # two standard errors of a difference of two accuracies
    0.0268
    >>> ratio_verdict(1.1, noise=0.25)
    '1.10x: no gain measured here (within the noise, 25%)'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


def accuracy_noise(accuracy: float, n: int) -> float:
    """Two binomial standard errors of one accuracy measured on ``n`` images: ``2 sqrt(p (1 - p) / n)``.

    Example:
        >>> accuracy_noise(0.5, 100)
        0.1
    """
    if n <= 0 or not 0.0 <= accuracy <= 1.0:
        raise ValueError(f"an accuracy in [0, 1] measured on a positive number of images, got {accuracy} on {n}")
    return 2 * math.sqrt(accuracy * (1 - accuracy) / n)


def difference_noise(accuracy: float, n: int) -> float:
    """Two standard errors of the difference of two accuracies near ``accuracy``, each measured on ``n`` images.

    One accuracy has the binomial standard error ``sqrt(p (1 - p) / n)``; a difference of two independent ones
    ``sqrt(2)`` times that. A gap within twice this is not evidence either way.

    Example:
        >>> difference_noise(0.5, 200)
        0.1
    """
    return math.sqrt(2) * accuracy_noise(accuracy, n)


def ratio_verdict(ratio: float, noise: float | None) -> str:
    """Read a ratio of two speeds (new / old) against their relative noise (None: too few repeats to know it).

    Example:
        >>> ratio_verdict(2.0, 0.3), ratio_verdict(1.0, None)
        ('2.00x: faster (beyond the noise, 30%)', '1.00x (too few repeats to tell a gain from noise)')
    """
    if noise is None:
        return f"{ratio:.2f}x (too few repeats to tell a gain from noise)"
    if abs(ratio - 1) <= noise:
        return f"{ratio:.2f}x: no gain measured here (within the noise, {noise:.0%})"
    return f"{ratio:.2f}x: {'faster' if ratio > 1 else 'slower'} (beyond the noise, {noise:.0%})"


def compare_accuracies(a: str, p: float, b: str, q: float, n: int) -> str:
    """One line that reads two test accuracies, ``p`` of ``a`` and ``q`` of ``b``, each measured on the same ``n``
    images, against the noise of their difference (:func:`difference_noise`, at their mean): the gap in points,
    then the better one, or "not established" when the gap is within the noise of one run.

    Example:
        >>> compare_accuracies("B", 0.80, "A", 0.75, 1000)
        'B 80.0% vs A 75.0% (+5.0 points): B better (beyond the noise of one run, 3.7 points)'
        >>> compare_accuracies("B", 0.79, "A", 0.80, 1000)
        'B 79.0% vs A 80.0% (-1.0 points): not established (within the noise of one run, 3.6 points)'
    """
    gap, noise = p - q, difference_noise((p + q) / 2, n)
    if abs(gap) <= noise:
        verdict = f"not established (within the noise of one run, {100 * noise:.1f} points)"
    else:
        verdict = f"{a if gap > 0 else b} better (beyond the noise of one run, {100 * noise:.1f} points)"
    return f"{a} {p:.1%} vs {b} {q:.1%} ({100 * gap:+.1f} points): {verdict}"


# --- a figure measured over several seeds: Welch's two-sample t-test ------------------------------------------------

MIN_SEEDS = 5
"""Seeds per side below which :func:`seed_comparison` never calls a difference established."""
SIGNIFICANCE = 0.05
"""The two-sided p-value a difference must fall below to be called established."""


@dataclass(frozen=True)
class SeedComparison:
    """Welch's t-test of one figure measured over seeds, ``new`` against ``old`` (see :func:`seed_comparison`).

    ``gap`` is mean(new) - mean(old) in the figure's units, ``standard_error`` its standard error
    ``sqrt(s_new^2 / n_new + s_old^2 / n_old)`` (sample standard deviations), ``t = gap / standard_error``,
    ``dof`` the Welch-Satterthwaite degrees of freedom and ``p`` the two-sided p-value.
    """

    gap: float
    standard_error: float
    t: float
    dof: float
    p: float
    n_new: int
    n_old: int
    sd_new: float
    sd_old: float
    min_seeds: int = MIN_SEEDS
    significance: float = SIGNIFICANCE

    @property
    def established(self) -> bool:
        """True only when p < ``significance`` and each side has at least ``min_seeds`` seeds."""
        return bool(self.p < self.significance) and min(self.n_new, self.n_old) >= self.min_seeds

    @property
    def verdict(self) -> str:
        """'established: higher (...)' or 'not established: <why>' (too few seeds, p too large, or both)."""
        if self.established:
            return (f"established: {'higher' if self.gap > 0 else 'lower'} (p = {self.p:.2g}, below {self.significance:g}, "
                    f"with {self.n_new} and {self.n_old} seeds)")
        why = []
        if min(self.n_new, self.n_old) < self.min_seeds:
            why.append(f"too few seeds ({self.n_new} and {self.n_old}; the rule asks for at least {self.min_seeds} per side)")
        if math.isnan(self.p):
            why.append("no spread over seeds to test against")
        elif not self.p < self.significance:
            why.append(f"p = {self.p:.2g} is not below {self.significance:g}")
        return "not established: " + " and ".join(why)

    def summary(self, scale: float = 1.0, unit: str = "") -> str:
        """One line: the gap and its standard error (times ``scale``, in ``unit``), t, degrees of freedom, p, verdict.

        Example:
            >>> seed_comparison([0.61, 0.64, 0.61], [0.52, 0.56, 0.61]).summary(100, " points")[:43]
            'gap +5.67 points (standard error 2.79 point'
        """
        return (f"gap {scale * self.gap:+.2f}{unit} (standard error {scale * self.standard_error:.2f}{unit}); Welch t = "
                f"{self.t:.2f} on {self.dof:.1f} degrees of freedom, p = {self.p:.2g}; {self.verdict}")

    def seeds_needed(self, most: int = 100) -> int | None:
        """Seeds per side at which this gap, with these spreads, would be established: a plan, not a result.

        The smallest n (at least ``min_seeds``) for which means and standard deviations as measured here,
        on n seeds per side, give p < ``significance``; None when no n up to ``most`` does (or no gap).
        The measured gap and spreads are themselves uncertain: more seeds may show a smaller gap.

        Example:
            >>> seed_comparison([0.61, 0.64, 0.61], [0.52, 0.56, 0.61]).seeds_needed()
            5
        """
        if self.gap == 0 or math.isnan(self.gap) or math.isnan(self.sd_new) or math.isnan(self.sd_old):
            return None
        a, b = self.sd_new**2, self.sd_old**2
        for n in range(max(self.min_seeds, 2), most + 1):
            if a + b == 0:
                return n
            t = abs(self.gap) / math.sqrt((a + b) / n)
            dof = (n - 1) * (a + b) ** 2 / (a**2 + b**2)
            if 2 * stats.t.sf(t, dof) < self.significance:
                return n
        return None


def seed_comparison(new: Sequence[float], old: Sequence[float], *, min_seeds: int = MIN_SEEDS,
                    significance: float = SIGNIFICANCE) -> SeedComparison:
    """Compare a figure measured over seeds (e.g. test accuracies of a recipe, one per seed): Welch's t-test.

    The rule: a difference is **established** only when Welch's two-sided p < ``significance`` (0.05)
    **and** each side has at least ``min_seeds`` (5) seeds; otherwise it is "not established", with why.
    With fewer seeds the p-value rests on standard deviations estimated from two or three numbers.
    Welch's test (``scipy.stats.ttest_ind(new, old, equal_var=False)``) does not assume equal spreads.

    Example:
        >>> c = seed_comparison([0.61, 0.64, 0.61], [0.52, 0.56, 0.61])
        >>> round(c.gap, 4), round(c.t, 2), round(c.p, 2), c.n_new
        (0.0567, 2.03, 0.15, 3)
        >>> c.verdict
        'not established: too few seeds (3 and 3; the rule asks for at least 5 per side) and p = 0.15 is not below 0.05'
    """
    new_values, old_values = np.asarray(new, np.float64), np.asarray(old, np.float64)
    if new_values.ndim != 1 or old_values.ndim != 1 or not len(new_values) or not len(old_values):
        raise ValueError(f"two non-empty lists of per-seed figures, got shapes {new_values.shape} and {old_values.shape}")
    if not (np.isfinite(new_values).all() and np.isfinite(old_values).all()):
        raise ValueError("per-seed figures must be finite numbers (a seed that failed: leave it out and say so)")
    n_new, n_old = len(new_values), len(old_values)
    gap = float(new_values.mean() - old_values.mean())
    sd_new = float(new_values.std(ddof=1)) if n_new > 1 else math.nan
    sd_old = float(old_values.std(ddof=1)) if n_old > 1 else math.nan
    standard_error = math.sqrt(sd_new**2 / n_new + sd_old**2 / n_old)
    if math.isnan(standard_error):  # one seed on a side: no spread to test against
        t = dof = p = math.nan
    elif standard_error == 0:  # no spread at all: any gap is beyond it
        t, dof, p = math.copysign(math.inf, gap) if gap else math.nan, float(n_new + n_old - 2), 0.0 if gap else 1.0
    else:
        result = stats.ttest_ind(new_values, old_values, equal_var=False)
        t, dof, p = float(result.statistic), float(result.df), float(result.pvalue)
    return SeedComparison(gap, standard_error, t, dof, p, n_new, n_old, sd_new, sd_old, min_seeds, significance)


# --- do the errors of several heads fall on the same images? ------------------------------------------------------

def poisson_binomial(probabilities: Sequence[float]) -> np.ndarray:
    """Return P(exactly k of the events happen), k = 0 ... K, for K independent events with these probabilities.

    With each head's error rate: the chance that an image has 0, 1, 2, ... wrong heads if the heads erred
    independently of one another (the Poisson-binomial distribution, built by convolving one event at a time).

    Example:
        >>> poisson_binomial([0.5, 0.5]).tolist()
        [0.25, 0.5, 0.25]
    """
    pmf = np.array([1.0])
    for p in probabilities:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"probabilities must lie in [0, 1], got {p}")
        pmf = np.convolve(pmf, [1.0 - p, p])
    return pmf


@dataclass(frozen=True)
class ErrorClustering:
    """Whether several heads err on the same images more often than independent heads would (see :func:`error_clustering`)."""

    images: int
    head_accuracy: tuple[float, ...]
    measured_whole: float    # fraction of images with every head right
    predicted_whole: float   # product of the head accuracies: the whole accuracy if the heads erred independently
    whole_noise: float       # two binomial standard errors of measured_whole (accuracy_noise)
    observed_multi: int      # images with two or more wrong heads
    expected_multi: float    # ... expected from independent heads (Poisson-binomial of the head error rates)
    multi_noise: float       # two standard errors of that count under independence: 2 sqrt(N q (1 - q))
    p: float                 # chance of at least observed_multi such images under independence (binomial tail)
    significance: float = SIGNIFICANCE

    @property
    def established(self) -> bool:
        """True when more images have two or more wrong heads than independence explains: p < ``significance``."""
        return bool(self.p < self.significance)

    @property
    def verdict(self) -> str:
        """One line: do the errors cluster more than independent heads predict, established or not."""
        if self.established:
            return (f"errors cluster on the same images more than independent heads predict: established "
                    f"(p = {self.p:.2g}, below {self.significance:g})")
        return (f"errors cluster on the same images more than independent heads predict: not established "
                f"(p = {self.p:.2g}, not below {self.significance:g})")

    def __str__(self) -> str:
        gap = self.measured_whole - self.predicted_whole
        within = "within" if abs(gap) <= self.whole_noise else "beyond"
        return "\n".join([
            f"whole CAPTCHA, measured: {self.measured_whole:.2%} of {self.images:,} images "
            f"(noise, two binomial standard errors: {100 * self.whole_noise:.2f} points)",
            f"product of the head accuracies (independent heads): {self.predicted_whole:.2%}; measured - product: "
            f"{100 * gap:+.2f} points, {within} that noise (a coarse yardstick: the product comes from the same images)",
            f"images with two or more wrong heads: {self.observed_multi} measured, {self.expected_multi:.1f} expected "
            f"from independent heads (noise {self.multi_noise:.1f})",
            self.verdict,
        ])


def error_clustering(correct: np.ndarray, *, significance: float = SIGNIFICANCE) -> ErrorClustering:
    """Test whether the heads of a multi-output reader err on the same images more than independent heads would.

    ``correct`` is (N, K) booleans: image n read right by head k. Independent heads with error rates
    e_k would give the whole accuracy prod(1 - e_k) and a Poisson-binomial number of wrong heads per
    image; the sharp check counts images with two or more wrong heads against N q, q = P(two or more),
    with the binomial upper tail as p. (The error rates come from the same images, which makes this
    slightly conservative.) The whole accuracy's own binomial noise is reported too: it bounds how far
    measured and product can differ by chance from above, so it is only a coarse yardstick for that gap.

    Example:
        >>> c = error_clustering(np.array([[1, 1], [1, 1], [0, 0], [1, 1]], bool))
        >>> c.measured_whole, c.predicted_whole, c.observed_multi, c.expected_multi
        (0.75, 0.5625, 1, 0.25)
    """
    right = np.asarray(correct)
    if right.ndim != 2 or right.shape[0] == 0 or right.shape[1] < 2:
        raise ValueError(f"expected (images, heads) booleans with at least two heads, got shape {right.shape}")
    right = right.astype(bool)
    n = right.shape[0]
    accuracy = right.mean(axis=0)
    q = float(poisson_binomial(1.0 - accuracy)[2:].sum())
    observed = int(((~right).sum(axis=1) >= 2).sum())
    p = float(stats.binom.sf(observed - 1, n, q)) if observed else 1.0
    measured = float(right.all(axis=1).mean())
    return ErrorClustering(n, tuple(float(a) for a in accuracy), measured, float(np.prod(accuracy)),
                           accuracy_noise(measured, n), observed, n * q, 2 * math.sqrt(n * q * (1 - q)), p, significance)
