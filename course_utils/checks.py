"""Numeric checks that print a PASS line, and exercise checkers that say what is wrong.

Checks follow cs231n's habit: compare against a reference and state the error you expect.
"Implement it" exercises compare a learner's function with a reference on random inputs and
recognise typical mistakes (:func:`check_function`); "build this block" exercises compare a learner's
Keras block with a reference layer by layer. Answer exercises (``check("03.2", 55)``) and their
registry live in :mod:`course_utils.exercises`.

Example:
    >>> check_close("from-scratch sum", 1.0 + 1e-8, 1.0, atol=1e-6)
    PASS: from-scratch sum: max |diff| = 1.0e-08 (tolerance 1e-06)
    >>> check_equal("C1 parameters", 156, 156)
    PASS: C1 parameters = 156
"""

from __future__ import annotations

import contextlib
import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from .exercises import is_exercise_key, note_solved, solution_pointer
from .keras_internals import producer
from .tables import format_value


def rel_error(x: Any, y: Any) -> float:
    """Return the maximum relative error ``|x - y| / max(1e-8, |x| + |y|)`` (cs231n's measure).

    Float32 computations that agree typically give 1e-7 or less; 1e-2 or more means a bug.

    Example:
        >>> rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 2e-7])) < 1e-7
        True
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def check_close(what: str, actual: Any, expected: Any, atol: float = 1e-5) -> None:
    """Print ``PASS: what: max |diff| = ...`` when the arrays agree within ``atol``; else raise.

    Shapes must match exactly. Float32 from-scratch code against Keras usually agrees to 1e-6.
    """
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape:
        raise AssertionError(f"FAIL: {what}: shape {actual.shape} differs from expected {expected.shape}")
    diff = float(np.max(np.abs(actual - expected))) if actual.size else 0.0
    if not diff <= atol:
        raise AssertionError(f"FAIL: {what}: max |diff| = {diff:.1e} exceeds the tolerance {atol:g}")
    print(f"PASS: {what}: max |diff| = {diff:.1e} (tolerance {atol:g})")


def check_equal(what: str, actual: Any, expected: Any) -> None:
    """Print ``PASS: what = value`` when ``actual == expected`` (numbers, shapes, strings); else raise."""
    same = np.array_equal(actual, expected) if isinstance(actual, np.ndarray) else actual == expected
    if not same:
        raise AssertionError(f"FAIL: {what}: got {format_value(actual)}, expected {format_value(expected)}")
    print(f"PASS: {what} = {format_value(actual)}")


# --- gradient checks: an analytic gradient against centred differences ----------------------------------------------

GRADIENT_EXPECTATION = "should be below 1e-7 in float64; about 1e-5 is float32 rounding; 1e-2 or more is a wrong formula"


@dataclass(frozen=True)
class GradientCheck:
    """What :func:`gradient_check` found: the largest relative error over the coordinates it tried, how many it
    tried, and the first ones that disagree as (index, analytic, numerical)."""

    what: str
    relative_error: float
    coordinates: int
    disagreeing: tuple[tuple[tuple[int, ...], float, float], ...]

    @property
    def passed(self) -> bool:
        return not self.disagreeing


def numerical_gradient(f: Callable[[np.ndarray], Any], x: Any, d_out: Any = None, h: float = 1e-5,
                       indices: Sequence[tuple[int, ...]] | None = None) -> np.ndarray:
    """Centred differences of ``f`` at ``x`` in float64: ``(L(x + h e_i) - L(x - h e_i)) / 2h`` per coordinate.

    ``L = f(x)`` when ``f`` returns a scalar, else ``sum(f(x) * d_out)``: the loss whose gradient with
    respect to ``f``'s output is ``d_out`` (what a backward pass receives). ``indices`` limits the
    coordinates (the others stay 0); every one by default. ``x`` is not modified.

    Example:
        >>> numerical_gradient(lambda x: np.sum(x ** 2), np.array([1.0, -2.0]))   # d/dx x**2 = 2x
        array([ 2., -4.])
    """
    x = np.array(x, dtype=np.float64)
    d_out = None if d_out is None else np.asarray(d_out, dtype=np.float64)

    def loss(values: np.ndarray) -> float:
        out = np.asarray(f(values), dtype=np.float64)
        return float(out) if d_out is None else float(np.sum(out * d_out))

    grad = np.zeros_like(x)
    for index in (np.ndindex(x.shape) if indices is None else indices):
        kept = x[index]
        x[index] = kept + h
        plus = loss(x)
        x[index] = kept - h
        minus = loss(x)
        x[index] = kept
        grad[index] = (plus - minus) / (2 * h)
    return grad


def gradient_check(what: str, f: Callable[[np.ndarray], Any], x: Any, analytic: Any, d_out: Any = None,
                   coordinates: int | None = None, seed: int = 0, h: float = 1e-5, tolerance: float = 1e-7,
                   atol: float = 1e-9, shown: int = 3) -> GradientCheck:
    """Compare ``analytic`` (the gradient of ``f``'s loss with respect to ``x``) with centred differences.

    ``coordinates`` random coordinates (all when None: small inputs) are tried in float64; the
    relative error ``|a - n| / max(1e-8, |a| + |n|)`` of each is compared with ``tolerance``; a
    coordinate disagrees when that is exceeded and ``|a - n|`` is above ``atol`` too (centred
    differences are off by about ``h**2``, which is a large relative error on a tiny gradient; the
    error reported is the largest over the coordinates above ``atol``, 0 when none is). Prints
    a PASS line with the largest error and what to expect (:data:`GRADIENT_EXPECTATION`), or raises
    an AssertionError naming the first ``shown`` coordinates that disagree, with both values.
    ``f`` and ``d_out`` are as in :func:`numerical_gradient`.

    Example:
        >>> x = np.array([[1.0, -2.0, 0.5]])
        >>> _ = gradient_check("d/dx sum(x**2)", lambda x: np.sum(x ** 2), x, 2 * x)
        PASS: d/dx sum(x**2): relative error ... over 3 coordinates (should be below 1e-7 in float64; ...)
        >>> gradient_check("a forgotten factor 2", lambda x: np.sum(x ** 2), x, x)
        Traceback (most recent call last):
        ...
        AssertionError: FAIL: a forgotten factor 2: relative error 3.3e-01 over 3 coordinates (should be below 1e-7 ...); disagreeing: index (0, 0): analytic 1, numerical 2; ...
    """
    x, analytic = np.asarray(x, dtype=np.float64), np.asarray(analytic, dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"{what}: the gradient must have the input's shape {x.shape}, got {analytic.shape}")
    every = list(np.ndindex(x.shape))
    if coordinates is not None and coordinates < len(every):
        chosen = np.random.default_rng(seed).choice(len(every), size=coordinates, replace=False)
        every = [every[i] for i in sorted(chosen)]
    numeric = numerical_gradient(f, x, d_out, h, every)
    # (index, relative error) of the coordinates whose difference is above atol: below it, nothing to tell apart
    errors = [(index, abs(analytic[index] - numeric[index]) / max(1e-8, abs(analytic[index]) + abs(numeric[index])))
              for index in every if abs(analytic[index] - numeric[index]) > atol]
    worst = max((e for _, e in errors), default=0.0)
    bad = tuple((tuple(int(i) for i in index), float(analytic[index]), float(numeric[index]))
                for index, e in errors if e > tolerance)
    line = f"{what}: relative error {worst:.1e} over {len(every)} coordinates ({GRADIENT_EXPECTATION})"
    if bad:
        first = "; ".join(f"index {index}: analytic {a:.6g}, numerical {n:.6g}" for index, a, n in bad[:shown])
        raise AssertionError(f"FAIL: {line}; disagreeing: {first}" + ("; ..." if len(bad) > shown else ""))
    print(f"PASS: {line}")
    return GradientCheck(what, worst, len(every), bad)


# --- "implement it" exercises: the learner's function against a reference ---------------------

Diagnosis = tuple[str, Callable[..., Any]]


def _parameter_names(fn: Callable[..., Any] | None) -> list[str]:
    """The names of ``fn``'s positional parameters, [] when it has no readable signature (a builtin, None)."""
    try:
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)] if fn is not None else []
    except (TypeError, ValueError):
        return []


def fresh_copies(inputs: tuple) -> tuple:
    """Copies of array inputs, so that a function that writes into its inputs cannot fool the next one."""
    return tuple(np.array(x, copy=True) if isinstance(x, np.ndarray) else x for x in inputs)


def describe_inputs(inputs: tuple, fn: Callable[..., Any] | None = None) -> str:
    """The inputs of one call as a learner reads them: arrays by their shape, other arguments by value, each
    named after ``fn``'s parameter where its signature says (``x shape (2, 8, 8, 3), k=2.0``).

    Example:
        >>> describe_inputs((np.zeros((2, 3)), 0.5), lambda x, rate: x), describe_inputs((np.zeros(2), 3))
        ('x shape (2, 3), rate=0.5', 'shape (2,), 3')
    """
    names = _parameter_names(fn)
    parts = []
    for i, x in enumerate(inputs):
        name = names[i] if i < len(names) else None
        if isinstance(x, np.ndarray):
            parts.append(f"{name} shape {np.shape(x)}" if name else f"shape {np.shape(x)}")
        else:
            parts.append(f"{name}={x!r}" if name else repr(x))
    return ", ".join(parts)


def _first_difference(got: np.ndarray, expected: np.ndarray, tol: float) -> str:
    """Where the first output value (row-major order) that differs by more than ``tol`` sits, and both values.

    Example:
        >>> _first_difference(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.5, 4.0]]), 1e-6)
        'first at output index (1, 0): yours 3, expected 3.5'
    """
    wrong = np.argwhere(np.abs(got - expected) > tol) if got.ndim else np.zeros((1, 0), int)
    index = tuple(int(i) for i in wrong[0]) if len(wrong) else ()
    where = f"output index {index}" if got.ndim else "the output"
    return f"first at {where}: yours {got[index]:.6g}, expected {expected[index]:.6g}"


class RefuseReference:
    """While active, the reference raises :class:`ReferenceCalled` when the learner's function calls it (through
    its module, the learner's globals or a closure, or a wrapper's ``__wrapped__``).

    A learner's function that only calls the course's reference would otherwise pass its own check.
    Checkers use it around each call of the learner's function (:func:`grade_function` does).

    Example:
        >>> from course_utils import scratch
        >>> def lazy(x):
        ...     return scratch.flatten(x)
        >>> with RefuseReference(scratch.flatten, lazy):
        ...     lazy(np.ones(2))
        Traceback (most recent call last):
        ...
        course_utils.checks.ReferenceCalled: <function flatten at 0x...>
    """

    def __init__(self, reference_fn: Callable[..., Any], learner_fn: Callable[..., Any]):
        self.reference_fn, self.learner_fn = reference_fn, learner_fn
        self.patched: list[tuple[Any, str, Any]] = []
        self.tripped = False

    def _raise(self, *args: Any, **kwargs: Any) -> Any:
        self.tripped = True
        raise ReferenceCalled(self.reference_fn)

    @staticmethod
    def _chain(fn: Any) -> list[Any]:
        """``fn`` and the functions it wraps (``__wrapped__``, as an exercise's adapter around a learner's function sets)."""
        chain = [fn]
        while hasattr(chain[-1], "__wrapped__") and len(chain) < 10:
            chain.append(chain[-1].__wrapped__)
        return chain

    def __enter__(self) -> RefuseReference:
        import sys
        references = self._chain(self.reference_fn)
        for reference in references:
            name = getattr(reference, "__name__", None)
            module = sys.modules.get(getattr(reference, "__module__", "") or "")
            if name and module is not None and getattr(module, name, None) is reference:
                self.patched.append((module, name, reference))
                setattr(module, name, self._raise)
        for learner in self._chain(self.learner_fn):
            namespace = getattr(learner, "__globals__", {})
            for key, value in list(namespace.items()):
                if any(value is reference for reference in references):
                    self.patched.append((namespace, key, value))
                    namespace[key] = self._raise
            for cell in getattr(learner, "__closure__", None) or ():
                try:
                    contents = cell.cell_contents
                except ValueError:  # an empty cell
                    continue
                if any(contents is reference for reference in references):
                    self.patched.append((cell, "cell_contents", contents))
                    cell.cell_contents = self._raise
        return self

    def __exit__(self, *exc: Any) -> None:
        for target, key, value in reversed(self.patched):
            if isinstance(target, dict):
                target[key] = value
            else:
                setattr(target, key, value)


class ReferenceCalled(Exception):  # noqa: N818 (it names what happened, as StopIteration does)
    """Raised by :class:`RefuseReference` when a learner's function calls the reference it is checked against."""


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def _diagnose(got: np.ndarray, inputs: tuple, diagnoses: Sequence[Diagnosis], tol: float) -> str | None:
    """The description of the first known mistake whose output equals ``got`` (same shape, within ``tol``)."""
    for text, wrong_fn in diagnoses:
        wrong = np.asarray(wrong_fn(*fresh_copies(inputs)), np.float64)
        if wrong.shape == got.shape and _max_diff(got, wrong) <= tol:
            return text
    return None


def call_learner(label: str, learner_fn: Callable[..., Any], inputs: tuple, *references: Callable[..., Any],
                 named_by: Callable[..., Any] | None = None) -> tuple[Any, str | None]:
    """Call a learner's function on fresh copies of ``inputs``; return (its output, None) or (None, what went wrong).

    What went wrong, in words a learner can act on: it calls one of the ``references`` (refused, see
    :class:`RefuseReference`), it is still the stub (``NotImplementedError``), it raised (the inputs are named
    after ``named_by``'s parameters, else the first reference's, without a wall of traceback), or it returned None.

    Example:
        >>> call_learner("Exercise 99.1", lambda x: None, (np.zeros(2),), lambda x: x)
        (None, 'Exercise 99.1: your function returned None: did you forget `return`?')
    """
    try:
        with contextlib.ExitStack() as stack:
            for reference in references:
                stack.enter_context(RefuseReference(reference, learner_fn))
            output = learner_fn(*fresh_copies(inputs))
    except ReferenceCalled as called:  # the learner's code may re-raise it with a message: then args hold a string
        reference = called.args[0] if called.args and callable(called.args[0]) else references[0]
        reference = RefuseReference._chain(reference)[-1]
        where = f"{reference.__module__}.{getattr(reference, '__qualname__', reference)}"
        return None, (f"{label}: your function calls the course's reference `{where}`, the function it is checked "
                      "against: write the computation yourself.")
    except NotImplementedError:
        return None, (f"{label}: not implemented yet: replace `raise NotImplementedError` with your code and run "
                      "the cell again.")
    except Exception as e:  # the learner's bug: say what and where, without a wall of traceback
        named = describe_inputs(inputs, named_by or (references[0] if references else None))
        return None, (f"{label}: your function raised {type(e).__name__}: {e} (inputs {named}). "
                      "Call it on such inputs in a cell of its own to see the line.")
    if output is None:
        return None, f"{label}: your function returned None: did you forget `return`?"
    return output, None


def grade_function(
    key_or_name: str,
    learner_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    make_inputs: Callable[[np.random.Generator], Any],
    keras_fn: Callable[..., Any] | None = None,
    tol: float = 1e-6,
    diagnoses: Sequence[Diagnosis] = (),
    keras_tol: float = 1e-5,
    trials: int = 3,
    seed: int = 0,
) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's function, compared with ``reference_fn`` on random inputs.

    ``make_inputs(rng)`` returns the arguments (a tuple, or one array) for one call; it is called
    ``trials`` times with a generator seeded by ``seed``. The learner's output must have the
    reference's shape and agree within ``tol`` (max absolute difference). When it does not, each
    diagnosis ``(description, wrong_fn)`` is tried: ``wrong_fn`` computes a known mistake from the
    same inputs, and if the learner's output matches it (same shape, within ``tol``) the message
    gives ``description``; a mistake that changes the output's shape is diagnosed the same way. ``keras_fn`` (optional, e.g. a Keras layer wrapped in a function) is compared
    with the learner's output too, within ``keras_tol`` (Keras computes in float32). For an exercise key
    (``"02.5"``), a learner's function that calls ``reference_fn`` is refused (:class:`RefuseReference`); a
    check under another name (a notebook checking the library's own function) may call it.
    ``NotImplementedError`` gives a friendly "not implemented yet".

    Example:
        >>> ok, message = grade_function("sum of squares", lambda x: (x * x).sum(), lambda x: np.sum(x ** 2),
        ...                              lambda rng: rng.normal(size=5))
        >>> message
        'sum of squares: correct: max |diff| = ... over 3 random inputs (tolerance 1e-06).'
    """
    label = f"Exercise {key_or_name}" if is_exercise_key(key_or_name) else key_or_name
    rng = np.random.default_rng(seed)
    worst = worst_keras = 0.0
    for _ in range(trials):
        inputs = make_inputs(rng)
        inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        expected = np.asarray(reference_fn(*fresh_copies(inputs)), np.float64)
        refused = (reference_fn,) if is_exercise_key(key_or_name) else ()  # an exercise may not call its reference
        output, failure = call_learner(label, learner_fn, inputs, *refused, named_by=reference_fn)
        if failure:
            return False, failure
        try:
            got = np.asarray(output, np.float64)
        except (TypeError, ValueError):
            return False, f"{label}: your function returned a {type(output).__name__}, not an array of numbers."
        if got.shape != expected.shape:
            diagnosis = _diagnose(got, inputs, diagnoses, tol)
            why = f": {diagnosis}." if diagnosis else "."
            return False, (f"{label}: not yet: the output has shape {got.shape}, should be {expected.shape} "
                           f"(inputs {describe_inputs(inputs, reference_fn)}){why}{solution_pointer(key_or_name)}")
        diff = _max_diff(got, expected)
        if not diff <= tol:
            diagnosis = _diagnose(got, inputs, diagnoses, tol)
            why = f": {diagnosis}." if diagnosis else "."
            return False, (f"{label}: not yet: with inputs {describe_inputs(inputs, reference_fn)}, max |diff| = {diff:.1e}, should be below "
                           f"{tol:.0e} ({_first_difference(got, expected, tol)}){why}{solution_pointer(key_or_name)}")
        worst = max(worst, diff)
        if keras_fn is not None:
            keras_diff = _max_diff(got, np.asarray(keras_fn(*fresh_copies(inputs)), np.float64))
            if not keras_diff <= keras_tol:
                return False, (f"{label}: agrees with the reference but not with Keras: max |diff| = {keras_diff:.1e}, "
                               f"should be below {keras_tol:.0e}.")
            worst_keras = max(worst_keras, keras_diff)
    keras_text = f"; against Keras {worst_keras:.1e} (tolerance {keras_tol:.0e})" if keras_fn is not None else ""
    if is_exercise_key(key_or_name):
        note_solved(key_or_name)
    return True, f"{label}: correct: max |diff| = {worst:.1e} over {trials} random inputs (tolerance {tol:.0e}){keras_text}."


def check_function(
    key_or_name: str,
    learner_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    make_inputs: Callable[[np.random.Generator], Any],
    keras_fn: Callable[..., Any] | None = None,
    tol: float = 1e-6,
    diagnoses: Sequence[Diagnosis] = (),
    **options: Any,
) -> None:
    """Check a learner's implementation against a reference: print what is right, or what is wrong and why.

    Arguments as in :func:`grade_function`. A typical "implement it" cell::

        check_function("02.5", my_conv2d, scratch.conv2d, lambda rng: (rng.normal(size=(2, 8, 8, 3)),
                       rng.normal(size=(3, 3, 3, 4))),
                       diagnoses=[("the kernel looks flipped (that is convolution; Keras computes correlation)",
                                   lambda x, k: scratch.conv2d(x, k[::-1, ::-1]))])

    Example:
        >>> def stub(x):
        ...     raise NotImplementedError
        >>> check_function("double it", stub, lambda x: 2 * x, lambda rng: rng.normal(size=3))
        double it: not implemented yet: replace `raise NotImplementedError` with your code and run the cell again.
    """
    print(grade_function(key_or_name, learner_fn, reference_fn, make_inputs, keras_fn, tol, diagnoses, **options)[1])


# --- "build this block" exercises: the learner's Keras block against a reference, layer by layer ----

BLOCK_TOL = 1e-5
"""Largest max |difference| accepted between a learner's Keras block and the reference, once both hold the same
weights: they then compute the same float32 sums, in at most another order, so anything above is a real difference."""

BlockCase = tuple[tuple[int, ...], tuple[Any, ...]]
"""One input of a block exercise: (the input's shape without the batch axis, NHWC: (H, W, C); the block's other
positional arguments, e.g. ``(filters, convs)``)."""

_CONCAT_HINT = ("Concatenate needs its inputs to agree on every axis except the one it joins: in NHWC the channels "
                "are the last axis, Concatenate(axis=-1), and every branch must keep the height and width "
                "(padding='same', stride 1)")
_SETTINGS = ("kernel_size", "pool_size", "filters", "units", "strides", "padding", "activation", "dilation_rate",
             "groups", "depth_multiplier", "use_bias", "axis", "center", "scale", "epsilon", "data_format",
             "target_shape", "size", "interpolation", "cropping", "keepdims")
"""The configuration entries that change what a layer computes (initializers, names and momentum do not)."""
_INFERENCE_IDENTITIES = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
                         "GaussianDropout", "AlphaDropout", "Identity", "ActivityRegularization")
_ACTIVATION_OPS = ("relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "elu", "selu", "celu", "softplus", "softsign",
                   "softmax", "leaky_relu", "hard_sigmoid", "hard_silu", "log_softmax")


class _Step:
    """One layer (or Keras operation) of a block: its kind, the settings that matter, and which steps it reads.

    ``inputs`` index earlier steps; -1 is the block's input. ``layer`` is the Keras layer holding weights, else None.
    """
    def __init__(self, kind: str, settings: dict[str, Any], inputs: tuple[int, ...], layer: Any = None):
        self.kind, self.settings, self.inputs, self.layer = kind, settings, inputs, layer

    def signature(self) -> tuple:
        return self.kind, tuple(sorted(self.settings.items()))

    def with_settings(self, **changes: Any) -> _Step:
        return _Step(self.kind, {**self.settings, **changes}, self.inputs, self.layer)


def _plain(value: Any) -> Any:
    """A configuration value in a comparable, hashable form (lists become tuples, anything else a string)."""
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _describe(op: Any, rank: int) -> tuple[str, dict[str, Any]]:
    """(kind, settings) of a Keras layer or operation; kind 'activation' for a stand-alone one, 'identity' for a no-op."""
    kind = type(op).__name__
    try:
        config = op.get_config()
    except (AttributeError, NotImplementedError):
        config = {}
    settings = {k: _plain(v) for k, v in config.items() if k in _SETTINGS}
    if "axis" in settings and isinstance(settings["axis"], int) and rank:
        settings["axis"] %= rank  # axis=-1 and axis=3 are the same axis of an NHWC tensor
    if kind == "Activation":
        activation = settings.get("activation")
        return ("identity", {}) if activation == "linear" else ("activation", {"activation": activation})
    if kind == "ReLU":
        extra = {k: config.get(k) for k in ("max_value", "negative_slope", "threshold") if config.get(k)}
        text = "relu" + (f"({', '.join(f'{k}={v}' for k, v in extra.items())})" if extra else "")
        return "activation", {"activation": text}
    if kind == "LeakyReLU":
        return "activation", {"activation": f"leaky_relu(negative_slope={config.get('negative_slope')})"}
    if kind in ("ELU", "Softmax"):
        return "activation", {"activation": kind.lower()}
    if type(op).__module__.startswith("keras.src.ops") and _snake(kind) in _ACTIVATION_OPS:
        return "activation", {"activation": _snake(kind)}
    if kind in _INFERENCE_IDENTITIES:
        return "identity", {}
    if "Normalization" in kind:
        settings["activation"] = "linear"  # an activation right after it is folded in, as into a convolution's
    return kind, settings


def _block_steps(model: Any) -> tuple[list[_Step], int]:
    """The steps of a one-input, one-output functional model in a canonical order, and the index of its output.

    Depth first from the output, each step after the steps it reads and the inputs of a layer in their order
    (a Concatenate's branches left to right), so the order in which the layers were created does not matter.
    Layers of a nested model (a Sequential inside the block) are steps of their own; no-ops at inference
    (Dropout) are dropped; an activation that alone reads a convolution, dense or normalization layer with no
    activation is folded into it (``Conv2D(8, 3)`` then ``ReLU()`` is ``Conv2D(8, 3, activation='relu')``).
    """
    raw: list[_Step] = []
    seen: dict[int, int] = {}

    def visit(tensor: Any, scope: dict[int, int]) -> int:
        if id(tensor) in scope:
            return scope[id(tensor)]
        if id(tensor) not in seen:
            op, inputs, index = producer(tensor)
            reads = tuple(visit(t, scope) for t in inputs)
            nested = isinstance(op, keras.Model) and len(getattr(op, "inputs", None) or ()) == len(reads)
            if nested:
                seen[id(tensor)] = visit(op.outputs[index], dict(zip(map(id, op.inputs), reads)))
            else:
                kind, settings = _describe(op, len(tensor.shape))
                raw.append(_Step(kind, settings, reads, op if getattr(op, "weights", None) else None))
                seen[id(tensor)] = len(raw) - 1
        return seen[id(tensor)]

    out = visit(model.outputs[0], {id(model.inputs[0]): -1})
    readers = [i for step in raw for i in step.inputs] + [out]
    steps: list[_Step] = []
    where: dict[int, int] = {-1: -1}
    for old, step in enumerate(raw):
        reads = tuple(where[i] for i in step.inputs)
        source = reads[0] if len(reads) == 1 else -1
        if step.kind == "identity" and len(reads) == 1:
            where[old] = source
        elif (step.kind == "activation" and source >= 0 and readers.count(step.inputs[0]) == 1
              and steps[source].settings.get("activation") == "linear"):
            steps[source] = steps[source].with_settings(activation=step.settings["activation"])
            where[old] = source
        else:
            steps.append(_Step(step.kind, step.settings, reads, step.layer))
            where[old] = len(steps) - 1
    return steps, where[out]


class _Block:
    """A block built on a ``keras.Input``: the model, its steps (:func:`_block_steps`) and its layers with weights."""

    def __init__(self, model: Any):
        self.model = model
        try:
            self.steps, self.out = _block_steps(model)
            self.weighted = [s.layer for s in self.steps if s.layer is not None]
        except Exception:  # a construction the reader does not know: numbers only, layers in creation order
            self.steps, self.out = None, -1
            self.weighted = [layer for layer in model.layers if layer.weights]

    def structure(self) -> list[tuple] | None:
        return None if self.steps is None else [(*s.signature(), s.inputs) for s in self.steps] + [self.out]

    def outputs(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model(x, training=False), np.float64)

    def outputs_with(self, source: _Block, x: np.ndarray) -> np.ndarray | None:
        """The outputs on ``x`` with ``source``'s weights copied in, layer by matching layer; None when they do not fit.

        The i-th layer with weights of one block takes the weights of the i-th of the other, in the order of
        :func:`_block_steps`: by role (which branch, which place in it), not by the shape of the weights.
        """
        pairs = list(zip(source.weighted, self.weighted))
        if len(source.weighted) != len(self.weighted) or any(
                type(a) is not type(b) or [w.shape for w in a.weights] != [w.shape for w in b.weights] for a, b in pairs):
            return None
        for a, b in pairs:
            b.set_weights(a.get_weights())
        return self.outputs(x)


def _build_block(fn: Callable[..., Any], shape: tuple[int, ...], args: tuple) -> _Block:
    x = keras.Input(shape)
    return _Block(keras.Model(x, fn(x, *args)))


def _sides(value: Any) -> str:
    return " x ".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _name(step: _Step) -> str:
    """A layer in a few words: '3 x 3 Conv2D (8 filters)', '2 x 2 MaxPooling2D', 'relu activation'."""
    s = step.settings
    if step.kind == "activation":
        return f"{s['activation']} activation"
    size = s.get("kernel_size") or s.get("pool_size")
    count = f" ({s['filters']} filters)" if "filters" in s else f" ({s['units']} units)" if "units" in s else ""
    return f"{_sides(size) + ' ' if size else ''}{step.kind}{count}"


def _difference(key: str, mine: Any, theirs: Any) -> str:
    if key == "activation":
        if mine in (None, "linear"):
            return f"no activation, should be {theirs}"
        return f"activation {mine}, should be {'none' if theirs in (None, 'linear') else theirs}"
    if key in ("filters", "units"):
        return f"{mine} {key}, should be {theirs}"
    if key in ("kernel_size", "pool_size", "strides", "dilation_rate"):
        return f"{key.replace('_size', '').replace('_', ' ')} {_sides(mine)}, should be {_sides(theirs)}"
    if key == "axis":
        return f"axis {mine}, should be {theirs} (in NHWC the channels are the last axis, axis=-1)"
    return f"{key}={mine!r}, should be {theirs!r}"


def _differences(mine: _Step, theirs: _Step) -> list[str]:
    order = {key: i for i, key in enumerate(_SETTINGS)}
    keys = sorted(set(mine.settings) | set(theirs.settings), key=lambda k: (order.get(k, len(order)), k))
    return [_difference(k, mine.settings.get(k), theirs.settings.get(k)) for k in keys
            if mine.settings.get(k) != theirs.settings.get(k)]


def _chain(steps: list[_Step], i: int) -> list[int]:
    """The steps of one branch, from the block's input (or a join inside it) to step ``i``."""
    chain = []
    while i >= 0:
        chain.append(i)
        if len(steps[i].inputs) != 1:
            break
        i = steps[i].inputs[0]
    return chain[::-1]


def _path(steps: list[_Step], chain: list[int]) -> str:
    return " -> ".join(_name(steps[i]) for i in chain) or "the input itself"


def _numbers(indices: list[int]) -> str:
    return ", ".join(str(i + 1) for i in indices[:-1]) + (" and " if len(indices) > 1 else "") + str(indices[-1] + 1)


def _align(mine: list[tuple], ref: list[tuple]) -> list[tuple[int | None, int | None]]:
    """The cheapest way to turn one list of layer signatures into the other: pairs (i, j), (i, None) for a layer of
    ``mine`` too many, (None, j) for one of ``ref`` missing. Same kind with other settings costs 1/2, another
    kind 1, a layer too many or missing 1; among equal costs the layers pair as early as possible."""
    n, m = len(mine), len(ref)

    def swap(i: int, j: int) -> float:
        return 0.0 if mine[i] == ref[j] else 0.5 if mine[i][0] == ref[j][0] else 1.0

    cost = [[float(n - i + m - j) if i == n or j == m else 0.0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            cost[i][j] = min(swap(i, j) + cost[i + 1][j + 1], 1 + cost[i + 1][j], 1 + cost[i][j + 1])
    pairs: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < n or j < m:
        if i < n and j < m and cost[i][j] == swap(i, j) + cost[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif i < n and (j == m or cost[i][j] == 1 + cost[i + 1][j]):
            pairs.append((i, None))
            i += 1
        else:
            pairs.append((None, j))
            j += 1
    return pairs


def _chain_diagnosis(mine: list[_Step], my_chain: list[int], ref: list[_Step], ref_chain: list[int]) -> str | None:
    """What differs between the learner's chain of layers and the reference's: a layer missing, extra, or set otherwise.

    Layers missing, too many or of another kind come first (a pooling where a convolution should be); then
    the settings of the layers that pair up (kernel size, filters, strides, padding, activation).
    """
    my_kinds = [mine[i].kind for i in my_chain]
    ref_kinds = [ref[i].kind for i in ref_chain]
    if len(my_kinds) > 1 and sorted(my_kinds) == sorted(ref_kinds) and my_kinds != ref_kinds:
        return (f"the right layers in another order: yours are {_path(mine, my_chain)}, the reference's "
                f"{_path(ref, ref_chain)}")
    pairs = _align([mine[i].signature() for i in my_chain], [ref[j].signature() for j in ref_chain])
    extra = [i for i, j in pairs if j is None]
    missing = [(j, sum(1 for a, _ in pairs[:k] if a is not None)) for k, (i, j) in enumerate(pairs) if i is None]
    other = [(i, j) for i, j in pairs if i is not None and j is not None and my_kinds[i] != ref_kinds[j]]
    if missing and (not extra or missing[0][1] <= extra[0]):
        j, at = missing[0]
        place = ("at the end" if at == len(my_chain) else "at the start" if at == 0
                 else f"after your layer {at} ({_name(mine[my_chain[at - 1]])})")
        if len(missing) == 1:
            return f"a {_name(ref[ref_chain[j]])} is missing {place}"
        return f"{len(missing)} layers are missing: {_path(ref, [ref_chain[j] for j, _ in missing])} (the first {place})"
    if extra:
        same = len({mine[my_chain[i]].signature() for i in extra}) == 1
        what = _name(mine[my_chain[extra[0]]]) if same else _path(mine, [my_chain[i] for i in extra])
        if len(extra) == 1:
            return f"your layer {extra[0] + 1}, a {what}, is one too many"
        return f"your layers {_numbers(extra)} ({what}) are too many"
    if other:
        i, j = other[0]
        return f"your layer {i + 1} is a {_name(mine[my_chain[i]])} where the reference has a {_name(ref[ref_chain[j]])}"
    found: dict[tuple[str, ...], list[int]] = {}
    for i, j in pairs:
        texts = tuple(_differences(mine[my_chain[i]], ref[ref_chain[j]]))
        if texts:
            found.setdefault(texts, []).append(i)
    groups = [f"your layer{'s' if len(at) > 1 else ''} {_numbers(at)} ({_name(mine[my_chain[at[0]]])}): {'; '.join(texts)}"
              for texts, at in found.items()]
    return "; ".join(groups[:3]) or None


def _structure_diagnosis(mine: _Block, ref: _Block) -> str | None:
    """Where the learner's block differs from the reference's, read from their steps (branches, then layers)."""
    if mine.steps is None or ref.steps is None or mine.structure() == ref.structure():
        return None
    ms, rs = mine.steps, ref.steps
    my_join = ms[mine.out] if mine.out >= 0 and len(ms[mine.out].inputs) > 1 else None
    ref_join = rs[ref.out] if ref.out >= 0 and len(rs[ref.out].inputs) > 1 else None
    if ref_join is not None and my_join is None:
        return (f"the block should end by joining {len(ref_join.inputs)} branches with {ref_join.kind}; yours is one "
                f"chain, {_path(ms, _chain(ms, mine.out))}")
    if ref_join is None and my_join is not None:
        return f"the block is one chain of layers; yours joins {len(my_join.inputs)} branches with {my_join.kind}"
    if my_join is None:
        return _chain_diagnosis(ms, _chain(ms, mine.out), rs, _chain(rs, ref.out))
    if my_join.kind != ref_join.kind:
        return f"your branches are joined with {my_join.kind}, the reference's with {ref_join.kind}"
    if my_join.signature() != ref_join.signature():
        return f"the {ref_join.kind} joining the branches has {'; '.join(_differences(my_join, ref_join))}"
    my_chains = [_chain(ms, i) for i in my_join.inputs]
    ref_chains = [_chain(rs, i) for i in ref_join.inputs]
    my_sigs = [[ms[i].signature() for i in c] for c in my_chains]
    ref_sigs = [[rs[i].signature() for i in c] for c in ref_chains]
    n = len(ref_chains)
    named = "; ".join(f"{j + 1}: {_path(rs, c)}" for j, c in enumerate(ref_chains))
    if len(my_sigs) == n and my_sigs != ref_sigs and sorted(map(repr, my_sigs)) == sorted(map(repr, ref_sigs)):
        order = []
        for sig in my_sigs:
            order.append(next(j for j, r in enumerate(ref_sigs) if r == sig and j not in order))
        return (f"the branches are concatenated in another order: yours are the reference's branches "
                f"{', '.join(str(j + 1) for j in order)}, in that order (the reference's order: {named})")
    unpaired_mine = list(range(len(my_sigs)))
    unpaired_ref = []
    for j, sig in enumerate(ref_sigs):
        twin = next((i for i in unpaired_mine if my_sigs[i] == sig), None)
        if twin is None:
            unpaired_ref.append(j)
        else:
            unpaired_mine.remove(twin)
    if len(my_sigs) < n and not unpaired_mine:
        return (f"{n - len(my_sigs)} branch{'es' if n - len(my_sigs) > 1 else ''} missing: "
                + "; ".join(_path(rs, ref_chains[j]) for j in unpaired_ref) + f" (the reference has {n}: {named})")
    if len(my_sigs) > n and not unpaired_ref:
        return "one branch too many: " + "; ".join(_path(ms, my_chains[i]) for i in unpaired_mine)
    count = "" if len(my_sigs) == n else f"yours joins {len(my_sigs)} branches, the reference {n}; "
    found = [(j, why) for i, j in zip(unpaired_mine, unpaired_ref)
             if (why := _chain_diagnosis(ms, my_chains[i], rs, ref_chains[j]))]
    if not found:
        return count.rstrip("; ") or None
    j, why = found[0]
    more = f" (and {len(found) - 1} other branch{'es' if len(found) > 2 else ''} differ{'' if len(found) > 2 else 's'})"
    return f"{count}in branch {j + 1} of {n} (the reference's {_path(rs, ref_chains[j])}): {why}{more if len(found) > 1 else ''}"


def _same_as(mine: _Block, wrong: _Block, x: np.ndarray, tol: float) -> bool:
    """True when the learner built what ``wrong`` builds: the same steps, or the same outputs with the same weights."""
    if mine.structure() is not None and mine.structure() == wrong.structure():
        return True
    if mine.model.output_shape != wrong.model.output_shape:
        return False
    got = mine.outputs_with(wrong, x)
    return got is not None and _max_diff(got, wrong.outputs(x)) <= tol


def _case_text(reference_fn: Callable[..., Any], shape: tuple[int, ...], args: tuple) -> str:
    """'(input (12, 10, 3), filters=8, convs=2)': the arguments named as the reference names them."""
    names = _parameter_names(reference_fn)[1:1 + len(args)]
    if len(names) != len(args):
        names = [f"argument {i + 2}" for i in range(len(args))]
    return f"(input {shape}" + "".join(f", {k}={v!r}" for k, v in zip(names, args)) + ")"


def grade_keras_block(
    key_or_name: str,
    learner_block: Callable[..., Any],
    reference_block: Callable[..., Any],
    cases: Sequence[BlockCase],
    diagnoses: Sequence[Diagnosis] = (),
    *,
    tol: float = BLOCK_TOL,
    hints: dict[str, str] | None = None,
    forgot_return: str = "return",
    return_what: str = "the tensor the last layer gave you",
    seed: int = 0,
) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's Keras block ``learner_block(x, *args)``, against ``reference_block``.

    Each case ``(input_shape, args)`` gives an input shape without the batch axis, NHWC ``(H, W, C)``, and
    the block's other arguments. Both blocks are called on a ``keras.Input(input_shape)``; the learner's
    must give the reference's output shape ``(batch, H', W', C')`` and parameter count. Then each layer of
    the reference that has weights is matched to the learner's layer of the same role, by order: branch by
    branch in the order the block joins them, layer by layer from the input (:func:`_block_steps`), never by
    the shape of the weights. The reference's weights are copied into the matched layers, and the
    outputs on a random batch of two must agree within ``tol`` (max absolute difference, default
    :data:`BLOCK_TOL`).

    When they do not, the message says why. Each diagnosis ``(description, wrong_block)`` of
    ``diagnoses`` is a known mistake, built on the same input: when the learner's block has the same layers
    (or computes the same outputs with the same weights), the message gives ``description``. Otherwise the
    layers are compared role by role: a branch or layer missing or extra, branches joined in another order,
    a layer's kernel size, filters, strides, padding or activation. An exception gives its first line and
    the hint of ``hints`` (``{text in the error: hint}``; Concatenate errors get one by default);
    ``NotImplementedError`` gives a friendly "not implemented yet". ``forgot_return`` and ``return_what``
    word the messages for a function that returns None or something other than a tensor.

    Example (a convolution block; the second version forgot the ReLU):
        >>> from keras import layers
        >>> def conv_block(x, filters):
        ...     x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        ...     return layers.MaxPooling2D(2)(x)
        >>> def without_relu(x, filters):
        ...     return layers.MaxPooling2D(2)(layers.Conv2D(filters, 3, padding="same")(x))
        >>> print(grade_keras_block("conv block", conv_block, conv_block, [((8, 6, 3), (4,))])[1])
        conv block: correct: output shapes and parameter counts equal the reference's on 1 input,
        and with its weights the outputs agree (max |diff| = 0.0e+00, tolerance 1e-05).
        >>> print(grade_keras_block("conv block", without_relu, conv_block, [((8, 6, 3), (4,))])[1])
        conv block: not yet: shapes and counts are right but the outputs differ by up to ... (input (8, 6, 3), filters=4): your layer 1 (3 x 3 Conv2D (4 filters)): no activation, should be relu.
    """
    label = f"Exercise {key_or_name}" if is_exercise_key(key_or_name) else key_or_name
    pointer = solution_pointer(key_or_name)
    hints = {"Concatenate": _CONCAT_HINT, **(hints or {})}
    rng = np.random.default_rng(seed)
    worst = 0.0
    for shape, args in cases:
        shape, args = tuple(shape), tuple(args)
        where = _case_text(reference_block, shape, args)
        reference = _build_block(reference_block, shape, args)
        x = keras.Input(shape)
        try:
            out = learner_block(x, *args)
        except NotImplementedError:
            return False, (f"{label}: not implemented yet: replace `raise NotImplementedError` with your code "
                           "and run the cell again.")
        except Exception as e:  # the learner's bug: say what, without a wall of traceback
            hint = "".join(f" {text}." for part, text in hints.items() if part in str(e))
            return False, (f"{label}: your function raised {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                           f" {where}.{hint} Call it on keras.Input({shape}) in a cell of its own to see the line.{pointer}")
        if out is None:
            return False, f"{label}: your function returned None: did you forget `{forgot_return}`?"
        if not isinstance(out, keras.KerasTensor):
            return False, f"{label}: your function returned a {type(out).__name__}; return {return_what}."
        try:
            learner = _Block(keras.Model(x, out))
        except ValueError as e:
            return False, f"{label}: the output does not come from the input x {where}: {e}"
        batch = rng.normal(size=(2, *shape)).astype("float32")
        expected = reference.outputs(batch)
        same_form = (learner.model.output_shape == reference.model.output_shape
                     and learner.model.count_params() == reference.model.count_params())
        got = learner.outputs_with(reference, batch) if same_form else None
        diff = _max_diff(got, expected) if got is not None else None
        if diff is not None and diff <= tol:
            worst = max(worst, diff)
            continue
        diagnosis = next((text for text, wrong_fn in diagnoses if _is_mistake(learner, wrong_fn, shape, args, batch, tol)),
                         None) or _structure_diagnosis(learner, reference)
        facts = (f"output {learner.model.output_shape[1:]} and {learner.model.count_params():,} parameters, should be "
                 f"{reference.model.output_shape[1:]} and {reference.model.count_params():,} {where}")
        if diff is not None:
            facts = f"shapes and counts are right but the outputs differ by up to {diff:.1e} {where}"
        why = f": {diagnosis}." if diagnosis else "."
        return False, f"{label}: not yet: {facts}{why}{pointer}"
    if is_exercise_key(key_or_name):
        note_solved(key_or_name)
    return True, (f"{label}: correct: output shapes and parameter counts equal the reference's on {len(cases)} "
                  f"input{'s' if len(cases) > 1 else ''}, and with its weights the outputs agree "
                  f"(max |diff| = {worst:.1e}, tolerance {tol:.0e}).")


def _is_mistake(learner: _Block, wrong_fn: Callable[..., Any], shape: tuple[int, ...], args: tuple, x: np.ndarray,
                tol: float) -> bool:
    try:
        wrong = _build_block(wrong_fn, shape, args)
    except ValueError:  # e.g. 'valid' convolutions that do not fit the input
        return False
    return _same_as(learner, wrong, x, tol)


def check_keras_block(
    key_or_name: str,
    learner_block: Callable[..., Any],
    reference_block: Callable[..., Any],
    cases: Sequence[BlockCase],
    diagnoses: Sequence[Diagnosis] = (),
    **options: Any,
) -> None:
    """Check a learner's Keras block against a reference: print what is right, or what is wrong and why.

    Arguments as in :func:`grade_keras_block`. A typical "build this block" cell::

        check_keras_block("08.5", vgg_block, course_utils.models.vgg.vgg_block, [((12, 10, 3), (8, 2))])

    Example:
        >>> from keras import layers
        >>> def stub(x, filters):
        ...     raise NotImplementedError
        >>> check_keras_block("my block", stub, lambda x, filters: layers.Conv2D(filters, 1)(x), [((8, 8, 3), (4,))])
        my block: not implemented yet: replace `raise NotImplementedError` with your code and run the cell again.
    """
    print(grade_keras_block(key_or_name, learner_block, reference_block, cases, diagnoses, **options)[1])
