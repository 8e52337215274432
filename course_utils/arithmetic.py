"""The arithmetic of convolutional layers: output sizes, parameters, MACs, receptive fields, memory.

Each function reads like the textbook formula it implements. Sizes are spatial side lengths
(height or width); images are NHWC.

Example:
    >>> conv_output_size(32, k=5)              # LeNet C1: 32 -> 28
    28
    >>> conv_output_size(227, k=11, s=4)       # AlexNet conv1: (227 - 11) / 4 + 1
    55
    >>> conv_output_size(224, k=3, s=2, padding="same")
    112
"""

from __future__ import annotations

import math


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, (int,)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def conv_output_size(n: int, k: int, s: int = 1, p: int | str = 0, d: int = 1, padding: str | None = None) -> int:
    """Return the output side of a convolution: ``floor((n + 2p - d(k-1) - 1) / s) + 1``.

    ``p`` is the zero padding on each side, or ``padding='valid'`` (p = 0) / ``'same'``
    (Keras: output ``ceil(n / s)``, whatever the kernel). With d = 1 the formula is the familiar
    ``floor((n + 2p - k) / s) + 1``.

    Example:
        >>> conv_output_size(28, k=5, p=2)
        28
    """
    if isinstance(p, str):
        padding, p = p, 0
    _check_positive(n=n, k=k, s=s, d=d)
    if p < 0:
        raise ValueError(f"padding p must be >= 0, got {p}")
    padding = (padding or "valid").lower()
    if padding == "same":
        return math.ceil(n / s)
    if padding != "valid":
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    span = d * (k - 1) + 1  # the kernel's footprint once dilated
    if span > n + 2 * p:
        raise ValueError(
            f"kernel {k}{f' (dilated to {span})' if d > 1 else ''} is larger than the {n}-pixel input "
            f"with padding {p} ('valid'); use padding='same', more padding or a smaller kernel"
        )
    return (n + 2 * p - span) // s + 1


def pool_output_size(n: int, pool: int, s: int | None = None, padding: str = "valid") -> int:
    """Return the output side of a pooling window (stride defaults to the window, as in Keras).

    Example:
        >>> pool_output_size(55, 3, 2)             # AlexNet's overlapping pooling
        27
        >>> pool_output_size(28, 2)
        14
    """
    return conv_output_size(n, pool, s if s is not None else pool, padding=padding)


def same_padding(n: int, k: int, s: int = 1, d: int = 1) -> tuple[int, int]:
    """Return Keras/TensorFlow's ``'same'`` padding (before, after): the odd pixel goes after.

    Example:
        >>> same_padding(224, 3, 2)                # stride 2: nothing before, one pixel after
        (0, 1)
    """
    _check_positive(n=n, k=k, s=s, d=d)
    out = math.ceil(n / s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def conv_params(k: int, c_in: int, filters: int, bias: bool = True, groups: int = 1) -> int:
    """Return a conv layer's parameters: ``(k*k*c_in/groups + 1) * filters``.

    Example:
        >>> conv_params(5, 1, 6)                   # LeNet C1
        156
    """
    return (k * k * (c_in // groups) + (1 if bias else 0)) * filters


def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Return a dense layer's parameters: ``(n_in + 1) * n_out``.

    Example:
        >>> dense_params(84, 10)
        850
    """
    return (n_in + (1 if bias else 0)) * n_out


def conv_macs(h_out: int, w_out: int, k: int, c_in: int, filters: int, groups: int = 1) -> int:
    """Return a conv layer's multiply-accumulates: ``h_out * w_out * filters * k*k*c_in/groups``."""
    return h_out * w_out * filters * k * k * (c_in // groups)


def receptive_field(r_in: int, j_in: int, k: int, s: int = 1, d: int = 1) -> tuple[int, int]:
    """Return (size, jump) after a layer: ``r + (k-1)*d*j`` and ``j * s``.

    The jump is the distance, in input pixels, between neighbouring output positions.

    Example:
        >>> receptive_field(*receptive_field(1, 1, 3), 3)   # two 3x3 convs see 5x5
        (5, 1)
    """
    return r_in + (k - 1) * d * j_in, j_in * s


def array_bytes(*shape: int, dtype_bytes: int = 4) -> int:
    """Return the bytes of a dense array (float32 by default).

    Example:
        >>> array_bytes(60000, 224, 224, 3) / 2**30     # The classic-models tutorial's memory argument, in GiB
        33.64...
    """
    return math.prod(shape) * dtype_bytes


def format_bytes(n: float) -> str:
    """Format a byte count with a binary unit: ``format_bytes(3 * 2**20) == '3.0 MiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")
