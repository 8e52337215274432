"""Look inside any Keras model: a layer's feature maps for one image, one unit's receptive field on that image,
and that unit's value recomputed in NumPy from the layer's input and weights.

:class:`ModelExplorer` holds the views (testable without a browser); :func:`explore_model` shows them as an
ipywidgets explorer, after a static figure of its first view (what nbval, HTML exports and the site show).
Works on Sequential and functional models, multi-branch ones (a Concatenate, as in an Inception module, draws
each branch's field side by side), multi-output ones (each head is a layer to pick) and nested ones (a model used
as a layer is listed, then its own layers as ``"outer/inner"``, the tracer's names). The receptive field comes
from the tracer (:meth:`course_utils.tracing.Row.field_box`); activations are computed once per image and cached.

Example:
    >>> import keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, activation="relu", name="c"),
    ...                           keras.layers.Flatten(name="f"), keras.layers.Dense(3, name="out")])
    >>> explorer = ModelExplorer(model, np.random.default_rng(0).random((2, 8, 8, 1)))
    >>> view = explorer.unit("c", image=1, position=(2, 3), channel=1)
    >>> view.box, view.agrees                      # rows 2-4, columns 3-5 of the image; NumPy equals Keras
    (((2, 4), (3, 5)), True)
    >>> explorer.unit("out", image=0, channel=2).probabilities is not None   # an output layer: its softmax
    True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from . import arithmetic, tracing
from .keras_internals import calls, functional_graph, producer
from .plotting import OKABE_ITO

FIGURE_DPI = 60  # three panels of coarse maps: enough detail, a fifth of the bytes of the default 100 per notebook
AGREEMENT = 1e-4  # |NumPy - Keras| / max(1, |Keras|) below this: the same value, up to float32 summation order


@dataclass(frozen=True)
class UnitView:
    """One unit of one layer for one image: its value, its receptive field and, where the layer's arithmetic is
    known (Conv2D, Dense), the same value recomputed in NumPy."""

    layer: str
    kind: str
    image: int
    position: tuple[int, ...] | None  # (row, column) in a feature map; None for a vector
    channel: int
    value: float  # the model's own activation
    box: tuple[tuple[float, float], ...] | None  # the receptive field, (first, last) input pixels per axis
    field_note: str  # what the field is, in words (or why there is no box)
    branches: tuple[tuple[str, tuple[tuple[float, float], ...]], ...] = ()  # a Concatenate's inputs and their fields
    recomputed: float | None = None
    arithmetic: str = ""
    products: np.ndarray | None = field(default=None, repr=False)  # conv: (kh, kw) products summed over channels
    logits: np.ndarray | None = field(default=None, repr=False)
    probabilities: np.ndarray | None = field(default=None, repr=False)

    @property
    def agrees(self) -> bool | None:
        """True when the NumPy recomputation equals the model's value (None when there is none)."""
        if self.recomputed is None:
            return None
        return abs(self.recomputed - self.value) <= AGREEMENT * max(1.0, abs(self.value))


def _activation_name(layer: Any) -> str:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", "linear") if activation is not None else "linear"


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _explorable(model: Any) -> list[tuple[Any, Any, Any]]:
    """(layer, its input tensor(s), its output tensor) for the first call of every layer of ``model``'s graph whose
    output is an NHWC map or a vector, in execution order."""
    graph = functional_graph(model)
    if graph is None:
        raise ValueError(f"model {model.name!r} has no layer graph (a subclassed or unbuilt model): write it as a "
                         "Sequential or functional model, or build it with keras.Input(shape=...)")
    found, seen = [], set()
    for call in calls(graph):
        if id(call.layer) in seen or len(call.outputs) != 1 or len(call.outputs[0].shape) not in (2, 4):
            continue
        seen.add(id(call.layer))
        found.append((call.layer, list(call.inputs) if len(call.inputs) > 1 else call.inputs[0], call.outputs[0]))
    return found


def _extractor(model: Any, found: list[tuple[Any, Any, Any]], prefix: str = "") -> Any:
    """A model from ``model``'s input(s) to every found layer's [input(s), output], keyed by name."""
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, {f"{prefix}{layer.name}": [x, y] for layer, x, y in found})


class ModelExplorer:
    """The explorer's kernel side: ``layers`` (the names to pick), :meth:`unit` (one view) and :meth:`figure`.

    ``images`` is a batch (N, H, W, C) in what the model takes; ``class_names`` label an output layer's bars.
    Every layer with an NHWC or a vector output is listed (not the input), at its first call.
    """

    def __init__(self, model: Any, images: np.ndarray, class_names: list[str] | None = None) -> None:
        self.model, self.images = model, np.asarray(images)
        if self.images.ndim != 4:
            raise ValueError(f"images must be a batch (N, H, W, C), got shape {self.images.shape}: "
                             "add the batch axis with images[None] for one image")
        self.class_names = class_names
        self.trace = tracing.trace(model)
        found = _explorable(model)
        if not found:
            raise ValueError(f"model {model.name!r} has no layer with an image or vector output to explore")
        self.layers: list[str] = []
        self._layers: dict[str, Any] = {}
        self._nested: dict[str, Any] = {}  # a nested model's name -> the extractor of its own layers
        for layer, _, _ in found:
            self.layers.append(layer.name)
            self._layers[layer.name] = layer
            if isinstance(layer, keras.Model) and len(layer.inputs) == 1:
                inner = _explorable(layer)
                self._nested[layer.name] = _extractor(layer, inner, f"{layer.name}/")
                for inner_layer, _, _ in inner:
                    self.layers.append(f"{layer.name}/{inner_layer.name}")
                    self._layers[f"{layer.name}/{inner_layer.name}"] = inner_layer
        self._extract = _extractor(model, found)
        self._answers = self._answer_layers(model, found)
        self._cache: dict[int, dict[str, list[np.ndarray]]] = {}

    @staticmethod
    def _answer_layers(model: Any, found: list[tuple[Any, Any, Any]]) -> set[str]:
        """Layers whose output the model returns, directly or through a softmax layer that follows them."""
        answers = {producer(t)[0].name for t in model.outputs}
        for layer, x, _ in found:  # a separate softmax layer (not a Dense with a softmax): its input is the answer
            softmax = type(layer).__name__ == "Softmax" or (type(layer).__name__ == "Activation"
                                                            and _activation_name(layer) == "softmax")
            if softmax and layer.name in answers and not isinstance(x, list):
                answers.add(producer(x)[0].name)
        return answers

    def activations(self, image: int) -> dict[str, list]:
        """Every listed layer's [input(s), output] for image ``image``, computed once and cached."""
        if not 0 <= image < len(self.images):
            raise IndexError(f"image {image} is not in the batch of {len(self.images)} images")
        if image not in self._cache:
            values = self._extract(self.images[image:image + 1])
            for name, inner in self._nested.items():
                values.update(inner(values[name][0]))  # a nested model's layers, from what it read
            self._cache[image] = keras.tree.map_structure(lambda t: keras.ops.convert_to_numpy(t)[0], values)
        return self._cache[image]

    def _row(self, name: str) -> tracing.Row:
        try:
            return self.trace.row(name)
        except KeyError:  # a nested model: its last layer's row holds the model's output field
            return [r for r in self.trace.rows if r.name.startswith(f"{name}/")][-1]

    def _field(self, name: str, position: tuple[int, ...] | None) -> tuple[Any, str]:
        row = self._row(name)
        if position is None or row.rf_hw is None:
            return None, ("every input pixel: the layer reads the whole image" if row.rf_known
                          else "not known to the tracer")
        try:
            box = row.field_box(position)
        except ValueError as error:
            return None, str(error)
        (top, bottom), (left, right) = box
        return box, (f"rows {top:g}-{bottom:g}, columns {left:g}-{right:g}: {bottom - top + 1:g} x "
                     f"{right - left + 1:g} pixels (receptive field {row.rf_text.split(' / ')[0]}, jump "
                     f"{row.rf_text.split(' / ')[1]})")

    def unit(self, layer: str, image: int = 0, position: tuple[int, int] | None = None, channel: int = 0) -> UnitView:
        """The view of unit ``channel`` at ``position`` (row, column; None for a vector layer) of ``layer``."""
        if layer not in self._layers:
            raise KeyError(f"no layer {layer!r} to explore; layers: {', '.join(self.layers)}")
        keras_layer = self._layers[layer]
        inputs, output = self.activations(image)[layer]
        if output.ndim == 3:
            position = (0, 0) if position is None else tuple(int(p) for p in position)
            if not all(0 <= p < n for p, n in zip(position, output.shape[:2])):
                raise IndexError(f"position {position} is outside {layer!r}'s {output.shape[0]} x {output.shape[1]} map")
            value = float(output[position][channel])
        else:
            position = None
            value = float(output[channel])
        box, note = self._field(layer, position)
        kind = type(keras_layer).__name__
        extra: dict[str, Any] = {}
        if kind == "Concatenate":
            prefix = layer.rsplit("/", 1)[0] + "/" if "/" in layer else ""
            reads = self._extract_inputs(layer)
            extra["branches"] = tuple((f"{prefix}{producer(t)[0].name}", self._field(f"{prefix}{producer(t)[0].name}",
                                                                                       position)[0]) for t in reads)
        elif kind == "Conv2D" and keras_layer.groups == 1:
            extra = self._conv(keras_layer, inputs, position, channel)
        elif kind == "Dense" and output.ndim == 1:
            extra = self._dense(keras_layer, inputs, output, channel)
        return UnitView(layer, kind, image, position, channel, value, box, note, **extra)

    def _conv(self, layer: Any, x: np.ndarray, position: tuple[int, int], channel: int) -> dict[str, Any]:
        kernel, *bias = layer.get_weights()
        (kh, kw), (sh, sw), (dh, dw) = layer.kernel_size, layer.strides, layer.dilation_rate
        if layer.padding == "same":
            (top, bottom), (left, right) = (arithmetic.same_padding(x.shape[0], kh, sh, dh),
                                            arithmetic.same_padding(x.shape[1], kw, sw, dw))
            x = np.pad(x, ((top, bottom), (left, right), (0, 0)))
        i, j = position
        patch = x[i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw, :]
        products = patch.astype(np.float64) * kernel[..., channel]
        b = float(bias[0][channel]) if bias else 0.0
        z = float(products.sum()) + b
        name = _activation_name(layer)
        a = float(keras.ops.convert_to_numpy(layer.activation(np.array([z], np.float32)))[0])
        text = (f"{products.size} products ({kh} x {kw} x {patch.shape[-1]} input values times the kernel of channel "
                f"{channel}) sum to {z - b:.4f}; + bias {b:.4f} = {z:.4f}; {name} -> {a:.4f}")
        return {"recomputed": a, "arithmetic": text, "products": products.sum(axis=-1)}

    def _dense(self, layer: Any, x: np.ndarray, output: np.ndarray, unit: int) -> dict[str, Any]:
        kernel, *bias = layer.get_weights()
        z_all = x.astype(np.float64) @ kernel + (bias[0] if bias else 0.0)
        name = _activation_name(layer)
        if name == "softmax":
            a = float(_softmax(z_all)[unit])
        else:
            a = float(keras.ops.convert_to_numpy(layer.activation(np.array([z_all[unit]], np.float32)))[0])
        b = float(bias[0][unit]) if bias else 0.0
        text = (f"{x.size} inputs times column {unit} of the kernel sum to {z_all[unit] - b:.4f}; + bias {b:.4f} = "
                f"{z_all[unit]:.4f}; {name} -> {a:.4f}")
        result: dict[str, Any] = {"recomputed": a, "arithmetic": text}
        if layer.name in self._answers or name == "softmax":
            result["logits"] = z_all
            result["probabilities"] = _softmax(z_all)
        return result

    def _extract_inputs(self, name: str) -> list[Any]:
        """The symbolic tensors that layer ``name`` (``"outer/inner"`` inside a nested model) read."""
        outer, _, inner = name.rpartition("/")
        model = self._layers[outer] if outer else self.model
        for layer, x, _ in _explorable(model):
            if layer.name == (inner or name):
                return x if isinstance(x, list) else [x]
        return []

    def figure(self, view: UnitView) -> plt.Figure:
        """The views as one figure: the image with the field, the layer's map, and the unit's arithmetic."""
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), dpi=FIGURE_DPI)
        self._draw_image(axes[0], view)
        self._draw_map(axes[1], view)
        self._draw_detail(axes[2], view)
        verdict = "" if view.agrees is None else ("  NumPy = Keras" if view.agrees else "  NumPy differs from Keras!")
        fig.suptitle(f"{view.layer} ({view.kind}), unit {view.channel}"
                     + (f" at {view.position}" if view.position is not None else "")
                     + f", image {view.image}: value {view.value:.4f}{verdict}", fontsize=11)
        fig.tight_layout()
        return fig

    def _draw_image(self, ax: Any, view: UnitView) -> None:
        image = self.images[view.image].astype(np.float64)
        if image.shape[-1] == 3:  # colour, scaled to [0, 1] whatever the model reads (0-255, [0, 1], standardised)
            ax.imshow((image - image.min()) / max(float(image.max() - image.min()), 1e-12))
        else:  # grey, or many channels (a module's input): their mean
            ax.imshow(image.mean(axis=-1), cmap="gray")
        boxes = [(name, box) for name, box in view.branches if box is not None] or [(view.layer, view.box)]
        for k, (name, box) in enumerate(b for b in boxes if b[1] is not None):
            (top, bottom), (left, right) = box
            ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left + 1, bottom - top + 1, fill=False, lw=2,
                                   ls=("-", "--", ":", "-.")[k % 4], edgecolor=OKABE_ITO[(k + 1) % len(OKABE_ITO)],
                                   label=name))
        if len(boxes) > 1:
            ax.legend(fontsize=7, loc="lower right")
        ax.set_title("receptive field on the image" if view.box is not None else view.field_note[:60], fontsize=9)
        ax.set_axis_off()

    def _draw_map(self, ax: Any, view: UnitView) -> None:
        _, output = self.activations(view.image)[view.layer]
        if output.ndim == 3:
            ax.imshow(output[..., view.channel], cmap="viridis")
            ax.plot(view.position[1], view.position[0], marker="s", markersize=9, fillstyle="none",
                    color=OKABE_ITO[6], markeredgewidth=2)
            ax.set_title(f"feature map {view.channel} of {output.shape[-1]} ({output.shape[0]} x {output.shape[1]})",
                         fontsize=9)
            ax.set_axis_off()
        else:  # a softmax layer's values are the probabilities drawn beside: its logits say more here
            softmax_layer = view.probabilities is not None and np.allclose(output, view.probabilities, atol=1e-5)
            values = view.logits if softmax_layer else output
            if values.size <= 64:
                ax.bar(np.arange(values.size), values, color=OKABE_ITO[5])
                ax.bar([view.channel], [values[view.channel]], color=OKABE_ITO[6])
            else:  # hundreds of bars take a second to draw: a line draws at once
                ax.plot(np.arange(values.size), values, color=OKABE_ITO[5], lw=0.8)
                ax.plot([view.channel], [values[view.channel]], "o", color=OKABE_ITO[6])
            ax.set(title=f"its {values.size} logits, before the softmax" if softmax_layer
                   else f"the layer's {values.size} values", xlabel="unit")

    def _draw_detail(self, ax: Any, view: UnitView) -> None:
        if view.probabilities is not None:
            labels = self.class_names or [str(k) for k in range(view.probabilities.size)]
            ax.barh(np.arange(view.probabilities.size), view.probabilities, color=OKABE_ITO[2])
            ax.set(yticks=np.arange(view.probabilities.size), yticklabels=labels, xlim=(0, 1), xlabel="softmax")
            ax.invert_yaxis()
            ax.set_title("softmax of the logits", fontsize=9)
        elif view.products is not None:
            limit = float(np.abs(view.products).max()) or 1.0
            ax.imshow(view.products, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title("input x kernel, summed over channels\n(red adds, blue subtracts)", fontsize=9)
            ax.set_axis_off()
        else:
            ax.text(0.02, 0.5, view.field_note, wrap=True, fontsize=9, va="center")
            ax.set_axis_off()


class ExplorerWidget:
    """The widget's parts: ``ui``, the ``controls`` by name, the ``text`` under the figure, the last ``view`` and
    how long the last update took (``seconds``)."""

    def __init__(self, explorer: ModelExplorer, layer: str | None = None, position: tuple[int, int] | None = None,
                 channel: int = 0, show: bool = True) -> None:
        import ipywidgets as widgets

        self.explorer, self.show = explorer, show
        style = {"description_width": "initial"}
        self.controls = {
            "layer": widgets.Dropdown(options=explorer.layers, value=layer or explorer.layers[0], description="layer"),
            "image": widgets.IntSlider(0, 0, len(explorer.images) - 1, description="image", style=style),
            "row": widgets.IntSlider(0, 0, 0, description="row", style=style),
            "column": widgets.IntSlider(0, 0, 0, description="column", style=style),
            "channel": widgets.IntSlider(0, 0, 0, description="unit / channel", style=style),
        }
        self.text, self.figure = widgets.HTML(), widgets.Output()
        self.view: UnitView | None = None
        self.seconds = 0.0
        self._ranges()
        start = {"row": position[0] if position else 0, "column": position[1] if position else 0, "channel": channel}
        for name, value in start.items():
            self.controls[name].value = min(value, self.controls[name].max)
        for name, control in self.controls.items():
            control.observe(self._layer_changed if name == "layer" else self.update, names="value")
        shown = [c for name, c in self.controls.items() if name != "image" or len(explorer.images) > 1]  # one image: no slider
        self.ui = widgets.VBox([widgets.HBox([widgets.VBox(shown[:len(shown) - 2]), widgets.VBox(shown[-2:])]),
                                self.text, self.figure])
        self.update(draw=False)  # text only at the start: the static figure above shows the starting view

    def _ranges(self) -> None:
        _, output = self.explorer.activations(self.controls["image"].value)[self.controls["layer"].value]
        spatial = output.ndim == 3
        for name, size in (("row", output.shape[0] if spatial else 1), ("column", output.shape[1] if spatial else 1),
                           ("channel", output.shape[-1])):
            control = self.controls[name]
            control.value = min(control.value, size - 1)
            control.max = size - 1
            control.disabled = size == 1 and name != "channel"

    def _layer_changed(self, _change: Any = None) -> None:
        self._ranges()
        self.update()

    def update(self, _change: Any = None, draw: bool = True) -> None:
        start = time.perf_counter()
        c = {name: control.value for name, control in self.controls.items()}
        position = (c["row"], c["column"]) if not self.controls["row"].disabled else None
        try:
            view = self.explorer.unit(c["layer"], c["image"], position, c["channel"])
        except IndexError:  # a slider's range is being updated: the next event brings a valid position
            return
        self.view = view
        check = "" if view.agrees is None else (
            f"; NumPy recomputes {view.recomputed:.4f}: {'equal' if view.agrees else 'NOT equal'} to the model's value")
        text = (f"<b>{view.layer}</b> ({view.kind}) unit {view.channel}: value {view.value:.4f}{check}<br>"
                f"receptive field: {view.field_note}" + (f"<br>{view.arithmetic}" if view.arithmetic else ""))
        if self.show and draw:
            with self.figure:
                self.figure.clear_output(wait=True)
                figure = self.explorer.figure(view)
                plt.show()
                plt.close(figure)
        self.seconds = time.perf_counter() - start
        self.text.value = f"{text}<br><small>updated in {self.seconds:.2f} s</small>"  # one change: one message

    def unit(self, layer: str, image: int = 0, position: tuple[int, int] | None = None, channel: int = 0) -> UnitView:
        """Any unit's view, as :meth:`ModelExplorer.unit` (for a check cell beside the widget)."""
        return self.explorer.unit(layer, image, position, channel)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.ui)


def explore_model(model: Any, images: np.ndarray, layer: str | None = None, class_names: list[str] | None = None,
                  position: tuple[int, int] | None = None, channel: int = 0, show: bool = True) -> ExplorerWidget:
    """Explore ``model`` on ``images`` (N, H, W, C): pick an image, a layer and a unit; see the layer's map, the
    unit's receptive field on the image and its value recomputed in NumPy (Conv2D, Dense), or an output layer's
    softmax.

    With ``show=True`` it first draws the static figure of the starting view (``layer``, ``position``,
    ``channel``: what nbval, HTML exports and the site show), then displays the widget.

    Usage::

        explorer = explore_model(model, x_test[:8], layer="C3", position=(4, 4), class_names=CLASS_NAMES["mnist"])
        explorer.controls["layer"].value = "F6"        # what the widget's dropdown does
    """
    explorer = ModelExplorer(model, images, class_names)
    if show:
        first = explorer.unit(layer or explorer.layers[0], 0, position, channel)
        figure = explorer.figure(first)  # the static fallback
        plt.show()
        plt.close(figure)
    widget = ExplorerWidget(explorer, layer, position, channel, show)
    if show:
        from IPython.display import display

        display(widget.ui)
    return widget
