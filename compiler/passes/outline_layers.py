"""Outlines each layer call into an ONNX model-local function (``kgraph compile --functions``).

The builder records on every node the layer call that emitted it (``layer_call``: the path
with call numbers below the model, ``block_1:0/conv2d:0``; ``layer_classes``: the classes along
it). Call nodes are named by the layer's full path (``model/block_1``). This pass
turns the nodes of each call into one function, deepest calls first, so a nested model becomes
a function whose body calls its layers' functions. Viewers such as Netron then show the Keras
structure as nodes that open. A function's inputs are the values its nodes read from outside
(activations and the layer's weights, which stay initializers of the main graph), its outputs
the values read outside; its body keeps dtypes and shapes (the function's value_info).
Results are those of the flat graph: the nodes are the same, only grouped.
"""

from __future__ import annotations

from collections import defaultdict

import onnx_ir as ir
import onnx_ir.passes.common as common
from onnx_ir.traversal import RecursiveGraphIterator

from kgraph.compiler.autodiff.outer import outer_values, subgraphs

DOMAIN = "kgraph.layers"


def _calls(node: ir.Node) -> list[str]:
    text = node.metadata_props.get("layer_call", "")
    return text.split("/") if text else []


def _layer_path(node: ir.Node, calls: list[str]) -> str:
    """The path of the layer made by ``calls``, led by the model's name as ``node``'s
    ``layer_path`` is (``model/block_1`` for the call ``block_1:0``)."""
    full = node.metadata_props.get("layer_path", "").split("/")
    root = max(len(full) - len(_calls(node)), 0)  # the model's own scope, not a call
    names = [c.split(":")[0] for c in calls]
    if full[root : root + len(names)] != names:  # metadata from elsewhere: the calls alone
        root = 0
    return "/".join([*full[:root], *names])


def _typed_copy(value: ir.Value) -> ir.Value:
    return ir.Value(name=value.name, type=value.type, shape=value.shape)


def _function_name(calls: list[str], taken: set[str]) -> str:
    """The layer's name, then ``name_2``… when another call or layer already has it."""
    base = calls[-1].split(":")[0]
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _outline(model: ir.Model, nodes: list[ir.Node], calls: list[str], taken, nodes_taken) -> None:
    """Moves ``nodes`` (one layer call) into a new function; one call node replaces them.
    ``taken`` and ``nodes_taken`` are the function and node names already used."""
    graph, members = model.graph, set(nodes)
    nested = {n for node in nodes for g in subgraphs(node) for n in RecursiveGraphIterator(g)}
    inside = members | nested  # If / Scan / Loop bodies move into the function with their node
    inputs: dict[ir.Value, ir.Value] = {}  # outside value -> the function's input
    for node in nodes:
        for value in [*node.inputs, *outer_values(node)]:
            if value is not None and value.producer() not in members and value not in inputs:
                inputs[value] = _typed_copy(value)
        for index, value in enumerate(node.inputs):
            if value in inputs:
                node.replace_input_with(index, inputs[value])
    for value, copy in inputs.items():  # bodies read outside values through the inputs too
        for user, index in list(value.uses()):
            if user in nested:
                user.replace_input_with(index, copy)
    outputs = [
        out
        for node in nodes
        for out in node.outputs
        if out.is_graph_output() or any(user not in inside for user, _ in out.uses())
    ]
    if not outputs:
        return
    first = nodes[0]
    path = _layer_path(first, calls)
    classes = first.metadata_props.get("layer_classes", "").split("/")
    layer_class = classes[len(calls) - 1] if len(classes) >= len(calls) else ""
    name = _function_name(calls, taken)
    node_name, n = path, 1
    while node_name in nodes_taken:  # a shared layer's second call: ``shared_2``
        n += 1
        node_name = f"{path}_{n}"
    nodes_taken.add(node_name)
    call = ir.Node(
        DOMAIN,
        name,
        list(inputs),
        num_outputs=len(outputs),
        name=node_name,
        metadata_props={
            "layer": path.split("/")[-1],
            "layer_class": layer_class,
            "layer_path": path,
            "layer_call": "/".join(calls),
            "layer_classes": "/".join(classes[: len(calls)]),
        },
    )
    graph.insert_after(nodes[-1], call)
    graph.remove(nodes)
    for inner, outer in zip(outputs, call.outputs):
        outer.name, outer.type, outer.shape = inner.name, inner.type, inner.shape
        for user, index in list(inner.uses()):
            if user not in inside:
                user.replace_input_with(index, outer)
        for index, value in enumerate(graph.outputs):
            if value is inner:
                graph.outputs[index] = outer
    opsets = {"": graph.opset_imports.get("", 21), DOMAIN: 1}
    body = ir.Graph(list(inputs.values()), outputs, nodes=nodes, opset_imports=opsets)
    doc = f"{layer_class} layer '{path}'" if layer_class else f"layer '{path}'"
    function = ir.Function(DOMAIN, name, "", graph=body, attributes=[])
    function.doc_string = doc
    model.functions[function.identifier()] = function


class OutlineLayersPass(ir.passes.InPlacePass):
    """Each layer call's nodes → one model-local function in domain ``kgraph.layers``."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        depth = max((len(_calls(node)) for node in graph), default=0)
        if depth == 0:
            return ir.passes.PassResult(model, False)
        taken: set[str] = set()
        nodes_taken = {node.name for node in graph if node.name}
        for level in range(depth, 0, -1):  # deepest first: inner calls become nodes of outer
            groups: dict[tuple[str, ...], list[ir.Node]] = defaultdict(list)
            for node in graph:
                calls = _calls(node)
                if len(calls) >= level:
                    groups[tuple(calls[:level])].append(node)
            for calls, nodes in groups.items():
                _outline(model, nodes, list(calls), taken, nodes_taken)
        graph.opset_imports[DOMAIN] = 1
        common.TopologicalSortPass()(model)
        return ir.passes.PassResult(model, True)
