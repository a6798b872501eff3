"""Rewrites a stride-1 ``ConvTranspose`` as a ``Conv`` with the flipped, transposed kernel.

A training step computes each convolution's input gradient as ``ConvTranspose(dy, W)``. With
unit strides and dilations and one group that is the correlation of ``dy`` with ``W`` swapped
over its two channel axes and reversed over its spatial axes, padded by ``k - 1 - pad`` on each
side. onnxruntime runs both through its generic im2col path, where neither is faster; as a
``Conv`` it can then go to onnxruntime's blocked (NCHWc) convolution
(:class:`~kgraph.compiler.passes.nchwc_conv.NchwcConvPass`), ~1.3x faster than ConvTranspose
on the 3x3 layers of a small ResNet (32-128 channels, batch 64, one thread).

Grouped ConvTransposes with one output channel per group (the input gradients of depthwise
convolutions, any depth multiplier) become grouped Convs the same way: the kernel
``(G·m, 1, k…)`` regrouped as ``(G, m, k…)`` and flipped, which NCHWc runs as its depthwise
kernel when ``m = 1`` (MobileNetV3Small's 5x5 layers: 4-8x faster than ConvTranspose).

Kept as it is: strides or dilations other than 1, other groupings, ``output_padding``,
``output_shape``, an ``auto_pad`` other than NOTSET, a kernel whose shape is not static, and
pads wider than ``k - 1`` (they crop more than the kernel's reach).
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir


def _ints(node: ir.Node, name: str, default: list[int]) -> list[int]:
    attr = node.attributes.get(name)
    return default if attr is None else list(attr.as_ints())


def _conv_pads(node: ir.Node, kernel: list[int]) -> list[int] | None:
    """The equivalent Conv's pads (``k - 1 - p`` per side), or None if not a plain case."""
    n = len(kernel)
    ones = [1] * n
    if _ints(node, "strides", ones) != ones or _ints(node, "dilations", ones) != ones:
        return None
    if any(_ints(node, "output_padding", [0] * n)) or "output_shape" in node.attributes:
        return None
    auto_pad = node.attributes.get("auto_pad")
    if auto_pad is not None and auto_pad.as_string() != "NOTSET":
        return None
    pads = _ints(node, "pads", [0] * 2 * n)
    new = [k - 1 - p for k, p in zip(kernel * 2, pads)]
    return new if min(new) >= 0 else None


def _const(graph: ir.Graph, name: str, values: list[int]) -> ir.Value:
    value = ir.Value(
        name=name,
        type=ir.TensorType(ir.DataType.INT64),
        shape=ir.Shape([len(values)]),
        const_value=ir.tensor(np.array(values, dtype=np.int64), name=name),
    )
    graph.register_initializer(value)
    return value


class ConvTransposeAsConvPass(ir.passes.InPlacePass):
    """``ConvTranspose(dy, W, b)`` with unit strides/dilations, one group (or one output
    channel per group) → ``Conv(dy, flip(swap(W)), b)`` with pads ``k - 1 - p``."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for node in list(graph):
            if node.op_type == "ConvTranspose" and node.domain == "" and node.graph is graph:
                modified |= self._rewrite(graph, node)
        return ir.passes.PassResult(model, modified)

    def _rewrite(self, graph: ir.Graph, node: ir.Node) -> bool:
        w = node.inputs[1]
        if w.shape is None or not all(isinstance(d, int) for d in w.shape):
            return False
        if w.dtype != ir.DataType.FLOAT:  # the float32 Conv it is meant for (see the docstring)
            return False
        dims = list(w.shape)
        kernel = dims[2:]
        pads = _conv_pads(node, kernel)
        if pads is None:
            return False
        group_attr = node.attributes.get("group")
        group = 1 if group_attr is None else group_attr.as_int()
        if group != 1 and dims[1] != 1:  # only one output channel per group is regrouped
            return False
        n = len(kernel)
        name = node.name or w.name
        axes = list(range(2, 2 + n))
        if group == 1:
            swapped = ir.node("Transpose", [w], {"perm": [1, 0, *axes]}, name=f"{name}/swap")
            swapped_dims = [dims[1], dims[0], *kernel]
        else:  # (G·m, 1, k…) is already (G, m, k…) in memory
            swapped_dims = [group, dims[0] // group, *kernel]
            shape = _const(graph, f"{name}/regroup_shape", swapped_dims)
            swapped = ir.node("Reshape", [w, shape], name=f"{name}/regroup")
        swapped.outputs[0].type = w.type
        swapped.outputs[0].shape = ir.Shape(swapped_dims)
        new_nodes = [swapped]
        flipped = swapped.outputs[0]
        if any(k != 1 for k in kernel):  # a 1x1 kernel is its own flip
            flip = ir.node(
                "Slice",
                [
                    flipped,
                    _const(graph, f"{name}/flip_starts", [-1] * n),
                    _const(graph, f"{name}/flip_ends", [np.iinfo(np.int64).min] * n),
                    _const(graph, f"{name}/flip_axes", axes),
                    _const(graph, f"{name}/flip_steps", [-1] * n),
                ],
                name=f"{name}/flip",
            )
            new_nodes.append(flip)
            flipped = flip.outputs[0]
            flipped.type, flipped.shape = w.type, ir.Shape(swapped_dims)
        conv = ir.node(
            "Conv",
            [node.inputs[0], flipped, *node.inputs[2:]],
            {"kernel_shape": kernel, "pads": pads, "group": group},
            name=f"{name}/as_conv",
        )
        out, new = node.outputs[0], conv.outputs[0]
        new.type, new.shape = out.type, out.shape
        ir.convenience.replace_nodes_and_values(
            graph, node, [node], [*new_nodes, conv], [out], [new]
        )
        return True
