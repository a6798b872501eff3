"""Keeps onnxruntime from folding a zero ``Pad`` into the ``MaxPool`` that reads it.

onnxruntime's ``Pad_Fusion`` rewrite (graph optimization level "basic", on by default) moves
the pads of a constant-mode ``Pad`` whose value is zero into the ``pads`` attribute of a
following ``MaxPool``. But MaxPool ignores its padded cells (as if they held -inf), while the
``Pad`` wrote zeros: every pooling window at the border whose real values are all negative
then yields their (negative) maximum instead of 0. Keras' ``ZeroPadding2D`` → ``MaxPooling2D``
(ResNetV2's ``pool1_pad`` → ``pool1_pool``, which reads the raw stem convolution) hit this and
drifted by about 1e-3 relative from Keras. The onnxruntime Transpose optimizer first moves a
layout ``Transpose`` away from between the two nodes, so ``Pad → Transpose → MaxPool`` is
affected too.

onnxruntime tests the pad value byte by byte ("all bytes zero"). Here the value of such a Pad
becomes ``-0.0``: equal to 0 in every comparison and sum (MaxPool's result and everything
downstream are unchanged; a window of negatives yields -0.0 == 0), but not all-zero bytes, so
the Pad stays. Pads that feed a Conv keep +0.0, and with it onnxruntime's Pad+Conv fusion.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

#: Ops onnxruntime removes or moves from between a Pad and its MaxPool before Pad_Fusion runs.
_PASS_THROUGH = frozenset({"Transpose", "Identity"})


def _zero_float_value(pad: ir.Node) -> ir.Value | None:
    """The Pad's scalar pad value when it is a float constant +0.0 (absent counts as zero)."""
    mode = pad.attributes.get("mode")
    if mode is not None and mode.as_string() != "constant":
        return None
    if len(pad.inputs) < 3 or pad.inputs[2] is None:
        return None  # no value input: leave it (rare; kgraph always writes one)
    value = pad.inputs[2]
    if value.const_value is None or value.is_graph_input():
        return None
    array = value.const_value.numpy()
    if array.dtype.kind != "f" or array.size != 1:
        return None
    zero = float(array.reshape(-1)[0]) == 0.0 and not np.signbit(array.reshape(-1)[0])
    return value if zero else None


def _reaches_max_pool(value: ir.Value) -> bool:
    """Whether a MaxPool reads ``value`` directly or through Transpose/Identity nodes."""
    pending, seen = [value], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for consumer in current.consumers():
            if consumer.op_type == "MaxPool":
                return True
            if consumer.op_type in _PASS_THROUGH:
                pending.extend(consumer.outputs)
    return False


def _negative_zero(graph: ir.Graph, like: ir.Value) -> ir.Value:
    """One shared ``-0.0`` initializer per dtype and shape."""
    array = np.negative(np.zeros_like(like.const_value.numpy()))
    name = f"pad_value/negative_zero/{array.dtype.name}/{array.ndim}d"
    existing = graph.initializers.get(name)
    if existing is not None:
        return existing
    result = ir.Value(
        name=name, type=like.type, shape=like.shape, const_value=ir.tensor(array, name=name)
    )
    graph.register_initializer(result)
    return result


class GuardZeroPadMaxPoolPass(ir.passes.InPlacePass):
    """Zero ``Pad`` feeding a ``MaxPool``: pad value +0.0 → -0.0 (see the module docstring)."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph, modified = model.graph, False
        for node in graph:
            if node.op_type != "Pad" or node.domain not in ("", "ai.onnx"):
                continue
            value = _zero_float_value(node)
            if value is None or not _reaches_max_pool(node.outputs[0]):
                continue
            node.replace_input_with(2, _negative_zero(graph, value))
            modified = True
        return ir.passes.PassResult(model, modified)
