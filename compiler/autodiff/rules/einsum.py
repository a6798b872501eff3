"""Gradient rule of Einsum (explicit output, no ellipsis, no letter repeated in one operand).

The gradient of operand ``i`` is itself an einsum of the output gradient with the other
operands, onto the letters of operand ``i`` that occur elsewhere; letters summed inside operand
``i`` alone come back by ``Unsqueeze`` + ``Expand`` to its shape. ``kgraph.ops.einsum`` spells
out ellipses before emitting the node, so its equations always qualify.
"""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import attr, ints, is_float, shape_of
from kgraph.compiler.autodiff.registry import rule


def _terms(node):
    equation = attr(node, "equation")
    equation = equation.decode() if isinstance(equation, bytes) else equation
    equation = equation.replace(" ", "")
    if "->" not in equation or "..." in equation:
        raise NotImplementedError(f"No Einsum gradient for equation '{equation}'.")
    inputs, output = equation.split("->")
    terms = inputs.split(",")
    if any(len(set(t)) != len(t) for t in terms):
        raise NotImplementedError(f"No Einsum gradient for repeated letters in '{equation}'.")
    return terms, output


@rule("Einsum")
def _einsum(b, node, grads):
    terms, output = _terms(node)
    out = []
    for i, (term, x) in enumerate(zip(terms, node.inputs)):
        if not is_float(x):
            out.append(None)
            continue
        others = [t for j, t in enumerate(terms) if j != i]
        seen = set(output).union(*others)
        target = "".join(c for c in term if c in seen)
        operands = [grads[0]] + [v for j, v in enumerate(node.inputs) if j != i]
        equation = f"{','.join([output, *others])}->{target}"
        grad = b.op("Einsum", operands, {"equation": equation})
        if target != term:
            missing = [k for k, c in enumerate(term) if c not in seen]
            axes = ints(b, missing)
            grad = b.op("Expand", [b.op("Unsqueeze", [grad, axes]), shape_of(b, x)])
        out.append(grad)
    return out
