"""Interactive explorers (ipywidgets) with a static figure fallback where no widget front end runs.

Each ``*_explorer`` function draws the static figure for its default state first (visible in nbval,
nbconvert HTML and static viewers), then shows the widget. Widget cells are tagged
``nbval-ignore-output`` in the notebooks.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from . import scratch
from .arithmetic import conv_output_size, pool_output_size

# --- 02_convolution: the convolution explorer ------------------------------------------------

# A small input with a bright right half, and a vertical-edge kernel: the feature map lights up
# where the brightness changes from left to right.
DEMO_IMAGE = np.array(
    [
        [1, 1, 2, 8, 9],
        [0, 1, 1, 9, 8],
        [1, 2, 1, 8, 9],
        [1, 0, 2, 9, 9],
        [2, 1, 1, 8, 8],
    ]
)
DEMO_KERNEL = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])


@dataclass(frozen=True)
class ConvStep:
    """One kernel position of a 2-D convolution: where it is, what it multiplies, and the sum."""

    position: int
    row: int
    col: int
    patch: np.ndarray
    products: np.ndarray
    total: float

    def text(self, kernel: np.ndarray) -> str:
        """The step as one line: ``row 0, column 0: 1*(-1) + 1*0 + ... = 2``."""
        terms = " + ".join(f"{_factor(p)}*{_factor(k)}" for p, k in zip(self.patch.ravel(), np.ravel(kernel)))
        return f"row {self.row}, column {self.col}: {terms} = {_num(self.total)}"


def _num(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.2f}"


def _factor(value: float) -> str:
    """A number as a factor of a product: negative numbers in brackets, ``2*(-1)``."""
    text = _num(value)
    return f"({text})" if text.startswith("-") else text


def _positions(image: np.ndarray, kernel: np.ndarray) -> tuple[int, int]:
    return image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1


def conv_step(image: np.ndarray, kernel: np.ndarray, position: int) -> ConvStep:
    """Return the ``position``-th kernel position (row by row, from 0) of a 'valid' 2-D convolution.

    Example:
        >>> step = conv_step(DEMO_IMAGE, DEMO_KERNEL, 2)
        >>> (step.row, step.col, float(step.total))
        (0, 2, 22.0)
        >>> step.text(DEMO_KERNEL)
        'row 0, column 2: 2*(-1) + 8*0 + 9*1 + 1*(-1) + 9*0 + 8*1 + 1*(-1) + 8*0 + 9*1 = 22'
    """
    image, kernel = np.asarray(image), np.asarray(kernel)
    h_out, w_out = _positions(image, kernel)
    if not 0 <= position < h_out * w_out:
        raise ValueError(f"position must be 0..{h_out * w_out - 1} for a {kernel.shape} kernel on a {image.shape} input, got {position}")
    row, col = divmod(position, w_out)
    patch = image[row:row + kernel.shape[0], col:col + kernel.shape[1]]
    products = patch * kernel
    return ConvStep(position, row, col, patch, products, float(products.sum()))


def _partial_map(image: np.ndarray, kernel: np.ndarray, position: int) -> np.ndarray:
    """The feature map computed up to ``position`` (later positions are NaN: not computed yet)."""
    full = scratch.correlate2d(image, kernel).astype(float)  # one source: the from-scratch op
    flat = full.ravel()
    flat[position + 1:] = np.nan
    return flat.reshape(full.shape)


def draw_conv_step(image: np.ndarray = DEMO_IMAGE, kernel: np.ndarray = DEMO_KERNEL, position: int = 0) -> None:
    """Draw one step of the convolution: input with the kernel window, kernel, products, feature map."""

    image, kernel = np.asarray(image), np.asarray(kernel)
    step = conv_step(image, kernel, position)
    fmap = _partial_map(image, kernel, position)
    panels = [
        ("input (window in orange)", image),
        ("kernel", kernel),
        ("products (window x kernel)", step.products),
        ("feature map so far", fmap),
    ]
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.6), gridspec_kw={"width_ratios": [image.shape[1], kernel.shape[1], kernel.shape[1], fmap.shape[1]]})
    for ax, (title, values) in zip(axes, panels):
        ax.imshow(np.ma.masked_invalid(values), cmap="viridis")
        for (i, j), v in np.ndenumerate(values):
            if not np.isnan(v):
                ax.text(j, i, _num(v), ha="center", va="center", color="white", fontsize=10,
                        bbox={"facecolor": "black", "alpha": 0.35, "pad": 1, "edgecolor": "none"})
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(values.shape[1]))
        ax.set_yticks(range(values.shape[0]))
        ax.set_xlabel("column")
    axes[0].set_ylabel("row")
    kh, kw = kernel.shape
    axes[0].add_patch(Rectangle((step.col - 0.5, step.row - 0.5), kw, kh, fill=False, edgecolor="#E69F00", linewidth=3))
    axes[3].add_patch(Rectangle((step.col - 0.5, step.row - 0.5), 1, 1, fill=False, edgecolor="#E69F00", linewidth=3))
    n = fmap.size
    fig.suptitle(f"position {position} of 0..{n - 1}: sum of products = {_num(step.total)}")
    fig.tight_layout()
    plt.show()


def _html_grid(values: np.ndarray, highlight: set[tuple[int, int]], caption: str) -> str:
    cells = []
    for i in range(values.shape[0]):
        row = []
        for j in range(values.shape[1]):
            v = values[i, j]
            style = "background:#E69F00;font-weight:bold;" if (i, j) in highlight else ""
            row.append(f'<td style="{style}border:1px solid #999;padding:2px 6px;min-width:1.6em;height:1.5em;'
                       f'text-align:right">{"&nbsp;" if np.isnan(v) else _num(v)}</td>')
        cells.append("<tr>" + "".join(row) + "</tr>")
    return (f'<table style="display:inline-table;margin-right:18px;border-collapse:collapse">'
            f'<caption style="white-space:nowrap">{html.escape(caption)}</caption>{"".join(cells)}</table>')


def conv_step_html(image: np.ndarray, kernel: np.ndarray, position: int) -> str:
    """HTML for one step: input (window highlighted), kernel, products, the feature map so far, the sum."""
    image, kernel = np.asarray(image), np.asarray(kernel)
    step = conv_step(image, kernel, position)
    kh, kw = kernel.shape
    window = {(step.row + i, step.col + j) for i in range(kh) for j in range(kw)}
    grids = [
        _html_grid(image.astype(float), window, "input"),
        _html_grid(kernel.astype(float), set(), "kernel"),
        _html_grid(step.products.astype(float), set(), "products"),
        _html_grid(_partial_map(image, kernel, position), {(step.row, step.col)}, "feature map so far"),
    ]
    line = html.escape(step.text(kernel))
    return (f"<div>{''.join(grids)}</div>"
            f'<p class="conv-step">products and sum at position {position}: <code>{line}</code></p>')


def convolution_explorer(
    image: np.ndarray = DEMO_IMAGE,
    kernel: np.ndarray = DEMO_KERNEL,
    position: int = 0,
    show: bool = True,
):
    """Explore a 2-D convolution step by step: a slider moves the kernel; products and sum update.

    First draws the static figure of ``position`` (what nbval and static viewers show), then
    displays the widget: a "position" slider (with a play button) and an HTML panel with the
    window, the products and their sum. Returns the widget box (``show=False``: build it only).

    Usage in a notebook (tag the cell ``nbval-ignore-output``)::

        explorer = course_utils.widgets.convolution_explorer()
    """
    image, kernel = np.asarray(image), np.asarray(kernel)
    h_out, w_out = _positions(image, kernel)
    last = h_out * w_out - 1
    if show:
        draw_conv_step(image, kernel, position)  # the static fallback: visible without a widget front end
    slider = widgets.IntSlider(value=position, min=0, max=last, step=1, description="position",
                               continuous_update=True)
    play = widgets.Play(value=position, min=0, max=last, step=1, interval=900, description="play")
    widgets.jslink((play, "value"), (slider, "value"))
    panel = widgets.HTML(value=conv_step_html(image, kernel, position))

    def update(change) -> None:
        panel.value = conv_step_html(image, kernel, change["new"])

    slider.observe(update, names="value")
    box = widgets.VBox([widgets.HBox([play, slider]), panel])
    if show:
        from IPython.display import display

        display(box)
    return box


# --- 03_padding_and_stride: the output-size explorer ------------------------------------------
def plot_conv_grid(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, title: str | None = None, ax=None) -> None:
    """Draw the n x n input padded by p, coloured by kernel coverage, and the output grid beside it.

    The first kernel position is outlined in blue and the next one (one stride to the right) in
    orange; padding cells are grey. The title gives the output size from
    :func:`course_utils.arithmetic.conv_output_size`. Draws on ``ax`` (a pair of axes) when given,
    else shows a new figure.

    Usage::

        plot_conv_grid(7, 3, s=2, p=1)
    """
    out = conv_output_size(n, k, s, p, d)  # raises a clear ValueError when the kernel does not fit
    span = d * (k - 1) + 1
    n_pad = n + 2 * p
    grid = np.full((n_pad, n_pad), np.nan)
    grid[p:p + n, p:p + n] = scratch.coverage_count(n, k, s, p, d)
    own_figure = ax is None
    if own_figure:
        _, ax = plt.subplots(1, 2, figsize=(9, 4.2), gridspec_kw={"width_ratios": [n_pad, max(out, 1)]})
    left, right = ax
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#bbbbbb")  # padding cells
    image = left.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0)
    plt.colorbar(image, ax=left, fraction=0.046, pad=0.04, label="times covered")
    for shift, color, inset, style in ((s, "#E69F00", 0.15, "--"), (0, "#0072B2", 0.0, "-")):
        if shift == 0 or out > 1:
            left.add_patch(Rectangle((shift - 0.5 + inset, -0.5 + inset), span - 2 * inset, span - 2 * inset,
                                     fill=False, ec=color, lw=2.5, ls=style))
            touched = np.arange(0, span, d)  # the cells a dilated kernel touches
            xs, ys = np.meshgrid(shift + touched, touched)
            left.plot(xs.ravel(), ys.ravel(), "o", color=color, ms=max(2, 60 / n_pad))
    left.set_title(f"input {n} x {n}, padding {p} (grey)\nblue: first window, orange: next (stride {s}), dots: kernel taps", fontsize=9)
    out_grid = np.zeros((out, out))
    out_grid[0, 0] = 1
    if out > 1:
        out_grid[0, 1] = 2
    right.imshow(out_grid, cmap=_output_cmap(), vmin=0, vmax=2)
    right.set_title(f"output {out} x {out}", fontsize=9)
    for axis, size in ((left, n_pad), (right, out)):
        if size <= 24:  # cell borders only where cells are big enough to see
            axis.set_xticks(np.arange(-0.5, size, 1), minor=True)
            axis.set_yticks(np.arange(-0.5, size, 1), minor=True)
            axis.grid(which="minor", color="white", lw=0.5)
        axis.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    text = title or f"n={n}, k={k}, s={s}, p={p}, d={d}: output {out} x {out}"
    left.figure.suptitle(text)
    if own_figure:
        plt.tight_layout()
        plt.show()


def plot_coverage(maps: dict, title: str) -> None:
    """Show coverage maps (from :func:`course_utils.scratch.coverage_count`) side by side, counts written in.

    ``maps`` maps a panel title to an n x n integer array. One colour scale for all panels.

    Usage::

        plot_coverage({"no padding": scratch.coverage_count(8, 3), "padding 1": scratch.coverage_count(8, 3, p=1)}, "3 x 3 kernel")
    """
    top = max(int(np.max(m)) for m in maps.values())
    fig, axes = plt.subplots(1, len(maps), figsize=(3.6 * len(maps), 3.6), squeeze=False)
    for ax, (name, counts) in zip(axes[0], maps.items()):
        image = ax.imshow(counts, cmap="viridis", vmin=0, vmax=top)
        if counts.shape[0] <= 12:
            for (i, j), v in np.ndenumerate(counts):
                ax.text(j, i, str(v), ha="center", va="center", fontsize=8, color="white" if v < top / 2 else "black")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("column")
        ax.set_ylabel("row")
    fig.colorbar(image, ax=list(axes[0]), label="times covered by the kernel", shrink=0.8)
    fig.suptitle(title)
    plt.show()


def _output_cmap():
    return ListedColormap(["#f2f2f2", "#0072B2", "#E69F00"])


def _size_text(n: int, k: int, s: int, p: int, d: int) -> tuple[str, str]:
    """Return (output text, formula text) for the explorer; an impossible setting says why."""

    try:
        out = conv_output_size(n, k, s, p, d)
    except ValueError as error:
        return "output: none", f"{error}"
    formula = f"floor(({n} + 2*{p} - {d}*({k}-1) - 1) / {s}) + 1 = {out}"
    return f"output: {out} x {out}", formula


class SizeExplorer:
    """The explorer's parts: ``ui`` (the widget box), ``sliders`` by name, the output-size text."""

    def __init__(self, ui, sliders: dict, output_text, formula_text) -> None:
        self.ui, self.sliders, self.output_text, self.formula_text = ui, sliders, output_text, formula_text

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.ui)


def padding_stride_explorer(n: int = 32, k: int = 5, s: int = 1, p: int = 0, d: int = 1,
                            show: bool = True) -> SizeExplorer:
    """Explore ``conv_output_size``: sliders for n, k, s, p and dilation d; the output size and the grid.

    With ``show=True`` it first draws the static figure for the starting values (what nbval, HTML
    exports and static viewers see), then displays the widgets; moving a slider updates the text
    ``output: H x W``, the formula and the grid. Without a widget front end it still builds.

    Usage::

        explorer = padding_stride_explorer(n=32, k=5)     # LeNet C1: output 28 x 28
        explorer.sliders["p"].value = 2                    # 'same' for k=5: output 32 x 32
    """
    if show:
        plot_conv_grid(n, k, s, p, d)  # the static fallback
    style = {"description_width": "initial"}
    sliders = {
        "n": widgets.IntSlider(value=n, min=1, max=256, description="input n", style=style),
        "k": widgets.IntSlider(value=k, min=1, max=11, description="kernel k", style=style),
        "s": widgets.IntSlider(value=s, min=1, max=4, description="stride s", style=style),
        "p": widgets.IntSlider(value=p, min=0, max=5, description="padding p", style=style),
        "d": widgets.IntSlider(value=d, min=1, max=3, description="dilation d", style=style),
    }
    output_text = widgets.HTML()
    formula_text = widgets.HTML()
    figure = widgets.Output()

    def update(_change=None) -> None:
        values = {name: slider.value for name, slider in sliders.items()}
        size, formula = _size_text(**values)
        output_text.value = size
        formula_text.value = formula
        if not show:
            return
        with figure:
            figure.clear_output(wait=True)
            if size != "output: none":
                plot_conv_grid(**values)
            else:
                plt.close("all")

    for slider in sliders.values():
        slider.observe(update, names="value")
    # text only at the start: the static figure above already shows the starting grid (no duplicate)
    output_text.value, formula_text.value = _size_text(**{name: sl.value for name, sl in sliders.items()})
    ui = widgets.VBox([widgets.HBox([widgets.VBox(list(sliders.values())), widgets.VBox([output_text, formula_text])]), figure])
    if show:
        from IPython.display import display

        display(ui)
    return SizeExplorer(ui, sliders, output_text, formula_text)


# --- 04_pooling: the pooling explorer --------------------------------------------------------
def plot_pooling(image, pool: int = 2, stride: int | None = None, padding: str = "valid") -> None:
    """Show a grey H x W image (values in [0, 1]) next to its max- and average-pooled versions.

    Uses :func:`course_utils.scratch.max_pool2d` and :func:`course_utils.scratch.avg_pool2d`; the
    titles give the output sizes.

    Usage::

        plot_pooling(photo, pool=3, stride=2)          # AlexNet's overlapping pooling
    """
    x = np.asarray(image, dtype="float32")[None, ..., None]
    pooled = {"max": scratch.max_pool2d(x, pool, stride, padding)[0, ..., 0], "average": scratch.avg_pool2d(x, pool, stride, padding)[0, ..., 0]}
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.3))
    panels = [(f"input {x.shape[1]} x {x.shape[2]}", x[0, ..., 0])]
    panels += [(f"{name} pool: {p.shape[0]} x {p.shape[1]}", p) for name, p in pooled.items()]
    for ax, (title, img) in zip(axes, panels):
        ax.imshow(img, cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.suptitle(f"pool {pool} x {pool}, stride {stride or pool}, padding '{padding}'")
    fig.tight_layout()
    plt.show()


def _pool_text(n_h: int, n_w: int, pool: int, stride: int, padding: str) -> tuple[str, str]:
    try:
        h, w = pool_output_size(n_h, pool, stride, padding), pool_output_size(n_w, pool, stride, padding)
    except ValueError as error:
        return "output: none", str(error)
    if padding == "same":
        return f"output: {h} x {w}", f"ceil({n_h} / {stride}) = {h}, ceil({n_w} / {stride}) = {w}"
    return f"output: {h} x {w}", f"floor(({n_h} - {pool}) / {stride}) + 1 = {h}, floor(({n_w} - {pool}) / {stride}) + 1 = {w}"


def pooling_explorer(image, pool: int = 2, stride: int = 2, padding: str = "valid", show: bool = True) -> SizeExplorer:
    """Explore pooling on a grey image: sliders for window and stride, a padding choice; sizes and images.

    Draws the static figure first (the fallback without a widget front end), then the widgets; the
    text ``output: H x W`` follows the sliders.

    Usage::

        explorer = pooling_explorer(photo)                 # 128 x 128 -> output: 64 x 64
        explorer.sliders["pool"].value = 3                 # overlapping 3/2
    """
    image = np.asarray(image, dtype="float32")
    if image.ndim != 2:
        raise ValueError(f"pooling_explorer needs one grey H x W image, got shape {image.shape}; pass image[..., 0]")
    if show:
        plot_pooling(image, pool, stride, padding)  # the static fallback
    style = {"description_width": "initial"}
    sliders = {
        "pool": widgets.IntSlider(value=pool, min=1, max=8, description="window", style=style),
        "stride": widgets.IntSlider(value=stride, min=1, max=8, description="stride", style=style),
        "padding": widgets.ToggleButtons(value=padding, options=["valid", "same"], description="padding", style=style),
    }
    output_text, formula_text, figure = widgets.HTML(), widgets.HTML(), widgets.Output()

    def update(_change=None) -> None:
        values = {name: control.value for name, control in sliders.items()}
        output_text.value, formula_text.value = _pool_text(*image.shape, **values)
        if show and output_text.value != "output: none":
            with figure:
                figure.clear_output(wait=True)
                plot_pooling(image, **values)

    for control in sliders.values():
        control.observe(update, names="value")
    # text only at the start: the static figure above already shows the starting state (no duplicate)
    output_text.value, formula_text.value = _pool_text(*image.shape, **{k: c.value for k, c in sliders.items()})
    ui = widgets.VBox([widgets.HBox([widgets.VBox(list(sliders.values())), widgets.VBox([output_text, formula_text])]), figure])
    if show:
        from IPython.display import display

        display(ui)
    return SizeExplorer(ui, sliders, output_text, formula_text)
