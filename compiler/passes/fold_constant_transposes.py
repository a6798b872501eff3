"""Folds Transposes of initializers (Keras-layout kernels) into initializers in ONNX layout.

The folded initializer keeps the parameter's name (``conv2d/kernel``) when the Transpose was its
only reader, so the exported graph still shows the layer's weights by name. Several Transposes of
one initializer (a kernel read again after layout rewrites, e.g. in a feature-extractor model
that outputs every layer) share one folded initializer per permutation, so names never clash.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.passes._transpose_utils import perm_of


class FoldConstantTransposesPass(ir.passes.InPlacePass):
    """``Transpose(initializer)`` → a transposed initializer."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        folded_by_key: dict[tuple[str, tuple[int, ...]], ir.Value] = {}
        for node in list(graph):
            source = node.inputs[0] if node.op_type == "Transpose" else None
            if source is None or source.const_value is None or not source.is_initializer():
                continue
            if source.is_graph_input():
                continue
            perm = tuple(perm_of(node))
            folded = folded_by_key.get((source.name, perm))
            if folded is None:
                folded = self._fold(graph, source, perm)
                folded_by_key[(source.name, perm)] = folded
            node.outputs[0].replace_all_uses_with(folded)
            graph.remove(node, safe=True)
            modified = True
        return ir.passes.PassResult(model, modified)

    @staticmethod
    def _fold(graph: ir.Graph, source: ir.Value, perm: tuple[int, ...]) -> ir.Value:
        """Registers ``source`` transposed by ``perm`` under a free name and returns it."""
        array = np.ascontiguousarray(np.transpose(source.const_value.numpy(), perm))
        alone = len(source.uses()) == 1 and not source.is_graph_output()
        name = source.name if alone else f"{source.name}/transposed"
        if alone:
            graph.initializers.pop(source.name)
        base, count = name, 1
        while name in graph.initializers:
            name = f"{base}_{count}"
            count += 1
        folded = ir.Value(
            name=name,
            type=source.type,
            shape=ir.Shape(array.shape),
            const_value=ir.Tensor(array, name=name),
        )
        graph.register_initializer(folded)
        return folded
