"""Moves a per-channel bias Add behind a Conv's layout Transpose into the Conv's ``B`` input.

A channels-last convolution is lowered as ``Transpose → Conv → Transpose(to NHWC)`` followed by
the bias ``Add`` on the last axis. When the bias is a constant, :class:`SinkTransposesPass` can
move the Transpose below the Add; in a training graph the bias is a graph input (it is being
trained), so the Transpose stays and every later element-wise op runs on the channels-last copy.
Here ``Add(Transpose(Conv(x, w)), b)`` with ``b`` of shape ``(C,)`` becomes
``Transpose(Conv(x, w, b))``: one fewer full-size op, and the Transpose is free to sink and
cancel. onnxruntime then also fuses a following Relu into the Conv.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.passes._transpose_utils import perm_of, sole_consumer, transpose_producer


def _channels(conv: ir.Node, transposed: ir.Value, axis: int) -> int | None:
    """Output channels, from the kernel's shape or the transposed output's (either may be
    unknown before shape inference)."""
    for shape, index in ((conv.inputs[1].shape, 0), (transposed.shape, axis)):
        if shape is not None and len(shape) > index and isinstance(shape[index], int):
            return shape[index]
    return None


def _dtype(*values: ir.Value):
    return next((v.dtype for v in values if v.dtype is not None), None)


def _bias_vector(
    graph: ir.Graph, value: ir.Value | None, channels: int, axis: int, rank: int
) -> ir.Value | None:
    """``value`` as a ``(C,)`` vector when it broadcasts along ``axis`` only, else None.

    Only graph inputs and initializers qualify: they exist before the Conv runs.
    """
    if value is None or value.shape is None or not all(isinstance(d, int) for d in value.shape):
        return None
    if not (value.is_graph_input() or value.is_initializer()):
        return None
    dims = list(value.shape)
    if len(dims) > rank:
        return None
    full = [1] * (rank - len(dims)) + dims
    if full[axis] != channels or any(d != 1 for i, d in enumerate(full) if i != axis):
        return None
    if dims == [channels]:
        return value
    if value.const_value is None or value.is_graph_input():
        return None
    array = np.ascontiguousarray(value.const_value.numpy().reshape(channels))
    name = f"{value.name}/vector"
    existing = graph.initializers.get(name)
    if existing is not None:
        return existing
    vector = ir.Value(
        name=name,
        type=value.type,
        shape=ir.Shape([channels]),
        const_value=ir.tensor(array, name=name),
    )
    graph.register_initializer(vector)
    return vector


class FuseConvBiasInputPass(ir.passes.InPlacePass):
    """``Add(Transpose(Conv(x, w)), b)`` → ``Transpose(Conv(x, w, b))`` for a per-channel ``b``."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for add in list(graph):
            if add.op_type != "Add" or add.graph is None:
                continue
            modified |= self._fuse(graph, add)
        return ir.passes.PassResult(model, modified)

    def _fuse(self, graph: ir.Graph, add: ir.Node) -> bool:
        for index in (0, 1):
            transpose = transpose_producer(add.inputs[index])
            if transpose is None or sole_consumer(transpose.outputs[0]) is not add:
                continue
            conv = transpose.inputs[0].producer()
            if (
                conv is None
                or conv.op_type != "Conv"
                or sole_consumer(conv.outputs[0]) is not transpose
            ):
                continue
            if len(conv.inputs) > 2 and conv.inputs[2] is not None:
                continue
            perm = perm_of(transpose)
            if 1 not in perm:
                continue
            channels = _channels(conv, transpose.outputs[0], perm.index(1))
            other = add.inputs[1 - index]
            dtype = _dtype(conv.outputs[0], transpose.outputs[0], add.outputs[0], *conv.inputs[:2])
            if channels is None or other is None or dtype is None or other.dtype != dtype:
                continue
            bias = _bias_vector(graph, other, channels, perm.index(1), len(perm))
            if bias is None:
                continue
            conv.resize_inputs(3)
            conv.replace_input_with(2, bias)
            out, result = add.outputs[0], transpose.outputs[0]
            name, is_output = out.name, out.is_graph_output()
            out.replace_all_uses_with(result, replace_graph_outputs=True)
            graph.remove(add, safe=True)
            if is_output:
                result.name = name
            return True
        return False
