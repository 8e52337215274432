"""The adapter to Keras internals, on the Keras installed: the pinned one (make test) and the oldest one the
package declares (make test-keras-oldest). The module is loaded by its path, so this file needs Keras only."""

import importlib.util
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "course_utils" / "keras_internals.py"
_SPEC = importlib.util.spec_from_file_location("keras_internals_under_test", _PATH)
ki = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = ki  # a dataclass looks its module up there
_SPEC.loader.exec_module(ki)


def _branching_model():
    """input -> a -> (b, c) -> concat, with `shared` called twice: on b's output, then on c's."""
    x = keras.Input((6, 6, 2), name="x")
    a = keras.layers.Conv2D(3, 1, name="a")(x)
    b = keras.layers.Conv2D(3, 3, padding="same", name="b")(a)
    c = keras.layers.MaxPooling2D(3, 1, padding="same", name="c")(a)
    shared = keras.layers.Conv2D(2, 1, name="shared")
    y = keras.layers.Concatenate(name="cat")([shared(b), shared(c)])
    return keras.Model(x, y), shared


def test_a_sequential_keeps_a_functional_graph_inside():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1"), keras.layers.Dense(2, name="d2")])
    graph = ki.functional_graph(model)
    assert graph is not None
    assert [c.layer.name for c in ki.calls(graph)] == ["d1", "d2"]


def test_a_subclassed_model_has_no_graph():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    assert ki.functional_graph(Tiny()) is None


def test_calls_come_in_execution_order_with_a_shared_layer_called_twice():
    model, shared = _branching_model()
    calls = ki.calls(ki.functional_graph(model))
    names = [c.layer.name for c in calls]
    assert sorted(names) == ["a", "b", "c", "cat", "shared", "shared"]
    position = {id(t): i for i, c in enumerate(calls) for t in c.outputs}
    for i, call in enumerate(calls):  # every call reads only what earlier calls (or the input) made
        assert all(position.get(id(t), -1) < i for t in call.inputs), call.layer.name
    first, second = [c for c in calls if c.layer is shared]
    assert first.inputs[0] is model.get_layer("b").output and second.inputs[0] is model.get_layer("c").output
    assert tuple(first.outputs[0].shape) == (None, 6, 6, 2)


def test_producer_finds_the_call_that_made_a_tensor_even_for_a_shared_layer():
    model, shared = _branching_model()
    cat_layer, cat_inputs, index = ki.producer(model.output)
    assert cat_layer.name == "cat" and index == 0 and len(cat_inputs) == 2
    made_from_b, made_from_c = (ki.producer(t) for t in cat_inputs)
    assert made_from_b[0] is shared and made_from_c[0] is shared
    assert made_from_b[1][0] is model.get_layer("b").output and made_from_c[1][0] is model.get_layer("c").output
    input_layer, read, _ = ki.producer(model.input)
    assert type(input_layer).__name__ == "InputLayer" and read == []


def test_arguments_with_replaces_the_input_tensors():
    model, _ = _branching_model()
    call = next(c for c in ki.calls(ki.functional_graph(model)) if c.layer.name == "b")
    stand_in = np.zeros((1, 6, 6, 3), "float32")
    args, kwargs = call.arguments_with({id(call.inputs[0]): stand_in})
    assert args[0] is stand_in and kwargs == {}
    assert call.layer(*args, **kwargs).shape == (1, 6, 6, 3)


@pytest.mark.parametrize("nested", [False, True])
def test_a_nested_model_is_one_call_of_the_outer_graph(nested):
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, name="inner_dense")], name="inner")
    x = keras.Input((5,))
    y = inner(x) if nested else keras.layers.Dense(3, name="plain")(x)
    calls = ki.calls(ki.functional_graph(keras.Model(x, y)))
    assert [c.layer.name for c in calls] == (["inner"] if nested else ["plain"])
    if nested:
        assert [c.layer.name for c in ki.calls(ki.functional_graph(calls[0].layer))] == ["inner_dense"]
