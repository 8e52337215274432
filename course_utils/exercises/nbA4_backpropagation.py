"""Exercises of appendix A4_backpropagation: six backward passes written by hand, keys ``A4.1`` ... ``A4.6``.

Each is an "implement it" exercise: the learner writes a layer's backward pass (a dense layer with ReLU,
softmax with cross-entropy, convolution, max pooling, dropout, batch norm in training mode) and its checker
(``check_conv2d_backward(conv2d_backward)``, ...) compares every returned gradient on small random cases, in
float64, three ways: with the course's reference (``course_utils.scratch.*_backward``, within 1e-6), with
centred differences of the scratch forward pass (:func:`course_utils.checks.numerical_gradient`, within 1e-6)
and with ``tf.GradientTape`` on the same inputs (within 1e-8). A wrong answer is told which gradient differs,
where, and, when it matches one, the typical mistake (each exercise's ``DIAGNOSES_*``: a text and a function
computing that mistake). One grader, :func:`_grade`, serves all six; each exercise is a :class:`_Backward`.

Example:
    >>> scale_forgotten = DIAGNOSES_DROPOUT[0][1]          # d_out * mask, without the 1 / (1 - rate)
    >>> check_dropout_backward(scale_forgotten)  # doctest: +ELLIPSIS
    Exercise A4.5: not yet: ... the 1 / (1 - rate) scale is missing...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf  # imported quietly by course_utils first; only the tape comparison uses it

from .. import checks, scratch
from ..arithmetic import same_padding
from ..numpy_net import NumpyLeNet
from ..tables import text_table
from . import Exercise, note_solved, register, solution_pointer

TOLERANCE = NUMERICAL_TOLERANCE = 1e-6  # max |diff| against the reference; against centred differences (h = 1e-5)
TAPE_TOLERANCE = 1e-8  # max |diff| against tf.GradientTape on the same float64 inputs
Case = tuple[tuple, bool]  # the learner's inputs, and whether centred differences apply there (no tie, no kink)
Diagnoses = tuple[tuple[str, Callable[..., Any]], ...]


@dataclass(frozen=True)
class _Backward:
    """One exercise, as :func:`_grade` checks it."""

    key: str
    parts: tuple[str, ...]  # the names of the gradients returned, in order
    reference: Callable[..., Any]  # the course's answer, with the learner's signature
    refused: tuple[Callable[..., Any], ...]  # what the learner's function may not call
    cases: Callable[[np.random.Generator], list[Case]]
    graph: Callable[[tuple], tuple]  # inputs -> (arrays differentiated, d_out or None, NumPy forward, TF forward)
    diagnoses: Diagnoses
    about: str  # the cases, for the success message
    non_finite: str = "look for a division by zero or an np.exp that overflows"


def _slip(backward: Callable[..., Any], slip: str) -> Callable[..., Any]:
    """A typical mistake: ``backward`` with one slip switched on, named after it (the registry's mistakes are
    graded as learners' functions; written apart from scratch's backward passes, they are not refused)."""
    def wrong(*inputs: Any) -> Any:
        return backward(*inputs, slip=slip)
    wrong.__name__ = wrong.__qualname__ = f"_{slip}"
    return wrong


def _numerical(forward: Callable, arrays: tuple, d_out: Any) -> tuple[np.ndarray, ...]:
    """Centred differences of sum(forward(*arrays) * d_out) (or of its scalar output) per array, in float64."""
    return tuple(checks.numerical_gradient(lambda v, i=i: forward(*arrays[:i], v, *arrays[i + 1:]), a, d_out)
                 for i, a in enumerate(arrays))


def _tape(forward: Callable, arrays: tuple, d_out: Any) -> tuple[np.ndarray, ...]:
    """The same gradients by tf.GradientTape, every array a float64 tf.Variable."""
    variables = [tf.Variable(a, dtype=tf.float64) for a in arrays]
    with tf.GradientTape() as tape:
        out = forward(*variables)
        loss = out if d_out is None else tf.reduce_sum(out * d_out)
    return tuple(g.numpy() for g in tape.gradient(loss, variables))


def _as_parts(output: Any, count: int) -> tuple[tuple[np.ndarray, ...], bool] | None:
    """The output as ``count`` float64 arrays and whether any came in float32 or less; None when it is not that."""
    if count > 1 and not (isinstance(output, (tuple, list)) and len(output) == count) or \
            count == 1 and isinstance(output, tuple):
        return None
    try:
        arrays = tuple(np.asarray(p) for p in (output if count > 1 else (output,)))
        return tuple(a.astype(np.float64) for a in arrays), any(a.dtype in (np.float32, np.float16) for a in arrays)
    except (TypeError, ValueError):
        return None


def _worst(got: tuple, expected: tuple, names: tuple[str, ...]) -> tuple[float, str, np.ndarray, np.ndarray]:
    """The largest |diff| over the parts (of equal shapes), and that part's name, given and expected values."""
    return max(((float(np.max(np.abs(g - e))) if g.size else 0.0, name, g, e)
                for g, e, name in zip(got, expected, names)), key=lambda t: t[0])


_FLOAT32 = (": your function returned float32 values; the inputs are float64, so keep float64 (np.zeros(shape) or "
            "np.zeros_like(x), not dtype=np.float32), as a gradient check needs")


def _diagnose(spec: _Backward, got: tuple, inputs: tuple, low_precision: bool) -> str:
    """': <the typical mistake>' when a function of spec.diagnoses computes ``got`` from these inputs, else ''."""
    for text, wrong_fn in spec.diagnoses:
        try:
            with np.errstate(all="ignore"):
                wrong = _as_parts(wrong_fn(*checks.fresh_copies(inputs)), len(spec.parts))[0]
        except (ArithmeticError, IndexError, TypeError, ValueError):  # a mistake that cannot run on these inputs
            continue
        if all(w.shape == g.shape for w, g in zip(wrong, got)) and _worst(got, wrong, spec.parts)[0] <= TOLERANCE:
            return f": {text}"
    return _FLOAT32 if low_precision else ""


def _grade(spec: _Backward, learner_fn: Callable[..., Any], seed: int = 0) -> tuple[bool, str]:
    """Return (correct?, message): the learner's gradients against the reference, centred differences and the tape,
    on each of ``spec.cases``; the first disagreement is explained (part, index, values, typical mistake)."""
    label, cases, stuck = f"Exercise {spec.key}", spec.cases(np.random.default_rng(seed)), solution_pointer(spec.key)
    worst = {"reference": 0.0, "centred differences": 0.0, "tf.GradientTape": 0.0}
    if any(learner_fn is f for f in (spec.reference, *spec.refused)):  # as exercises.grade refuses it
        return False, (f"{label}: that is the course's own reference `{learner_fn.__module__}."
                       f"{learner_fn.__qualname__}`, the function your answer is checked against: write your own "
                       "function and pass it.")
    for inputs, smooth in cases:
        output, failure = checks.call_learner(label, learner_fn, inputs, *spec.refused, named_by=spec.reference)
        if failure:
            return False, failure
        parts, named = _as_parts(output, len(spec.parts)), checks.describe_inputs(inputs, spec.reference)
        if parts is None:
            what = (f"a {type(output).__name__} of {len(output)}" if isinstance(output, (tuple, list)) else
                    f"an array of shape {np.shape(output)}" if isinstance(output, np.ndarray) else type(output).__name__)
            many = (f"{('two', 'three')[len(spec.parts) - 2]} arrays, ({', '.join(spec.parts)})"
                    if len(spec.parts) > 1 else f"one array, {spec.parts[0]}")
            return False, f"{label}: your function returned {what}: return {many}, e.g. `return {', '.join(spec.parts)}`."
        got, low = parts
        expected = _as_parts(spec.reference(*checks.fresh_copies(inputs)), len(spec.parts))[0]
        for g, e, name in zip(got, expected, spec.parts):
            if g.shape != e.shape:
                return False, (f"{label}: not yet: with inputs {named}, {name} has shape {g.shape}, should be {e.shape}"
                               f"{_diagnose(spec, got, inputs, False)}.{stuck}")
            if not np.all(np.isfinite(g)):
                index = tuple(int(i) for i in np.argwhere(~np.isfinite(g))[0])
                return False, (f"{label}: not yet: with inputs {named}, {name} holds nan or inf (first at index "
                               f"{index}): {spec.non_finite}.{stuck}")
        diff, name, g, e = _worst(got, expected, spec.parts)
        if not diff <= TOLERANCE:
            index = tuple(int(i) for i in np.argwhere(np.abs(g - e) > TOLERANCE)[0])
            return False, (f"{label}: not yet: with inputs {named}, {name} differs from the reference by up to "
                           f"{diff:.1e} (tolerance {TOLERANCE:.0e}), first at index {index}: yours {g[index]:.6g}, "
                           f"expected {e[index]:.6g}{_diagnose(spec, got, inputs, low)}.{stuck}")
        worst["reference"] = max(worst["reference"], diff)
        arrays, d_out, forward, tf_forward = spec.graph(checks.fresh_copies(inputs))
        others = [("tf.GradientTape", _tape(tf_forward, arrays, d_out), TAPE_TOLERANCE)]
        if smooth:  # at a tie of max pooling or ReLU's kink, centred differences have no gradient to find
            others.insert(0, ("centred differences", _numerical(forward, arrays, d_out), NUMERICAL_TOLERANCE))
        for what, values, tolerance in others:
            other, name = _worst(got, values, spec.parts)[:2]
            if not other <= tolerance:
                return False, (f"{label}: agrees with the course's reference (max |diff| {diff:.1e}) but not with "
                               f"{what}: max |diff| = {other:.1e} in {name}, should be below {tolerance:.0e} (inputs "
                               f"{named}){_FLOAT32 if low else ''}.")
            worst[what] = max(worst[what], other)
    note_solved(spec.key)
    together = " and ".join([", ".join(spec.parts[:-1]), spec.parts[-1]] if len(spec.parts) > 1 else spec.parts)
    return True, (f"{label}: correct: {together} agree{'s' if len(spec.parts) == 1 else ''} with the course's "
                  f"reference (max |diff| {worst['reference']:.1e}), with centred differences "
                  f"({worst['centred differences']:.1e}) and with tf.GradientTape ({worst['tf.GradientTape']:.1e}) "
                  f"over {len(cases)} random cases: {spec.about} (tolerances {TOLERANCE:.0e}, "
                  f"{NUMERICAL_TOLERANCE:.0e} and {TAPE_TOLERANCE:.0e}).")


# --- A4.1: a dense layer with ReLU, out = relu(x @ kernel + bias) -------------------------------------------------

def _dense_relu_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, n_in, n_out in ((4, 5, 3), (6, 3, 2), (3, 6, 4)):  # n_in != n_out: a transposed d_kernel shows in its shape
        z = np.zeros(1)
        while np.min(np.abs(z)) < 0.01 or np.all(z > 0) or np.all(z < 0):  # away from the kink; units on and off
            x, kernel, bias = rng.normal(size=(n, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=n_out)
            z = x @ kernel + bias
        cases.append(((rng.normal(size=(n, n_out)), x, kernel, bias), True))
    return cases


def _dense_relu_graph(inputs: tuple) -> tuple:
    d_out, x, kernel, bias = inputs
    return ((x, kernel, bias), d_out, lambda a, k, b: np.maximum(scratch.dense(a, k, b), 0.0),
            lambda a, k, b: tf.nn.relu(tf.matmul(a, k) + b))


def _dense_relu_back(d_out, x, kernel, bias, slip=""):
    z = x @ kernel + bias
    d_z = d_out if slip == "relu_forgotten" else d_out * (np.maximum(z, 0.0) if slip == "activation_not_derivative"
                                                          else z > 0)
    d_bias = {"d_bias_averaged": d_z.mean(axis=0), "d_bias_not_summed": d_z}.get(slip, d_z.sum(axis=0))
    return d_z @ kernel.T, d_z.T @ x if slip == "d_kernel_transposed" else x.T @ d_z, d_bias


DIAGNOSES_DENSE_RELU: Diagnoses = (
    ("ReLU's gradient is missing: first keep d_out only where z = x @ kernel + bias > 0, d_z = d_out * (z > 0), "
     "then take the dense layer's gradients from d_z", _slip(_dense_relu_back, "relu_forgotten")),
    ("you multiplied d_out by ReLU's output max(z, 0): multiply by its derivative, 1 where z > 0 and 0 elsewhere",
     _slip(_dense_relu_back, "activation_not_derivative")),
    ("d_kernel is transposed: it has the kernel's shape (n_in, n_out), x.T @ d_z, not d_z.T @ x",
     _slip(_dense_relu_back, "d_kernel_transposed")),
    ("d_bias is averaged over the batch: each example adds its own share, d_z.sum(axis=0) (the mean loss's 1/N "
     "is already inside d_out)", _slip(_dense_relu_back, "d_bias_averaged")),
    ("d_bias has one row per example: the same bias is added to every example, so sum d_z over the batch axis, "
     "d_z.sum(axis=0)", _slip(_dense_relu_back, "d_bias_not_summed")),
)


# --- A4.2: softmax with cross-entropy, from the logits ------------------------------------------------------------

def _softmax_cases(rng: np.random.Generator) -> list[Case]:
    cases = [((3.0 * rng.normal(size=(n, k)), rng.integers(0, k, size=n)), True) for n, k in ((4, 3), (6, 5), (8, 10))]
    large = 1000.0 + 3.0 * rng.normal(size=(5, 4))  # np.exp(1000) overflows: each row's maximum must come off first
    return cases + [((large, rng.integers(0, 4, size=5)), True)]


def _softmax_graph(inputs: tuple) -> tuple:
    logits, labels = inputs
    return ((logits,), None, lambda v: scratch.softmax_cross_entropy(v, labels)[0],
            lambda v: tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, v)))


def _softmax_back(logits, labels, slip=""):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p, one_hot, n = e / e.sum(axis=1, keepdims=True), np.eye(logits.shape[1])[labels], len(labels)
    return {"mean_forgotten": p - one_hot, "logits_as_probabilities": (logits - one_hot) / n,
            "gradient_of_probabilities": -one_hot / (n * p), "sign_flipped": (one_hot - p) / n}[slip]


DIAGNOSES_SOFTMAX: Diagnoses = (
    ("the 1/N is missing: the loss is the mean over the batch, so d_logits = (softmax(logits) - one_hot) / N",
     _slip(_softmax_back, "mean_forgotten")),
    ("you used the logits as if they were probabilities: take p = softmax(logits) first, then (p - one_hot) / N",
     _slip(_softmax_back, "logits_as_probabilities")),
    ("that is the gradient with respect to the probabilities, -one_hot / (N p): through the softmax it becomes "
     "(p - one_hot) / N with respect to the logits", _slip(_softmax_back, "gradient_of_probabilities")),
    ("the sign is flipped: the loss falls when the true class's logit rises, so d_logits = (p - one_hot) / N is "
     "negative there", _slip(_softmax_back, "sign_flipped")),
)


# --- A4.3: convolution (NHWC, kernel (kh, kw, C_in, C_out)) -------------------------------------------------------

def _conv_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for stride, padding, (kh, kw) in ((1, "valid", (3, 3)), (2, "valid", (3, 2)), (1, "same", (2, 3)),
                                      (2, "same", (3, 3))):
        x, kernel = rng.normal(size=(2, 6, 5, 2)), rng.normal(size=(kh, kw, 2, 3))
        out = scratch.conv2d(x, kernel, stride=stride, padding=padding)
        cases.append(((rng.normal(size=out.shape), x, kernel, stride, padding), True))
    return cases


def _conv_graph(inputs: tuple) -> tuple:
    d_out, x, kernel, stride, padding = inputs
    return ((x, kernel, np.zeros(kernel.shape[-1])), d_out,
            lambda a, k, b: scratch.conv2d(a, k, b, stride=stride, padding=padding),
            lambda a, k, b: tf.nn.conv2d(a, k, stride, padding.upper()) + b)


def _conv_back(d_out, x, kernel, stride, padding, slip=""):
    (kh, kw), step = kernel.shape[:2], 1 if slip == "stride_forgotten" else stride
    x_pad = scratch.pad_same(x, (kh, kw), stride) if padding == "same" else x
    used = kernel[::-1, ::-1] if slip == "kernel_flipped" else kernel
    dx, d_kernel = np.zeros(x_pad.shape), np.zeros(kernel.shape)
    for i in range(d_out.shape[1]):
        for j in range(d_out.shape[2]):
            rows, cols, g = slice(i * step, i * step + kh), slice(j * step, j * step + kw), d_out[:, i, j, :]
            share = np.einsum("no,hwco->nhwc", g, used)
            dx[:, rows, cols, :] = share if slip == "overlaps_overwritten" else dx[:, rows, cols, :] + share
            d_kernel += np.einsum("nhwc,no->hwco", x_pad[:, rows, cols, :], g)
    if padding == "same" and slip != "padding_not_cropped":
        top, left = same_padding(x.shape[1], kh, stride)[0], same_padding(x.shape[2], kw, stride)[0]
        dx = dx[:, top:top + x.shape[1], left:left + x.shape[2], :]
    d_kernel = d_kernel / (d_out.size // d_out.shape[-1]) if slip == "d_kernel_averaged" else d_kernel
    return dx, d_kernel, d_out.sum(axis=0 if slip == "d_bias_per_position" else (0, 1, 2))


DIAGNOSES_CONV: Diagnoses = (
    ("dx used the kernel rotated by 180 degrees (or the right one where a rotation was needed): window by window, "
     "each window sends d_out[:, i, j, :] back through the very weights it was multiplied by, unrotated; only "
     "when dx is written as one sliding window over the zero-padded d_out does the kernel need rotating, "
     "kernel[::-1, ::-1] with its two channel axes swapped. Check which of the two forms you wrote",
     _slip(_conv_back, "kernel_flipped")),
    ("dx has the padded input's shape: with padding='same' the gradient that fell on padded cells belongs to no "
     "input; crop them off, dx_pad[:, top:top + H, left:left + W, :]", _slip(_conv_back, "padding_not_cropped")),
    ("d_kernel is averaged over the batch and the positions: every window used the same weights, so their "
     "contributions add up (the mean loss's 1/N is already inside d_out)", _slip(_conv_back, "d_kernel_averaged")),
    ("the stride is forgotten going back: output position (i, j) came from the window at (i * stride, "
     "j * stride); send its gradient there, and take d_kernel's window there", _slip(_conv_back, "stride_forgotten")),
    ("overlapping windows overwrite each other: a pixel inside several windows receives a share from each, so "
     "add them (+=), do not assign (=)", _slip(_conv_back, "overlaps_overwritten")),
    ("d_bias has one value per position: each filter's bias is added at every position of every image, so sum "
     "d_out over N, H and W, d_out.sum(axis=(0, 1, 2))", _slip(_conv_back, "d_bias_per_position")),
)


# --- A4.4: max pooling ('valid') ------------------------------------------------------------------------------------

def _pool_cases(rng: np.random.Generator) -> list[Case]:
    # The last case holds small integers: windows with tied maxima, where centred differences are undefined (a tied
    # value moved up or down changes which one wins); it is compared with the reference and the tape only.
    xs = ((2, 2, rng.normal(size=(2, 6, 6, 2))), (3, 2, rng.normal(size=(2, 7, 7, 2))),
          (3, 2, rng.integers(0, 3, size=(2, 7, 7, 2)).astype(np.float64)))
    return [((rng.normal(size=scratch.max_pool2d(x, pool, stride).shape), x, pool, stride), i < 2)
            for i, (pool, stride, x) in enumerate(xs)]


def _pool_graph(inputs: tuple) -> tuple:
    d_out, x, pool, stride = inputs
    return ((x,), d_out, lambda v: scratch.max_pool2d(v, pool, stride),
            lambda v: tf.nn.max_pool2d(v, pool, stride, "VALID"))


def _pool_back(d_out, x, pool, stride, slip=""):
    (n, c), step = (x.shape[0], x.shape[-1]), pool if slip == "stride_is_pool" else stride
    dx, (batch, channel) = np.zeros(x.shape), np.ogrid[:n, :c]
    for i in range(d_out.shape[1]):
        for j in range(d_out.shape[2]):
            r, s, g = i * step, j * step, d_out[:, i, j, :]
            window = x[:, r:r + pool, s:s + pool, :]
            spread = {"to_every_element": np.ones(window.shape), "average_pooling": np.ones(window.shape) / pool ** 2,
                      "ties_to_all": 1.0 * (window == window.max(axis=(1, 2), keepdims=True))}.get(slip)
            if spread is not None:
                dx[:, r:r + pool, s:s + pool, :] += spread * g[:, None, None, :]
                continue
            winner = window.reshape(n, -1, c).argmax(axis=1)  # the first maximum in row-major order
            where = batch, r + winner // window.shape[2], s + winner % window.shape[2], channel
            dx[where] = g if slip == "winners_overwritten" else dx[where] + g
    return dx


DIAGNOSES_POOL: Diagnoses = (
    ("every element of the window received the gradient: only the maximum reached the output, so only it gets "
     "d_out; the others get 0", _slip(_pool_back, "to_every_element")),
    ("that is average pooling's gradient, d_out / pool**2 over the window: max pooling sends all of it to the "
     "window's maximum", _slip(_pool_back, "average_pooling")),
    ("a tie sent the gradient to every tied maximum: the forward pass passed one value on, so one cell gets it, "
     "the first maximum in row-major order (np.argmax's choice, and TensorFlow's)", _slip(_pool_back, "ties_to_all")),
    ("overlapping windows overwrite each other: a pixel that is the maximum of two windows (pool 3, stride 2) "
     "collects both gradients; add them (+=), do not assign (=)", _slip(_pool_back, "winners_overwritten")),
    ("the windows were placed every `pool` cells: output (i, j) came from the window at (i * stride, j * stride), "
     "and the stride may be smaller than the window (AlexNet's 3/2)", _slip(_pool_back, "stride_is_pool")),
)


# --- A4.5: inverted dropout (mask True = kept) ----------------------------------------------------------------------

def _dropout_cases(rng: np.random.Generator) -> list[Case]:
    # never rate 0.5: there 1 / rate = 1 / (1 - rate), and dividing by the wrong one would pass
    return [((rng.normal(size=s), rng.random(s) >= rate, rate), True)
            for s, rate in (((4, 6), 0.2), ((2, 4, 4, 3), 0.4), ((5, 8), 0.25))]


def _dropout_graph(inputs: tuple) -> tuple:
    d_out, mask, rate = inputs
    x = np.linspace(-1.0, 1.0, d_out.size).reshape(d_out.shape)  # dropout is linear: its gradient is the same anywhere
    return ((x,), d_out, lambda v: scratch.dropout(v, rate, training=True, mask=mask),
            lambda v: v * (mask / (1.0 - rate)))


def _dropout_back(d_out, mask, rate, slip=""):
    return {"scale_forgotten": d_out * mask, "times_keep_probability": d_out * mask * (1.0 - rate),
            "mask_inverted": d_out * ~mask / (1.0 - rate), "divided_by_rate": d_out * mask / rate}[slip]


DIAGNOSES_DROPOUT: Diagnoses = (
    ("the 1 / (1 - rate) scale is missing: the forward pass multiplied the kept values by it, so their gradient "
     "is multiplied by it too, d_out * mask / (1 - rate)", _slip(_dropout_back, "scale_forgotten")),
    ("you multiplied by (1 - rate): the forward pass divided the kept values by it, so divide the gradient too",
     _slip(_dropout_back, "times_keep_probability")),
    ("the mask is inverted: True marks the values that were KEPT; the dropped ones get no gradient",
     _slip(_dropout_back, "mask_inverted")),
    ("you divided by rate: the kept values were divided by the keep probability 1 - rate, not by the drop rate",
     _slip(_dropout_back, "divided_by_rate")),
)


# --- A4.6: batch normalization in training mode ----------------------------------------------------------------------

def _batch_norm_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape in ((8, 3), (2, 3, 3, 2), (6, 4)):
        x = 2.0 * rng.normal(size=shape) + rng.normal(size=shape[-1])
        cases.append(((rng.normal(size=shape), x, rng.uniform(0.5, 2.0, shape[-1]), 1e-3), True))
    return cases


def _batch_norm_graph(inputs: tuple) -> tuple:
    d_out, x, gamma, epsilon = inputs
    axes, zeros, ones = list(range(x.ndim - 1)), np.zeros(x.shape[-1]), np.ones(x.shape[-1])

    def tf_batch_norm(a, g, b):
        mean, variance = tf.nn.moments(a, axes)
        return tf.nn.batch_normalization(a, mean, variance, b, g, epsilon)

    return ((x, gamma, zeros), d_out,  # beta = 0: its gradient is the same for any beta
            lambda a, g, b: scratch.batch_norm(a, g, b, zeros, ones, training=True, epsilon=epsilon)[0], tf_batch_norm)


def _batch_norm_back(d_out, x, gamma, epsilon, slip=""):
    axes = tuple(range(x.ndim - 1))
    std = np.sqrt(x.var(axis=axes, ddof=1 if slip == "unbiased_variance" else 0) + epsilon)
    x_hat = (x - x.mean(axis=axes)) / std
    mean_term = 0.0 if slip in ("statistics_as_constants", "mean_term_forgotten") else d_out.mean(axis=axes)
    variance_term = 0.0 if slip in ("statistics_as_constants", "variance_term_forgotten") else \
        x_hat * (d_out * x_hat).mean(axis=axes)
    d_gamma = d_out.sum(axis=axes) if slip == "d_gamma_without_x_hat" else (d_out * x_hat).sum(axis=axes)
    return gamma / std * (d_out - mean_term - variance_term), d_gamma, d_out.sum(axis=axes)


DIAGNOSES_BATCH_NORM: Diagnoses = (
    ("you treated the mean and the variance as constants (dx = gamma / sqrt(var + eps) * d_out): in training they "
     "are this batch's, computed from every x, so two more terms come back through them, one through the mean and "
     "one through the variance; work out each path, and check it alone with checks.gradient_check",
     _slip(_batch_norm_back, "statistics_as_constants")),
    ("the term through the variance is missing: the direct term and the one through the mean are there, but the "
     "variance is computed from every x of the channel too", _slip(_batch_norm_back, "variance_term_forgotten")),
    ("the term through the mean is missing: the direct term and the one through the variance are there, but the "
     "mean is computed from every x of the channel too", _slip(_batch_norm_back, "mean_term_forgotten")),
    ("d_gamma is d_out's sum, which is d_beta: gamma multiplies x_hat, so d_gamma = sum of d_out * x_hat over every "
     "axis but the channels", _slip(_batch_norm_back, "d_gamma_without_x_hat")),
    ("you used the unbiased variance (ddof=1): batch norm normalises with the biased one, divided by the count "
     "(np.var's default)", _slip(_batch_norm_back, "unbiased_variance")),
)


# --- the six exercises: what each checks, its grader and checker, and its worked solution ---------------------------

_DENSE_RELU = _Backward("A4.1", ("dx", "d_kernel", "d_bias"), scratch.dense_relu_backward,
                        (scratch.relu_backward, scratch.dense_backward, scratch.dense_relu_backward),
                        _dense_relu_cases, _dense_relu_graph, DIAGNOSES_DENSE_RELU,
                        "batches of 3 to 6 vectors, pre-activations kept away from ReLU's kink at 0")
_SOFTMAX = _Backward("A4.2", ("d_logits",), scratch.softmax_cross_entropy_backward,
                     (scratch.softmax_cross_entropy, scratch.softmax_cross_entropy_backward), _softmax_cases,
                     _softmax_graph, DIAGNOSES_SOFTMAX, "3 to 10 classes, one batch with logits near 1000",
                     "np.exp overflows on logits near 1000: subtract each row's maximum first, logits - "
                     "logits.max(axis=1, keepdims=True) (softmax does not change)")
_CONV = _Backward("A4.3", ("dx", "d_kernel", "d_bias"), scratch.conv2d_backward,
                  (scratch.conv2d_backward, scratch.conv2d_im2col_backward), _conv_cases, _conv_graph, DIAGNOSES_CONV,
                  "stride 1 and 2, 'valid' and 'same', square and non-square kernels")
_POOL = _Backward("A4.4", ("dx",), scratch.max_pool2d_backward, (scratch.max_pool2d_backward,), _pool_cases,
                  _pool_graph, DIAGNOSES_POOL, "pool 2 stride 2, AlexNet's overlapping 3/2, and 3/2 on small "
                  "integers with ties (reference and tape only: centred differences are undefined at a tie)")
_DROPOUT = _Backward("A4.5", ("dx",), scratch.dropout_backward, (scratch.dropout_backward,), _dropout_cases,
                     _dropout_graph, DIAGNOSES_DROPOUT, "rates 0.2, 0.4 and 0.25, vectors and feature maps")
_BATCH_NORM = _Backward("A4.6", ("dx", "d_gamma", "d_beta"), scratch.batch_norm_backward,
                        (scratch.batch_norm_backward,), _batch_norm_cases, _batch_norm_graph, DIAGNOSES_BATCH_NORM,
                        "batches of vectors (N, C) and of feature maps (N, H, W, C)")


def grade_dense_relu_backward(learner_fn: Callable, seed: int = 0) -> tuple[bool, str]:
    """Return (correct?, message) for ``dense_relu_backward(d_out, x, kernel, bias) -> (dx, d_kernel, d_bias)``,
    the gradients of ``relu(x @ kernel + bias)`` (exercise A4.1).

    Example:
        >>> print(grade_dense_relu_backward(DIAGNOSES_DENSE_RELU[0][1])[1])  # doctest: +ELLIPSIS
        Exercise A4.1: not yet: with inputs d_out shape (4, 3), ... ReLU's gradient is missing: ...
    """
    return _grade(_DENSE_RELU, learner_fn, seed)


def grade_softmax_cross_entropy_backward(learner_fn: Callable, seed: int = 0) -> tuple[bool, str]:
    """Return (correct?, message) for ``softmax_cross_entropy_backward(logits, labels) -> d_logits``, the mean
    cross-entropy's gradient with respect to the logits (exercise A4.2)."""
    return _grade(_SOFTMAX, learner_fn, seed)


def grade_conv2d_backward(learner_fn: Callable, seed: int = 0) -> tuple[bool, str]:
    """Return (correct?, message) for ``conv2d_backward(d_out, x, kernel, stride, padding) -> (dx, d_kernel,
    d_bias)`` (exercise A4.3).

    Example:
        >>> print(grade_conv2d_backward(DIAGNOSES_CONV[0][1])[1])  # doctest: +ELLIPSIS
        Exercise A4.3: not yet: ... dx differs ... dx used the kernel rotated by 180 degrees...
    """
    return _grade(_CONV, learner_fn, seed)


def grade_max_pool2d_backward(learner_fn: Callable, seed: int = 0) -> tuple[bool, str]:
    """Return (correct?, message) for ``max_pool2d_backward(d_out, x, pool, stride) -> dx`` (exercise A4.4)."""
    return _grade(_POOL, learner_fn, seed)


def grade_dropout_backward(learner_fn: Callable, seed: int = 0) -> tuple[bool, str]:
    """Return (correct?, message) for ``dropout_backward(d_out, mask, rate) -> dx`` (exercise A4.5).

    Example:
        >>> print(grade_dropout_backward(lambda d_out, mask, rate: d_out * mask / (1 - rate))[1])  # doctest: +ELLIPSIS
        Exercise A4.5: correct: dx agrees with the course's reference (max |diff| ...), with centred differences ...
    """
    return _grade(_DROPOUT, learner_fn, seed)


def grade_batch_norm_backward(learner_fn: Callable, seed: int = 0) -> tuple[bool, str]:
    """Return (correct?, message) for ``batch_norm_backward(d_out, x, gamma, epsilon) -> (dx, d_gamma, d_beta)``,
    in training mode (exercise A4.6)."""
    return _grade(_BATCH_NORM, learner_fn, seed)


def check_dense_relu_backward(learner_fn: Callable) -> None:
    """Check a learner's dense + ReLU backward pass (A4.1): print what agrees, or what differs and why."""
    print(grade_dense_relu_backward(learner_fn)[1])


def check_softmax_cross_entropy_backward(learner_fn: Callable) -> None:
    """Check a learner's softmax + cross-entropy gradient (A4.2): print what agrees, or what differs and why."""
    print(grade_softmax_cross_entropy_backward(learner_fn)[1])


def check_conv2d_backward(learner_fn: Callable) -> None:
    """Check a learner's convolution backward pass (A4.3): print what agrees, or what differs and why."""
    print(grade_conv2d_backward(learner_fn)[1])


def check_max_pool2d_backward(learner_fn: Callable) -> None:
    """Check a learner's max pooling backward pass (A4.4): print what agrees, or what differs and why."""
    print(grade_max_pool2d_backward(learner_fn)[1])


def check_dropout_backward(learner_fn: Callable) -> None:
    """Check a learner's dropout backward pass (A4.5): print what agrees, or what differs and why."""
    print(grade_dropout_backward(learner_fn)[1])


def check_batch_norm_backward(learner_fn: Callable) -> None:
    """Check a learner's batch norm backward pass (A4.6): print what agrees, or what differs and why."""
    print(grade_batch_norm_backward(learner_fn)[1])


_SOLUTION_A4_1 = """Through ReLU first (d_out where the unit was on), then through the dense layer:

    def dense_relu_backward(d_out, x, kernel, bias):
        d_z = d_out * (x @ kernel + bias > 0)          # ReLU's derivative: 1 where z > 0, else 0
        return d_z @ kernel.T, x.T @ d_z, d_z.sum(axis=0)

The course's pieces: course_utils.show_source(course_utils.scratch.dense_backward)."""

_SOLUTION_A4_2 = """Softmax, minus 1 at each example's true class, divided by N (the loss is a mean):

    def softmax_cross_entropy_backward(logits, labels):
        e = np.exp(logits - logits.max(axis=1, keepdims=True))   # shifted by the row's maximum: no overflow
        d_logits = e / e.sum(axis=1, keepdims=True)              # p = softmax(logits)
        d_logits[np.arange(len(labels)), labels] -= 1.0          # p - one_hot
        return d_logits / len(labels)

The course's version: course_utils.show_source(course_utils.scratch.softmax_cross_entropy)."""

_SOLUTION_A4_3 = """Pad as the forward pass did; every window sends its gradient back through the kernel (dx, added
where windows overlap) and multiplies its inputs by it (d_kernel, summed); crop the padding off dx at the end:

    def conv2d_backward(d_out, x, kernel, stride, padding):
        kh, kw, _, _ = kernel.shape
        h, w = x.shape[1:3]
        top = left = 0
        if padding == "same":                             # Keras: the odd extra row/column at the bottom/right
            pad_h = max((d_out.shape[1] - 1) * stride + kh - h, 0)
            pad_w = max((d_out.shape[2] - 1) * stride + kw - w, 0)
            top, left = pad_h // 2, pad_w // 2
            x = np.pad(x, ((0, 0), (top, pad_h - top), (left, pad_w - left), (0, 0)))
        dx, d_kernel = np.zeros(x.shape), np.zeros(kernel.shape)
        for i in range(d_out.shape[1]):
            for j in range(d_out.shape[2]):
                rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
                g = d_out[:, i, j, :]                     # (N, C_out)
                dx[:, rows, cols, :] += np.einsum("no,hwco->nhwc", g, kernel)
                d_kernel += np.einsum("nhwc,no->hwco", x[:, rows, cols, :], g)
        return dx[:, top:top + h, left:left + w, :], d_kernel, d_out.sum(axis=(0, 1, 2))

The course's version: course_utils.show_source(course_utils.scratch.conv2d_backward)."""

_SOLUTION_A4_4 = """Each window's gradient goes to its first maximum (np.argmax's, and TensorFlow's, choice),
added up where overlapping windows share a winner:

    def max_pool2d_backward(d_out, x, pool, stride):
        dx = np.zeros(x.shape)
        for n in range(x.shape[0]):
            for i in range(d_out.shape[1]):
                for j in range(d_out.shape[2]):
                    for c in range(x.shape[3]):
                        window = x[n, i * stride:i * stride + pool, j * stride:j * stride + pool, c]
                        r, s = np.unravel_index(np.argmax(window), window.shape)
                        dx[n, i * stride + r, j * stride + s, c] += d_out[n, i, j, c]
        return dx

The course's version: course_utils.show_source(course_utils.scratch.max_pool2d_backward)."""

_SOLUTION_A4_5 = """The forward pass multiplied each value by mask / (1 - rate); so does the backward pass:

    def dropout_backward(d_out, mask, rate):
        return d_out * mask / (1.0 - rate)

The course's version: course_utils.show_source(course_utils.scratch.dropout_backward)."""

_SOLUTION_A4_6 = """Per channel, over every axis but the last: the direct term, minus the gradient's mean (through
the batch mean) and its projection on x_hat (through the batch variance):

    def batch_norm_backward(d_out, x, gamma, epsilon):
        axes = tuple(range(x.ndim - 1))
        std = np.sqrt(x.var(axis=axes) + epsilon)
        x_hat = (x - x.mean(axis=axes)) / std
        dx = gamma / std * (d_out - d_out.mean(axis=axes) - x_hat * (d_out * x_hat).mean(axis=axes))
        return dx, (d_out * x_hat).sum(axis=axes), d_out.sum(axis=axes)

The course's version: course_utils.show_source(course_utils.scratch.batch_norm_backward)."""


def _exercise(spec: _Backward, grade_fn: Callable, question: str, solution: str) -> Exercise:
    """An "implement it" exercise: the answer is the reference, compare runs the grader, the mistakes are the
    diagnosed wrong functions with their texts."""
    checker = grade_fn.__name__.replace("grade_", "check_")
    return Exercise(key=spec.key, question=question, answer=spec.reference, solution=solution,
                    compare=lambda given, expected: callable(given) and grade_fn(given)[0],
                    hint=f"`{checker}(your_function)` says which gradient differs, where, and the likely mistake.",
                    mistakes={wrong_fn: text for text, wrong_fn in spec.diagnoses})


EXERCISES = (
    _exercise(_DENSE_RELU, grade_dense_relu_backward, "Implement dense_relu_backward(d_out, x, kernel, bias), the "
              "gradients (dx, d_kernel, d_bias) of out = relu(x @ kernel + bias) for x (N, n_in) and kernel (n_in, "
              "n_out). Check it with check_dense_relu_backward(dense_relu_backward).", _SOLUTION_A4_1),
    _exercise(_SOFTMAX, grade_softmax_cross_entropy_backward, "Implement softmax_cross_entropy_backward(logits, "
              "labels), the gradient d_logits of the mean cross-entropy of softmax(logits) (N, K) against integer "
              "labels (N,). Check it with check_softmax_cross_entropy_backward(softmax_cross_entropy_backward).",
              _SOLUTION_A4_2),
    _exercise(_CONV, grade_conv2d_backward, "Implement conv2d_backward(d_out, x, kernel, stride, padding), the "
              "gradients (dx, d_kernel, d_bias) of a convolution on an NHWC batch, kernel (kh, kw, C_in, C_out), "
              "an int stride and padding 'valid' or 'same'. Check it with check_conv2d_backward(conv2d_backward).",
              _SOLUTION_A4_3),
    _exercise(_POOL, grade_max_pool2d_backward, "Implement max_pool2d_backward(d_out, x, pool, stride), the "
              "gradient dx of max pooling ('valid') on an NHWC batch, a tie going to the first maximum in row-major "
              "order. Check it with check_max_pool2d_backward(max_pool2d_backward).", _SOLUTION_A4_4),
    _exercise(_DROPOUT, grade_dropout_backward, "Implement dropout_backward(d_out, mask, rate), the gradient dx "
              "of inverted dropout in training (mask True where a value was kept, kept values divided by 1 - rate). "
              "Check it with check_dropout_backward(dropout_backward).", _SOLUTION_A4_5),
    _exercise(_BATCH_NORM, grade_batch_norm_backward, "Implement batch_norm_backward(d_out, x, gamma, epsilon), "
              "the gradients (dx, d_gamma, d_beta) of batch normalization in training mode, x (N, C) or (N, H, W, "
              "C), statistics over every axis but the last. Check it with "
              "check_batch_norm_backward(batch_norm_backward).", _SOLUTION_A4_6),
)

register(*EXERCISES, origin=__name__)


# --- the learner's layers in a network (section 3 of the appendix) -----------------------------------------------

def learner_network(logits_model: Any, *, dense_relu_backward: Callable | None = None,
                    softmax_cross_entropy_backward: Callable | None = None,
                    max_pool2d_backward: Callable | None = None) -> NumpyLeNet:
    """A NumPy LeNet with ``logits_model``'s weights whose backward passes are the learner's wherever their exercise
    passes (A4.1 for F6, A4.2 for the loss, A4.4 for S2 and S4) and the course's elsewhere; prints which is which.

    The convolutions always run as im2col, the course's (A4.3's loops would make the training too slow for a class).

    Example:
        >>> from course_utils.models import lenet5_logits
        >>> net = learner_network(lenet5_logits(), max_pool2d_backward=_slip(_pool_back, "to_every_element"))
        backward pass of                  exercise  computed by             why
        -----------------------------------------------------------------------
        F6 and its ReLU                   A4.1      the course's reference  no function given
        the loss (softmax cross-entropy)  A4.2      the course's reference  no function given
        S2 and S4 (max pooling)           A4.4      the course's reference  your function does not pass its check yet
        C1, C3, C5 (convolutions)         A4.3      the course's im2col     fast enough for a class (section 4)
    """
    offered = (
        ("F6 and its ReLU", "A4.1", dense_relu_backward, grade_dense_relu_backward, "f6_backward"),
        ("the loss (softmax cross-entropy)", "A4.2", softmax_cross_entropy_backward,
         grade_softmax_cross_entropy_backward, "loss_backward"),
        ("S2 and S4 (max pooling)", "A4.4", max_pool2d_backward, grade_max_pool2d_backward, "pool_backward"),
    )
    ops, rows = {}, []
    for layer, key, fn, grade, field_name in offered:
        passed = fn is not None and grade(fn)[0]
        if passed:
            ops[field_name] = fn
        why = ("passes its check" if passed else "no function given" if fn is None
               else "your function does not pass its check yet")
        rows.append([layer, key, "yours" if passed else "the course's reference", why])
    rows.append(["C1, C3, C5 (convolutions)", "A4.3", "the course's im2col", "fast enough for a class (section 4)"])
    print(text_table(["backward pass of", "exercise", "computed by", "why"], rows))
    return NumpyLeNet.from_keras(logits_model, **ops)
