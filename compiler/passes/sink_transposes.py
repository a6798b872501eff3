"""Moves layout Transposes down past layout-agnostic ops so that opposite pairs meet and cancel.

Convolutions are lowered as Transpose(NHWC→NCHW) → Conv → Transpose(NCHW→NHWC); a bias Add, an
activation, a Concatenate or a normalisation in between would keep the next layer's Transpose
from meeting this one. A Transpose moves below the whole region of element-wise ops,
Softmax/LogSoftmax, Concat and Reduce* it feeds (:mod:`compiler.passes._layout_region`), also
when its output has several readers, as in ``x * sigmoid(x)`` (silu) or gelu; axes are
renumbered (:mod:`compiler.passes._layout_axes`). The region's other operands are brought into
the source layout (:mod:`compiler.passes._layout_operands`) and each region output read outside
it gets one Transpose back. A region moves only when that adds no more full-size Transposes than
it removes, so a Transpose that some reader needs as it is stays where it is.
"""

from __future__ import annotations

from collections import Counter

import onnx_ir as ir

from kgraph.compiler.passes._layout_axes import keeps_dims, renumber
from kgraph.compiler.passes._layout_operands import OperandMover, graph_names
from kgraph.compiler.passes._layout_region import Region, find_region
from kgraph.compiler.passes._transpose_utils import invert


class SinkTransposesPass(ir.passes.InPlacePass):
    """Pushes each Transpose below the layout-agnostic ops it feeds, repeatedly."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        opset = graph.opset_imports.get("", 1)
        budget = 4 * len(graph) + 16  # every move goes downstream; the bound is a safety net
        start = _count_transposes(graph)
        names = graph_names(graph)
        modified, changed = False, True
        while changed and budget > 0:
            changed = False
            for node in list(graph):
                if budget > 0 and node.graph is graph and node.op_type == "Transpose":
                    region = find_region(graph, node, opset)
                    if region is not None:
                        _move(graph, region, names)
                        changed = modified = True
                        budget -= 1
            if _count_transposes(graph) > start:
                # Moves are meant to remove Transposes. More after a sweep means regions keep
                # trading a Transpose back and forth (seen in ConvNeXt's LayerNorm + Dense
                # blocks): stop, rather than spend the budget growing the graph.
                break
        return ir.passes.PassResult(model, modified)


def _count_transposes(graph: ir.Graph) -> int:
    return sum(node.op_type == "Transpose" for node in graph)


def _move(graph: ir.Graph, region: Region, names: Counter) -> None:
    perm, transpose = region.perm, region.transpose
    source, moved = transpose.inputs[0], transpose.outputs[0]
    members = set(region.nodes)
    mover = OperandMover(graph, perm, names)
    absorbed = []
    for node in region.nodes:
        for index, value in enumerate(node.inputs):
            kind = region.kinds[node, index]
            if kind == "keep" or (kind == "inside" and value is not moved):
                continue
            if kind == "source":
                absorbed.append(value.producer())
            new = source if kind == "inside" else mover.move(node, value, kind)
            node.replace_input_with(index, new)
        axes = renumber(node, perm)
        if axes is not None:
            node.replace_input_with(1, mover.int64(f"{node.name}/axes", axes))
    for node in region.nodes:
        if keeps_dims(node):
            _transpose_back(graph, node, members, perm, mover)
    for old in [transpose, *absorbed]:
        out = old.outputs[0]
        if old.graph is not None and not out.uses() and not out.is_graph_output():
            graph.remove(old, safe=True)
            mover.release(old)


def _transpose_back(graph, node: ir.Node, members, perm: list[int], mover: OperandMover) -> None:
    """Re-lays out ``node``'s output and gives its readers outside the region a Transpose."""
    out = node.outputs[0]
    users = [(user, index) for user, index in out.uses() if user not in members]
    old_shape = out.shape
    if old_shape is not None and len(old_shape) == len(perm):
        out.shape = ir.Shape([old_shape[i] for i in invert(perm)])
    else:
        out.shape = None
    if not users and not out.is_graph_output():
        return
    back = ir.Node("", "Transpose", [out], [ir.AttrInt64s("perm", perm)], num_outputs=1)
    back.name = mover.fresh(f"{node.name}/Transpose")
    graph.insert_after(node, back)
    result = back.outputs[0]
    result.type, result.shape = out.type, old_shape
    result.name = mover.fresh(f"{out.name}/transposed")
    for user, index in users:
        user.replace_input_with(index, result)
    if out.is_graph_output():
        outputs = graph.outputs
        position = list(outputs).index(out)
        name = out.name
        out.name = mover.fresh(f"{name}/{'x'.join(map(str, invert(perm)))}")
        mover.names[result.name] -= 1  # given up for the output's name
        result.name = name
        outputs[position] = result
