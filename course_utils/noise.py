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


def difference_noise(accuracy: float, n: int) -> float:
    """Two standard errors of the difference of two accuracies near ``accuracy``, each measured on ``n`` images.

    One accuracy has the binomial standard error ``sqrt(p (1 - p) / n)``; a difference of two independent ones
    ``sqrt(2)`` times that. A gap within twice this is not evidence either way.

    Example:
        >>> difference_noise(0.5, 200)
        0.1
    """
    if n <= 0 or not 0.0 <= accuracy <= 1.0:
        raise ValueError(f"an accuracy in [0, 1] measured on a positive number of images, got {accuracy} on {n}")
    return 2 * math.sqrt(2 * accuracy * (1 - accuracy) / n)


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


def gap_verdict(gap: float, noise: float) -> str:
    """Read a difference of two accuracies against its noise (:func:`difference_noise`).

    Example:
        >>> gap_verdict(-0.009, 0.01), gap_verdict(0.05, 0.02)
        ('no difference measured here (within the noise of one run, 1.0%)', 'better (beyond the noise of one run, 2.0%)')
    """
    if abs(gap) <= noise:
        return f"no difference measured here (within the noise of one run, {noise:.1%})"
    return f"{'better' if gap > 0 else 'worse'} (beyond the noise of one run, {noise:.1%})"
