"""Brings the other operands of a region into the layout of a Transpose's source.

Used by :class:`SinkTransposesPass` once :func:`find_region` has classified each operand: a
constant is transposed at compile time; a small static value (a per-channel parameter that is a
graph input while training) gets a Reshape to full rank and a Transpose; a full-size value is
read through a Transpose by the inverse permutation, the one already reading it when there is one
(as the layout Transpose of a model input feeding a convolution).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx_ir as ir

from kgraph.compiler.passes._layout_region import static_dims
from kgraph.compiler.passes._transpose_utils import invert, perm_of


def graph_names(graph: ir.Graph) -> Counter:
    """How often each name is used in ``graph`` (node outputs, inputs, initializers and node
    names): a pass that moves many regions keeps one count up to date (:meth:`OperandMover.fresh`
    and :meth:`OperandMover.release`) rather than rescanning the graph for every region."""
    names = Counter(v.name for node in graph for v in node.outputs)
    names.update(v.name for v in graph.inputs)
    names.update(graph.initializers.keys())
    names.update(node.name for node in graph)
    return names


class OperandMover:
    """Operands of the nodes of one region, in the source layout; inserted nodes are shared."""

    def __init__(self, graph: ir.Graph, perm: list[int], names: Counter | None = None) -> None:
        self.graph, self.perm, self.inverse = graph, perm, invert(perm)
        self.names = graph_names(graph) if names is None else names
        self.moved: dict[ir.Value, ir.Value] = {}

    def fresh(self, name: str) -> str:
        """``name``, or ``name_1``, ``name_2``… when it is taken."""
        candidate, count = name, 0
        while self.names[candidate] > 0:
            count += 1
            candidate = f"{name}_{count}"
        self.names[candidate] += 1
        return candidate

    def release(self, node: ir.Node) -> None:
        """Forgets the names of ``node``, which the caller removed from the graph."""
        for name in (node.name, *(v.name for v in node.outputs)):
            self.names[name] -= 1

    def move(self, consumer: ir.Node, value: ir.Value, kind: str) -> ir.Value:
        """``value`` in the source layout; new nodes go before ``consumer`` (its first reader)."""
        if value not in self.moved:
            if kind == "source":
                self.moved[value] = value.producer().inputs[0]
            elif kind == "constant":
                self.moved[value] = self._constant(value)
            else:
                self.moved[value] = self._transposed(consumer, value, kind == "small")
        return self.moved[value]

    def _constant(self, value: ir.Value) -> ir.Value:
        array = value.const_value.numpy()
        array = array.reshape((1,) * (len(self.perm) - array.ndim) + array.shape)
        array = np.ascontiguousarray(np.transpose(array, self.inverse))
        name = f"{value.name}/{'x'.join(map(str, self.inverse))}"
        existing = self.graph.initializers.get(name)
        if existing is not None and existing.shape == ir.Shape(array.shape):
            return existing
        name = name if existing is None else self.fresh(name)
        self.names[name] += existing is None
        tensor = ir.Tensor(array, name=name)
        new = ir.Value(name=name, type=value.type, shape=ir.Shape(array.shape), const_value=tensor)
        self.graph.register_initializer(new)
        return new

    def _reader(self, consumer: ir.Node, value: ir.Value) -> ir.Value | None:
        """The output of a Transpose by the inverse perm that already reads ``value`` (moved
        up to ``consumer`` when it came later), if there is one."""
        readers = [
            node
            for node in value.consumers()
            if node.op_type == "Transpose" and node.graph is self.graph
            if perm_of(node) == self.inverse
        ]
        if not readers:
            return None
        for node in self.graph:
            if node is readers[0]:
                break
            if node is consumer:
                self.graph.remove(readers[0])
                self.graph.insert_before(consumer, readers[0])
                break
        return readers[0].outputs[0]

    def _transposed(self, consumer: ir.Node, value: ir.Value, small: bool) -> ir.Value:
        """``Transpose(value, inverse)``, after a Reshape to full rank when ``small``."""
        existing = None if small else self._reader(consumer, value)
        if existing is not None:
            return existing
        nodes, source = [], value
        if small:
            dims = static_dims(value)
            full = [1] * (len(self.perm) - len(dims)) + dims
            shape = self.int64(f"{value.name}/rank{len(full)}", full)
            nodes.append(ir.Node("", "Reshape", [value, shape], num_outputs=1))
            nodes[0].name = self.fresh(f"{consumer.name}/reshape_operand")
            source = nodes[0].outputs[0]
            source.name = self.fresh(f"{value.name}/rank{len(full)}/value")
            source.type, source.shape = value.type, ir.Shape(full)
        back = ir.Node(
            "", "Transpose", [source], [ir.AttrInt64s("perm", self.inverse)], num_outputs=1
        )
        back.name = self.fresh(f"{consumer.name}/transpose_operand")
        self.graph.insert_before(consumer, [*nodes, back])
        result = back.outputs[0]
        result.name = self.fresh(f"{value.name}/{'x'.join(map(str, self.inverse))}")
        result.type = value.type
        if source.shape is not None and len(source.shape) == len(self.perm):
            result.shape = ir.Shape([source.shape[i] for i in self.inverse])
        return result

    def int64(self, name: str, values: list[int]) -> ir.Value:
        """An int64 initializer holding ``values``, named ``name`` unless that is taken."""
        existing = self.graph.initializers.get(name)
        if existing is not None and list(existing.const_value.numpy()) == values:
            return existing
        array = np.asarray(values, np.int64)
        name = name if existing is None else self.fresh(name)
        self.names[name] += existing is None
        new = ir.Value(
            name=name,
            type=ir.TensorType(ir.DataType.INT64),
            shape=ir.Shape(array.shape),
            const_value=ir.Tensor(array, name=name),
        )
        self.graph.register_initializer(new)
        return new
