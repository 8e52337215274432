"""Trace a Keras model layer by layer: shapes, parameters with formulas, MACs, receptive fields.

:func:`trace` works for Sequential and functional models, multi-branch (Inception) and
multi-output ones. Shapes are NHWC without the batch axis. Totals equal ``model.count_params()``.

Example:
    >>> import keras
    >>> model = keras.Sequential([keras.Input((32, 32, 1), name="image"),
    ...                           keras.layers.Conv2D(6, 5, name="C1")])
    >>> trace(model).row("C1").formula
    '(5*5*1+1)*6 = 156'
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

from . import arithmetic
from .profiles import import_tensorflow_quietly

# Layers that pass the receptive field through unchanged (element-wise or channel-wise work).
_GLOBAL_TYPES = ("Flatten", "Dense", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Reshape")


@dataclass(frozen=True)
class Row:
    """One layer of a trace. ``rf`` is the receptive field side in input pixels (None: the whole image)."""

    name: str
    type: str
    output_shape: tuple
    params: int
    formula: str
    macs: int
    rf: int | None
    jump: int | None
    activation_bytes: int

    @property
    def rf_text(self) -> str:
        return "all" if self.rf is None else f"{self.rf} / {self.jump}"


@dataclass(frozen=True)
class Trace:
    """A model's trace: one :class:`Row` per layer (inputs first) and the totals."""

    model_name: str
    rows: tuple[Row, ...]
    total_params: int
    trainable_params: int

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.rows)

    @property
    def activation_bytes(self) -> int:
        """Bytes of all layer outputs for one image (float32 unless a layer computes otherwise)."""
        return sum(r.activation_bytes for r in self.rows)

    def by_type(self, *types: str) -> dict[str, tuple[int, int]]:
        """Return {layer type: (parameters, MACs)} summed over the rows of each type.

        Example:
            >>> from course_utils.models import lenet5_modern
            >>> trace(lenet5_modern()).by_type("Conv2D", "Dense")
            {'Conv2D': (50692, 405600), 'Dense': (11014, 10920)}
        """
        return {
            kind: (sum(r.params for r in self.rows if r.type == kind), sum(r.macs for r in self.rows if r.type == kind))
            for kind in types
        }

    def row(self, name: str) -> Row:
        """Return the row of the layer called ``name``."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no layer named {name!r}; layers: {', '.join(r.name for r in self.rows)}")

    def _table(self) -> tuple[list[str], list[list[str]]]:
        header = ["layer", "type", "output shape", "params", "formula", "MACs", "RF / jump", "act. memory"]
        body = [
            [
                r.name,
                r.type,
                _shape_text(r.output_shape),
                f"{r.params:,}",
                r.formula,
                f"{r.macs:,}",
                r.rf_text,
                arithmetic.format_bytes(r.activation_bytes),
            ]
            for r in self.rows
        ]
        return header, body

    def totals_text(self) -> str:
        return (
            f"Total: {self.total_params:,} parameters ({self.trainable_params:,} trainable), "
            f"{self.total_macs:,} MACs per image, "
            f"{arithmetic.format_bytes(self.activation_bytes)} of activations per image"
        )

    def __str__(self) -> str:
        header, body = self._table()
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
        numeric = {3, 5, 7}

        def fmt(line: list[str]) -> str:
            cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))]
            return "  ".join(cells).rstrip()

        rule = "-" * len(fmt(header))
        return "\n".join([f"Model: {self.model_name}", fmt(header), rule, *map(fmt, body), rule, self.totals_text()])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        header, body = self._table()
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in line) + "</tr>" for line in body
        )
        return (
            f"<b>Model: {html.escape(self.model_name)}</b>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            f"<p>{html.escape(self.totals_text())}</p>"
        )


def _shape_text(shape: tuple) -> str:
    if shape and isinstance(shape[0], tuple):
        return " + ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _pair(value: Any) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value, value)


def _weights_formula(layer) -> str:
    """Fallback formula: the product of each weight tensor's shape, summed."""
    parts = ["*".join(str(d) for d in w.shape) or "1" for w in layer.weights]
    return " + ".join(parts)


def _formula_and_macs(layer, in_shape: tuple, out_shape: tuple) -> tuple[str, int]:
    kind = type(layer).__name__
    params = layer.count_params()
    if hasattr(layer, "param_formula"):
        formula = layer.param_formula()
        macs = layer.macs(in_shape, out_shape) if hasattr(layer, "macs") else 0
        return f"{formula} = {params:,}", macs
    if kind in ("Conv2D", "Conv1D", "Conv3D") and in_shape:
        kernel = tuple(layer.kernel_size)
        c_in, groups = in_shape[-1], getattr(layer, "groups", 1)
        k_text = "*".join(map(str, kernel))
        c_text = f"{c_in}/{groups}" if groups > 1 else f"{c_in}"
        bias = "+1" if layer.use_bias else ""
        formula = f"({k_text}*{c_text}{bias})*{layer.filters}"
        macs = math.prod(out_shape[:-1]) * layer.filters * math.prod(kernel) * (c_in // groups)
        return f"{formula} = {params:,}", macs
    if kind == "DepthwiseConv2D" and in_shape:
        kernel = tuple(layer.kernel_size)
        c_in, mult = in_shape[-1], layer.depth_multiplier
        bias = "+1" if layer.use_bias else ""
        formula = f"({kernel[0]}*{kernel[1]}{bias})*{c_in}*{mult}"
        return f"{formula} = {params:,}", math.prod(out_shape) * math.prod(kernel)
    if kind == "Dense" and in_shape:
        n_in = in_shape[-1]
        bias = "+1" if layer.use_bias else ""
        formula = f"({n_in}{bias})*{layer.units}" if bias else f"{n_in}*{layer.units}"
        return f"{formula} = {params:,}", math.prod(in_shape) * layer.units
    if kind == "BatchNormalization":
        c = in_shape[-1]
        return f"4*{c} = {params:,} (2*{c} trainable)", 0
    if params == 0:
        return "-", 0
    if hasattr(layer, "layers"):  # a nested model
        return f"nested model = {params:,}", 0
    return f"{_weights_formula(layer)} = {params:,}", 0


def _receptive(layer, inputs: list[tuple[int | None, int | None]]) -> tuple[int | None, int | None]:
    if not inputs or any(rf is None for rf, _ in inputs):
        return None, None
    rf, jump = max(inputs)
    kind = type(layer).__name__
    if kind in _GLOBAL_TYPES or hasattr(layer, "layers"):
        return None, None
    window = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    if window is None:
        return rf, jump
    k = _pair(window)[0]
    s = _pair(getattr(layer, "strides", 1) or 1)[0]
    d = _pair(getattr(layer, "dilation_rate", 1) or 1)[0]
    return arithmetic.receptive_field(rf, jump, k, s, d)


def _shape(tensor) -> tuple:
    return tuple(d for d in tensor.shape[1:])


def trace(model) -> Trace:
    """Return a :class:`Trace` of ``model``: one row per layer, totals equal ``model.count_params()``.

    Raises ValueError for an unbuilt model (build it with ``keras.Input`` or ``model.build``).

    Example:
        >>> from course_utils.models import lenet5_modern
        >>> trace(lenet5_modern()).total_params
        61706
    """
    import_tensorflow_quietly()
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"trace() needs a keras.Model, got {type(model).__name__}")
    try:
        inputs = _as_list(model.inputs)
    except (AttributeError, ValueError):
        inputs = []
    if not model.built or not inputs:
        raise ValueError(
            f"model {model.name!r} is not built, so its shapes are unknown; start it with "
            "keras.Input(shape=...) or call model.build((None, H, W, C)) before tracing"
        )
    fields: dict[int, tuple[int | None, int | None]] = {}
    rows: list[Row] = []
    for tensor in inputs:
        fields[id(tensor)] = (1, 1)
        shape = _shape(tensor)
        rows.append(Row(tensor.name, "Input", shape, 0, "-", 0, 1, 1, arithmetic.array_bytes(*shape)))
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        ins, outs = _as_list(layer.input), _as_list(layer.output)
        in_shape = _shape(ins[0]) if len(ins) == 1 else ()
        out_shapes = tuple(_shape(t) for t in outs)
        out_shape = out_shapes[0] if len(out_shapes) == 1 else out_shapes
        formula, macs = _formula_and_macs(layer, in_shape, out_shape)
        rf, jump = _receptive(layer, [fields.get(id(t), (None, None)) for t in ins])
        for t in outs:
            fields[id(t)] = (rf, jump)
        dtype_bytes = 2 if "16" in str(layer.compute_dtype) else 4
        act = sum(arithmetic.array_bytes(*s, dtype_bytes=dtype_bytes) for s in out_shapes)
        rows.append(
            Row(layer.name, type(layer).__name__, out_shape, layer.count_params(), formula, macs, rf, jump, act)
        )
    total = sum(r.params for r in rows)
    if total != model.count_params():
        raise AssertionError(f"trace rows add up to {total:,} but model.count_params() is {model.count_params():,}")
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    return Trace(model.name, tuple(rows), total, trainable)


def training_memory(model, batch_size: int, optimizer_slots: int = 2) -> dict[str, int]:
    """Estimate training memory in bytes: weights, gradients, optimizer slots, activations.

    Activations are kept for the backward pass, so they count once per image in the batch; Adam
    keeps two slots per weight (``optimizer_slots=2``), SGD with momentum one. A lower bound:
    frameworks add workspace on top.

    Example:
        >>> from course_utils.models import lenet5_modern
        >>> training_memory(lenet5_modern(), batch_size=32)["weights"]     # 61,706 float32 weights
        246824
    """
    t = trace(model)
    weights = t.total_params * 4
    estimate = {
        "weights": weights,
        "gradients": weights,
        "optimizer": weights * optimizer_slots,
        "activations": t.activation_bytes * batch_size,
    }
    estimate["total"] = sum(estimate.values())
    return estimate


def available_memory() -> int:
    """Return the host memory available now in bytes (``MemAvailable`` on Linux)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os

    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def check_memory(model, batch_size: int, budget: int | None = None, optimizer_slots: int = 2) -> bool:
    """Print the training-memory estimate; warn and return False when it exceeds ``budget``.

    ``budget`` defaults to the host memory available now (pass a GPU's memory on a GPU).

    Example:
        >>> from course_utils.models import lenet5_modern
        >>> check_memory(lenet5_modern(), batch_size=128, budget=2**30)
        Training memory estimate at batch 128: 5.5 MiB (budget 1.0 GiB): fits
        True
    """
    estimate = training_memory(model, batch_size, optimizer_slots)
    budget = budget if budget is not None else available_memory()
    fits = estimate["total"] <= budget
    verdict = "fits" if fits else "WARNING: does not fit; lower the batch size or the image size"
    print(
        f"Training memory estimate at batch {batch_size}: {arithmetic.format_bytes(estimate['total'])} "
        f"(budget {arithmetic.format_bytes(budget)}): {verdict}"
    )
    return fits
