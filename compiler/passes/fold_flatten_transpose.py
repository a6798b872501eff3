"""Folds the layout Transpose in front of ``Flatten → Dense`` into the Dense kernel's rows.

Keras flattens channels-last tensors, so a Dense layer after a convolution reads
``Reshape(Transpose(x_nchw, [0, 2, 3, 1]), [N, H·W·C]) @ W``. Flattening ``x_nchw`` directly only
visits the same features in another order, which is the same product with the rows of ``W``
permuted: ``Reshape(x_nchw, [N, C·H·W]) @ W'``. The Transpose of the activation (the largest
tensor of many small CNNs, read and written every step, and again by its gradient) is replaced
by a permutation of the kernel: folded into a new initializer when the kernel is constant, else
a ``Reshape → Transpose → Reshape`` of the kernel (a graph input while training), whose
gradient autodiff derives as the inverse permutation.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.passes._transpose_utils import (
    invert,
    perm_of,
    sole_consumer,
    transpose_producer,
)


def _static(shape) -> list[int] | None:
    if shape is None or not all(isinstance(d, int) for d in shape):
        return None
    return list(shape)


def _source_dims(source: ir.Value, transposed: ir.Value, perm: list[int]) -> list[int] | None:
    """Static dims of ``source`` after the batch axis, from its shape or the transposed one's."""
    if source.shape is not None and len(source.shape) == len(perm):
        return _static(list(source.shape)[1:])
    if transposed.shape is None or len(transposed.shape) != len(perm):
        return None
    dims = _static(list(transposed.shape)[1:])
    if dims is None:
        return None
    back = invert(perm)
    return [dims[back[i] - 1] for i in range(1, len(perm))]


def _flattens_batch_major(target: list[int], batch, features: int) -> bool:
    """Whether Reshape ``target`` maps ``(batch, …)`` to ``(batch, features)``."""
    if len(target) != 2:
        return False
    first, second = target
    if first == 0 or (isinstance(batch, int) and first == batch):
        return second in (-1, features)
    return first == -1 and second == features


def _int64(graph: ir.Graph, name: str, values: list[int]) -> ir.Value:
    existing = graph.initializers.get(name)
    if existing is not None:
        return existing
    array = np.asarray(values, np.int64)
    value = ir.Value(
        name=name,
        type=ir.TensorType(ir.DataType.INT64),
        shape=ir.Shape(array.shape),
        const_value=ir.tensor(array, name=name),
    )
    graph.register_initializer(value)
    return value


def _fresh(graph: ir.Graph, name: str) -> str:
    """``name``, or ``name_1``, ``name_2``… when an earlier fold already used it."""
    candidate, count = name, 0
    while candidate in graph.initializers or f"{candidate}/split_shape" in graph.initializers:
        count += 1
        candidate = f"{name}_{count}"
    return candidate


def kernel_row_permutation(dims: list[int], perm: list[int], units: int):
    """``(shape of W reshaped, perm on it)`` that turns rows in ``Transpose(x, perm)`` flatten
    order into rows in ``x`` flatten order; ``dims`` are the dims of ``x`` after the batch."""
    transposed = [dims[p - 1] for p in perm[1:]]
    inner = [p - 1 for p in perm[1:]]
    return [*transposed, units], [*invert(inner), len(inner)]


class FoldFlattenTransposePass(ir.passes.InPlacePass):
    """``MatMul(Reshape(Transpose(x, p), [N, K]), W)`` → ``MatMul(Reshape(x, [N, K]), W')``."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for matmul in list(graph):
            if matmul.op_type == "MatMul" and matmul.graph is not None:
                modified |= self._fold(graph, matmul)
        return ir.passes.PassResult(model, modified)

    def _fold(self, graph: ir.Graph, matmul: ir.Node) -> bool:
        flat, kernel = matmul.inputs[0], matmul.inputs[1]
        reshape = flat.producer() if flat is not None else None
        if reshape is None or reshape.op_type != "Reshape" or sole_consumer(flat) is not matmul:
            return False
        allowzero = reshape.attributes.get("allowzero")
        shape_value = reshape.inputs[1]
        if (allowzero is not None and allowzero.as_int()) or shape_value.const_value is None:
            return False
        transpose = transpose_producer(reshape.inputs[0])
        if transpose is None or sole_consumer(transpose.outputs[0]) is not reshape:
            return False
        perm = perm_of(transpose)
        source = transpose.inputs[0]
        if perm[0] != 0 or len(perm) < 3:
            return False
        dims = _source_dims(source, transpose.outputs[0], perm)
        kernel_dims = _static(kernel.shape) if kernel is not None else None
        if dims is None or kernel_dims is None or len(kernel_dims) != 2:
            return False
        features, units = int(np.prod(dims)), kernel_dims[1]
        target = [int(v) for v in shape_value.const_value.numpy().reshape(-1)]
        batch = source.shape[0] if source.shape is not None else None
        if kernel_dims[0] != features or not _flattens_batch_major(target, batch, features):
            return False
        split, order = kernel_row_permutation(dims, perm, units)
        if (
            kernel.const_value is not None
            and kernel.is_initializer()
            and not kernel.is_graph_input()
        ):
            permuted = self._permuted_constant(graph, kernel, split, order, features)
        else:
            permuted = self._permuted_value(graph, matmul, kernel, split, order, features)
        matmul.replace_input_with(1, permuted)
        reshape.replace_input_with(0, source)
        graph.remove(transpose, safe=True)
        return True

    @staticmethod
    def _permuted_constant(graph, kernel, split, order, features) -> ir.Value:
        array = kernel.const_value.numpy().reshape(split).transpose(order)
        array = np.ascontiguousarray(array.reshape(features, split[-1]))
        name = _fresh(graph, f"{kernel.name}/rows_permuted")
        value = ir.Value(
            name=name,
            type=kernel.type,
            shape=ir.Shape(array.shape),
            const_value=ir.tensor(array, name=name),
        )
        graph.register_initializer(value)
        return value

    @staticmethod
    def _permuted_value(graph, matmul, kernel, split, order, features) -> ir.Value:
        prefix = _fresh(graph, f"{kernel.name}/rows_permuted")
        first = ir.Node(
            "",
            "Reshape",
            [kernel, _int64(graph, f"{prefix}/split_shape", split)],
            num_outputs=1,
            name=f"{prefix}/Reshape",
        )
        moved = ir.Node(
            "",
            "Transpose",
            first.outputs,
            [ir.AttrInt64s("perm", order)],
            num_outputs=1,
            name=f"{prefix}/Transpose",
        )
        merged = ir.Node(
            "",
            "Reshape",
            [moved.outputs[0], _int64(graph, f"{prefix}/merge_shape", [features, split[-1]])],
            num_outputs=1,
            name=prefix,
        )
        graph.insert_before(matmul, [first, moved, merged])
        shapes = (split, [split[i] for i in order], [features, split[-1]])
        for node, dims, suffix in zip((first, moved, merged), shapes, ("split", "moved", "")):
            out = node.outputs[0]
            out.type, out.shape = kernel.type, ir.Shape(dims)
            out.name = f"{prefix}/{suffix}" if suffix else prefix
        return merged.outputs[0]
