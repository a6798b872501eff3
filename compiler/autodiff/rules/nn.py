"""Gradient rules of normalising activations and dropout."""

from __future__ import annotations

import onnx_ir as ir

from kgraph.compiler.autodiff.emit import attr, const, constant_value, input_at, mask_as, reduce_sum
from kgraph.compiler.autodiff.registry import rule


def _axis(b, node) -> int:
    if b.opset < 13:
        raise NotImplementedError(
            f"No gradient for {node.op_type} before opset 13 (the "
            "flattening semantics); the graph targets opset {b.opset}."
        )
    return attr(node, "axis", -1)


@rule("Softmax")
def _softmax(b, node, grads):
    """``y * (g - sum(g * y))`` along the axis."""
    y, g = node.outputs[0], grads[0]
    dot = reduce_sum(b, b.op("Mul", [g, y]), [_axis(b, node)])
    return [b.op("Mul", [y, b.op("Sub", [g, dot])])]


@rule("LogSoftmax")
def _log_softmax(b, node, grads):
    """``g - exp(y) * sum(g)`` along the axis."""
    y, g = node.outputs[0], grads[0]
    total = reduce_sum(b, g, [_axis(b, node)])
    return [b.op("Sub", [g, b.op("Mul", [b.op("Exp", [y]), total])])]


@rule("Dropout")
def _dropout(b, node, grads):
    """``g * mask / (1 - ratio)`` with the mask the forward node sampled (its output 1, which
    is added to the node when it was not requested); the identity when not training."""
    x, g = node.inputs[0], grads[0]
    none = [None] * (len(node.inputs) - 1)
    training = input_at(node, 2)
    mode = constant_value(training)
    if training is None or (mode is not None and not mode.any()):
        return [g, *none]
    if len(node.outputs) < 2:
        node.resize_outputs(2)
        node.outputs[1].name = f"{node.name}:mask"
        node.outputs[1].type = ir.TensorType(ir.DataType.BOOL)
        node.outputs[1].shape = None if x.shape is None else ir.Shape(list(x.shape))
    ratio = input_at(node, 1)
    known = 0.5 if ratio is None else constant_value(ratio)
    if known is not None:
        scale = const(b, 1.0 / (1.0 - float(known)), x)
    else:
        keep = b.op("Sub", [const(b, 1, x), b.op("Cast", [ratio], {"to": x.dtype})])
        scale = b.op("Reciprocal", [keep])
    if mode is None:  # training decided at run time
        scale = b.op("Where", [training, scale, const(b, 1, x)])
    return [b.op("Mul", [b.op("Mul", [g, mask_as(b, node.outputs[1], x)]), scale]), *none]
