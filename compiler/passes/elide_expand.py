"""Drops an ``Expand`` whose reader broadcasts anyway: ``Mul(Expand(d, s), u)`` → ``Mul(d, u)``
when ``u`` already has the Expand's output shape.

Reduction gradients come out as ``Expand`` (``ReduceMean``'s is the mean cotangent spread over
the input's shape), and in a BatchNormalization backward graph each one is read only by
element-wise ops (``Mul`` by the centred input, the ``Sum`` that accumulates the input's
gradient) whose other operand is already full-sized. The Expand then writes a whole activation
that the reader could have broadcast itself: two of the ~20 full-tensor passes of each
BatchNormalization in a training step. The result is the same value: the reader's output shape
is ``broadcast(d, u) = broadcast(d, broadcast(d, s)) = shape(u)``.

Shapes must be known (static or the same named symbolic dims) on the Expand's output and on the
other operand; Expands without that are kept.
"""

from __future__ import annotations

import onnx_ir as ir

#: Element-wise ops with numpy (multidirectional) broadcasting of every input.
BROADCASTING = frozenset({"Add", "Sub", "Mul", "Div", "Sum", "Max", "Min", "Where"})


def _known(shape: ir.Shape | None) -> tuple | None:
    """The dims as comparable values, or None if any is unknown (unnamed)."""
    if shape is None:
        return None
    dims = []
    for dim in shape:
        value = dim if isinstance(dim, int) else getattr(dim, "value", None)
        if value is None:
            return None
        dims.append(value)
    return tuple(dims)


def _full_operand_elsewhere(reader: ir.Node, expanded: ir.Value, dims: tuple) -> bool:
    """True if another input of ``reader`` has exactly the expanded shape."""
    return any(
        v is not None and v is not expanded and _known(v.shape) == dims for v in reader.inputs
    )


class ElideExpandPass(ir.passes.InPlacePass):
    """``op(Expand(d, s), u)`` → ``op(d, u)`` for broadcasting element-wise ops whose other
    operand ``u`` has the Expand's output shape; the Expand is removed once unread."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for node in list(graph):
            if node.op_type != "Expand" or node.graph is not graph:
                continue
            out = node.outputs[0]
            dims = _known(out.shape)
            if dims is None or out.is_graph_output():
                continue
            for reader, index in list(out.uses()):
                if reader.op_type in BROADCASTING and _full_operand_elsewhere(reader, out, dims):
                    reader.replace_input_with(index, node.inputs[0])
                    modified = True
            if not out.uses():
                graph.remove(node, safe=True)
        return ir.passes.PassResult(model, modified)
