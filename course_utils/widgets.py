"""Interactive explorers (ipywidgets) with a static figure fallback where no widget front end runs.

Each ``*_explorer`` function draws the static figure for its default state first (visible in nbval,
nbconvert HTML and static viewers), then shows the widget. Widget cells are tagged
``nbval-ignore-output`` in the notebooks.
"""

from __future__ import annotations

# <widgets 02_convolution>


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
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle

    from .arithmetic import conv_output_size
    from .scratch import coverage_count

    out = conv_output_size(n, k, s, p, d)  # raises a clear ValueError when the kernel does not fit
    span = d * (k - 1) + 1
    n_pad = n + 2 * p
    grid = np.full((n_pad, n_pad), np.nan)
    grid[p:p + n, p:p + n] = coverage_count(n, k, s, p, d)
    own_figure = ax is None
    if own_figure:
        _, ax = plt.subplots(1, 2, figsize=(9, 4.2), gridspec_kw={"width_ratios": [n_pad, max(out, 1)]})
    left, right = ax
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#bbbbbb")  # padding cells
    image = left.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0)
    plt.colorbar(image, ax=left, fraction=0.046, pad=0.04, label="times covered")
    for shift, color in ((0, "#0072B2"), (s, "#E69F00")):
        if shift + span <= n_pad and (shift == 0 or out > 1):
            for a in range(0, span, d):  # the cells a dilated kernel touches
                for b in range(0, span, d):
                    left.add_patch(Rectangle((shift + b - 0.5, a - 0.5), 1, 1, fill=False, ec=color, lw=2))
    left.set_title(f"input {n} x {n}, padding {p} (grey)\nblue: first window, orange: next (stride {s})", fontsize=9)
    out_grid = np.zeros((out, out))
    out_grid[0, 0] = 1
    if out > 1:
        out_grid[0, 1] = 2
    right.imshow(out_grid, cmap=_output_cmap(), vmin=0, vmax=2)
    right.set_title(f"output {out} x {out}", fontsize=9)
    for axis, size in ((left, n_pad), (right, out)):
        axis.set_xticks(np.arange(-0.5, size, 1), minor=True)
        axis.set_yticks(np.arange(-0.5, size, 1), minor=True)
        if size <= 40:
            axis.grid(which="minor", color="white", lw=0.5)
        axis.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    text = title or f"n={n}, k={k}, s={s}, p={p}, d={d}: output {out} x {out}"
    left.figure.suptitle(text)
    if own_figure:
        plt.tight_layout()
        plt.show()


def _output_cmap():
    from matplotlib.colors import ListedColormap

    return ListedColormap(["#f2f2f2", "#0072B2", "#E69F00"])


def _size_text(n: int, k: int, s: int, p: int, d: int) -> tuple[str, str]:
    """Return (output text, formula text) for the explorer; an impossible setting says why."""
    from .arithmetic import conv_output_size

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
    import ipywidgets as w
    import matplotlib.pyplot as plt

    if show:
        plot_conv_grid(n, k, s, p, d)  # the static fallback
    style = {"description_width": "initial"}
    sliders = {
        "n": w.IntSlider(value=n, min=1, max=64, description="input n", style=style),
        "k": w.IntSlider(value=k, min=1, max=11, description="kernel k", style=style),
        "s": w.IntSlider(value=s, min=1, max=4, description="stride s", style=style),
        "p": w.IntSlider(value=p, min=0, max=5, description="padding p", style=style),
        "d": w.IntSlider(value=d, min=1, max=3, description="dilation d", style=style),
    }
    output_text = w.HTML()
    formula_text = w.HTML()
    figure = w.Output()

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
    update()
    ui = w.VBox([w.HBox([w.VBox(list(sliders.values())), w.VBox([output_text, formula_text])]), figure])
    if show:
        from IPython.display import display

        display(ui)
    return SizeExplorer(ui, sliders, output_text, formula_text)


# <widgets 04_pooling>
