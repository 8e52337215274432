"""The course's one adapter to Keras internals: walking a functional model's graph call by call.

The tracer (:mod:`course_utils.tracing`), the depth count of :mod:`course_utils.comparison` and the
block grader of :mod:`course_utils.checks` follow a model's layer graph: which layer call read which
tensors. Keras 3 has no public API for that, so everything private they touch lives here, in four
small functions, and ``tests/test_keras_internals.py`` runs them on the pinned Keras and on the
oldest Keras the package declares (``keras>=3.3`` in ``pyproject.toml``; ``make test-keras-oldest``).

Private names used: ``Model._functional`` (a Sequential's inner graph), ``Functional._nodes_by_depth``,
``Operation._inbound_nodes``, ``KerasTensor._keras_history`` and the ``Node`` attributes
``operation``, ``is_input``, ``input_tensors``, ``outputs``, ``arguments``.

Example:
    >>> import keras
    >>> x = keras.Input((8, 8, 1)); y = keras.layers.Conv2D(2, 3, name="c")(x)
    >>> [call.layer.name for call in calls(functional_graph(keras.Model(x, y)))]
    ['c']
    >>> producer(y)[0].name, len(producer(y)[1])
    ('c', 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    """One call of a layer in a functional graph: the layer, the symbolic tensors it read and made."""

    layer: Any
    inputs: tuple[Any, ...]
    outputs: tuple[Any, ...]
    node: Any  # Keras' own Node, for :meth:`arguments_with`

    def arguments_with(self, values: Mapping[int, Any]) -> tuple[tuple, dict]:
        """The call's ``(args, kwargs)`` with each input tensor replaced by ``values[id(tensor)]``."""
        return self.node.arguments.fill_in(dict(values))


def functional_graph(model: Any) -> Any | None:
    """Return the functional graph of a model (a Sequential's inner one), or None (subclassed, unbuilt)."""
    graph = model._functional if hasattr(model, "_functional") else model  # a Sequential keeps one inside
    return graph if graph is not None and hasattr(graph, "_nodes_by_depth") else None


def calls(graph: Any) -> list[Call]:
    """Return every layer call of ``graph`` in execution order (a call after the calls it reads).

    Deepest first (Keras numbers depth from the outputs), then in the order of ``graph.operations``,
    then, for a layer called several times, in the order of its calls. Input placeholders are left out.
    """
    order = {id(op): i for i, op in enumerate(graph.operations)}
    nodes = [(depth, node) for depth, depth_nodes in graph._nodes_by_depth.items() for node in depth_nodes]
    nodes.sort(key=lambda dn: (-dn[0], order.get(id(dn[1].operation), 0), dn[1].operation._inbound_nodes.index(dn[1])))
    return [Call(node.operation, tuple(node.input_tensors), tuple(node.outputs), node)
            for _, node in nodes if node.operation is not None and not node.is_input]


def producer(tensor: Any) -> tuple[Any, list[Any], int]:
    """Return ``(layer, the tensors that call read, which of its outputs)`` for a symbolic tensor.

    The node of this very call, even when a layer object is called twice (as Keras' own functional
    models find it). An input placeholder's layer is an ``InputLayer`` that read nothing.
    """
    op, node_index, tensor_index = tensor._keras_history
    return op, list(op._inbound_nodes[node_index].input_tensors), tensor_index
