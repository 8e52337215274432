"""Notebook 12's comparison: traced costs against published figures and hand counts, recorded runs kept
apart from runs that are not results, speeds from real SGD steps, and the exercises against the tracer."""

import json

import keras
import numpy as np
import pytest

from course_utils import comparison, results, tracing
from course_utils.exercises import grade
from course_utils.exercises import nb12_model_comparison as nb12
from course_utils.models import model_info
from course_utils.models.registry import ModelInfo


def _fake(name, builder, input_shape=(32, 32, 3), year=None, notebook="99_fake"):
    """A ModelInfo that is not in the registry (the registry stays as the course has it)."""
    return ModelInfo(name, year, "Fake", builder, input_shape, notebook, "a test model")


def _tiny(input_shape=(32, 32, 3), name="tiny"):
    x = keras.Input(input_shape)
    y = keras.layers.Conv2D(4, 3, name="c1")(x)
    y = keras.layers.GlobalAveragePooling2D()(y)
    return keras.Model(x, keras.layers.Dense(3, name="out")(y), name=name)


def _needs_64(input_shape=(64, 64, 3)):
    x = keras.Input(input_shape)
    y = keras.layers.Conv2D(2, 40, name="huge")(x)  # a 40 x 40 kernel: no output on a 32 x 32 input
    return keras.Model(x, keras.layers.Flatten()(y), name="needs_64")


# --- depth: the papers' counts, and a hand-counted branching network ---------------------------------


@pytest.mark.parametrize("name, depth", [("lenet5_classic", 5), ("lenet5_modern", 5), ("alexnet_paper", 8),
                                         ("vgg16", 16), ("vgg19", 19)])
def test_depth_column_counts_layers_with_a_kernel(name, depth):
    assert comparison.architecture_cost(model_info(name)).depth == depth


def test_each_papers_own_depth_is_reproduced_by_its_rule_or_said_not_to_be():
    table = comparison.published_depth_table()
    rows = {row[0]: dict(zip(table.header, row)) for row in table.rows}
    assert rows["lenet5_classic"]["paper's count"] == "7" and rows["lenet5_classic"]["depth column"] == "5"
    for name in ("lenet5_classic", "alexnet_paper", "vgg16", "vgg19", "googlenet"):
        assert rows[name]["rule reproduces the paper"] == "yes", name
    assert rows["inception_v3"]["rule reproduces the paper"].startswith("no: ")  # the paper's 42 is not ours
    assert all(row["source"] for row in rows.values())


def test_lenet_rule_counts_subsampling_and_the_fixed_rbf_output():
    model = model_info("lenet5_classic").build()
    counted = [layer.name for layer in model.layers if comparison.has_weights(layer)]
    assert counted == ["C1", "S2", "C3", "S4", "C5", "F6", "output"]


def _branching(nested: bool):
    x = keras.Input((16, 16, 8))
    stem = keras.layers.Conv2D(8, 3, padding="same")(keras.layers.Conv2D(8, 3, padding="same")(x))
    a = keras.layers.Conv2D(4, 1)(stem)                                                    # 1 weight layer
    b = keras.layers.Conv2D(4, 3, padding="same")(keras.layers.Conv2D(4, 1)(stem))        # 2
    c = keras.layers.Conv2D(4, 1)(keras.layers.MaxPooling2D(3, 1, padding="same")(stem))  # 1
    module = keras.layers.Concatenate()([a, b, c])
    if nested:  # the same three branches again, inside a sub-model
        inner_in = keras.Input((16, 16, 12))
        inner = keras.Model(inner_in, keras.layers.Conv2D(4, 3, padding="same")(keras.layers.Conv2D(4, 1)(inner_in)))
        module = inner(module)
    y = keras.layers.BatchNormalization()(module)
    return keras.Model(x, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(y)))


def test_depth_takes_the_longest_path_and_follows_nested_models():
    assert comparison.weight_layer_depth(_branching(nested=False)) == 2 + 2 + 1  # stem, longest branch, dense
    assert comparison.weight_layer_depth(_branching(nested=True)) == 2 + 2 + 2 + 1


def test_weight_layers_are_those_with_a_matrix_or_kernel():
    dense, norm = keras.layers.Dense(3), keras.layers.BatchNormalization()
    dense.build((None, 4))
    norm.build((None, 4))
    assert (comparison.is_weight_layer(dense), comparison.is_weight_layer(norm)) == (True, False)


# --- costs: shapes-only builds give the published counts; 32 x 32 or why not -------------------------


def test_paper_models_are_traced_without_their_weights():
    model = comparison.build_shapes_only(model_info("vgg16"))
    try:
        assert model.count_params() == 138_357_544  # Simonyan and Zisserman 2015, Table 2 (138 M); Keras' VGG16
        assert all(v._value is None for v in model.weights)  # shapes only: no 553 MB of float32 weights
    finally:
        keras.backend.clear_session()


def test_vgg_costs_at_both_sizes_equal_the_layer_formulas():
    cost = comparison.architecture_cost(model_info("vgg16"))
    assert (cost.macs, cost.macs_at_side, cost.note_at_side) == (nb12.vgg_macs("D", 224), nb12.vgg_macs("D", 32), "")
    assert cost.parameters_at_side == 14_714_688 + (512 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    assert cost.activation_bytes == tracing.trace(comparison.build_shapes_only(model_info("vgg16"))).activation_bytes
    keras.backend.clear_session()


def test_a_model_that_resizes_inside_says_so():
    cost = comparison.architecture_cost(model_info("alexnet_paper"))
    assert (cost.year, cost.parameters, cost.macs_at_side) == (2012, 62_378_344, cost.macs)
    assert cost.note_at_side == "resizes to 227 x 227 inside"


def test_a_model_that_cannot_take_32_says_why():
    cost = comparison.architecture_cost(_fake("needs_64", _needs_64, (64, 64, 3)))
    assert cost.macs == 25 * 25 * 2 * 40 * 40 * 3  # hand count: 25 x 25 positions, 2 filters, 40*40*3 weights each
    assert (cost.macs_at_side, cost.parameters_at_side) == (None, None)
    assert cost.note_at_side.startswith("does not build: ")
    table = comparison.comparison_table([cost], costs_only=True)
    assert table.rows[0][table.header.index("MACs at 32 x 32")] == "does not build (see below)"
    assert table.notes[-1] == f"needs_64 at 32 x 32: {cost.note_at_side}"


# --- recorded runs: results and runs that are not results never mix ------------------------------------


def _write(folder, name, **fields):
    entry = {"schema_version": 2, "name": name, "model": name, "dataset": "cifar10", "train_size": 100,
             "test_size": 50, "epochs": 1, "batch_size": 10, "test_accuracy": 0.5, "train_seconds": 12.0,
             "images_per_second": 8.3, "parameters": 10, "macs_per_image": 100, "macs_complete": True,
             "data_source": "real file", "interrupted": False, "stop_reason": None}
    entry.update(fields)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(entry))


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    folder = tmp_path / "smoke"
    _write(folder, "done", test_accuracy=0.625, train_seconds=42.0)
    _write(folder / results.INCOMPLETE, "done", test_accuracy=0.99, interrupted=True, stop_reason="interrupted")
    _write(folder / results.INCOMPLETE, "cut", test_accuracy=0.7, interrupted=True, stop_reason="time budget")
    _write(folder / results.INCOMPLETE, "fake_data", test_accuracy=0.8, data_source="synthetic stand-in")
    return comparison.recorded_runs("smoke")


def _cost(name):
    return comparison.ArchitectureCost(name, None, "Fake", "99_fake", (32, 32, 3), 1, 10, 100, True, 400, 32, 10, 100,
                                       "native size")


def test_recorded_runs_mark_what_is_not_a_result(recorded):
    by_file = {r.file: r.complete for r in recorded}
    assert by_file == {"done": True, "incomplete/done": False, "incomplete/cut": False, "incomplete/fake_data": False}


def test_runs_table_puts_each_accuracy_beside_its_own_model_size(recorded):
    table = comparison.runs_table(recorded, profile="smoke")
    rows = {row[0]: dict(zip(table.header, row)) for row in table.rows}
    done = rows["done"]
    assert (done["test accuracy"], done["dataset (data)"], done["training s"], done["status"]) == (
        "62.5 %", "cifar10 (real file)", "42", "result")
    assert (done["parameters"], done["MACs/image"]) == ("10", "100")  # as recorded with the run, not the registry's
    assert done["± 2 s.e."] == f"{100 * 2 * np.sqrt(0.625 * 0.375 / 50):.1f}"
    assert done["images seen"] == f"~{round(8.3 * 42.0):,}"  # not recorded: from its speed and time
    assert (rows["incomplete/cut"]["test accuracy"], rows["incomplete/cut"]["status"]) == (
        "-", "not a result: training was cut short (time budget)")
    assert rows["incomplete/fake_data"]["status"] == "not a result: it trained on a synthetic stand-in, not the real data"
    assert "62.5 %" in str(table) and "62.5 %" in table._repr_html_()


def test_runs_table_reads_width_heads_and_images_seen(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    _write(tmp_path / "smoke", "reader", dataset="captcha", images_seen=640, extra={
        "width": 0.125, "head_test_accuracy": {"h1": 0.9, "h2": 0.8}})
    row = dict(zip(comparison.RUN_COLUMNS, comparison.runs_table(comparison.recorded_runs("smoke")).rows[0]))
    assert (row["width"], row["test accuracy"], row["images seen"]) == ("0.125", "50.0 % (all 2 heads right)", "640")


def test_architecture_table_has_no_accuracy():
    table = comparison.comparison_table([_cost("done")])
    assert "test accuracy" not in table.header and "train img/s now" in table.header


def test_only_complete_runs_are_plotted(recorded):
    assert [r.file for r in comparison.results_to_plot(recorded)] == ["done"]


def test_figures_draw(recorded, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(len(plt.gcf().axes)))
    costs = [_cost("done"), comparison.architecture_cost(model_info("lenet5_classic"))]
    comparison.plot_accuracy_vs_macs(recorded)
    comparison.plot_costs(costs)
    comparison.plot_timeline(costs)
    assert shown == [1, 2, 1]
    plt.close("all")


# --- training speed: real SGD steps, at 32 x 32 or (full profile) at the native size -------------------


def test_speed_runs_sgd_steps_that_change_the_weights():
    built = []

    def builder(input_shape=(40, 40, 3)):
        built.append(_tiny(input_shape))
        built[-1].start = [w.copy() for w in built[-1].get_weights()]
        return built[-1]

    speed = comparison.training_speed(_fake("tiny", builder, (40, 40, 3)), side=None, batch_size=4, seconds=0.05)
    assert (speed.input_shape, speed.batch_size, speed.note) == ((40, 40, 3), 4, "")  # the full profile: native size
    assert isinstance(speed.images_per_second, float) and speed.images_per_second > 0
    assert any(not np.array_equal(a, b) for a, b in zip(built[-1].start, built[-1].get_weights()))


def test_speed_of_a_model_with_several_outputs_and_one_too_small_for_32():
    def two_heads(input_shape=(32, 32, 3)):
        x = keras.Input(input_shape)
        y = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(x))
        return keras.Model(x, [keras.layers.Dense(3)(y), keras.layers.Dense(5)(y)])

    assert comparison.training_speed(_fake("two", two_heads), batch_size=2, seconds=0.05).input_shape == (32, 32, 3)
    fallback = comparison.training_speed(_fake("needs_64", _needs_64, (64, 64, 3)), batch_size=2, seconds=0.05)
    assert fallback.input_shape == (64, 64, 3)  # timed at its native size instead
    assert "(at 64 x 64)" in comparison.speed_text(fallback, 32)


def test_models_over_the_parameter_limit_are_not_timed():
    infos = [_fake("tiny", _tiny), _fake("needs_64", _needs_64, (64, 64, 3))]
    limit = _tiny().count_params()  # 4*(3*3*3+1) + 3*(4+1) = 127: the tiny model is timed, the other one is not
    speeds = comparison.training_speeds(infos, batch_size=2, seconds=0.05, max_parameters=limit)
    assert limit == 127
    assert speeds["tiny"].images_per_second is not None
    assert (speeds["needs_64"].images_per_second, speeds["needs_64"].note) == (None, "not timed: over 127 parameters")
    # counts given by the traced costs are used as they are: here a made-up count puts the tiny model over the limit
    costs = [comparison.ArchitectureCost("tiny", None, "Fake", "99_fake", (32, 32, 3), 2, 10**6, 1, True, 1, 32, 1, 1, "")]
    speeds = comparison.training_speeds(infos[:1], batch_size=2, seconds=0.05, max_parameters=limit, costs=costs)
    assert speeds["tiny"].note == "not timed: over 127 parameters"


# --- the exercises, against the tracer and Keras ---------------------------------------------------------


def test_exercise_answers_agree_with_the_tracer_and_keras():
    x = keras.Input((16, 16, 128))
    separable = tracing.trace(keras.Model(x, keras.layers.SeparableConv2D(128, 3, padding="same")(x)))
    assert grade("12.1", separable.total_macs)[0]

    x = keras.Input((8, 8, 32))
    path = keras.layers.Conv2D(64, 3, padding="same")(keras.layers.Conv2D(64, 3, padding="same")(x))
    block = keras.Model(x, keras.layers.Add()([path, keras.layers.Conv2D(64, 1)(x)]))
    assert grade("12.2", block.count_params())[0]

    vgg19_64 = comparison.build_shapes_only(model_info("vgg19"), input_shape=(64, 64, 3))
    assert grade("12.3", tracing.trace(vgg19_64).total_macs)[0]
    keras.backend.clear_session()

    x = keras.Input((32, 32, 3))
    y = keras.layers.Conv2D(8, 3, padding="same")(keras.layers.Conv2D(8, 3, padding="same")(x))
    for _ in range(3):
        y = keras.layers.Concatenate()([
            keras.layers.Conv2D(4, 1)(y),
            keras.layers.Conv2D(4, 3, padding="same")(keras.layers.Conv2D(4, 1)(y)),
            keras.layers.Conv2D(4, 5, padding="same")(keras.layers.Conv2D(4, 1)(y)),
            keras.layers.Conv2D(4, 1)(keras.layers.MaxPooling2D(3, 1, padding="same")(y)),
        ])
    net = keras.Model(x, keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(y)))
    assert grade("12.4", comparison.weight_layer_depth(net))[0]


def test_vgg19_macs_match_the_published_figure():
    # He et al. 2016 (Deep residual learning, sec. 3.3): VGG-19 has 19.6 billion FLOPs (multiply-adds) at 224 x 224
    assert round(nb12.vgg_macs("E", 224) / 1e9, 1) == 19.6
    assert round(comparison.architecture_cost(model_info("vgg19")).macs / 1e9, 1) == 19.6
