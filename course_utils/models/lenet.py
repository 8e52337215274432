"""LeNet-5 (notebook 06): the 1998 network, the classic-models tutorial's modern rewrite, and the paper's layer table.

Builders return uncompiled ``keras.Model`` objects on NHWC inputs (32 x 32 x 1 by default); every
layer is named after the paper (C1, S2, ...). The final softmax is float32 so the models stay
numerically safe under mixed precision on a GPU.

Example:
    >>> lenet5_modern().count_params()
    61706
    >>> print(layer_table(lenet5_classic(), ("C1", "S2")))
    Layer table: lenet5_classic
    layer  feature maps  parameters         connections
    ---------------------------------------------------
    C1     6@28x28       (5*5*1+1)*6 = 156  (5*5*1+1)*6*28*28 = 122,304
    S2     6@14x14       2*6 = 12           (2*2+1)*6*14*14 = 5,880
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

from ..layers import PartialConv2D, RBFOutput, Subsampling, connections, lecun_tanh
from ..tables import html_table, text_table
from ..tracing import trace
from .registry import register_model


def lenet5_modern(input_shape: tuple[int, int, int] = (32, 32, 1), num_classes: int = 10) -> keras.Model:
    """LeNet-5 as the classic-models tutorial writes it: ReLU, max pooling, softmax (61,706 parameters for 32x32x1).

    C1 6@5x5 -> S2 max 2x2 -> C3 16@5x5 -> S4 max 2x2 -> C5 120@5x5 -> F6 84 -> output 10.
    """
    return keras.Sequential(
        [
            keras.Input(input_shape, name="image"),
            layers.Conv2D(6, 5, activation="relu", name="C1"),
            layers.MaxPooling2D(2, name="S2"),
            layers.Conv2D(16, 5, activation="relu", name="C3"),
            layers.MaxPooling2D(2, name="S4"),
            layers.Conv2D(120, 5, activation="relu", name="C5"),
            layers.Flatten(name="flatten"),
            layers.Dense(84, activation="relu", name="F6"),
            layers.Dense(num_classes, name="logits"),
            layers.Activation("softmax", dtype="float32", name="softmax"),
        ],
        name="lenet5_modern",
    )


def lenet5_logits(model: keras.Model | None = None) -> keras.Model:
    """The modern LeNet up to its logits: ``model``'s layers without the final softmax (a new
    :func:`lenet5_modern` when None), the same layer objects, so the two models share their weights.

    For a loss that takes logits (``from_logits=True``) and for code that needs them, as the NumPy
    LeNet of appendix A4 does. Input (N, 32, 32, 1), output (N, 10).

    Example:
        >>> full = lenet5_modern()
        >>> logits = lenet5_logits(full)
        >>> logits.output_shape, logits.get_layer("C1") is full.get_layer("C1")
        ((None, 10), True)
    """
    model = model if model is not None else lenet5_modern()
    if model.layers[-1].name != "softmax":
        raise ValueError(f"expected a model from lenet5_modern() ending in its 'softmax' layer, got {model.name!r} "
                         f"ending in {model.layers[-1].name!r}")
    return keras.Sequential([keras.Input(model.input_shape[1:], name="image"), *model.layers[:-1]],
                            name="lenet5_logits")


def lenet5_classic(
    input_shape: tuple[int, int, int] = (32, 32, 1), num_classes: int = 10, distance_scale: float = 0.1
) -> keras.Model:
    """LeNet-5 as the 1998 paper builds it, as far as Keras allows (60,000 trainable parameters).

    Inputs scaled so paper is -0.1 and ink 1.175 (the paper's normalisation); C1 6@5x5 -> S2 trainable
    subsampling -> C3 16@5x5 with the partial connection table -> S4 subsampling -> C5 120@5x5 ->
    F6 84, each squashed by ``1.7159 tanh(2a/3)``; the RBF output gives the squared distance to each
    digit's fixed 7x12 code (840 fixed parameters). Training minimises cross-entropy of
    ``softmax(-distance_scale * distance)``: with ``distance_scale=1`` that is the paper's discriminative
    criterion without its constant "rubbish class"; the default 0.1 (a softmax temperature of 10) keeps
    the softmax from saturating, so every image still sends a gradient and Adam trains it in few epochs.
    """
    return keras.Sequential(
        [
            keras.Input(input_shape, name="image"),
            layers.Rescaling(1.275, offset=-0.1, name="normalize"),  # [0, 1] -> [-0.1, 1.175]
            layers.Conv2D(6, 5, activation=lecun_tanh, kernel_initializer="lecun_uniform", name="C1"),
            Subsampling(2, name="S2"),
            PartialConv2D(kernel_size=5, name="C3"),
            Subsampling(2, name="S4"),
            layers.Conv2D(120, 5, activation=lecun_tanh, kernel_initializer="lecun_uniform", name="C5"),
            layers.Flatten(name="flatten"),
            layers.Dense(84, activation=lecun_tanh, kernel_initializer="lecun_uniform", name="F6"),
            RBFOutput(num_classes, name="output"),  # squared distances: the smallest wins
            layers.Rescaling(-float(distance_scale), name="minus_distance"),
            layers.Activation("softmax", dtype="float32", name="softmax"),
        ],
        name="lenet5_classic",
    )


_TABLE_HEADER = ("layer", "feature maps", "parameters", "connections")


@dataclass(frozen=True)
class LayerTable:
    """The classic per-layer table: feature maps, parameters and connections, each with its formula."""

    model_name: str
    rows: tuple[dict, ...]

    def row(self, name: str) -> dict:
        """Return the row of layer ``name`` (keys: layer, maps, output_shape, params, connections, ...)."""
        for r in self.rows:
            if r["layer"] == name:
                return r
        raise KeyError(f"no layer {name!r} in the table; layers: {', '.join(r['layer'] for r in self.rows)}")

    def _body(self) -> list[list[str]]:
        return [
            [r["layer"], r["maps"], f"{r['param_formula']} = {r['params']:,}" if r["params"] else "0",
             f"{r['conn_formula']} = {r['connections']:,}"]
            for r in self.rows
        ]

    def __str__(self) -> str:
        return text_table(_TABLE_HEADER, self._body(), title=f"Layer table: {self.model_name}")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return html_table(_TABLE_HEADER, self._body(), title=f"Layer table: {self.model_name}")


def layer_table(model: keras.Model, names: tuple[str, ...] = ("C1", "S2", "C3", "S4", "C5", "F6", "output")) -> LayerTable:
    """Return the paper-style table of the layers ``names``: maps (``6@28x28``), parameters, connections.

    Shapes, parameters and formulas come from :func:`course_utils.trace`; connections from
    :func:`course_utils.layers.connections`.

    Example:
        >>> t = layer_table(lenet5_classic())
        >>> t.row("C3")["params"], t.row("C3")["connections"], t.row("C3")["maps"]
        (1516, 151600, '16@10x10')
    """
    traced = trace(model)
    rows = []
    for name in names:
        r = traced.row(name)
        shape = r.output_shape
        maps = f"{shape[-1]}@{shape[0]}x{shape[1]}" if len(shape) == 3 else f"{shape[-1]}"
        n_conn, conn_formula = connections(model.get_layer(name))
        rows.append({
            "layer": name, "maps": maps, "output_shape": shape, "params": r.params,
            "param_formula": r.formula.rsplit(" = ", 1)[0] if r.params else "0", "connections": n_conn, "conn_formula": conn_formula,
        })
    return LayerTable(model.name, tuple(rows))


register_model(
    "lenet5_classic", year=1998, family="LeNet", builder=lenet5_classic, input_shape=(32, 32, 1), notebook="06_lenet5",
    description="LeCun et al. 1998: scaled tanh, trainable subsampling, C3's partial connection table, RBF output",
)
register_model(
    "lenet5_modern", year=None, family="LeNet", builder=lenet5_modern, input_shape=(32, 32, 1), notebook="06_lenet5",
    description="the classic-models tutorial's LeNet-5: the same layer sizes with ReLU, max pooling and a softmax output",
)
