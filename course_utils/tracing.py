"""Trace a Keras model layer by layer: shapes, parameters with formulas, MACs, receptive fields.

:func:`trace` follows the layer graph of Sequential and functional models: multi-branch (Inception)
and multi-output ones, layers called more than once (shared weights count once) and models used as
layers (their layers are listed as ``"vgg16/block1_conv1"``, so the totals equal the flat model's).
Shapes are NHWC without the batch axis. Totals equal ``model.count_params()``.

Definitions used in every trace (also printed under the table as its legend):

- MACs: multiply-accumulates of one forward pass for one image (convolutions of every kind, dense
  layers). Pooling's comparisons and additions, element-wise operations (activations, additions,
  dropout) and normalization (batch normalization's per-channel scale and shift folds into the
  layer before it at inference; LRN likewise) count 0, as do padding, cropping and resizing. A
  layer the tracer does not know shows ``?`` (``Row.macs is None``) and the total becomes a lower
  bound (``Trace.macs_complete`` is False): never a silent 0.
- Receptive field (RF) and jump, per spatial axis (height, width), in input pixels: the input
  pixels one output value can depend on, and the distance between neighbouring output values.
  ``"7 / 1"`` when both axes agree, ``"7x1 / 1x1"`` otherwise, ``"all"`` once a layer sees the
  whole input (Flatten, global pooling, Dense on a vector), ``"?"`` when unknown. Padding and
  cropping change neither (they move the field, they do not widen it). Upsampling by ``f`` divides
  the jump by ``f`` (a fractional jump: below one input pixel); interpolation adds its taps (nearest
  1, bilinear 2, bicubic 4) to the field.

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
import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import keras
import numpy as np

from . import arithmetic
from .keras_internals import Call, calls, functional_graph
from .tables import html_table, text_table

COLUMNS = ("layer", "type", "output shape", "params", "formula", "MACs", "RF / jump", "act. memory")
"""Every column a trace can show, in table order."""

COLUMN_PRESETS: dict[str, tuple[str, ...]] = {
    "shapes": COLUMNS[:3],
    "params": COLUMNS[:5],
    "cost": (*COLUMNS[:6], "act. memory"),
    "all": COLUMNS,
}
"""Column sets for ``trace(model, columns=...)``, to show each column once the course has taught it."""

_NUMERIC_COLUMNS = ("params", "MACs", "act. memory")

# Layer types by class name. Element-wise or per-channel work, merges and padding leave the receptive
# field as it is and cost no MACs (see the module docstring); so do pooling, reshaping and resampling.
_ELEMENT_WISE = (
    "Activation ReLU LeakyReLU PReLU ELU Softmax Identity Masking ActivityRegularization Dropout SpatialDropout1D "
    "SpatialDropout2D SpatialDropout3D GaussianDropout GaussianNoise AlphaDropout Rescaling "
    "Add Subtract Multiply Average Maximum Minimum Concatenate "
    "BatchNormalization LayerNormalization GroupNormalization UnitNormalization LocalResponseNormalization Normalization "
    "ZeroPadding1D ZeroPadding2D ZeroPadding3D Cropping1D Cropping2D Cropping3D CenterCrop"
).split()
_POOLING = "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D AveragePooling3D".split()
# after these, one output value depends on the whole input
_WHOLE_INPUT_TYPES = frozenset(
    "Flatten Reshape GlobalAveragePooling1D GlobalAveragePooling2D GlobalAveragePooling3D "
    "GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D".split()
)
_RESAMPLING_TYPES = ("UpSampling1D", "UpSampling2D", "UpSampling3D", "Resizing")
_SAME_FIELD_TYPES = frozenset([*_ELEMENT_WISE, "Dense"])  # Dense on N-d inputs: per position
_ZERO_MAC_TYPES = frozenset(
    [
        *_ELEMENT_WISE,
        *_POOLING,
        *_WHOLE_INPUT_TYPES,
        *_RESAMPLING_TYPES,
        "InputLayer",
        "Permute",
        "RepeatVector",
        "Embedding",
    ]
)
_CONV_TYPES = ("Conv1D", "Conv2D", "Conv3D")
_TRANSPOSED_TYPES = ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
_DEPTHWISE_TYPES = ("DepthwiseConv1D", "DepthwiseConv2D")
_SEPARABLE_TYPES = ("SeparableConv1D", "SeparableConv2D")
# Input pixels per axis that one interpolated value reads (upsampling; antialiased downsampling widens it).
_INTERPOLATION_TAPS = {"nearest": 1, "bilinear": 2, "bicubic": 4, "lanczos3": 6, "lanczos5": 10}

_ALL = "all"  # a receptive field covering the whole input
_UNKNOWN = "?"  # a receptive field the tracer cannot work out


@dataclass(frozen=True)
class _Field:
    """Receptive field and jump per spatial axis, exact (fractions after upsampling), and where the field of the
    first output position starts (in input pixels; negative when it reaches into padding; None when unknown)."""

    rf: tuple[Fraction, ...]
    jump: tuple[Fraction, ...]
    start: tuple[Fraction, ...] | None = None
    # the input pixels that the tensor's real values (not padding) can depend on, (first, last) per axis: a field
    # that reaches into another layer's padding is cut to it (tests/test_tracing_fields.py checks it with gradients)
    extent: tuple[tuple[Fraction, Fraction], ...] | None = None


@dataclass(frozen=True)
class _Flow:
    """What reaches a tensor of the graph: its real spec (shape, dtype) and its receptive field."""

    spec: Any
    field: _Field | str


def _number_text(x: float) -> str:
    """Return ``7`` for whole numbers, three significant figures (one decimal above 10) otherwise."""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"


@dataclass(frozen=True)
class Row:
    """One layer call of a trace.

    ``rf_hw`` and ``jump_hw`` hold the receptive field and the jump per spatial axis ((height, width)
    for images, (length,) for sequences) in input pixels: ints, floats after upsampling, None when
    the layer sees the whole input or when they are unknown (``rf_known`` False). ``macs`` is None
    for a layer the tracer does not know. ``rf`` and ``jump`` give a single side when the axes agree.
    """
    name: str
    type: str
    output_shape: tuple
    params: int
    formula: str
    macs: int | None
    rf_hw: tuple[float, ...] | None
    jump_hw: tuple[float, ...] | None
    activation_bytes: int
    rf_known: bool = True
    start_hw: tuple[float, ...] | None = None
    extent_hw: tuple[tuple[float, float], ...] | None = None

    def field_box(self, position: Sequence[int]) -> tuple[tuple[float, float], ...]:
        """The input pixels that the output value at ``position`` (row, column) depends on: (first, last) per
        axis, inclusive. The field of the table's RF column, placed at ``position``, cut to the pixels that real
        values reach (padding, here or in any layer before, adds no input pixel). Exact, except where a dilated
        kernel is cut at the image's edge: its first real tap may lie a pixel or more inside the box.

        Raises ValueError when the layer sees the whole input, its field's offset is unknown (after resizing),
        or the value reads padding only.

        Example:
            >>> import keras
            >>> m = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(1, 3, padding="same", name="c")])
            >>> trace(m).row("c").field_box((0, 5))          # 3 x 3 around (0, 5); row -1 is padding: cut off
            ((0, 1), (4, 6))
        """
        if self.rf_hw is None or self.jump_hw is None or self.start_hw is None or self.extent_hw is None:
            what = "sees the whole input" if self.rf_known and self.rf_hw is None else "has no known field offset"
            raise ValueError(f"layer {self.name!r} {what}: no box to draw for one position")
        if len(position) != len(self.rf_hw):
            raise ValueError(f"layer {self.name!r} has {len(self.rf_hw)} spatial axes, got position {tuple(position)}")
        box = []
        for st, j, r, p, (low, high) in zip(self.start_hw, self.jump_hw, self.rf_hw, position, self.extent_hw):
            first = Fraction(st) + p * Fraction(j)
            box.append((_as_float(max(first, Fraction(low))), _as_float(min(first + Fraction(r) - 1, Fraction(high)))))
        if any(first > last for first, last in box):
            raise ValueError(f"the value of layer {self.name!r} at {tuple(position)} reads padding only")
        return tuple(box)

    @property
    def rf(self) -> float | None:
        """The receptive field side when every axis has the same one; None for the whole input (or unknown).

        Raises ValueError for a non-square field: read ``rf_hw`` (height, width) instead.
        """
        return self._side(self.rf_hw, "rf")

    @property
    def jump(self) -> float | None:
        """The jump when every axis has the same one; None for the whole input (or unknown)."""
        return self._side(self.jump_hw, "jump")

    def _side(self, values: tuple[float, ...] | None, what: str) -> float | None:
        if values is None:
            return None
        if len(set(values)) != 1:
            raise ValueError(
                f"layer {self.name!r} has a {what} of {'x'.join(map(_number_text, values))} (height x width): "
                f"not one side; read row.{what}_hw"
            )
        return values[0]

    @property
    def rf_text(self) -> str:
        """``"7 / 1"`` (square), ``"7x1 / 1x1"`` (height x width), ``"all"`` or ``"?"``.

        Example:
            >>> Row("c", "Conv2D", (26, 32, 8), 0, "-", 0, (7, 1), (1, 1), 0).rf_text
            '7x1 / 1x1'
        """
        if not self.rf_known:
            return "?"
        if self.rf_hw is None or self.jump_hw is None:
            return "all"
        if len(set(self.rf_hw)) == 1 and len(set(self.jump_hw)) == 1:
            return f"{_number_text(self.rf_hw[0])} / {_number_text(self.jump_hw[0])}"
        return f"{'x'.join(map(_number_text, self.rf_hw))} / {'x'.join(map(_number_text, self.jump_hw))}"

    @property
    def macs_text(self) -> str:
        """The MACs with thousands separators, ``"?"`` when unknown."""
        return "?" if self.macs is None else f"{self.macs:,}"

    def cells(self) -> dict[str, str]:
        """Return this row as formatted strings, one per column of :data:`COLUMNS`."""
        return {
            "layer": self.name,
            "type": self.type,
            "output shape": _shape_text(self.output_shape),
            "params": f"{self.params:,}",
            "formula": self.formula,
            "MACs": self.macs_text,
            "RF / jump": self.rf_text,
            "act. memory": arithmetic.format_bytes(self.activation_bytes),
        }


@dataclass(frozen=True)
class Trace:
    """A model's trace: one :class:`Row` per layer call (inputs first), the totals and the columns to show."""

    model_name: str
    rows: tuple[Row, ...]
    total_params: int
    trainable_params: int
    columns: tuple[str, ...] = COLUMNS

    @property
    def total_macs(self) -> int:
        """MACs per image summed over the layers whose MACs are known (see :attr:`macs_complete`)."""
        return sum(r.macs for r in self.rows if r.macs is not None)

    @property
    def macs_complete(self) -> bool:
        """True when every layer's MACs are known, so :attr:`total_macs` is exact rather than a lower bound."""
        return all(r.macs is not None for r in self.rows)

    @property
    def activation_bytes(self) -> int:
        """Bytes of all layer outputs for one image (the dtype each layer computes in: float32, float16...)."""
        return sum(r.activation_bytes for r in self.rows)

    def by_type(self, *types: str) -> dict[str, tuple[int, int | None]]:
        """Return {layer type: (parameters, MACs)} summed over the rows of each type (MACs None if unknown).

        Example:
            >>> from course_utils.models import lenet5_modern
            >>> trace(lenet5_modern()).by_type("Conv2D", "Dense")
            {'Conv2D': (50692, 405600), 'Dense': (11014, 10920)}
        """
        totals = {}
        for kind in types:
            rows = [r for r in self.rows if r.type == kind]
            macs = None if any(r.macs is None for r in rows) else sum(r.macs for r in rows)
            totals[kind] = (sum(r.params for r in rows), macs)
        return totals

    def row(self, name: str) -> Row:
        """Return the row of the layer called ``name`` (``"outer/inner"`` inside a nested model)."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no layer named {name!r}; layers: {', '.join(r.name for r in self.rows)}")

    def totals_text(self) -> str:
        """One line of totals for the columns shown ("" when none of them adds up)."""
        parts = []
        if "params" in self.columns:
            parts.append(f"{self.total_params:,} parameters ({self.trainable_params:,} trainable)")
        if "MACs" in self.columns:
            unknown = sum(r.macs is None for r in self.rows)
            parts.append(
                f"{self.total_macs:,} MACs per image"
                if unknown == 0
                else f"at least {self.total_macs:,} MACs per image ({unknown} layer{'s' * (unknown > 1)} unknown: ?)"
            )
        if "act. memory" in self.columns:
            parts.append(f"{arithmetic.format_bytes(self.activation_bytes)} of activations per image")
        return f"Total: {', '.join(parts)}" if parts else ""

    @property
    def legend(self) -> str:
        """What the columns shown mean, one line each (printed under the table)."""
        lines = []
        if "MACs" in self.columns:
            lines.append(
                "MACs: multiply-accumulates per image; pooling, element-wise operations, normalization "
                "and resizing count 0; ? = not known to the tracer."
            )
        if "RF / jump" in self.columns:
            lines.append(
                "RF / jump: receptive field and step between neighbouring outputs, in input pixels "
                "(height x width when they differ); all = the whole input."
            )
        return "\n".join(lines)

    def _table(self) -> tuple[list[str], list[list[str]]]:
        body = [[cells[c] for c in self.columns] for cells in (r.cells() for r in self.rows)]
        return list(self.columns), body

    def __str__(self) -> str:
        header, body = self._table()
        numeric = [i for i, c in enumerate(self.columns) if c in _NUMERIC_COLUMNS]
        footer = "\n".join(text for text in (self.totals_text(), self.legend) if text)
        return text_table(header, body, numeric=numeric, title=f"Model: {self.model_name}", footer=footer or None)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        header, body = self._table()
        table = html_table(header, body, title=f"Model: {self.model_name}", footer=self.totals_text() or None)
        notes = "".join(f"<p><small>{html.escape(line)}</small></p>" for line in self.legend.splitlines())
        return table + notes


def _shape_text(shape: tuple) -> str:
    if shape and isinstance(shape[0], tuple):
        return " + ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _column_names(columns: str | Sequence[str]) -> tuple[str, ...]:
    """Return the columns of a preset name or of an explicit list, checked against :data:`COLUMNS`."""
    if isinstance(columns, str):
        if columns in COLUMN_PRESETS:
            return COLUMN_PRESETS[columns]
        raise ValueError(
            f"columns={columns!r} is not a preset; use one of {', '.join(map(repr, COLUMN_PRESETS))} "
            f"or a list of column names from {', '.join(map(repr, COLUMNS))}"
        )
    names = tuple(columns)
    unknown = [c for c in names if c not in COLUMNS]
    if unknown or not names:
        raise ValueError(
            f"unknown column(s) {unknown or names!r}; choose from {', '.join(map(repr, COLUMNS))} "
            f"or a preset: {', '.join(map(repr, COLUMN_PRESETS))}"
        )
    return names


def _per_axis(value: Any, n: int) -> tuple[int, ...] | None:
    """Return ``value`` (an int or one entry per axis) as ``n`` ints, None when the counts disagree."""
    if isinstance(value, (list, tuple)):
        if len(value) == n:
            return tuple(int(v) for v in value)
        return tuple(int(value[0]) for _ in range(n)) if len(value) == 1 else None
    return (int(value),) * n


def _spatial(shape: tuple, layer) -> tuple:
    """Return the spatial sizes of an NHWC (or channels-first) shape without the batch axis."""
    return tuple(shape[1:]) if getattr(layer, "data_format", "channels_last") == "channels_first" else tuple(shape[:-1])


def _channels(shape: tuple, layer) -> int:
    return shape[0] if getattr(layer, "data_format", "channels_last") == "channels_first" else shape[-1]


def _weights_formula(layer) -> str:
    """Fallback formula: the product of each weight tensor's shape, summed."""
    parts = ["*".join(str(d) for d in w.shape) or "1" for w in layer.weights]
    return " + ".join(parts)


def _formula_and_macs(layer, kind: str, params: int, in_shape: tuple, out_shape: tuple) -> tuple[str, int | None]:
    """Return a layer's parameter formula (``"... = params"``) and its MACs for one image (None: unknown)."""
    if hasattr(layer, "param_formula"):
        macs = layer.macs(in_shape, out_shape) if hasattr(layer, "macs") else None
        return f"{layer.param_formula()} = {params:,}", macs
    bias = "+1" if getattr(layer, "use_bias", False) else ""
    if kind in _CONV_TYPES + _TRANSPOSED_TYPES + _DEPTHWISE_TYPES + _SEPARABLE_TYPES and in_shape:
        kernel = tuple(layer.kernel_size)
        k_text = "*".join(map(str, kernel))
        c_in = _channels(in_shape, layer)
        out_positions = math.prod(_spatial(out_shape, layer))
        if kind in _CONV_TYPES:
            groups = getattr(layer, "groups", 1)
            c_text = f"{c_in}/{groups}" if groups > 1 else f"{c_in}"
            macs = out_positions * layer.filters * math.prod(kernel) * (c_in // groups)
            return f"({k_text}*{c_text}{bias})*{layer.filters} = {params:,}", macs
        if kind in _TRANSPOSED_TYPES:  # every input pixel scatters a whole kernel
            macs = math.prod(_spatial(in_shape, layer)) * math.prod(kernel) * c_in * layer.filters
            return f"({k_text}*{c_in}{bias})*{layer.filters} = {params:,}", macs
        mult = layer.depth_multiplier
        depthwise = out_positions * c_in * mult * math.prod(kernel)
        if kind in _DEPTHWISE_TYPES:
            return f"({k_text}{bias})*{c_in}*{mult} = {params:,}", depthwise
        pointwise = out_positions * c_in * mult * layer.filters
        formula = f"{k_text}*{c_in}*{mult} + ({c_in}*{mult}{bias})*{layer.filters}"
        return f"{formula} = {params:,}", depthwise + pointwise
    if kind == "Dense" and in_shape:
        n_in = in_shape[-1]
        formula = f"({n_in}{bias})*{layer.units}" if bias else f"{n_in}*{layer.units}"
        return f"{formula} = {params:,}", math.prod(in_shape) * layer.units  # per position on N-d inputs
    if kind == "BatchNormalization":  # gamma (scale=True), beta (center=True), moving mean and variance
        c = math.prod(layer.moving_mean.shape)
        trainable = len(layer.trainable_weights)
        which = f"{trainable}*{c} trainable" if trainable else "none trainable"
        return f"{len(layer.weights)}*{c} = {params:,} ({which})", 0
    macs = 0 if kind in _ZERO_MAC_TYPES else None
    if params == 0:
        return "-", macs
    return f"{_weights_formula(layer)} = {params:,}", macs


def _resampled(layer, kind: str, field: _Field, in_shape: tuple, out_shape: tuple) -> _Field | str:
    """Field after UpSampling/Resizing: the jump scales by input/output size, interpolation adds taps."""
    n = len(field.rf)
    if kind == "Resizing":
        sizes_in, sizes_out = _spatial(in_shape, layer), _spatial(out_shape, layer)
        if len(sizes_in) != n or None in sizes_in + sizes_out:
            return _UNKNOWN
        reshaped = getattr(layer, "crop_to_aspect_ratio", False) or getattr(layer, "pad_to_aspect_ratio", False)
        if reshaped and sizes_in[0] * sizes_out[1] != sizes_in[1] * sizes_out[0]:
            return _UNKNOWN  # cropped or padded first: the scale is not in/out
        ratios = [Fraction(i, o) for i, o in zip(sizes_in, sizes_out)]
    else:
        factors = _per_axis(layer.size, n)
        if factors is None:
            return _UNKNOWN
        ratios = [Fraction(1, f) for f in factors]
    taps = _INTERPOLATION_TAPS.get(getattr(layer, "interpolation", "nearest"))
    if taps is None:
        return _UNKNOWN
    antialias = getattr(layer, "antialias", False)
    rf, jump = [], []
    for r, j, ratio in zip(field.rf, field.jump, ratios):
        axis_taps = taps * ratio if antialias and ratio > 1 else taps
        rf.append(r + (axis_taps - 1) * j)
        jump.append(j * ratio)
    return _Field(tuple(rf), tuple(jump))  # where the first field starts depends on the interpolation: unknown


def _window_start(layer, field: _Field, k: tuple, s: tuple, d: tuple, in_sizes: tuple) -> tuple | None:
    """Where the first output's field starts: the input's start, moved back by the padding before it."""
    padding = str(getattr(layer, "padding", "valid")).lower()
    if field.start is None or padding not in ("valid", "same") or (padding == "same" and None in in_sizes):
        return None
    before = [arithmetic.same_padding(n, k_i, s_i, d_i)[0] if padding == "same" else 0
              for n, k_i, s_i, d_i in zip(in_sizes, k, s, d)]
    return tuple(st - b * j for st, b, j in zip(field.start, before, field.jump))


def _windowed(layer, kind: str, window: Any, field: _Field, in_sizes: tuple = ()) -> _Field | str:
    """Field after a sliding window (convolution, pooling), one axis at a time."""
    n = len(field.rf)
    k = _per_axis(window, n)
    s = _per_axis(getattr(layer, "strides", 1) or 1, n)
    d = _per_axis(getattr(layer, "dilation_rate", 1) or 1, n)
    if k is None or s is None or d is None:
        return _UNKNOWN
    if kind in _TRANSPOSED_TYPES:  # output = input upsampled by s, then k/s input pixels per output
        rf, jump = [], []
        for r, j, k_i, s_i, d_i in zip(field.rf, field.jump, k, s, d):
            taps = max(Fraction(d_i * (k_i - 1) + 1, s_i), Fraction(1))
            rf.append(r + (taps - 1) * j)
            jump.append(j / s_i)
        return _Field(tuple(rf), tuple(jump))
    axes = [
        arithmetic.receptive_field(r, j, k_i, s_i, d_i) for r, j, k_i, s_i, d_i in zip(field.rf, field.jump, k, s, d)
    ]
    sizes = in_sizes if len(in_sizes) == n else (None,) * n
    return _Field(tuple(a[0] for a in axes), tuple(a[1] for a in axes), _window_start(layer, field, k, s, d, sizes))


def _receptive(layer, kind: str, fields: list, in_shape: tuple, out_shape: tuple) -> _Field | str:
    """Return the receptive field after ``layer`` given its inputs' fields, with the extent of its real values: the
    span of its output positions' fields, cut to the extent of its inputs (what padding adds is not an input)."""
    field = _receptive_field(layer, kind, fields, in_shape, out_shape)
    if not isinstance(field, _Field) or field.start is None or any(
            not isinstance(f, _Field) or f.extent is None for f in fields):
        return field if not isinstance(field, _Field) else _Field(field.rf, field.jump, field.start)
    before = fields[0].extent if len(fields) == 1 else tuple(
        (min(f.extent[i][0] for f in fields), max(f.extent[i][1] for f in fields)) for i in range(len(field.rf)))
    sizes = _spatial(out_shape, layer)
    if len(sizes) != len(field.rf) or None in sizes:
        return _Field(field.rf, field.jump, field.start, before)
    span = [(st, st + (n - 1) * j + r - 1) for st, j, r, n in zip(field.start, field.jump, field.rf, sizes)]
    return _Field(field.rf, field.jump, field.start,
                  tuple((max(a, c), min(b, d)) for (a, b), (c, d) in zip(span, before)))


def _receptive_field(layer, kind: str, fields: list, in_shape: tuple, out_shape: tuple) -> _Field | str:
    """Return the receptive field after ``layer`` given its inputs' fields (the widest input decides)."""
    if any(f is _ALL for f in fields):
        return _ALL  # depends on the whole input, whatever else it reads
    if not fields or any(f is _UNKNOWN for f in fields):
        return _UNKNOWN
    if len({len(f.rf) for f in fields}) != 1:
        return _UNKNOWN
    axes = range(len(fields[0].rf))
    starts = None if any(f.start is None for f in fields) else tuple(min(f.start[i] for f in fields) for i in axes)
    field = _Field(  # merged branches (Inception): the union of their fields
        tuple(max(f.rf[i] for f in fields) if starts is None else max(f.start[i] + f.rf[i] for f in fields) - starts[i]
              for i in axes),
        tuple(max(f.jump[i] for f in fields) for i in axes), starts,
        None if any(f.extent is None for f in fields) else tuple(
            (min(f.extent[i][0] for f in fields), max(f.extent[i][1] for f in fields)) for i in axes))
    if kind in _WHOLE_INPUT_TYPES or (kind == "Dense" and len(in_shape) <= 1):
        return _ALL
    if kind in _RESAMPLING_TYPES:
        return _resampled(layer, kind, field, in_shape, out_shape)
    window = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    if window is not None:
        return _windowed(layer, kind, window, field, _spatial(in_shape, layer))
    if kind in ("ZeroPadding2D", "Cropping2D") and field.start is not None and len(field.start) == 2:
        sign = -1 if kind == "ZeroPadding2D" else 1  # padding moves the first field back, cropping forward
        before = [edges[0] for edges in (layer.padding if kind == "ZeroPadding2D" else layer.cropping)]
        return _Field(field.rf, field.jump, tuple(st + sign * b * j for st, b, j in zip(field.start, before, field.jump)))
    if kind in _SAME_FIELD_TYPES or kind.startswith("Random"):  # Random*: augmentation, identity at inference
        return field
    return _UNKNOWN


def _as_float(x: Fraction) -> int | float:
    return int(x) if x.denominator == 1 else float(x)


def _field_columns(field: _Field | str) -> tuple[tuple | None, tuple | None, bool, tuple | None, tuple | None]:
    """Return (rf_hw, jump_hw, rf_known, start_hw, extent_hw) for a Row."""
    if isinstance(field, _Field):
        start = None if field.start is None else tuple(map(_as_float, field.start))
        extent = None if field.extent is None else tuple((_as_float(a), _as_float(b)) for a, b in field.extent)
        return tuple(map(_as_float, field.rf)), tuple(map(_as_float, field.jump)), True, start, extent
    return None, None, field is _ALL, None, None


def _shape(spec) -> tuple:
    return tuple(spec.shape[1:])


def _dtype_bytes(dtype: Any) -> int:
    name = str(dtype)
    if name == "bfloat16":
        return 2
    try:
        return np.dtype(name).itemsize
    except TypeError:
        return 4


def _output_bytes(name: str, specs: list) -> int:
    total = 0
    for spec in specs:
        shape = _shape(spec)
        if None in shape:
            raise ValueError(
                f"layer {name!r} outputs shape {shape} with an unknown size, so its cost is unknown; "
                "give the model's input a fixed size (keras.Input(shape=(224, 224, 3)))"
            )
        total += arithmetic.array_bytes(*shape, dtype_bytes=_dtype_bytes(spec.dtype))
    return total


class _Walk:
    """Walks a functional graph node by node (each call of a layer is one node), recursing into sub-models."""

    def __init__(self, keras) -> None:
        self.keras = keras
        self.rows: list[Row] = []
        self.calls: dict[str, int] = {}  # row name -> calls so far (a shared layer is called again)
        self.first_name: dict[int, str] = {}  # id(layer) -> the row that counted its parameters
        self.model_calls: dict[int, int] = {}

    def add_inputs(self, graph, flows: dict[int, _Flow]) -> None:
        for tensor in graph.inputs:
            shape = _shape(tensor)
            if None in shape:
                raise ValueError(
                    f"input {tensor.name!r} has shape {shape}: a size is unknown, so shapes and costs are too; "
                    "trace a model with fixed sizes, e.g. keras.Sequential([keras.Input((224, 224, 3)), model])"
                )
            n = max(len(shape) - 1, 1)
            extent = tuple((Fraction(0), Fraction(size - 1)) for size in shape[:n])
            flows[id(tensor)] = _Flow(tensor, _Field((Fraction(1),) * n, (Fraction(1),) * n, (Fraction(0),) * n, extent))
            self.rows.append(Row(tensor.name, "Input", shape, 0, "-", 0, (1,) * n, (1,) * n,
                                 _output_bytes(tensor.name, [tensor]), start_hw=(0,) * n,
                                 extent_hw=tuple((0, size - 1) for size in shape[:n])))

    def graph(self, graph, flows: dict[int, _Flow], prefix: str) -> None:
        for call in calls(graph):
            ins = [flows[id(t)] for t in call.inputs]
            op = call.layer
            inner = functional_graph(op) if isinstance(op, self.keras.Model) else None
            if inner is not None and len(inner.inputs) == len(ins):
                outs = self.nested(op, inner, ins, prefix)
            else:
                outs = self.layer(op, call, ins, prefix)
            for tensor, flow in zip(call.outputs, outs):
                flows[id(tensor)] = flow

    def nested(self, model, inner, ins: list[_Flow], prefix: str) -> list[_Flow]:
        calls = self.model_calls[id(model)] = self.model_calls.get(id(model), 0) + 1
        name = model.name if calls == 1 else f"{model.name} (call {calls})"
        inner_flows = {id(t): flow for t, flow in zip(inner.inputs, ins)}
        self.graph(inner, inner_flows, f"{prefix}{name}/")
        return [inner_flows[id(t)] for t in inner.outputs]

    def layer(self, op, call: Call, ins: list[_Flow], prefix: str) -> list[_Flow]:
        if all(
            tuple(f.spec.shape) == tuple(t.shape) and f.spec.dtype == t.dtype for f, t in zip(ins, call.inputs)
        ):
            out_specs = list(call.outputs)  # the graph was built on these very shapes
        else:  # a sub-model built for other sizes (e.g. (None, None, 3)): work the shapes out again
            args, kwargs = call.arguments_with({id(t): f.spec for t, f in zip(call.inputs, ins)})
            out_specs = self.keras.tree.flatten(op.compute_output_spec(*args, **kwargs))
        kind = type(op).__name__
        name = f"{prefix}{op.name}"
        calls = self.calls[name] = self.calls.get(name, 0) + 1
        if calls > 1:
            name = f"{name} (call {calls})"
        in_shape = _shape(ins[0].spec) if len(ins) == 1 else ()
        out_shapes = tuple(_shape(s) for s in out_specs)
        out_shape = out_shapes[0] if len(out_shapes) == 1 else out_shapes
        params = op.count_params() if isinstance(op, self.keras.layers.Layer) else 0
        formula, macs = _formula_and_macs(op, kind, params, in_shape, out_shape)
        if id(op) in self.first_name and params:  # a shared layer: its weights were counted at its first call
            params, formula = 0, f"shared with {self.first_name[id(op)]}"
        self.first_name.setdefault(id(op), name)
        field = _receptive(op, kind, [f.field for f in ins], in_shape, out_shapes[0])
        rf_hw, jump_hw, known, start_hw, extent_hw = _field_columns(field)
        self.rows.append(Row(name, kind, out_shape, params, formula, macs, rf_hw, jump_hw,
                             _output_bytes(name, out_specs), known, start_hw, extent_hw))
        return [_Flow(spec, field) for spec in out_specs]


def trace(model, columns: str | Sequence[str] = "all") -> Trace:
    """Return a :class:`Trace` of ``model``: one row per layer call, totals equal ``model.count_params()``.

    ``columns`` chooses what the table shows: a preset from :data:`COLUMN_PRESETS` (``"shapes"``:
    layer, type, output shape; ``"params"``: + params, formula; ``"cost"``: + MACs, act. memory;
    ``"all"``: + RF / jump) or a list of names from :data:`COLUMNS`. Rows always hold everything.
    Raises ValueError for an unbuilt model, a subclassed one (no layer graph) or inputs of unknown size.

    Example:
        >>> from course_utils.models import lenet5_modern
        >>> t = trace(lenet5_modern(), columns="params")
        >>> t.total_params, t.macs_complete, str(t).splitlines()[1].split()
        (61706, True, ['layer', 'type', 'output', 'shape', 'params', 'formula'])
    """
    shown = _column_names(columns)
    if not isinstance(model, keras.Model):
        raise ValueError(f"trace() needs a keras.Model, got {type(model).__name__}")
    graph = functional_graph(model)
    if not model.built or graph is None or not graph.inputs:
        if graph is None and model.built and not isinstance(model, keras.Sequential):
            raise ValueError(
                f"model {model.name!r} is a subclassed keras.Model: Keras records no layer graph for it, so "
                "trace() cannot follow it; write it as a Sequential or functional model"
            )
        raise ValueError(
            f"model {model.name!r} is not built, so its shapes are unknown; start it with "
            "keras.Input(shape=...) or call model.build((None, H, W, C)) before tracing"
        )
    walk = _Walk(keras)
    flows: dict[int, _Flow] = {}
    walk.add_inputs(graph, flows)
    walk.graph(graph, flows, "")
    rows = tuple(walk.rows)
    total = sum(r.params for r in rows)
    if total != model.count_params():
        raise AssertionError(f"trace rows add up to {total:,} but model.count_params() is {model.count_params():,}")
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    return Trace(model.name, rows, total, trainable, shown)


def training_memory(model, batch_size: int, optimizer_slots: int = 2) -> dict[str, int]:
    """Estimate training memory in bytes: weights, gradients, optimizer slots, activations (a lower bound).

    Activations (every layer's output, as traced) are kept for the backward pass, so they count once
    per image in the batch; Adam keeps two slots per weight (``optimizer_slots=2``), SGD with
    momentum one. The estimate is a lower bound: it leaves out convolution workspaces (cuDNN on a
    GPU, oneDNN on a CPU), the framework's own memory (CUDA context, allocator pools and
    fragmentation, compiled graphs), temporaries inside layers and in the backward pass (e.g. the
    pre-activation a fused activation keeps, gradient buffers of activations), and the input pipeline.

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

    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def check_memory(model, batch_size: int, budget: int | None = None, optimizer_slots: int = 2) -> bool:
    """Print the training-memory estimate; warn and return False when it exceeds ``budget``.

    ``budget`` defaults to the host memory available now (pass a GPU's memory on a GPU). The
    estimate is :func:`training_memory`'s lower bound (no cuDNN/oneDNN workspaces, no framework
    memory, no temporaries), so "fits" means "may fit": leave a margin; "does not fit" is certain.

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
