"""One ONNX ``LayerNormalization`` for a layer norm whose normalized axes are not the last ones.

ONNX's LayerNormalization normalizes the trailing axes from ``axis`` on. A Keras
LayerNormalization over the channels of an NHWC conv stack (ConvNeXt's) normalizes the last
axis as traced, but the layout passes run the conv stack channels-first, so its mean / variance
chain reduces axis 1 of NCHW and no ``axis`` expresses it. Here the normalized axes are moved
last by one Transpose before the node and back by one after it. The layout passes' Transposes
next to it then cancel with these: a Transpose before the chain (NHWC → NCHW) is skipped, and
one after it (back to NHWC, before a Dense) reads the node's output directly, so ConvNeXt's
block keeps its two Transposes and shows ``LayerNormalization`` instead of nine nodes. A norm
between two convolutions (ConvNeXt's stem and downsampling) gets both Transposes, which ONNX
cannot avoid (no operator normalizes axis 1 of NCHW alone); onnxruntime still runs ConvNeXt's
first stage about 10% faster than with the composition. Results are those of the chain
(onnxruntime agrees to float rounding).
"""

from __future__ import annotations

import onnx_ir as ir

from kgraph.compiler.passes._transpose_utils import (
    compose,
    invert,
    is_identity,
    perm_of,
    transpose_producer,
)


class _Namer:
    """Fresh node and value names in ``graph``: ``base``, then ``base_1``…"""

    def __init__(self, graph: ir.Graph, leaving: list[ir.Node]):
        gone = {id(n) for n in leaving}
        self.taken = {n.name for n in graph if id(n) not in gone}
        self.taken |= {v.name for n in graph for v in n.outputs}
        self.taken |= {v.name for v in graph.inputs} | set(graph.initializers)

    def __call__(self, base: str) -> str:
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name


def _node(namer, base, op_type, inputs, attributes, metadata, type_, shape) -> ir.Node:
    name = namer(base)
    node = ir.Node(
        "",
        op_type,
        inputs,
        ir.convenience.convert_attributes(attributes),
        name=name,
        metadata_props=dict(metadata),
    )
    out = node.outputs[0]
    out.name, out.type, out.shape = name, type_, ir.Shape(shape)
    return node


def layer_norm_moved(graph: ir.Graph, last: ir.Node, inputs, axes, epsilon, nodes) -> None:
    """Replaces the chain ``nodes`` ending at ``last`` (a layer norm of ``inputs[0]`` over
    ``axes``, scale and shift in ``inputs[1:]`` laid out over those axes) by Transpose →
    LayerNormalization → Transpose, sharing Transposes with the neighbours where they cancel."""
    x, out = inputs[0], last.outputs[0]
    rank = len(x.shape)
    perm = [i for i in range(rank) if i not in axes] + list(axes)
    moved = [x.shape[p] for p in perm]
    namer = _Namer(graph, [last, *nodes])
    layer = last.metadata_props.get("layer_path") or last.name
    meta, added = last.metadata_props, []
    before = transpose_producer(x)
    if before is not None and is_identity(compose(perm_of(before), perm)):
        source = before.inputs[0]  # the layout passes' NHWC → NCHW: read the NHWC tensor
    else:
        added.append(_node(namer, f"{layer}/Transpose", "Transpose", [x], {"perm": perm}, meta,
                           x.type, moved))  # fmt: skip
        source = added[-1].outputs[0]
    attributes = {"axis": rank - len(axes), "epsilon": epsilon}
    norm = _node(namer, f"{layer}/LayerNormalization", "LayerNormalization",
                 [source, *inputs[1:]], attributes, meta, out.type, moved)  # fmt: skip
    back = _node(namer, f"{layer}/Transpose", "Transpose", [norm.outputs[0]],
                 {"perm": invert(perm)}, meta, out.type, list(out.shape or x.shape))  # fmt: skip
    graph.insert_before(last, [*added, norm, back])
    name = out.name
    out.name = None
    back.outputs[0].name = name
    out.replace_all_uses_with(back.outputs[0], replace_graph_outputs=True)
    graph.remove([last, *nodes], safe=True)
    _fold_readers(graph, back, norm.outputs[0])
    if (
        before is not None
        and not before.outputs[0].uses()
        and not before.outputs[0].is_graph_output()
    ):
        graph.remove(before, safe=True)


def _fold_readers(graph: ir.Graph, back: ir.Node, moved: ir.Value) -> None:
    """Transposes reading ``back``'s output read ``moved`` with the two perms composed (none
    left when they cancel); ``back`` goes when nothing reads it any more."""
    result = back.outputs[0]
    for user, _ in list(result.uses()):
        if user.op_type != "Transpose" or user.domain not in ("", "ai.onnx"):
            continue
        perm = compose(perm_of(back), perm_of(user))
        if not is_identity(perm):
            user.replace_input_with(0, moved)
            user.attributes["perm"] = ir.AttrInt64s("perm", perm)
            continue
        out = user.outputs[0]
        if out.is_graph_output():
            name, out.name = out.name, None
            moved.name = name
        out.replace_all_uses_with(moved, replace_graph_outputs=True)
        graph.remove(user, safe=True)
    if not result.uses() and not result.is_graph_output():
        graph.remove(back, safe=True)
