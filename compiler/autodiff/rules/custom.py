"""Custom vector-Jacobian products traced by the front end (``keras.ops.custom_gradient``).

The front end traces the user's ``grad_fn`` at forward time, into the same graph, on a
placeholder upstream gradient. The op's output then passes through an Identity whose metadata
holds ``(placeholder, grad values)`` under ``CUSTOM_VJP`` and the op's arguments under
``GRADIENT_INPUTS`` (the backward sweep treats those as extra inputs of the node). At backward
time the nodes between the placeholder and the grad values are replayed with the real upstream
gradient in place of the placeholder; nodes that do not depend on it (forward values the
``grad_fn`` closes over) are shared. The forward-time copy is dead and is removed with the other
unused nodes. No front-end code runs during differentiation.
"""

from __future__ import annotations

import onnx_ir as ir

CUSTOM_VJP = "custom_vjp"
GRADIENT_INPUTS = "gradient_inputs"


def _dependents(graph: ir.Graph, placeholder: ir.Value, grads) -> list[ir.Node]:
    """Nodes between ``placeholder`` and ``grads``, in graph order. The front end traced them
    after the placeholder, so one forward scan from its producer finds them (no recursion
    through the model above)."""
    nodes = list(graph)
    start = nodes.index(placeholder.producer())
    tainted, found = {placeholder}, []
    for node in nodes[start + 1 :]:
        if any(v in tainted for v in node.inputs if v is not None):
            tainted.update(node.outputs)
            found.append(node)
    needed = {g for g in grads if g is not None}
    kept = []
    for node in reversed(found):
        if any(o in needed for o in node.outputs):
            needed.update(v for v in node.inputs if v is not None)
            kept.append(node)
    return kept[::-1]


def replay(b, node: ir.Node, upstream: ir.Value) -> list[ir.Value | None]:
    """The custom gradients of ``node``'s ``GRADIENT_INPUTS`` for ``upstream``."""
    placeholder, grads = node.meta[CUSTOM_VJP]
    mapping: dict[ir.Value, ir.Value] = {placeholder: upstream}
    for old in _dependents(b.graph, placeholder, grads):
        name = b.unique_name(old.op_type)
        outputs = [ir.Value(name=f"{name}:{i}") for i in range(len(old.outputs))]
        new = ir.Node(
            old.domain,
            old.op_type,
            [mapping.get(v, v) if v is not None else None for v in old.inputs],
            list(old.attributes.values()),
            outputs=outputs,
            name=name,
        )
        b.graph.append(new)
        for o, n in zip(old.outputs, outputs):
            n.type, n.shape = o.type, o.shape
            mapping[o] = n
    return [None if g is None else mapping.get(g, g) for g in grads]
