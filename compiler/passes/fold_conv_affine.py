"""Folds per-channel constant ``Mul``/``Add``/``Sub`` after a ``Conv`` (or an ungrouped
``ConvTranspose``) into its weights and bias: an inference BatchNormalization
(``(y - mean) * scale + beta``) and a layer's bias Add disappear into the convolution before
them, as the exported graphs of conv nets expect."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.passes._transpose_utils import sole_consumer


def _constant(value: ir.Value | None) -> np.ndarray | None:
    if value is None or not value.is_initializer() or value.const_value is None:
        return None
    return value.const_value.numpy()


def _per_channel(array: np.ndarray, channels: int, rank: int) -> np.ndarray | None:
    """``array`` as a ``(channels,)`` vector when it broadcasts per channel of an NC… output."""
    ones = (1,) * (rank - 2)
    if array.ndim == 0 or array.shape in ((1,), (1, *ones), (1, 1, *ones)):
        return np.full(channels, array.reshape(()), array.dtype)
    if array.shape in ((channels, *ones), (1, channels, *ones)):
        return array.reshape(channels)
    return None


def _attr(node: ir.Node, name: str):
    attribute = node.attributes.get(name)
    return None if attribute is None else attribute.value


def _initializer(graph: ir.Graph, base: str, array: np.ndarray) -> ir.Value:
    name, n = base, 0
    while name in graph.initializers:
        n += 1
        name = f"{base}_{n}"
    value = ir.Value(name=name, shape=ir.Shape(array.shape), const_value=ir.Tensor(array))
    value.type = ir.TensorType(value.const_value.dtype)
    graph.register_initializer(value)
    return value


def _fold_next(graph: ir.Graph, conv: ir.Node) -> bool:
    """Folds the Conv's sole consumer into it when it is a per-channel affine step."""
    step = sole_consumer(conv.outputs[0])
    if step is None or step.op_type not in ("Mul", "Add", "Sub") or len(step.inputs) != 2:
        return False
    first = step.inputs[0] is conv.outputs[0]
    if step.op_type == "Sub" and not first:
        return False  # c - conv(x) flips the sign of the weights too: left alone
    weight = _constant(conv.inputs[1])
    other = _constant(step.inputs[1] if first else step.inputs[0])
    bias_value = conv.inputs[2] if len(conv.inputs) > 2 else None
    bias = _constant(bias_value) if bias_value is not None else None
    if weight is None or other is None or (bias_value is not None and bias is None):
        return False
    axis = 1 if conv.op_type == "ConvTranspose" else 0  # W: (in, out, k…) vs (out, in, k…)
    channels = weight.shape[axis]
    factor = _per_channel(other, channels, weight.ndim)
    if factor is None or factor.dtype != weight.dtype:
        return False
    bias = np.zeros(channels, weight.dtype) if bias is None else bias
    if step.op_type == "Mul":
        shape = [1] * weight.ndim
        shape[axis] = channels
        weight = weight * factor.reshape(shape)
        conv.replace_input_with(1, _initializer(graph, f"{conv.name}/W", weight))
        bias = bias * factor
    else:
        bias = bias + factor if step.op_type == "Add" else bias - factor
    conv.resize_inputs(3)
    conv.replace_input_with(2, _initializer(graph, f"{conv.name}/B", bias.astype(weight.dtype)))
    name, is_output = step.outputs[0].name, step.outputs[0].is_graph_output()
    step.outputs[0].replace_all_uses_with(conv.outputs[0], replace_graph_outputs=True)
    graph.remove(step, safe=True)
    if is_output:  # the graph output keeps its name
        conv.outputs[0].name = name
    return True


class FoldConvAffinePass(ir.passes.InPlacePass):
    """``Conv → Sub/Mul/Add`` by per-channel constants → one ``Conv`` with new ``W`` and ``B``
    (ConvTranspose alike)
    (new initializers: a weight shared by another node is left as it is)."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for conv in list(graph):
            if conv.op_type not in ("Conv", "ConvTranspose") or conv.graph is None:
                continue
            if conv.op_type == "ConvTranspose" and _attr(conv, "group") not in (None, 1):
                continue  # its weight's output axis holds one group's channels only
            while _fold_next(graph, conv):
                modified = True
        return ir.passes.PassResult(model, modified)
