"""The region of layout-agnostic ops a Transpose can move below, and whether moving it pays.

Starting from ``t = Transpose(s, perm)``, the region grows through consumers that commute with a
transpose: element-wise ops and the ops with axes of :mod:`compiler.passes._layout_axes`. A
region node reads ``t`` or another region node's output on at least one input; every other input
must be an operand that can be brought into ``s``'s layout: a scalar, a constant (transposed at
compile time), a per-channel value of static shape (a Reshape and a Transpose of the small value),
the output of another Transpose by ``perm`` (its source is read instead) or any other value of the
same rank (read through a Transpose by the inverse ``perm``: free when one already reads it, as
the layout Transpose of a model input feeding a convolution does).

Moving ``perm`` below the region puts one Transpose on each region output read outside it (a
``Reduce*`` that drops the reduced axes in order needs none). The move is worth it when it adds
no more full-size Transposes than it removes: ``t`` itself and absorbed Transposes when nothing
else reads them, and Transposes by the inverse ``perm`` reading region outputs (they compose to
the identity). Per-channel values count as free.
"""

from __future__ import annotations

import dataclasses

import onnx_ir as ir

from kgraph.compiler.passes._layout_axes import REDUCE_OPS, can_cross, keeps_dims
from kgraph.compiler.passes._transpose_utils import (
    ELEMENTWISE_BINARY,
    ELEMENTWISE_UNARY,
    invert,
    perm_of,
    transpose_producer,
)


@dataclasses.dataclass
class Region:
    """Nodes (in graph order) below ``transpose`` that can run on its source's layout, with the
    kind of each of their inputs (see :func:`operand_kind`)."""

    transpose: ir.Node
    perm: list[int]
    nodes: list[ir.Node]
    kinds: dict[tuple[ir.Node, int], str] = dataclasses.field(default_factory=dict)

    @property
    def inside(self) -> set[ir.Value]:
        """``t`` and the outputs the move re-lays out (all but those of rank-dropping nodes)."""
        return {self.transpose.outputs[0], *(n.outputs[0] for n in self.nodes if keeps_dims(n))}


def static_dims(value: ir.Value) -> list[int] | None:
    if value.shape is None or not all(isinstance(d, int) for d in value.shape):
        return None
    return list(value.shape)


def vector_like(value: ir.Value, rank: int) -> bool:
    """A value of static shape, rank <= ``rank`` and at most one dim above 1: a per-channel
    parameter or statistic, cheap to transpose (unlike a full-size tensor)."""
    dims = static_dims(value)
    return dims is not None and len(dims) <= rank and sum(d != 1 for d in dims) <= 1


def _inverse_reader(value: ir.Value, perm: list[int]) -> bool:
    """Whether a Transpose by the inverse of ``perm`` already reads ``value``."""
    inverse = invert(perm)
    return any(
        node.op_type == "Transpose" and node.graph is not None and perm_of(node) == inverse
        for node in value.consumers()
    )


def _constant(value: ir.Value) -> bool:
    return value.const_value is not None and value.is_initializer() and not value.is_graph_input()


# How freely other full-rank operands join a region through a Transpose by the inverse perm.
ANY_INVERSE, EXISTING_INVERSE, NO_INVERSE = 2, 1, 0


def operand_kind(
    node: ir.Node, index: int, inside: set[ir.Value], perm: list[int], allow: int
) -> str | None:
    """How input ``index`` of region node ``node`` reaches the source layout (None: it cannot).

    "inside": a re-laid-out value; "keep": a scalar, omitted or axes input; "source": a Transpose
    by ``perm`` whose source is read instead; "constant": a constant, transposed; "small": a
    per-channel value, reshaped and transposed; "inverse": a full-rank value, transposed by the
    inverse ``perm`` (free when such a Transpose already reads it).
    """
    value, op, rank = node.inputs[index], node.op_type, len(perm)
    if value is not None and value in inside:
        return "inside"
    if index > 0 and op in ELEMENTWISE_UNARY:
        scalar = value is None or (value.shape is not None and value.shape.rank() == 0)
        return "keep" if scalar else None
    if index > 0 and op in REDUCE_OPS:
        return "keep" if value is None or _constant(value) else None
    if value is None or op not in ELEMENTWISE_BINARY | {"Concat"}:
        return None
    producer, dims = transpose_producer(value), static_dims(value)
    if producer is not None and perm_of(producer) == perm:
        return "source"
    if op != "Concat" and dims == []:
        return "keep"
    fits = dims is not None and (len(dims) == rank if op == "Concat" else len(dims) <= rank)
    if fits and _constant(value):
        return "constant"
    if fits and op != "Concat" and vector_like(value, rank):
        return "small"
    if allow == NO_INVERSE or invert(perm) == perm:
        return None  # (a self-inverse perm: the moved Transpose itself would count as a reader)
    full_rank = value.shape is not None and len(value.shape) == rank
    if (allow == ANY_INVERSE and full_rank) or _inverse_reader(value, perm):
        return "inverse"
    return None


def _movable(node: ir.Node, graph: ir.Graph, perm: list[int], opset: int) -> bool:
    if node.graph is not graph or len(node.outputs) != 1:
        return False
    op = node.op_type
    return op in ELEMENTWISE_UNARY | ELEMENTWISE_BINARY or can_cross(node, perm, opset)


def _reachable(graph: ir.Graph, transpose: ir.Node, perm: list[int], opset: int) -> set[ir.Node]:
    """The movable nodes reachable from ``transpose`` through movable nodes."""
    found: set[ir.Node] = set()
    frontier = [transpose.outputs[0]]
    while frontier:
        for node in frontier.pop().consumers():
            if node not in found and _movable(node, graph, perm, opset):
                found.add(node)
                if keeps_dims(node):
                    frontier.append(node.outputs[0])
    return found


def _grow(graph: ir.Graph, transpose: ir.Node, found: set[ir.Node], allow: int) -> Region:
    """The largest subset of ``found`` whose operands all fit, in graph order, with their kinds."""
    perm = perm_of(transpose)
    while True:
        inside = Region(transpose, perm, list(found)).inside
        kinds = {
            (node, i): operand_kind(node, i, inside, perm, allow)
            for node in found
            for i in range(len(node.inputs))
        }
        kept = set()
        for node in found:
            own = [kinds[node, i] for i in range(len(node.inputs))]
            if "inside" in own and None not in own:
                kept.add(node)
        if kept == found:
            return Region(transpose, perm, _in_graph_order(graph, found), kinds)
        found = kept


def _in_graph_order(graph: ir.Graph, nodes: set[ir.Node]) -> list[ir.Node]:
    """``nodes`` in graph order; the scan stops at the last of them (a region is local, and
    scanning the rest of the graph for each of a model's regions made this pass quadratic)."""
    ordered: list[ir.Node] = []
    if nodes:
        for node in graph:
            if node in nodes:
                ordered.append(node)
                if len(ordered) == len(nodes):
                    break
    return ordered


def _outside_users(value: ir.Value, members: set[ir.Node]) -> list[ir.Node]:
    return [user for user, _ in value.uses() if user not in members]


def find_region(graph: ir.Graph, transpose: ir.Node, opset: int) -> Region | None:
    """The largest region below ``transpose`` that pays for moving it (one that needs no new
    Transposes of other operands, failing that), or None."""
    perm = perm_of(transpose)
    if vector_like(transpose.inputs[0], len(perm)):
        return None  # moving it would only trade a tiny Transpose for full-size ones
    found = _reachable(graph, transpose, perm, opset)
    for allow in (ANY_INVERSE, EXISTING_INVERSE, NO_INVERSE):
        region = _grow(graph, transpose, found, allow)
        if not region.nodes:
            return None
        if _pays(region):
            return region
    return None


def _pays(region: Region) -> bool:
    """Whether moving the Transpose below ``region`` removes at least as many full-size
    Transposes as it adds (strictly more when it transposes another operand)."""
    transpose, perm, nodes, kinds = region.transpose, region.perm, region.nodes, region.kinds
    members, inverse = set(nodes), invert(perm)
    absorbed = {node.inputs[i].producer() for (node, i), kind in kinds.items() if kind == "source"}
    inverses = {node.inputs[i] for (node, i), kind in kinds.items() if kind == "inverse"}
    removed, added = 0, sum(not _inverse_reader(value, perm) for value in inverses)
    for moved in [transpose, *absorbed]:
        out = moved.outputs[0]
        if not out.is_graph_output() and not _outside_users(out, members):
            removed += 1
    for node in nodes:
        out = node.outputs[0]
        if not keeps_dims(node) or vector_like(out, len(perm)):
            continue
        users = _outside_users(out, members)
        removed += sum(u.op_type == "Transpose" and perm_of(u) == inverse for u in users)
        if out.is_graph_output() or any(u.op_type != "Transpose" for u in users):
            added += 1
    # An even trade only moves Transposes down (towards a Flatten they fold into); one that adds
    # a Transpose of another operand must pay, or two regions could trade places forever.
    return added < removed or (added == removed and "inverse" not in kinds.values())
