"""Figures: distinct styles for any number of runs, and the per-layer cost chart's bars read back."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import pytest

from course_utils import models, plotting, tracing

# Modern LeNet-5 (the classic-models tutorial) worked by hand: parameters (k*k*c_in + 1) * c_out and (n_in + 1) * n_out;
# MACs = output positions * filters * k*k*c_in, and n_in * n_out for dense layers.
LENET_MODERN_COSTS = {
    "C1": (156, 28 * 28 * 6 * 25),
    "C3": (2_416, 10 * 10 * 16 * 150),
    "C5": (48_120, 120 * 400),
    "F6": (10_164, 120 * 84),
    "logits": (850, 84 * 10),
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _bars(ax, horizontal=False):
    """Return {tick label: bar value} for the bars of ``ax`` (read from the BarContainer, not the input)."""
    labels = [t.get_text() for t in (ax.get_yticklabels() if horizontal else ax.get_xticklabels())]
    values = {}
    for container in ax.containers:
        for patch in container.patches:
            if horizontal:
                position, value = patch.get_y() + patch.get_height() / 2, patch.get_width()
            else:
                position, value = patch.get_x() + patch.get_width() / 2, patch.get_height()
            values[labels[round(position)]] = value
    return values


def test_twelve_runs_get_twelve_distinct_styles():
    histories = {f"run {i}": {"accuracy": [0.1, 0.2 + i / 100], "val_accuracy": [0.1, 0.15]} for i in range(12)}
    plotting.plot_history(histories, metrics=("accuracy",))
    ax = plt.gcf().axes[0]
    train = [line for line in ax.get_lines() if line.get_label().endswith(" train")]
    assert len(train) == 12
    assert len({(line.get_color(), line.get_marker()) for line in train}) == 12
    # validation curves keep their run's colour and marker, dashed
    for i in range(12):
        [t] = [line for line in ax.get_lines() if line.get_label() == f"run {i} train"]
        [v] = [line for line in ax.get_lines() if line.get_label() == f"run {i} validation"]
        assert (v.get_color(), v.get_marker(), v.get_linestyle()) == (t.get_color(), t.get_marker(), "--")


def test_run_styles_stay_distinct_beyond_the_palette():
    assert plotting.run_styles(3) == [("#0072B2", "o"), ("#E69F00", "o"), ("#009E73", "o")]
    for n in (8, 9, 64, 65, 200):
        assert len(set(plotting.run_styles(n))) == n, n


def test_layer_cost_bars_equal_the_trace_and_the_hand_counts():
    trace = tracing.trace(models.lenet5_modern())
    plotting.plot_layer_costs(trace)
    params_ax, macs_ax = plt.gcf().axes[:2]
    params, macs = _bars(params_ax), _bars(macs_ax)
    # pooling, flatten, softmax and the input have neither parameters nor MACs: skipped
    assert list(params) == list(LENET_MODERN_COSTS)
    assert params == {name: p for name, (p, _) in LENET_MODERN_COSTS.items()}
    assert macs == {name: m for name, (_, m) in LENET_MODERN_COSTS.items()}
    assert params == {name: trace.row(name).params for name in params}
    assert macs == {name: trace.row(name).macs for name in macs}


def test_layer_costs_of_a_model_filtered_by_type_and_horizontal():
    plotting.plot_layer_costs(models.lenet5_modern(), types=("Dense",), horizontal=True, log=True)
    params_ax, macs_ax = plt.gcf().axes[:2]
    assert _bars(params_ax, horizontal=True) == {"F6": 10_164, "logits": 850}
    assert _bars(macs_ax, horizontal=True) == {"F6": 120 * 84, "logits": 84 * 10}
    assert params_ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="no layers to draw"):
        plotting.plot_layer_costs(models.lenet5_modern(), types=("LSTM",))


def test_unknown_macs_are_hatched_not_zero():
    rows = [
        SimpleNamespace(name="conv", type="Conv2D", params=10, macs=100),
        SimpleNamespace(name="mystery", type="Mystery", params=0, macs=None),
        SimpleNamespace(name="pool", type="MaxPooling2D", params=0, macs=0),
        SimpleNamespace(name="fc", type="Dense", params=1_000, macs=1_000),
    ]
    plotting.plot_layer_costs(SimpleNamespace(model_name="toy", rows=rows))
    fig = plt.gcf()
    params_ax, macs_ax = fig.axes[:2]
    assert [t.get_text() for t in macs_ax.get_xticklabels()] == ["conv", "mystery", "fc"]  # pool: skipped
    assert _bars(macs_ax) == {"conv": 100, "fc": 1_000}  # no bar of height 0 for the unknown layer
    assert _bars(params_ax) == {"conv": 10, "mystery": 0, "fc": 1_000}
    hatched = [p for p in macs_ax.patches if p.get_hatch() == "//"]
    assert len(hatched) == 1
    assert [t.get_text() for t in macs_ax.texts] == ["?"]
    assert "lower bound" in fig._suptitle.get_text()
    plotting.plot_layer_costs(SimpleNamespace(model_name="toy", rows=rows), skip_empty=False)
    assert [t.get_text() for t in plt.gcf().axes[1].get_xticklabels()] == ["conv", "mystery", "pool", "fc"]
