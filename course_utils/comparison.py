"""Every architecture of the course side by side: costs from the model registry, results from results/.

Notebook 12 builds its table from two sources and types no number: the registry of
``course_utils.models`` (each model is built, traced and deleted, one at a time) and the recorded
training runs of the active profile (``results/<profile>/*.json``, :mod:`course_utils.results`). A
model registered later (a new notebook's family module) appears by itself.

- :func:`architecture_cost`: year, depth in weight layers, parameters, MACs per image at the native
  input and at 32 x 32 (or why not), activation memory per image. The model is built "shapes only"
  (:func:`build_shapes_only`: variables with shapes but no values), so VGG16's 138 million weights
  take no memory.
- :func:`training_speed`: training images per second measured now, on this machine, with a few
  plain SGD steps timed by :func:`course_utils.pipelines.images_per_second`.
- :func:`recorded_run`: the run recorded for a model; runs cut short or trained on a synthetic
  stand-in are returned as such (``complete`` False) and never counted as results.
- :func:`comparison_table`: all of it as one table (text and HTML).

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
from .keras_internals import calls, functional_graph
from .models.registry import ModelInfo, list_models
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


def weight_layer_depth(model) -> int:
    """Return the model's depth: the most weight layers on any path from an input to an output.

    The count of the papers: 5 for LeNet-5, 8 for AlexNet, 16 for VGG16; layers side by side (an
    Inception module's branches) count once, layers inside nested models are followed.

    Example:
        >>> from course_utils.models import lenet5_modern
        >>> weight_layer_depth(lenet5_modern())
        5
    """
    def walk(graph, depth_in: Sequence[int]) -> list[int]:
        depth = {id(t): d for t, d in zip(graph.inputs, depth_in)}
        for call in calls(graph):
            before = max((depth.get(id(t), 0) for t in call.inputs), default=0)
            inner = functional_graph(call.layer) if isinstance(call.layer, keras.Model) else None
            if inner is not None and len(inner.inputs) == len(call.inputs):
                outs = walk(inner, [depth.get(id(t), 0) for t in call.inputs])
            else:
                outs = [before + is_weight_layer(call.layer)] * len(call.outputs)
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


def recorded_run(name: str, runs: Sequence[RecordedRun]) -> RecordedRun | None:
    """Return the run recorded for model ``name``: a complete one if there is one, else one cut short, else None.

    A run belongs to a model when its ``model`` field (the Keras model's name) or its file name is
    ``name``. Among several complete runs, the one whose file is named after the model wins, then
    the most accurate.

    Example:
        >>> cut = RecordedRun("incomplete/m", {"model": "m", "test_accuracy": 0.9}, ("training was cut short",))
        >>> done = RecordedRun("m_long", {"model": "m", "test_accuracy": 0.8}, ())
        >>> recorded_run("m", [cut, done]).file, recorded_run("m", [cut]).complete, recorded_run("x", [cut])
        ('m_long', False, None)
    """
    mine = [r for r in runs if r.entry.get("model") == name or r.file.split("/")[-1] == name]
    if not mine:
        return None
    complete = [r for r in mine if r.complete] or mine
    return max(complete, key=lambda r: (r.file == name, r.entry.get("test_accuracy", 0.0)))


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


COLUMNS = (
    "model", "year", "depth", "parameters", "input", "MACs (native)", "MACs at {side} x {side}", "act. memory",
    "train img/s now", "test accuracy", "dataset (data)", "training s", "status",
)


@dataclass(frozen=True)
class ComparisonTable:
    """The comparison as a table: ``str()`` is aligned text, Jupyter shows HTML; ``rows`` hold the cells."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...]
    title: str

    def __str__(self) -> str:
        numeric = [i for i, c in enumerate(self.header) if c not in ("model", "input", "dataset (data)", "status")]
        return text_table(self.header, self.rows, numeric=numeric, title=self.title, footer="\n".join(self.notes) or None)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        notes = "".join(f"<p><small>{html.escape(note)}</small></p>" for note in self.notes)
        return html_table(self.header, self.rows, title=self.title) + notes


def run_cells(run: RecordedRun | None, name: str, notebook: str) -> tuple[str, str, str, str]:
    """(test accuracy, dataset (data source), training seconds, status) for a table row.

    A run that is not a result shows no accuracy: its status says why.

    Example:
        >>> run_cells(None, "lenet5_modern", "06_lenet5")
        ('-', '-', '-', 'not recorded: run 06_lenet5')
        >>> entry = {"test_accuracy": 0.5, "dataset": "cifar10", "data_source": "real subset", "train_seconds": 9.0}
        >>> run_cells(RecordedRun("m", entry, ()), "m", "07_alexnet")
        ('50.0 %', 'cifar10 (real subset)', '9', 'result')
        >>> run_cells(RecordedRun("incomplete/m", entry, ("training was cut short (time budget)",)), "m", "07_alexnet")
        ('-', 'cifar10 (real subset)', '9', 'not a result: training was cut short (time budget)')
    """
    if run is None:
        return "-", "-", "-", f"not recorded: run {notebook}"
    e = run.entry
    data = f"{e.get('dataset', '?')} ({e.get('data_source', 'source not recorded')})"
    seconds = f"{e['train_seconds']:,.0f}" if "train_seconds" in e else "-"
    if not run.complete:
        return "-", data, seconds, "not a result: " + "; ".join(run.reasons)
    return f"{100 * e['test_accuracy']:.1f} %", data, seconds, "result" + ("" if run.file == name else f" (run {run.file})")


def comparison_table(
    costs: Sequence[ArchitectureCost],
    runs: Sequence[RecordedRun] = (),
    speeds: Mapping[str, Speed] | None = None,
    profile: str | None = None,
    costs_only: bool = False,
) -> ComparisonTable:
    """Return the comparison table: one row per model, costs traced, speeds measured, results as recorded.

    Runs cut short or on a synthetic stand-in show no accuracy, only why; a model without a run says
    which notebook records one. ``costs_only`` keeps the traced columns (model ... act. memory): the
    same on every machine and in every profile.

    Example:
        >>> from course_utils.models import model_info
        >>> print(comparison_table([architecture_cost(model_info("lenet5_classic"))], costs_only=True))
        The course's architectures, traced
        model           year  depth  parameters  input    MACs (native)  MACs at 32 x 32  act. memory
        ---------------------------------------------------------------------------------------------
        lenet5_classic  1998      5      60,840  32 x 32        332,824          332,824     40.2 KiB
        ---------------------------------------------------------------------------------------------
        depth: weight layers on the longest path; MACs: multiply-accumulates per image (course_utils.tracing); act. memory: every layer's output for one image.
    """
    profile = profile or current().profile
    speeds = speeds or {}
    side = costs[0].side if costs else SIDE
    rows = []
    for c in costs:
        speed_cell = speed_text(speeds.get(c.name), c.side)
        at_side = _macs_text(c.macs_at_side) if c.macs_at_side is not None else "does not build (see below)"
        if c.macs_at_side is not None and c.note_at_side and c.note_at_side != "native size":
            at_side = f"{at_side} ({c.note_at_side})"
        rows.append((
            c.name, str(c.year) if c.year else "course", str(c.depth), f"{c.parameters:,}", _side_text(c.input_shape),
            _macs_text(c.macs, c.macs_complete), at_side, arithmetic.format_bytes(c.activation_bytes), speed_cell,
            *run_cells(recorded_run(c.name, runs), c.name, c.notebook),
        ))
    batches = sorted({s.batch_size for s in speeds.values() if s.images_per_second is not None})
    cost_notes = (
        "depth: weight layers on the longest path; MACs: multiply-accumulates per image (course_utils.tracing); "
        "act. memory: every layer's output for one image.",
        *(f"{c.name} at {side} x {side}: {c.note_at_side}" for c in costs if c.macs_at_side is None),
    )
    notes = (
        *cost_notes,
        "train img/s: plain SGD steps on batches of " + (", ".join(map(str, batches)) or "-") + " random images "
        f"at {side} x {side} unless noted, measured now on this machine; test accuracy: as recorded in "
        f"results/{profile}/ (runs cut short or on stand-in data are not results).",
    )
    header = tuple(c.format(side=side) for c in COLUMNS)
    if costs_only:
        n = COLUMNS.index("act. memory") + 1
        return ComparisonTable(header[:n], tuple(row[:n] for row in rows), cost_notes, "The course's architectures, traced")
    return ComparisonTable(header, tuple(rows), notes, f"The course's architectures ({profile} profile)")


# --- figures: each draws one titled figure, shows it and returns None (course_utils.plotting's convention) ---


def results_to_plot(costs: Sequence[ArchitectureCost], runs: Sequence[RecordedRun]) -> list[RecordedRun]:
    """Return the complete run of each model in ``costs`` that has one (runs cut short are never plotted).

    Example:
        >>> cost = ArchitectureCost("m", None, "F", "99_x", (32, 32, 3), 1, 10, 100, True, 400, 32, 10, 100, "native size")
        >>> cut = RecordedRun("incomplete/m", {"model": "m", "test_accuracy": 0.9}, ("training was cut short",))
        >>> results_to_plot([cost], [cut])
        []
    """
    chosen = [recorded_run(c.name, runs) for c in costs]
    return [r for r in chosen if r is not None and r.complete]


def plot_accuracy_vs_macs(costs: Sequence[ArchitectureCost], runs: Sequence[RecordedRun], title: str | None = None) -> None:
    """Draw each complete run's test accuracy against its MACs per image (log axis); bubble area ~ parameters.

    MACs and parameters are those of the trained model as recorded (its input size); one colour per
    dataset, since accuracies on different datasets are not comparable.
    """
    chosen = results_to_plot(costs, runs)
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
        ax.scatter([r.entry["macs_per_image"] for r in mine], [100 * r.entry["test_accuracy"] for r in mine],
                   s=[40 + 1200 * r.entry["parameters"] / biggest for r in mine], color=colour, alpha=0.6,
                   edgecolor="black")
    for i, r in enumerate(sorted(chosen, key=lambda r: r.entry["macs_per_image"])):
        ax.annotate(r.entry.get("model", r.file), (r.entry["macs_per_image"], 100 * r.entry["test_accuracy"]),
                    fontsize=8, xytext=(6, 6 - 14 * (i % 2)), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("MACs per image (log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3)
    handles = [Line2D([], [], marker="o", linestyle="", color=style[d][0], alpha=0.6, label=d) for d in datasets]
    ax.legend(handles=handles, title="dataset\n(bubble area ~\nparameters)", fontsize=8, title_fontsize=8,
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
