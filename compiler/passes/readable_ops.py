"""Replaces the compositions kgraph's ops emit by ONNX's single op where the model's opset has
it, so that viewers such as Netron show one ``Gelu`` instead of five loose nodes:

* ``x * 0.5 * (1 + erf(x / √2))`` (and the tanh approximation) → ``Gelu`` (opset 20+);
* ``x * tanh(softplus(x))`` → ``Mish`` (opset 18+);
* LayerNormalization's mean / variance chain → ``LayerNormalization`` (17+); normalized axes
  that are not trailing (a channel norm in a conv stack made NCHW) are moved last around it
  (see :mod:`readable_layer_norm`).

Only inference graphs run it: training graphs keep the compositions, whose gradient rules
exist. Each replacement computes the same function (onnxruntime agrees to float rounding); the
fused node takes the name and layer metadata of the last node it replaces.
"""

from __future__ import annotations

import math

import numpy as np
import onnx_ir as ir

from kgraph.compiler.passes.readable_layer_norm import layer_norm_moved


def _scalar(value: ir.Value | None) -> float | None:
    if value is None or value.const_value is None or value.const_value.size != 1:
        return None
    return float(value.const_value.numpy().reshape(()))


def _made_by(value: ir.Value | None, op_type: str, private: bool = True) -> ir.Node | None:
    """The ``op_type`` node producing ``value``; with ``private`` only when nothing else reads
    ``value`` (the node can then be removed)."""
    node = value.producer() if value is not None else None
    if node is None or node.op_type != op_type or node.domain not in ("", "ai.onnx"):
        return None
    if private and (len(value.uses()) != 1 or value.is_graph_output()):
        return None
    return node


def _split(node: ir.Node | None, constant: float, tol: float = 1e-6):
    """``(other, node)`` when binary ``node`` has the scalar ``constant`` on one side."""
    if node is None or len(node.inputs) != 2:
        return None
    a, b = node.inputs
    for other, c in ((a, b), (b, a)):
        found = _scalar(c)
        if found is not None and abs(found - constant) <= tol * max(1.0, abs(constant)):
            return other
    return None


def _gelu(mul: ir.Node):
    """``Mul(Mul(x, 0.5), Add(f(x), 1))``: ``(x, approximate, nodes)`` for Gelu, else None."""
    for half_v, rest_v in (mul.inputs, tuple(reversed(mul.inputs))):
        half = _made_by(half_v, "Mul")
        x = _split(half, 0.5)
        add = _made_by(rest_v, "Add")
        inner = _split(add, 1.0)
        if x is None or inner is None:
            continue
        erf = _made_by(inner, "Erf")
        if erf is not None:
            div = _made_by(erf.inputs[0], "Div")
            if div is not None and div.inputs[0] is x and _split(div, math.sqrt(2.0)) is x:
                return x, "none", [half, add, erf, div]
        tanh = _made_by(inner, "Tanh")
        scaled = _made_by(tanh.inputs[0], "Mul") if tanh is not None else None
        summed = _made_by(_split(scaled, math.sqrt(2.0 / math.pi)), "Add")
        if summed is None or x not in summed.inputs:
            continue
        cubed = summed.inputs[1] if summed.inputs[0] is x else summed.inputs[0]
        k = _made_by(cubed, "Mul")
        cube = _made_by(_split(k, 0.044715), "Mul")
        square = _made_by(cube.inputs[0], "Mul") if cube is not None else None
        if square is not None and cube.inputs[1] is x and list(square.inputs) == [x, x]:
            return x, "tanh", [half, add, tanh, scaled, summed, k, cube, square]
    return None


def _mish(mul: ir.Node):
    for x, t in (mul.inputs, tuple(reversed(mul.inputs))):
        tanh = _made_by(t, "Tanh")
        softplus = _made_by(tanh.inputs[0], "Softplus") if tanh is not None else None
        if softplus is not None and softplus.inputs[0] is x:
            return x, [tanh, softplus]
    return None


def _axes(node: ir.Node, rank: int) -> list[int] | None:
    if len(node.inputs) > 1:
        if node.inputs[1] is None or node.inputs[1].const_value is None:
            return None
        axes = node.inputs[1].const_value.numpy().tolist()
    else:
        attribute = node.attributes.get("axes")
        axes = None if attribute is None else list(attribute.value)
    keep = node.attributes.get("keepdims")
    if axes is None or (keep is not None and keep.value == 0):
        return None
    return sorted(a % rank for a in axes)


def _layer_norm(last: ir.Node, graph: ir.Graph):
    """LayerNormalization's chain ending at ``last``: ``(inputs, axes, epsilon, nodes)``, the
    scale and shift in ``inputs`` laid out over the normalized axes in order."""
    beta = gamma = None
    node, nodes = last, []
    if node.op_type == "Add" and _made_by(node.inputs[0], "Mul") is not None:
        beta, nodes = node.inputs[1], [node]
        node = _made_by(node.inputs[0], "Mul")
    if node is not None and node.op_type == "Mul" and _made_by(node.inputs[0], "Div"):
        gamma, nodes = node.inputs[1], [*nodes, node]
        node = _made_by(node.inputs[0], "Div")
    if node is None or node.op_type != "Div":
        return None
    add = _made_by(node.inputs[1], "Sqrt")
    add = _made_by(add.inputs[0], "Add") if add is not None else None
    var = _made_by(add.inputs[0], "ReduceMean") if add is not None else None
    eps = _scalar(add.inputs[1]) if add is not None else None
    square = _made_by(var.inputs[0], "Pow") if var is not None else None
    sub = _made_by(node.inputs[0], "Sub", private=False)
    if square is None or sub is None or square.inputs[0] is not sub.outputs[0] or eps is None:
        return None
    if _scalar(square.inputs[1]) != 2.0 or len(sub.outputs[0].uses()) != 2:
        return None
    mean = _made_by(sub.inputs[1], "ReduceMean")
    x = sub.inputs[0]
    if x.shape is None and sub.outputs[0].shape is not None:  # a pass's new node (layout)
        x.shape, x.type = ir.Shape(list(sub.outputs[0].shape)), sub.outputs[0].type  # x - mean
    if mean is None or mean.inputs[0] is not x or x.shape is None:
        return None
    rank = len(x.shape)
    axes = _axes(mean, rank)
    if axes is None or axes != _axes(var, rank) or len(set(axes)) != len(axes):
        return None
    dims = [x.shape[a] for a in axes]
    if not all(isinstance(d, int) for d in dims):
        return None
    params = []
    for value, fill in ((gamma, 1.0), (beta, 0.0)):
        array = np.full(dims, fill, np.float32) if value is None else _over(value, rank, axes, dims)
        if array is None:
            return None
        params.append(array)
    nodes += [node, add, _made_by(node.inputs[1], "Sqrt"), var, square, sub, mean]
    dtype = x.dtype.numpy() if x.dtype is not None else np.float32
    inputs = [x] + [new_initializer(graph, f"{last.name}/{n}", p.astype(dtype)) for n, p in
                    zip(("scale", "bias"), params)]  # fmt: skip
    return inputs, axes, eps, nodes


def _over(value: ir.Value, rank: int, axes: list[int], dims: list[int]) -> np.ndarray | None:
    """A constant scale or shift that varies along the normalized ``axes`` only, as an array of
    shape ``dims`` (those axes in order), else None."""
    if value.const_value is None or len(value.const_value.shape) > rank:
        return None
    array = value.const_value.numpy()
    array = array.reshape((1,) * (rank - array.ndim) + array.shape)
    if any(array.shape[i] != 1 for i in range(rank) if i not in axes):
        return None
    try:
        shaped = np.broadcast_to(array.reshape([array.shape[a] for a in axes]), dims)
    except ValueError:
        return None
    return np.ascontiguousarray(shaped)


def new_initializer(graph: ir.Graph, base: str, array: np.ndarray) -> ir.Value:
    name, n = base, 0
    while name in graph.initializers:
        n += 1
        name = f"{base}_{n}"
    value = ir.Value(
        name=name, shape=ir.Shape(array.shape), const_value=ir.tensor(array, name=name)
    )
    value.type = ir.TensorType(value.const_value.dtype)
    graph.register_initializer(value)
    return value


def replace_chain(
    graph: ir.Graph, last: ir.Node, op_type: str, inputs, attributes, nodes, owner=None
) -> None:
    """Puts one ``op_type`` node in place of ``last`` and the ``nodes`` feeding it; the new
    node belongs to the layer of ``owner`` (default: ``last``)."""
    owner = owner or last
    layer = owner.metadata_props.get("layer_path", "")
    name = f"{layer}/{op_type}" if layer else f"{last.name}/{op_type}"
    leaving = {id(n) for n in (last, *nodes)}  # their names are free again
    taken = {n.name for n in graph if id(n) not in leaving}
    fused = ir.Node(
        "",
        op_type,
        inputs,
        ir.convenience.convert_attributes(attributes),
        name=name if name not in taken else f"{last.name}/{op_type}",
        metadata_props=dict(owner.metadata_props),
    )
    graph.insert_before(last, fused)
    out, new = last.outputs[0], fused.outputs[0]
    new.name, new.type, new.shape = out.name, out.type, out.shape
    out.name = None
    out.replace_all_uses_with(new, replace_graph_outputs=True)
    graph.remove([last, *nodes], safe=True)


class ReadableOpsPass(ir.passes.InPlacePass):
    """Compositions → ONNX's single ops (Gelu, Mish, LayerNormalization) where the opset has
    them; a model at an older opset is left as it is."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph, opset = model.graph, model.opset_imports.get("", 0)
        modified = False
        for node in reversed(list(graph)):  # a chain's last node first
            if node.graph is None or node.domain not in ("", "ai.onnx"):
                continue
            if node.op_type == "Mul" and opset >= 20 and (found := _gelu(node)):
                x, approximate, nodes = found
                replace_chain(graph, node, "Gelu", [x], {"approximate": approximate}, nodes)
            elif node.op_type == "Mul" and opset >= 18 and (found := _mish(node)):
                replace_chain(graph, node, "Mish", [found[0]], {}, found[1])
            elif node.op_type in ("Add", "Mul", "Div") and opset >= 17:
                found = _layer_norm(node, graph)
                if found is None:
                    continue
                inputs, axes, eps, nodes = found
                if axes == list(range(axes[0], len(inputs[0].shape))):
                    attributes = {"axis": axes[0], "epsilon": eps}
                    replace_chain(graph, node, "LayerNormalization", inputs, attributes, nodes)
                else:  # e.g. the channels of a conv stack that the layout passes made NCHW
                    layer_norm_moved(graph, node, inputs, axes, eps, nodes)
            else:
                continue
            modified = True
        return ir.passes.PassResult(model, modified)
