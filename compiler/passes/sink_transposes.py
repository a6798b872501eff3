"""Moves layout Transposes down past element-wise ops so that opposite pairs meet and cancel.

Convolutions are lowered as Transpose(NHWC→NCHW) → Conv → Transpose(NCHW→NHWC); a bias Add and
an activation in between would keep the next layer's Transpose from meeting this one. Element-wise
ops commute with a transpose when their other operands are scalars, constants (transposed here),
small values of fully static shape such as per-channel parameters in a training graph (a
Reshape/Transpose of the small value is inserted) or Transposes with the same permutation, as in
a residual Add.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from compiler.passes._transpose_utils import (
    ELEMENTWISE_BINARY,
    ELEMENTWISE_UNARY,
    invert,
    perm_of,
    sole_consumer,
    transpose_producer,
)


def _scalar_or_absent(value: ir.Value | None) -> bool:
    return value is None or (value.shape is not None and value.shape.rank() == 0)


def _static_dims(value: ir.Value) -> list[int] | None:
    if value.shape is None or not all(isinstance(d, int) for d in value.shape):
        return None
    return list(value.shape)


def _permuted_small_value(
    graph: ir.Graph, consumer: ir.Node, value: ir.Value, perm: list[int]
) -> ir.Value | None:
    """Reshape (to full rank) + Transpose of a value whose whole shape is static."""
    dims = _static_dims(value)
    if dims is None or len(dims) > len(perm):
        return None
    full = [1] * (len(perm) - len(dims)) + dims
    shape = ir.Value(
        name=f"{value.name}/rank{len(perm)}",
        type=ir.TensorType(ir.DataType.INT64),
        shape=ir.Shape([len(full)]),
        const_value=ir.tensor(np.asarray(full, np.int64)),
    )
    if shape.name not in graph.initializers:
        graph.register_initializer(shape)
    shape = graph.initializers[shape.name]
    reshape = ir.Node(
        "", "Reshape", [value, shape], num_outputs=1, name=f"{consumer.name}/reshape_operand"
    )
    moved = ir.Node(
        "",
        "Transpose",
        [reshape.outputs[0]],
        [ir.AttrInt64s("perm", invert(perm))],
        num_outputs=1,
        name=f"{consumer.name}/transpose_operand",
    )
    graph.insert_before(consumer, [reshape, moved])
    reshape.outputs[0].name = f"{value.name}/rank{len(perm)}/value"
    result = moved.outputs[0]
    result.name = f"{value.name}/{'x'.join(map(str, invert(perm)))}"
    result.type = value.type
    result.shape = ir.Shape([full[p] for p in invert(perm)])
    return result


def _permuted_constant(graph: ir.Graph, value: ir.Value, perm: list[int]) -> ir.Value:
    array = value.const_value.numpy()
    array = array.reshape((1,) * (len(perm) - array.ndim) + array.shape)
    array = np.ascontiguousarray(np.transpose(array, invert(perm)))
    name = f"{value.name}/{'x'.join(map(str, invert(perm)))}"
    existing = graph.initializers.get(name)
    if existing is not None:
        return existing
    new = ir.Value(
        name=name,
        type=value.type,
        shape=ir.Shape(array.shape),
        const_value=ir.tensor(array, name=name),
    )
    graph.register_initializer(new)
    return new


class SinkTransposesPass(ir.passes.InPlacePass):
    """Pushes each Transpose below its sole element-wise consumer, repeatedly."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        modified = False
        changed = True
        while changed:
            changed = False
            for node in list(model.graph):
                if node.graph is not None and node.op_type == "Transpose":
                    changed |= self._sink(model.graph, node)
            modified |= changed
        return ir.passes.PassResult(model, modified)

    def _sink(self, graph: ir.Graph, transpose: ir.Node) -> bool:
        perm = perm_of(transpose)
        consumer = sole_consumer(transpose.outputs[0])
        if consumer is None or len(consumer.outputs) != 1:
            return False
        new_inputs = self._inputs_below(graph, consumer, transpose, perm)
        if new_inputs is None:
            return False
        out = consumer.outputs[0]
        old_shape = out.shape
        producers = {transpose_producer(v) for v in consumer.inputs} - {None}
        for i, value in enumerate(new_inputs):
            consumer.replace_input_with(i, value)
        out.shape = None
        moved = ir.Node(
            "",
            "Transpose",
            [out],
            [ir.AttrInt64s("perm", perm)],
            num_outputs=1,
            name=transpose.name,
        )
        graph.insert_after(consumer, moved)
        result = moved.outputs[0]
        result.type, result.shape = out.type, old_shape
        result.name = f"{out.name}/transposed"
        for user, index in list(out.uses()):
            if user is not moved:
                user.replace_input_with(index, result)
        if out.is_graph_output():
            outputs = graph.outputs
            position = list(outputs).index(out)
            name = out.name
            out.name = f"{name}/nchw"
            result.name = name
            outputs[position] = result
        for node in producers:
            if not node.outputs[0].uses():
                graph.remove(node, safe=True)
        return True

    def _inputs_below(self, graph, consumer, transpose, perm):
        if consumer.op_type in ELEMENTWISE_UNARY:
            if consumer.inputs[0] is not transpose.outputs[0]:
                return None
            if not all(_scalar_or_absent(v) for v in consumer.inputs[1:]):
                return None
            return [transpose.inputs[0], *consumer.inputs[1:]]
        if consumer.op_type not in ELEMENTWISE_BINARY:
            return None
        plan = []
        for value in consumer.inputs:
            producer = transpose_producer(value)
            if producer is not None and perm_of(producer) == perm and sole_consumer(value):
                plan.append(("source", producer.inputs[0]))
            elif value is not None and value.shape is not None and value.shape.rank() == 0:
                plan.append(("keep", value))
            elif value is not None and _broadcasts_over_batch(value, len(perm)):
                constant = value.const_value is not None and value.is_initializer()
                plan.append(("constant" if constant else "small", value))
            else:
                return None
        result = []
        for kind, value in plan:
            if kind == "constant":
                value = _permuted_constant(graph, value, perm)
            elif kind == "small":
                value = _permuted_small_value(graph, consumer, value, perm)
            result.append(value)
        return result


def _broadcasts_over_batch(value: ir.Value, rank: int) -> bool:
    """A static-shaped operand of rank <= ``rank`` with no batch extent (a per-channel vector)."""
    dims = _static_dims(value)
    return dims is not None and len(dims) <= rank and (len(dims) < rank or dims[0] == 1)
