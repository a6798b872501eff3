"""Walking a functional graph (:func:`topological_nodes`), Model subclasses built as
``Subclass(inputs, outputs)`` (:func:`make_functional_subclass`), and functional models that
start at intermediate tensors, as Keras allows:
``keras.Model(inputs=encoded_features, outputs=predictions)`` where ``encoded_features`` came
out of other layers (Keras' structured-data tutorial builds its training model on a
FeatureSpace's encoded features this way).

As Keras' ``clone_graph_nodes``, each intermediate input gets a new ``Input`` of the same
shape and dtype (named ``<tensor name>CLONE``), and the layer calls between those inputs and
the outputs are made again on the new tensors: the layers (and their weights) are shared with
the original graph, which stays as it was.
"""

from __future__ import annotations

from kgraph.layers.core.input_layer import Input, InputLayer
from kgraph.tensor import KerasTensor
from kgraph.utils import tree


def is_input_tensor(t) -> bool:
    """Whether ``t`` is a ``kgraph.Input()`` tensor."""
    return (
        isinstance(t, KerasTensor)
        and t._history is not None
        and isinstance(t._history[0], InputLayer)
    )


def check_outputs(outputs) -> None:
    """Keras' error for a model output that is not a symbolic tensor (a string, an array)."""
    for t in tree.flatten(outputs):
        if not isinstance(t, KerasTensor):
            raise ValueError(
                "All `outputs` values must be KerasTensors. Received: "
                f"outputs={outputs} including invalid value {t} of type {type(t)}"
            )


def cut_at_inputs(inputs, outputs):
    """``(inputs, outputs)`` rewired so every input is an ``Input`` tensor (see the module
    docstring); structures (lists, dicts) are kept."""
    for t in tree.flatten(inputs):
        if not isinstance(t, KerasTensor) or t._history is None:
            raise ValueError(
                "All `inputs` values must be KerasTensors produced by kgraph.Input() or by "
                f"layers called on them. Received: inputs={inputs} including invalid value "
                f"{t} of type {type(t)}"
            )
    mapping = {id(t): t if is_input_tensor(t) else _new_input(t) for t in tree.flatten(inputs)}
    for node in topological_nodes(tree.flatten(outputs), frozenset(mapping)):
        if isinstance(node.layer, InputLayer):  # an Input the model does not list: refused later
            continue
        args, kwargs = _mapped((node.args, node.kwargs), mapping)
        replayed = tree.flatten(node.layer(*args, **kwargs))
        for old, new in zip(node.output_tensors, replayed):
            mapping[id(old)] = new
    return _mapped(inputs, mapping), _mapped(outputs, mapping)


def _new_input(t: KerasTensor) -> KerasTensor:
    layer, _, index = t._history
    name = t.name or (layer.name if not index else f"{layer.name}_{index}")
    return Input(batch_shape=tuple(t.shape), dtype=t.dtype, name=f"{name}CLONE")


def topological_nodes(outputs, stop: frozenset[int] = frozenset()) -> list:
    """The layer calls (inputs first) that produce ``outputs``, not looking past tensors whose
    ``id`` is in ``stop``."""
    order, seen = [], set()

    def visit(tensor):
        if id(tensor) in stop:
            return
        if tensor._history is None:
            raise ValueError(
                f"{tensor} was not produced by a layer: a functional model's "
                "outputs must come from layers called on kgraph.Input tensors."
            )
        layer, node_index, _ = tensor._history
        node = layer._inbound_nodes[node_index]
        if id(node) in seen:
            return
        seen.add(id(node))
        for t in node.input_tensors:
            visit(t)
        order.append(node)

    for t in outputs:
        visit(t)
    return order


def _mapped(structure, mapping: dict):
    return tree.map_structure(
        lambda v: mapping.get(id(v), v) if isinstance(v, KerasTensor) else v, structure
    )


def functional_arguments(args, kwargs) -> bool:
    """Keras' test for ``Model(inputs, outputs)``-style constructor arguments."""
    return (
        len(args) == 2
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )


def make_functional_subclass(cls, model, functional) -> None:
    """Makes ``cls`` (a ``model`` subclass given inputs and outputs) a ``functional``
    subclass, as Keras does: ``model`` is replaced by ``functional`` among its bases,
    recursively, so the subclass keeps its own methods (``compute_loss``, ``metrics``) over
    a functional graph."""
    if cls is model or cls is functional or not issubclass(cls, model):
        return
    cls.__bases__ = tuple(functional if base is model else base for base in cls.__bases__)
    for base in cls.__bases__:
        make_functional_subclass(base, model, functional)
