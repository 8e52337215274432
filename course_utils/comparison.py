"""Every architecture of the course side by side: costs from the model registry, results from results/.

Notebook 12 builds its tables from two sources and types no number: the registry of
``course_utils.models`` (each model is built, traced and deleted, one at a time) and the recorded
training runs of the active profile (``results/<profile>/*.json``, :mod:`course_utils.results`). A
model registered later (a new notebook's family module) appears by itself.

- :func:`architecture_cost`: year, depth, parameters, MACs per image at the native input and at
  32 x 32 (or why not), activation memory per image. The model is built "shapes only"
  (:func:`build_shapes_only`: variables with shapes but no values), so VGG16's 138 million weights
  take no memory.
- :func:`weight_layer_depth` and :data:`PUBLISHED_DEPTHS`: depth by a stated rule, beside what each
  paper calls its depth (:func:`published_depth_table`).
- :func:`training_speed`: training images per second measured now, on this machine, with a few
  plain SGD steps timed by :func:`course_utils.pipelines.images_per_second`.
- :func:`comparison_table`: the registered architectures (costs, speeds); :func:`runs_table`: every
  recorded run with its accuracy, that accuracy's noise and the size of the model it trained (runs
  cut short or on a synthetic stand-in are shown as such and never counted as results).

Images are NHWC; "32 x 32" keeps the model's native number of channels.

Example:
    >>> from course_utils.models import model_info
    >>> cost = architecture_cost(model_info("lenet5_modern"))
    >>> cost.depth, cost.parameters, cost.macs, cost.macs_at_side == cost.macs, cost.note_at_side
    (5, 61706, 416520, True, 'native size')
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from . import arithmetic, pipelines, results
from .bibliography import cite
from .keras_internals import calls, functional_graph
from .models.registry import ModelInfo, list_models, model_info
from .noise import accuracy_noise
from .plotting import OKABE_ITO, run_styles
from .session import clear_session, current
from .tables import html_table, text_table
from .tracing import trace

SIDE = 32  # the second input size of the table: CIFAR-10's and (padded) MNIST's side


@dataclass(frozen=True)
class ArchitectureCost:
    """What one registered model costs, traced: at its native input and at ``side`` x ``side``.

    ``macs_at_side`` is None when the model cannot take that input; ``note_at_side`` then says why
    (otherwise "native size", "" or "resizes to H x W inside": the cost is the native one).
    """
    name: str
    year: int | None
    family: str
    notebook: str
    input_shape: tuple[int, int, int]
    depth: int
    parameters: int
    macs: int
    macs_complete: bool
    activation_bytes: int
    side: int
    parameters_at_side: int | None
    macs_at_side: int | None
    note_at_side: str


@dataclass(frozen=True)
class Speed:
    """Training images per second measured now, on ``input_shape`` inputs with ``batch_size`` images a step.

    ``images_per_second`` is None for a model that was not timed; ``note`` then says why.
    """
    name: str
    images_per_second: float | None
    input_shape: tuple[int, int, int]
    batch_size: int
    note: str = ""


def build_shapes_only(info: ModelInfo | Callable[..., Any], **kwargs: Any):
    """Return ``info.build(**kwargs)`` with variables that have shapes but no values (no memory for weights).

    ``info`` is a registered model's :class:`ModelInfo`, or any function that builds a Keras model
    (``models.alexnet_paper``). Enough for :func:`course_utils.tracing.trace` and ``count_params()``,
    not for running the model. Call :func:`course_utils.clear_session` when done, so that nothing
    initializes these variables later.

    Example:
        >>> from course_utils.models import model_info, vgg16
        >>> build_shapes_only(model_info("vgg16")).count_params()    # no 553 MB of float32 weights
        138357544
        >>> build_shapes_only(vgg16, num_classes=10).count_params()  # a builder works too
        134301514
    """
    build = info.build if isinstance(info, ModelInfo) else info
    with keras.StatelessScope(initialize_variables=False):
        return build(**kwargs)


def is_weight_layer(layer) -> bool:
    """True for a layer holding a weight matrix or kernel (a weight of rank 2 or more).

    Convolutions, dense layers, LeNet-5's partially connected C3 and its RBF output count; biases,
    batch-normalization scales and LeNet-5's per-map subsampling coefficients are rank 1 and do not.

    Example:
        >>> import keras
        >>> dense, norm = keras.layers.Dense(3), keras.layers.BatchNormalization()
        >>> dense.build((None, 4)); norm.build((None, 4))
        >>> is_weight_layer(dense), is_weight_layer(norm)
        (True, False)
    """
    return any(len(w.shape) >= 2 for w in getattr(layer, "weights", []))


def has_weights(layer) -> bool:
    """True for a layer with any weight, trainable or fixed: LeNet-5's rule, which counts its subsampling layers
    (a trainable coefficient and bias per map) and its RBF output (codes chosen by hand, kept fixed).

    Example:
        >>> import keras
        >>> norm, relu = keras.layers.BatchNormalization(), keras.layers.ReLU()
        >>> norm.build((None, 4))
        >>> has_weights(norm), is_weight_layer(norm), has_weights(relu)
        (True, False, False)
    """
    return bool(getattr(layer, "weights", []))


def weight_layer_depth(model, counts: Callable[[Any], bool] = is_weight_layer) -> int:
    """Return the model's depth: the most layers that ``counts`` on any path from an input to an output.

    By default a layer counts when it holds a kernel or weight matrix (:func:`is_weight_layer`: the
    count of AlexNet's "eight learned layers", VGG16's 16 and GoogLeNet's 22); LeNet-5's paper counts
    every layer with parameters (:func:`has_weights`: 7 instead of 5). Layers
    side by side (an Inception module's branches) count once; layers inside nested models are followed.

    Example:
        >>> from course_utils.models import lenet5_classic
        >>> model = lenet5_classic()
        >>> weight_layer_depth(model), weight_layer_depth(model, counts=has_weights)
        (5, 7)
    """
    def walk(graph, depth_in: Sequence[int]) -> list[int]:
        depth = {id(t): d for t, d in zip(graph.inputs, depth_in)}
        for call in calls(graph):
            before = max((depth.get(id(t), 0) for t in call.inputs), default=0)
            inner = functional_graph(call.layer) if isinstance(call.layer, keras.Model) else None
            if inner is not None and len(inner.inputs) == len(call.inputs):
                outs = walk(inner, [depth.get(id(t), 0) for t in call.inputs])
            else:
                outs = [before + counts(call.layer)] * len(call.outputs)
            for tensor, d in zip(call.outputs, outs):
                depth[id(tensor)] = d
        return [depth[id(t)] for t in graph.outputs]

    graph = functional_graph(model)
    if graph is None:
        raise ValueError(f"model {model.name!r} has no layer graph (subclassed or unbuilt): its depth cannot be followed")
    return max(walk(graph, [0] * len(graph.inputs)))


def _first_sentence(error: Exception, limit: int = 90) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def architecture_cost(info: ModelInfo, side: int = SIDE) -> ArchitectureCost:
    """Return the traced cost of a registered model at its native input and at ``side`` x ``side``.

    Each model is built shapes only (:func:`build_shapes_only`) and the Keras session cleared after
    each build, so paper-sized models cost neither weight memory nor time.
    """
    try:
        model = build_shapes_only(info)
        t = trace(model)
        depth = weight_layer_depth(model)
    finally:
        clear_session()
    at_side = (side, side, info.input_shape[2])
    if at_side == tuple(info.input_shape):
        params_side, macs_side, note = t.total_params, t.total_macs, "native size"
    else:
        try:
            t_side = trace(build_shapes_only(info, input_shape=at_side))
            params_side, macs_side = t_side.total_params, t_side.total_macs
            resizes = [r for r in t_side.rows if r.type == "Resizing"]
            note = f"resizes to {' x '.join(map(str, resizes[0].output_shape[:2]))} inside" if resizes else ""
        except ValueError as e:  # Keras: a map would shrink below 1 x 1, a pooling window larger than its map...
            params_side, macs_side, note = None, None, f"does not build: {_first_sentence(e)}"
        finally:
            clear_session()
    return ArchitectureCost(
        info.name, info.year, info.family, info.notebook, tuple(info.input_shape), depth, t.total_params,
        t.total_macs, t.macs_complete, t.activation_bytes, side, params_side, macs_side, note,
    )


def architecture_costs(infos: Iterable[ModelInfo] | None = None, side: int = SIDE) -> list[ArchitectureCost]:
    """Return :func:`architecture_cost` of every registered model (or of ``infos``), in course order."""
    return [architecture_cost(info, side) for info in (list_models() if infos is None else infos)]


def _sgd_step(model, batch_size: int):
    """A compiled function: one plain SGD step on a batch of images (loss: mean square of every output).

    It returns the first output, one row per image, so that ``images_per_second`` counts the images.
    """
    optimizer = keras.optimizers.SGD(1e-4)
    variables = model.trainable_variables

    @tf.function
    def step(images):
        with tf.GradientTape() as tape:
            outputs = tf.nest.flatten(model(images, training=True))
            loss = tf.add_n([tf.reduce_mean(tf.square(tf.cast(y, "float32"))) for y in outputs])
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return outputs[0]

    return step


def training_speed(
    info: ModelInfo, side: int | None = SIDE, batch_size: int = 8, seconds: float = 1.0, seed: int = 12
) -> Speed:
    """Return the training images/second of a registered model, measured now on this machine.

    The model is built with real weights on ``side`` x ``side`` inputs (the native input when ``side``
    is None or the model cannot take that size), then plain SGD steps on random images are timed by
    :func:`course_utils.pipelines.images_per_second` (one untimed warm-up step, one window of at
    least ``seconds``). The Keras session is cleared afterwards. A figure of this machine, today:
    other programs running at the same time lower it.
    """
    shape = tuple(info.input_shape) if side is None else (side, side, info.input_shape[2])
    try:
        try:
            model = info.build(input_shape=shape)
        except ValueError:  # too small for this architecture: time it at its native size
            clear_session()
            shape = tuple(info.input_shape)
            model = info.build()
        images = np.random.default_rng(seed).random((batch_size, *shape), dtype=np.float32)
        step = _sgd_step(model, batch_size)
        rate = pipelines.images_per_second([(images, None)], transform=step, warmup=1, min_seconds=seconds, repeats=1)
    finally:
        clear_session()
    return Speed(info.name, rate, shape, batch_size)


def training_speeds(
    infos: Iterable[ModelInfo] | None = None,
    side: int | None = SIDE,
    batch_size: int = 8,
    seconds: float = 1.0,
    max_parameters: int | None = None,
    costs: Sequence[ArchitectureCost] = (),
) -> dict[str, Speed]:
    """Return {model name: :class:`Speed`} for every registered model (or ``infos``), one at a time.

    Models with more than ``max_parameters`` parameters are not timed: their weights and gradients
    would need more memory and time than the profile allows; their :class:`Speed` says so. The counts
    come from ``costs`` (:func:`architecture_costs`) where given, else from a shapes-only build.
    """
    known = {c.name: c.parameters for c in costs}
    speeds = {}
    for info in list_models() if infos is None else infos:
        if max_parameters is not None:
            n = known.get(info.name)
            if n is None:
                n = build_shapes_only(info).count_params()
                clear_session()
            if n > max_parameters:
                shape = tuple(info.input_shape) if side is None else (side, side, info.input_shape[2])
                speeds[info.name] = Speed(info.name, None, shape, batch_size,
                                          f"not timed: over {max_parameters:,} parameters")
                continue
        speeds[info.name] = training_speed(info, side, batch_size, seconds)
    return speeds


@dataclass(frozen=True)
class RecordedRun:
    """A recorded training run of one model: the results entry, and whether it counts as a result."""

    file: str  # name in results/<profile>/ ("incomplete/<name>" for a run that is not a result)
    entry: Mapping[str, Any]
    reasons: tuple[str, ...]  # why it is not a result; empty for a complete run

    @property
    def complete(self) -> bool:
        """True for a result: trained to the end on real data."""
        return not self.reasons


def recorded_runs(profile: str | None = None) -> list[RecordedRun]:
    """Return every run recorded in ``results/<profile>/`` (the active profile), complete ones first."""
    entries = results.load_results(profile or current().profile, include_incomplete=True)
    runs = [RecordedRun(file, entry, tuple(results.incomplete_reasons(entry))) for file, entry in entries.items()]
    return sorted(runs, key=lambda r: not r.complete)


def _macs_text(macs: int | None, complete: bool = True) -> str:
    if macs is None:
        return "-"
    return f"{macs:,}" if complete else f">= {macs:,}"


def _side_text(shape: Sequence[int]) -> str:
    return " x ".join(map(str, shape[:2]))


def speed_text(speed: Speed | None, side: int) -> str:
    """The speed cell of the table: images/s (with the input side when it is not ``side``), or why not timed.

    Example:
        >>> speed_text(Speed("m", 12.34, (64, 64, 3), 8), 32), speed_text(Speed("m", None, (32, 32, 3), 8, "not timed"), 32)
        ('12.3 (at 64 x 64)', 'not timed')
    """
    if speed is None:
        return "-"
    if speed.images_per_second is None:
        return speed.note
    where = "" if tuple(speed.input_shape[:2]) == (side, side) else f" (at {_side_text(speed.input_shape)})"
    return f"{speed.images_per_second:,.1f}{where}"


DEPTH_NOTE = ("depth: layers with a kernel or weight matrix (convolutions, dense layers) on the longest path from "
              "input to output, branches side by side counted once; each paper counts its own way (see "
              "published_depth_table)")
COLUMNS = (
    "model", "year", "depth", "parameters", "input", "MACs (native)", "MACs at {side} x {side}", "act. memory",
    "train img/s now",
)


@dataclass(frozen=True)
class ComparisonTable:
    """A table of this module: ``str()`` is aligned text, Jupyter shows HTML; ``rows`` hold the cells."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...]
    title: str
    text_columns: tuple[str, ...] = ("model", "input", "run", "dataset (data)", "status", "what the paper counts",
                                     "source")

    def __str__(self) -> str:
        numeric = [i for i, c in enumerate(self.header) if c not in self.text_columns]
        return text_table(self.header, self.rows, numeric=numeric, title=self.title, footer="\n".join(self.notes) or None)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        notes = "".join(f"<p><small>{html.escape(note)}</small></p>" for note in self.notes)
        return html_table(self.header, self.rows, title=self.title) + notes


def comparison_table(
    costs: Sequence[ArchitectureCost],
    speeds: Mapping[str, Speed] | None = None,
    costs_only: bool = False,
) -> ComparisonTable:
    """Return the architectures side by side: one row per registered model, costs traced, speeds measured now.

    Accuracies are not here: they belong to the trained models of :func:`runs_table`, whose widths and
    inputs may differ from the registered builders'. ``costs_only`` keeps the traced columns (model
    ... act. memory): the same on every machine and in every profile.

    Example:
        >>> from course_utils.models import model_info
        >>> print(comparison_table([architecture_cost(model_info("lenet5_classic"))], costs_only=True))  # doctest: +NORMALIZE_WHITESPACE
        The course's architectures, traced
        model           year  depth  parameters  input    MACs (native)  MACs at 32 x 32  act. memory
        ---------------------------------------------------------------------------------------------
        lenet5_classic  1998      5      60,840  32 x 32        332,824          332,824     40.2 KiB
        ---------------------------------------------------------------------------------------------
        depth: layers with a kernel or weight matrix (convolutions, dense layers) on the longest path from input to output, branches side by side counted once; each paper counts its own way (see published_depth_table)
        MACs: multiply-accumulates per image (course_utils.tracing); act. memory: every layer's output for one image.
    """
    speeds = speeds or {}
    side = costs[0].side if costs else SIDE
    rows = []
    for c in costs:
        at_side = _macs_text(c.macs_at_side) if c.macs_at_side is not None else "does not build (see below)"
        if c.macs_at_side is not None and c.note_at_side and c.note_at_side != "native size":
            at_side = f"{at_side} ({c.note_at_side})"
        rows.append((
            c.name, str(c.year) if c.year else "course", str(c.depth), f"{c.parameters:,}", _side_text(c.input_shape),
            _macs_text(c.macs, c.macs_complete), at_side, arithmetic.format_bytes(c.activation_bytes),
            speed_text(speeds.get(c.name), c.side),
        ))
    batches = sorted({s.batch_size for s in speeds.values() if s.images_per_second is not None})
    cost_notes = (
        DEPTH_NOTE,
        "MACs: multiply-accumulates per image (course_utils.tracing); act. memory: every layer's output for one image.",
        *(f"{c.name} at {side} x {side}: {c.note_at_side}" for c in costs if c.macs_at_side is None),
    )
    header = tuple(c.format(side=side) for c in COLUMNS)
    if costs_only:
        n = COLUMNS.index("act. memory") + 1
        return ComparisonTable(header[:n], tuple(row[:n] for row in rows), cost_notes, "The course's architectures, traced")
    notes = (*cost_notes, "train img/s: plain SGD steps on batches of " + (", ".join(map(str, batches)) or "-") +
             f" random images at {side} x {side} unless noted, measured now on this machine.")
    return ComparisonTable(header, tuple(rows), notes, "The course's architectures, as registered")


# --- what each paper calls its depth ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedDepth:
    """A paper's own statement of its network's depth: the count, what it counts, where it says so.

    ``counts`` is the rule that reproduces the paper's count on the course's model, where one does
    (:func:`is_weight_layer` or :func:`has_weights`); ``quote`` is the paper's own words, verbatim.
    """
    model: str
    count: int
    quote: str
    source: str
    counts: Callable[[Any], bool] = is_weight_layer


PUBLISHED_DEPTHS = (
    PublishedDepth("lenet5_classic", 7, "7 layers, not counting the input, all of which contain trainable parameters (weights)",
                   cite("lenet", "sec. II.B"), has_weights),
    PublishedDepth("alexnet_paper", 8, "eight learned layers — five convolutional and three fully-connected",
                   cite("alexnet", "sec. 3")),
    PublishedDepth("vgg16", 16, "16 weight layers", cite("vgg", "Table 1")),
    PublishedDepth("vgg19", 19, "19 weight layers", cite("vgg", "Table 1")),
    PublishedDepth("googlenet", 22, "22 layers deep when counting only layers with parameters (or 27 layers if we also count pooling)",
                   cite("googlenet", "sec. 5")),
    PublishedDepth("inception_v3", 42, "42 layers deep", cite("inception_v3", "sec. 6")),
)


def published_depth_table(depths: Sequence[PublishedDepth] = PUBLISHED_DEPTHS) -> ComparisonTable:
    """Return each paper's depth beside the course's counts: by the paper's rule, and the table's ``depth`` column.

    Each model is built shapes only and traced (no weights in memory). A row whose rule does not give
    the paper's count says so: the paper does not define what it counted.

    Example:
        >>> table = published_depth_table(PUBLISHED_DEPTHS[:1])
        >>> table.rows[0][:2], table.rows[0][4:]
        (('lenet5_classic', '7'), ('7', '5', 'yes'))
    """
    rows = []
    for d in depths:
        try:
            model = build_shapes_only(model_info(d.model))
            by_rule, column = weight_layer_depth(model, d.counts), weight_layer_depth(model)
        finally:
            clear_session()
        rule = "layers with weights" if d.counts is has_weights else "layers with a kernel"
        rows.append((d.model, str(d.count), f'"{d.quote}"', d.source, str(by_rule), str(column),
                     "yes" if by_rule == d.count else f"no: {rule} on the longest path give {by_rule}"))
    notes = ("paper's count: as the paper states it (quoted); by the paper's rule: the course's model counted the "
             "paper's way (LeNet-5: every layer with weights, its subsampling layers and fixed RBF output included; "
             "the others: "
             "layers with a kernel); depth column: the comparison table's rule.",)
    header = ("model", "paper's count", "what the paper counts", "source", "by the paper's rule", "depth column",
              "rule reproduces the paper")
    return ComparisonTable(header, tuple(rows), notes, "Depth as each paper counts it",
                           text_columns=("model", "what the paper counts", "source", "rule reproduces the paper"))


# --- recorded runs: each accuracy beside the size of the model that produced it --------------------------


def images_seen(entry: Mapping[str, Any]) -> tuple[int, bool]:
    """(training images a run went through, exact?): ``images_seen`` where recorded, else from its speed and time.

    Example:
        >>> images_seen({"images_seen": 640}), images_seen({"images_per_second": 10.0, "train_seconds": 6.4})
        ((640, True), (64, False))
    """
    if "images_seen" in entry:
        return int(entry["images_seen"]), True
    return round(entry.get("images_per_second", 0.0) * entry.get("train_seconds", 0.0)), False


def accuracy_text(entry: Mapping[str, Any]) -> str:
    """The accuracy cell: a percentage, "all N heads right" for a multi-head model, "-" when not recorded.

    Example:
        >>> accuracy_text({"test_accuracy": 0.5}), accuracy_text({"test_accuracy": 0.9, "extra": {"head_test_accuracy": {"a": 1, "b": 1}}})
        ('50.0 %', '90.0 % (all 2 heads right)')
    """
    if "test_accuracy" not in entry:
        return "-"
    heads = (entry.get("extra") or {}).get("head_test_accuracy")
    return f"{100 * entry['test_accuracy']:.1f} %" + (f" (all {len(heads)} heads right)" if heads else "")


RUN_COLUMNS = ("run", "model", "width", "dataset (data)", "test accuracy", "± 2 s.e.", "test images", "parameters",
               "MACs/image", "images seen", "training s", "status")


def run_row(run: RecordedRun) -> tuple[str, ...]:
    """One row of :func:`runs_table`: the run's accuracy with its noise, and the size of the model it trained.

    Parameters and MACs are the recorded ones (the trained model at its width and input), never the
    registry's. A run that is not a result shows no accuracy: its status says why.

    Example:
        >>> entry = {"model": "m", "test_accuracy": 0.5, "test_size": 100, "dataset": "cifar10", "data_source": "real subset",
        ...          "parameters": 1000, "macs_per_image": 5000, "images_seen": 640, "train_seconds": 9.0, "extra": {"width": 0.25}}
        >>> run_row(RecordedRun("m_run", entry, ()))
        ('m_run', 'm', '0.25', 'cifar10 (real subset)', '50.0 %', '10.0', '100', '1,000', '5,000', '640', '9', 'result')
    """
    e = run.entry
    width = (e.get("extra") or {}).get("width")
    seen, exact = images_seen(e)
    n = int(e.get("test_size", 0))
    noise = f"{100 * accuracy_noise(e['test_accuracy'], n):.1f}" if run.complete and n and "test_accuracy" in e else "-"
    cells = (
        run.file, e.get("model", "?"), "-" if width is None else f"{width:g}",
        f"{e.get('dataset', '?')} ({e.get('data_source', 'source not recorded')})",
        accuracy_text(e) if run.complete else "-", noise, f"{n:,}" if n else "-",
        f"{e['parameters']:,}" if "parameters" in e else "-",
        _macs_text(e.get("macs_per_image"), e.get("macs_complete", True)),
        f"{seen:,}" if exact else f"~{seen:,}", f"{e['train_seconds']:,.0f}" if "train_seconds" in e else "-",
        "result" if run.complete else "not a result: " + "; ".join(run.reasons),
    )
    return cells


def runs_table(runs: Sequence[RecordedRun], profile: str | None = None) -> ComparisonTable:
    """Return every recorded run of a profile, one row each: accuracy, its noise, and the trained model's size.

    Example:
        >>> entry = {"model": "m", "test_accuracy": 0.5, "test_size": 100, "dataset": "cifar10", "parameters": 10,
        ...          "macs_per_image": 50, "images_seen": 64, "train_seconds": 1.0}
        >>> runs_table([RecordedRun("m", entry, ())], profile="smoke").rows[0][4:6]
        ('50.0 %', '10.0')
    """
    profile = profile or current().profile
    notes = (
        "parameters, MACs/image: of the model each run trained (its width and input), as recorded with the run; "
        "the architecture table above shows the registered builders, which may be wider.",
        "± 2 s.e.: two binomial standard errors of an accuracy measured on that many test images "
        "(course_utils.noise.accuracy_noise); accuracies on different datasets or test sets do not rank architectures.",
        "images seen: training images each run went through, with repeats (~: from its speed and time, for runs "
        "recorded before the count was); runs cut short or on stand-in data are not results.",
    )
    return ComparisonTable(RUN_COLUMNS, tuple(run_row(r) for r in runs), notes,
                           f"Recorded training runs (results/{profile}/)")


# --- figures: each draws one titled figure, shows it and returns None (course_utils.plotting's convention) ---


def results_to_plot(runs: Sequence[RecordedRun]) -> list[RecordedRun]:
    """Return the complete runs (runs cut short or on stand-in data are never plotted).

    Example:
        >>> cut = RecordedRun("incomplete/m", {"model": "m", "test_accuracy": 0.9}, ("training was cut short",))
        >>> results_to_plot([cut])
        []
    """
    return [r for r in runs if r.complete]


def plot_accuracy_vs_macs(runs: Sequence[RecordedRun], title: str | None = None) -> None:
    """Draw each complete run's test accuracy against its MACs per image (log axis); bubble area ~ parameters.

    MACs and parameters are those of the trained model as recorded (its width and input size); one
    colour per dataset, since accuracies on different datasets are not comparable; error bars are two
    standard errors of each accuracy (:func:`course_utils.noise.accuracy_noise`).
    """
    chosen = results_to_plot(runs)
    if not chosen:
        print("No complete run recorded in this profile yet: run the architecture notebooks first.")
        return
    datasets = list(dict.fromkeys(r.entry["dataset"] for r in chosen))
    style = dict(zip(datasets, run_styles(len(datasets))))

    biggest = max(r.entry["parameters"] for r in chosen)
    fig, ax = plt.subplots(figsize=(8, 4))
    for dataset in datasets:
        mine = [r for r in chosen if r.entry["dataset"] == dataset]
        colour, _ = style[dataset]
        x = [r.entry["macs_per_image"] for r in mine]
        y = [100 * r.entry["test_accuracy"] for r in mine]
        errors = [100 * accuracy_noise(r.entry["test_accuracy"], r.entry["test_size"]) if r.entry.get("test_size") else 0
                  for r in mine]
        ax.errorbar(x, y, yerr=errors, fmt="none", ecolor=colour, alpha=0.8, capsize=3)
        ax.scatter(x, y, s=[40 + 1200 * r.entry["parameters"] / biggest for r in mine], color=colour, alpha=0.6,
                   edgecolor="black")
    for i, r in enumerate(sorted(chosen, key=lambda r: r.entry["macs_per_image"])):
        ax.annotate(r.file, (r.entry["macs_per_image"], 100 * r.entry["test_accuracy"]),
                    fontsize=8, xytext=(6, 6 - 14 * (i % 2)), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("MACs per image of the trained model (log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3)
    handles = [Line2D([], [], marker="o", linestyle="", color=style[d][0], alpha=0.6, label=d) for d in datasets]
    ax.legend(handles=handles, title="dataset\n(bubble area ~\nparameters;\nbars: 2 s.e.)", fontsize=8, title_fontsize=8,
              loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title(title or "Test accuracy against cost per image")
    fig.tight_layout()
    plt.show()


def plot_costs(costs: Sequence[ArchitectureCost], title: str | None = None) -> None:
    """Draw parameters and MACs per image (native input and ``side`` x ``side``) per architecture, log axes."""

    names = [c.name for c in costs]
    x = np.arange(len(costs))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    axes[0].bar(x, [c.parameters for c in costs], color=OKABE_ITO[0])
    axes[0].set_title("parameters")
    side = costs[0].side if costs else SIDE
    at_side = [c.macs_at_side if c.macs_at_side is not None else np.nan for c in costs]
    axes[1].bar(x - 0.2, [c.macs for c in costs], width=0.4, color=OKABE_ITO[1], label="native input")
    axes[1].bar(x + 0.2, at_side, width=0.4, color=OKABE_ITO[2], label=f"{side} x {side} (missing: does not build)")
    axes[1].set_title("MACs per image")
    axes[1].legend(fontsize=8)
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xticks(x, names, rotation=45, ha="right")
        ax.grid(alpha=0.3, axis="y")
    fig.suptitle(title or "The course's architectures: size and cost (log scales)")
    fig.tight_layout()
    plt.show()


def plot_timeline(costs: Sequence[ArchitectureCost], title: str | None = None) -> None:
    """Draw the published architectures (those with a year) on a timeline: MACs per image at the native input
    against the year, log scale, bubble area ~ parameters. Course variants (no year) are left out."""

    dated = sorted((c for c in costs if c.year is not None), key=lambda c: (c.year, c.macs))
    if not dated:
        print("No published architecture (with a year) is registered.")
        return
    biggest = max(c.parameters for c in dated)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.scatter([c.year for c in dated], [c.macs for c in dated], s=[40 + 1200 * c.parameters / biggest for c in dated],
               color=OKABE_ITO[0], alpha=0.6, edgecolor="black")
    for i, c in enumerate(dated):
        ax.annotate(f"{c.name} ({c.depth} layers)", (c.year, c.macs), fontsize=8, xytext=(8, 6 - 16 * (i % 2)),
                    textcoords="offset points")

    ax.set_yscale("log")
    first, last = dated[0].year, dated[-1].year
    ax.set_xlim(first - 1, last + 3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year of publication")
    ax.set_ylabel("MACs per image (log scale)")
    ax.grid(alpha=0.3)
    ax.set_title(title or f"{first} -> {last}: the classics at their native input (bubble area ~ parameters)")
    fig.tight_layout()
    plt.show()
