"""Moves layout Transposes down past element-wise ops so that opposite pairs meet and cancel.

Convolutions are lowered as Transpose(NHWC→NCHW) → Conv → Transpose(NCHW→NHWC); a bias Add and
an activation in between would keep the next layer's Transpose from meeting this one. Element-wise
ops commute with a transpose when their other operands are scalars, constants (transposed here)
or Transposes with the same permutation, as in a residual Add.
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


def _permuted_constant(graph: ir.Graph, value: ir.Value, perm: list[int]) -> ir.Value | None:
    tensor = value.const_value
    if tensor is None or not value.is_initializer():
        return None
    array = tensor.numpy()
    if array.ndim > len(perm):
        return None
    array = array.reshape((1,) * (len(perm) - array.ndim) + array.shape)
    array = np.ascontiguousarray(np.transpose(array, invert(perm)))
    name = f"{value.name}/{'x'.join(map(str, invert(perm)))}"
    existing = graph.initializers.get(name)
    if existing is not None:
        return existing
    new = ir.Value(name=name, type=value.type, shape=ir.Shape(array.shape),
                   const_value=ir.tensor(array, name=name))
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
        moved = ir.Node("", "Transpose", [out], [ir.AttrInt64s("perm", perm)],
                        num_outputs=1, name=transpose.name)
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
        result = []
        for value in consumer.inputs:
            producer = transpose_producer(value)
            if producer is not None and perm_of(producer) == perm and sole_consumer(value):
                result.append(producer.inputs[0])
            elif value is not None and value.shape is not None and value.shape.rank() == 0:
                result.append(value)
            else:
                permuted = _permuted_constant(graph, value, perm) if value is not None else None
                if permuted is None:
                    return None
                result.append(permuted)
        return result
