"""Moves a constant per-channel Add after a bias-free Conv into the Conv's ``B`` input."""

from __future__ import annotations

import onnx_ir as ir

from kgraph.compiler.passes._transpose_utils import sole_consumer


class FuseConvBiasPass(ir.passes.InPlacePass):
    """``Add(Conv(x, w), b[C,1,1])`` → ``Conv(x, w, b)``, so Netron shows one Conv node."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for conv in list(graph):
            if conv.op_type != "Conv" or len(conv.inputs) > 2 or conv.graph is None:
                continue
            add = sole_consumer(conv.outputs[0])
            if add is None or add.op_type != "Add":
                continue
            other = add.inputs[1] if add.inputs[0] is conv.outputs[0] else add.inputs[0]
            bias = other.const_value if other is not None and other.is_initializer() else None
            channels = conv.inputs[1].shape[0] if conv.inputs[1].shape is not None else None
            if bias is None or not isinstance(channels, int):
                continue
            array = bias.numpy()
            rank = conv.inputs[1].shape.rank()
            ones = (1,) * (rank - 2)
            if array.shape not in ((channels, *ones), (1, channels, *ones)):
                continue
            name = other.name.split("/")[0] + "/bias" if "/" in other.name else f"{conv.name}/B"
            flat = ir.Value(
                name=name if name not in graph.initializers else f"{name}_conv",
                type=other.type,
                shape=ir.Shape([channels]),
                const_value=ir.tensor(array.reshape(channels)),
            )
            graph.register_initializer(flat)
            conv.resize_inputs(3)
            conv.replace_input_with(2, flat)
            add.outputs[0].replace_all_uses_with(conv.outputs[0], replace_graph_outputs=True)
            graph.remove(add, safe=True)
            modified = True
        return ir.passes.PassResult(model, modified)
