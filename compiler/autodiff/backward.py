"""The reverse-mode sweep: gradients of a scalar loss with respect to chosen values.

Only nodes on a path from a ``wrt`` value to the loss are differentiated; gradient rules come
from :mod:`compiler.autodiff.registry`. Backward nodes are appended to the same graph, named
``grad/<forward node name>/…``; a value that receives several contributions gets one ``Sum``.
Nodes a rule emitted for gradients nobody asked for (a frozen weight's) are removed again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np
import onnx_ir as ir

from kgraph.compiler.autodiff.emit import is_float, np_dtype, shape_of, static_shape
from kgraph.compiler.autodiff.outer import outer_values
from kgraph.compiler.autodiff.registry import NON_DIFFERENTIABLE, RULES, differentiable_op_types
from kgraph.compiler.builder import GraphBuilder

MIN_OPSET = 13  # axes of Reduce*/Squeeze/Unsqueeze and Split sizes as inputs


def gradients(
    b: GraphBuilder,
    loss: ir.Value | Sequence[ir.Value],
    wrt: Sequence[ir.Value],
    seed: ir.Value | Sequence[ir.Value] | None = None,
) -> list[ir.Value | None]:
    """Appends the backward pass of ``loss`` to ``b.graph``; returns d loss / d ``wrt``.

    Args:
        b: Builder wrapping the graph that holds the forward nodes (``GraphBuilder.wrap``).
            Values need dtypes and shapes: run ``compiler.autodiff.shapes.ensure_shapes`` first.
        loss: The value to differentiate (a scalar, or seeded by ``seed``); a sequence of
            values sums their seeded contributions (a control-flow branch's outputs).
        wrt: Graph inputs, initializers or intermediate values.
        seed: Gradient of ``loss`` (one per loss value); defaults to ones shaped like it.

    Returns:
        One gradient per ``wrt`` value, shaped like it; ``None`` where the loss does not depend
        on it (through differentiable ops).

    Raises:
        NotImplementedError: A node on a path from ``wrt`` to ``loss`` has no gradient rule.
        ValueError: The graph targets an opset before 13 (the backward nodes pass axes and
            split sizes as inputs).
    """
    if b.opset < MIN_OPSET:
        raise ValueError(
            f"The backward pass needs opset {MIN_OPSET} or later; the graph "
            f"targets opset {b.opset}."
        )
    differentiable_op_types()  # loads the rule modules
    forward = _topological(b.graph)
    before = set(forward)
    initializers = set(b.graph.initializers)
    losses = [loss] if isinstance(loss, ir.Value) else list(loss)
    seeds = list(seed) if isinstance(seed, (list, tuple)) else [seed] * len(losses)
    path = _on_path(forward, losses, wrt)
    parts: dict[ir.Value, list[ir.Value]] = {}
    for value, given in zip(losses, seeds, strict=True):
        parts.setdefault(value, []).append(given if given is not None else _ones(b, value))
    for node in reversed(forward):
        if node not in path:
            continue
        out_grads = [_total(b, v, parts) for v in node.outputs]
        if all(g is None for g in out_grads):
            continue
        fn = RULES.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if fn is None:
            raise NotImplementedError(
                f"No gradient rule for ONNX op '{node.op_type}' (domain '{node.domain}', node "
                f"'{node.name}'), which lies between the loss and a value to differentiate. "
                "Add one with @compiler.autodiff.registry.rule."
            )
        with _grad_scope(b, node.name or node.op_type):
            in_grads = fn(b, node, out_grads)
        for value, grad in zip(_grad_inputs(node), in_grads):
            if grad is not None and value is not None and value in path:
                _annotate(grad, value)
                parts.setdefault(value, []).append(grad)
    results = [_total(b, v, parts) for v in wrt]
    _remove_dead(b, before, initializers, results)
    return results


def _topological(graph: ir.Graph) -> list[ir.Node]:
    """The graph's nodes, producers first (the stored order when it already is one)."""
    nodes = list(graph)
    members, done, order = set(nodes), set(), []
    for root in nodes:
        stack = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if node in done:
                continue
            if ready:
                done.add(node)
                order.append(node)
                continue
            stack.append((node, True))
            for value in _grad_inputs(node):
                producer = None if value is None else value.producer()
                if producer in members and producer not in done:
                    stack.append((producer, False))
    return order


def _on_path(forward: list[ir.Node], losses: list[ir.Value], wrt: Sequence[ir.Value]) -> set:
    """Values and nodes that depend on some ``wrt`` (differentiably) and that the loss uses."""
    reached = {v for v in wrt if is_float(v)}
    for node in forward:
        if node.op_type not in NON_DIFFERENTIABLE and any(v in reached for v in _grad_inputs(node)):
            reached.update(v for v in node.outputs if is_float(v))
    used = set(losses)
    for node in reversed(forward):
        if any(v in used for v in node.outputs):
            used.update(v for v in _grad_inputs(node) if v is not None)
    values = reached & used
    nodes = {
        n
        for n in forward
        if any(v in values for v in n.outputs) and any(v in values for v in _grad_inputs(n))
    }
    return values | nodes


def _grad_inputs(node: ir.Node) -> list:
    """The values a node passes gradients to: its inputs, plus the arguments of a
    ``custom_gradient`` op recorded in its metadata (``rules.custom``), or the outer-scope
    values the subgraphs of a control-flow node read (``rules.control_flow``)."""
    extra = node.meta.get("gradient_inputs") or outer_values(node)
    return [*node.inputs, *extra] if extra else list(node.inputs)


def _total(b: GraphBuilder, value: ir.Value, parts: dict) -> ir.Value | None:
    """The gradient of ``value``: its one contribution, or one Sum of several."""
    found = parts.get(value)
    if not found:
        return None
    if len(found) > 1:
        producer = value.producer()
        scope = producer.name if producer is not None and producer.name else value.name
        with _grad_scope(b, scope):
            total = b.op("Sum", found, name="accumulate")
        _annotate(total, value)
        parts[value] = [total]
    return parts[value][0]


@contextlib.contextmanager
def _grad_scope(b: GraphBuilder, name: str):
    """Scopes backward nodes as ``grad/<name>`` (once, also when the caller opened ``grad``)."""
    inside = bool(b._scopes) and b._scopes[-1] == "grad"
    with contextlib.ExitStack() as stack:
        if not inside:
            stack.enter_context(b.scope("grad"))
        stack.enter_context(b.scope(name))
        yield


def _annotate(grad: ir.Value, value: ir.Value) -> None:
    """A gradient has the type and shape of its value."""
    if grad.type is None and value.type is not None:
        grad.type = value.type
    if grad.shape is None and value.shape is not None:
        grad.shape = ir.Shape(list(value.shape))


def _ones(b: GraphBuilder, loss: ir.Value) -> ir.Value:
    static = static_shape(loss)
    if static is not None:
        return b.constant(np.ones(static, dtype=np_dtype(loss)))
    value = ir.tensor(np.ones(1, dtype=np_dtype(loss)))
    return b.op("ConstantOfShape", [shape_of(b, loss)], {"value": value}, name="seed")


def _remove_dead(b: GraphBuilder, before: set, initializers: set, results: list) -> None:
    """Removes the backward nodes (and constants) no returned gradient depends on."""
    live = {v for v in results if v is not None} | set(b.graph.outputs)
    dead = []
    for node in reversed(list(b.graph)):
        if node in before:
            continue
        if any(v in live for v in node.outputs):
            live.update(v for v in [*node.inputs, *outer_values(node)] if v is not None)
        else:
            dead.append(node)
    b.graph.remove(dead, safe=True)
    for name in [n for n in b.graph.initializers if n not in initializers]:
        value = b.graph.initializers[name]
        if not value.uses() and not value.is_graph_output() and value not in live:
            b.graph.initializers.pop(name)
            b._constants = {k: v for k, v in b._constants.items() if v is not value}
