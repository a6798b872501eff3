"""Shape inference for the backward pass: every value gets its dtype and (symbolic) shape."""

from __future__ import annotations

import onnx_ir as ir

from kgraph.compiler import serde


def ensure_shapes(model: ir.Model | ir.Graph) -> None:
    """Fills in, in place, the dtypes and shapes ONNX shape inference finds.

    Values keep their identity (gradient code holds on to them). A shape is replaced only by one
    that knows more (a static dim for a symbol, a named symbol such as ``batch`` for an unknown
    dim). ``model`` may be a bare graph.
    """
    graph = model.graph if isinstance(model, ir.Model) else model
    wrapper = model if isinstance(model, ir.Model) else serde.to_model(graph)
    inferred = serde.infer_shapes(wrapper).graph
    found = {v.name: v for v in _values(inferred) if v.name}
    for value in _values(graph):
        other = found.get(value.name)
        if other is None:
            continue
        if value.type is None and other.type is not None:
            value.type = other.type
        if other.shape is not None and _more_static(other.shape, value.shape):
            value.shape = other.shape


def _values(graph: ir.Graph):
    """The graph's values, those of its subgraphs (If branches, loop bodies) included."""
    for inner in [graph, *graph.subgraphs()]:
        yield from inner.inputs
        yield from inner.initializers.values()
        for node in inner:
            yield from node.outputs


def _more_static(new: ir.Shape, old: ir.Shape | None) -> bool:
    """Whether ``new`` says more: static dims beat named symbols, which beat unknown dims."""
    if old is None:
        return True
    if len(new) != len(old):
        return False
    return _score(new) > _score(old)


def _score(shape: ir.Shape) -> int:
    return sum(2 if isinstance(d, int) else int(d.value is not None) for d in shape)
