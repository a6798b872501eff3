"""Folds Transposes of initializers (Keras-layout kernels) into initializers in ONNX layout.

The folded initializer keeps the parameter's name (``conv2d/kernel``) when the Transpose was its
only reader, so the exported graph still shows the layer's weights by name.
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
        for node in list(graph):
            source = node.inputs[0] if node.op_type == "Transpose" else None
            if source is None or source.const_value is None or not source.is_initializer():
                continue
            if source.is_graph_input():
                continue
            array = np.ascontiguousarray(np.transpose(source.const_value.numpy(), perm_of(node)))
            alone = len(source.uses()) == 1 and not source.is_graph_output()
            name = source.name if alone else f"{source.name}/transposed"
            if alone:
                graph.initializers.pop(source.name)
            folded = ir.Value(
                name=name,
                type=source.type,
                shape=ir.Shape(array.shape),
                const_value=ir.tensor(array, name=name),
            )
            node.outputs[0].replace_all_uses_with(folded)
            graph.remove(node, safe=True)
            graph.register_initializer(folded)
            modified = True
        return ir.passes.PassResult(model, modified)
